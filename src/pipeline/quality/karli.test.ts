/**
 * The defects of the driver-monitoring example (examples/karli), each caught with a reason a contributor can act on.
 * The recordings here come from this folder's own seeded generator, shaped like the example's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csvText, karliSpec, karliTable, type KarliOptions } from './fixtures.js';
import { failureReasons, runQualityChecks, type QualityReport } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'reflow-quality-karli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const ROWS = 6000;

async function check(name: string, options: Partial<KarliOptions> = {}, mangle: (text: string) => string = (t) => t): Promise<QualityReport> {
  const path = join(dir, `${name}.csv`);
  writeFileSync(path, mangle(csvText(karliTable({ rows: ROWS, seed: name.length, ...options }))));
  return runQualityChecks(karliSpec(), { path, key: `raw/drives/contributor-a/${name}.csv` });
}

function failed(report: QualityReport): Record<string, string> {
  return Object.fromEntries(report.checks.filter((c) => !c.passed).map((c) => [c.name, c.reason]));
}

test('a clean recording passes every check', async () => {
  const r = await check('clean');
  assert.deepEqual(failed(r), {});
  assert.equal(r.passed, true);
  assert.equal(r.rows, ROWS);
});

test('missing heart-rate stretches: the share, the longest run and where it starts', async () => {
  const r = await check('hr-gap', { missingHeartRate: { from: 1880, length: 1092 } });
  assert.deepEqual(failed(r), {
    'missing(heart_rate_bpm)': 'column heart_rate_bpm: 18.2 % missing (max 5 %), longest run 1,092 rows from row 1,880 (max 100)',
  });
});

test('a wrong unit: speed in m/s, heart rate in Hz', async () => {
  const speed = failed(await check('speed-ms', { speedInMs: true }));
  assert.match(speed['range(speed_kmh, median)']!, /^speed_kmh: median \d+(\.\d+)? outside expected \[20, 200\] — wrong unit\? \(×3\.6 would fit\)$/);
  assert.equal(Object.keys(speed).length, 1, JSON.stringify(speed));
  const hr = failed(await check('hr-hz', { heartRateInHz: true }));
  assert.match(hr['range(heart_rate_bpm)']!, /^heart_rate_bpm: 6,000 of 6,000 values \(100 %\) outside \[30, 220\], first [\d.]+ at row 1; min [\d.]+, max [\d.]+; median [\d.]+ — wrong unit\? \(×60 would fit\)$/);
  assert.equal(Object.keys(hr).length, 1, JSON.stringify(hr));
});

test('a truncated file: the last line cut mid-row, and far fewer rows', async () => {
  // The upload stopped inside the last row's third field.
  const cut = await check('cut', {}, (text) => {
    const body = text.trimEnd();
    const start = body.lastIndexOf('\n') + 1;
    return body.slice(0, start) + body.slice(start).split(',').slice(0, 3).join(',').slice(0, -1);
  });
  assert.deepEqual(failed(cut), { 'format(csv)': 'file truncated: last row has 3 of 6 columns (line 6001, no line break at the end)' });
  assert.equal(cut.rows, ROWS - 1);
  assert.deepEqual(cut.defects, [
    { kind: 'truncated', row: 6000, line: 6001, message: 'file truncated: last row has 3 of 6 columns (line 6001, no line break at the end)' },
  ]);
  const short = await check('short', {}, (text) => text.slice(0, text.indexOf('\n', 20_000) + 1));
  assert.match(failed(short).rowCount!, /^\d{3} rows, expected at least 1,000, \d+ % of the minimum$/);
});

test('a clock jump back or forward by minutes', async () => {
  const back = failed(await check('jump-back', { clockJump: { row: 2210, ms: -183_500 } }));
  assert.deepEqual(back, { 'timeseries(timestamp)': 'timestamp: clock jump of -183.4 s at row 2,210 (expected 0.1 s steps)' });
  const forward = failed(await check('jump-forward', { clockJump: { row: 4100, ms: 300_000 } }));
  assert.deepEqual(forward, { 'timeseries(timestamp)': 'timestamp: clock jump of +300.1 s at row 4,100 (expected 0.1 s steps)' });
});

test('several defects in one upload: every reason is reported, in check order', async () => {
  const r = await check('everything', { speedInMs: true, missingHeartRate: { from: 10, length: 600 }, clockJump: { row: 3000, ms: -60_000 } });
  assert.deepEqual(
    failureReasons(r).map((x) => x.split(':')[0]),
    ['range(speed_kmh, median)', 'missing(heart_rate_bpm)', 'timeseries(timestamp)'],
  );
});

test('epoch-ms timestamps and a TSV export of the same recording check the same', async () => {
  const epoch = await check('epoch', { epochMs: true });
  assert.deepEqual(failed(epoch), {});
  const path = join(dir, 'clean.tsv');
  writeFileSync(path, readFileSync(join(dir, 'clean.csv'), 'utf8').replace(/,/g, '\t'));
  const tsv = await runQualityChecks(karliSpec(), { path, key: 'raw/drives/contributor-a/clean.tsv' });
  assert.deepEqual(failed(tsv), {});
});
