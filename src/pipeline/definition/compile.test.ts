import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileProject } from './compile.js';
import { desiredResources } from './resources.js';

const dir = mkdtempSync(join(tmpdir(), 'reflow-project-'));
writeFileSync(join(dir, 'clean.ts'), 'export default async function () {}\n');

const valid = () => ({
  name: 'karli',
  buckets: { raw: {}, out: {} },
  datasets: {
    drives: {
      source: { bucket: 'raw', prefix: 'recordings/' },
      quality: { checks: [{ type: 'rowCount', min: 1 }] },
      transform: { name: 'clean', version: 1, module: 'clean.ts' },
      load: { bucket: 'out', groupBy: '^recordings/(?<group>[^/]+)/', splits: { train: 0.8, test: 0.2 } },
    },
  },
});

test('a valid definition compiles into the strict shape', async () => {
  const project = await compileProject(valid(), dir);
  const [drives] = project.datasets;
  assert.equal(project.eventBus, 'default');
  assert.match(drives!.transformVersion, /^1\+[0-9a-f]{8}$/);
  assert.equal(drives!.load.prefix, 'drives/');
  assert.equal(drives!.load.groupOf({ key: 'recordings/fleet/x.csv' }), 'fleet');
  assert.equal(drives!.load.groupOf({ key: 'elsewhere.csv' }), 'elsewhere.csv', 'no match: the key itself');
  assert.deepEqual(project.buckets, [{ name: 'raw', versioning: true }, { name: 'out', versioning: true }]);
  const rules = desiredResources(project).rules.map((r) => r.name);
  assert.deepEqual(rules, ['reflow-drives-extract', 'reflow-drives-forget', 'reflow-drives-transform', 'reflow-drives-load', 'reflow-karli-monitoring']);
});

test('every invalid definition is refused naming the field', async () => {
  const cases: Array<[string, (p: any) => void]> = [
    ['name', (p) => (p.name = 'Bad Name')],
    ['nmae', (p) => (p.nmae = 'typo')],
    ['datasets', (p) => (p.datasets = {})],
    ['datasets.Drives', (p) => (p.datasets = { Drives: p.datasets.drives })],
    ['datasets.drives.source', (p) => delete p.datasets.drives.source],
    ['datasets.drives.source.bucket', (p) => (p.datasets.drives.source.bucket = 'UPPER')],
    ['datasets.drives.source.prefx', (p) => (p.datasets.drives.source.prefx = 'x')],
    ['buckets.raw.versioning', (p) => (p.buckets.raw.versioning = false)],
    ['datasets.drives.transform', (p) => delete p.datasets.drives.transform],
    ['datasets.drives.transform.module', (p) => (p.datasets.drives.transform.module = 'missing.ts')],
    ['datasets.drives.transform.version', (p) => delete p.datasets.drives.transform.version],
    ['datasets.drives.quality.checks[0].min', (p) => (p.datasets.drives.quality.checks[0].min = -1)],
    ['datasets.drives.load.splits', (p) => (p.datasets.drives.load.splits = { train: 0.5 })],
    ['datasets.drives.load.splits.train', (p) => (p.datasets.drives.load.splits = { train: 2 })],
    ['datasets.drives.load.mode', (p) => (p.datasets.drives.load.mode = 'serving')],
    ['datasets.drives.load.groupBy', (p) => (p.datasets.drives.load.groupBy = '([unclosed')],
    ['datasets.drives.load.prefix', (p) => Object.assign(p.datasets.drives.load, { bucket: 'raw', prefix: 'recordings/out/' })],
    ['datasets.drives.contributor', (p) => (p.datasets.drives.contributor = 42)],
    ['rules.reflow-x', (p) => (p.rules = { 'reflow-x': { pattern: { source: ['a'] }, targets: [{ id: 't', arn: 'http://h/' }] } })],
    ['rules.r.pattern.source', (p) => (p.rules = { r: { pattern: { source: 'not-an-array' }, targets: [{ id: 't', arn: 'http://h/' }] } })],
    ['rules.r.targets', (p) => (p.rules = { r: { pattern: { source: ['a'] }, targets: [] } })],
    ['alerts.webhooks[0]', (p) => (p.alerts = { webhooks: ['ftp://nope'] })],
    ['workers.concurrency', (p) => (p.workers = { concurrency: 0 })],
  ];
  for (const [field, mutate] of cases) {
    const definition = valid();
    mutate(definition);
    await assert.rejects(compileProject(definition, dir), (err: { code?: string; field?: string; message?: string }) => {
      assert.equal(err.code, 'InvalidConfiguration', `${field}: ${err.message}`);
      assert.equal(err.field, field, `${field}: ${err.message}`);
      return true;
    });
  }
});
