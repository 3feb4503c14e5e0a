import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPattern, compilePattern, testEventPattern } from './index.js';
import { MAX_WILDCARD_COMPLEXITY, TOO_COMPLEX, wildcardComplexity } from './complexity.js';
import { compileBranches } from './parse.js';

const wildcards = (...values: string[]) => values.map((wildcard) => ({ wildcard }));
const complexity = (pattern: object) => wildcardComplexity(compileBranches(pattern), 1_000);

function refused(pattern: object): void {
  const error = checkPattern(pattern);
  assert.ok(error, `${JSON.stringify(pattern)} should be refused`);
  assert.equal(error.code, 'InvalidEventPattern');
  assert.equal(error.message, `Event pattern is not valid. Reason: ${TOO_COMPLEX}`);
}

test('values with a few stars are well inside the limit', () => {
  for (const pattern of [
    { key: wildcards('*.png') },
    { key: wildcards('uploads/*/*.csv') },
    { key: wildcards('a*b*c*d*e') },
    { key: wildcards('*.png', '*.jpg', '*.gif', '*.bmp') },
    // Distinct literal starts: each value's stars sit in their own branch of the automaton.
    { key: wildcards('x/*.png', 'y/*.jpg', 'z/*.gif', 'w/*.bmp', 'v/*.tif', 'u/*.svg') },
    { key: [{ prefix: 'a' }, 'b', { wildcard: 'c*' }] },
  ]) {
    assert.equal(checkPattern(pattern), null, JSON.stringify(pattern));
    assert.ok(complexity(pattern) <= MAX_WILDCARD_COMPLEXITY);
  }
  assert.equal(complexity({ key: ['no', 'wildcards'], n: [{ numeric: ['>', 1] }] }), 0);
});

test('every star that stays live adds to the cost: many stars, repeated text after a star, many shared starts', () => {
  // Reading "abcdefghijk" leaves every star state live at once.
  assert.ok(complexity({ key: wildcards('a*b*c*d*e*f*g*h*i*j*k') }) > MAX_WILDCARD_COMPLEXITY);
  refused({ key: wildcards('a*b*c*d*e*f*g*h*i*j*k') });
  // Reading a's after the star leaves every `a` state live.
  assert.ok(complexity({ key: wildcards('*aaaaaaaaaaaa') }) > complexity({ key: wildcards('*abcdefghijk') }));
  refused({ key: wildcards('*aaaaaaaaaaaa') });
  // Six values starting with a star share their first states, each keeping all six in play.
  refused({ key: wildcards('*.png', '*.jpg', '*.gif', '*.bmp', '*.tif', '*.svg') });
});

test('each field automaton is judged on its own, as event-ruler builds them for one rule', () => {
  const four = wildcards('*.png', '*.jpg', '*.gif', '*.bmp');
  assert.equal(checkPattern({ a: four, b: four }), null, 'two fields, two automata');
  // $or branches reaching a field from the same name state share its automaton ...
  refused({ $or: ['*1', '*2', '*3', '*4', '*5', '*6'].map((w) => ({ key: wildcards(w) })) });
  // ... while the same values after different values of an earlier field sit in different automata.
  assert.equal(checkPattern({ $or: ['*1', '*2', '*3', '*4', '*5', '*6'].map((w, i) => ({ a: [`v${i}`], key: wildcards(w) })) }), null);
});

test('a refused pattern cannot be compiled or tested; anything-but wildcards do not count (event-ruler)', () => {
  assert.throws(() => compilePattern({ key: wildcards('*aaaaaaaaaaaa') }), { code: 'InvalidEventPattern' });
  assert.throws(() => testEventPattern({ key: wildcards('*aaaaaaaaaaaa') }, { key: 'x' }), { code: 'InvalidEventPattern' });
  assert.equal(checkPattern({ key: [{ 'anything-but': { wildcard: ['*.png', '*.jpg', '*.gif', '*.bmp', '*.tif', '*.svg'] } }] }), null);
});
