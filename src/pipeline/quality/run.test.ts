import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { karliTable, writeTable, type Table, type Value } from './fixtures.js';
import { failureReasons, qualitySpecHash, runQualityChecks, type CheckResult, type QualityCheck, type QualityFormat, type QualityReport } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'reflow-quality-run-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function run(format: QualityFormat, table: Table, checks: QualityCheck[]): Promise<QualityReport> {
  const path = await writeTable(dir, `t${n++}`, format, table);
  const report = await runQualityChecks({ checks }, { path, key: `drives/${n}.${format}` });
  // Every report is plain JSON: the catalog stores it as is.
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  return report;
}

function only(report: QualityReport, type: string): CheckResult {
  const found = report.checks.filter((c) => c.type === type);
  assert.equal(found.length, 1, `one ${type} check in ${JSON.stringify(report.checks)}`);
  return found[0]!;
}

function passes(report: QualityReport, type: string, reason?: RegExp): CheckResult {
  const c = only(report, type);
  assert.equal(c.passed, true, `${c.name} should pass: ${c.reason}`);
  assert.ok(c.reason.length > 0, 'a pass has a summary');
  if (reason) assert.match(c.reason, reason);
  assert.equal(report.passed, report.checks.every((x) => x.passed));
  return c;
}

function fails(report: QualityReport, type: string, reason: RegExp): CheckResult {
  const c = only(report, type);
  assert.equal(c.passed, false, `${c.name} should fail`);
  assert.match(c.reason, reason);
  assert.equal(report.passed, false);
  return c;
}

/** A copy of the table with cells changed: `edit(row, column) => value | undefined (keep)`. */
function edit(t: Table, f: (row: number, column: string, v: Value) => Value | undefined): Table {
  return {
    columns: t.columns,
    rows: t.rows.map((r, i) =>
      r.map((v, j) => {
        const out = f(i + 1, t.columns[j]!, v);
        return out === undefined ? v : out;
      }),
    ),
  };
}

function withColumns(t: Table, columns: string[], pick: (row: Value[], i: number) => Value[]): Table {
  return { columns, rows: t.rows.map(pick) };
}

const base = karliTable({ rows: 2000 });
const schemaColumns = {
  timestamp: 'timestamp',
  speed_kmh: 'number',
  steering_angle_deg: 'number',
  heart_rate_bpm: 'number',
  eye_closure_ratio: 'number',
  drowsy: 'integer',
} as const;

for (const format of ['csv', 'ndjson', 'parquet'] as const) {
  test(`${format}: schema passes, and fails on a missing column, an extra column and a mistyped value`, async () => {
    passes(await run(format, base, [{ type: 'schema', columns: schemaColumns }]), 'schema', /6 declared columns present/);
    const dropped = withColumns(base, base.columns.filter((c) => c !== 'drowsy'), (r) => r.slice(0, 5));
    fails(await run(format, dropped, [{ type: 'schema', columns: schemaColumns }]), 'schema', /^missing column drowsy$/);
    passes(await run(format, dropped, [{ type: 'schema', columns: schemaColumns, required: ['timestamp', 'speed_kmh'] }]), 'schema', /optional drowsy absent/);
    const extra = withColumns(base, [...base.columns, 'gps'], (r, i) => [...r, i]);
    fails(await run(format, extra, [{ type: 'schema', columns: schemaColumns }]), 'schema', /^unexpected column 'gps'$/);
    passes(await run(format, extra, [{ type: 'schema', columns: schemaColumns, allowExtra: true }]), 'schema');
    // Parquet columns have one type, so there the whole column is text.
    const mistyped = edit(base, (row, column) => (column === 'speed_kmh' && (format === 'parquet' || row === 40) ? 'n/a' : undefined));
    const c = fails(await run(format, mistyped, [{ type: 'schema', columns: schemaColumns }]), 'schema', /^column speed_kmh: [\d,]+ values? (is|are) not number, first "n\/a" at row (40|1)$/);
    assert.equal(c.metrics!.invalidValues, format === 'parquet' ? 2000 : 1);
  });

  test(`${format}: range over every value, with an allowed share, and over the median with a unit hint`, async () => {
    passes(await run(format, base, [{ type: 'range', column: 'speed_kmh', min: 0, max: 250 }]), 'range', /^speed_kmh: all 2,000 values within \[0, 250\]$/);
    const spiky = edit(base, (row, column) => (column === 'speed_kmh' && row % 500 === 0 ? 999 : undefined));
    fails(await run(format, spiky, [{ type: 'range', column: 'speed_kmh', min: 0, max: 250 }]), 'range', /^speed_kmh: 4 of 2,000 values \(0\.2 %\) outside \[0, 250\], first 999 at row 500; min [\d.]+, max 999$/);
    passes(await run(format, spiky, [{ type: 'range', column: 'speed_kmh', min: 0, max: 250, maxOutOfRangeRatio: 0.01 }]), 'range', /0\.2 % of values outside \[0, 250\] \(max 1 %\)/);
    passes(await run(format, base, [{ type: 'range', column: 'speed_kmh', min: 20, max: 200, statistic: 'median' }]), 'range', /^speed_kmh: median [\d.]+ within \[20, 200\]$/);
    const ms = karliTable({ rows: 2000, speedInMs: true });
    fails(await run(format, ms, [{ type: 'range', column: 'speed_kmh', min: 20, max: 200, statistic: 'median' }]), 'range', /^speed_kmh: median [\d.]+ outside expected \[20, 200\] — wrong unit\? \(×3\.6 would fit\)$/);
    fails(await run(format, base, [{ type: 'range', column: 'speed_kmh', max: 10, statistic: 'mean' }]), 'range', /^speed_kmh: mean [\d.]+ outside expected \(-∞, 10\]$/);
    fails(await run(format, base, [{ type: 'range', column: 'nope', max: 10 }]), 'range', /^column nope is absent \(the file has 'timestamp', 'speed_kmh'/);
  });

  test(`${format}: missing values per column and for every column, by ratio and by run`, async () => {
    const holes = edit(base, (row, column) => (column === 'heart_rate_bpm' && row >= 1500 && row < 1800 ? null : undefined));
    passes(await run(format, base, [{ type: 'missing', column: 'heart_rate_bpm', maxRatio: 0.05 }]), 'missing', /^column heart_rate_bpm: 0 % missing \(max 5 %\)$/);
    const c = fails(await run(format, holes, [{ type: 'missing', column: 'heart_rate_bpm', maxRatio: 0.05 }]), 'missing', /^column heart_rate_bpm: 15 % missing \(max 5 %\), longest run 300 rows from row 1,500$/);
    assert.deepEqual(c.metrics, { missing: 300, missingRatio: 0.15, longestMissingRun: 300 });
    fails(await run(format, holes, [{ type: 'missing', column: 'heart_rate_bpm', maxRatio: 0.2, maxRun: 100 }]), 'missing', /longest run 300 rows from row 1,500 \(max 100\)$/);
    fails(await run(format, holes, [{ type: 'missing', maxRatio: 0.1 }]), 'missing', /^column heart_rate_bpm: 15 % missing \(max 10 %\)/);
    passes(await run(format, holes, [{ type: 'missing', maxRatio: 0.2 }]), 'missing', /^6 columns, at most 15 % missing \(heart_rate_bpm\) \(max 20 %\)$/);
    fails(await run(format, base, [{ type: 'missing', column: 'gps', maxRatio: 0.2 }]), 'missing', /^column gps is absent/);
  });

  test(`${format}: duplicate rows, whole or on some columns, name the row they repeat`, async () => {
    passes(await run(format, base, [{ type: 'duplicates' }]), 'duplicates', /^no duplicate rows$/);
    const dup = { columns: base.columns, rows: [...base.rows.slice(0, 120), base.rows[80]!, ...base.rows.slice(120)] };
    const c = fails(await run(format, dup, [{ type: 'duplicates' }]), 'duplicates', /^1 duplicate row \(max 0\); first: row 121 repeats row 81$/);
    assert.deepEqual(c.metrics, { duplicates: 1, distinctRows: 2000 });
    passes(await run(format, dup, [{ type: 'duplicates', maxCount: 1 }]), 'duplicates', /^1 duplicate row \(max 1\)$/);
    fails(await run(format, base, [{ type: 'duplicates', columns: ['drowsy'] }]), 'duplicates', /^1,99\d duplicate rows in columns drowsy \(max 0\); first: row \d+ repeats row \d+$/);
  });

  test(`${format}: time series: steps, gaps, clock jumps, repeats, sampling rate`, async () => {
    const ts = (extra: object = {}): QualityCheck[] => [{ type: 'timeseries', column: 'timestamp', ...extra } as QualityCheck];
    passes(await run(format, base, ts({ intervalMs: 100, minRateHz: 9, maxRateHz: 11 })), 'timeseries', /^timestamp: 2,000 samples at 10 Hz \(median step 0\.1 s\), no gaps or backward jumps$/);
    passes(await run(format, base, ts()), 'timeseries', /at 10 Hz/);
    const back = karliTable({ rows: 2000, clockJump: { row: 1210, ms: -183_500 } });
    fails(await run(format, back, ts()), 'timeseries', /^timestamp: clock jump of -183\.4 s at row 1,210 \(expected 0\.1 s steps\)$/);
    passes(await run(format, back, ts({ monotonic: false })), 'timeseries', /1 non-increasing step \(allowed\)/);
    const forward = karliTable({ rows: 2000, clockJump: { row: 700, ms: 240_000 } });
    const c = fails(await run(format, forward, ts({ intervalMs: 100 })), 'timeseries', /^timestamp: clock jump of \+240\.1 s at row 700 \(expected 0\.1 s steps\)$/);
    assert.equal(c.metrics!.largestGapMs, 240_100);
    const lost = edit(base, () => undefined);
    lost.rows.splice(1000, 3); // three samples lost: a 0.4 s step
    fails(await run(format, lost, ts({ maxGapMs: 250 })), 'timeseries', /^timestamp: gap of 0\.4 s at row 1,001 \(max 0\.25 s\)$/);
    const repeated = { columns: base.columns, rows: base.rows.map((r, i) => (i === 50 ? [base.rows[49]![0]!, ...r.slice(1)] : r)) };
    fails(await run(format, repeated, ts()), 'timeseries', /timestamp repeats at row 51/);
    const slow = { columns: base.columns, rows: base.rows.filter((_, i) => i % 2 === 0) };
    fails(await run(format, slow, ts({ minRateHz: 9 })), 'timeseries', /^timestamp: sampling rate 5 Hz \(median step 0\.2 s\) below 9 Hz$/);
    fails(await run(format, slow, ts({ intervalMs: 100 })), 'timeseries', /gap of 0\.2 s at row 2 \(expected 0\.1 s steps\); 999 gaps in all/);
    fails(await run(format, base, ts({ maxRateHz: 5 })), 'timeseries', /sampling rate 10 Hz \(median step 0\.1 s\) above 5 Hz/);
    const epoch = karliTable({ rows: 500, epochMs: true });
    passes(await run(format, epoch, ts({ intervalMs: 100 })), 'timeseries', /500 samples at 10 Hz/);
    const garbled = edit(base, (row, column) => (column === 'timestamp' && row === 30 ? 'yesterday' : column === 'timestamp' && row === 31 ? null : undefined));
    fails(await run(format, garbled, ts()), 'timeseries', /^timestamp: 1 value is not a timestamp, first "yesterday" at row 30; 1 row has no timestamp, longest run 1 from row 31/);
  });

  test(`${format}: file size and row count`, async () => {
    const r = await run(format, base, [{ type: 'fileSize', min: 10, max: 1e9 }, { type: 'rowCount', min: 1000, max: 5000 }]);
    passes(await run(format, base, [{ type: 'rowCount', min: 1000 }]), 'rowCount', /^2,000 rows \(min 1,000\)$/);
    passes(await run(format, base, [{ type: 'range', column: 'speed_kmh', min: 0 }]), 'range', /^speed_kmh: all 2,000 values within \[0, ∞\)$/);
    passes(r, 'fileSize', /^[\d,]+ bytes within \[10, 1,000,000,000\]$/);
    passes(r, 'rowCount', /^2,000 rows within \[1,000, 5,000\]$/);
    const small = await run(format, base, [{ type: 'fileSize', max: 100 }, { type: 'rowCount', min: 8000 }]);
    fails(small, 'fileSize', /^[\d,]+ bytes, expected at most 100$/);
    fails(small, 'rowCount', /^2,000 rows, expected at least 8,000, 25 % of the minimum$/);
  });

  test(`${format}: a custom check sees metrics, samples and rows; a throw fails only that check`, async () => {
    const r = await run(format, base, [
      {
        type: 'custom',
        name: 'drowsy-label-share',
        check: async (table, ctx) => {
          let drowsy = 0;
          let rows = 0;
          for await (const row of table.rows()) {
            rows++;
            if (row.drowsy === 1) drowsy++;
            assert.equal(typeof row.speed_kmh, 'number');
            assert.equal(typeof row.timestamp, 'string');
          }
          assert.equal(rows, table.rowCount);
          assert.equal(ctx.name, 'drowsy-label-share');
          assert.equal(table.sample('speed_kmh').length, 2000);
          assert.deepEqual(table.sample('nope'), []);
          const share = drowsy / rows;
          return { passed: share < 0.5, reason: `${(share * 100).toFixed(1)} % drowsy`, metrics: { share, bad: NaN } };
        },
      },
      {
        type: 'custom',
        name: 'throws',
        check: () => {
          throw new TypeError('cannot read eye_closure of undefined');
        },
      },
      { type: 'custom', name: 'rejects', check: async () => Promise.reject(new Error('model server down')) },
      { type: 'custom', name: 'malformed', check: () => ({ ok: true }) as never },
      { type: 'custom', name: 'silent', check: () => ({ passed: false }) },
      { type: 'rowCount', min: 1 },
    ]);
    const byName = Object.fromEntries(r.checks.map((c) => [c.name, c]));
    assert.equal(byName['drowsy-label-share']!.passed, true, byName['drowsy-label-share']!.reason);
    assert.match(byName['drowsy-label-share']!.reason, /% drowsy$/);
    assert.deepEqual(Object.keys(byName['drowsy-label-share']!.metrics!), ['share'], 'a NaN metric is dropped');
    assert.deepEqual([byName.throws!.passed, byName.throws!.reason], [false, 'the check threw: TypeError: cannot read eye_closure of undefined']);
    assert.deepEqual([byName.rejects!.passed, byName.rejects!.reason], [false, 'the check threw: model server down']);
    assert.deepEqual([byName.malformed!.passed, byName.malformed!.reason], [false, 'the check returned no { passed: boolean } outcome']);
    assert.deepEqual([byName.silent!.passed, byName.silent!.reason], [false, 'failed (the check gave no reason)']);
    assert.equal(byName.rowCount!.passed, true, 'the other checks still ran');
  });

  test(`${format}: column metrics for the dashboard`, async () => {
    const holes = edit(base, (row, column) => (column === 'heart_rate_bpm' && row <= 10 ? null : undefined));
    const r = await run(format, holes, []);
    assert.equal(r.rows, 2000);
    assert.equal(r.format, format);
    assert.deepEqual(Object.keys(r.columns), base.columns);
    const hr = r.columns.heart_rate_bpm!;
    assert.equal(hr.type, 'number');
    assert.equal(hr.count, 1990);
    assert.equal(hr.missing, 10);
    assert.equal(hr.missingRatio, 0.005);
    assert.deepEqual([hr.longestMissingRun, hr.longestMissingRunStart], [10, 1]);
    assert.ok(hr.min! >= 50 && hr.max! <= 80 && hr.p05! < hr.median! && hr.median! < hr.p95!, JSON.stringify(hr));
    assert.equal(hr.histogram!.edges.length, 21);
    assert.equal(hr.histogram!.counts.reduce((a, b) => a + b, 0), 1990);
    assert.equal(r.columns.timestamp!.type, 'timestamp');
    assert.equal(r.columns.drowsy!.type, 'integer');
    assert.ok(r.columns.drowsy!.distinct <= 2);
    assert.equal(r.columns.timestamp!.distinct > 1900, true);
    passes(r, 'format', new RegExp(`^valid ${format === 'csv' ? 'CSV' : format === 'ndjson' ? 'NDJSON' : 'Parquet'}, 6 columns, 2,000 rows$`));
  });
}

test('reports are deterministic, carry the spec hash, and list the failure reasons', async () => {
  const path = await writeTable(dir, 'det', 'csv', karliTable({ rows: 15_000, missingHeartRate: { from: 100, length: 2000 } }));
  const spec = { checks: [{ type: 'missing', maxRatio: 0.05 }, { type: 'duplicates' }, { type: 'timeseries', column: 'timestamp' }] } as const;
  const a = await runQualityChecks(spec as never, { path });
  const b = await runQualityChecks(spec as never, { path, size: a.bytes });
  assert.deepEqual(a, b);
  assert.equal(a.specHash, qualitySpecHash(spec));
  assert.deepEqual(failureReasons(a), ['missing: column heart_rate_bpm: 13.3 % missing (max 5 %), longest run 2,000 rows from row 100']);
});

test('malformed and unreadable files yield failed reports, not exceptions', async () => {
  const garbage = join(dir, 'garbage.csv');
  writeFileSync(garbage, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]));
  const g = await runQualityChecks({ checks: [{ type: 'rowCount', min: 1 }] }, { path: garbage });
  assert.equal(g.passed, false);
  assert.match(g.checks[0]!.reason, /^not valid CSV: binary data/);
  assert.equal(g.defects![0]!.kind, 'unreadable');

  const notParquet = join(dir, 'x.parquet');
  writeFileSync(notParquet, 'a,b\n1,2\n');
  const p = await runQualityChecks({ checks: [] }, { path: notParquet });
  assert.match(p.checks[0]!.reason, /^not valid Parquet: /);

  const lines = join(dir, 'lines.ndjson');
  writeFileSync(lines, 'a,b\n1,2\n');
  const l = await runQualityChecks({ checks: [] }, { path: lines });
  assert.match(l.checks[0]!.reason, /^not valid NDJSON: no line is a JSON object \(line 1 is not valid JSON/);

  const mixed = join(dir, 'mixed.ndjson');
  writeFileSync(mixed, '{"a":1}\n{oops}\n{"a":2}\n');
  const m = await runQualityChecks({ checks: [] }, { path: mixed });
  assert.equal(m.rows, 2);
  assert.match(m.checks[0]!.reason, /^line 2 is not valid JSON/);

  const unknown = await runQualityChecks({ checks: [] }, { path: lines, key: 'drives/a.xlsx' });
  assert.equal(unknown.format, null);
  assert.match(unknown.checks[0]!.reason, /^cannot tell the format of 'drives\/a\.xlsx'/);
  const told = await runQualityChecks({ format: 'csv', checks: [] }, { path: lines, key: 'drives/a.xlsx' });
  assert.equal(told.passed, true);

  const tsv = join(dir, 'x.tsv');
  writeFileSync(tsv, 'a\tb\n1\t2\n');
  assert.deepEqual(Object.keys((await runQualityChecks({ checks: [] }, { path: tsv })).columns), ['a', 'b']);

  const na = join(dir, 'na.csv');
  writeFileSync(na, 'a\n1\nNA\n3\n');
  const withNa = await runQualityChecks({ csv: { missingValues: ['NA'] }, checks: [] }, { path: na });
  assert.deepEqual([withNa.columns.a!.type, withNa.columns.a!.missing], ['integer', 1]);
});

test('a missing file and a bad spec throw (the caller’s to fix), naming the field', async () => {
  await assert.rejects(runQualityChecks({ checks: [] }, { path: join(dir, 'nope.csv') }), { code: 'NotFound', field: 'file.path' });
  await assert.rejects(runQualityChecks({ checks: [{ type: 'missing', maxRatio: 7 }] } as never, { path: join(dir, 'nope.csv') }), {
    code: 'InvalidConfiguration',
    field: 'quality.checks[0].maxRatio',
  });
});
