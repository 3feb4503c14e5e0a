/**
 * The runtime façade the pipeline wires: one queue (its adapter chosen by the composition root), one worker pool,
 * one settlement notifier. `enqueue` returns as soon as the job is durable, so a bus handler stays fast.
 */
import type { ActiveCounts, EnqueueRequest, Job, JobQueue } from './jobs/port.js';
import { SettlementNotifier, type SettlementNotifierOptions } from './notifier.js';
import type { WorkerPoolOptions } from './options.js';
import { WorkerPool, type PoolStats } from './pool.js';
import { transformJobRequest, type TransformJobInput, type TransformPayload, type TransformResult } from './transform.js';

export type TransformJobRecord = Job<TransformPayload, TransformResult>;

export interface JobRuntimeOptions extends WorkerPoolOptions {
  queue: JobQueue;
  /**
   * Told about every settled job (succeeded, dead, cancelled) at least once; the job counts as notified when this
   * resolves. A succeeded transform's files are in `job.result.outputDir` until then.
   */
  onSettled(job: TransformJobRecord): Promise<void> | void;
  notify?: Omit<SettlementNotifierOptions, 'removeOutputs'>;
  /** Problems that belong to no job. Default: console.error. */
  onDiagnostic?(message: string): void;
  /** false: this process only notifies (workers run elsewhere). Default true. */
  runWorkers?: boolean;
}

export interface RuntimeStats {
  pool: PoolStats | undefined;
  queue: ActiveCounts;
}

export interface JobRuntime {
  readonly queue: JobQueue;
  readonly pool: WorkerPool | undefined;
  /** Durable before it resolves; idempotent by id. */
  enqueue<P>(request: EnqueueRequest<P>): Promise<Job<P>>;
  /** transformJobRequest() + enqueue(). */
  enqueueTransform(input: TransformJobInput): Promise<Job<TransformPayload>>;
  stats(): Promise<RuntimeStats>;
  /**
   * Closes the pool (running jobs finish within `grace`, default the closeGrace option, or are given back) and the
   * notifier (running callbacks get the same grace); not the queue.
   */
  close(options?: { grace?: number }): Promise<void>;
}

export function createJobRuntime(options: JobRuntimeOptions): JobRuntime {
  const { queue, onSettled, notify, onDiagnostic, runWorkers = true, ...poolOptions } = options;
  const hooks = onDiagnostic ? { onDiagnostic } : {};
  const pool = runWorkers ? new WorkerPool(queue, poolOptions, hooks) : undefined;
  const notifier = new SettlementNotifier(queue, onSettled as (job: Job) => Promise<void> | void, {
    ...notify,
    removeOutputs: !(poolOptions.keepOutputs ?? false),
  });
  notifier.start();
  pool?.start();
  let closed: Promise<void> | undefined;
  return {
    queue,
    pool,
    enqueue: (request) => queue.enqueue(request),
    enqueueTransform: (input) => queue.enqueue(transformJobRequest(input)),
    stats: async () => ({ pool: pool?.stats(), queue: await queue.activeCounts() }),
    close: (closeOptions = {}) =>
      (closed ??= (async () => {
        await pool?.close(closeOptions);
        await notifier.close(closeOptions.grace);
      })()),
  };
}
