/**
 * The shared index of one field: which rule branches to consider when the field has a given leaf. Each lookup costs
 * about the same however many rules there are: hash maps for exact and equals-ignore-case values (keys keep their
 * JSON type, so "5" and 5 differ), maps probed with the value's own prefixes/suffixes (one probe per distinct
 * pattern length), wildcards grouped by their literal start or end, and sorted bounds with binary search for
 * numeric and CIDR ranges. A hit only nominates a candidate; the matcher checks it against the whole branch.
 */
import { fold, type ExactValue, type Matcher } from './ast.js';
import { parseIp } from './cidr.js';
import type { LeafProbe, PathTrie } from './flatten.js';
import { inNumericLimits } from './numbers.js';
import { literalPrefix, literalSuffix, matchesGlob, type Glob } from './wildcard.js';

/** What the index nominates; `seenAt` (the walk's serial) keeps one nomination per event. */
export interface Candidate {
  seenAt: number;
}

/** The matcher kinds a leaf lookup can find; the others (anything-but, exists) need the field's presence only. */
export function isValueIndexable(m: Matcher): boolean {
  switch (m.kind) {
    case 'exact':
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
    case 'wildcard':
    case 'numeric':
    case 'cidr':
      return true;
    default:
      return false;
  }
}

export class NodeIndex<C extends Candidate> implements LeafProbe {
  private exact: Map<ExactValue, C[]> | null = null;
  private ip: Map<string, C[]> | null = null;
  private folded: Map<string, C[]> | null = null;
  private prefix: Affixes<C> | null = null;
  private suffix: Affixes<C> | null = null;
  private foldedPrefix: Affixes<C> | null = null;
  private foldedSuffix: Affixes<C> | null = null;
  private wildcards: Wildcards<C> | null = null;
  private numeric: NumericRanges<C> | null = null;
  private cidr4: Ranges<string, C> | null = null;
  private cidr6: Ranges<string, C> | null = null;
  private presence: C[] = [];
  /** Entries held; the matcher drops an empty index. */
  size = 0;

  constructor(
    private readonly trie: PathTrie,
    private readonly out: C[],
  ) {}

  add(m: Matcher, c: C): void {
    this.size++;
    switch (m.kind) {
      case 'exact':
        if (m.ip !== null) addTo((this.ip ??= new Map()), m.ip, c);
        else addTo((this.exact ??= new Map()), m.value, c);
        return;
      case 'equals-ignore-case':
        addTo((this.folded ??= new Map()), m.value, c);
        return;
      case 'prefix':
        if (m.ignoreCase) (this.foldedPrefix ??= new Affixes()).add(m.value, c);
        else (this.prefix ??= new Affixes()).add(m.value, c);
        return;
      case 'suffix':
        if (m.ignoreCase) (this.foldedSuffix ??= new Affixes()).add(m.value, c);
        else (this.suffix ??= new Affixes()).add(m.value, c);
        return;
      case 'wildcard':
        (this.wildcards ??= new Wildcards()).add(m.glob, c);
        return;
      case 'numeric':
        // "=" is equality with a number, which the exact map already answers.
        if (m.lo === m.hi) addTo((this.exact ??= new Map()), m.lo, c);
        else (this.numeric ??= new NumericRanges()).add(m.lo, m.loOpen, m.hi, m.hiOpen, c);
        return;
      case 'cidr':
        if (m.v6) (this.cidr6 ??= new Ranges()).add(m.lo, false, m.hi, false, c);
        else (this.cidr4 ??= new Ranges()).add(m.lo, false, m.hi, false, c);
        return;
      default:
        this.presence.push(c);
    }
  }

  remove(m: Matcher, c: C): void {
    this.size--;
    switch (m.kind) {
      case 'exact':
        if (m.ip !== null) this.ip = removeFromMap(this.ip!, m.ip, c);
        else this.exact = removeFromMap(this.exact!, m.value, c);
        return;
      case 'equals-ignore-case':
        this.folded = removeFromMap(this.folded!, m.value, c);
        return;
      case 'prefix':
        if (m.ignoreCase) this.foldedPrefix = this.foldedPrefix!.remove(m.value, c);
        else this.prefix = this.prefix!.remove(m.value, c);
        return;
      case 'suffix':
        if (m.ignoreCase) this.foldedSuffix = this.foldedSuffix!.remove(m.value, c);
        else this.suffix = this.suffix!.remove(m.value, c);
        return;
      case 'wildcard':
        this.wildcards = this.wildcards!.remove(m.glob, c);
        return;
      case 'numeric':
        if (m.lo === m.hi) this.exact = removeFromMap(this.exact!, m.lo, c);
        else this.numeric = this.numeric!.remove(m, c);
        return;
      case 'cidr':
        if (m.v6) this.cidr6 = this.cidr6!.remove({ lo: m.lo, loOpen: false, hi: m.hi, hiOpen: false }, c);
        else this.cidr4 = this.cidr4!.remove({ lo: m.lo, loOpen: false, hi: m.hi, hiOpen: false }, c);
        return;
      default:
        removeFrom(this.presence, c);
    }
  }

  /**
   * How many candidates are filed where `m` would be: under its value, its literal start or end, in its range
   * family, or by presence. The matcher weighs this when it picks anchors.
   */
  filedWith(m: Matcher): number {
    switch (m.kind) {
      case 'exact':
        return (m.ip !== null ? this.ip?.get(m.ip) : this.exact?.get(m.value))?.length ?? 0;
      case 'equals-ignore-case':
        return this.folded?.get(m.value)?.length ?? 0;
      case 'prefix':
        return (m.ignoreCase ? this.foldedPrefix : this.prefix)?.count(m.value) ?? 0;
      case 'suffix':
        return (m.ignoreCase ? this.foldedSuffix : this.suffix)?.count(m.value) ?? 0;
      case 'wildcard':
        return this.wildcards?.count(m.glob) ?? 0;
      case 'numeric':
        return m.lo === m.hi ? (this.exact?.get(m.lo)?.length ?? 0) : (this.numeric?.size ?? 0);
      case 'cidr':
        return (m.v6 ? this.cidr6 : this.cidr4)?.size ?? 0;
      default:
        return this.presence.length;
    }
  }

  probe(v: unknown, first: boolean): void {
    if (first && this.presence.length > 0) this.hit(this.presence);
    if (typeof v === 'string') this.probeString(v);
    else if (typeof v === 'number') {
      this.hitKey(this.exact, v);
      if (this.numeric !== null && inNumericLimits(v)) this.numeric.stab(v, this);
    } else this.hitKey(this.exact, v as ExactValue);
  }

  private probeString(v: string): void {
    this.hitKey(this.exact, v);
    if (this.ip !== null || this.cidr4 !== null || this.cidr6 !== null) {
      const ip = parseIp(v);
      if (ip !== null) {
        this.hitKey(this.ip, ip);
        const ranges = ip.length === 8 ? this.cidr4 : this.cidr6;
        if (ranges !== null) this.hit(ranges.stab(ip));
      }
    }
    if (this.prefix !== null) this.hitAffixes(this.prefix, v, true);
    if (this.suffix !== null) this.hitAffixes(this.suffix, v, false);
    if (this.folded !== null || this.foldedPrefix !== null || this.foldedSuffix !== null) {
      const f = fold(v);
      this.hitKey(this.folded, f);
      if (this.foldedPrefix !== null) this.hitAffixes(this.foldedPrefix, f, true);
      if (this.foldedSuffix !== null) this.hitAffixes(this.foldedSuffix, f, false);
    }
    if (this.wildcards !== null) this.wildcards.probe(v, this);
  }

  private hitAffixes(affixes: Affixes<C>, s: string, prefix: boolean): void {
    const lengths = affixes.lengths;
    for (let i = 0; i < lengths.length; i++) {
      const n = lengths[i]!;
      if (n > s.length) break;
      const list = affixes.get(n === s.length ? s : prefix ? s.slice(0, n) : s.slice(s.length - n));
      if (list !== undefined) this.hit(list);
    }
  }

  private hitKey<K>(map: Map<K, C[]> | null, key: K): void {
    if (map === null) return;
    const list = map.get(key);
    if (list !== undefined) this.hit(list);
  }

  hit(list: readonly C[]): void {
    const serial = this.trie.serial;
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      if (c.seenAt !== serial) {
        c.seenAt = serial;
        this.out.push(c);
      }
    }
  }

  /** Nominates one candidate, unless already nominated; for lookups that test the leaf first. */
  hitOne(c: C): void {
    if (c.seenAt !== this.trie.serial) {
      c.seenAt = this.trie.serial;
      this.out.push(c);
    }
  }

  seen(c: C): boolean {
    return c.seenAt === this.trie.serial;
  }
}

function addTo<K, T>(map: Map<K, T[]>, key: K, item: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [item]);
  else list.push(item);
}

function removeFrom<T>(list: T[], item: T): void {
  const i = list.lastIndexOf(item);
  if (i >= 0) list.splice(i, 1);
}

/** Removes one item; returns the map, or null once it is empty so probes skip it. */
function removeFromMap<K, T>(map: Map<K, T[]>, key: K, item: T): Map<K, T[]> | null {
  const list = map.get(key);
  if (list !== undefined) {
    removeFrom(list, item);
    if (list.length === 0) map.delete(key);
  }
  return map.size === 0 ? null : map;
}

/** Items keyed by a literal start (or end): a leaf is probed once per distinct key length. */
class Affixes<T> {
  private readonly map = new Map<string, T[]>();
  /** Distinct key lengths, ascending, so a probe stops at the leaf's own length. */
  lengths: readonly number[] = [];
  private readonly perLength = new Map<number, number>();

  add(key: string, item: T): void {
    const list = this.map.get(key);
    if (list !== undefined) {
      list.push(item);
      return;
    }
    this.map.set(key, [item]);
    const n = this.perLength.get(key.length) ?? 0;
    this.perLength.set(key.length, n + 1);
    if (n === 0) this.lengths = [...this.lengths, key.length].sort((a, b) => a - b);
  }

  remove(key: string, item: T): this | null {
    const list = this.map.get(key);
    if (list === undefined) return this;
    removeFrom(list, item);
    if (list.length > 0) return this;
    this.map.delete(key);
    const n = this.perLength.get(key.length)! - 1;
    if (n > 0) this.perLength.set(key.length, n);
    else {
      this.perLength.delete(key.length);
      this.lengths = this.lengths.filter((l) => l !== key.length);
    }
    return this.map.size === 0 ? null : this;
  }

  count(key: string): number {
    return this.map.get(key)?.length ?? 0;
  }

  get(key: string): readonly T[] | undefined {
    return this.map.get(key);
  }
}

interface WildEntry<C> {
  readonly glob: Glob;
  readonly c: C;
}

/**
 * Wildcards grouped by the literal text every match must start with, or else end with; only values that have it
 * test the group's globs. Globs with neither (`*`, `*x*`) are tested against every value of the field.
 */
class Wildcards<C extends Candidate> {
  private byPrefix: Affixes<WildEntry<C>> | null = null;
  private bySuffix: Affixes<WildEntry<C>> | null = null;
  private readonly rest: WildEntry<C>[] = [];
  private size = 0;

  add(glob: Glob, c: C): void {
    this.size++;
    const entry = { glob, c };
    const start = literalPrefix(glob);
    const end = literalSuffix(glob);
    if (start !== '') (this.byPrefix ??= new Affixes()).add(start, entry);
    else if (end !== '') (this.bySuffix ??= new Affixes()).add(end, entry);
    else this.rest.push(entry);
  }

  remove(glob: Glob, c: C): this | null {
    this.size--;
    const start = literalPrefix(glob);
    const end = literalSuffix(glob);
    const group = start !== '' ? this.byPrefix : end !== '' ? this.bySuffix : null;
    const key = start !== '' ? start : end;
    const list = group === null ? this.rest : (group.get(key) as WildEntry<C>[] | undefined);
    const entry = list?.find((e) => e.glob === glob && e.c === c);
    if (entry !== undefined) {
      if (group === null) removeFrom(this.rest, entry);
      else if (start !== '') this.byPrefix = group.remove(key, entry);
      else this.bySuffix = group.remove(key, entry);
    }
    return this.size === 0 ? null : this;
  }

  count(glob: Glob): number {
    const start = literalPrefix(glob);
    if (start !== '') return this.byPrefix?.count(start) ?? 0;
    const end = literalSuffix(glob);
    if (end !== '') return this.bySuffix?.count(end) ?? 0;
    return this.rest.length;
  }

  probe(v: string, index: NodeIndex<C>): void {
    if (this.byPrefix !== null) this.testAffixes(this.byPrefix, v, true, index);
    if (this.bySuffix !== null) this.testAffixes(this.bySuffix, v, false, index);
    if (this.rest.length > 0) this.test(this.rest, v, index);
  }

  private testAffixes(affixes: Affixes<WildEntry<C>>, v: string, prefix: boolean, index: NodeIndex<C>): void {
    for (const n of affixes.lengths) {
      if (n > v.length) return;
      const list = affixes.get(prefix ? v.slice(0, n) : v.slice(v.length - n));
      if (list !== undefined) this.test(list, v, index);
    }
  }

  private test(list: readonly WildEntry<C>[], v: string, index: NodeIndex<C>): void {
    for (const e of list) if (!index.seen(e.c) && matchesGlob(e.glob, v)) index.hitOne(e.c);
  }
}

interface Range<T> {
  readonly lo: T;
  readonly loOpen: boolean;
  readonly hi: T;
  readonly hiOpen: boolean;
}

interface Bounds<T, C> extends Range<T> {
  readonly c: C;
}

/**
 * Closed or open intervals, answered by binary search: the distinct bounds cut the line into slots (each bound,
 * and each gap between bounds), and every slot lists the intervals covering it. Rebuilt lazily after changes.
 */
class Ranges<T extends number | string, C> {
  private entries: Bounds<T, C>[] = [];
  private points: T[] = [];
  private slots: C[][] = [];
  private dirty = false;

  get size(): number {
    return this.entries.length;
  }

  add(lo: T, loOpen: boolean, hi: T, hiOpen: boolean, c: C): void {
    this.entries.push({ lo, loOpen, hi, hiOpen, c });
    this.dirty = true;
  }

  /** Removes one entry (a condition may list the same range twice, and each was added). */
  remove(bounds: Range<T>, c: C): this | null {
    removeOne(this.entries, bounds, c);
    this.dirty = true;
    return this.entries.length === 0 ? null : this;
  }

  stab(x: T): readonly C[] {
    if (this.dirty) this.build();
    const points = this.points;
    const i = lowerBound(points, x);
    return this.slots[i < points.length && points[i] === x ? 2 * i + 1 : 2 * i]!;
  }

  private build(): void {
    const points = [...new Set(this.entries.flatMap((e) => [e.lo, e.hi]))].sort(compare);
    const slots: C[][] = Array.from({ length: 2 * points.length + 1 }, () => []);
    for (const e of this.entries) {
      const from = 2 * lowerBound(points, e.lo) + (e.loOpen ? 2 : 1);
      const to = 2 * lowerBound(points, e.hi) + (e.hiOpen ? 0 : 1);
      for (let s = from; s <= to; s++) slots[s]!.push(e.c);
    }
    this.points = points;
    this.slots = slots;
    this.dirty = false;
  }
}

/**
 * Numeric ranges. One-sided ones (`> t`, `< t`) would each cover every slot on one side, so they are kept apart,
 * sorted by threshold: the ones that hold are a run from the start, scanned until the first that does not.
 */
class NumericRanges<C extends Candidate> {
  private above: Bounds<number, C>[] = []; // `> lo`, `>= lo`; ascending lo
  private below: Bounds<number, C>[] = []; // `< hi`, `<= hi`; descending hi
  private between: Ranges<number, C> | null = null;

  get size(): number {
    return this.above.length + this.below.length + (this.between?.size ?? 0);
  }

  add(lo: number, loOpen: boolean, hi: number, hiOpen: boolean, c: C): void {
    if (hi === Infinity) insertSorted(this.above, { lo, loOpen, hi, hiOpen, c }, (a, b) => a.lo - b.lo);
    else if (lo === -Infinity) insertSorted(this.below, { lo, loOpen, hi, hiOpen, c }, (a, b) => b.hi - a.hi);
    else (this.between ??= new Ranges()).add(lo, loOpen, hi, hiOpen, c);
  }

  remove(bounds: Range<number>, c: C): this | null {
    if (bounds.hi === Infinity) removeOne(this.above, bounds, c);
    else if (bounds.lo === -Infinity) removeOne(this.below, bounds, c);
    else this.between = this.between!.remove(bounds, c);
    return this.size === 0 ? null : this;
  }

  stab(x: number, index: NodeIndex<C>): void {
    for (const e of this.above) {
      if (e.lo > x) break;
      if (e.lo < x || !e.loOpen) index.hitOne(e.c);
    }
    for (const e of this.below) {
      if (e.hi < x) break;
      if (e.hi > x || !e.hiOpen) index.hitOne(e.c);
    }
    if (this.between !== null) index.hit(this.between.stab(x));
  }
}

function removeOne<T, C>(entries: Bounds<T, C>[], b: Range<T>, c: C): void {
  const i = entries.findIndex((e) => e.c === c && e.lo === b.lo && e.loOpen === b.loOpen && e.hi === b.hi && e.hiOpen === b.hiOpen);
  if (i >= 0) entries.splice(i, 1);
}

function compare<T extends number | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The first index whose point is >= x. */
function lowerBound<T extends number | string>(points: readonly T[], x: T): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted<T>(list: T[], item: T, order: (a: T, b: T) => number): void {
  let i = list.length;
  while (i > 0 && order(list[i - 1]!, item) > 0) i--;
  list.splice(i, 0, item);
}
