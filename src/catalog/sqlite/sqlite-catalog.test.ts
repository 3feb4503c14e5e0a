import { mkdtempSync } from 'node:fs';
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
