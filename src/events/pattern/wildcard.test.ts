import assert from 'node:assert/strict';
import { test } from 'node:test';
import { literalPrefix, literalSuffix, matchesGlob, parseWildcard, type Glob } from './wildcard.js';

function glob(value: string): Glob {
  const g = parseWildcard(value);
  assert.equal(typeof g, 'object', `${value} should parse`);
  return g as Glob;
}

test('matching', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*bc', 'bc', true],
    ['*bc', 'abc', true],
    ['*bc', 'xyz', false],
    ['d*f', 'dexef', true],
    ['d*ff', 'dexef', false],
    ['d*f', 'de', false],
    ['xy*', 'xy', true],
    ['12*4*', '12345', true],
    ['12*4*', '1235', false],
    ['ab*ba', 'aba', false],
    ['ab*ba', 'abba', true],
    ['*', '', true],
    ['*a*b*', 'xaybz', true],
    ['*a*b*', 'xbya', false],
    ['plain', 'plain', true],
    ['plain', 'plainer', false],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['a\\\\*', 'a\\tail', true],
    ['é*ü', 'éxxü', true],
  ];
  for (const [pattern, value, expected] of cases) assert.equal(matchesGlob(glob(pattern), value), expected, `${pattern} vs ${value}`);
});

test('literal start and end, used to group wildcards in the index', () => {
  assert.equal(literalPrefix(glob('uploads/*.csv')), 'uploads/');
  assert.equal(literalSuffix(glob('uploads/*.csv')), '.csv');
  assert.equal(literalPrefix(glob('*.csv')), '');
  assert.equal(literalSuffix(glob('uploads/*')), '');
  assert.equal(literalPrefix(glob('a\\*b')), 'a*b');
});

test('refusals count UTF-8 bytes inside the JSON quotes, as event-ruler does', () => {
  assert.equal(parseWildcard('h**o'), 'Consecutive wildcard characters at pos 2');
  assert.equal(parseWildcard('**'), 'Consecutive wildcard characters at pos 1');
  assert.equal(parseWildcard('€**'), 'Consecutive wildcard characters at pos 4');
  assert.equal(parseWildcard('a\\x'), 'Invalid escape character at pos 2');
  assert.equal(parseWildcard('\\'), 'Invalid escape character at pos 1');
  assert.equal(typeof parseWildcard('\\**'), 'object'); // an escaped star then a wildcard
});
