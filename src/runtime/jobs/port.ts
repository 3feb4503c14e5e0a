/**
 * The job queue port: durable jobs with leases, retries, dead letters and at-least-once settlement notification.
 * The embedded adapter is SQLite (`jobs/sqlite`); a scale-out adapter (PostgreSQL, with workers on other hosts
 * pulling jobs) implements the same interface and runs the same conformance suite (`runJobQueueConformance`).
 *
 * States: `pending` → `running` (claimed by an owner under a lease it renews) → `succeeded`, or `failed` (waiting for
 * its retry, with backoff) → … → `dead` once `maxAttempts` attempts failed; `cancelled` when cancelled first.
 * `succeeded`, `dead` and `cancelled` are settled. A settled job stays unnotified until the consumer acknowledges
 * it (`markNotified`), so a consumer that crashes is told again after a restart.
 */

export type JobState = 'pending' | 'running' | 'failed' | 'succeeded' | 'dead' | 'cancelled';
export const JOB_STATES: readonly JobState[] = ['pending', 'running', 'failed', 'succeeded', 'dead', 'cancelled'];
export const SETTLED_STATES: readonly JobState[] = ['succeeded', 'dead', 'cancelled'];

export interface EnqueueRequest<P = unknown> {
  /** Idempotency key: an id enqueued again returns the existing job and changes nothing. */
  id: string;
  kind: string;
  /** Any JSON value. */
  payload: P;
  /** Default from the queue's options (3). */
  maxAttempts?: number;
  /** No time limit when absent. */
  timeoutMs?: number;
}

export interface JobError {
  /** A registry code (`TransformFailed`, `WorkerDied`, …). */
  code: string;
  message: string;
}

export interface Job<P = unknown, R = unknown> {
  id: string;
  kind: string;
  payload: P;
  state: JobState;
  /** Attempts started so far (a running job's current attempt is counted). */
  attempts: number;
  maxAttempts: number;
  timeoutMs: number | undefined;
  createdMs: number;
  updatedMs: number;
  /** When a pending or failed job may run next. */
  runAfterMs: number;
  /** The owner holding a running job's lease, and until when. */
  owner: string | undefined;
  leaseUntilMs: number | undefined;
  startedMs: number | undefined;
  settledMs: number | undefined;
  /** A succeeded job's result. */
  result: R | undefined;
  /** The last failure (failed, dead, cancelled). */
  error: JobError | undefined;
  /** The log of the last attempt that ended. */
  log: string | undefined;
  /** False while a settled job waits for its consumer's acknowledgement. */
  notified: boolean;
  cancelRequested: boolean;
}

/** One failed attempt, as the dead letters keep it. */
export interface JobAttempt {
  attempt: number;
  startedMs: number;
  endedMs: number;
  error: JobError;
  log: string;
}

export interface DeadLetter<P = unknown> {
  job: Job<P>;
  /** Every failed attempt, first to last, each with its log. */
  attempts: JobAttempt[];
  lastError: JobError;
}

export interface ListJobsFilter {
  state?: JobState | JobState[];
  kind?: string;
  /** Default 100, at most 10,000. */
  limit?: number;
  /** Jobs enqueued after the job with this id (paging in enqueue order). */
  after?: string;
}

export interface ActiveCounts {
  pending: number;
  /** Waiting for a retry. */
  failed: number;
  running: number;
  dead: number;
  /** Settled, waiting for the consumer's acknowledgement. */
  unnotified: number;
}

/** A job handed to an owner. */
export interface ClaimedJob<P = unknown> {
  id: string;
  kind: string;
  payload: P;
  /** The number of this attempt, 1-based; a completion names it. */
  attempt: number;
  maxAttempts: number;
  timeoutMs: number | undefined;
  leaseUntilMs: number;
}

export interface ClaimRequest {
  /** Who holds the leases: unique per process and instance (`host:pid:random`). */
  owner: string;
  /** Kinds this owner can run; all when absent. */
  kinds?: string[];
  limit: number;
  leaseMs: number;
}

interface OutcomeBase {
  id: string;
  owner: string;
  attempt: number;
  startedMs: number;
  endedMs: number;
  log: string;
}

export type AttemptOutcome =
  | (OutcomeBase & { ok: true; result: unknown })
  | (OutcomeBase & {
      ok: false;
      error: JobError;
      /** False: no retry can help (a payload the runner cannot read); the job goes dead at once. */
      retryable?: boolean;
      /** The attempt ended because the job was cancelled: it settles as `cancelled`. */
      cancelled?: boolean;
    });

export interface CompleteResult {
  /** Jobs this call settled (succeeded, dead, cancelled): hand them to the settlement consumer. */
  settled: Job[];
  /** Outcomes ignored because the owner no longer holds that attempt (its lease expired and it was recovered). */
  stale: string[];
}

export interface RenewResult {
  /** Held jobs this owner no longer holds (recovered after an expired lease, or gone). */
  lost: string[];
  /** Held jobs someone asked to cancel. */
  cancelRequested: string[];
}

/** What the queue tells in-process listeners, so owners and consumers react at once instead of at the next poll. */
export type QueueSignal =
  | { type: 'enqueued'; kinds: string[] }
  | { type: 'cancel-requested'; id: string; owner: string | undefined }
  | { type: 'settled'; jobs: Job[] };

export interface JobQueue {
  // ---- producers and operators ----
  /** Durable before it resolves. Idempotent by id: a known id returns the existing job unchanged. */
  enqueue<P>(request: EnqueueRequest<P>): Promise<Job<P>>;
  /** The same for many, in one transaction; all are validated before anything is stored. */
  enqueueMany<P>(requests: EnqueueRequest<P>[]): Promise<Job<P>[]>;
  get(id: string): Promise<Job | undefined>;
  list(filter?: ListJobsFilter): Promise<Job[]>;
  /** Jobs per state (scans every job: for tools, not for dashboards that poll). */
  counts(): Promise<Record<JobState, number>>;
  /** The states that stay small, counted cheaply: for the dashboard and the pool's stats. */
  activeCounts(): Promise<ActiveCounts>;
  /**
   * Jobs whose id starts with `idPrefix` that are not done yet: waiting, running, or settled and not yet
   * acknowledged by the consumer. Reads only the small sets (cheap enough to poll).
   */
  countUnfinished(idPrefix: string): Promise<number>;
  /** Failed attempts of a job, each with its log. */
  attempts(id: string): Promise<JobAttempt[]>;
  listDeadLetters(filter?: { kind?: string; limit?: number }): Promise<DeadLetter[]>;
  /** A dead job runs again with a fresh set of attempts (its earlier attempts stay in its history). */
  retryDead(id: string): Promise<Job>;
  /**
   * A pending or failed job is cancelled at once; a running one is flagged, and its owner stops it and settles it
   * as cancelled. A settled job is returned unchanged.
   */
  cancel(id: string): Promise<Job>;

  // ---- owners (worker pools) ----
  /** Leases up to `limit` runnable jobs, oldest first, in one transaction. */
  claim<P = unknown>(request: ClaimRequest): Promise<ClaimedJob<P>[]>;
  renewLeases(owner: string, ids: string[], leaseMs: number): Promise<RenewResult>;
  /** Records attempt outcomes in one transaction: success, retry with backoff, dead letter, or cancelled. */
  complete(outcomes: AttemptOutcome[]): Promise<CompleteResult>;
  /** Gives held jobs back untouched (a graceful shutdown): pending again, the attempt not counted. */
  release(owner: string, ids: string[]): Promise<void>;
  /**
   * Running jobs whose owner process is known to be gone (same host, pid no longer exists) run again without
   * spending the attempt; jobs whose lease expired otherwise fail that attempt (`WorkerDied`) and are retried.
   */
  recoverExpired(): Promise<number>;
  /** The earliest time a waiting job becomes runnable (for a timer), if any. */
  nextRunAfter(kinds?: string[]): Promise<number | undefined>;

  // ---- settlement consumer ----
  unnotified(limit: number): Promise<Job[]>;
  markNotified(ids: string[]): Promise<void>;

  /** In-process signals; returns the unsubscribe function. */
  subscribe(listener: (signal: QueueSignal) => void): () => void;
  close(): Promise<void>;
}
