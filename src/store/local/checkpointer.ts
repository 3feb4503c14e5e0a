/**
 * WAL checkpoints of the store's metadata database off the event loop.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses `wal_autocheckpoint` pages: it copies the WAL
 * into the database file and fsyncs both, on the writer's thread. With small objects stored inline that happened
 * every ~60 commits and cost ~70 µs per 3 KB PUT (measured: 152 µs of commit work per PUT with it, 82 without).
 * Here a worker thread with its own connection runs PASSIVE checkpoints, which never block the writer; the writer
 * keeps a high `wal_autocheckpoint` as a backstop, for sustained writes a PASSIVE checkpoint never catches up with.
 * (The same scheme as the SQLite bus's checkpointer; adapters do not import each other, so it is repeated here.)
 *
 * Durability is unchanged: checkpoints only move committed pages from one file to the other, fsyncing as
 * `synchronous = NORMAL` does.
 */
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';

/** The writer's own threshold while the checkpointer runs: 64 MiB of 4 KiB pages, which the WAL may then take. */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 16_384;

export interface CheckpointWorkerData {
  path: string;
  busyIntervalMs: number;
  idleIntervalMs: number;
  control: SharedArrayBuffer;
}

export class WalCheckpointer {
  private readonly word: Int32Array;
  private readonly exited: Promise<unknown>;

  private constructor(private readonly worker: Worker, control: SharedArrayBuffer) {
    this.word = new Int32Array(control);
    // A failed checkpointer only leaves the writer's backstop checkpoints.
    this.exited = once(worker, 'exit').catch(() => undefined);
    worker.on('error', () => undefined);
    worker.unref();
  }

  /** Starts checkpointing the WAL database at `path` (which must exist and be in WAL mode). */
  static start(path: string, busyIntervalMs = 5, idleIntervalMs = 50): WalCheckpointer {
    const control = new SharedArrayBuffer(4);
    const workerData: CheckpointWorkerData = { path, busyIntervalMs, idleIntervalMs, control };
    // Run from source (tsx) the worker is a .ts file too.
    const file = import.meta.url.endsWith('.ts') ? './checkpoint-worker.ts' : './checkpoint-worker.js';
    return new WalCheckpointer(new Worker(new URL(file, import.meta.url), { workerData }), control);
  }

  /** Stops the worker and waits for its connection to close (before the writer's own close checkpoints). */
  async close(): Promise<void> {
    Atomics.store(this.word, 0, 1);
    Atomics.notify(this.word, 0);
    this.worker.ref(); // an unreferenced worker would let the process exit while we wait for it
    await this.exited;
  }
}
