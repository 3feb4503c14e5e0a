/**
 * EventBridge's wildcard complexity limit ("Rule is too complex - try using fewer wildcard characters or fewer
 * repeating character sequences after a wildcard character"), after event-ruler's MachineComplexityEvaluator.
 *
 * event-ruler matches a field's values with a byte automaton over the value's JSON text (quotes included). A `*` is a
 * state that loops on every byte, so after reading some input several states can be live at once, and each keeps the
 * wildcard patterns that can still be reached from it in play. The complexity of a field's automaton is the largest,
 * over every possible input, of the sum over live states of the wildcard patterns reachable from each; a rule is
 * refused when one of its automata goes over the limit. So `a*b*c*…` (each star stays live once entered) and
 * `*aaaa…` (every `a` state is live on an input of a's) are expensive, while a few stars in a value are not.
 *
 * The automata are modelled as event-ruler builds them when it adds one rule: fields in name order, each field's
 * values leading to the next name state, a value already present reusing its existing next state; literal text before
 * a value's first `*` is shared between values (a trie), text after it is not. Only `wildcard` values count, as in
 * event-ruler (anything-but wildcards are not WILDCARD patterns there).
 *
 * The limit itself, 10, is not in the recorded AWS answers (../shared/conformance has no such case); it is what
 * public reimplementations report for EventBridge, and it leaves every recorded pattern (and any value with a handful
 * of stars) well inside.
 */
import type { Branch, Condition, Matcher } from './ast.js';
import type { Glob } from './wildcard.js';

export const MAX_WILDCARD_COMPLEXITY = 10;

export const TOO_COMPLEX =
  'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';

/** Explored sets of live states per automaton: past this the automaton counts as too complex (pathological input). */
const MAX_EXPLORED = 20_000;

/** The largest automaton complexity of the rule, capped just past `limit` (evaluation stops there). */
export function wildcardComplexity(branches: readonly Branch[], limit = MAX_WILDCARD_COMPLEXITY): number {
  if (!branches.some((b) => b.conditions.some((c) => c.matchers.some((m) => m.kind === 'wildcard')))) return 0;
  let worst = 0;
  for (const globs of fieldAutomata(branches)) {
    worst = Math.max(worst, automatonComplexity(globs, limit));
    if (worst > limit) return worst;
  }
  return worst;
}

// ---------------------------------------------------------------------------------------------------------------
// Name states: which values share one field automaton

interface NameState {
  readonly fields: Map<string, FieldAutomaton>;
}

interface FieldAutomaton {
  /** Distinct wildcard values on this field at this name state. */
  readonly globs: Map<string, Glob>;
  /** Next name state per value. */
  readonly next: Map<string, NameState>;
}

/** The wildcard values of every field automaton of the rule's name-state graph. */
function fieldAutomata(branches: readonly Branch[]): Array<Glob[]> {
  const root: NameState = { fields: new Map() };
  for (const branch of branches) {
    let states = new Set<NameState>([root]);
    const conditions = [...branch.conditions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const condition of conditions) states = admit(states, condition);
  }
  const out: Array<Glob[]> = [];
  const seen = new Set<NameState>();
  const pending = [root];
  while (pending.length > 0) {
    const state = pending.pop()!;
    if (seen.has(state)) continue;
    seen.add(state);
    for (const automaton of state.fields.values()) {
      if (automaton.globs.size > 0) out.push([...automaton.globs.values()]);
      pending.push(...automaton.next.values());
    }
  }
  return out;
}

function admit(states: Set<NameState>, condition: Condition): Set<NameState> {
  const next = new Set<NameState>();
  for (const state of states) {
    let automaton = state.fields.get(condition.name);
    if (automaton === undefined) state.fields.set(condition.name, (automaton = { globs: new Map(), next: new Map() }));
    // One rule's values of a field lead to one new name state, unless a value is already there: then the values
    // after it join that value's existing state.
    let last: NameState | undefined;
    for (const matcher of condition.matchers) {
      const id = identity(matcher);
      if (matcher.kind === 'wildcard') automaton.globs.set(id, matcher.glob);
      const existing = automaton.next.get(id);
      if (existing !== undefined) last = existing;
      else {
        last ??= { fields: new Map() };
        automaton.next.set(id, last);
      }
      next.add(last);
    }
  }
  return next;
}

function identity(m: Matcher): string {
  switch (m.kind) {
    case 'exact':
      return `=${JSON.stringify(m.value)}`;
    case 'prefix':
    case 'suffix':
      return `${m.kind}${m.ignoreCase ? '~' : ''}:${m.value}`;
    case 'equals-ignore-case':
      return `~:${m.value}`;
    case 'wildcard':
      return `*:${JSON.stringify(m.glob)}`;
    case 'numeric':
      return `#${m.loOpen ? '(' : '['}${m.lo},${m.hi}${m.hiOpen ? ')' : ']'}`;
    case 'cidr':
      return `cidr:${m.lo}-${m.hi}`;
    case 'exists':
      return `exists:${m.value}`;
    case 'anything-but':
      return `!:${JSON.stringify([...m.strings].sort())}${JSON.stringify([...m.numbers].sort((a, b) => a - b))}`;
    case 'anything-but-prefix':
    case 'anything-but-suffix':
      return `${m.kind}:${JSON.stringify([...m.values].sort())}`;
    case 'anything-but-ignore-case':
      return `!~:${JSON.stringify([...m.values].sort())}`;
    case 'anything-but-wildcard':
      return `!*:${JSON.stringify(m.globs)}`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// One field's automaton

const QUOTE = 0x22;
const STAR = -1;

interface State {
  /** Byte transitions. */
  readonly bytes: Map<number, number[]>;
  /** Shared trie children (literal text before the first star). */
  readonly trie: Map<number, number>;
  /** The star state this one can pass into without reading a byte (a star matches the empty string too). */
  star: number;
  /** A star state: every byte keeps it live. */
  readonly loops: boolean;
  /** Wildcard values reachable from here. */
  readonly reach: Set<number>;
}

function newState(states: State[], loops: boolean): number {
  states.push({ bytes: new Map(), trie: new Map(), star: -1, loops, reach: new Set() });
  return states.length - 1;
}

/** A value's bytes as event-ruler reads them: inside its JSON quotes, each `*` a STAR. */
function tokens(glob: Glob): number[] {
  const out = [QUOTE];
  if (glob.leadingStar) out.push(STAR);
  glob.parts.forEach((part, i) => {
    if (i > 0) out.push(STAR);
    for (const byte of Buffer.from(part, 'utf8')) out.push(byte);
  });
  if (glob.trailingStar) out.push(STAR);
  out.push(QUOTE);
  return out;
}

function addTransition(state: State, byte: number, to: number): void {
  const list = state.bytes.get(byte);
  if (list === undefined) state.bytes.set(byte, [to]);
  else if (!list.includes(to)) list.push(to);
}

function build(globs: readonly Glob[]): { states: State[]; alphabet: number[] } {
  const states: State[] = [];
  const root = newState(states, false);
  const alphabet = new Set<number>();
  globs.forEach((glob, value) => {
    let current = root;
    let shared = true; // still in the literal text before the first star
    for (const token of tokens(glob)) {
      let next: number;
      if (token === STAR) {
        if (shared && states[current]!.star >= 0) next = states[current]!.star;
        else {
          next = newState(states, true);
          states[current]!.star = next;
        }
        shared = false;
      } else {
        alphabet.add(token);
        const existing = shared ? states[current]!.trie.get(token) : undefined;
        if (existing !== undefined) next = existing;
        else {
          next = newState(states, false);
          if (shared) states[current]!.trie.set(token, next);
          addTransition(states[current]!, token, next);
        }
      }
      states[next]!.reach.add(value);
      current = next;
    }
  });
  return { states, alphabet: [...alphabet] };
}

/** Adds the star states reachable without reading a byte. */
function close(states: readonly State[], live: Set<number>): Set<number> {
  for (const id of live) {
    let star = states[id]!.star;
    while (star >= 0 && !live.has(star)) {
      live.add(star);
      star = states[star]!.star;
    }
  }
  return live;
}

function automatonComplexity(globs: readonly Glob[], limit: number): number {
  const { states, alphabet } = build(globs);
  // One byte no value names stands for all of them: they only keep star states live.
  const OTHER = -2;
  const inputs = [...alphabet, OTHER];
  const start = close(states, new Set([0]));
  const seen = new Set<string>([key(start)]);
  const pending = [start];
  let worst = 0;
  while (pending.length > 0) {
    const live = pending.pop()!;
    for (const byte of inputs) {
      const next = new Set<number>();
      for (const id of live) {
        const state = states[id]!;
        if (state.loops) next.add(id);
        if (byte !== OTHER) for (const to of state.bytes.get(byte) ?? []) next.add(to);
      }
      if (next.size === 0) continue;
      close(states, next);
      let complexity = 0;
      for (const id of next) complexity += states[id]!.reach.size;
      if (complexity > limit) return complexity;
      if (complexity > worst) worst = complexity;
      const k = key(next);
      if (seen.has(k)) continue;
      if (seen.size >= MAX_EXPLORED) return limit + 1;
      seen.add(k);
      pending.push(next);
    }
  }
  return worst;
}

function key(live: Set<number>): string {
  return [...live].sort((a, b) => a - b).join(',');
}
