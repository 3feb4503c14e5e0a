import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TurnBatcher } from './turn-batch.js';

test('what is asked in one turn goes in groups of at most max; each caller gets its own outcome', async () => {
  const groups: number[][] = [];
  const batcher = new TurnBatcher<number>(async (items) => {
    groups.push(items);
    return items.map((n) => (n === 3 ? new Error(`no ${n}`) : undefined));
  }, 2);
  const outcomes = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => batcher.add(n)));
  assert.deepEqual(groups, [[1, 2], [3, 4], [5]]);
  assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  assert.equal((outcomes[2] as PromiseRejectedResult).reason.message, 'no 3');
  await batcher.add(6);
  assert.deepEqual(groups.at(-1), [6], 'a later turn is a new group');
});

test('a group whose handler throws fails every caller in it, and only them', async () => {
  let calls = 0;
  const batcher = new TurnBatcher<string>(async (items) => {
    calls++;
    if (calls === 1) throw new Error('bus down');
    return items.map(() => undefined);
  }, 2);
  const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((s) => batcher.add(s)));
  assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected', 'fulfilled']);
});
