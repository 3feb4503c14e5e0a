/**
 * Extract: an `Object Created` event of a dataset's source arrives (rule `reflow-<ds>-extract`); the version is
 * recorded in the catalog, its quality checks run on a staged copy, the report is stored, and a `Quality Check
 * Passed` or `Quality Check Failed` event names the contributor, the version and the reasons.
 *
 * A report is kept per (version, checks): a redelivery or a rebuild's replay re-announces the verdict instead of
 * checking again, and a version that a newer passing version already supersedes is not checked at all.
 */
import type { EventEnvelope } from '../../events/envelope.js';
import { isReflowError } from '../../errors.js';
import { runQualityChecks, type QualityReport } from '../quality/index.js';
import type { StageContext } from '../context.js';
import { runIdOf, type ObjectEventDetail, type PipelineObject, type QualityCheckDetail } from '../events.js';

/** The object an `aws.s3` event is about. Unversioned buckets name their one version `null`, as S3 does. */
export function objectOf(detail: ObjectEventDetail): PipelineObject {
  const object: PipelineObject = {
    bucket: detail.bucket.name,
    key: detail.object.key,
    versionId: detail.object['version-id'] ?? 'null',
    sequencer: detail.object.sequencer,
  };
  if (detail.object.etag !== undefined) object.etag = detail.object.etag;
  if (detail.object.size !== undefined) object.size = detail.object.size;
  return object;
}

/** The object is gone from the store (permanently deleted since the event): nothing to check, nothing to retry. */
const vanished = (err: unknown) => isReflowError(err) && (err.code === 'NoSuchVersion' || err.code === 'NoSuchKey' || err.code === 'NoSuchBucket');

export async function extract(ctx: StageContext, datasetName: string, event: EventEnvelope): Promise<void> {
  const dataset = ctx.dataset(datasetName);
  const detail = event.detail as unknown as ObjectEventDetail;
  const object = objectOf(detail);
  const facts = detail.requester === undefined ? { key: object.key } : { key: object.key, requester: detail.requester };
  const contributor = dataset.contributorOf(facts);
  if (contributor !== undefined) object.contributor = contributor;
  const raw = { ...object, kind: 'created' as const, timeMs: Date.parse(event.time) || Date.now(), eventId: event.id };
  await ctx.catalog.recordObjectEvent(datasetName, raw);

  const replay = event['replay-name'];
  const runId = runIdOf(datasetName, object, dataset.transformVersion);
  const cached = await ctx.catalog.getQualityReport(datasetName, object, dataset.specHash);
  if (cached) {
    // Failures were announced (and alerted) once; only a pass has anything downstream to trigger again.
    if (cached.passed) await ctx.emitter.quality(detailOf(datasetName, object, dataset.specHash, cached.report as QualityReport, runId, replay), replay);
    return;
  }
  if (await ctx.catalog.isSuperseded(datasetName, object)) {
    await ctx.catalog.recordRunStep({ runId, dataset: datasetName, object, status: 'skipped', error: 'superseded by a newer version or a delete' });
    return;
  }

  const started = Date.now();
  const report = await ctx.checkSlots(async () => {
    let staged: { path: string; size: number };
    try {
      staged = await ctx.staging.stage(datasetName, object, 'quality');
    } catch (err) {
      if (!vanished(err)) throw err;
      await ctx.catalog.recordRunStep({ runId, dataset: datasetName, object, status: 'skipped', error: `the version is gone from the store: ${(err as Error).message}` });
      return undefined;
    }
    return dataset.quality ? runQualityChecks(dataset.quality, { path: staged.path, key: object.key, size: staged.size }) : noChecks(staged.size);
  });
  if (!report) return;
  const ended = Date.now();
  const stored = {
    dataset: datasetName,
    object,
    specHash: dataset.specHash,
    passed: report.passed,
    reasons: reasonsOf(report),
    report,
    timeMs: ended,
  };
  await ctx.catalog.putQualityReport(contributor === undefined ? stored : { ...stored, contributor });
  const summary = report.passed ? `passed ${report.checks.length} checks` : reasonsOf(report).join('; ');
  await ctx.catalog.recordRunStep(
    { runId, dataset: datasetName, object, transformVersion: dataset.transformVersion, status: report.passed ? 'running' : 'rejected' },
    { name: 'quality', startMs: started, endMs: ended, detail: summary },
  );
  await ctx.staging.release(datasetName, object, 'quality');
  await ctx.emitter.quality(detailOf(datasetName, object, dataset.specHash, report, runId, replay), replay);
}

export function reasonsOf(report: QualityReport): string[] {
  return report.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.reason ?? 'failed'}`);
}

function detailOf(dataset: string, object: PipelineObject, specHash: string, report: QualityReport, runId: string, replay: string | undefined): QualityCheckDetail {
  const detail: QualityCheckDetail = {
    dataset,
    object,
    specHash,
    passed: report.passed,
    reasons: reasonsOf(report),
    rows: report.rows,
    checks: report.checks.map((c) => (c.reason === undefined ? { name: c.name, passed: c.passed } : { name: c.name, passed: c.passed, reason: c.reason })),
    runId,
  };
  if (replay !== undefined) detail.replay = replay;
  return detail;
}

/** A dataset without checks: every object passes, and the report says so. */
function noChecks(size: number): QualityReport {
  return { passed: true, format: 'none', rows: 0, bytes: size, columns: {}, checks: [] } as unknown as QualityReport;
}
