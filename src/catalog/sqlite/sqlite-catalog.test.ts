import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCatalogConformance } from '../conformance.js';
import { SqliteCatalog } from './sqlite-catalog.js';

const paths = new WeakMap<object, string>();

runCatalogConformance('sqlite', {
  async open() {
    const path = join(mkdtempSync(join(tmpdir(), 'reflow-catalog-')), 'catalog.db');
    const catalog = SqliteCatalog.open({ path });
    paths.set(catalog, path);
    return catalog;
  },
  async reopen(catalog) {
    const path = paths.get(catalog)!;
    await catalog.close();
    const again = SqliteCatalog.open({ path });
    paths.set(again, path);
    return again;
  },
});

test('sqlite: the writes of one turn commit together; a failing one rolls back alone; each is answered once committed', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'reflow-catalog-')), 'catalog.db');
  const catalog = SqliteCatalog.open({ path });
  const other = new Database(path, { readonly: true });
  const count = () => (other.prepare('SELECT count(*) AS n FROM raw_versions').get() as { n: number }).n;
  try {
    await catalog.setPipeline('ds', { transformVersion: 't1', specHash: 's1' });
    const event = (key: string) => ({ bucket: 'raw', key, versionId: `v-${key}`, sequencer: '01', kind: 'created' as const, timeMs: 1 });
    const calls = [
      catalog.recordObjectEvent('ds', event('a.csv')),
      // No such version: this call fails, and only it.
      catalog.putQualityReport({ dataset: 'ds', object: { bucket: 'raw', key: 'nope.csv', versionId: 'x' }, specHash: 's1', passed: true, reasons: [], report: {}, timeMs: 1 }),
      catalog.recordObjectEvent('ds', event('b.csv')),
    ];
    assert.equal(count(), 0, 'nothing is committed while the turn lasts');
    const outcomes = await Promise.allSettled(calls);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal(count(), 2, 'answered means committed: another connection sees both versions');
    assert.equal((await catalog.getRawVersion({ bucket: 'raw', key: 'b.csv', versionId: 'v-b.csv' }))?.key, 'b.csv');
  } finally {
    other.close();
    await catalog.close();
  }
});
