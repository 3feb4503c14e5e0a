/**
 * Settlement notification, at least once: every settled job (succeeded, dead, cancelled) is handed to the consumer's
 * `onSettled(job)`, and marked notified only once that callback resolves. A callback that throws is retried with
 * backoff; a process that dies before the mark is written tells again after its restart (the queue keeps the job
 * unnotified). The consumer's effects must therefore be idempotent (the pipeline's are keyed by job id).
 *
 * Settlements arrive as queue signals (this process's completions, at once) and by polling `unnotified()` (those
 * of other processes, and retries).
 */
import { rm } from 'node:fs/promises';
import { ReflowError } from '../errors.js';
import { parseDuration, type Duration } from './duration.js';
import type { Job, JobQueue } from './jobs/port.js';
import { TRANSFORM_JOB_KIND, type TransformResult } from './transform.js';

export interface SettlementNotifierOptions {
  /** Callbacks running at once (default 8). */
  concurrency?: number;
  /** First delay after a callback failed (default 1 s), doubling to 60 s. */
  retryDelay?: Duration;
  /** How often unnotified jobs are looked up (default 1 s). */
  pollInterval?: Duration;
  /** Remove a succeeded transform's output directory once its settlement is acknowledged (default true). */
  removeOutputs?: boolean;
  /** A callback failed (it is retried). Default: console.error. */
  onError?(error: unknown, job: Job): void;
}

const MARK_WINDOW_MS = 25;

export type SettlementHandler = (job: Job) => Promise<void> | void;

export class SettlementNotifier {
  private readonly concurrency: number;
  private readonly retryMs: number;
  private readonly pollMs: number;
  private readonly removeOutputs: boolean;
  /** Output directories of acknowledged jobs, removed once the acknowledgement is written. */
  private readonly outputsToRemove = new Map<string, string>();
  private readonly onError: (error: unknown, job: Job) => void;
  /** Offered and not yet marked notified: never offered twice at once. */
  private readonly known = new Set<string>();
  private readonly waiting: Job[] = [];
  private readonly failures = new Map<string, { count: number; notBefore: number }>();
  private active = 0;
  private marks: string[] = [];
  private markScheduled = false;
  private marking: Promise<void> = Promise.resolve();
  private drainScheduled = false;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private closing = false;
  private idle: Array<() => void> = [];

  constructor(
    private readonly queue: JobQueue,
    private readonly handler: SettlementHandler,
    options: SettlementNotifierOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new ReflowError('InvalidConfiguration', 'notify concurrency must be a positive integer', { field: 'concurrency' });
    }
    this.retryMs = parseDuration(options.retryDelay ?? 1_000, 'retryDelay');
    this.pollMs = parseDuration(options.pollInterval ?? 1_000, 'pollInterval');
    this.removeOutputs = options.removeOutputs ?? true;
    this.onError = options.onError ?? ((err, job) => console.error(`[reflow] onSettled failed for job '${job.id}' (retried): ${(err as Error)?.stack ?? String(err)}`));
  }

  start(): this {
    if (this.unsubscribe) return this;
    this.unsubscribe = this.queue.subscribe((signal) => {
      if (signal.type === 'settled') this.offer(signal.jobs);
    });
    this.timer = setInterval(() => void this.pollOnce(), this.pollMs);
    this.timer.unref();
    void this.pollOnce();
    return this;
  }

  /** Hands settled jobs to the callback (those already on their way are skipped). */
  offer(jobs: Job[]): void {
    if (this.closing) return;
    for (const job of jobs) {
      if (this.known.has(job.id) || job.notified) continue;
      this.known.add(job.id);
      this.waiting.push(job);
    }
    this.scheduleDrain();
  }

  /** Stops polling, waits for running callbacks (up to `graceMs`, default 10 s) and writes the last marks. */
  async close(graceMs = 10_000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    this.waiting.length = 0;
    if (this.active > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((r) => this.idle.push(r)), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    await this.marking;
    await this.writeMarks();
  }

  private async pollOnce(): Promise<void> {
    if (this.polling || this.closing) return;
    this.polling = true;
    try {
      const now = Date.now();
      const jobs = await this.queue.unnotified(500);
      this.offer(jobs.filter((j) => (this.failures.get(j.id)?.notBefore ?? 0) <= now));
    } catch (err) {
      if (!this.closing) console.error(`[reflow] looking up unnotified jobs failed: ${(err as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    // Never call the consumer inside the queue's own call stack.
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (!this.closing && this.active < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.active++;
      void this.deliver(job).finally(() => {
        this.active--;
        if (this.active === 0) for (const r of this.idle.splice(0)) r();
        this.drain();
      });
    }
  }

  private async deliver(job: Job): Promise<void> {
    try {
      await this.handler(job);
    } catch (err) {
      const count = (this.failures.get(job.id)?.count ?? 0) + 1;
      this.failures.set(job.id, { count, notBefore: Date.now() + Math.min(60_000, this.retryMs * 2 ** (count - 1)) });
      this.known.delete(job.id);
      try {
        this.onError(err, job);
      } catch {
        // the error hook's own failure changes nothing
      }
      return;
    }
    this.failures.delete(job.id);
    this.marks.push(job.id);
    // Outputs go only once the acknowledgement is written: a crash in between tells the consumer again, and it must
    // find the files still there.
    if (this.removeOutputs && job.kind === TRANSFORM_JOB_KIND && job.state === 'succeeded') {
      const dir = (job.result as Partial<TransformResult> | undefined)?.outputDir;
      if (typeof dir === 'string') this.outputsToRemove.set(job.id, dir);
    }
    this.scheduleMarks();
  }

  private scheduleMarks(): void {
    if (this.markScheduled) return;
    this.markScheduled = true;
    // Acknowledgements are batched over a short window: at least once allows it, and one transaction per batch is
    // what keeps up with small jobs.
    setTimeout(() => {
      this.markScheduled = false;
      this.marking = this.marking.then(() => this.writeMarks());
    }, MARK_WINDOW_MS);
  }

  private async writeMarks(): Promise<void> {
    const ids = this.marks;
    this.marks = [];
    if (ids.length === 0) return;
    let written = false;
    try {
      await this.queue.markNotified(ids);
      written = true;
    } catch (err) {
      // Not written: the jobs stay unnotified and are told again (at least once), outputs kept for that.
      console.error(`[reflow] marking ${ids.length} job(s) notified failed: ${(err as Error).message}`);
    }
    for (const id of ids) {
      this.known.delete(id);
      const dir = this.outputsToRemove.get(id);
      this.outputsToRemove.delete(id);
      if (written && dir !== undefined) void rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}
