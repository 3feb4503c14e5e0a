/**
 * The composition root: the only file that names adapters. It turns configuration into wired instances and closes
 * them in reverse order. Today there is one adapter per port (the embedded one); the scale-out adapters plug in here.
 */
import { join, resolve } from 'node:path';
import type { EventBus } from './bus/port.js';
import { SqliteEventBus } from './bus/sqlite/index.js';
import type { ObjectStore } from './store/port.js';
import { FsObjectStore } from './store/local/index.js';

export interface ReflowConfig {
  /** Where the embedded adapters keep their files. */
  dataDir: string;
  account?: string;
  region?: string;
}

export interface Reflow {
  bus: EventBus;
  /** Versioned buckets; its object events go to `bus` (default bus) through the store's outbox. */
  store: ObjectStore;
  close(): Promise<void>;
}

export async function createReflow(config: ReflowConfig): Promise<Reflow> {
  const dataDir = resolve(config.dataDir);
  const options: { path: string; account?: string; region?: string } = { path: join(dataDir, 'bus.db') };
  if (config.account !== undefined) options.account = config.account;
  if (config.region !== undefined) options.region = config.region;
  const bus = SqliteEventBus.open(options);
  let store: ObjectStore;
  try {
    const storeOptions: Parameters<typeof FsObjectStore.open>[0] = { dir: join(dataDir, 'store'), bus };
    if (config.account !== undefined) storeOptions.account = config.account;
    store = await FsObjectStore.open(storeOptions);
  } catch (err) {
    await bus.close();
    throw err;
  }
  return {
    bus,
    store,
    async close() {
      // Reverse order: the store's relay stops before the bus it writes to closes.
      await store.close();
      await bus.close();
    },
  };
}
