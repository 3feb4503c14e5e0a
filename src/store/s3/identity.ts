/**
 * The identity of a change, shared by the direct path (a write through the adapter) and the scanner (a change found
 * by listing): both derive the same `EventId` for the same change, so whichever puts the event second is a no-op on
 * the bus (`putEvents(..., { trusted: true })` appends an EventId once). That is what makes "the scanner finds an
 * event that was never emitted exactly once" hold without a transaction shared with the remote store.
 *
 * A version is named by its version id, except S3's `null` version, which is overwritten in place: there the
 * version is (null, LastModified to the second, ETag), the only things every server reports for it in listings
 * and on HEAD alike (HEAD's Last-Modified has second precision, RGW's listings milliseconds).
 */
import { createHash } from 'node:crypto';
import type { ObjectEventRecord } from '../events.js';

export type ChangeKind = 'created' | 'marker' | 'purged';

/** The scanner's and the event id's name for one version (or delete marker) of a key. */
export function versionKey(versionId: string, lastModified: Date | undefined, etag: string | undefined): string {
  if (versionId !== 'null') return versionId;
  const seconds = lastModified ? Math.floor(lastModified.getTime() / 1000) : 0;
  return `null:${seconds}:${(etag ?? '').replace(/"/g, '')}`;
}

export function isNullVersionKey(vkey: string): boolean {
  return vkey.startsWith('null:');
}

/**
 * A UUID-shaped id (version 8, "custom") from the change's identity. `storeId` separates remote services that
 * happen to share bucket names on one bus.
 */
export function eventIdFor(storeId: string, remoteBucket: string, key: string, vkey: string, kind: ChangeKind): string {
  const h = createHash('sha256').update([storeId, remoteBucket, key, vkey, kind].join('\n')).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * S3's sequencer orders events for one key. The remote store reports LastModified only, so it leads (milliseconds,
 * 12 hex digits) and a tiebreak follows (8 hex digits): order is exact across seconds and best effort within one.
 */
export function sequencer(lastModified: Date, tiebreak: number): string {
  const ms = Math.max(0, lastModified.getTime());
  return ms.toString(16).padStart(12, '0') + (tiebreak >>> 0).toString(16).padStart(8, '0');
}

/** One change ready to put on the bus: its deterministic id, the event record and what the scanner should remember. */
export interface Change {
  id: string;
  record: ObjectEventRecord;
  remoteBucket: string;
  vkey: string;
  kind: ChangeKind;
}
