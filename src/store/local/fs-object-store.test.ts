import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventBus } from '../../bus/sqlite/index.js';
import type { EventEnvelope } from '../../bus/types.js';
import { runObjectStoreConformance, bodyOf, generatedBody, readAll, md5Hex } from '../conformance.js';
import { FsObjectStore } from './fs-object-store.js';
import type { FsObjectStoreOptions } from './options.js';

const root = mkdtempSync(join(tmpdir(), 'reflow-fs-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A store and a real SQLite bus in a fresh directory. fsync stays on: it is the default and what ships. */
async function openFresh(extra: Partial<FsObjectStoreOptions> = {}) {
  const dir = join(root, `case-${n++}`);
  const bus = SqliteEventBus.open({ path: join(dir, 'bus.db'), retryBaseDelayMs: 2, maxRetryDelayMs: 10 });
  const store = await FsObjectStore.open({ dir: join(dir, 'store'), bus, ...extra });
  return { dir, bus, store };
}

const buses = new WeakMap<object, SqliteEventBus>();
runObjectStoreConformance('local (FsObjectStore)', {
  async open() {
    const { bus, store } = await openFresh();
    buses.set(store, bus);
    return { store, bus };
  },
  async close({ store }) {
    await store.close();
    await buses.get(store)?.close();
  },
  cleanup: false,
});
