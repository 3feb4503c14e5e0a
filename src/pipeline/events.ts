/**
 * The events the pipeline's stages emit, and how they are put on the bus. Stages never call each other: each
 * puts one of these and a rule (definition/resources.ts) routes it to the next stage.
 *
 * Every event carries a deterministic EventId derived from what it is about (stage, dataset, object version,
 * transform version), and goes through the bus's trusted path, which appends an EventId once: a stage that is run
 * again after a crash or a redelivery emits nothing twice.
 */
import { createHash } from 'node:crypto';
import type { EventBus } from '../bus/port.js';
import type { PutEventsRequestEntry } from '../events/envelope.js';
import { MAX_ENTRIES_PER_REQUEST } from '../events/entry.js';
import { ReflowError } from '../errors.js';
import type { ObjectVersionRef, OutputObject } from '../catalog/types.js';
import { DETAIL_TYPES, SOURCES } from './definition/resources.js';
import { TurnBatcher } from './turn-batch.js';

/** What the store's `Object Created` / `Object Deleted` event says about the object (S3's EventBridge shape). */
export interface ObjectEventDetail {
  bucket: { name: string };
  object: { key: string; size?: number; etag?: string; 'version-id'?: string; sequencer: string };
  requester?: string;
  reason?: string;
  'deletion-type'?: string;
}

/** The object a pipeline event is about, as every stage's event names it. */
export interface PipelineObject extends ObjectVersionRef {
  sequencer: string;
  etag?: string;
  size?: number;
  contributor?: string;
}

export interface QualityCheckDetail {
  dataset: string;
  object: PipelineObject;
  specHash: string;
  passed: boolean;
  /** Why it failed, one line per failed check (empty when it passed). */
  reasons: string[];
  rows?: number;
  checks: Array<{ name: string; passed: boolean; reason?: string }>;
  runId: string;
  /** Set when a rebuild's replay re-announced the verdict: downstream events carry it on. */
  replay?: string;
}

export interface TransformCompletedDetail {
  dataset: string;
  object: PipelineObject;
  transformVersion: string;
  jobId: string;
  outputs: OutputObject[];
  metadata?: Record<string, unknown>;
  runId: string;
  startedMs: number;
  endedMs: number;
}

export interface TransformFailedDetail {
  dataset: string;
  object: PipelineObject;
  transformVersion: string;
  jobId: string;
  error: string;
  attempts: number;
  /** The end of the last attempt's log. */
  logTail: string;
  runId: string;
}

export interface VersionPublishedDetail {
  dataset: string;
  version: number;
  previousVersion: number;
  transformVersion: string;
  items: number;
  splits: Record<string, number>;
  added: number;
  removed: number;
}

/** A UUID-shaped id from its parts: the same facts always give the same id. */
export function eventId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\0')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Run ids name one object version going through one dataset's pipeline. */
export function runIdOf(dataset: string, object: ObjectVersionRef, transformVersion: string): string {
  return eventId('run', dataset, object.bucket, object.key, object.versionId, transformVersion);
}

type Entry = PutEventsRequestEntry & { EventId: string };

export class PipelineEmitter {
  /** Entries emitted in one turn of the event loop go on the bus together, MAX_ENTRIES_PER_REQUEST a call (one commit). */
  private readonly puts: TurnBatcher<Entry>;

  constructor(
    private readonly bus: EventBus,
    private readonly eventBusName: string,
  ) {
    this.puts = new TurnBatcher(async (entries) => {
      const result = await this.bus.putEvents({ Entries: entries }, { trusted: true });
      return result.Entries.map((answer, i) =>
        answer.ErrorCode ? new ReflowError('InternalException', `could not put ${entries[i]!.DetailType}: ${answer.ErrorCode}: ${answer.ErrorMessage}`) : undefined,
      );
    }, MAX_ENTRIES_PER_REQUEST);
  }

  /** Resolves once the bus has accepted the event (it is durable); rejects with the bus's error for this entry. */
  emit(source: string, detailType: string, detail: object, id: string, resources: string[] = []): Promise<void> {
    return this.puts.add({
      Source: source,
      DetailType: detailType,
      Detail: JSON.stringify(detail),
      EventBusName: this.eventBusName,
      Resources: resources,
      EventId: id,
    });
  }

  quality(detail: QualityCheckDetail, replay?: string): Promise<void> {
    const type = detail.passed ? DETAIL_TYPES.qualityPassed : DETAIL_TYPES.qualityFailed;
    const o = detail.object;
    // A replay re-announces a cached verdict: a fresh id, so the rebuild's transform stage hears it.
    const id = eventId(type, detail.dataset, o.bucket, o.key, o.versionId, detail.specHash, replay ?? '');
    return this.emit(SOURCES.quality, type, detail, id, [s3Arn(o)]);
  }

  transformCompleted(detail: TransformCompletedDetail, replay?: string): Promise<void> {
    const o = detail.object;
    const id = eventId(DETAIL_TYPES.transformCompleted, detail.dataset, o.bucket, o.key, o.versionId, detail.transformVersion, replay ?? '');
    return this.emit(SOURCES.transform, DETAIL_TYPES.transformCompleted, detail, id, [s3Arn(o)]);
  }

  transformFailed(detail: TransformFailedDetail): Promise<void> {
    const o = detail.object;
    const id = eventId(DETAIL_TYPES.transformFailed, detail.dataset, o.bucket, o.key, o.versionId, detail.transformVersion, detail.jobId);
    return this.emit(SOURCES.transform, DETAIL_TYPES.transformFailed, detail, id, [s3Arn(o)]);
  }

  versionPublished(detail: VersionPublishedDetail): Promise<void> {
    const id = eventId(DETAIL_TYPES.versionPublished, detail.dataset, String(detail.version));
    return this.emit(SOURCES.datasets, DETAIL_TYPES.versionPublished, detail, id, [`arn:reflow:dataset:${detail.dataset}/${detail.version}`]);
  }
}

const s3Arn = (o: ObjectVersionRef) => `arn:aws:s3:::${o.bucket}/${o.key}`;
