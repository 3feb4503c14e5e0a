/**
 * The event-pattern conformance suite: the 297 cases transcribed from aws/event-ruler's tests, read in place from
 * ../shared/conformance/ (never copied into the repository). Every case runs through testEventPattern and through a
 * PatternMatcher that holds the case's rule among 50 others, so the shared multi-rule index is held to the same
 * answers; the other rules' answers must agree with testEventPattern too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PatternMatcher, testEventPattern } from '../../src/events/pattern/index.js';
import { loadConformance } from '../helpers/conformance.js';

interface Case {
  name: string;
  pattern: object;
  patternText?: string;
  event: object;
  matches: boolean;
  source: string;
  operators: string[];
}

const OTHER_RULES = 50;

// Absent data fails under CI=true and is skipped loudly elsewhere (test/helpers/conformance.ts).
const cases = loadConformance<Case[]>('event-patterns.json');

if (cases !== undefined) {
  const patternOf = (c: Case): string | object => c.patternText ?? c.pattern;

  test('the conformance file holds the 297 cases', () => assert.equal(cases.length, 297));

  cases.forEach((c, i) => {
    test(`#${i} ${c.name}`, () => {
      assert.equal(testEventPattern(patternOf(c), c.event), c.matches, 'testEventPattern');

      const matcher = new PatternMatcher<string>();
      const others: Case[] = [];
      // Spread the other rules over the whole file so every case shares its index with different operators.
      for (let k = 1; k <= OTHER_RULES; k++) others.push(cases[(i + k * 7) % cases.length]!);
      others.slice(0, OTHER_RULES / 2).forEach((o, k) => matcher.add(`other-${k}`, patternOf(o)));
      matcher.add('case', patternOf(c));
      others.slice(OTHER_RULES / 2).forEach((o, k) => matcher.add(`other-${k + OTHER_RULES / 2}`, patternOf(o)));

      const found = new Set(matcher.matches(c.event));
      assert.equal(found.has('case'), c.matches, 'PatternMatcher');
      others.forEach((o, k) => {
        assert.equal(found.has(`other-${k}`), testEventPattern(patternOf(o), c.event), `other rule #${k} (${o.name})`);
      });
    });
  });
}
