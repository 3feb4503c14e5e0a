import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PatternMatcher, testEventPattern } from './index.js';

/** Asserts the answer of testEventPattern and of a PatternMatcher holding the same rule. */
function expectMatch(pattern: object, event: object, expected: boolean): void {
  assert.equal(testEventPattern(pattern, event), expected, `testEventPattern ${JSON.stringify(pattern)} on ${JSON.stringify(event)}`);
  const matcher = new PatternMatcher<string>();
  matcher.add('rule', pattern);
  assert.deepEqual(matcher.matches(event), expected ? ['rule'] : [], `PatternMatcher ${JSON.stringify(pattern)}`);
}

const yes = (pattern: object, event: object) => expectMatch(pattern, event, true);
const no = (pattern: object, event: object) => expectMatch(pattern, event, false);

describe('exact values', () => {
  test('strings match only equal strings', () => {
    yes({ a: ['x'] }, { a: 'x' });
    no({ a: ['x'] }, { a: 'X' });
    no({ a: ['5'] }, { a: 5 });
  });

  test('numbers compare numerically, never with strings', () => {
    yes({ a: [5] }, { a: 5.0 });
    yes({ a: [301.8] }, { a: 3.018e2 });
    no({ a: [5] }, { a: '5' });
    yes({ a: [123456789012] }, { a: 123456789012 }); // beyond the numeric range: still equal as values
  });

  test('booleans and null are literals of their own type', () => {
    yes({ a: [true] }, { a: true });
    no({ a: [true] }, { a: 'true' });
    yes({ a: [null] }, { a: null });
    no({ a: [null] }, { a: 'null' });
    no({ a: [''] }, { a: null });
  });

  test('a list of values is an OR; an event array matches when any element does', () => {
    yes({ a: ['x', 'y'] }, { a: 'y' });
    yes({ a: ['x'] }, { a: ['q', 'x'] });
    no({ a: ['x'] }, { a: [] });
  });

  test('IP literals compare as addresses', () => {
    yes({ ip: ['2400:6500:FF00::36FB:1F80'] }, { ip: '2400:6500:ff00:0:0:0:36fb:1f80' });
    yes({ ip: ['10.0.0.1'] }, { ip: '10.0.0.1' });
    no({ ip: ['10.0.0.1'] }, { ip: '10.0.0.2' });
  });

  test('"exactly" names an exact string', () => {
    yes({ a: [{ exactly: 'x' }] }, { a: 'x' });
    no({ a: [{ exactly: '5' }] }, { a: 5 });
  });
});

describe('prefix, suffix, equals-ignore-case', () => {
  test('prefix and suffix work on strings only', () => {
    yes({ a: [{ prefix: 'ab' }] }, { a: 'abc' });
    yes({ a: [{ prefix: '' }] }, { a: 'anything' });
    no({ a: [{ prefix: '1' }] }, { a: 123 });
    yes({ a: [{ suffix: '.png' }] }, { a: 'x.png' });
    no({ a: [{ suffix: '.png' }] }, { a: 'x.PNG' });
  });

  test('equals-ignore-case and its prefix/suffix forms', () => {
    yes({ a: [{ 'equals-ignore-case': 'aBc' }] }, { a: 'ABC' });
    no({ a: [{ 'equals-ignore-case': 'aBc' }] }, { a: 'ABCD' });
    yes({ a: [{ prefix: { 'equals-ignore-case': 'AB' } }] }, { a: 'abc' });
    yes({ a: [{ suffix: { 'equals-ignore-case': 'PNG' } }] }, { a: 'x.png' });
    no({ a: [{ suffix: { 'equals-ignore-case': 'PNG' } }] }, { a: 'x.jpg' });
  });
});

describe('wildcard', () => {
  test('stars match any run, escapes are literal', () => {
    yes({ a: [{ wildcard: 'a*c' }] }, { a: 'abbbc' });
    yes({ a: [{ wildcard: 'a*c' }] }, { a: 'ac' });
    no({ a: [{ wildcard: 'a*c' }] }, { a: 'abcd' });
    yes({ a: [{ wildcard: '*' }] }, { a: '' });
    yes({ a: [{ wildcard: 'a\\*c' }] }, { a: 'a*c' });
    no({ a: [{ wildcard: 'a\\*c' }] }, { a: 'abc' });
    yes({ a: [{ wildcard: 'a\\\\c' }] }, { a: 'a\\c' });
    no({ a: [{ wildcard: '*' }] }, { a: 5 });
  });
});

describe('anything-but', () => {
  test('single values and lists', () => {
    no({ a: [{ 'anything-but': 'x' }] }, { a: 'x' });
    yes({ a: [{ 'anything-but': 'x' }] }, { a: 'y' });
    no({ a: [{ 'anything-but': [1, 2] }] }, { a: 2.0 });
    yes({ a: [{ 'anything-but': [1, 2] }] }, { a: 3 });
  });

  test('a value of another type matches', () => {
    yes({ a: [{ 'anything-but': [111] }] }, { a: '111' });
    yes({ a: [{ 'anything-but': 'x' }] }, { a: 5 });
    yes({ a: [{ 'anything-but': 'x' }] }, { a: null });
    yes({ a: [{ 'anything-but': { prefix: 'x' } }] }, { a: true });
  });

  test('needs the field to be present', () => {
    no({ a: [{ 'anything-but': 'x' }] }, { b: 'y' });
    no({ a: [{ 'anything-but': 'x' }] }, { a: [] });
  });

  test('prefix, suffix, equals-ignore-case and wildcard forms, single or list', () => {
    no({ a: [{ 'anything-but': { prefix: 'ab' } }] }, { a: 'abc' });
    yes({ a: [{ 'anything-but': { prefix: ['x', 'y'] } }] }, { a: 'abc' });
    no({ a: [{ 'anything-but': { suffix: ['c', 'd'] } }] }, { a: 'abc' });
    no({ a: [{ 'anything-but': { 'equals-ignore-case': 'ABC' } }] }, { a: 'abc' });
    yes({ a: [{ 'anything-but': { 'equals-ignore-case': ['x', 'y'] } }] }, { a: 'abc' });
    no({ a: [{ 'anything-but': { wildcard: '*b*' } }] }, { a: 'abc' });
    yes({ a: [{ 'anything-but': { wildcard: ['x*', '*y'] } }] }, { a: 'abc' });
  });

  test('an event array matches when some element is not excluded', () => {
    yes({ a: [{ 'anything-but': 'x' }] }, { a: ['x', 'y'] });
    no({ a: [{ 'anything-but': 'x' }] }, { a: ['x', 'x'] });
  });
});

describe('numeric', () => {
  test('comparisons and ranges', () => {
    yes({ a: [{ numeric: ['=', 5] }] }, { a: 5.0 });
    yes({ a: [{ numeric: ['>', 0, '<=', 5] }] }, { a: 5 });
    no({ a: [{ numeric: ['>', 0, '<=', 5] }] }, { a: 0 });
    yes({ a: [{ numeric: ['>=', 0, '<', 5] }] }, { a: 0 });
    no({ a: [{ numeric: ['>=', 0, '<', 5] }] }, { a: 5 });
    yes({ a: [{ numeric: ['<', -1] }] }, { a: -1.5 });
    yes({ a: [{ numeric: ['<=', -1] }] }, { a: -1 });
  });

  test('only numbers within ±5e9 take part', () => {
    no({ a: [{ numeric: ['>', 0] }] }, { a: '10' });
    no({ a: [{ numeric: ['>', 0] }] }, { a: 6e9 });
    yes({ a: [{ numeric: ['>', 0] }] }, { a: 5e9 });
  });
});

describe('exists', () => {
  test('exists: true needs a leaf, null included; objects and empty arrays are not leaves', () => {
    yes({ a: [{ exists: true }] }, { a: null });
    yes({ a: [{ exists: true }] }, { a: [1] });
    no({ a: [{ exists: true }] }, { a: [] });
    no({ a: [{ exists: true }] }, { a: { b: 1 } });
    no({ a: [{ exists: true }] }, {});
  });

  test('exists: false holds when there is no leaf', () => {
    yes({ a: [{ exists: false }] }, {});
    yes({ a: [{ exists: false }] }, { a: [] });
    yes({ a: [{ exists: false }] }, { a: { b: 1 } });
    no({ a: [{ exists: false }] }, { a: null });
    yes({ b: ['x'], a: [{ exists: false }, 'y'] }, { b: 'x', a: 'y' });
  });
});

describe('cidr', () => {
  test('IPv4 and IPv6 blocks match address strings in range', () => {
    yes({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.0.255' });
    no({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.1.0' });
    yes({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db8:ffff::1' });
    no({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db9::1' });
    no({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '::ffff:0b00:0001' });
    yes({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '::ffff:0a00:0001' }); // IPv4-mapped is the IPv4 address
    no({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: 'not an ip' });
  });
});

describe('structure', () => {
  test('nested objects and dotted keys name the same field', () => {
    yes({ detail: { state: ['on'] } }, { detail: { state: 'on' } });
    yes({ detail: { 'a.b': ['x'] } }, { detail: { a: { b: 'x' } } });
    yes({ detail: { a: { b: ['x'] } } }, { 'detail.a': { b: 'x' } });
  });

  test('$or at the top and nested, with fields around it', () => {
    const pattern = { source: ['s'], $or: [{ a: ['1'] }, { b: ['2'], $or: [{ c: ['3'] }, { d: ['4'] }] }] };
    yes(pattern, { source: 's', a: '1' });
    yes(pattern, { source: 's', b: '2', d: '4' });
    no(pattern, { source: 's', b: '2' });
    no(pattern, { source: 't', a: '1' });
    yes({ detail: { $or: [{ x: [1] }, { y: [2] }] } }, { detail: { y: 2 } });
  });

  test('array consistency: fields of one array of objects come from the same element', () => {
    const event = { items: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 5 }] };
    yes({ items: { sku: ['b'], qty: [5] } }, event);
    no({ items: { sku: ['a'], qty: [5] } }, event);
    yes({ items: { sku: ['a'], gift: [{ exists: false }] } }, { items: [{ sku: 'a' }, { sku: 'b', gift: true }] });
    no({ items: { sku: ['b'], gift: [{ exists: false }] } }, { items: [{ sku: 'a' }, { sku: 'b', gift: true }] });
    // Different arrays do not constrain each other.
    yes({ a: { x: [1] }, b: { y: [2] } }, { a: [{ x: 0 }, { x: 1 }], b: [{ y: 2 }] });
  });

  test('exists:false inside an array of objects is judged in the element the other fields come from', () => {
    // Deliberately independent of field names: event-ruler checks absence in sorted-name order, so there the
    // first pattern would not match (its "a" sorts before "b") while the second, with "c", would.
    const event = { arr: [{ b: 'x' }, { a: 1, c: 1 }] };
    yes({ arr: { a: [{ exists: false }], b: ['x'] } }, event);
    yes({ arr: { c: [{ exists: false }], b: ['x'] } }, event);
    no({ arr: { a: [{ exists: false }], b: ['x'] } }, { arr: [{ b: 'x', a: 1 }] });
  });
});

test('testEventPattern takes JSON text for both arguments and rejects bad events', () => {
  assert.equal(testEventPattern('{"a":["x"]}', '{"a":"x"}'), true);
  assert.throws(() => testEventPattern({ a: ['x'] }, 'not json'), { code: 'InvalidArgument' });
  assert.throws(() => testEventPattern({ a: ['x'] }, '["x"]'), { code: 'InvalidArgument' });
  assert.throws(() => testEventPattern({ a: 'x' }, {}), { code: 'InvalidEventPattern' });
});
