/**
 * Many rules at once, at a cost per event that does not grow with the number of rules (event-ruler's promise).
 *
 * All rules share one trie of field names (the event walk visits only referenced fields) and, per field, one
 * NodeIndex. Each branch of each rule is filed in the index under one *anchor* condition only: the condition whose
 * lookup would nominate the fewest branches at the time it is added (a bucket name rather than `source: aws.s3`
 * that thousands of rules share). A walk nominates the branches whose anchor a leaf hits; only those are checked
 * against all their conditions (anything-but, exists:false and array consistency included). So an event touches
 * the rules it could match, not all rules. Branches with no condition that needs a value (only `exists: false`,
 * say) cannot be nominated by a leaf and are checked on every event.
 */
import { ReflowError } from '../../errors.js';
import { toCompiled, type CompiledPattern } from './compile.js';
import { bindCondition, branchHolds, type BoundCondition } from './evaluate.js';
import { PathTrie } from './flatten.js';
import { isValueIndexable, NodeIndex } from './node-index.js';

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
  seenAt: number;
}

/** Stands in for a field that has no index yet when costing anchors, so costing creates nothing. */
const NO_INDEX = new NodeIndex(new PathTrie(), []);

export class PatternMatcher<K> {
  readonly #trie = new PathTrie();
  readonly #rules = new Map<K, RuleEntry<K>>();
  readonly #candidates: BranchEntry<K>[] = [];
  readonly #everyEvent: BranchEntry<K>[] = [];

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
      const entry: BranchEntry<K> = {
        rule,
        conditions: branch.conditions.map((c) => bindCondition(this.#trie, c)),
        anchor: null,
        byPresence: false,
        trivial: false,
        seenAt: 0,
      };
      this.#file(entry);
      rule.branches.push(entry);
    }
    this.#rules.set(key, rule);
  }

  delete(key: K): boolean {
    const rule = this.#rules.get(key);
    if (rule === undefined) return false;
    for (const entry of rule.branches) {
      this.#unfile(entry);
      for (const c of entry.conditions) this.#trie.release(c.node);
    }
    this.#rules.delete(key);
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
      if (entry.trivial || branchHolds(trie, entry.conditions)) {
        rule.matchedAt = serial;
        out.push(rule.key);
      }
    }
    candidates.length = 0;
    return out;
  }

  /** Chooses the branch's anchor and files it there. */
  #file(entry: BranchEntry<K>): void {
    let best: BoundCondition | null = null;
    let bestCost = Infinity;
    let bestByPresence = false;
    for (const c of entry.conditions) {
      // A condition that absence satisfies may hold without any leaf, so no leaf can be relied on to nominate it.
      if (c.allowsAbsent) continue;
      const index = (c.node.probe as NodeIndex<BranchEntry<K>> | null) ?? NO_INDEX;
      const byValue = c.positives.every(isValueIndexable);
      let cost = byValue ? c.positives.reduce((sum, m) => sum + index.cost(m), 0) : index.presenceCost();
      // On a tie prefer the deeper field: `detail.*` values tell events apart better than envelope ones.
      cost -= c.depth / 1024;
      if (cost < bestCost) {
        best = c;
        bestCost = cost;
        bestByPresence = !byValue;
      }
    }
    entry.anchor = best;
    entry.byPresence = bestByPresence;
    entry.trivial =
      best !== null &&
      entry.conditions.length === 1 &&
      (!bestByPresence || best.positives.some((m) => m.kind === 'exists'));
    if (best === null) {
      this.#everyEvent.push(entry);
      return;
    }
    const index = this.#indexOf(best);
    if (bestByPresence) index.add({ kind: 'exists', value: true }, entry);
    else for (const m of best.positives) index.add(m, entry);
  }

  #unfile(entry: BranchEntry<K>): void {
    const anchor = entry.anchor;
    if (anchor === null) {
      this.#everyEvent.splice(this.#everyEvent.indexOf(entry), 1);
      return;
    }
    const index = anchor.node.probe as NodeIndex<BranchEntry<K>>;
    if (entry.byPresence) index.remove({ kind: 'exists', value: true }, entry);
    else for (const m of anchor.positives) index.remove(m, entry);
    if (index.size === 0) anchor.node.probe = null;
  }

  #indexOf(c: BoundCondition): NodeIndex<BranchEntry<K>> {
    const node = c.node;
    if (node.probe === null) node.probe = new NodeIndex<BranchEntry<K>>(this.#trie, this.#candidates);
    return node.probe as NodeIndex<BranchEntry<K>>;
  }
}
