/**
 * Whether one event leaf value satisfies one matcher. String operators see only strings and numeric ones only
 * numbers, because event-ruler keeps strings quoted and numbers bare; anything-but holds for a value of another
 * type than the ones it lists (`anything-but: [111]` holds for "111").
 */
import { fold, type Matcher } from './ast.js';
import { parseIp } from './cidr.js';
import { inNumericLimits } from './numbers.js';
import { matchesGlob } from './wildcard.js';

export function matchesValue(m: Matcher, v: unknown): boolean {
  switch (m.kind) {
    case 'exact':
      if (m.ip !== null) return typeof v === 'string' && (v === m.value || parseIp(v) === m.ip);
      return v === m.value;
    case 'prefix':
      return typeof v === 'string' && (m.ignoreCase ? fold(v) : v).startsWith(m.value);
    case 'suffix':
      return typeof v === 'string' && (m.ignoreCase ? fold(v) : v).endsWith(m.value);
    case 'equals-ignore-case':
      return typeof v === 'string' && fold(v) === m.value;
    case 'wildcard':
      return typeof v === 'string' && matchesGlob(m.glob, v);
    case 'numeric':
      return typeof v === 'number' && inNumericLimits(v) && inRange(v, m.lo, m.loOpen, m.hi, m.hiOpen);
    case 'cidr': {
      if (typeof v !== 'string') return false;
      const ip = parseIp(v);
      return ip !== null && ip.length === m.lo.length && ip >= m.lo && ip <= m.hi;
    }
    case 'exists':
      return m.value;
    case 'anything-but':
      return typeof v === 'string' ? !m.strings.has(v) : typeof v === 'number' ? !m.numbers.has(v) : true;
    case 'anything-but-prefix':
      return typeof v !== 'string' || !m.values.some((p) => v.startsWith(p));
    case 'anything-but-suffix':
      return typeof v !== 'string' || !m.values.some((s) => v.endsWith(s));
    case 'anything-but-ignore-case':
      return typeof v !== 'string' || !m.values.has(fold(v));
    case 'anything-but-wildcard':
      return typeof v !== 'string' || !m.globs.some((g) => matchesGlob(g, v));
  }
}

export function inRange<T extends number | string>(v: T, lo: T, loOpen: boolean, hi: T, hiOpen: boolean): boolean {
  return (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
}
