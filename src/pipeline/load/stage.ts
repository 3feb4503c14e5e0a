/**
 * Load: the one stage that publishes. It hears `Transform Completed` / `Transform Failed` (rule `reflow-<ds>-load`)
 * and the source's `Object Deleted` (rule `reflow-<ds>-forget`); it gives each item its split from the hash of its
 * grouping key, records it, and publishes the next dataset version when nothing is stale — one catalog
 * transaction, so readers switch atomically — then announces `Dataset Version Published`.
 */
import type { EventEnvelope } from '../../events/envelope.js';
import type { StageContext } from '../context.js';
import { DETAIL_TYPES } from '../definition/resources.js';
import type { ObjectEventDetail, TransformCompletedDetail, TransformFailedDetail } from '../events.js';
import { objectOf } from '../extract/stage.js';
import { assignSplit } from './splits.js';

export async function load(ctx: StageContext, datasetName: string, event: EventEnvelope): Promise<void> {
  const type = event['detail-type'];
  if (type === 'Object Deleted') await forget(ctx, datasetName, event);
  else if (type === DETAIL_TYPES.transformCompleted) await recordItem(ctx, datasetName, event.detail as unknown as TransformCompletedDetail);
  else if (type === DETAIL_TYPES.transformFailed) await recordFailure(ctx, datasetName, event.detail as unknown as TransformFailedDetail);
  else return;
  await publish(ctx, datasetName);
}

async function forget(ctx: StageContext, datasetName: string, event: EventEnvelope): Promise<void> {
  const detail = event.detail as unknown as ObjectEventDetail;
  const object = objectOf(detail);
  const kind = detail['deletion-type'] === 'Permanently Deleted' ? 'purged' : 'marker';
  await ctx.catalog.recordObjectEvent(datasetName, { ...object, kind, timeMs: Date.parse(event.time) || Date.now(), eventId: event.id });
}

async function recordItem(ctx: StageContext, datasetName: string, detail: TransformCompletedDetail): Promise<void> {
  const dataset = ctx.dataset(datasetName);
  const started = Date.now();
  const grouping = detail.object.contributor === undefined ? { key: detail.object.key } : { key: detail.object.key, contributor: detail.object.contributor };
  const groupKey = dataset.load.groupOf(grouping);
  const item = {
    dataset: datasetName,
    object: { bucket: detail.object.bucket, key: detail.object.key, versionId: detail.object.versionId },
    transformVersion: detail.transformVersion,
    specHash: dataset.specHash,
    outputs: detail.outputs,
    split: assignSplit(dataset.load.splits, datasetName, groupKey),
    groupKey,
    jobId: detail.jobId,
    builtMs: detail.endedMs,
  };
  await ctx.catalog.recordItem(detail.metadata === undefined ? item : { ...item, metadata: detail.metadata });
  await ctx.catalog.recordRunStep(
    { runId: detail.runId, dataset: datasetName, object: item.object, transformVersion: detail.transformVersion, status: 'succeeded' },
    { name: 'load', startMs: started, endMs: Date.now(), detail: `split ${item.split} (group ${groupKey})` },
  );
}

async function recordFailure(ctx: StageContext, datasetName: string, detail: TransformFailedDetail): Promise<void> {
  const object = { bucket: detail.object.bucket, key: detail.object.key, versionId: detail.object.versionId };
  await ctx.catalog.recordBuildFailure(datasetName, object, detail.transformVersion, detail.error);
  await ctx.catalog.recordRunStep({ runId: detail.runId, dataset: datasetName, object, transformVersion: detail.transformVersion, status: 'failed', error: detail.error });
}

/** Publishes when consistent; also closes the dataset's rebuild once a version of its target pipeline is out. */
export async function publish(ctx: StageContext, datasetName: string): Promise<void> {
  const previous = await ctx.catalog.getVersion(datasetName);
  const version = await ctx.catalog.publishIfConsistent(datasetName);
  if (!version) return;
  const rebuild = await ctx.catalog.getRebuild(datasetName);
  if (rebuild?.state === 'RUNNING' && rebuild.toTransformVersion === version.transformVersion && rebuild.specHash === version.specHash) {
    await ctx.catalog.updateRebuild(rebuild.id, { state: 'COMPLETED', endedMs: Date.now(), publishedVersion: version.version });
  }
  await announce(ctx, datasetName, version.version, previous?.version ?? 0);
}

/** Announces a published version (again: the id is the version's, so a repeat after a crash is dropped by the bus). */
export async function announce(ctx: StageContext, datasetName: string, versionNumber: number, previousVersion?: number): Promise<void> {
  const version = await ctx.catalog.getVersion(datasetName, versionNumber);
  if (!version) return;
  await ctx.emitter.versionPublished({
    dataset: datasetName,
    version: version.version,
    previousVersion: previousVersion ?? Math.max(0, version.version - 1),
    transformVersion: version.transformVersion,
    items: version.items,
    splits: version.splits,
    added: version.added,
    removed: version.removed,
  });
}
