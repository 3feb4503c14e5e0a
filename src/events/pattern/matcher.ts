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
  readonly rule: RuleEntry<K>;
  readonly conditions: readonly BoundCondition[];
  /** The condition the branch is filed under; null: checked on every event. */
  anchor: BoundCondition | null;
  /** Filed by field presence (anything-but, exists:true) rather than by value. */
  byPresence: boolean;
  /** A nomination alone proves the match (one condition, satisfied by the leaf that hit it). */
  trivial: boolean;
  /**
   * A cheap first test for a nominated branch: another condition that needs one exact value (`source`, say). Most
   * nominated branches that fail, fail it, and testing it here touches no more than this entry and a trie node.
   */
  guard: BoundCondition | null;
  guardValue: ExactValue;
  seenAt: number;
}

function hasLeaf(trie: PathTrie, node: PathNode, value: ExactValue): boolean {
  const n = trie.leafCount(node);
  const values = node.values;
  for (let k = 0; k < n; k++) if (values[k] === value) return true;
  return false;
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
      rule.branches.push({ rule, conditions, anchor: null, byPresence: false, trivial: false, guard: null, guardValue: null, seenAt: 0 });
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
      const rule = entry.rule;
      if (rule.matchedAt === serial) continue;
      if (entry.guard !== null && !hasLeaf(trie, entry.guard.node, entry.guardValue)) continue;
      if (entry.trivial || branchHolds(trie, entry.conditions, entry.byPresence ? null : entry.anchor)) {
        rule.matchedAt = serial;
        out.push(rule.key);
      }
    }
    candidates.length = 0;
    return out;
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
    entry.guard = null;
    for (const c of entry.conditions) {
      const m = c.positives[0];
      if (c === best || c.allowsAbsent || c.positives.length !== 1 || m?.kind !== 'exact' || m.ip !== null) continue;
      // The likeliest to fail is the value with the most distinct rivals at its field.
      if (entry.guard === null || this.#vocabulary.distinct(c.node, 'value') > this.#vocabulary.distinct(entry.guard.node, 'value')) {
        entry.guard = c;
        entry.guardValue = m.value;
      }
    }
    entry.trivial =
      best !== null &&
      entry.conditions.length === 1 &&
      (!bestByPresence || best.positives.some((m) => m.kind === 'exists'));
    if (best === null) {
      this.#everyEvent.push(entry);
      return;
    }
    const index = this.#indexOf(best);
    if (bestByPresence) index.add(PRESENCE, entry);
    else for (const m of best.positives) index.add(m, entry);
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
