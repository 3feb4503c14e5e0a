/**
 * The embedded job queue: one SQLite database (WAL). Every state change is one statement or one transaction that
 * commits before the call resolves, so an acknowledged enqueue or completion survives SIGKILL. Owners claim in
 * batches (one transaction per batch: the runnable seqs, then one `UPDATE … RETURNING` by primary key each) and
 * complete in batches (one transaction per batch), which keeps the per-job cost to a few prepared-statement steps.
 */
import type Database from 'better-sqlite3';
import { ReflowError, wrapError } from '../../../errors.js';
import type * as P from '../port.js';
import { compileJobQueueOptions, retryDelayMs, type CompiledJobQueueOptions, type JobQueueOptions } from '../options.js';
import { checkEnqueueRequest, type CheckedRequest } from '../validate.js';
import { ownerProcessGone } from '../owner.js';
import { openWalDatabase } from '../../../sqlite/open.js';
import { DDL, SCHEMA_VERSION, type AttemptRow, type JobRow } from './schema.js';

export interface SqliteJobQueueOptions extends JobQueueOptions {
  /** Database file, or ':memory:' (tests only: nothing survives). */
  path: string;
  /** 'process' (default): survives SIGKILL of this process (WAL, synchronous=NORMAL). 'power': also power loss (FULL). */
  durability?: 'process' | 'power';
  /** For tests: the clock. */
  now?: () => number;
}

const MAX_LIST = 10_000;

type ClaimedRow = Pick<JobRow, 'seq' | 'id' | 'kind' | 'payload' | 'attempts' | 'max_attempts' | 'timeout_ms'>;

export class SqliteJobQueue implements P.JobQueue {
  private readonly db: Database.Database;
  private readonly options: CompiledJobQueueOptions;
  private readonly now: () => number;
  private readonly listeners = new Set<(signal: P.QueueSignal) => void>();
  private readonly s: ReturnType<typeof prepare>;
  private readonly claimStatements = new Map<string, Database.Statement>();
  private closed = false;
  private readonly enqueueManyTx: (requests: CheckedRequest[], now: number) => boolean[];
  private readonly completeTx: (outcomes: P.AttemptOutcome[], now: number) => { settled: JobRow[]; stale: string[]; retried: string[] };
  private readonly claimTx: (runnable: Database.Statement, params: unknown[], lease: [owner: string, leaseUntilMs: number, now: number]) => ClaimedRow[];
  private readonly claimOne: Database.Statement;

  static open(options: SqliteJobQueueOptions): SqliteJobQueue {
    return new SqliteJobQueue(options);
  }

  private constructor(options: SqliteJobQueueOptions) {
    this.options = compileJobQueueOptions(options);
    this.now = options.now ?? Date.now;
    this.db = openWalDatabase(options.path, { what: 'job', ddl: DDL, schemaVersion: SCHEMA_VERSION, synchronous: options.durability === 'power' ? 'FULL' : 'NORMAL' });
    this.s = prepare(this.db);
    this.enqueueManyTx = this.db.transaction((requests: CheckedRequest[], now: number) => requests.map((r) => this.insert(r, now)));
    this.completeTx = this.db.transaction((outcomes: P.AttemptOutcome[], now: number) => this.completeRows(outcomes, now));
    // Two steps, not `UPDATE … WHERE seq IN (SELECT … LIMIT n)`: SQLite runs that form through an ephemeral table
    // at ~40-150 µs a claim however few rows match, while the select off the partial index and one update by
    // primary key per row cost a few µs (the pool claims after every settled job).
    this.claimOne = this.db.prepare(
      `UPDATE jobs SET state = 'running', attempts = attempts + 1, owner = ?, lease_until_ms = ?, started_ms = ?, updated_ms = ?
       WHERE seq = ? AND state IN ('pending', 'failed')
       RETURNING seq, id, kind, payload, attempts, max_attempts, timeout_ms`,
    );
    this.claimTx = this.db.transaction((runnable: Database.Statement, params: unknown[], [owner, leaseUntilMs, now]: [string, number, number]) => {
      const claimed: ClaimedRow[] = [];
      for (const { seq } of runnable.all(...params) as Array<{ seq: number }>) {
        const row = this.claimOne.get(owner, leaseUntilMs, now, now, seq) as ClaimedRow | undefined;
        if (row) claimed.push(row);
      }
      return claimed;
    });
    this.recoverSync();
  }

  // ---- producers and operators ----

  async enqueue<T>(request: P.EnqueueRequest<T>): Promise<P.Job<T>> {
    this.assertOpen();
    const checked = checkEnqueueRequest(request, this.options);
    const now = this.now();
    const inserted = this.guard(() => this.insert(checked, now));
    if (inserted) {
      this.emit({ type: 'enqueued', kinds: [checked.kind] });
      return freshJob(checked, request.payload, now);
    }
    return this.getSync(checked.id) as P.Job<T>;
  }

  async enqueueMany<T>(requests: P.EnqueueRequest<T>[]): Promise<P.Job<T>[]> {
    this.assertOpen();
    if (!Array.isArray(requests)) throw new ReflowError('InvalidArgument', 'requests must be an array', { field: 'requests' });
    const checked = requests.map((r, i) => checkEnqueueRequest(r, this.options, `requests[${i}]`));
    const now = this.now();
    const inserted = this.guard(() => this.enqueueManyTx(checked, now));
    const kinds = [...new Set(checked.filter((_, i) => inserted[i]).map((c) => c.kind))];
    if (kinds.length) this.emit({ type: 'enqueued', kinds });
    return checked.map((c, i) => (inserted[i] ? freshJob(c, requests[i]!.payload, now) : (this.getSync(c.id) as P.Job<T>)));
  }

  async get(id: string): Promise<P.Job | undefined> {
    this.assertOpen();
    return this.getSync(id);
  }

  async list(filter: P.ListJobsFilter = {}): Promise<P.Job[]> {
    this.assertOpen();
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.state !== undefined) {
      const states = Array.isArray(filter.state) ? filter.state : [filter.state];
      for (const s of states) {
        if (!P_STATES.has(s)) throw new ReflowError('InvalidArgument', `state '${s}' is not one of ${[...P_STATES].join(', ')}`, { field: 'state' });
      }
      // The exact IN list of the partial index lets SQLite use it.
      where.push(states.length === 1 ? 'state = ?' : `state IN (${states.map(() => '?').join(', ')})`);
      params.push(...states);
    }
    if (filter.kind !== undefined) {
      where.push('kind = ?');
      params.push(filter.kind);
    }
    if (filter.after !== undefined) {
      const row = this.s.seqOf.get(filter.after) as { seq: number } | undefined;
      if (!row) throw new ReflowError('JobNotFound', `job '${filter.after}' (the paging cursor) does not exist`, { field: 'after' });
      where.push('seq > ?');
      params.push(row.seq);
    }
    const limit = checkLimit(filter.limit);
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ?`;
    return (this.db.prepare(sql).all(...params, limit) as JobRow[]).map(toJob);
  }

  async counts(): Promise<Record<P.JobState, number>> {
    this.assertOpen();
    const out = Object.fromEntries([...P_STATES].map((s) => [s, 0])) as Record<P.JobState, number>;
    for (const row of this.s.counts.all() as Array<{ state: P.JobState; n: number }>) out[row.state] = row.n;
    return out;
  }

  async activeCounts(): Promise<P.ActiveCounts> {
    this.assertOpen();
    const out: P.ActiveCounts = { pending: 0, failed: 0, running: 0, dead: 0, unnotified: 0 };
    for (const row of this.s.waitingCounts.all() as Array<{ state: 'pending' | 'failed'; n: number }>) out[row.state] = row.n;
    out.running = (this.s.runningCount.get() as { n: number }).n;
    out.dead = (this.s.deadCount.get() as { n: number }).n;
    out.unnotified = (this.s.unnotifiedCount.get() as { n: number }).n;
    return out;
  }

  async countUnfinished(idPrefix: string): Promise<number> {
    this.assertOpen();
    // The id range [prefix, prefix + U+FFFF) holds exactly the ids starting with the prefix; each arm of the union
    // walks one partial index, so the cost follows the unfinished jobs, not the history.
    const end = `${idPrefix}\uffff`;
    return (this.s.unfinishedByPrefix.get(idPrefix, end, idPrefix, end, idPrefix, end) as { n: number }).n;
  }

  async attempts(id: string): Promise<P.JobAttempt[]> {
    this.assertOpen();
    const row = this.s.seqOf.get(id) as { seq: number } | undefined;
    if (!row) throw notFound(id);
    return (this.s.attemptsOf.all(row.seq) as AttemptRow[]).map(toAttempt);
  }

  async listDeadLetters(filter: { kind?: string; limit?: number } = {}): Promise<P.DeadLetter[]> {
    this.assertOpen();
    const limit = checkLimit(filter.limit);
    const rows = (filter.kind === undefined ? this.s.dead.all(limit) : this.s.deadOfKind.all(filter.kind, limit)) as JobRow[];
    return rows.map((row) => {
      const job = toJob(row);
      const attempts = (this.s.attemptsOf.all(row.seq) as AttemptRow[]).map(toAttempt);
      return { job, attempts, lastError: job.error ?? { code: 'TransformFailed', message: 'unknown' } };
    });
  }

  async retryDead(id: string): Promise<P.Job> {
    this.assertOpen();
    const now = this.now();
    const row = this.guard(() => this.s.retryDead.get(now, now, id) as JobRow | undefined);
    if (!row) {
      const existing = this.getSync(id);
      if (!existing) throw notFound(id);
      throw new ReflowError('InvalidJobState', `job '${id}' is ${existing.state}, not dead; only a dead job can be retried`, { field: 'id' });
    }
    this.emit({ type: 'enqueued', kinds: [row.kind] });
    return toJob(row);
  }

  async cancel(id: string): Promise<P.Job> {
    this.assertOpen();
    const now = this.now();
    const waiting = this.guard(() => this.s.cancelWaiting.get(now, now, now, id) as JobRow | undefined);
    if (waiting) {
      const job = toJob(waiting);
      this.emit({ type: 'settled', jobs: [job] });
      return job;
    }
    const running = this.guard(() => this.s.cancelRunning.get(now, id) as JobRow | undefined);
    if (running) {
      this.emit({ type: 'cancel-requested', id, owner: running.owner ?? undefined });
      return toJob(running);
    }
    const existing = this.getSync(id);
    if (!existing) throw notFound(id);
    return existing;
  }

  // ---- owners ----

  async claim<T = unknown>(request: P.ClaimRequest): Promise<P.ClaimedJob<T>[]> {
    this.assertOpen();
    if (!Number.isInteger(request.limit) || request.limit <= 0) return [];
    const kinds = request.kinds;
    if (kinds && kinds.length === 0) return [];
    const key = `claim\0${kinds ? kinds.join('\0') : ''}`;
    let statement = this.claimStatements.get(key);
    if (!statement) {
      statement = this.db.prepare(
        `SELECT seq FROM jobs WHERE state IN ('pending', 'failed') AND run_after_ms <= ?
         ${kinds ? `AND kind IN (${kinds.map(() => '?').join(', ')})` : ''} ORDER BY seq LIMIT ?`,
      );
      this.claimStatements.set(key, statement);
    }
    const now = this.now();
    const leaseUntilMs = now + request.leaseMs;
    const rows = this.guard(() => this.claimTx(statement!, [now, ...(kinds ?? []), request.limit], [request.owner, leaseUntilMs, now]));
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      payload: JSON.parse(r.payload) as T,
      attempt: r.attempts,
      maxAttempts: r.max_attempts,
      timeoutMs: r.timeout_ms ?? undefined,
      leaseUntilMs,
    }));
  }

  async renewLeases(owner: string, ids: string[], leaseMs: number): Promise<P.RenewResult> {
    this.assertOpen();
    const until = this.now() + leaseMs;
    const lost: string[] = [];
    const cancelRequested: string[] = [];
    this.guard(() =>
      this.db.transaction(() => {
        for (const id of ids) {
          const row = this.s.renew.get(until, id, owner) as { cancel_requested: number } | undefined;
          if (!row) lost.push(id);
          else if (row.cancel_requested) cancelRequested.push(id);
        }
      })(),
    );
    return { lost, cancelRequested };
  }

  async complete(outcomes: P.AttemptOutcome[]): Promise<P.CompleteResult> {
    this.assertOpen();
    if (outcomes.length === 0) return { settled: [], stale: [] };
    const result = this.guard(() => this.completeTx(outcomes, this.now()));
    const settled = result.settled.map(toJob);
    if (settled.length) this.emit({ type: 'settled', jobs: settled });
    if (result.retried.length) this.emit({ type: 'enqueued', kinds: [...new Set(result.retried)] });
    return { settled, stale: result.stale };
  }

  async release(owner: string, ids: string[]): Promise<void> {
    this.assertOpen();
    const now = this.now();
    const settled: JobRow[] = [];
    const kinds = new Set<string>();
    this.guard(() =>
      this.db.transaction(() => {
        for (const id of ids) {
          const cancelled = this.s.releaseCancelled.get(now, now, id, owner) as JobRow | undefined;
          if (cancelled) settled.push(cancelled);
          else {
            const row = this.s.release.get(now, now, id, owner) as { kind: string } | undefined;
            if (row) kinds.add(row.kind);
          }
        }
      })(),
    );
    if (settled.length) this.emit({ type: 'settled', jobs: settled.map(toJob) });
    if (kinds.size) this.emit({ type: 'enqueued', kinds: [...kinds] });
  }

  async recoverExpired(): Promise<number> {
    this.assertOpen();
    return this.recoverSync();
  }

  async nextRunAfter(kinds?: string[]): Promise<number | undefined> {
    this.assertOpen();
    const key = `next\0${kinds ? kinds.join('\0') : ''}`;
    let statement = this.claimStatements.get(key);
    if (!statement) {
      statement = this.db.prepare(`SELECT min(run_after_ms) AS t FROM jobs WHERE state IN ('pending', 'failed')${kinds ? ` AND kind IN (${kinds.map(() => '?').join(', ')})` : ''}`);
      this.claimStatements.set(key, statement);
    }
    const row = statement.get(...(kinds ?? [])) as { t: number | null };
    return row.t ?? undefined;
  }

  // ---- settlement consumer ----

  async unnotified(limit: number): Promise<P.Job[]> {
    this.assertOpen();
    return (this.s.unnotified.all(checkLimit(limit)) as JobRow[]).map(toJob);
  }

  async markNotified(ids: string[]): Promise<void> {
    this.assertOpen();
    if (ids.length === 0) return;
    this.guard(() =>
      this.db.transaction(() => {
        for (const id of ids) this.s.markNotified.run(id);
      })(),
    );
  }

  subscribe(listener: (signal: P.QueueSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.db.close();
  }

  // ---- internals ----

  private insert(c: CheckedRequest, now: number): boolean {
    return this.s.insert.run(c.id, c.kind, c.payloadJson, c.maxAttempts, c.timeoutMs, now, now, now).changes === 1;
  }

  private getSync(id: string): P.Job | undefined {
    const row = this.s.get.get(id) as JobRow | undefined;
    return row ? toJob(row) : undefined;
  }

  private completeRows(outcomes: P.AttemptOutcome[], now: number): { settled: JobRow[]; stale: string[]; retried: string[] } {
    const settled: JobRow[] = [];
    const stale: string[] = [];
    const retried: string[] = [];
    for (const o of outcomes) {
      if (o.ok) {
        const row = this.s.succeed.get(JSON.stringify(o.result ?? null), o.log || null, now, now, o.id, o.owner, o.attempt) as JobRow | undefined;
        if (row) settled.push(row);
        else stale.push(o.id);
        continue;
      }
      const held = this.s.held.get(o.id, o.owner, o.attempt) as Pick<JobRow, 'seq' | 'kind' | 'attempts' | 'max_attempts' | 'cancel_requested'> | undefined;
      if (!held) {
        stale.push(o.id);
        continue;
      }
      const row = this.failRow(held, o.error, o.log, o.startedMs, o.endedMs, now, {
        cancelled: o.cancelled === true || held.cancel_requested === 1,
        retryable: o.retryable !== false,
        backoff: true,
      });
      if (row.state === 'failed') retried.push(row.kind);
      else settled.push(row);
    }
    return { settled, stale, retried };
  }

  /** One attempt of a held job failed: record it and move the job on (retry, dead letter, or cancelled). */
  private failRow(
    held: Pick<JobRow, 'seq' | 'attempts' | 'max_attempts'>,
    error: P.JobError,
    log: string,
    startedMs: number,
    endedMs: number,
    now: number,
    how: { cancelled: boolean; retryable: boolean; backoff: boolean },
  ): JobRow {
    if (how.cancelled) {
      return this.s.settleCancelled.get('JobCancelled', cancelMessage(error), log || null, now, now, held.seq) as JobRow;
    }
    this.s.insertAttempt.run(held.seq, held.attempts, startedMs, endedMs, error.code, error.message, log);
    if (!how.retryable || held.attempts >= held.max_attempts) {
      return this.s.settleDead.get(error.code, error.message, log || null, now, now, held.seq) as JobRow;
    }
    const runAfter = now + (how.backoff ? retryDelayMs(held.attempts, this.options) : 0);
    return this.s.retryLater.get(error.code, error.message, log || null, runAfter, now, held.seq) as JobRow;
  }

  private recoverSync(): number {
    const now = this.now();
    const rows = this.s.running.all() as JobRow[];
    const ownerGone = new Map<string, boolean>();
    const isGone = (owner: string) => {
      let gone = ownerGone.get(owner);
      if (gone === undefined) ownerGone.set(owner, (gone = ownerProcessGone(owner)));
      return gone;
    };
    const gone = rows.filter((r) => (r.lease_until_ms ?? 0) < now || (r.owner !== null && isGone(r.owner)));
    if (gone.length === 0) return 0;
    const settled: JobRow[] = [];
    const kinds = new Set<string>();
    this.guard(() =>
      this.db.transaction(() => {
        for (const r of gone) {
          const expired = (r.lease_until_ms ?? 0) < now;
          // The process that held the job is gone (SIGKILL, a host crash): that is Reflow's failure, not the
          // transform's. Its worker children died with it, so the job runs again without spending an attempt;
          // otherwise three restarts during a long transform would dead-letter a job that never failed.
          if (!expired && r.owner !== null && r.cancel_requested !== 1) {
            const row = this.s.release.get(now, now, r.id, r.owner) as { kind: string } | undefined;
            if (row) {
              kinds.add(row.kind);
              continue;
            }
          }
          const error: P.JobError = {
            code: 'WorkerDied',
            message:
              `attempt ${r.attempts} of job '${r.id}' was never settled: ` +
              (expired ? `the lease of its owner ${r.owner} expired` : `its owner process ${r.owner} no longer exists`) +
              ' (the process running it crashed or was killed)',
          };
          const row = this.failRow(r, error, r.log ?? '', r.started_ms ?? now, now, now, {
            cancelled: r.cancel_requested === 1,
            retryable: true,
            backoff: false,
          });
          if (row.state === 'failed') kinds.add(row.kind);
          else settled.push(row);
        }
      })(),
    );
    if (settled.length) this.emit({ type: 'settled', jobs: settled.map(toJob) });
    if (kinds.size) this.emit({ type: 'enqueued', kinds: [...kinds] });
    return gone.length;
  }

  private emit(signal: P.QueueSignal): void {
    for (const listener of this.listeners) {
      try {
        listener(signal);
      } catch (err) {
        // A listener's bug must not fail the write that already committed.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw wrapError(err, 'InternalException');
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new ReflowError('IllegalStatusException', 'the job queue is closed');
  }
}

const P_STATES = new Set<P.JobState>(['pending', 'running', 'failed', 'succeeded', 'dead', 'cancelled']);

function prepare(db: Database.Database) {
  const settledCols = `owner = NULL, lease_until_ms = NULL, notified = 0`;
  return {
    insert: db.prepare(
      `INSERT INTO jobs (id, kind, state, payload, max_attempts, timeout_ms, run_after_ms, created_ms, updated_ms)
       VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ),
    get: db.prepare('SELECT * FROM jobs WHERE id = ?'),
    seqOf: db.prepare('SELECT seq FROM jobs WHERE id = ?'),
    counts: db.prepare('SELECT state, count(*) AS n FROM jobs GROUP BY state'),
    // Each WHERE repeats its partial index's condition, so the count reads only that index.
    waitingCounts: db.prepare(`SELECT state, count(*) AS n FROM jobs WHERE state IN ('pending', 'failed') GROUP BY state`),
    runningCount: db.prepare(`SELECT count(*) AS n FROM jobs WHERE state = 'running'`),
    deadCount: db.prepare(`SELECT count(*) AS n FROM jobs WHERE state = 'dead'`),
    unnotifiedCount: db.prepare('SELECT count(*) AS n FROM jobs WHERE notified = 0'),
    unfinishedByPrefix: db.prepare(
      `SELECT count(*) AS n FROM (
         SELECT seq FROM jobs WHERE state IN ('pending', 'failed') AND id >= ? AND id < ?
         UNION SELECT seq FROM jobs WHERE state = 'running' AND id >= ? AND id < ?
         UNION SELECT seq FROM jobs WHERE notified = 0 AND id >= ? AND id < ?)`,
    ),
    attemptsOf: db.prepare('SELECT attempt, started_ms, ended_ms, error_code, error_message, log FROM attempts WHERE job_seq = ? ORDER BY rid'),
    dead: db.prepare(`SELECT * FROM jobs WHERE state = 'dead' ORDER BY seq LIMIT ?`),
    deadOfKind: db.prepare(`SELECT * FROM jobs WHERE state = 'dead' AND kind = ? ORDER BY seq LIMIT ?`),
    retryDead: db.prepare(
      `UPDATE jobs SET state = 'pending', attempts = 0, run_after_ms = ?, updated_ms = ?, settled_ms = NULL, notified = 1,
         cancel_requested = 0 WHERE id = ? AND state = 'dead' RETURNING *`,
    ),
    cancelWaiting: db.prepare(
      `UPDATE jobs SET state = 'cancelled', error_code = 'JobCancelled',
         error_message = CASE state WHEN 'failed' THEN 'cancelled while waiting for a retry' ELSE 'cancelled before it ran' END,
         settled_ms = ?, updated_ms = ?, run_after_ms = ?, ${settledCols}
       WHERE id = ? AND state IN ('pending', 'failed') RETURNING *`,
    ),
    cancelRunning: db.prepare(`UPDATE jobs SET cancel_requested = 1, updated_ms = ? WHERE id = ? AND state = 'running' RETURNING *`),
    renew: db.prepare(`UPDATE jobs SET lease_until_ms = ? WHERE id = ? AND owner = ? AND state = 'running' RETURNING cancel_requested`),
    succeed: db.prepare(
      `UPDATE jobs SET state = 'succeeded', result = ?, log = ?, error_code = NULL, error_message = NULL, settled_ms = ?,
         updated_ms = ?, ${settledCols}
       WHERE id = ? AND owner = ? AND attempts = ? AND state = 'running' RETURNING *`,
    ),
    held: db.prepare(
      `SELECT seq, kind, attempts, max_attempts, cancel_requested FROM jobs WHERE id = ? AND owner = ? AND attempts = ? AND state = 'running'`,
    ),
    insertAttempt: db.prepare(
      'INSERT INTO attempts (job_seq, attempt, started_ms, ended_ms, error_code, error_message, log) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    settleCancelled: db.prepare(
      `UPDATE jobs SET state = 'cancelled', error_code = ?, error_message = ?, log = ?, settled_ms = ?, updated_ms = ?, ${settledCols}
       WHERE seq = ? RETURNING *`,
    ),
    settleDead: db.prepare(
      `UPDATE jobs SET state = 'dead', error_code = ?, error_message = ?, log = ?, settled_ms = ?, updated_ms = ?, ${settledCols}
       WHERE seq = ? RETURNING *`,
    ),
    retryLater: db.prepare(
      `UPDATE jobs SET state = 'failed', error_code = ?, error_message = ?, log = ?, run_after_ms = ?, updated_ms = ?,
         owner = NULL, lease_until_ms = NULL WHERE seq = ? RETURNING *`,
    ),
    releaseCancelled: db.prepare(
      `UPDATE jobs SET state = 'cancelled', error_code = 'JobCancelled', error_message = 'cancelled while it ran', settled_ms = ?,
         updated_ms = ?, ${settledCols}
       WHERE id = ? AND owner = ? AND state = 'running' AND cancel_requested = 1 RETURNING *`,
    ),
    release: db.prepare(
      `UPDATE jobs SET state = 'pending', attempts = attempts - 1, run_after_ms = ?, updated_ms = ?, owner = NULL, lease_until_ms = NULL
       WHERE id = ? AND owner = ? AND state = 'running' RETURNING kind`,
    ),
    running: db.prepare(`SELECT * FROM jobs WHERE state = 'running'`),
    unnotified: db.prepare('SELECT * FROM jobs WHERE notified = 0 ORDER BY seq LIMIT ?'),
    markNotified: db.prepare('UPDATE jobs SET notified = 1 WHERE id = ? AND notified = 0'),
  };
}

function cancelMessage(error: P.JobError): string {
  return error.code === 'JobCancelled' ? error.message : `cancelled while it ran (the attempt ended with ${error.code}: ${error.message})`;
}

function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return 100;
  if (!Number.isInteger(limit) || limit <= 0 || limit > MAX_LIST) {
    throw new ReflowError('InvalidArgument', `limit must be an integer from 1 to ${MAX_LIST}`, { field: 'limit' });
  }
  return limit;
}

function notFound(id: string): ReflowError {
  return new ReflowError('JobNotFound', `job '${id}' does not exist`, { field: 'id' });
}

function freshJob<T>(c: CheckedRequest, payload: T, now: number): P.Job<T> {
  return {
    id: c.id,
    kind: c.kind,
    payload,
    state: 'pending',
    attempts: 0,
    maxAttempts: c.maxAttempts,
    timeoutMs: c.timeoutMs ?? undefined,
    createdMs: now,
    updatedMs: now,
    runAfterMs: now,
    owner: undefined,
    leaseUntilMs: undefined,
    startedMs: undefined,
    settledMs: undefined,
    result: undefined,
    error: undefined,
    log: undefined,
    notified: true,
    cancelRequested: false,
  };
}

function toJob(row: JobRow): P.Job {
  return {
    id: row.id,
    kind: row.kind,
    payload: JSON.parse(row.payload),
    state: row.state as P.JobState,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    timeoutMs: row.timeout_ms ?? undefined,
    createdMs: row.created_ms,
    updatedMs: row.updated_ms,
    runAfterMs: row.run_after_ms,
    owner: row.owner ?? undefined,
    leaseUntilMs: row.lease_until_ms ?? undefined,
    startedMs: row.started_ms ?? undefined,
    settledMs: row.settled_ms ?? undefined,
    result: row.result === null ? undefined : JSON.parse(row.result),
    error: row.error_code === null ? undefined : { code: row.error_code, message: row.error_message ?? '' },
    log: row.log ?? undefined,
    notified: row.notified === 1,
    cancelRequested: row.cancel_requested === 1,
  };
}

function toAttempt(row: AttemptRow): P.JobAttempt {
  return {
    attempt: row.attempt,
    startedMs: row.started_ms,
    endedMs: row.ended_ms,
    error: { code: row.error_code, message: row.error_message },
    log: row.log,
  };
}
