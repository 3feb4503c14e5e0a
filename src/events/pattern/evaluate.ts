/**
 * Whether one branch holds for the leaves of the current walk. Without array elements in play every condition is
 * judged alone; otherwise a backtracking search picks, per condition, a matching leaf consistent with the ones
 * already picked, and a condition that allows absence (`exists: false`) holds when no leaf of its field is
 * consistent with the final pick (so absence is judged within the same array element, as in event-ruler).
 */
import type { Condition, Matcher } from './ast.js';
import { consistent, type Membership, type PathNode, type PathTrie } from './flatten.js';
import { matchesValue } from './values.js';

export interface BoundCondition {
  readonly node: PathNode;
  readonly depth: number;
  /** The matchers a present leaf can satisfy: all but `exists: false`. */
  readonly positives: readonly Matcher[];
  /** Whether the condition also holds when the field has no (consistent) leaf: it lists `exists: false`. */
  readonly allowsAbsent: boolean;
}

export function bindCondition(trie: PathTrie, c: Condition): BoundCondition {
  return {
    node: trie.acquire(c.segments),
    depth: c.segments.length,
    positives: c.matchers.filter((m) => !(m.kind === 'exists' && !m.value)),
    allowsAbsent: c.matchers.some((m) => m.kind === 'exists' && !m.value),
  };
}

export function branchHolds(trie: PathTrie, conditions: readonly BoundCondition[]): boolean {
  if (!trie.sawMembership) {
    for (const c of conditions) if (!holdsAlone(trie, c)) return false;
    return true;
  }
  return search(trie, conditions, 0, [], []);
}

function holdsAlone(trie: PathTrie, c: BoundCondition): boolean {
  const values = trie.valuesOf(c.node);
  if (values.length === 0) return c.allowsAbsent;
  for (const v of values) if (anyMatches(c.positives, v)) return true;
  return false;
}

function anyMatches(matchers: readonly Matcher[], v: unknown): boolean {
  for (const m of matchers) if (matchesValue(m, v)) return true;
  return false;
}

/** `held`: memberships of the leaves picked so far; a leaf joins them if consistent with each. */
function search(
  trie: PathTrie,
  conditions: readonly BoundCondition[],
  i: number,
  held: (Membership | null)[],
  absent: BoundCondition[],
): boolean {
  if (i === conditions.length) {
    for (const c of absent) for (const m of trie.membershipsOf(c.node)) if (fits(m, held)) return false;
    return true;
  }
  const c = conditions[i]!;
  const values = trie.valuesOf(c.node);
  const memberships = trie.membershipsOf(c.node);
  // Leaves with the same membership lead to the same outcome; try each membership once.
  const tried: (Membership | null)[] = [];
  for (let k = 0; k < values.length; k++) {
    const m = memberships[k] ?? null;
    if (tried.includes(m) || !fits(m, held) || !anyMatches(c.positives, values[k])) continue;
    tried.push(m);
    held.push(m);
    const holds = search(trie, conditions, i + 1, held, absent);
    held.pop();
    if (holds) return true;
  }
  if (!c.allowsAbsent) return false;
  absent.push(c);
  const holds = search(trie, conditions, i + 1, held, absent);
  absent.pop();
  return holds;
}

function fits(m: Membership | null, held: readonly (Membership | null)[]): boolean {
  for (const h of held) if (!consistent(m, h)) return false;
  return true;
}
