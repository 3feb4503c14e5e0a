/**
 * The worker pool: runs transform jobs from a JobQueue on child processes.
 *
 * - Module transforms run on long-lived **workers** (`child_process.fork`, `node --import tsx`), started on demand up
 *   to `concurrency`, one job at a time each; an idle worker exits after `idleTimeout`. Commands are spawned per job,
 *   each in its own process group. At most `concurrency` jobs run at once, whatever their kind.
 * - Jobs are claimed in batches (one transaction per batch) and completions written in batches (one transaction per
 *   event-loop turn). A worker may be handed a few jobs ahead (one IPC message) when its transform is measured as
 *   fast, so it never waits for a round trip; it answers each job on its own, so the pool always knows which job a
 *   dying worker was running. Jobs queued behind one that runs long are taken back and run elsewhere.
 * - A worker that dies mid-job fails that attempt (`WorkerDied`, with the signal or exit code in the log) and the
 *   job is retried by the queue's policy; jobs queued behind it run elsewhere, their attempt not counted.
 * - No time limit unless a job has `timeoutMs`: then its worker (or command group) is killed at the deadline and the
 *   attempt fails with `TransformTimedOut`.
 * - Leases are renewed every third of the lease; a pool that dies leaves its jobs to be recovered on the next open
 *   (or by any pool once the lease runs out). close() stops claiming, lets running jobs finish within a grace
 *   period, then kills what is left and gives those jobs back, to run again after a restart.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BoundedLog } from './bounded-log.js';
import { currentVersion } from './code-hash.js';
import { startCommand, type CommandExit, type RunningCommand } from './command.js';
import type { AttemptOutcome, ClaimedJob, Job, JobError, JobQueue, QueueSignal } from './jobs/port.js';
import { newOwnerId, ownerProcessGone } from './jobs/owner.js';
import { compileWorkerPoolOptions, type CompiledWorkerPoolOptions, type WorkerPoolOptions } from './options.js';
import { listOutputs, OutputError } from './outputs.js';
import { TRANSFORM_JOB_KIND, type TransformPayload, type TransformResult } from './transform.js';
import { WORKER_ENV_LOG_LIMIT, type FromWorker, type RunSpec, type ToWorker } from './worker/protocol.js';

const HERE = import.meta.url;
const WORKER_MAIN = fileURLToPath(new URL(`./worker/worker-main${HERE.endsWith('.ts') ? '.ts' : '.js'}`, HERE));
let tsxLoader: string | undefined;
/** Resolved when the first worker starts, so importing the runtime for validation alone never needs tsx. */
function tsxLoaderUrl(): string {
  return (tsxLoader ??= import.meta.resolve('tsx'));
}

/** A transform is "fast" (worth handing out ahead) once 3 runs averaged at most this. */
const FAST_JOB_MS = 20;
/** Jobs queued on a worker should cover about this much work. */
const PREFETCH_TARGET_MS = 20;
/** Claims wait for this much room while workers have work queued. */
const CLAIM_BATCH = 16;
/** Outcomes are written together when they arrive within this window (one transaction for all). */
const COMPLETE_WINDOW_MS = 3;
/** Jobs queued behind one that has run this long are taken back. */
const STALL_MS = 1_000;

export interface PoolStats {
  concurrency: number;
  workers: { alive: number; busy: number; starting: number; idle: number; pids: number[] };
  commandsRunning: number;
  jobs: {
    /** Executing now (at most `concurrency`). */
    running: number;
    /** Claimed by this pool, waiting for a free worker or queued on one. */
    queued: number;
  };
  workersStarted: number;
  workersStopped: number;
  attemptsSucceeded: number;
  attemptsFailed: number;
  /** The most jobs that ever ran at once. */
  peakRunning: number;
}

export interface WorkerPoolHooks {
  /** Jobs this pool's completions settled, right after the completion committed. */
  onSettled?(jobs: Job[]): void;
  /** Problems that belong to no job (a queue write that failed, stray worker output). Default: console.error. */
  onDiagnostic?(message: string): void;
}

type HeldState = 'buffered' | 'queued' | 'running' | 'ending';

interface Held {
  claim: ClaimedJob<TransformPayload>;
  state: HeldState;
  token: string;
  outputDir: string;
  log: BoundedLog;
  startedMs: number;
  worker?: WorkerHandle;
  command?: RunningCommand;
  version?: string;
  fastKey?: string;
  killReason?: 'timeout' | 'cancel' | 'close';
  timer?: NodeJS.Timeout;
  killTimer?: NodeJS.Timeout;
  revoking?: boolean;
  cancelPending?: boolean;
  lost?: boolean;
}

interface WorkerHandle {
  id: number;
  child: ChildProcess;
  pid: number;
  state: 'starting' | 'ready' | 'retiring' | 'stopping';
  outstanding: Held[];
  headSince: number;
  idleTimer?: NodeJS.Timeout;
  /** The job the pool killed this worker to stop (timeout, cancel): only that job's attempt is failed. */
  killedFor?: Held;
  modules: Set<string>;
  exited: Promise<void>;
}

export class WorkerPool {
  readonly owner = newOwnerId();
  private readonly options: CompiledWorkerPoolOptions;
  private readonly instance = `${process.pid}-${randomBytes(3).toString('hex')}`;
  private tokenSeq = 0;
  private workerSeq = 0;
  private readonly held = new Map<string, Held>();
  private readonly byToken = new Map<string, Held>();
  private buffer: Held[] = [];
  private readonly workers = new Set<WorkerHandle>();
  private commandsRunning = 0;
  private readonly durations = new Map<string, { ewma: number; n: number }>();
  private completions: Array<{ held: Held; outcome: AttemptOutcome }> = [];
  private releases: Held[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> = Promise.resolve();
  private pumpScheduled = false;
  private pumping = false;
  private pumpAgain = false;
  private started = false;
  private closing = false;
  private stopped = false;
  private closedPromise: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAt = Infinity;
  private readonly counters = { workersStarted: 0, workersStopped: 0, attemptsSucceeded: 0, attemptsFailed: 0, peakRunning: 0 };

  constructor(
    private readonly queue: JobQueue,
    options: WorkerPoolOptions,
    private readonly hooks: WorkerPoolHooks = {},
  ) {
    this.options = compileWorkerPoolOptions(options);
  }

  /** Starts taking jobs. */
  start(): this {
    if (this.started) return this;
    this.started = true;
    mkdirSync(this.options.workDir, { recursive: true });
    this.unsubscribe = this.queue.subscribe((signal) => this.onSignal(signal));
    this.heartbeat = setInterval(() => void this.beat(), this.options.heartbeatMs);
    this.poll = setInterval(() => {
      this.checkStalls();
      this.schedulePump();
    }, this.options.pollMs);
    void this.sweepWorkDir();
    this.schedulePump();
    return this;
  }

  stats(): PoolStats {
    let busy = 0;
    let starting = 0;
    let alive = 0;
    const pids: number[] = [];
    for (const w of this.workers) {
      alive++;
      pids.push(w.pid);
      if (w.outstanding.length > 0) busy++;
      if (w.state === 'starting') starting++;
    }
    let running = 0;
    let queued = 0;
    for (const h of this.held.values()) {
      if (h.state === 'running') running++;
      else if (h.state === 'queued' || h.state === 'buffered') queued++;
    }
    return {
      concurrency: this.options.concurrency,
      workers: { alive, busy, starting, idle: alive - busy, pids },
      commandsRunning: this.commandsRunning,
      jobs: { running, queued },
      ...this.counters,
    };
  }

  /**
   * Stops taking jobs; waits up to `grace` (default: the closeGrace option) for running jobs, then kills what is
   * left and gives those jobs back to the queue unsettled, so they run again after a restart.
   */
  close(options: { grace?: number } = {}): Promise<void> {
    this.closedPromise ??= this.shutdown(options.grace ?? this.options.closeGraceMs);
    return this.closedPromise;
  }

  // ---- claiming and placing ----

  private onSignal(signal: QueueSignal): void {
    if (this.closing) return;
    if (signal.type === 'enqueued') {
      if (signal.kinds.includes(TRANSFORM_JOB_KIND)) this.schedulePump();
    } else if (signal.type === 'cancel-requested') {
      if (this.held.has(signal.id)) this.cancelHeld(this.held.get(signal.id)!);
    }
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.closing || !this.started) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      for (let rounds = 0; !this.closing && rounds < 64; rounds++) {
        this.pumpAgain = false;
        this.placeBuffered();
        const room = this.room();
        if (room <= 0) break;
        // Claim in batches: while every worker still has work queued, wait until a batch's worth of room is free
        // (each claim is a transaction; one per job would cost more than a small job itself).
        if (room < CLAIM_BATCH && this.freeSlots() <= 0 && !this.anyWorkerRunningLow()) break;
        const claimed = await this.queue.claim<TransformPayload>({ owner: this.owner, kinds: [TRANSFORM_JOB_KIND], limit: room, leaseMs: this.options.leaseMs });
        if (this.closing) {
          await this.queue.release(this.owner, claimed.map((c) => c.id));
          break;
        }
        for (const claim of claimed) this.accept(claim);
        this.placeBuffered();
        if (claimed.length < room) {
          await this.armRetryTimer();
          if (!this.pumpAgain) break;
        }
      }
    } catch (err) {
      if (!this.closing) this.diagnostic(`claiming jobs failed: ${(err as Error).message}`);
    } finally {
      this.pumping = false;
      if (this.pumpAgain) this.schedulePump();
    }
  }

  private async armRetryTimer(): Promise<void> {
    const at = await this.queue.nextRunAfter([TRANSFORM_JOB_KIND]);
    if (at === undefined || at <= Date.now() || at >= this.retryAt) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryAt = at;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryAt = Infinity;
      this.schedulePump();
    }, at - Date.now() + 1);
    this.retryTimer.unref();
  }

  /** How many more jobs could start or be queued on a worker right now, beyond those already buffered. */
  private room(): number {
    let room = this.freeSlots();
    if (this.options.maxPrefetch > 0) {
      for (const w of this.workers) if (this.canPrefetchOnto(w)) room += Math.max(0, this.prefetchLimit(w) - (w.outstanding.length - 1));
    }
    return room - this.buffer.length;
  }

  private anyWorkerRunningLow(): boolean {
    for (const w of this.workers) if (w.outstanding.length <= 2 && this.canPrefetchOnto(w)) return true;
    return false;
  }

  private busySlots(): number {
    let busy = this.commandsRunning;
    for (const w of this.workers) if (w.outstanding.length > 0) busy++;
    return busy;
  }

  private freeSlots(): number {
    return this.options.concurrency - this.busySlots();
  }

  private accept(claim: ClaimedJob<TransformPayload>): void {
    const h: Held = { claim, state: 'buffered', token: '', outputDir: '', log: new BoundedLog(this.options.logLimit), startedMs: 0 };
    this.held.set(claim.id, h);
    const problem = payloadProblem(claim.payload);
    if (problem) {
      this.finish(h, { ok: false, error: { code: 'InvalidArgument', message: `job '${claim.id}' cannot run: ${problem}` }, retryable: false });
      return;
    }
    const t = claim.payload.transform;
    if (t.module !== undefined) h.fastKey = `${resolve(claim.payload.projectDir, t.module)}\0${JSON.stringify(t.files ?? [])}`;
    this.buffer.push(h);
  }

  private placeBuffered(): void {
    if (this.buffer.length === 0) return;
    const batches = new Map<WorkerHandle, RunSpec[]>();
    const rest: Held[] = [];
    for (const h of this.buffer) {
      if (h.state !== 'buffered') continue;
      if (!this.place(h, batches)) rest.push(h);
    }
    this.buffer = rest;
    for (const [w, jobs] of batches) this.sendTo(w, { t: 'run', jobs });
  }

  private place(h: Held, batches: Map<WorkerHandle, RunSpec[]>): boolean {
    const t = h.claim.payload.transform;
    if (t.command !== undefined) {
      if (this.freeSlots() <= 0) return false;
      this.startCommandJob(h);
      return true;
    }
    let idle: WorkerHandle | undefined;
    for (const w of this.workers) {
      if ((w.state === 'ready' || w.state === 'starting') && w.outstanding.length === 0) {
        if (!idle || (w.modules.has(h.fastKey!) && !idle.modules.has(h.fastKey!))) idle = w;
      }
    }
    if (idle) return this.assign(h, idle, batches);
    if (this.freeSlots() > 0 && this.liveWorkers() < this.options.concurrency) return this.assign(h, this.spawnWorker(), batches);
    if (this.options.maxPrefetch === 0 || h.claim.timeoutMs !== undefined || !this.isFast(h.fastKey)) return false;
    let best: WorkerHandle | undefined;
    for (const w of this.workers) {
      if (!this.canPrefetchOnto(w) || w.outstanding.length - 1 >= this.prefetchLimit(w)) continue;
      if (!best || w.outstanding.length < best.outstanding.length) best = w;
    }
    return best ? this.assign(h, best, batches) : false;
  }

  private liveWorkers(): number {
    let n = 0;
    for (const w of this.workers) if (w.state === 'starting' || w.state === 'ready') n++;
    return n;
  }

  private isFast(key: string | undefined): boolean {
    const d = key === undefined ? undefined : this.durations.get(key);
    return d !== undefined && d.n >= 3 && d.ewma <= FAST_JOB_MS;
  }

  /** A busy worker may take more only while everything on it is a fast, untimed job and its head is not stuck. */
  private canPrefetchOnto(w: WorkerHandle): boolean {
    if ((w.state !== 'ready' && w.state !== 'starting') || w.outstanding.length === 0) return false;
    if (Date.now() - w.headSince > STALL_MS) return false;
    for (const h of w.outstanding) if (h.claim.timeoutMs !== undefined || h.revoking || h.cancelPending || !this.isFast(h.fastKey)) return false;
    return true;
  }

  private prefetchLimit(w: WorkerHandle): number {
    const d = this.durations.get(w.outstanding[0]!.fastKey!);
    const perJob = Math.max(d?.ewma ?? FAST_JOB_MS, 0.01);
    return Math.max(1, Math.min(this.options.maxPrefetch, Math.floor(PREFETCH_TARGET_MS / perJob)));
  }

  private newToken(h: Held): void {
    if (h.token) this.byToken.delete(h.token);
    h.token = `${this.instance}-${(this.tokenSeq++).toString(36)}`;
    h.outputDir = join(this.options.workDir, h.token);
    this.byToken.set(h.token, h);
  }

  private assign(h: Held, w: WorkerHandle, batches: Map<WorkerHandle, RunSpec[]>): boolean {
    this.newToken(h);
    h.worker = w;
    if (w.idleTimer) {
      clearTimeout(w.idleTimer);
      w.idleTimer = undefined;
    }
    w.outstanding.push(h);
    if (w.outstanding.length === 1) this.becameHead(w);
    else h.state = 'queued';
    if (h.fastKey) w.modules.add(h.fastKey);
    const p = h.claim.payload;
    const spec: RunSpec = {
      token: h.token,
      jobId: h.claim.id,
      attempt: h.claim.attempt,
      projectDir: p.projectDir,
      module: resolve(p.projectDir, p.transform.module!),
      version: p.transform.version,
      inputs: p.inputs,
      params: p.params,
      outputDir: h.outputDir,
    };
    if (p.transform.files) spec.files = p.transform.files;
    if (p.expectedVersion !== undefined) spec.expectedVersion = p.expectedVersion;
    let batch = batches.get(w);
    if (!batch) batches.set(w, (batch = []));
    batch.push(spec);
    return true;
  }

  /** The first job on a worker is the one it runs: its clock (and timeout) starts now. */
  private becameHead(w: WorkerHandle): void {
    const h = w.outstanding[0]!;
    h.state = 'running';
    h.startedMs = Date.now();
    w.headSince = h.startedMs;
    this.notePeak();
    if (h.cancelPending) {
      // Cancelled while queued, and the revocation lost the race: stop it now.
      h.killReason = 'cancel';
      this.killWorkerFor(w, h);
      return;
    }
    if (h.claim.timeoutMs !== undefined && w.state !== 'starting') this.armTimeout(h);
  }

  private armTimeout(h: Held): void {
    if (h.timer || h.claim.timeoutMs === undefined) return;
    h.timer = setTimeout(() => this.timedOut(h), h.claim.timeoutMs);
  }

  private timedOut(h: Held): void {
    if (h.state !== 'running') return;
    h.killReason = 'timeout';
    h.log.append(`[reflow] TransformTimedOut: job '${h.claim.id}' ran past its timeout of ${h.claim.timeoutMs} ms; stopping it\n`);
    if (h.worker) this.killWorkerFor(h.worker, h);
    else if (h.command) this.stopCommand(h);
  }

  private killWorkerFor(w: WorkerHandle, h: Held): void {
    w.killedFor = h;
    w.child.kill('SIGKILL');
  }

  private notePeak(): void {
    let running = this.commandsRunning;
    for (const w of this.workers) if (w.outstanding.length > 0 && w.outstanding[0]!.state === 'running') running++;
    if (running > this.counters.peakRunning) this.counters.peakRunning = running;
  }

  // ---- workers ----

  private spawnWorker(): WorkerHandle {
    const child = fork(WORKER_MAIN, [], {
      execArgv: ['--import', tsxLoaderUrl(), ...this.options.workerExecArgv],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...this.options.env, [WORKER_ENV_LOG_LIMIT]: String(this.options.logLimit) },
      serialization: 'json',
    });
    let resolveExited!: () => void;
    const w: WorkerHandle = {
      id: this.workerSeq++,
      child,
      pid: child.pid ?? -1,
      state: 'starting',
      outstanding: [],
      headSince: Date.now(),
      modules: new Set(),
      exited: new Promise<void>((r) => (resolveExited = r)),
    };
    this.workers.add(w);
    this.counters.workersStarted++;
    child.on('message', (m: FromWorker) => this.onWorkerMessage(w, m));
    const raw = (chunk: Buffer) => {
      const head = w.outstanding[0];
      if (head) head.log.append(chunk.toString('utf8'));
      else this.diagnostic(`worker ${w.pid}: ${chunk.toString('utf8').trimEnd()}`);
    };
    child.stdout!.on('data', raw);
    child.stderr!.on('data', raw);
    let done = false;
    const exited = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (done) return;
      done = true;
      this.onWorkerExit(w, code, signal, error);
      resolveExited();
    };
    // Not 'close': after disconnect() Node may never emit it. On 'exit', give stdout/stderr a moment to drain, so a
    // crash's last words (a V8 out-of-memory report) are in the log before the attempt is failed.
    child.on('exit', (code, signal) => {
      let open = 0;
      const finish = () => exited(code, signal);
      const timer = setTimeout(finish, 200);
      const drained = () => {
        if (--open === 0) {
          clearTimeout(timer);
          finish();
        }
      };
      for (const stream of [child.stdout!, child.stderr!]) {
        if (stream.destroyed || stream.readableEnded) continue;
        open++;
        stream.once('close', drained);
      }
      // Log messages the worker sent just before it died may still be in the IPC pipe.
      if (child.connected) {
        open++;
        child.once('disconnect', drained);
      }
      if (open === 0) {
        clearTimeout(timer);
        finish();
      }
    });
    child.on('error', (err) => {
      if (child.pid === undefined) exited(null, null, err);
    });
    return w;
  }

  private sendTo(w: WorkerHandle, message: ToWorker): void {
    if (!w.child.connected) return; // its exit handler re-queues what it held
    try {
      w.child.send(message);
    } catch {
      // The channel closed under us: the exit handler deals with the jobs.
    }
  }

  private onWorkerMessage(w: WorkerHandle, m: FromWorker): void {
    switch (m.t) {
      case 'ready':
        if (w.state === 'starting') w.state = 'ready';
        if (w.outstanding[0]?.state === 'running') this.armTimeout(w.outstanding[0]);
        return;
      case 'log': {
        const h = this.byToken.get(m.token);
        if (h && h.worker === w) h.log.append(m.text);
        return;
      }
      case 'done':
        this.onDone(w, m);
        return;
      case 'revoked':
        this.takeBack(w, m.tokens);
        return;
      case 'retire':
        w.state = 'retiring';
        this.takeBack(w, m.tokens);
        return;
    }
  }

  private onDone(w: WorkerHandle, m: Extract<FromWorker, { t: 'done' }>): void {
    const h = this.byToken.get(m.token);
    if (!h || h.worker !== w) return;
    const index = w.outstanding.indexOf(h);
    if (index >= 0) w.outstanding.splice(index, 1);
    h.log.append(m.log);
    if (h.fastKey) {
      const d = this.durations.get(h.fastKey);
      if (d) {
        d.ewma = d.ewma * 0.8 + m.durationMs * 0.2;
        d.n++;
      } else this.durations.set(h.fastKey, { ewma: m.durationMs, n: 1 });
    }
    if (m.ok) {
      const result: TransformResult = { outputDir: h.outputDir, files: m.files, version: m.version, durationMs: m.durationMs };
      if (m.metadata !== undefined) result.metadata = m.metadata;
      this.finish(h, { ok: true, result });
    } else {
      this.finish(h, { ok: false, error: m.error });
    }
    this.afterWorkerProgress(w);
  }

  private afterWorkerProgress(w: WorkerHandle): void {
    if (w.outstanding.length > 0) {
      if (w.outstanding[0]!.state === 'queued') this.becameHead(w);
    } else if (w.state === 'ready' || w.state === 'starting') {
      this.armIdle(w);
    }
    this.schedulePump();
  }

  private armIdle(w: WorkerHandle): void {
    if (w.idleTimer) clearTimeout(w.idleTimer);
    w.idleTimer = setTimeout(() => {
      w.idleTimer = undefined;
      if (w.outstanding.length === 0 && (w.state === 'ready' || w.state === 'starting')) this.stopWorker(w);
    }, this.options.idleTimeoutMs);
    w.idleTimer.unref();
  }

  private stopWorker(w: WorkerHandle): void {
    w.state = 'stopping';
    // The worker exits when its channel closes; SIGKILL if it does not within a second (a blocked event loop).
    if (w.child.connected) w.child.disconnect();
    const t = setTimeout(() => w.child.kill('SIGKILL'), 1000);
    t.unref();
    void w.exited.then(() => clearTimeout(t));
  }

  /** Jobs a worker gave back unstarted (revoked, or it retired): run them elsewhere, their attempt not counted. */
  private takeBack(w: WorkerHandle, tokens: string[]): void {
    const back: Held[] = [];
    for (const token of tokens) {
      const h = this.byToken.get(token);
      if (!h || h.worker !== w) continue;
      const index = w.outstanding.indexOf(h);
      if (index >= 0) w.outstanding.splice(index, 1);
      h.worker = undefined;
      h.revoking = false;
      if (h.cancelPending) this.finish(h, cancelledOutcome('cancelled before it started'));
      else back.push(h);
    }
    this.rebuffer(back);
    this.afterWorkerProgress(w);
  }

  private rebuffer(back: Held[]): void {
    for (const h of back) {
      h.state = 'buffered';
      h.worker = undefined;
      if (h.timer) clearTimeout(h.timer);
      h.timer = undefined;
    }
    if (this.closing) {
      for (const h of back) this.releaseHeld(h);
      return;
    }
    this.buffer = [...back, ...this.buffer];
  }

  private onWorkerExit(w: WorkerHandle, code: number | null, signal: NodeJS.Signals | null, error?: Error): void {
    this.workers.delete(w);
    this.counters.workersStopped++;
    if (w.idleTimer) clearTimeout(w.idleTimer);
    let head: Held | undefined = w.outstanding[0];
    let rest = w.outstanding.slice(1);
    w.outstanding = [];
    // Not the job it was killed for (that one ended first), or a worker that had stopped taking jobs: nothing on it
    // started, so nothing failed.
    const innocent = (w.killedFor !== undefined && head !== w.killedFor) || w.state === 'retiring' || w.state === 'stopping';
    if (head && innocent && head.killReason !== 'close') {
      rest = [head, ...rest];
      head = undefined;
    }
    if (head) {
      head.worker = undefined;
      const how = error ? `could not start (${error.message})` : signal ? `exited with signal ${signal}` : `exited with code ${code}`;
      if (head.killReason === 'close') this.releaseHeld(head);
      else if (head.killReason === 'cancel') this.finish(head, cancelledOutcome(`cancelled while it ran; its worker (pid ${w.pid}) was killed`));
      else if (head.killReason === 'timeout') {
        this.finish(head, { ok: false, error: { code: 'TransformTimedOut', message: `job '${head.claim.id}' ran past its timeout of ${head.claim.timeoutMs} ms; its worker (pid ${w.pid}) was killed` } });
      } else {
        const message = `worker (pid ${w.pid}) ${how} during job '${head.claim.id}' (attempt ${head.claim.attempt})`;
        head.log.append(`[reflow] WorkerDied: ${message}\n`);
        this.finish(head, { ok: false, error: { code: 'WorkerDied', message } });
      }
    }
    this.rebuffer(rest.filter((h) => !h.cancelPending));
    for (const h of rest) if (h.cancelPending) this.finish(h, cancelledOutcome('cancelled before it started'));
    this.schedulePump();
  }

  /** Takes back jobs queued behind a head that has run long, so they do not wait for it. */
  private checkStalls(): void {
    const now = Date.now();
    for (const w of this.workers) {
      if (w.outstanding.length < 2 || now - w.headSince <= STALL_MS) continue;
      const tokens = w.outstanding.slice(1).filter((h) => !h.revoking).map((h) => ((h.revoking = true), h.token));
      if (tokens.length) this.sendTo(w, { t: 'revoke', tokens });
    }
  }

  // ---- commands ----

  private startCommandJob(h: Held): void {
    this.newToken(h);
    h.state = 'running';
    h.startedMs = Date.now();
    const p = h.claim.payload;
    const argv = p.transform.command!;
    try {
      h.version = currentVersion({ command: argv, files: p.transform.files, version: p.transform.version }, p.projectDir).version;
      mkdirSync(h.outputDir, { recursive: true });
    } catch (err) {
      this.finish(h, { ok: false, error: { code: 'TransformFailed', message: `cannot prepare command job: ${(err as Error).message}` } });
      return;
    }
    this.commandsRunning++;
    this.notePeak();
    h.command = startCommand(
      { argv, projectDir: p.projectDir, inputs: p.inputs, outputDir: h.outputDir, params: p.params, jobId: h.claim.id, attempt: h.claim.attempt, env: this.options.env },
      h.log,
    );
    this.armTimeout(h);
    void h.command.exited.then((exit) => this.commandExited(h, exit));
  }

  private stopCommand(h: Held): void {
    h.command!.kill('SIGTERM');
    h.killTimer = setTimeout(() => h.command?.kill('SIGKILL'), this.options.killGraceMs);
    h.killTimer.unref();
  }

  private commandExited(h: Held, exit: CommandExit): void {
    this.commandsRunning--;
    if (h.killTimer) clearTimeout(h.killTimer);
    const pid = h.command?.pid;
    h.command = undefined;
    const argv0 = h.claim.payload.transform.command![0];
    const fail = (code: string, message: string) => {
      h.log.append(`[reflow] ${code}: ${message}\n`);
      this.finish(h, { ok: false, error: { code, message } });
    };
    if (h.killReason === 'close') this.releaseHeld(h);
    else if (h.killReason === 'cancel') this.finish(h, cancelledOutcome(`cancelled while it ran; its command (pid ${pid}) was stopped`));
    else if (h.killReason === 'timeout') fail('TransformTimedOut', `job '${h.claim.id}' ran past its timeout of ${h.claim.timeoutMs} ms; its command (pid ${pid}) was stopped`);
    else if (exit.spawnError) fail('TransformFailed', `cannot start command '${argv0}': ${exit.spawnError.message}`);
    else if (exit.signal) fail('WorkerDied', `command '${argv0}' (pid ${pid}) exited with signal ${exit.signal} during job '${h.claim.id}' (attempt ${h.claim.attempt})`);
    else if (exit.code !== 0) fail('TransformFailed', `command '${argv0}' exited with code ${exit.code}`);
    else {
      try {
        const files = listOutputs(h.outputDir);
        if (files.length === 0) fail('TransformWroteNothing', `the transform wrote nothing to its output directory ${h.outputDir}`);
        else {
          const result: TransformResult = { outputDir: h.outputDir, files, version: h.version!, durationMs: Date.now() - h.startedMs };
          this.finish(h, { ok: true, result });
        }
      } catch (err) {
        fail('TransformFailed', err instanceof OutputError ? err.message : `cannot read the output directory: ${(err as Error).message}`);
      }
    }
    this.schedulePump();
  }

  // ---- cancelling ----

  private cancelHeld(h: Held): void {
    if (h.state === 'ending' || h.killReason) return;
    if (h.state === 'buffered') {
      this.buffer = this.buffer.filter((b) => b !== h);
      this.finish(h, cancelledOutcome('cancelled before it started'));
    } else if (h.state === 'queued' && h.worker) {
      h.cancelPending = true;
      h.revoking = true;
      this.sendTo(h.worker, { t: 'revoke', tokens: [h.token] });
    } else if (h.state === 'running') {
      h.killReason = 'cancel';
      if (h.worker) this.killWorkerFor(h.worker, h);
      else if (h.command) this.stopCommand(h);
    }
  }

  // ---- completions, leases ----

  private finish(h: Held, outcome: { ok: true; result: TransformResult } | { ok: false; error: JobError; retryable?: boolean; cancelled?: boolean }): void {
    if (h.state === 'ending') return;
    h.state = 'ending';
    if (h.timer) clearTimeout(h.timer);
    h.timer = undefined;
    const base = { id: h.claim.id, owner: this.owner, attempt: h.claim.attempt, startedMs: h.startedMs || Date.now(), endedMs: Date.now(), log: h.log.toString() };
    this.completions.push({ held: h, outcome: { ...base, ...outcome } as AttemptOutcome });
    this.scheduleFlush();
  }

  private releaseHeld(h: Held): void {
    if (h.state === 'ending') return;
    h.state = 'ending';
    if (h.timer) clearTimeout(h.timer);
    this.releases.push(h);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const run = () => {
      this.flushScheduled = false;
      this.flushing = this.flushing.then(() => this.flush());
    };
    if (this.closing) setImmediate(run);
    else setTimeout(run, COMPLETE_WINDOW_MS);
  }

  private async flush(): Promise<void> {
    const batch = this.completions;
    this.completions = [];
    const releases = this.releases;
    this.releases = [];
    if (batch.length) {
      try {
        const { settled } = await this.queue.complete(batch.map((c) => c.outcome));
        for (const { held, outcome } of batch) {
          this.forget(held);
          if (outcome.ok) this.counters.attemptsSucceeded++;
          else {
            this.counters.attemptsFailed++;
            if (!this.options.keepOutputs && held.outputDir) void rm(held.outputDir, { recursive: true, force: true });
          }
        }
        if (settled.length) this.hooks.onSettled?.(settled);
      } catch (err) {
        // Not recorded: keep holding the jobs (the heartbeat keeps their leases) and try again shortly.
        this.diagnostic(`recording ${batch.length} job outcome(s) failed, retrying: ${(err as Error).message}`);
        this.completions.unshift(...batch);
        setTimeout(() => this.scheduleFlush(), 1000).unref();
      }
    }
    if (releases.length) {
      try {
        await this.queue.release(this.owner, releases.map((h) => h.claim.id));
      } catch (err) {
        this.diagnostic(`giving back ${releases.length} job(s) failed; their leases will expire: ${(err as Error).message}`);
      }
      for (const h of releases) {
        this.forget(h);
        if (!this.options.keepOutputs && h.outputDir) void rm(h.outputDir, { recursive: true, force: true });
      }
    }
  }

  private forget(h: Held): void {
    if (this.held.get(h.claim.id) === h) this.held.delete(h.claim.id);
    if (h.token) this.byToken.delete(h.token);
  }

  private async beat(): Promise<void> {
    // Also while closing: jobs finishing within the grace period must keep their leases.
    if (this.stopped) return;
    try {
      const ids = [...this.held.keys()];
      if (ids.length) {
        const { lost, cancelRequested } = await this.queue.renewLeases(this.owner, ids, this.options.leaseMs);
        for (const id of lost) {
          const h = this.held.get(id);
          if (!h || h.state === 'ending') continue;
          h.lost = true;
          if (h.state === 'buffered') {
            this.buffer = this.buffer.filter((b) => b !== h);
            this.forget(h);
          }
          // A running one finishes; the queue ignores its now stale outcome.
        }
        for (const id of cancelRequested) {
          const h = this.held.get(id);
          if (h) this.cancelHeld(h);
        }
      }
      await this.queue.recoverExpired();
    } catch (err) {
      if (!this.stopped) this.diagnostic(`renewing leases failed: ${(err as Error).message}`);
    }
  }

  /** Removes attempt directories of pools that are gone, except outputs still to be handed to the consumer. */
  private async sweepWorkDir(): Promise<void> {
    try {
      const names = readdirSync(this.options.workDir);
      const stale = names.filter((n) => {
        const pid = Number(n.split('-', 1)[0]);
        return Number.isInteger(pid) && pid !== process.pid && ownerProcessGone(`${hostnameOf(this.owner)}:${pid}:x`);
      });
      if (stale.length === 0) return;
      const keep = new Set<string>();
      for (const job of await this.queue.unnotified(10_000)) {
        const dir = (job.result as Partial<TransformResult> | undefined)?.outputDir;
        if (typeof dir === 'string') keep.add(dir);
      }
      for (const name of stale) {
        const dir = join(this.options.workDir, name);
        if (!keep.has(dir)) rmSync(dir, { recursive: true, force: true });
      }
    } catch (err) {
      this.diagnostic(`cleaning ${this.options.workDir} failed: ${(err as Error).message}`);
    }
  }

  private diagnostic(message: string): void {
    if (this.hooks.onDiagnostic) this.hooks.onDiagnostic(message);
    else console.error(`[reflow pool] ${message}`);
  }

  // ---- shutdown ----

  private async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    this.unsubscribe?.();
    if (this.poll) clearInterval(this.poll);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    // Claimed but not started: give back at once.
    const buffered = this.buffer;
    this.buffer = [];
    for (const h of buffered) this.releaseHeld(h);
    // Queued behind a running job: take back (a worker blocked in a job answers when it is done, or is killed below).
    for (const w of this.workers) {
      const tokens = w.outstanding.slice(1).map((h) => h.token);
      if (tokens.length) this.sendTo(w, { t: 'revoke', tokens });
    }
    const busy = () => this.commandsRunning > 0 || [...this.workers].some((w) => w.outstanding.length > 0);
    const deadline = Date.now() + graceMs;
    while (busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, Math.min(20, Math.max(1, deadline - Date.now()))));
    for (const w of this.workers) {
      if (w.outstanding.length > 0) {
        for (const h of w.outstanding) h.killReason = 'close';
        w.child.kill('SIGKILL');
      } else this.stopWorker(w);
    }
    for (const h of this.held.values()) {
      if (h.command && h.state === 'running') {
        h.killReason = 'close';
        h.command.kill('SIGKILL');
      }
    }
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    const exits = [...this.workers].map((w) => w.exited);
    const commands = [...this.held.values()].filter((h) => h.command).map((h) => h.command!.exited);
    await Promise.all([...exits, ...commands]);
    // Let exit handlers queue their releases, then write everything out.
    await new Promise((r) => setImmediate(r));
    await this.flushing;
    await this.flush();
    // Anything still held (an outcome that could not be recorded) is left to lease expiry.
  }
}

function hostnameOf(owner: string): string {
  return owner.split(':').slice(0, -2).join(':');
}

function cancelledOutcome(message: string) {
  return { ok: false as const, cancelled: true, error: { code: 'JobCancelled', message } };
}

function payloadProblem(p: TransformPayload | undefined): string | undefined {
  if (!p || typeof p !== 'object') return 'its payload is not a transform payload';
  if (typeof p.projectDir !== 'string') return 'payload.projectDir is missing';
  const t = p.transform;
  if (!t || typeof t !== 'object' || typeof t.version !== 'string') return 'payload.transform is not a compiled transform';
  if ((t.module === undefined) === (t.command === undefined)) return 'payload.transform needs exactly one of module and command';
  if (!Array.isArray(p.inputs)) return 'payload.inputs is not an array';
  if (!p.params || typeof p.params !== 'object') return 'payload.params is not an object';
  return undefined;
}

export function createWorkerPool(queue: JobQueue, options: WorkerPoolOptions, hooks?: WorkerPoolHooks): WorkerPool {
  return new WorkerPool(queue, options, hooks).start();
}
