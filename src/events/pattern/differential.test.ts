/**
 * Randomized differential test: random patterns from a small grammar (every operator, $or, nested fields, arrays of
 * objects) over random events drawn from the same small vocabularies, so that matches are frequent. A PatternMatcher
 * holding all patterns must report exactly the rules that testEventPattern accepts one by one, also after rules are
 * replaced and deleted (which re-files anchors).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPattern, compilePattern, PatternMatcher, testEventPattern, type CompiledPattern } from './index.js';

type Rng = () => number;

function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const STRINGS = ['a', 'ab', 'abc', 'Ab', 'b', 'ba', 'x.png', 'X.PNG', '', '10.0.0.7', '10.1.0.7', '2001:db8::1', '*'];
const NUMBERS = [0, 1, 2.5, -3, 5, 100];
const SCALARS: unknown[] = [...STRINGS, ...NUMBERS, true, false, null];
// Field names in patterns; `items` is an array of objects in events, so its fields test array consistency.
const FIELDS = [['a'], ['b'], ['c', 'd'], ['c', 'e'], ['items', 'x'], ['items', 'y']];

function matcher(r: Rng): unknown {
  switch (Math.floor(r() * 14)) {
    case 0:
    case 1:
      return pick(r, SCALARS);
    case 2:
      return { prefix: pick(r, ['a', 'ab', 'x', '1']) };
    case 3:
      return { suffix: pick(r, ['b', '.png', '7']) };
    case 4:
      return { 'equals-ignore-case': pick(r, ['ab', 'X.png']) };
    case 5:
      return { [pick(r, ['prefix', 'suffix'])]: { 'equals-ignore-case': pick(r, ['A', 'B', '.PNG']) } };
    case 6:
      return { wildcard: pick(r, ['a*', '*b', 'a*c', '*.png', '*', '10.*.7']) };
    case 7:
      return { 'anything-but': r() < 0.5 ? pick(r, ['a', 'ab']) : pick(r, [[0, 1], [5], ['a', 'b']]) };
    case 8:
      return { 'anything-but': { [pick(r, ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'])]: pick(r, ['a', 'b', 'A*']) } };
    case 9:
      return { numeric: pick(r, [['>', 0], ['<=', 2.5], ['>=', -3, '<', 5], ['=', 100], ['>', 0, '<=', 1]]) };
    case 10:
      return { exists: r() < 0.5 };
    case 11:
      return { cidr: pick(r, ['10.0.0.0/16', '10.0.0.0/8', '2001:db8::/32']) };
    default:
      return pick(r, STRINGS);
  }
}

function setField(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    node = (next !== undefined && typeof next === 'object' && !Array.isArray(next) ? next : (node[segment] = {})) as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function conjunction(r: Rng): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const values = Array.from({ length: 1 + Math.floor(r() * 2) }, () => matcher(r));
    setField(out, pick(r, FIELDS), values);
  }
  return out;
}

function pattern(r: Rng): Record<string, unknown> {
  const base = conjunction(r);
  if (r() < 0.2) base['$or'] = [conjunction(r), conjunction(r)];
  return base;
}

function event(r: Rng): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const scalarOrList = () => (r() < 0.2 ? Array.from({ length: Math.floor(r() * 3) }, () => pick(r, SCALARS)) : pick(r, SCALARS));
  for (const path of FIELDS.slice(0, 4)) if (r() < 0.7) setField(out, path, scalarOrList());
  if (r() < 0.7) {
    out['items'] = Array.from({ length: Math.floor(r() * 3) }, () => {
      const item: Record<string, unknown> = {};
      if (r() < 0.8) item['x'] = scalarOrList();
      if (r() < 0.8) item['y'] = scalarOrList();
      return item;
    });
  }
  return out;
}

function expected(patterns: Map<number, CompiledPattern>, e: object): number[] {
  return [...patterns].filter(([, p]) => testEventPattern(p, e)).map(([k]) => k);
}

test('PatternMatcher agrees with testEventPattern on random patterns and events', () => {
  for (const seed of [1, 2, 3]) {
    const r = rng(seed);
    const patterns = new Map<number, CompiledPattern>();
    const m = new PatternMatcher<number>();
    for (let k = 0; patterns.size < 300; k++) {
      const p = pattern(r);
      if (checkPattern(p) !== null) continue; // a random field collision can make a pattern invalid
      patterns.set(k, compilePattern(p));
      m.add(k, p);
    }
    const events = Array.from({ length: 300 }, () => event(r));
    let matched = 0;
    const compare = (phase: string) => {
      for (const e of events) {
        const want = expected(patterns, e);
        matched += want.length;
        assert.deepEqual(m.matches(e).sort((x, y) => x - y), want, `seed ${seed}, ${phase}, event ${JSON.stringify(e)}`);
      }
    };
    compare('all rules');
    // Replace a third of the rules and delete another third, then compare again.
    const keys = [...patterns.keys()];
    keys.forEach((k, i) => {
      if (i % 3 === 0) {
        let p = pattern(r);
        while (checkPattern(p) !== null) p = pattern(r);
        patterns.set(k, compilePattern(p));
        m.add(k, p);
      } else if (i % 3 === 1) {
        patterns.delete(k);
        m.delete(k);
      }
    });
    assert.equal(m.size, patterns.size);
    compare('after replace/delete');
    assert.ok(matched > 1000, `the grammar should produce matches (got ${matched})`);
  }
});
