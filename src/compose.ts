/**
 * The composition root: the only file that names adapters. It turns configuration into wired instances and closes
 * them in reverse order. Today there is one adapter per port (the embedded one); the scale-out adapters plug in here.
 */
import { join, resolve } from 'node:path';
import type { EventBus } from './bus/port.js';
import { SqliteEventBus } from './bus/sqlite/index.js';
import type { ObjectStore } from './store/port.js';
import { FsObjectStore } from './store/local/index.js';
import { S3ObjectStore, type S3ObjectStoreOptions } from './store/s3/index.js';
import type { Catalog } from './catalog/port.js';
import { SqliteCatalog } from './catalog/sqlite/index.js';
import type { JobQueue } from './runtime/index.js';
import { SqliteJobQueue } from './runtime/jobs/sqlite/index.js';
import { Pipeline, type ApplyOutcome } from './pipeline/index.js';

export interface ReflowConfig {
  /** Where the embedded adapters keep their files. */
  dataDir: string;
  account?: string;
  region?: string;
  /**
   * Where objects live: the embedded local store (default), or any S3-compatible service (AWS S3, MinIO, Ceph) —
   * changes made behind Reflow's back are found by the adapter's scanner.
   */
  store?: { kind: 'local' } | ({ kind: 's3' } & Omit<S3ObjectStoreOptions, 'bus' | 'scan' | 'account'> & { scanIntervalMs?: number });
  /** A project directory (reflow.config.ts): its pipeline is applied and runs in this process. */
  projectDir?: string;
  /** Overrides the project's worker settings. */
  workers?: { concurrency?: number; idleTimeoutMs?: number };
  /** Where pipeline messages go (default stderr). */
  log?: (message: string) => void;
}

export interface Reflow {
  bus: EventBus;
  /** Versioned buckets; its object events go to `bus` (default bus) through the store's outbox. */
  store: ObjectStore;
  catalog: Catalog;
  jobs: JobQueue;
  /** Present when a project runs. */
  pipeline?: Pipeline;
  /** What starting the project applied. */
  applied?: ApplyOutcome;
  close(): Promise<void>;
}

export async function createReflow(config: ReflowConfig): Promise<Reflow> {
  const dataDir = resolve(config.dataDir);
  const options: { path: string; account?: string; region?: string } = { path: join(dataDir, 'bus.db') };
  if (config.account !== undefined) options.account = config.account;
  if (config.region !== undefined) options.region = config.region;
  const bus = SqliteEventBus.open(options);
  // Opened in order, closed in reverse; a failure half-way closes what was opened.
  const opened: Array<{ close(): Promise<void> }> = [bus];
  const closeAll = async () => {
    for (const part of opened.reverse()) await part.close();
  };
  try {
    const store = await openStore(config, dataDir, bus);
    opened.push(store);
    const catalog = SqliteCatalog.open({ path: join(dataDir, 'catalog.db') });
    opened.push(catalog);
    const jobs = SqliteJobQueue.open({ path: join(dataDir, 'jobs.db') });
    opened.push(jobs);
    const reflow: Reflow = { bus, store, catalog, jobs, close: closeAll };
    if (config.projectDir !== undefined) {
      const pipelineOptions: Parameters<typeof Pipeline.start>[0] = { bus, store, catalog, jobs, projectDir: config.projectDir, workDir: join(dataDir, 'work') };
      if (config.workers) pipelineOptions.workers = config.workers;
      if (config.log) pipelineOptions.log = config.log;
      const { pipeline, applied } = await Pipeline.start(pipelineOptions);
      // The pipeline's workers stop before the queue, catalog, store and bus they use.
      opened.push(pipeline);
      reflow.pipeline = pipeline;
      reflow.applied = applied;
    }
    return reflow;
  } catch (err) {
    await closeAll();
    throw err;
  }
}

async function openStore(config: ReflowConfig, dataDir: string, bus: EventBus): Promise<ObjectStore> {
  if (config.store?.kind === 's3') {
    const { kind: _kind, scanIntervalMs, ...remote } = config.store;
    const options: S3ObjectStoreOptions = { ...remote, bus, scan: { statePath: join(dataDir, 's3-scan.db'), intervalMs: scanIntervalMs ?? 60_000 } };
    if (config.account !== undefined) options.account = config.account;
    return S3ObjectStore.open(options);
  }
  const options: Parameters<typeof FsObjectStore.open>[0] = { dir: join(dataDir, 'store'), bus };
  if (config.account !== undefined) options.account = config.account;
  return FsObjectStore.open(options);
}
