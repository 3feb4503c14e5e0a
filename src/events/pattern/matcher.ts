/**
 * Many rules at once, at a cost per event that does not grow with the number of rules (event-ruler's promise).
 *
 * All rules share one trie of field names (the event walk visits only referenced fields) and, per field, one
 * NodeIndex. Each branch of each rule is filed in the index under one *anchor* condition only, the one expected to
 * nominate it least often: a bucket name or a tenant rather than `source: aws.s3`, which thousands of rules share
 * and most events carry. A walk nominates the branches whose anchor a leaf hits; only those are checked against all
 * their conditions (anything-but, exists:false and array consistency included). So an event touches the rules it
 * could match, not all rules. Branches with no condition that needs a value (only `exists: false`, say) cannot be
 * nominated by a leaf and are checked on every event.
 */
import { ReflowError } from '../../errors.js';
import { toCompiled, type CompiledPattern } from './compile.js';
import { bindCondition, branchHolds, type BoundCondition } from './evaluate.js';
import { anchorCost, PRESENCE, Vocabulary } from './anchors.js';
import type { ExactValue } from './ast.js';
import { PathTrie, type PathNode } from './flatten.js';
import { NodeIndex } from './node-index.js';

interface RuleEntry<K> {
  readonly key: K;
  readonly branches: BranchEntry<K>[];
  matchedAt: number;
}

interface BranchEntry<K> {
  readonly key: K;
  readonly rule: RuleEntry<K>;
  /** The rule's only branch: it can be nominated once per event, so no per-rule dedup is needed. */
  readonly sole: boolean;
  readonly conditions: readonly BoundCondition[];
  /** The condition the branch is filed under; null: checked on every event. */
  anchor: BoundCondition | null;
  /** Filed by field presence (anything-but, exists:true) rather than by value. */
  byPresence: boolean;
  /**
   * The first check of a nominated branch: its plain-value condition (`source: ["aws.s3"]`, a list of values)
   * likeliest to fail, kept in the entry itself. A nominated branch is usually cold in cache, and misses, not
   * comparisons, are what checking costs: most failing nominations fail here without touching anything else.
   */
  guardNode: PathNode | null;
  guardValue: unknown;
  /**
   * When every condition but the anchor wants plain values (the commonest rules: `source`, `detail-type` and a
   * value or two), the rest of the check is just this: [node, value or list of values, …]. Null: check the full
   * branch (after the guard).
   */
  plain: unknown[] | null;
  seenAt: number;
}

/** Whether the current walk left a leaf at `node` equal to `want` (or to one of `want`, for a list). */
function hasValue(trie: PathTrie, node: PathNode, want: unknown): boolean {
  const n = trie.leafCount(node);
  const values = node.values;
  if (Array.isArray(want)) {
    for (let k = 0; k < n; k++) if (want.includes(values[k])) return true;
  } else {
    for (let k = 0; k < n; k++) if (values[k] === want) return true;
  }
  return false;
}

/** The values a condition wants when they are all plain (exact, not IP; numeric `=`), else null. */
function plainValues(c: BoundCondition): ExactValue[] | null {
  if (c.allowsAbsent) return null;
  const out: ExactValue[] = [];
  for (const m of c.positives) {
    if (m.kind === 'exact' && m.ip === null) out.push(m.value);
    else if (m.kind === 'numeric' && m.lo === m.hi) out.push(m.lo);
    else return null;
  }
  return out;
}

/** Stands in for a field that has no index yet when costing anchors, so costing creates nothing. */
const NO_INDEX = new NodeIndex(new PathTrie(), []);

export class PatternMatcher<K> {
  readonly #trie = new PathTrie();
  readonly #rules = new Map<K, RuleEntry<K>>();
  readonly #candidates: BranchEntry<K>[] = [];
  readonly #everyEvent: BranchEntry<K>[] = [];
  readonly #vocabulary = new Vocabulary();
  /** The rule count when all anchors were last chosen afresh. */
  #filedAt = 0;

  get size(): number {
    return this.#rules.size;
  }

  has(key: K): boolean {
    return this.#rules.has(key);
  }

  /** Adds a rule, replacing the one under `key`; an invalid pattern throws and leaves the matcher unchanged. */
  add(key: K, pattern: string | object | CompiledPattern): void {
    const compiled = toCompiled(pattern);
    this.delete(key);
    const rule: RuleEntry<K> = { key, branches: [], matchedAt: 0 };
    for (const branch of compiled.branches) {
      const conditions = branch.conditions.map((c) => bindCondition(this.#trie, c));
      for (const c of conditions) this.#vocabulary.count(c, 1);
      // Fields a nomination reads come first: they then tend to share the entry's first cache line.
      rule.branches.push({
        seenAt: 0,
        guardNode: null,
        guardValue: null,
        sole: compiled.branches.length === 1,
        key,
        plain: null,
        rule,
        conditions,
        anchor: null,
        byPresence: false,
      });
    }
    for (const entry of rule.branches) this.#file(entry);
    this.#rules.set(key, rule);
    this.#refileIfStale();
  }

  delete(key: K): boolean {
    const rule = this.#rules.get(key);
    if (rule === undefined) return false;
    for (const entry of rule.branches) {
      this.#unfile(entry);
      for (const c of entry.conditions) {
        this.#vocabulary.count(c, -1);
        this.#trie.release(c.node);
      }
    }
    this.#rules.delete(key);
    this.#refileIfStale();
    return true;
  }

  /** The keys of the rules that match `event`, each once, in no particular order. */
  matches(event: object): K[] {
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      throw new ReflowError('InvalidArgument', 'Parameter Event is not valid.', { field: 'Event' });
    }
    const trie = this.#trie;
    const candidates = this.#candidates;
    // Normally empty already; not after a walk that threw (a throwing getter on the event, say). Setting length is a
    // call even on an empty array, so only when needed.
    if (candidates.length !== 0) candidates.length = 0;
    trie.walk(event);
    const serial = trie.serial;
    for (const entry of this.#everyEvent) {
      if (entry.seenAt !== serial) {
        entry.seenAt = serial;
        candidates.push(entry);
      }
    }
    const out: K[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const entry = candidates[i]!;
      if (entry.sole) {
        if (this.#holds(entry)) out.push(entry.key);
      } else if (entry.rule.matchedAt !== serial && this.#holds(entry)) {
        entry.rule.matchedAt = serial;
        out.push(entry.key);
      }
    }
    if (candidates.length !== 0) candidates.length = 0;
    return out;
  }

  #holds(entry: BranchEntry<K>): boolean {
    const trie = this.#trie;
    const guard = entry.guardNode;
    if (guard !== null && !hasValue(trie, guard, entry.guardValue)) return false;
    const plain = entry.plain;
    if (plain === null) return branchHolds(trie, entry.conditions, entry.byPresence ? null : entry.anchor);
    let nested = entry.anchor!.node.nested || (guard !== null && guard.nested);
    for (let i = 0; i < plain.length; i += 2) {
      const node = plain[i] as PathNode;
      if (!hasValue(trie, node, plain[i + 1])) return false;
      if (node.nested) nested = true;
    }
    // Leaves inside array elements: the values found must also come from consistent elements.
    return !nested || branchHolds(trie, entry.conditions);
  }

  /** Chooses the branch's anchor (see anchors.ts) and files it there. */
  #file(entry: BranchEntry<K>): void {
    let best: BoundCondition | null = null;
    let bestCost = Infinity;
    let bestByPresence = false;
    for (const c of entry.conditions) {
      const index = (c.node.probe as NodeIndex<BranchEntry<K>> | null) ?? NO_INDEX;
      const estimate = anchorCost(c, index, this.#vocabulary);
      if (estimate !== null && estimate.cost < bestCost) {
        best = c;
        bestCost = estimate.cost;
        bestByPresence = estimate.byPresence;
      }
    }
    entry.anchor = best;
    entry.byPresence = bestByPresence;
    this.#plan(entry);
    if (best === null) {
      this.#everyEvent.push(entry);
      return;
    }
    const index = this.#indexOf(best);
    if (bestByPresence) index.add(PRESENCE, entry);
    else for (const m of best.positives) index.add(m, entry);
  }

  /** Prepares the check of a nominated branch: its guard and, when it can, its plain checks (see BranchEntry). */
  #plan(entry: BranchEntry<K>): void {
    const anchor = entry.anchor;
    const checks: Array<{ node: PathNode; values: ExactValue[] }> = [];
    let allPlain = anchor !== null;
    for (const c of entry.conditions) {
      if (c === anchor) continue;
      const values = plainValues(c);
      if (values === null) allPlain = false;
      else checks.push({ node: c.node, values });
    }
    // The likeliest to fail first: the value with the most distinct rivals at its field.
    checks.sort((a, b) => this.#vocabulary.distinct(b.node, 'value') - this.#vocabulary.distinct(a.node, 'value'));
    const want = (values: ExactValue[]) => (values.length === 1 ? values[0] : values);
    // The first check sits in the entry itself, so a failing nomination costs no further cache miss.
    entry.guardNode = checks[0]?.node ?? null;
    entry.guardValue = checks[0] === undefined ? null : want(checks[0].values);
    // A presence anchor proves presence only; unless it is `exists: true` its condition still has to be checked.
    const anchorProven = anchor !== null && (!entry.byPresence || anchor.positives.some((m) => m.kind === 'exists'));
    entry.plain = allPlain && anchorProven ? checks.slice(1).flatMap((c) => [c.node, want(c.values)]) : null;
  }

  /**
   * Anchors are chosen with what is known when a rule arrives, so the first rules for a field get poor ones (with
   * one tenant known, `source` looks as selective as the tenant). Choosing all anchors afresh whenever the rule
   * count has doubled or quartered since the last time costs O(1) per change, amortized.
   */
  #refileIfStale(): void {
    const size = this.#rules.size;
    if (size < 2 * Math.max(this.#filedAt, 8) && 4 * size > this.#filedAt) return;
    this.#filedAt = size;
    for (const rule of this.#rules.values()) for (const entry of rule.branches) this.#unfile(entry);
    for (const rule of this.#rules.values()) for (const entry of rule.branches) this.#file(entry);
  }

  #unfile(entry: BranchEntry<K>): void {
    const anchor = entry.anchor;
    if (anchor === null) {
      this.#everyEvent.splice(this.#everyEvent.indexOf(entry), 1);
      return;
    }
    const index = anchor.node.probe as NodeIndex<BranchEntry<K>>;
    if (entry.byPresence) index.remove(PRESENCE, entry);
    else for (const m of anchor.positives) index.remove(m, entry);
    if (index.size === 0) anchor.node.probe = null;
  }

  #indexOf(c: BoundCondition): NodeIndex<BranchEntry<K>> {
    const node = c.node;
    if (node.probe === null) node.probe = new NodeIndex<BranchEntry<K>>(this.#trie, this.#candidates);
    return node.probe as NodeIndex<BranchEntry<K>>;
  }
}
