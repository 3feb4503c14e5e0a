/**
 * A 200 MB CSV (4 million rows, generated here) checked in bounded memory. The scan runs in a child process whose V8
 * heap is capped (48 MB old space, 2 MB semi-spaces), so a scan that kept rows would die; the parent asserts on the
 * child's peak RSS growth. The duplicates check is run apart: its digest set is the one structure that grows with
 * the rows (~20-26 bytes per distinct row), and its bound is asserted on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLargeKarliCsv } from './fixtures.js';

const MB = 1_000_000;
const dir = mkdtempSync(join(tmpdir(), 'reflow-quality-large-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, 'large.csv');
const JUMP_ROW = 3_000_000;
let rows = 0;

interface ChildResult {
  rows: number;
  bytes: number;
  growthBytes: number;
  checks: Array<{ name: string; passed: boolean; reason: string; metrics?: Record<string, number> }>;
}

function child(mode: 'bounded' | 'duplicates'): ChildResult {
  const script = fileURLToPath(new URL('./large-child.js', import.meta.url));
  const out = execFileSync(process.execPath, ['--max-semi-space-size=2', '--max-old-space-size=48', script, path, mode], {
    encoding: 'utf8',
    maxBuffer: 16 * MB,
  });
  return JSON.parse(out) as ChildResult;
}

test('a 200 MB CSV is generated on the fly', () => {
  rows = writeLargeKarliCsv(path, 200 * MB, JUMP_ROW);
  assert.ok(statSync(path).size >= 200 * MB);
});

test('every check but duplicates scans 200 MB with RSS growing by less than 48 MB, and still finds the defect', (t) => {
  const r = child('bounded');
  t.diagnostic(`RSS growth ${(r.growthBytes / MB).toFixed(1)} MB on ${(r.bytes / MB).toFixed(0)} MB`);
  assert.equal(r.rows, rows);
  assert.ok(r.bytes >= 200 * MB);
  assert.ok(r.growthBytes < 48 * MB, `RSS grew by ${(r.growthBytes / MB).toFixed(1)} MB on a ${(r.bytes / MB).toFixed(0)} MB file`);
  const ts = r.checks.find((c) => c.name === 'timeseries(timestamp)')!;
  assert.equal(ts.passed, false);
  assert.equal(ts.reason, `timestamp: clock jump of -89.9 s at row 3,000,000 (expected 0.1 s steps)`);
  assert.deepEqual(r.checks.filter((c) => !c.passed).map((c) => c.name), ['timeseries(timestamp)']);
});

test('the duplicates check adds only its digest set: at most 32 bytes per distinct row', (t) => {
  const r = child('duplicates');
  const dup = r.checks.find((c) => c.name === 'duplicates')!;
  // After the clock jump, timestamps repeat those of 90 s earlier, and a few of those rows repeat in every column.
  assert.equal(dup.metrics!.distinctRows + dup.metrics!.duplicates!, rows);
  assert.ok(dup.metrics!.distinctRows! > rows * 0.99);
  const bound = 48 * MB + 32 * dup.metrics!.distinctRows!;
  t.diagnostic(`RSS growth ${(r.growthBytes / MB).toFixed(1)} MB for ${rows} rows (bound ${(bound / MB).toFixed(0)} MB)`);
  assert.ok(r.growthBytes < bound, `RSS grew by ${(r.growthBytes / MB).toFixed(1)} MB, bound ${(bound / MB).toFixed(0)} MB`);
});
