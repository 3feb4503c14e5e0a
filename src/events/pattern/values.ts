/**
 * Whether an event leaf value satisfies a matcher, as a predicate built once per condition. String operators see
 * only strings and numeric ones only numbers, because event-ruler keeps strings quoted and numbers bare; anything-but
 * holds for a value of another type than the ones it lists (`anything-but: [111]` holds for "111").
 *
 * Predicates rather than a switch over the matcher: a candidate branch is checked on the hot path, and one closure
 * per condition avoids dispatching on matcher objects of a dozen shapes for every leaf.
 */
import { fold, type Matcher } from './ast.js';
import { parseIp } from './cidr.js';
import { inNumericLimits } from './numbers.js';
import { matchesGlob } from './wildcard.js';

export type ValueTest = (v: unknown) => boolean;

/** A test that holds when any of `matchers` holds. */
export function anyOf(matchers: readonly Matcher[]): ValueTest {
  // A list of plain values (the commonest condition) is one set lookup; Set's SameValueZero keeps "5" apart from 5.
  if (matchers.length > 1 && matchers.every((m) => m.kind === 'exact' && m.ip === null)) {
    const values = new Set(matchers.map((m) => (m as { value: unknown }).value));
    return (v) => values.has(v);
  }
  const tests = matchers.map(valueTest);
  if (tests.length === 1) return tests[0]!;
  return (v) => {
    for (const t of tests) if (t(v)) return true;
    return false;
  };
}

function valueTest(m: Matcher): ValueTest {
  switch (m.kind) {
    case 'exact': {
      const { value, ip } = m;
      if (ip === null) return (v) => v === value;
      return (v) => typeof v === 'string' && (v === value || parseIp(v) === ip);
    }
    case 'prefix': {
      const p = m.value;
      return m.ignoreCase ? (v) => typeof v === 'string' && fold(v).startsWith(p) : (v) => typeof v === 'string' && v.startsWith(p);
    }
    case 'suffix': {
      const s = m.value;
      return m.ignoreCase ? (v) => typeof v === 'string' && fold(v).endsWith(s) : (v) => typeof v === 'string' && v.endsWith(s);
    }
    case 'equals-ignore-case': {
      const folded = m.value;
      return (v) => typeof v === 'string' && fold(v) === folded;
    }
    case 'wildcard': {
      const g = m.glob;
      return (v) => typeof v === 'string' && matchesGlob(g, v);
    }
    case 'numeric': {
      const { lo, loOpen, hi, hiOpen } = m;
      return (v) => typeof v === 'number' && inNumericLimits(v) && inRange(v, lo, loOpen, hi, hiOpen);
    }
    case 'cidr': {
      const { lo, hi } = m;
      return (v) => {
        if (typeof v !== 'string') return false;
        const ip = parseIp(v);
        return ip !== null && ip.length === lo.length && ip >= lo && ip <= hi;
      };
    }
    case 'exists': {
      const present = m.value;
      return () => present;
    }
    case 'anything-but': {
      const { strings, numbers } = m;
      return (v) => (typeof v === 'string' ? !strings.has(v) : typeof v === 'number' ? !numbers.has(v) : true);
    }
    case 'anything-but-prefix': {
      const values = m.values;
      return (v) => typeof v !== 'string' || !values.some((p) => v.startsWith(p));
    }
    case 'anything-but-suffix': {
      const values = m.values;
      return (v) => typeof v !== 'string' || !values.some((s) => v.endsWith(s));
    }
    case 'anything-but-ignore-case': {
      const values = m.values;
      return (v) => typeof v !== 'string' || !values.has(fold(v));
    }
    case 'anything-but-wildcard': {
      const globs = m.globs;
      return (v) => typeof v !== 'string' || !globs.some((g) => matchesGlob(g, v));
    }
  }
}

function inRange(v: number, lo: number, loOpen: boolean, hi: number, hiOpen: boolean): boolean {
  return (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
}
