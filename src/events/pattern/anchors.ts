/**
 * Choosing the anchor of a branch: the condition expected to nominate it least often. The matcher has no event
 * statistics, so the odds that an event carries a given value are taken from the rules themselves: one over the
 * number of distinct values of that kind that rules name at the field (two thousand tenants make one tenant rare;
 * ten sources make one source common). A value's expected nominations are its odds times the branches already filed
 * under it plus this one. Patterns (prefix, suffix, wildcard) are weighed as four times likelier than a value with
 * the same odds, because a short literal such as "uploads/" can be common however many distinct literals there
 * are; a range holds for a good share of numbers; presence (anything-but, exists) for nearly every event that has
 * the field.
 */
import type { Matcher } from './ast.js';
import type { BoundCondition } from './evaluate.js';
import type { PathNode } from './flatten.js';
import { isValueIndexable, type Candidate, type NodeIndex } from './node-index.js';
import { literalPrefix, literalSuffix } from './wildcard.js';

/** How a branch is filed when it is anchored on the presence of a field. */
export const PRESENCE: Matcher = { kind: 'exists', value: true };

const PATTERN_WEIGHT = 4;
type Kind = 'value' | 'prefix' | 'suffix' | 'wildcard';

/** The distinct values (per kind) that rules name at each field, with use counts. */
export class Vocabulary {
  readonly #fields = new Map<PathNode, Map<string, number>>();
  readonly #distinct = new Map<PathNode, Record<Kind, number>>();

  count(c: BoundCondition, delta: 1 | -1): void {
    for (const m of c.positives) {
      const word = wordOf(m);
      if (word === null) continue;
      let words = this.#fields.get(c.node);
      let distinct = this.#distinct.get(c.node);
      if (words === undefined || distinct === undefined) {
        this.#fields.set(c.node, (words = new Map()));
        this.#distinct.set(c.node, (distinct = { value: 0, prefix: 0, suffix: 0, wildcard: 0 }));
      }
      const key = `${word.kind}:${word.text}`;
      const n = (words.get(key) ?? 0) + delta;
      if (n > 0) words.set(key, n);
      else words.delete(key);
      if (n === 0) distinct[word.kind]--;
      else if (n === 1 && delta > 0) distinct[word.kind]++;
      if (words.size === 0) {
        this.#fields.delete(c.node);
        this.#distinct.delete(c.node);
      }
    }
  }

  distinct(node: PathNode, kind: Kind): number {
    return Math.max(1, this.#distinct.get(node)?.[kind] ?? 0);
  }
}

/**
 * The expected nominations of a branch anchored on `c`, or null when `c` cannot anchor: a condition that absence
 * satisfies may hold with no leaf at all, so no leaf can be relied on to nominate it.
 */
export function anchorCost<C extends Candidate>(
  c: BoundCondition,
  index: NodeIndex<C>,
  vocabulary: Vocabulary,
): { cost: number; byPresence: boolean } | null {
  if (c.allowsAbsent) return null;
  // On a tie the deeper field wins: `detail.*` values tell events apart better than envelope ones.
  const tieBreak = -c.depth / 1e6;
  if (!c.positives.every(isValueIndexable)) return { cost: index.filedWith(PRESENCE) + 1 + tieBreak, byPresence: true };
  let cost = tieBreak;
  for (const m of c.positives) {
    const filed = index.filedWith(m) + 1;
    const word = wordOf(m);
    if (word !== null) {
      cost += (filed / vocabulary.distinct(c.node, word.kind)) * (word.kind === 'value' ? 1 : PATTERN_WEIGHT);
    } else cost += m.kind === 'cidr' ? filed / 4 : filed / 2;
  }
  return { cost, byPresence: false };
}

/** The value a matcher names, by kind; null for ranges and presence. Wildcards count by the literal they are filed under. */
function wordOf(m: Matcher): { kind: Kind; text: string } | null {
  switch (m.kind) {
    case 'exact':
      return { kind: 'value', text: m.ip ?? `${typeof m.value}:${String(m.value)}` };
    case 'equals-ignore-case':
      return { kind: 'value', text: `folded:${m.value}` };
    case 'numeric':
      return m.lo === m.hi ? { kind: 'value', text: `number:${m.lo}` } : null;
    case 'prefix':
    case 'suffix':
      return { kind: m.kind, text: `${m.ignoreCase ? 'folded:' : ''}${m.value}` };
    case 'wildcard': {
      const start = literalPrefix(m.glob);
      return { kind: 'wildcard', text: start !== '' ? start : `*${literalSuffix(m.glob)}` };
    }
    default:
      return null;
  }
}
