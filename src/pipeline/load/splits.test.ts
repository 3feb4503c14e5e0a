import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignSplit, compileSplits, groupPosition } from './splits.js';

test('a group always lands in the same split, whatever else is in the dataset', () => {
  const splits = compileSplits({ train: 0.7, test: 0.2, holdout: 0.1 });
  const first = assignSplit(splits, 'drives', 'fleet-north/d01');
  for (let i = 0; i < 10; i++) assert.equal(assignSplit(splits, 'drives', 'fleet-north/d01'), first);
});

test('splits follow their fractions over many groups', () => {
  const splits = compileSplits({ train: 0.8, test: 0.1, holdout: 0.1 });
  const counts: Record<string, number> = {};
  for (let i = 0; i < 20_000; i++) {
    const split = assignSplit(splits, 'drives', `driver-${i}`);
    counts[split] = (counts[split] ?? 0) + 1;
  }
  assert.ok(Math.abs(counts.train! / 20_000 - 0.8) < 0.02, JSON.stringify(counts));
  assert.ok(Math.abs(counts.test! / 20_000 - 0.1) < 0.02, JSON.stringify(counts));
  assert.ok(Math.abs(counts.holdout! / 20_000 - 0.1) < 0.02, JSON.stringify(counts));
});

test('positions are in [0, 1) and depend on the dataset too', () => {
  const a = groupPosition('drives', 'd01');
  assert.ok(a >= 0 && a < 1);
  assert.notEqual(groupPosition('other', 'd01'), a);
});

test('bad splits are refused naming the field', () => {
  const refuses = (splits: Record<string, number>, field: string) =>
    assert.throws(() => compileSplits(splits, 'datasets.drives.load.splits'), (err: { code?: string; field?: string }) => {
      assert.equal(err.code, 'InvalidConfiguration');
      assert.equal(err.field, field);
      return true;
    });
  refuses({ train: 0.5, test: 0.2 }, 'datasets.drives.load.splits');
  refuses({ train: 1.2 }, 'datasets.drives.load.splits.train');
  refuses({ train: 0, test: 1 }, 'datasets.drives.load.splits.train');
  refuses({ Train: 1 }, 'datasets.drives.load.splits.Train');
  refuses({}, 'datasets.drives.load.splits');
});
