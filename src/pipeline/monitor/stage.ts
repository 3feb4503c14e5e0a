/**
 * Monitoring: `Quality Check Failed` and `Transform Failed` (rule `reflow-<project>-monitoring`) become alerts in
 * the catalog, naming the dataset, the contributor, the object version and the reasons, so the next acquisition
 * round can do better. The same rule sends the events to the project's webhooks; the bus retries those.
 */
import type { EventEnvelope } from '../../events/envelope.js';
import type { StageContext } from '../context.js';
import { DETAIL_TYPES } from '../definition/resources.js';
import type { QualityCheckDetail, TransformFailedDetail } from '../events.js';

export async function monitor(ctx: StageContext, event: EventEnvelope): Promise<void> {
  const type = event['detail-type'];
  if (type !== DETAIL_TYPES.qualityFailed && type !== DETAIL_TYPES.transformFailed) return;
  const detail = event.detail as unknown as QualityCheckDetail | TransformFailedDetail;
  const object = { bucket: detail.object.bucket, key: detail.object.key, versionId: detail.object.versionId };
  const reasons = 'reasons' in detail ? detail.reasons : [`transform ${detail.transformVersion} failed after ${detail.attempts} attempts: ${detail.error}`];
  const alert = {
    dataset: detail.dataset,
    kind: type === DETAIL_TYPES.qualityFailed ? ('quality-failed' as const) : ('transform-failed' as const),
    object,
    reasons,
    timeMs: Date.parse(event.time) || Date.now(),
  };
  const contributor = detail.object.contributor;
  const { created } = await ctx.catalog.recordAlert(contributor === undefined ? alert : { ...alert, contributor });
  if (created) ctx.log(`alert: dataset ${detail.dataset}: s3://${object.bucket}/${object.key} (${contributor ?? 'unknown contributor'}): ${reasons.join('; ')}`);
}
