/**
 * Object events in the shape S3 sends to EventBridge (S3 user guide, "EventBridge event message structure"), so
 * rules written for S3 (`{"source":["aws.s3"],"detail-type":["Object Created"]}`) work on Reflow unchanged.
 */
import type { PutEventsRequestEntry } from '../bus/types.js';

export type ObjectEventReason = 'PutObject' | 'CompleteMultipartUpload' | 'CopyObject' | 'DeleteObject';

/** What an adapter records about one created or deleted version; the outbox keeps exactly this. */
export interface ObjectEventRecord {
  type: 'Object Created' | 'Object Deleted';
  bucket: string;
  key: string;
  versionId: string;
  /** Bare (unquoted) ETag, as S3 puts it in events; absent for delete markers. */
  etag?: string;
  size?: number;
  /** Hex; orders events for one key (S3's contract), zero-padded so it also sorts as text. */
  sequencer: string;
  reason: ObjectEventReason;
  deletionType?: 'Permanently Deleted' | 'Delete Marker Created';
  requestId: string;
  requester: string;
  sourceIp?: string;
  /** ISO-8601 time of the change. */
  time: string;
}

export interface ObjectEventDetail {
  version: '0';
  bucket: { name: string };
  object: { key: string; size?: number; etag?: string; 'version-id': string; sequencer: string };
  'request-id': string;
  requester: string;
  'source-ip-address'?: string;
  reason: ObjectEventReason;
  'deletion-type'?: string;
}

/** The PutEvents entry for one record; the bus adds `version`, `id`, `account`, `region`. */
export function objectEvent(record: ObjectEventRecord, eventBusName = 'default'): PutEventsRequestEntry {
  // Key order follows S3's examples (key, size, etag, version-id, sequencer) so logged events read the same.
  const object = {
    key: record.key,
    ...(record.size !== undefined ? { size: record.size } : {}),
    ...(record.etag !== undefined ? { etag: record.etag } : {}),
    'version-id': record.versionId,
    sequencer: record.sequencer,
  };
  const detail: ObjectEventDetail = {
    version: '0',
    bucket: { name: record.bucket },
    object,
    'request-id': record.requestId,
    requester: record.requester,
    reason: record.reason,
  };
  if (record.sourceIp !== undefined) detail['source-ip-address'] = record.sourceIp;
  if (record.deletionType !== undefined) detail['deletion-type'] = record.deletionType;
  return {
    Source: 'aws.s3',
    DetailType: record.type,
    Detail: JSON.stringify(detail),
    Resources: [`arn:aws:s3:::${record.bucket}`],
    Time: new Date(record.time),
    EventBusName: eventBusName,
  };
}
