/**
 * Group commit for the embedded SQLite databases, as a write-ahead log does it: the store's metadata (with fsync)
 * and the catalog (without: `synchronous = NORMAL` is its durability, as for the job queue and the bus).
 *
 * - Writes that arrive together (every request whose body ended in the same turn of the event loop) run in ONE
 *   SQLite transaction, each inside its own savepoint: one failing (a condition, a bucket deleted meanwhile) rolls
 *   back alone and gets its own error; the others commit. One commit writes each touched page to the WAL once
 *   instead of once per write (a 3 KB PUT dirtied ~8 pages; 16 of them share most).
 * - With fsync on, a write is answered only once the WAL holding its commit is on disk: the store runs SQLite with
 *   `synchronous = NORMAL` (a commit is a write(), durable against a process crash, not yet against power loss) and
 *   fsyncs the WAL file itself, off the event loop, for every commit made before that fsync started. While that
 *   fsync runs, new writes queue; they commit together the moment it completes, and share the next fsync (the
 *   leader/follower scheme of database group commit). Waiting costs them nothing: committed earlier they would
 *   still have waited for that next fsync. So N concurrent writes cost one commit and one fsync, not N, and the
 *   event loop never waits for the disk (`synchronous = FULL` would block it for the fsync inside every commit).
 *   Measured on 3 KB PUTs from 16 clients: committing once per turn of the event loop grouped 5 writes a commit,
 *   committing once per fsync groups 16.
 * fsync of a file descriptor flushes the file (the inode), whoever wrote it: SQLite's writes to the WAL are covered
 * by an fsync through our own descriptor. SQLite never replaces the WAL file while its connection is open (it
 * truncates or rewrites it in place), so the descriptor stays valid for the store's lifetime.
 */
import { openSync, fsyncSync, closeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Shared fsyncs of one file: `sync()` resolves once everything written to it before the call is on disk. */
export class GroupSync {
  private running: Promise<void> | undefined;
  private next: Deferred | undefined;
  private handle: Promise<FileHandle> | undefined;
  /** Called with the value `mark()` returned when the fsync that covers it completes. */
  private marks: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly path: string,
    /** Told, when an fsync completes, that everything written before it started is durable. */
    private readonly onDurable?: (mark: number) => void,
    /** What "everything written so far" is, read when an fsync starts (e.g. the last outbox seq). */
    private readonly mark?: () => number,
  ) {
    // The WAL exists once SQLite opened it; its directory entry must be durable too, once.
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }

  /** An fsync now, blocking: at open, so what an earlier process committed is durable before it is relayed. */
  syncNow(): void {
    const fd = openSync(this.path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  sync(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    if (!this.running) return this.start();
    // An fsync is running that may have started before our write: ours is the next one.
    this.next ??= deferred();
    return this.next.promise;
  }

  private start(): Promise<void> {
    const mark = this.mark?.();
    const done = (async () => {
      this.handle ??= open(this.path, 'r');
      await (await this.handle).sync();
      if (mark !== undefined) this.onDurable?.(mark);
    })();
    this.running = done.then(
      () => this.chain(),
      () => this.chain(),
    );
    return done;
  }

  private chain(): void {
    this.running = undefined;
    const waiting = this.next;
    this.next = undefined;
    if (waiting) this.start().then(waiting.resolve, waiting.reject);
  }

  async close(): Promise<void> {
    while (this.running) await this.running;
    this.closed = true;
    const handle = this.handle;
    this.handle = undefined;
    await (await handle?.catch(() => undefined))?.close().catch(() => undefined);
  }
}

interface Queued {
  work: () => unknown;
  after: ((value: unknown) => void) | undefined;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Most writes in one transaction: bounds the time one commit holds the event loop. */
const MAX_BATCH = 256;

export class GroupCommit {
  private queue: Queued[] = [];
  private scheduled = false;
  /** A batch's fsync is running: the next batch commits when it completes. */
  private syncing = false;
  private readonly outer: (run: () => void) => void;
  private readonly savepoint: (work: () => unknown) => unknown;

  constructor(
    db: Database.Database,
    /** Resolves once the commits made so far are durable; absent when fsync is off. */
    private readonly durable: (() => Promise<void>) | undefined,
  ) {
    // A better-sqlite3 transaction function called inside another runs as a SAVEPOINT, rolled back alone on throw.
    this.outer = db.transaction((run: () => void) => run());
    this.savepoint = db.transaction((work: () => unknown) => work());
  }

  /**
   * Runs `work` (synchronous SQLite statements) in the next shared transaction; resolves with its result once the
   * transaction committed (and, with fsync on, is on disk), or rejects with what `work` threw (its savepoint rolled
   * back, nothing of it stored) or with the commit's failure. `after` runs right after the commit, before the
   * fsync (freeing what the commit dereferenced must not wait for the disk, nor be skipped if the fsync fails).
   */
  submit<R>(work: () => R, after?: (value: R) => void): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ work, after: after as ((value: unknown) => void) | undefined, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.syncing || this.queue.length === 0) return;
    this.scheduled = true;
    // setImmediate, not a microtask: the rest of this turn's I/O callbacks (other bodies ending) join the batch.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    const outcomes: Outcome[] = [];
    try {
      this.outer(() => {
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: this.savepoint(item.work) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of the batch is stored.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok && item.after) {
        try {
          item.after(o.value);
        } catch {
          // Best effort (unlinking freed files): a leftover is swept at the next open.
        }
      }
    });
    const answer = () =>
      batch.forEach((item, i) => {
        const o = outcomes[i]!;
        if (o.ok) item.resolve(o.value);
        else item.reject(o.error);
      });
    if (!this.durable || outcomes.every((o) => !o.ok)) {
      answer();
      this.schedule();
      return;
    }
    this.syncing = true;
    this.durable()
      .then(answer, (error) => {
        // Committed (and visible) but not known to be on disk: the client must not be told it is.
        batch.forEach((item, i) => {
          const o = outcomes[i]!;
          item.reject(o.ok ? error : o.error);
        });
      })
      .finally(() => {
        this.syncing = false;
        this.schedule();
      });
  }
}
