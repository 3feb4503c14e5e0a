/**
 * The running pipeline of one project: it registers each stage as an in-process bus handler, runs transforms on
 * the job runtime, keeps the reconciler going, and answers the API (PipelineApi). Which stage follows which is
 * decided by the rules `reflow apply` writes (definition/resources.ts), never here.
 */
import { join, resolve } from 'node:path';
import type { EventBus } from '../bus/port.js';
import type { EventEnvelope } from '../events/envelope.js';
import type { DeliveryContext } from '../bus/types.js';
import type { ObjectStore } from '../store/port.js';
import type { Catalog } from '../catalog/port.js';
import type * as C from '../catalog/types.js';
import { ReflowError, isReflowError } from '../errors.js';
import { createJobRuntime, type JobQueue, type JobRuntime } from '../runtime/index.js';
import type { ApplyOutcome, DatasetSummary, DeadTransform, PipelineApi, PlanOutcome } from './api.js';
import { StageContext } from './context.js';
import { applyProject } from './definition/apply.js';
import type { CompiledProject } from './definition/compile.js';
import { loadProject } from './definition/load-project.js';
import { planProject, renderPlan } from './definition/plan.js';
import { HANDLERS } from './definition/resources.js';
import { PipelineEmitter } from './events.js';
import { extract } from './extract/stage.js';
import { announce, load } from './load/stage.js';
import { monitor } from './monitor/stage.js';
import { Reconciler } from './reconcile/reconciler.js';
import { KeyedSerializer, objectKeyOf } from './serialize.js';
import { StagingArea } from './staging.js';
import { TransformStage, datasetOfJob } from './transform/stage.js';

/** Events each stage handles at once (see register()). */
const STAGE_CONCURRENCY = 64;

export interface PipelineOptions {
  bus: EventBus;
  store: ObjectStore;
  catalog: Catalog;
  jobs: JobQueue;
  /** The project directory holding reflow.config.ts. */
  projectDir: string;
  /** Scratch space: staged raw versions and job output directories. */
  workDir: string;
  log?: (message: string) => void;
  /** Overrides the project's `workers` settings (tests, benchmarks). */
  workers?: { concurrency?: number; idleTimeoutMs?: number };
  /** How often the reconciler checks running rebuilds (default 500 ms). */
  reconcileIntervalMs?: number;
}

export class Pipeline implements PipelineApi {
  private readonly ctx: StageContext;
  private readonly runtime: JobRuntime;
  private readonly transform: TransformStage;
  private readonly reconciler: Reconciler;
  private readonly registered = new Set<string>();
  private applying: Promise<unknown> = Promise.resolve();

  /** Loads the project, applies it (what `reflow up --project` does), and starts the stages. */
  static async start(options: PipelineOptions): Promise<{ pipeline: Pipeline; applied: ApplyOutcome }> {
    const project = await loadProject(options.projectDir);
    const pipeline = new Pipeline(options, project);
    try {
      const applied = await pipeline.applyCompiled(project);
      await pipeline.reconciler.resume();
      await pipeline.reannounce();
      pipeline.reconciler.start();
      return { pipeline, applied };
    } catch (err) {
      await pipeline.close();
      throw err;
    }
  }

  private constructor(
    private readonly options: PipelineOptions,
    project: CompiledProject,
  ) {
    const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
    const emitter = new PipelineEmitter(options.bus, project.eventBus);
    const staging = new StagingArea(options.store, join(resolve(options.workDir), 'staging'));
    this.ctx = new StageContext(options.catalog, options.store, emitter, staging, log);
    const workers = { ...project.workers, ...options.workers };
    const runtimeOptions: Parameters<typeof createJobRuntime>[0] = {
      queue: options.jobs,
      workDir: join(resolve(options.workDir), 'jobs'),
      onSettled: (job) => this.transform.settled(job),
      onDiagnostic: log,
    };
    if (workers.concurrency !== undefined) runtimeOptions.concurrency = workers.concurrency;
    if (workers.idleTimeoutMs !== undefined) runtimeOptions.idleTimeout = workers.idleTimeoutMs;
    this.runtime = createJobRuntime(runtimeOptions);
    this.transform = new TransformStage(this.ctx, this.runtime);
    const reconcilerOptions: ConstructorParameters<typeof Reconciler>[2] = { activeJobs: (dataset) => this.transform.activeJobs(dataset) };
    if (options.reconcileIntervalMs !== undefined) reconcilerOptions.intervalMs = options.reconcileIntervalMs;
    this.reconciler = new Reconciler(this.ctx, options.bus, reconcilerOptions);
  }

  // ------------------------------------------------------------------ handlers

  /**
   * Each stage is a named handler; a handler for a dataset the project no longer has ignores the event. The bus
   * hands each stage up to STAGE_CONCURRENCY events at once, so their catalog writes share commits; events about
   * the same object key still run one after the other, in log order (KeyedSerializer).
   */
  private register(project: CompiledProject): void {
    const add = (name: string, run: (event: EventEnvelope) => Promise<void>) => {
      if (this.registered.has(name)) return;
      this.registered.add(name);
      const serializer = new KeyedSerializer();
      const handle = async (event: EventEnvelope) => {
        try {
          await run(event);
        } catch (err) {
          if (isReflowError(err) && err.code === 'NotFound' && err.field === 'detail.dataset') return this.ctx.log(err.message);
          throw err;
        }
      };
      this.options.bus.registerHandler(name, (_payload: unknown, delivery: DeliveryContext) => serializer.run(objectKeyOf(delivery.event), () => handle(delivery.event)), {
        concurrency: STAGE_CONCURRENCY,
      });
    };
    for (const dataset of project.datasets) {
      const name = dataset.name;
      add(HANDLERS.extract(name), (event) => extract(this.ctx, name, event));
      add(HANDLERS.transform(name), (event) => this.transform.handle(name, event));
      add(HANDLERS.load(name), (event) => load(this.ctx, name, event));
    }
    add(HANDLERS.monitor, (event) => monitor(this.ctx, event));
  }

  /** A crash between publishing and announcing loses no announcement: the latest version is announced again. */
  private async reannounce(): Promise<void> {
    for (const dataset of this.ctx.project?.datasets ?? []) {
      const version = await this.options.catalog.getVersion(dataset.name);
      if (version) await announce(this.ctx, dataset.name, version.version);
    }
  }

  // ------------------------------------------------------------------ plan / apply

  project(): { name: string; dir: string; datasets: string[] } | undefined {
    const p = this.ctx.project;
    return p && { name: p.name, dir: p.dir, datasets: p.datasets.map((d) => d.name) };
  }

  async plan(): Promise<PlanOutcome> {
    const project = await loadProject(this.options.projectDir);
    const plan = await planProject(project, this.ports());
    return { plan, text: renderPlan(plan) };
  }

  async apply(): Promise<ApplyOutcome> {
    return this.applyCompiled(await loadProject(this.options.projectDir));
  }

  /** One apply at a time: two overlapping applies would race on rules and rebuilds. */
  private applyCompiled(project: CompiledProject): Promise<ApplyOutcome> {
    const run = this.applying.then(async () => {
      // Handlers first: the rules apply writes may route events at once.
      this.register(project);
      const previous = this.ctx.project;
      this.ctx.project = project;
      try {
        const result = await applyProject(project, this.ports());
        const rebuilds: C.Rebuild[] = [];
        for (const change of result.datasets) {
          const { pending } = await this.options.catalog.status(change.dataset);
          const rebuild = await this.reconciler.rebuild(change.dataset, change.fromTransformVersion, change.stale, change.fromTransformVersion === undefined ? 0 : pending);
          if (rebuild) rebuilds.push(rebuild);
        }
        return { plan: result.plan, text: renderPlan(result.plan), datasets: result.datasets, rebuilds };
      } catch (err) {
        this.ctx.project = previous ?? project;
        throw err;
      }
    });
    this.applying = run.catch(() => undefined);
    return run;
  }

  private ports() {
    return { bus: this.options.bus, store: this.options.store, catalog: this.options.catalog };
  }

  // ------------------------------------------------------------------ reading

  async datasets(): Promise<DatasetSummary[]> {
    return Promise.all((this.ctx.project?.datasets ?? []).map((d) => this.dataset(d.name)));
  }

  async dataset(name: string): Promise<DatasetSummary> {
    const dataset = this.known(name);
    const status = await this.options.catalog.status(name);
    const summary: DatasetSummary = {
      ...status,
      jobs: { active: await this.transform.activeJobs(name) },
      source: { bucket: dataset.source.bucket, prefix: dataset.source.prefix },
      load: { bucket: dataset.load.bucket, prefix: dataset.load.prefix, mode: dataset.load.mode, splits: dataset.load.splits.names },
    };
    if (status.rebuild?.replayName) {
      try {
        const replay = await this.options.bus.describeReplay({ ReplayName: status.rebuild.replayName });
        const progress = (replay as { Progress?: { EventsReplayed?: number; EventsTotal?: number } }).Progress;
        summary.replay = { state: replay.State, replayed: progress?.EventsReplayed ?? 0, total: progress?.EventsTotal ?? 0 };
      } catch (err) {
        if (!isReflowError(err)) throw err;
      }
    }
    return summary;
  }

  async versions(dataset: string): Promise<C.DatasetVersion[]> {
    this.known(dataset);
    return this.options.catalog.listVersions(dataset);
  }

  async manifest(dataset: string, version?: number, split?: string): Promise<{ version: C.DatasetVersion; entries: C.ManifestEntry[] }> {
    this.known(dataset);
    const found = await this.options.catalog.getVersion(dataset, version);
    if (!found) throw new ReflowError('NotFound', version === undefined ? `Dataset ${dataset} has no published version yet.` : `Dataset ${dataset} has no version ${version}.`, { field: 'version' });
    const options = split === undefined ? {} : { split };
    return { version: found, entries: await this.options.catalog.manifest(dataset, found.version, options) };
  }

  async lineageOfVersion(dataset: string, version: number): Promise<C.DatasetVersionLineage> {
    this.known(dataset);
    const lineage = await this.options.catalog.lineageOfVersion(dataset, version);
    if (!lineage) throw new ReflowError('NotFound', `Dataset ${dataset} has no version ${version}.`, { field: 'version' });
    return lineage;
  }

  async lineageOfObject(object: { bucket: string; key: string; versionId?: string }): Promise<C.ObjectLineage> {
    const versionId = object.versionId ?? (await this.options.store.headObject(object.bucket, object.key)).versionId;
    const lineage = await this.options.catalog.lineageOfObject({ bucket: object.bucket, key: object.key, versionId });
    if (!lineage) throw new ReflowError('NotFound', `s3://${object.bucket}/${object.key}?versionId=${versionId} is not in any dataset.`, { field: 'versionId' });
    return lineage;
  }

  async qualityReport(dataset: string, object: { bucket: string; key: string; versionId?: string }): Promise<C.StoredQualityReport> {
    const known = this.known(dataset);
    const versionId = object.versionId ?? (await this.options.store.headObject(object.bucket, object.key)).versionId;
    const report = await this.options.catalog.getQualityReport(dataset, { bucket: object.bucket, key: object.key, versionId }, known.specHash);
    if (!report) throw new ReflowError('NotFound', `No quality report for s3://${object.bucket}/${object.key}?versionId=${versionId} under dataset ${dataset}'s current checks.`, { field: 'versionId' });
    return report;
  }

  alerts(options: { dataset?: string; limit?: number }): Promise<C.Alert[]> {
    return this.options.catalog.listAlerts(options);
  }

  runs(dataset: string, options: { status?: C.RunRecord['status']; limit?: number }): Promise<C.RunRecord[]> {
    this.known(dataset);
    return this.options.catalog.listRuns(dataset, options);
  }

  /** Rebuilds whatever is stale now (after a cancelled or failed rebuild); undefined when nothing needs it. */
  async rebuild(dataset: string): Promise<C.Rebuild | undefined> {
    this.known(dataset);
    const status = await this.options.catalog.status(dataset);
    return this.reconciler.rebuild(dataset, status.currentTransformVersion, status.stale, status.pending);
  }

  async cancelRebuild(dataset: string): Promise<C.Rebuild | undefined> {
    this.known(dataset);
    return this.reconciler.cancel(dataset, 'cancelled by request');
  }

  async deadTransforms(limit = 100): Promise<DeadTransform[]> {
    const dead = await this.runtime.queue.listDeadLetters({ kind: 'transform', limit });
    return dead.map((d) => {
      const owner = datasetOfJob(d.job.id);
      const entry: DeadTransform = { jobId: d.job.id, error: `${d.lastError.code}: ${d.lastError.message}`, attempts: d.attempts.length, log: d.attempts.at(-1)?.log ?? '' };
      if (owner) entry.dataset = owner.dataset;
      return entry;
    });
  }

  /** Waits until no transform job of the project is active (tests and the demo). */
  async idle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.options.store.flushEvents(timeoutMs);
    for (;;) {
      await this.options.bus.drain(Math.max(1, deadline - Date.now()));
      let active = 0;
      for (const d of this.ctx.project?.datasets ?? []) active += await this.transform.activeJobs(d.name);
      if (active === 0) {
        await this.options.bus.drain(Math.max(1, deadline - Date.now()));
        let again = 0;
        for (const d of this.ctx.project?.datasets ?? []) again += await this.transform.activeJobs(d.name);
        if (again === 0) {
          await this.reconciler.tick();
          return;
        }
      }
      if (Date.now() > deadline) throw new ReflowError('InternalException', `pipeline still busy after ${timeoutMs} ms (${active} transform jobs active)`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stats() {
    return this.runtime.stats();
  }

  private known(name: string) {
    const dataset = this.ctx.project?.datasets.find((d) => d.name === name);
    if (!dataset) throw new ReflowError('NotFound', `Dataset ${name} is not in the project.`, { field: 'dataset' });
    return dataset;
  }

  async close(): Promise<void> {
    await this.reconciler.stop();
    await this.runtime.close();
  }
}
