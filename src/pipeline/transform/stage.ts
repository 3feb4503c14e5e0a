/**
 * Transform: `Quality Check Passed` arrives (rule `reflow-<ds>-transform`); the version's transform runs as a job
 * on the worker pool (no time limit unless the project sets one). The handler only makes the job durable, so the
 * bus's delivery stays fast; when the job settles, its outputs go into the dataset bucket and `Transform Completed`
 * (or `Transform Failed`, with the log) goes on the bus for the load stage.
 *
 * Jobs are keyed by (dataset, object version, transform version): a redelivery or a replay never runs a transform
 * twice, and an item already built is announced again instead of rebuilt.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import type { EventEnvelope } from '../../events/envelope.js';
import type { JobRuntime, TransformJobRecord } from '../../runtime/index.js';
import type { OutputObject } from '../../catalog/types.js';
import type { StageContext } from '../context.js';
import { runIdOf, type PipelineObject, type QualityCheckDetail } from '../events.js';
import { SMALL_FILE } from '../staging.js';

/** The job id says whose job it is, so settling needs nothing but the job. */
export function transformJobId(dataset: string, object: PipelineObject, transformVersion: string): string {
  return `transform/${dataset}/${runIdOf(dataset, object, transformVersion)}`;
}

export function datasetOfJob(jobId: string): { dataset: string; runId: string } | undefined {
  const m = /^transform\/([^/]+)\/([^/]+)$/.exec(jobId);
  return m ? { dataset: m[1]!, runId: m[2]! } : undefined;
}

export class TransformStage {
  constructor(
    private readonly ctx: StageContext,
    private readonly runtime: JobRuntime,
  ) {}

  async handle(datasetName: string, event: EventEnvelope): Promise<void> {
    const dataset = this.ctx.dataset(datasetName);
    const detail = event.detail as unknown as QualityCheckDetail;
    const object = detail.object;
    // Checks changed since this verdict: the rebuild that the change started re-checks the version.
    if (detail.specHash !== dataset.specHash) return;
    const transformVersion = dataset.transformVersion;
    const runId = runIdOf(datasetName, object, transformVersion);
    if (await this.ctx.catalog.isSuperseded(datasetName, object)) {
      await this.ctx.catalog.recordRunStep({ runId, dataset: datasetName, object, transformVersion, status: 'skipped', error: 'superseded by a newer version or a delete' });
      return;
    }
    const built = await this.ctx.catalog.getItem(datasetName, object, transformVersion);
    if (built) {
      const completed = {
        dataset: datasetName,
        object,
        transformVersion,
        jobId: built.jobId ?? transformJobId(datasetName, object, transformVersion),
        outputs: built.outputs,
        runId,
        startedMs: built.builtMs,
        endedMs: built.builtMs,
      };
      await this.ctx.emitter.transformCompleted(built.metadata ? { ...completed, metadata: built.metadata } : completed, detail.replay ?? event.id);
      return;
    }
    const jobId = transformJobId(datasetName, object, transformVersion);
    const staged = await this.ctx.staging.stage(datasetName, object, jobId);
    await this.ctx.catalog.recordRunStep({ runId, dataset: datasetName, object, transformVersion, status: 'running' });
    await this.runtime.enqueueTransform({
      id: jobId,
      projectDir: this.ctx.project!.dir,
      transform: dataset.transform,
      inputs: [staged.path],
      expectedVersion: transformVersion,
      field: `datasets.${datasetName}.transform`,
    });
  }

  /** The runtime's settlement callback: at least once per settled job; resolving acknowledges it. */
  async settled(job: TransformJobRecord): Promise<void> {
    const owner = datasetOfJob(job.id);
    if (!owner) return;
    const run = await this.ctx.catalog.getRun(owner.runId);
    if (!run) {
      this.ctx.log(`transform job ${job.id} settled without a run record; ignored`);
      return;
    }
    const raw = await this.ctx.catalog.getRawVersion(run.object);
    const object: PipelineObject = { ...run.object, sequencer: raw?.sequencer ?? '0' };
    if (raw?.contributor !== undefined) object.contributor = raw.contributor;
    const expected = run.transformVersion ?? job.payload.expectedVersion ?? 'unknown';
    if (job.state === 'succeeded' && job.result) {
      const result = job.result;
      const transformVersion = result.version;
      if (transformVersion !== expected) {
        this.ctx.log(`transform job ${job.id}: the code on disk is ${transformVersion}, not the applied ${expected}; recorded as what ran (run \`reflow plan\`)`);
      }
      // Told again after a crash: the item may be recorded already, with its outputs in the store.
      const recorded = await this.ctx.catalog.getItem(owner.dataset, run.object, transformVersion);
      const outputs = recorded ? recorded.outputs : await this.upload(owner.dataset, object, transformVersion, result.outputDir, result.files);
      const ended = job.settledMs ?? Date.now();
      const started = job.startedMs ?? ended - result.durationMs;
      await this.ctx.catalog.recordRunStep(
        { runId: owner.runId, dataset: owner.dataset, object: run.object, transformVersion },
        { name: 'transform', startMs: started, endMs: ended, detail: `${outputs.length} output(s), ${result.durationMs} ms` },
      );
      const completed = { dataset: owner.dataset, object, transformVersion, jobId: job.id, outputs, runId: owner.runId, startedMs: started, endedMs: ended };
      await this.ctx.emitter.transformCompleted(result.metadata ? { ...completed, metadata: result.metadata } : completed);
    } else {
      const error = job.error ? `${job.error.code}: ${job.error.message}` : `job ${job.state}`;
      await this.ctx.emitter.transformFailed({
        dataset: owner.dataset,
        object,
        transformVersion: expected,
        jobId: job.id,
        error,
        attempts: job.attempts,
        logTail: (job.log ?? '').slice(-4000),
        runId: owner.runId,
      });
    }
    await this.ctx.staging.release(owner.dataset, run.object, job.id);
  }

  /** Outputs land under `<load prefix><transform version>/<raw key>/`, named by what they are built from. */
  private async upload(datasetName: string, object: PipelineObject, transformVersion: string, outputDir: string, files: Array<{ path: string; size: number; sha256: string }>): Promise<OutputObject[]> {
    const dataset = this.ctx.dataset(datasetName);
    const outputs: OutputObject[] = [];
    for (const file of files) {
      const key = `${dataset.load.prefix}${transformVersion}/${object.key}/${file.path}`;
      const path = join(outputDir, file.path);
      // A small output is read in one call (see staging.ts's SMALL_FILE); a large one streams.
      const body = file.size <= SMALL_FILE ? Readable.from([readFileSync(path)]) : createReadStream(path);
      const put = await this.ctx.store.putObject(dataset.load.bucket, key, body, {
        contentLength: file.size,
        sha256: file.sha256,
        metadata: { 'reflow-source': `s3://${object.bucket}/${object.key}?versionId=${object.versionId}`, 'reflow-transform-version': transformVersion },
      });
      const output: OutputObject = { bucket: dataset.load.bucket, key, etag: put.etag, sha256: file.sha256, size: file.size };
      if (put.versionId !== 'null') output.versionId = put.versionId;
      outputs.push(output);
    }
    return outputs;
  }

  /** Transform jobs of a dataset that are not settled and announced yet. */
  activeJobs(datasetName: string): Promise<number> {
    return this.runtime.queue.countUnfinished(`transform/${datasetName}/`);
  }
}
