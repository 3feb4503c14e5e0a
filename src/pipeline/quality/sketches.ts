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
  /** In (0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  }
}

/**
 * A uniform sample of `capacity` values (Vitter's Algorithm R: value n replaces a random slot with chance k/n). One
 * random number per value past the first `capacity`; Li's Algorithm L draws fewer, but its logarithms per kept value
 * cost more on the files that matter most for latency (a few times the capacity), and R stays a few ns per value.
 */
export class Reservoir {
  readonly values: Float64Array;
  seen = 0;
  private readonly rng: Prng;

  constructor(readonly capacity: number, seed: number) {
    this.values = new Float64Array(capacity);
    this.rng = new Prng(seed);
  }

  add(x: number): void {
    const seen = ++this.seen;
    if (seen <= this.capacity) {
      this.values[seen - 1] = x;
      return;
    }
    const j = Math.floor(this.rng.next() * seen);
    if (j < this.capacity) this.values[j] = x;
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

const MIX_C1 = Int32Array.of(0x239b961b, 0xab0e9789 | 0, 0x38b34ae5, 0xa1e38b93 | 0);
const MIX_C2 = Int32Array.of(0xab0e9789 | 0, 0x38b34ae5, 0xa1e38b93 | 0, 0x239b961b);
const MIX_R1 = Int32Array.of(15, 16, 17, 18);
const MIX_R2 = Int32Array.of(19, 17, 15, 13);
const MIX_ADD = Int32Array.of(0x561ccd1b, 0x0bcaa747, 0x96cd1c35 | 0, 0x32ac3b17);

/** MurmurHash3 x86_128's block step for one 32-bit word into lane `l`; returns the next lane. */
function mix(h: Int32Array, l: number, k: number): number {
  k = Math.imul(k, MIX_C1[l]!);
  const r1 = MIX_R1[l]!;
  k = Math.imul((k << r1) | (k >>> (32 - r1)), MIX_C2[l]!);
  let x = h[l]! ^ k;
  const r2 = MIX_R2[l]!;
  x = (x << r2) | (x >>> (32 - r2));
  const next = (l + 1) & 3;
  h[l] = Math.imul(x + h[next]!, 5) + MIX_ADD[l]!;
  return next;
}

/**
 * A 128-bit digest of a row, fed cell by cell: MurmurHash3 x86_128's block mix over 32-bit words (two UTF-16 code
 * units each), with every cell closed by its length so that `["ab", "c"]` and `["a", "bc"]` differ. Not
 * cryptographic: a collision makes two different rows look like duplicates, at odds of ~n²/2^128.
 */
export class RowHasher {
  // Lane state in one typed array and per-lane constants in tables, so one loop mixes any lane: the per-word
  // method with a switch on the lane was a tenth of a 1 MB scan.
  private readonly h = new Int32Array(4);
  private lane = 0;
  private words = 0;
  readonly digest = new Uint32Array(4);

  reset(): void {
    const h = this.h;
    h[0] = 0x9368e53c;
    h[1] = 0x2f6af274;
    h[2] = 0xbc3b68f5;
    h[3] = 0x5ac5e3fe;
    this.lane = 0;
    this.words = 0;
  }

  private word(k: number): void {
    this.words++;
    this.lane = mix(this.h, this.lane, k);
  }

  addString(s: string): void {
    this.addRange(s, 0, s.length);
  }

  /**
   * `text[start, end)`, digested exactly as `addString(text.slice(start, end))`. Text whose code units all fit a
   * byte (nearly all data) goes four units to a word, else two; the closing word holds the length and which packing
   * was used, so the word stream still decodes to exactly one sequence of cells.
   */
  addRange(text: string, start: number, end: number): void {
    const h = this.h;
    const h0 = h[0]!;
    const h1 = h[1]!;
    const h2 = h[2]!;
    const h3 = h[3]!;
    const lane0 = this.lane;
    let lane = lane0;
    let i = start;
    let wide = false;
    for (; i + 3 < end; i += 4) {
      const a = text.charCodeAt(i);
      const b = text.charCodeAt(i + 1);
      const c = text.charCodeAt(i + 2);
      const d = text.charCodeAt(i + 3);
      if ((a | b | c | d) > 255) {
        wide = true;
        break;
      }
      lane = mix(h, lane, a | (b << 8) | (c << 16) | (d << 24));
    }
    if (!wide && i < end) {
      let k = 0;
      for (let shift = 0; i < end; i++, shift += 8) {
        const c = text.charCodeAt(i);
        if (c > 255) {
          wide = true;
          break;
        }
        k |= c << shift;
      }
      if (!wide) lane = mix(h, lane, k);
    }
    const len = end - start;
    if (!wide) {
      this.words += ((len + 3) >> 2) + 1;
      this.lane = mix(h, lane, 0xc0000000 | len);
      return;
    }
    // A unit above 0xFF: start the cell over, two units to a word.
    h[0] = h0;
    h[1] = h1;
    h[2] = h2;
    h[3] = h3;
    lane = lane0;
    for (i = start; i + 1 < end; i += 2) lane = mix(h, lane, text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16));
    if (i < end) lane = mix(h, lane, text.charCodeAt(i) | 0x10000);
    this.words += ((len + 1) >> 1) + 1;
    this.lane = mix(h, lane, 0x80000000 | len);
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
    const w = this.words;
    let h1 = this.h[0]! ^ w;
    let h2 = this.h[1]! ^ w;
    let h3 = this.h[2]! ^ w;
    let h4 = this.h[3]! ^ w;
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
