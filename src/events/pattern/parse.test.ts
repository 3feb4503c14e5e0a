import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReflowError } from '../../errors.js';
import { checkPattern, compilePattern } from './index.js';
import { compileBranches, MAX_BRANCHES } from './parse.js';

/** Asserts that `pattern` is refused with event-ruler's `reason` at `path`. */
function refused(pattern: unknown, reason: string, path: string): void {
  const err = checkPattern(pattern as object);
  assert.ok(err instanceof ReflowError, `expected ${JSON.stringify(pattern)} to be refused`);
  assert.equal(err.code, 'InvalidEventPattern');
  assert.equal(err.field, path === '' ? undefined : path);
  assert.equal(err.message.split('\n')[0], `Event pattern is not valid. Reason: ${reason}`);
  if (path !== '') assert.equal(err.message.split('\n')[1], ` at ${path}`);
  assert.throws(() => compilePattern(pattern as object), (e: unknown) => e instanceof ReflowError && e.message === err.message);
}

describe('structure errors', () => {
  test('the root, objects and arrays', () => {
    refused([], 'Filter is not an object', '');
    refused({}, 'Empty objects are not allowed', '');
    refused({ detail: {} }, 'Empty objects are not allowed', 'detail');
    refused({ detail: { name: 'x' } }, '"name" must be an object or an array', 'detail.name');
    refused({ a: 5 }, '"a" must be an object or an array', 'a');
    refused({ a: [] }, 'Empty arrays are not allowed', 'a');
    refused({ a: [['x']] }, 'Match value must be String, number, true, false, or null', 'a[0]');
    refused({ a: ['x', undefined] }, 'Match value must be String, number, true, false, or null', 'a[1]');
    refused({ a: [Number.NaN] }, 'Match value must be String, number, true, false, or null', 'a[0]');
  });

  test('match expressions', () => {
    refused({ a: [{}] }, 'Match expression name not found', 'a[0]');
    refused({ a: [{ regex: 'x' }] }, 'Unrecognized match type regex', 'a[0].regex');
    refused({ a: [{ prefix: 'x', suffix: 'y' }] }, 'Only one key allowed in match expression', 'a[0].suffix');
    refused({ a: [{ exactly: 1 }] }, 'exact match pattern must be a string', 'a[0].exactly');
    refused({ a: [{ prefix: 1 }] }, 'prefix match pattern must be a string', 'a[0].prefix');
    refused({ a: [{ suffix: null }] }, 'suffix match pattern must be a string', 'a[0].suffix');
    refused({ a: [{ prefix: {} }] }, 'Prefix expression name not found', 'a[0].prefix');
    refused({ a: [{ suffix: { wildcard: 'x' } }] }, 'Unsupported suffix pattern: wildcard', 'a[0].suffix.wildcard');
    refused({ a: [{ prefix: { 'equals-ignore-case': 1 } }] }, 'equals-ignore-case match pattern must be a string', 'a[0].prefix.equals-ignore-case');
    refused({ a: [{ 'equals-ignore-case': ['x'] }] }, 'equals-ignore-case match pattern must be a string', 'a[0].equals-ignore-case');
    refused({ a: [{ exists: 'yes' }] }, 'exists match pattern must be either true or false.', 'a[0].exists');
  });

  test('wildcard', () => {
    refused({ a: [{ wildcard: 5 }] }, 'wildcard match pattern must be a string', 'a[0].wildcard');
    refused({ a: [{ wildcard: 'ab**c' }] }, 'Consecutive wildcard characters at pos 3', 'a[0].wildcard');
    refused({ a: [{ wildcard: 'é**' }] }, 'Consecutive wildcard characters at pos 3', 'a[0].wildcard'); // UTF-8 bytes
    refused({ a: [{ wildcard: 'a\\b' }] }, 'Invalid escape character at pos 2', 'a[0].wildcard');
    refused({ a: [{ wildcard: 'a\\' }] }, 'Invalid escape character at pos 2', 'a[0].wildcard');
  });

  test('numeric', () => {
    refused({ a: [{ numeric: 5 }] }, 'Value of numeric must be an array.', 'a[0].numeric');
    refused({ a: [{ numeric: [] }] }, 'Invalid member in numeric match: ]', 'a[0].numeric[0]');
    refused({ a: [{ numeric: [5] }] }, 'Invalid member in numeric match: 5', 'a[0].numeric[0]');
    refused({ a: [{ numeric: ['!', 5] }] }, 'Unrecognized numeric range operator: !', 'a[0].numeric[0]');
    refused({ a: [{ numeric: ['=', '5'] }] }, 'Value of equals must be numeric', 'a[0].numeric[1]');
    refused({ a: [{ numeric: ['<', 5, '>', 1] }] }, 'Too many elements in numeric expression', 'a[0].numeric[2]');
    refused({ a: [{ numeric: ['>', 1, 5] }] }, 'Bad value in numeric range: 5', 'a[0].numeric[2]');
    refused({ a: [{ numeric: ['>', 1, '>', 5] }] }, 'Bad numeric range operator: >', 'a[0].numeric[2]');
    refused({ a: [{ numeric: ['>', 1, '<', 'x'] }] }, 'Value of < must be numeric', 'a[0].numeric[3]');
    refused({ a: [{ numeric: ['>', 1, '<', 5, 6] }] }, 'Too many terms in numeric range expression', 'a[0].numeric[4]');
    refused({ a: [{ numeric: ['>', 5, '<', 5] }] }, 'Bottom must be less than top', 'a[0].numeric');
    refused({ a: [{ numeric: ['>', 6e9] }] }, 'Value must be between -5.0E9 and 5.0E9, inclusive', 'a[0].numeric[1]');
    refused({ a: [{ numeric: ['=', 0.1234567] }] }, 'Only values upto 6 decimals are supported', 'a[0].numeric[1]');
    refused({ a: [{ numeric: ['>', 0], x: 1 }] }, 'Too many elements in numeric expression', 'a[0].x');
  });

  test('anything-but', () => {
    refused({ a: [{ 'anything-but': true }] }, 'Value of anything-but must be an array or single string/number value.', 'a[0].anything-but');
    refused({ a: [{ 'anything-but': [] }] }, 'Inside anything but list, either all values are number or string, mixed type is not supported', 'a[0].anything-but');
    refused({ a: [{ 'anything-but': [1, 'x'] }] }, 'Inside anything but list, either all values are number or string, mixed type is not supported', 'a[0].anything-but');
    refused({ a: [{ 'anything-but': [null] }] }, 'Inside anything but list, start|null|boolean is not supported.', 'a[0].anything-but[0]');
    refused({ a: [{ 'anything-but': [6e9] }] }, 'Value must be between -5.0E9 and 5.0E9, inclusive', 'a[0].anything-but[0]');
    refused({ a: [{ 'anything-but': {} }] }, 'Anything-But expression name not found', 'a[0].anything-but');
    refused({ a: [{ 'anything-but': { numeric: ['>', 1] } }] }, 'Unsupported anything-but pattern: numeric', 'a[0].anything-but.numeric');
    refused({ a: [{ 'anything-but': { prefix: '' } }] }, 'Null prefix/suffix not allowed', 'a[0].anything-but.prefix');
    refused({ a: [{ 'anything-but': { suffix: ['x', 1] } }] }, 'prefix/suffix match pattern must be a string', 'a[0].anything-but.suffix[1]');
    refused({ a: [{ 'anything-but': { prefix: [] } }] }, 'Empty arrays are not allowed', 'a[0].anything-but.prefix');
    refused({ a: [{ 'anything-but': { 'equals-ignore-case': 5 } }] }, 'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.', 'a[0].anything-but.equals-ignore-case');
    refused({ a: [{ 'anything-but': { wildcard: ['a**'] } }] }, 'Consecutive wildcard characters at pos 2', 'a[0].anything-but.wildcard');
    refused({ a: [{ 'anything-but': { prefix: 'x', suffix: 'y' } }] }, 'Only one key allowed in match expression', 'a[0].anything-but.suffix');
  });

  test('cidr', () => {
    refused({ a: [{ cidr: 5 }] }, 'cidr match pattern must be a string', 'a[0].cidr');
    refused({ a: [{ cidr: '10.0.0.0' }] }, "Malformed CIDR, one '/' required", 'a[0].cidr');
    refused({ a: [{ cidr: '10.0.0.0/x' }] }, 'Malformed CIDR, mask bits must be an integer', 'a[0].cidr');
    refused({ a: [{ cidr: '10.0.0.0/-1' }] }, 'Malformed CIDR, mask bits must not be negative', 'a[0].cidr');
    refused({ a: [{ cidr: 'host/8' }] }, 'Nonstandard IP address: host', 'a[0].cidr');
    refused({ a: [{ cidr: '300.0.0.0/8' }] }, 'Invalid IP address: 300.0.0.0', 'a[0].cidr');
    refused({ a: [{ cidr: '10.0.0.0/32' }] }, 'IPv4 mask bits must be < 32', 'a[0].cidr');
    refused({ a: [{ cidr: '::/128' }] }, 'IPv6 mask bits must be < 128', 'a[0].cidr');
  });

  test('$or', () => {
    refused({ $or: { a: ['x'] } }, 'It must be an Array followed with $or.', '$or');
    refused({ $or: [{ a: ['x'] }] }, 'There must have at least 2 Objects in $or relationship.', '$or');
    refused({ $or: [{ a: ['x'] }, 'b'] }, 'Only JSON object is allowed in array of $or relationship.', '$or[1]');
    refused({ $or: [{ a: ['x'] }, {}] }, 'Empty objects are not allowed', '$or[1]');
    refused({ $or: [{ a: ['x'] }, { b: { numeric: ['>', 1] } }] }, 'numeric is Ruler reserved fieldName which cannot be used inside $or.', '$or[1].b.numeric');
    const wide = Array.from({ length: 11 }, (_, i) => ({ [`f${i}`]: ['x'] }));
    refused({ $or: wide, detail: { $or: wide, x: { $or: wide } } }, `Rule is too complex - $or expands to more than ${MAX_BRANCHES} combinations`, 'detail.x.$or');
  });
});

describe('JSON text', () => {
  test('syntax errors carry the parser location, like EventBridge', () => {
    const err = checkPattern('{"a": [1,]}')!;
    assert.equal(err.field, undefined);
    assert.equal(
      err.message,
      "Event pattern is not valid. Reason: Unexpected character (']' (code 93)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"{\"a\": [1,]}\"; line: 1, column: 10]",
    );
  });

  test('a semantic error in text names its path', () => {
    refused('{"a": {"b": "x"}}', '"b" must be an object or an array', 'a.b');
  });

  test('duplicate keys: the last one wins, and `source` is the resolved pattern', () => {
    assert.equal(compilePattern('{ "x": ["y"], "x": ["z"] }').source, '{"x":["z"]}');
    assert.equal(compilePattern({ b: ['1'], a: [{ prefix: 'x' }] }).source, '{"b":["1"],"a":[{"prefix":"x"}]}');
  });
});

describe('compiled branches', () => {
  test('$or multiplies out; a later field of the same name overrides within a branch (event-ruler)', () => {
    const branches = compileBranches({ a: ['1'], $or: [{ a: ['2'] }, { b: ['3'] }], c: ['4'] });
    const shape = branches.map((b) => Object.fromEntries(b.conditions.map((c) => [c.name, c.matchers.map((m) => (m as { value: unknown }).value)])));
    assert.deepEqual(shape, [
      { a: ['2'], c: ['4'] },
      { a: ['1'], b: ['3'], c: ['4'] },
    ]);
  });

  test('dotted keys and nesting give the same field', () => {
    const [branch] = compileBranches({ detail: { 'c.count': [5] } });
    assert.deepEqual(branch!.conditions[0]!.segments, ['detail', 'c', 'count']);
  });

  test('"$or" always means OR: a value that is not an array of objects is refused (JsonRuleCompiler)', () => {
    refused({ $or: 'x' }, 'It must be an Array followed with $or.', '$or');
  });
});
