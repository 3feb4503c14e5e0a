/**
 * The checkpointer's thread (see checkpointer.ts): its own connection to the store database, copying WAL frames
 * into the database file with PASSIVE checkpoints, which never block the writer. It sleeps on a shared word, so
 * closing wakes it at once.
 */
import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointWorkerData } from './checkpointer.js';

const { path, busyIntervalMs, idleIntervalMs, control } = workerData as CheckpointWorkerData;
const word = new Int32Array(control);
const db = new Database(path, { fileMustExist: true });
try {
  db.pragma('synchronous = NORMAL');
  while (Atomics.load(word, 0) === 0) {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    // Copied something: more is likely coming, look again soon. Nothing to copy: the store is quiet, sleep longer.
    const copied = result !== undefined && result.log > 0 && result.checkpointed > 0;
    Atomics.wait(word, 0, 0, copied ? busyIntervalMs : idleIntervalMs);
  }
} finally {
  db.close();
}
