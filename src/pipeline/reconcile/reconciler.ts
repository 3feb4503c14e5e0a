/**
 * The reconciler keeps each dataset consistent with the pipeline it is defined with. When `reflow apply` changes a
 * dataset's transform version or checks, every item built otherwise is stale; the reconciler replays the archived
 * object events of the dataset's source through its extract and forget rules (the bus's own replay, so the rebuild
 * follows archive order and resumes from its durable cursor after a crash), and the stages rebuild the items
 * beside the current version. Readers keep the last consistent version until the load stage publishes the next
 * one, with nothing stale, in one transaction.
 *
 * It only starts, watches and cancels replays; it never calls a stage.
 */
import type { EventBus } from '../../bus/port.js';
import { isReflowError } from '../../errors.js';
import type { Rebuild } from '../../catalog/types.js';
import type { StageContext } from '../context.js';
import { archiveName, ruleNames } from '../definition/resources.js';
import { publish } from '../load/stage.js';

export interface ReconcilerOptions {
  /** Pending or running transform jobs of a dataset (a rebuild is not over while any remain). */
  activeJobs(dataset: string): Promise<number>;
  /** How often running rebuilds are checked (default 500 ms). */
  intervalMs?: number;
}

export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly ctx: StageContext,
    private readonly bus: EventBus,
    private readonly options: ReconcilerOptions,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.options.intervalMs ?? 500).unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /**
   * Starts rebuilding a dataset whose pipeline changed; answers the rebuild (or undefined when nothing needs it).
   * `stale` counts published keys to redo; `pending` keys still in flight under the old pipeline need the replay
   * too (their work was for the old transform, or ran code that changed on disk before it was applied).
   */
  async rebuild(datasetName: string, from: string | undefined, stale: number, pending = 0): Promise<Rebuild | undefined> {
    const project = this.ctx.project!;
    const dataset = this.ctx.dataset(datasetName);
    const previous = await this.ctx.catalog.getRebuild(datasetName);
    if (previous?.state === 'RUNNING') await this.cancel(datasetName, `superseded by a rebuild to ${dataset.transformVersion}`);
    if (stale === 0 && pending === 0) return undefined;
    const request = { dataset: datasetName, toTransformVersion: dataset.transformVersion, specHash: dataset.specHash, staleAtStart: stale };
    const rebuild = await this.ctx.catalog.startRebuild(from === undefined ? request : { ...request, fromTransformVersion: from });
    // The replay's name is recorded before the replay starts: a crash in between leaves a name that resume() finds
    // without a replay, and starts it.
    const replayName = `reflow-${datasetName}-rebuild-${rebuild.id}`;
    const named = await this.ctx.catalog.updateRebuild(rebuild.id, { replayName });
    await this.startReplay(datasetName, replayName);
    return named;
  }

  private async startReplay(datasetName: string, replayName: string): Promise<void> {
    const project = this.ctx.project!;
    const dataset = this.ctx.dataset(datasetName);
    const archive = await this.bus.describeArchive({ ArchiveName: archiveName(project.name) });
    const bus = await this.bus.describeEventBus({ Name: project.eventBus });
    const names = ruleNames(datasetName);
    const rules = await Promise.all([names.extract, names.forget].map((Name) => this.bus.describeRule({ Name, EventBusName: project.eventBus })));
    await this.bus.startReplay({
      ReplayName: replayName,
      Description: `rebuild of dataset ${datasetName} with transform ${dataset.transformVersion}`,
      EventSourceArn: archive.ArchiveArn,
      EventStartTime: new Date(archive.CreationTime.getTime() - 1000),
      EventEndTime: new Date(),
      Destination: { Arn: bus.Arn, FilterArns: rules.map((r) => r.Arn) },
    });
  }

  /**
   * After a restart: a rebuild whose replay never started gets it; a dataset left stale with no rebuild of its
   * current pipeline (a crash between recording the new pipeline and starting the rebuild) gets one. A rebuild of the
   * current pipeline that failed or was cancelled stays so until someone asks again.
   */
  async resume(): Promise<void> {
    for (const dataset of this.ctx.project?.datasets ?? []) {
      const rebuild = await this.ctx.catalog.getRebuild(dataset.name);
      if (rebuild?.state === 'RUNNING' && rebuild.replayName) {
        try {
          await this.bus.describeReplay({ ReplayName: rebuild.replayName });
        } catch (err) {
          if (!isReflowError(err) || err.code !== 'ResourceNotFoundException') throw err;
          await this.startReplay(dataset.name, rebuild.replayName);
        }
        continue;
      }
      const status = await this.ctx.catalog.status(dataset.name);
      const forCurrent = rebuild && rebuild.toTransformVersion === dataset.transformVersion && rebuild.specHash === dataset.specHash;
      if ((status.stale > 0 || status.pending > 0) && !forCurrent) await this.rebuild(dataset.name, status.currentTransformVersion, status.stale, status.pending);
    }
  }

  async cancel(datasetName: string, reason = 'cancelled'): Promise<Rebuild | undefined> {
    const rebuild = await this.ctx.catalog.getRebuild(datasetName);
    if (!rebuild || rebuild.state !== 'RUNNING') return rebuild;
    if (rebuild.replayName) {
      try {
        await this.bus.cancelReplay({ ReplayName: rebuild.replayName });
      } catch (err) {
        // A replay that already finished cannot be cancelled; the rebuild still can.
        if (!isReflowError(err) || err.code !== 'IllegalStatusException') throw err;
      }
    }
    return this.ctx.catalog.updateRebuild(rebuild.id, { state: 'CANCELLED', endedMs: Date.now(), reason });
  }

  /** One pass over the running rebuilds (also what tests call instead of waiting for the timer). */
  tick(): Promise<void> {
    this.ticking ??= this.checkAll().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async checkAll(): Promise<void> {
    for (const dataset of this.ctx.project?.datasets ?? []) {
      try {
        await this.check(dataset.name);
      } catch (err) {
        this.ctx.log(`reconciler: dataset ${dataset.name}: ${(err as Error).message}`);
      }
    }
  }

  private async check(datasetName: string): Promise<void> {
    const rebuild = await this.ctx.catalog.getRebuild(datasetName);
    if (!rebuild || rebuild.state !== 'RUNNING') return;
    // A version may already be publishable (the last stale key went away by a delete, say).
    await publish(this.ctx, datasetName);
    if ((await this.ctx.catalog.getRebuild(datasetName))?.state !== 'RUNNING') return;
    if (!rebuild.replayName) return;
    const replay = await this.bus.describeReplay({ ReplayName: rebuild.replayName });
    if (replay.State === 'FAILED' || replay.State === 'CANCELLED') {
      await this.ctx.catalog.updateRebuild(rebuild.id, { state: replay.State, endedMs: Date.now(), reason: `replay ${replay.State.toLowerCase()}: ${replay.StateReason ?? ''}`.trim() });
      return;
    }
    if (replay.State !== 'COMPLETED') return;
    // The replay is over. A stale key with nothing pending is one whose transform failed for good: once no job is
    // left, this pipeline cannot rebuild it, and the dataset stays on its last consistent version.
    if ((await this.options.activeJobs(datasetName)) > 0) return;
    const status = await this.ctx.catalog.status(datasetName);
    if (status.stale === 0 || status.pending > 0) return;
    await this.ctx.catalog.updateRebuild(rebuild.id, {
      state: 'FAILED',
      endedMs: Date.now(),
      reason: `${status.stale} item(s) could not be rebuilt with ${rebuild.toTransformVersion} (see reflow datasets status and the runs' logs); the dataset stays on version ${status.currentVersion}`,
    });
  }
}
