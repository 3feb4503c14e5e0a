/**
 * Whether one branch holds for the leaves of the current walk. When none of its fields has leaves inside array
 * elements, every condition is judged alone. Otherwise a backtracking search picks, per condition, a matching leaf
 * consistent with those already picked; a condition that allows absence (`exists: false`) holds when no leaf of its
 * field is consistent with the final pick, so absence is judged within the array element the other fields come
 * from. (event-ruler judges it against the fields that sort before it by name; this does not depend on names.) */
import type { Condition, Matcher } from './ast.js';
import { consistent, type Membership, type PathNode, type PathTrie } from './flatten.js';
import { anyOf, type ValueTest } from './values.js';

export interface BoundCondition {
  readonly node: PathNode;
  readonly depth: number;
  /** The matchers a present leaf can satisfy: all but `exists: false`. */
  readonly positives: readonly Matcher[];
  /** Whether a leaf satisfies one of `positives`. */
  readonly test: ValueTest;
  /** Whether the condition also holds when the field has no (consistent) leaf: it lists `exists: false`. */
  readonly allowsAbsent: boolean;
}

export function bindCondition(trie: PathTrie, c: Condition): BoundCondition {
  const positives = c.matchers.filter((m) => !(m.kind === 'exists' && !m.value));
  return {
    node: trie.acquire(c.segments),
    depth: c.segments.length,
    positives,
    test: anyOf(positives),
    allowsAbsent: positives.length < c.matchers.length,
  };
}

/**
 * `proven`: a condition a leaf is already known to satisfy (the one that nominated the branch); it is not tested
 * again unless array consistency needs its leaves.
 */
export function branchHolds(trie: PathTrie, conditions: readonly BoundCondition[], proven: BoundCondition | null = null): boolean {
  let nested = false;
  for (const c of conditions) if (c.node.nested && trie.leafCount(c.node) > 0) nested = true;
  if (nested) return search(trie, conditions, 0);
  for (const c of conditions) if (c !== proven && !holdsAlone(trie, c)) return false;
  return true;
}

function holdsAlone(trie: PathTrie, c: BoundCondition): boolean {
  const n = trie.leafCount(c.node);
  if (n === 0) return c.allowsAbsent;
  const values = c.node.values;
  for (let k = 0; k < n; k++) if (c.test(values[k])) return true;
  return false;
}

// Scratch stacks of the search (it is synchronous and never reentered), so checking a branch allocates nothing.
const held: (Membership | null)[] = []; // memberships of the leaves picked so far
const absent: BoundCondition[] = []; // conditions left to absence, checked against the final pick
const tried: (Membership | null)[] = []; // per level, the memberships already explored

function search(trie: PathTrie, conditions: readonly BoundCondition[], i: number): boolean {
  if (i === conditions.length) {
    for (const c of absent) {
      const n = trie.leafCount(c.node);
      for (let k = 0; k < n; k++) if (fits(c.node.memberships[k] ?? null, held)) return false;
    }
    return true;
  }
  const c = conditions[i]!;
  const n = trie.leafCount(c.node);
  const { values, memberships } = c.node;
  // Leaves with the same membership lead to the same outcome: try each membership once.
  const base = tried.length;
  let holds = false;
  for (let k = 0; k < n && !holds; k++) {
    const m = memberships[k] ?? null;
    if (tried.indexOf(m, base) >= 0 || !fits(m, held) || !c.test(values[k])) continue;
    tried.push(m);
    held.push(m);
    holds = search(trie, conditions, i + 1);
    held.pop();
  }
  tried.length = base;
  if (holds || !c.allowsAbsent) return holds;
  absent.push(c);
  holds = search(trie, conditions, i + 1);
  absent.pop();
  return holds;
}

function fits(m: Membership | null, picked: readonly (Membership | null)[]): boolean {
  for (const h of picked) if (!consistent(m, h)) return false;
  return true;
}
