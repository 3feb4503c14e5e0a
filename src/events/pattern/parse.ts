/**
 * Validation and compilation of a pattern value into branches, following event-ruler's JsonRuleCompiler: the same
 * checks in the same order with the same reasons, `$or` multiplied out, and a later field of the same flattened
 * name replacing an earlier one in a branch (its "overriding" mode, which also makes duplicate keys last-wins).
 */
import { fold, type Branch, type Condition, type Matcher } from './ast.js';
import { parseCidr, parseIp } from './cidr.js';
import { PatternError } from './errors.js';
import { numericOperandError } from './numbers.js';
import { parseWildcard, type Glob } from './wildcard.js';

/** Keys refused inside `$or` objects (event-ruler's RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP). */
const RESERVED_IN_OR = new Set([
  'exactly', 'equals-ignore-case', 'prefix', 'suffix', 'anything-but', 'exists', 'wildcard', 'numeric', 'cidr',
  '=', '<', '<=', '>', '>=', 'regex', 'not-wildcard', 'not-equals-ignore-case', 'date-after', 'date-on-or-after',
  'date-before', 'date-on-or-before', 'in-date-range', 'ip-address-in-range', 'ip-address-not-in-range',
]);

/**
 * `$or` multiplies branches, so nested and parallel `$or`s grow them geometrically; a pattern past this is refused
 * before it can cost memory and matching time (Reflow's own guard; event-ruler has none).
 */
export const MAX_BRANCHES = 1000;

type BranchMap = Map<string, Matcher[]>;

/** Compiles a parsed pattern; throws PatternError. */
export function compileBranches(root: unknown): Branch[] {
  if (!isPlainObject(root)) throw new PatternError('Filter is not an object', '');
  const maps: BranchMap[] = [];
  parseObject(maps, [], root, false, '');
  const segmentsByName = new Map<string, readonly string[]>();
  return maps.map((map) => ({
    conditions: [...map].map(([name, matchers]): Condition => {
      let segments = segmentsByName.get(name);
      if (segments === undefined) segmentsByName.set(name, (segments = name.split('.')));
      return { name, segments, matchers };
    }),
  }));
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function fail(reason: string, path: string): never {
  throw new PatternError(reason, path);
}

function at(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** What Jackson's getText() shows for a token: how event-ruler names an unexpected member. */
function tokenText(v: unknown): string {
  if (v === undefined) return ']';
  if (Array.isArray(v)) return '[';
  if (v !== null && typeof v === 'object') return '{';
  return String(v);
}

function parseObject(maps: BranchMap[], names: string[], obj: Record<string, unknown>, insideOr: boolean, path: string): void {
  const keys = Object.keys(obj);
  if (keys.length === 0) fail('Empty objects are not allowed', path);
  for (const key of keys) {
    const value = obj[key];
    const p = at(path, key);
    if (key === '$or') {
      parseOr(maps, names, value, p);
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(key)) fail(`${key} is Ruler reserved fieldName which cannot be used inside $or.`, p);
    if (isPlainObject(value)) parseObject(maps, [...names, key], value, insideOr, p);
    else if (Array.isArray(value)) writeCondition(maps, [...names, key].join('.'), value, p);
    else fail(`"${key}" must be an object or an array`, p);
  }
}

function parseOr(maps: BranchMap[], names: string[], value: unknown, path: string): void {
  if (!Array.isArray(value)) fail('It must be an Array followed with $or.', path);
  const before = maps.map((m) => new Map(m));
  maps.length = 0;
  value.forEach((element, i) => {
    const p = `${path}[${i}]`;
    if (!isPlainObject(element)) fail('Only JSON object is allowed in array of $or relationship.', p);
    const forked = before.length === 0 ? [new Map()] : before.map((m) => new Map(m));
    parseObject(forked, names, element, true, p);
    maps.push(...forked);
    if (maps.length > MAX_BRANCHES) fail(`Rule is too complex - $or expands to more than ${MAX_BRANCHES} combinations`, path);
  });
  if (value.length < 2) fail('There must have at least 2 Objects in $or relationship.', path);
}

function writeCondition(maps: BranchMap[], name: string, values: unknown[], path: string): void {
  const matchers = values.map((v, i): Matcher => {
    const p = `${path}[${i}]`;
    if (isPlainObject(v)) return matchExpression(v, p);
    if (typeof v === 'string') return { kind: 'exact', value: v, ip: parseIp(v) };
    if (isNumber(v) || typeof v === 'boolean' || v === null) return { kind: 'exact', value: v, ip: null };
    return fail('Match value must be String, number, true, false, or null', p);
  });
  if (matchers.length === 0) fail('Empty arrays are not allowed', path);
  if (maps.length === 0) maps.push(new Map());
  for (const map of maps) map.set(name, matchers);
}

function matchExpression(obj: Record<string, unknown>, path: string): Matcher {
  const keys = Object.keys(obj);
  if (keys.length === 0) fail('Match expression name not found', path);
  const op = keys[0]!;
  const value = obj[op];
  const p = at(path, op);
  let extraKey = 'Only one key allowed in match expression';
  let matcher: Matcher;
  switch (op) {
    case 'exactly':
      if (typeof value !== 'string') fail('exact match pattern must be a string', p);
      matcher = { kind: 'exact', value, ip: null };
      break;
    case 'prefix':
    case 'suffix':
      matcher = affix(op, value, p);
      break;
    case 'equals-ignore-case':
      if (typeof value !== 'string') fail('equals-ignore-case match pattern must be a string', p);
      matcher = { kind: 'equals-ignore-case', value: fold(value) };
      break;
    case 'wildcard':
      if (typeof value !== 'string') fail('wildcard match pattern must be a string', p);
      matcher = { kind: 'wildcard', glob: glob(value, p) };
      break;
    case 'numeric':
      if (!Array.isArray(value)) fail('Value of numeric must be an array.', p);
      matcher = numeric(value, p);
      extraKey = 'Too many elements in numeric expression';
      break;
    case 'anything-but':
      matcher = anythingBut(value, p);
      break;
    case 'exists':
      if (typeof value !== 'boolean') fail('exists match pattern must be either true or false.', p);
      matcher = { kind: 'exists', value };
      break;
    case 'cidr': {
      if (typeof value !== 'string') fail('cidr match pattern must be a string', p);
      const range = parseCidr(value);
      if (typeof range === 'string') fail(range, p);
      matcher = { kind: 'cidr', v6: range.lo.length > 8, lo: range.lo, hi: range.hi };
      break;
    }
    default:
      return fail(`Unrecognized match type ${op}`, p);
  }
  if (keys.length > 1) fail(extraKey, at(path, keys[1]!));
  return matcher;
}

function affix(op: 'prefix' | 'suffix', value: unknown, path: string): Matcher {
  if (!isPlainObject(value)) {
    if (typeof value !== 'string') fail(`${op} match pattern must be a string`, path);
    return { kind: op, value, ignoreCase: false };
  }
  const keys = Object.keys(value);
  if (keys.length === 0) fail(`${op === 'prefix' ? 'Prefix' : 'Suffix'} expression name not found`, path);
  const sub = keys[0]!;
  const p = at(path, sub);
  if (sub !== 'equals-ignore-case') fail(`Unsupported ${op} pattern: ${sub}`, p);
  const text = value[sub];
  if (typeof text !== 'string') fail('equals-ignore-case match pattern must be a string', p);
  if (keys.length > 1) fail('Only one key allowed in match expression', at(path, keys[1]!));
  return { kind: op, value: fold(text), ignoreCase: true };
}

function glob(value: string, path: string): Glob {
  const g = parseWildcard(value);
  if (typeof g === 'string') fail(g, path);
  return g;
}

function operand(n: number, path: string): number {
  const reason = numericOperandError(n);
  if (reason !== null) fail(reason, path);
  return n;
}

/** event-ruler reads the numeric array as a token stream; the checks (and their wording) follow that order. */
function numeric(terms: unknown[], path: string): Matcher {
  const p = (i: number) => `${path}[${i}]`;
  const op = terms[0];
  if (typeof op !== 'string') fail(`Invalid member in numeric match: ${tokenText(op)}`, p(0));
  const first = terms[1];
  const name = op === '=' ? 'equals' : op;
  if (!['=', '>', '>=', '<', '<='].includes(op)) fail(`Unrecognized numeric range operator: ${op}`, p(0));
  if (!isNumber(first)) fail(`Value of ${name} must be numeric`, p(1));
  if (op === '>' || op === '>=') {
    if (terms.length === 2) return { kind: 'numeric', lo: operand(first, p(1)), loOpen: op === '>', hi: Infinity, hiOpen: true };
    const topOp = terms[2];
    if (typeof topOp !== 'string') fail(`Bad value in numeric range: ${tokenText(topOp)}`, p(2));
    if (topOp !== '<' && topOp !== '<=') fail(`Bad numeric range operator: ${topOp}`, p(2));
    const top = terms[3];
    if (!isNumber(top)) fail(`Value of ${topOp} must be numeric`, p(3));
    if (terms.length > 4) fail('Too many terms in numeric range expression', p(4));
    operand(first, p(1));
    operand(top, p(3));
    if (!(first < top)) fail('Bottom must be less than top', path);
    return { kind: 'numeric', lo: first, loOpen: op === '>', hi: top, hiOpen: topOp === '<' };
  }
  if (terms.length > 2) fail('Too many elements in numeric expression', p(2));
  operand(first, p(1));
  if (op === '=') return { kind: 'numeric', lo: first, loOpen: false, hi: first, hiOpen: false };
  return { kind: 'numeric', lo: -Infinity, loOpen: true, hi: first, hiOpen: op === '<' };
}

function anythingBut(value: unknown, path: string): Matcher {
  if (isPlainObject(value)) return anythingButOperator(value, path);
  const list = Array.isArray(value) ? value : [value];
  if (!Array.isArray(value) && typeof value !== 'string' && !isNumber(value)) {
    fail('Value of anything-but must be an array or single string/number value.', path);
  }
  const strings = new Set<string>();
  const numbers = new Set<number>();
  list.forEach((v, i) => {
    const p = Array.isArray(value) ? `${path}[${i}]` : path;
    if (typeof v === 'string') strings.add(v);
    else if (isNumber(v)) numbers.add(operand(v, p));
    else fail('Inside anything but list, start|null|boolean is not supported.', p);
  });
  if ((strings.size > 0) === (numbers.size > 0)) {
    fail('Inside anything but list, either all values are number or string, mixed type is not supported', path);
  }
  return { kind: 'anything-but', strings, numbers };
}

function anythingButOperator(obj: Record<string, unknown>, path: string): Matcher {
  const keys = Object.keys(obj);
  if (keys.length === 0) fail('Anything-But expression name not found', path);
  const op = keys[0]!;
  const p = at(path, op);
  if (op !== 'equals-ignore-case' && op !== 'prefix' && op !== 'suffix' && op !== 'wildcard') {
    fail(`Unsupported anything-but pattern: ${op}`, p);
  }
  const value = obj[op];
  if (!Array.isArray(value) && typeof value !== 'string' && !isNumber(value)) {
    fail('Value of anything-but must be an array or single string/number value.', p);
  }
  const list = Array.isArray(value) ? value : [value];
  // event-ruler lets an empty list through (it then excludes nothing); Reflow refuses empty arrays everywhere.
  if (list.length === 0) fail('Empty arrays are not allowed', p);
  const texts = list.map((v, i) => {
    const ip = Array.isArray(value) ? `${p}[${i}]` : p;
    if (typeof v !== 'string') {
      if (op === 'equals-ignore-case') fail('Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.', ip);
      if (op === 'wildcard') fail('wildcard match pattern must be a string', ip);
      fail('prefix/suffix match pattern must be a string', ip);
    }
    if ((op === 'prefix' || op === 'suffix') && v === '') fail('Null prefix/suffix not allowed', ip);
    return v;
  });
  if (keys.length > 1) fail('Only one key allowed in match expression', at(path, keys[1]!));
  switch (op) {
    case 'equals-ignore-case':
      return { kind: 'anything-but-ignore-case', values: new Set(texts.map(fold)) };
    case 'wildcard':
      return { kind: 'anything-but-wildcard', globs: texts.map((t) => glob(t, p)) };
    default:
      return { kind: op === 'prefix' ? 'anything-but-prefix' : 'anything-but-suffix', values: texts };
  }
}
