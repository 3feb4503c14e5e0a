/**
 * WAL checkpoints off the writer's thread.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses `wal_autocheckpoint` pages: it copies the WAL into
 * the database file and fsyncs both, stalling the event loop for milliseconds (1–10 ms per fsync measured on this
 * machine's disk). That was half the cost of a durable PutEvents and the whole p99 tail of event-to-target latency.
 * Here a worker thread with its own connection runs PASSIVE checkpoints every few milliseconds instead; they never
 * block the writer. The writer keeps a high `wal_autocheckpoint` as a backstop: under sustained writes a PASSIVE
 * checkpoint never catches the last frames (the writer keeps appending), so the WAL would only grow; once it passes
 * the backstop the writer's own checkpoint, which then has only those last frames to copy, lets the WAL restart.
 *
 * Durability is unchanged: commits are as durable as before (WAL, `synchronous` as configured); checkpoints only move
 * committed pages from one file to the other.
 */
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';

/**
 * The writer's own checkpoint threshold, in pages, while a checkpointer runs (256 MiB of 4 KiB pages, which the WAL
 * file may then take on disk). Each time it is crossed the writer stalls for the checkpoint's fsyncs (3–12 ms
 * measured here), so it is set high: 5,000 single-event commits a second write about 17,000 pages a second, so that
 * is one stall every 4 s or so, 0.3 % of events, outside the p99 of event-to-target latency. (journal_size_limit,
 * which would cut the file back at each restart, is left off: truncating 128 MiB stalled the writer for 50 ms.)
 */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 65_536;

export interface WalCheckpointerOptions {
  /** The writer's `synchronous` setting; checkpoints sync as it does. */
  synchronous: 'NORMAL' | 'FULL';
  /** Pause after a checkpoint that copied frames. */
  busyIntervalMs?: number;
  /** Pause after one that found nothing to copy. */
  idleIntervalMs?: number;
}

export interface CheckpointWorkerData {
  path: string;
  synchronous: 'NORMAL' | 'FULL';
  busyIntervalMs: number;
  idleIntervalMs: number;
  control: SharedArrayBuffer;
}

export class WalCheckpointer {
  private readonly word: Int32Array;
  private readonly exited: Promise<unknown>;

  private constructor(private readonly worker: Worker, control: SharedArrayBuffer) {
    this.word = new Int32Array(control);
    // A failed checkpointer (the file removed under it, say) only leaves the writer's backstop checkpoints.
    this.exited = once(worker, 'exit').catch(() => undefined);
    worker.on('error', () => undefined);
    worker.unref();
  }

  /** Starts checkpointing the WAL database at `path` (which must exist and be in WAL mode). */
  static start(path: string, options: WalCheckpointerOptions): WalCheckpointer {
    const control = new SharedArrayBuffer(4);
    const workerData: CheckpointWorkerData = {
      path,
      synchronous: options.synchronous,
      busyIntervalMs: options.busyIntervalMs ?? 5,
      idleIntervalMs: options.idleIntervalMs ?? 50,
      control,
    };
    // Run from source (tsx) the worker is a .ts file too.
    const file = import.meta.url.endsWith('.ts') ? './checkpoint-worker.ts' : './checkpoint-worker.js';
    return new WalCheckpointer(new Worker(new URL(file, import.meta.url), { workerData }), control);
  }

  /** Stops the worker and waits for its connection to close (before the writer's last close checkpoints). */
  async close(): Promise<void> {
    Atomics.store(this.word, 0, 1);
    Atomics.notify(this.word, 0);
    this.worker.ref(); // an unreferenced worker would let the process exit while we wait for it
    await this.exited;
  }
}
