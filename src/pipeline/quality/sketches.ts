/**
 * Streaming summaries with bounded memory: a reservoir sample (quantiles, histograms), a HyperLogLog (distinct
 * values), 32- and 128-bit hashes, and a set of 16-byte row digests (duplicate rows). All are deterministic: the same
 * input gives the same sample and the same estimate, so the same file always gives the same report.
 */

/** mulberry32: a small seeded PRNG; quality is ample for sampling. */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** In (0, 1): never 0, since Algorithm L takes its logarithm. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  }
}

/**
 * A uniform sample of `capacity` values (Li's Algorithm L): after the reservoir fills, the index of the next value to
 * keep is drawn directly, so a value that is skipped costs one comparison, not a random number.
 */
export class Reservoir {
  readonly values: Float64Array;
  seen = 0;
  private w = 0;
  private nextKeep = 0;
  private readonly rng: Prng;

  constructor(readonly capacity: number, seed: number) {
    this.values = new Float64Array(capacity);
    this.rng = new Prng(seed);
  }

  add(x: number): void {
    const seen = ++this.seen;
    const k = this.capacity;
    if (seen <= k) {
      this.values[seen - 1] = x;
      if (seen === k) {
        this.w = Math.exp(Math.log(this.rng.next()) / k);
        this.skip();
      }
      return;
    }
    if (seen === this.nextKeep) {
      this.values[Math.floor(this.rng.next() * k)] = x;
      this.w *= Math.exp(Math.log(this.rng.next()) / k);
      this.skip();
    }
  }

  private skip(): void {
    this.nextKeep = (this.nextKeep === 0 ? this.capacity : this.nextKeep) + Math.floor(Math.log(this.rng.next()) / Math.log(1 - this.w)) + 1;
  }

  /** The sample (a copy). */
  copy(): Float64Array {
    return this.values.slice(0, Math.min(this.seen, this.capacity));
  }
}

const HLL_P = 12;
const HLL_M = 1 << HLL_P;
const HLL_ALPHA = 0.7213 / (1 + 1.079 / HLL_M);

/** HyperLogLog with 4,096 registers (4 KiB, ~1.6 % standard error), linear counting for small cardinalities. */
export class HyperLogLog {
  private readonly registers = new Uint8Array(HLL_M);

  add(hash: number): void {
    const index = hash >>> (32 - HLL_P);
    const rank = Math.clz32((hash << HLL_P) | (1 << (HLL_P - 1))) + 1;
    if (rank > this.registers[index]!) this.registers[index] = rank;
  }

  estimate(): number {
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < HLL_M; i++) {
      const r = this.registers[i]!;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    let e = (HLL_ALPHA * HLL_M * HLL_M) / sum;
    if (e <= 2.5 * HLL_M && zeros > 0) e = HLL_M * Math.log(HLL_M / zeros);
    else if (e > 4294967296 / 30) e = -4294967296 * Math.log(1 - e / 4294967296);
    return Math.round(e);
  }
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** 32-bit hash of a number's IEEE bits (the caller passes -0 as 0). */
export function hashNumber(x: number): number {
  F64[0] = x;
  return fmix32(Math.imul(U32[0]! ^ 0x9e3779b9, 0xcc9e2d51) ^ Math.imul(U32[1]! ^ 0x7f4a7c15, 0x1b873593));
}

/** 32-bit hash of a string's UTF-16 code units. */
export function hashString(s: string): number {
  let h = 0x811c9dc5 ^ s.length;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/**
 * A 128-bit digest of a row, fed cell by cell: MurmurHash3 x86_128's block mix over 32-bit words (two UTF-16 code
 * units each), with every cell closed by its length so that `["ab", "c"]` and `["a", "bc"]` differ. Not
 * cryptographic: a collision makes two different rows look like duplicates, at odds of ~n²/2^128.
 */
export class RowHasher {
  private h1 = 0;
  private h2 = 0;
  private h3 = 0;
  private h4 = 0;
  private lane = 0;
  private words = 0;
  readonly digest = new Uint32Array(4);

  reset(): void {
    this.h1 = 0x9368e53c;
    this.h2 = 0x2f6af274;
    this.h3 = 0xbc3b68f5;
    this.h4 = 0x5ac5e3fe;
    this.lane = 0;
    this.words = 0;
  }

  private word(k: number): void {
    this.words++;
    switch (this.lane) {
      case 0:
        k = Math.imul(k, 0x239b961b);
        k = Math.imul((k << 15) | (k >>> 17), 0xab0e9789);
        this.h1 ^= k;
        this.h1 = (this.h1 << 19) | (this.h1 >>> 13);
        this.h1 = (Math.imul(this.h1 + this.h2, 5) + 0x561ccd1b) | 0;
        this.lane = 1;
        return;
      case 1:
        k = Math.imul(k, 0xab0e9789);
        k = Math.imul((k << 16) | (k >>> 16), 0x38b34ae5);
        this.h2 ^= k;
        this.h2 = (this.h2 << 17) | (this.h2 >>> 15);
        this.h2 = (Math.imul(this.h2 + this.h3, 5) + 0x0bcaa747) | 0;
        this.lane = 2;
        return;
      case 2:
        k = Math.imul(k, 0x38b34ae5);
        k = Math.imul((k << 17) | (k >>> 15), 0xa1e38b93);
        this.h3 ^= k;
        this.h3 = (this.h3 << 15) | (this.h3 >>> 17);
        this.h3 = (Math.imul(this.h3 + this.h4, 5) + 0x96cd1c35) | 0;
        this.lane = 3;
        return;
      default:
        k = Math.imul(k, 0xa1e38b93);
        k = Math.imul((k << 18) | (k >>> 14), 0x239b961b);
        this.h4 ^= k;
        this.h4 = (this.h4 << 13) | (this.h4 >>> 19);
        this.h4 = (Math.imul(this.h4 + this.h1, 5) + 0x32ac3b17) | 0;
        this.lane = 0;
    }
  }

  addString(s: string): void {
    const n = s.length;
    let i = 0;
    for (; i + 1 < n; i += 2) this.word(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
    if (i < n) this.word(s.charCodeAt(i) | 0x10000);
    this.word(0x80000000 | n);
  }

  addNumber(x: number): void {
    F64[0] = x;
    this.word(U32[0]!);
    this.word(U32[1]!);
    this.word(0x40000001);
  }

  /** A cell without a value. */
  addMissing(): void {
    this.word(0x40000000);
  }

  /** A cell that is only a tag (a boolean), distinct from every string and number. */
  addTag(tag: number): void {
    this.word(0x40000100 | (tag & 0xff));
  }

  finish(): Uint32Array {
    let h1 = this.h1 ^ this.words;
    let h2 = this.h2 ^ this.words;
    let h3 = this.h3 ^ this.words;
    let h4 = this.h4 ^ this.words;
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    h1 = fmix32(h1);
    h2 = fmix32(h2);
    h3 = fmix32(h3);
    h4 = fmix32(h4);
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    const d = this.digest;
    d[0] = h1 || 1; // 0 marks an empty slot in DigestSet
    d[1] = h2;
    d[2] = h3;
    d[3] = h4;
    return d;
  }
}

/**
 * A set of 16-byte digests in typed arrays (open addressing, linear probing), 16 bytes per slot, at most 80 % full
 * (four slots share a cache line, so probes stay cheap), grown by 30 %: ~20 to 26 bytes per distinct row and no
 * object per row. The table is split into 256 shards that
 * grow one at a time, so growing never holds two copies of the whole set. This is the one part of a scan whose
 * memory grows with the file; the duplicates check pays it only when a spec asks for it.
 */
export class DigestSet {
  private readonly shards: DigestShard[] = Array.from({ length: 256 }, () => new DigestShard(64));
  size = 0;

  /** Adds the digest; false when it was there already. */
  add(d: Uint32Array): boolean {
    // Lane 1 picks the shard, lane 0 the slot: independent bits, so every shard fills evenly.
    const added = this.shards[d[1]! >>> 24]!.add(d[0]!, d[1]!, d[2]!, d[3]!);
    if (added) this.size++;
    return added;
  }

  get bytes(): number {
    let total = 0;
    for (const s of this.shards) total += s.table.byteLength;
    return total;
  }
}

class DigestShard {
  table: Uint32Array;
  private size = 0;

  constructor(private capacity: number) {
    this.table = new Uint32Array(capacity * 4);
  }

  add(a: number, b: number, c: number, d: number): boolean {
    if (this.size * 5 >= this.capacity * 4) this.grow();
    const added = insert(this.table, this.capacity, a, b, c, d);
    if (added) this.size++;
    return added;
  }

  private grow(): void {
    const old = this.table;
    const capacity = Math.ceil(this.capacity * 1.3);
    const table = new Uint32Array(capacity * 4);
    for (let i = 0; i < old.length; i += 4) {
      if (old[i] !== 0) insert(table, capacity, old[i]!, old[i + 1]!, old[i + 2]!, old[i + 3]!);
    }
    this.table = table;
    this.capacity = capacity;
  }
}

function insert(t: Uint32Array, capacity: number, a: number, b: number, c: number, d: number): boolean {
  // Lane 0 is uniform; scaling it onto [0, capacity) avoids needing a power-of-two table.
  let i = Math.floor((a / 4294967296) * capacity);
  for (;;) {
    const at = i * 4;
    const x = t[at]!;
    if (x === 0) {
      t[at] = a;
      t[at + 1] = b;
      t[at + 2] = c;
      t[at + 3] = d;
      return true;
    }
    if (x === a && t[at + 1] === b && t[at + 2] === c && t[at + 3] === d) return false;
    if (++i === capacity) i = 0;
  }
}
