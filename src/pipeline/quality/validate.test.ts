import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReflowError } from '../../errors.js';
import { karliSpec } from './fixtures.js';
import { qualitySpecHash, validateQualitySpec } from './index.js';
import { compileQualitySpec } from './internal.js';

function rejects(spec: unknown, field: string, message?: RegExp, prefix = 'quality'): void {
  assert.throws(
    () => validateQualitySpec(spec, prefix),
    (err: unknown) => {
      assert.ok(err instanceof ReflowError, `expected a ReflowError, got ${String(err)}`);
      assert.equal(err.code, 'InvalidConfiguration');
      assert.equal(err.field, field, `field of: ${err.message}`);
      assert.ok(err.message.startsWith(field) || err.message.includes(field), `message names the field: ${err.message}`);
      if (message) assert.match(err.message, message);
      return true;
    },
  );
}

test('a complete spec validates and is returned as is', () => {
  const spec = {
    format: 'csv',
    csv: { delimiter: ';', header: true, missingValues: ['NA'] },
    checks: [...karliSpec().checks, { type: 'custom', name: 'mine', check: () => ({ passed: true }) }, { type: 'fileSize', max: 1e9 }],
  };
  assert.equal(validateQualitySpec(spec), spec);
  const compiled = compileQualitySpec(spec);
  assert.deepEqual(
    compiled.checks.map((c) => c.name),
    [
      'schema',
      'range(speed_kmh, median)',
      'range(speed_kmh)',
      'range(heart_rate_bpm)',
      'range(eye_closure_ratio)',
      'missing(heart_rate_bpm)',
      'missing',
      'duplicates',
      'timeseries(timestamp)',
      'rowCount',
      'mine',
      'fileSize',
    ],
  );
  const ts = compiled.checks.find((c) => c.type === 'timeseries');
  assert.deepEqual(ts && ts.type === 'timeseries' && [ts.tolerance, ts.monotonic], [0.5, true]);
  assert.deepEqual(validateQualitySpec({ checks: [] }), { checks: [] });
});

test('bad specs are refused with InvalidConfiguration naming the exact field', () => {
  rejects(null, 'quality', /must be an object/);
  rejects([], 'quality');
  rejects({}, 'quality.checks', /required/);
  rejects({ checks: {} }, 'quality.checks', /list/);
  rejects({ checks: [], extra: 1 }, 'quality.extra', /not a known option/);
  rejects({ format: 'xlsx', checks: [] }, 'quality.format', /csv, ndjson, parquet/);
  rejects({ csv: { header: false }, checks: [] }, 'quality.csv.header', /header row/);
  rejects({ csv: { delimiter: '' }, checks: [] }, 'quality.csv.delimiter');
  rejects({ csv: { delimiter: '"' }, checks: [] }, 'quality.csv.delimiter');
  rejects({ csv: { quote: "'" }, checks: [] }, 'quality.csv.quote');
  rejects({ csv: { missingValues: ['NA', 3] }, checks: [] }, 'quality.csv.missingValues[1]');
  rejects({ format: 'parquet', csv: {}, checks: [] }, 'quality.csv', /only to CSV/);
  rejects({ checks: [42] }, 'quality.checks[0]', /object/);
  rejects({ checks: [{ type: 'regex' }] }, 'quality.checks[0].type', /schema, range, missing/);
  rejects({ checks: [{ column: 'a' }] }, 'quality.checks[0].type');
  rejects({ checks: [{ type: 'rowCount', min: 1, mx: 2 }] }, 'quality.checks[0].mx', /not a known option/);
  rejects({ checks: [{ type: 'rowCount', name: '', min: 1 }] }, 'quality.checks[0].name');
  rejects({ checks: [{ type: 'rowCount' }] }, 'quality.checks[0].min', /min, max, or both/);
  rejects({ checks: [{ type: 'rowCount', min: 10, max: 5 }] }, 'quality.checks[0].min', /greater than max/);
  rejects({ checks: [{ type: 'rowCount', min: 1.5 }] }, 'quality.checks[0].min', /whole number/);
  rejects({ checks: [{ type: 'fileSize', max: -1 }] }, 'quality.checks[0].max');
  rejects({ checks: [{ type: 'fileSize', max: '10MB' }] }, 'quality.checks[0].max', /finite number/);
  rejects({ checks: [{ type: 'range', column: 'a', min: 3, max: 1 }] }, 'quality.checks[0].min', /greater than max/);
  rejects({ checks: [{ type: 'range', column: 'a', min: NaN }] }, 'quality.checks[0].min');
  rejects({ checks: [{ type: 'range', column: '', min: 0 }] }, 'quality.checks[0].column');
  rejects({ checks: [{ type: 'range', column: 'a', min: 0, statistic: 'p99' }] }, 'quality.checks[0].statistic');
  rejects({ checks: [{ type: 'range', column: 'a', min: 0, maxOutOfRangeRatio: 1.5 }] }, 'quality.checks[0].maxOutOfRangeRatio', /between 0 and 1/);
  rejects({ checks: [{ type: 'range', column: 'a', min: 0, statistic: 'median', maxOutOfRangeRatio: 0.1 }] }, 'quality.checks[0].maxOutOfRangeRatio');
  rejects({ checks: [{ type: 'missing', column: 'a' }] }, 'quality.checks[0].maxRatio');
  rejects({ checks: [{ type: 'missing', maxRatio: 5 }] }, 'quality.checks[0].maxRatio', /between 0 and 1/);
  rejects({ checks: [{ type: 'missing', maxRatio: -0.1 }] }, 'quality.checks[0].maxRatio');
  rejects({ checks: [{ type: 'missing', maxRatio: 0.1, maxRun: 2.5 }] }, 'quality.checks[0].maxRun');
  rejects({ checks: [{ type: 'duplicates', columns: [] }] }, 'quality.checks[0].columns');
  rejects({ checks: [{ type: 'duplicates', columns: ['a', 'a'] }] }, 'quality.checks[0].columns[1]', /repeats/);
  rejects({ checks: [{ type: 'duplicates', maxCount: -1 }] }, 'quality.checks[0].maxCount');
  rejects({ checks: [{ type: 'timeseries' }] }, 'quality.checks[0].column');
  rejects({ checks: [{ type: 'timeseries', column: 't', intervalMs: 0 }] }, 'quality.checks[0].intervalMs', /greater than 0/);
  rejects({ checks: [{ type: 'timeseries', column: 't', tolerance: -1 }] }, 'quality.checks[0].tolerance');
  rejects({ checks: [{ type: 'timeseries', column: 't', intervalMs: 100, maxGapMs: 50 }] }, 'quality.checks[0].maxGapMs', /smaller than intervalMs/);
  rejects({ checks: [{ type: 'timeseries', column: 't', minRateHz: 20, maxRateHz: 10 }] }, 'quality.checks[0].minRateHz');
  rejects({ checks: [{ type: 'timeseries', column: 't', monotonic: 'yes' }] }, 'quality.checks[0].monotonic');
  rejects({ checks: [{ type: 'custom', check: () => ({ passed: true }) }] }, 'quality.checks[0].name', /required/);
  rejects({ checks: [{ type: 'custom', name: 'x', check: 'return true' }] }, 'quality.checks[0].check', /must be a function/);
  rejects({ checks: [{ type: 'schema', columns: {} }] }, 'quality.checks[0].columns');
  rejects({ checks: [{ type: 'schema', columns: { speed: 'float' } }] }, 'quality.checks[0].columns.speed', /number, integer/);
  rejects({ checks: [{ type: 'schema', columns: { 'heart rate': 'float' } }] }, 'quality.checks[0].columns["heart rate"]');
  rejects({ checks: [{ type: 'schema', columns: { a: 'number' }, required: ['b'] }] }, 'quality.checks[0].required[0]');
  rejects({ checks: [{ type: 'schema', columns: { a: 'number' }, allowExtra: 1 }] }, 'quality.checks[0].allowExtra');
  rejects({ checks: [{ type: 'schema', columns: { a: 'number' } }, { type: 'schema', name: 's2', columns: { a: 'number' } }] }, 'quality.checks[1]', /second schema/);
  rejects({ checks: [{ type: 'rowCount', min: 1 }, { type: 'rowCount', max: 9 }] }, 'quality.checks[1].name', /taken by checks\[0\]/);
});

test('with a schema declared, a check naming an undeclared column is refused at that field', () => {
  const schema = { type: 'schema', columns: { speed_kmh: 'number', t: 'timestamp' } };
  rejects({ checks: [schema, { type: 'rowCount', min: 1 }, { type: 'missing', column: 'heart_rate', maxRatio: 0.1 }] }, 'quality.checks[2].column', /does not declare/);
  rejects({ checks: [{ type: 'range', column: 'sped_kmh', max: 1 }, schema] }, 'quality.checks[0].column');
  rejects({ checks: [schema, { type: 'duplicates', columns: ['t', 'x'] }] }, 'quality.checks[1].columns[1]');
  rejects({ checks: [schema, { type: 'timeseries', column: 'time' }] }, 'quality.checks[1].column');
});

test('the field prefix is the caller’s (a project definition names its dataset)', () => {
  rejects({ checks: [{ type: 'rowCount', min: 1 }, { type: 'rowCount', min: 1 }] }, 'datasets.drives.quality.checks[1].name', undefined, 'datasets.drives.quality');
  rejects({ checks: [{ type: 'rowCount', min: 1 }, { type: 'rowCount', min: 1 }, { type: 'missing', maxRatio: 2 }] }, 'datasets.drives.quality.checks[2].maxRatio', undefined, 'datasets.drives.quality');
  rejects({ checks: [{ type: 'missing', maxRatio: 2 }] }, 'datasets.drives.quality.checks[0].maxRatio', undefined, 'datasets.drives.quality');
});

test('qualitySpecHash is stable across key order and defaults, and changes with any check', () => {
  const a = { checks: [{ type: 'timeseries', column: 't', intervalMs: 100 }, { type: 'missing', maxRatio: 0.1 }] } as const;
  const b = { checks: [{ intervalMs: 100, column: 't', type: 'timeseries', tolerance: 0.5, monotonic: true }, { maxRatio: 0.1, type: 'missing' }] } as const;
  assert.match(qualitySpecHash(a), /^[0-9a-f]{64}$/);
  assert.equal(qualitySpecHash(a), qualitySpecHash(b));
  assert.notEqual(qualitySpecHash(a), qualitySpecHash({ checks: [a.checks[0], { type: 'missing', maxRatio: 0.11 }] }));
  assert.notEqual(qualitySpecHash(a), qualitySpecHash({ checks: [a.checks[1], a.checks[0]] }), 'order is part of the report');
  assert.notEqual(qualitySpecHash(a), qualitySpecHash({ ...a, format: 'csv' }));
  const f1 = { checks: [{ type: 'custom', name: 'c', check: () => ({ passed: true }) }] };
  const f2 = { checks: [{ type: 'custom', name: 'c', check: () => ({ passed: true }) }] };
  const f3 = { checks: [{ type: 'custom', name: 'c', check: () => ({ passed: false }) }] };
  assert.equal(qualitySpecHash(f1), qualitySpecHash(f2), 'same source, same hash');
  assert.notEqual(qualitySpecHash(f1), qualitySpecHash(f3), 'changed source, new hash');
  assert.throws(() => qualitySpecHash({ checks: [{ type: 'nope' }] }), { code: 'InvalidConfiguration' });
});
