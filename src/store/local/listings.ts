/**
 * How the local store pages its listings (ListObjectsV2, ListObjectVersions, ListMultipartUploads) over rows that
 * SQLite hands back in key order. A common prefix is listed once and then skipped in one jump (the next query
 * starts at the prefix's successor), so a delimiter listing costs one query per prefix, not one row per key below it.
 */
import { ReflowError } from '../../errors.js';
import { commonPrefixOf, decodeToken, encodeToken, prefixSuccessor } from '../listing.js';
import type * as T from '../types.js';
import { validateMaxKeys } from '../validate.js';

/** Rows per query. */
const BATCH = 1000;

export interface Bound {
  key: string;
  inclusive: boolean;
}

export interface ListedRow {
  vid: number;
  key: string;
  version_id: string;
  is_latest: number;
  delete_marker: number;
  size: number;
  etag: string;
  sha256: string;
  modified_ms: number;
}

export interface ListSource {
  /** The latest row of each key (delete markers included), in key order, from `bound`, below `upper`. */
  latest(bound: Bound, upper: string | undefined, limit: number): ListedRow[];
  /** Every version row, key order then newest first, from `bound`, below `upper`. */
  versions(bound: Bound, upper: string | undefined, limit: number): ListedRow[];
  /** One key's versions older than `vid`, newest first. */
  older(key: string, vid: number, limit: number): ListedRow[];
  /** The row id of a key's version, to resume after a version-id marker. */
  vidOf(key: string, versionId: string): number | undefined;
}

const quote = (etag: string) => (etag === '' ? '' : `"${etag}"`);
/** S3 orders keys by UTF-8 bytes; JS compares UTF-16 code units, which disagree above U+FFFF. */
export const byteCompare = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Where a listing starts: after `after`, skipping the whole common prefix `after` falls in (it was listed already). */
export function startBound(prefix: string, delimiter: string | undefined, after: string | undefined): Bound | undefined {
  if (after === undefined || byteCompare(after, prefix) < 0) return { key: prefix, inclusive: true };
  if (after.startsWith(prefix)) {
    const cp = commonPrefixOf(after, prefix, delimiter);
    if (cp !== undefined) {
      const next = prefixSuccessor(cp);
      return next === undefined ? undefined : { key: next, inclusive: true };
    }
  }
  return { key: after, inclusive: false };
}

/** The bound just past a common prefix, or undefined when nothing can follow it. */
function pastPrefix(cp: string): Bound | undefined {
  const next = prefixSuccessor(cp);
  return next === undefined ? undefined : { key: next, inclusive: true };
}

/** `batch` is the rows per query (tests lower it to cross batch boundaries on small data). */
export function pageObjects(source: ListSource, options: T.ListObjectsOptions, batch = BATCH): T.ListObjectsResult {
  const maxKeys = validateMaxKeys(options.maxKeys, 'MaxKeys');
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter || undefined;
  let after: string | undefined;
  if (options.continuationToken !== undefined) {
    after = decodeToken(options.continuationToken);
    if (after === undefined) throw new ReflowError('InvalidArgument', 'The continuation token provided is incorrect', { field: 'ContinuationToken' });
  } else if (options.startAfter) {
    after = options.startAfter;
  }
  const result: T.ListObjectsResult = { contents: [], commonPrefixes: [], keyCount: 0, isTruncated: false };
  if (maxKeys === 0) return result;
  const upper = prefix === '' ? undefined : prefixSuccessor(prefix);
  let bound = startBound(prefix, delimiter, after);
  let last: string | undefined;
  scan: while (bound) {
    const rows = source.latest(bound, upper, batch);
    let jumped = false;
    for (const row of rows) {
      bound = { key: row.key, inclusive: false };
      if (row.delete_marker) continue;
      if (result.keyCount >= maxKeys) {
        result.isTruncated = true;
        break scan;
      }
      result.keyCount++;
      const cp = commonPrefixOf(row.key, prefix, delimiter);
      if (cp !== undefined) {
        result.commonPrefixes.push(cp);
        last = cp;
        bound = pastPrefix(cp);
        jumped = true;
        break;
      }
      result.contents.push({ key: row.key, versionId: row.version_id, etag: quote(row.etag), size: row.size, sha256: row.sha256, lastModified: new Date(row.modified_ms) });
      last = row.key;
    }
    if (!jumped && rows.length < batch) break;
  }
  if (result.isTruncated && last !== undefined) {
    result.nextContinuationToken = encodeToken(last);
    result.nextMarker = last;
  }
  return result;
}

export function pageVersions(source: ListSource, options: T.ListObjectVersionsOptions, batch = BATCH): T.ListObjectVersionsResult {
  const maxKeys = validateMaxKeys(options.maxKeys, 'MaxKeys');
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter || undefined;
  const result: T.ListObjectVersionsResult = { versions: [], commonPrefixes: [], isTruncated: false };
  const { keyMarker, versionIdMarker } = options;
  if (versionIdMarker !== undefined && keyMarker === undefined) {
    throw new ReflowError('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', { field: 'VersionIdMarker' });
  }
  if (maxKeys === 0) return result;
  const upper = prefix === '' ? undefined : prefixSuccessor(prefix);
  let bound = startBound(prefix, delimiter, keyMarker);
  /** The rest of one key's versions, older than `vid`, before moving past the key. */
  let pending: { key: string; vid: number } | undefined;
  if (keyMarker !== undefined && versionIdMarker !== undefined && bound && !bound.inclusive && bound.key === keyMarker) {
    const vid = source.vidOf(keyMarker, versionIdMarker);
    if (vid === undefined) throw new ReflowError('InvalidArgument', 'The version-id marker does not name a version of the key marker.', { field: 'VersionIdMarker' });
    pending = { key: keyMarker, vid };
  }
  let last: { key: string; versionId?: string } | undefined;
  scan: while (bound || pending) {
    const rows = pending ? source.older(pending.key, pending.vid, batch) : source.versions(bound!, upper, batch);
    let jumped = false;
    for (const row of rows) {
      if (result.versions.length + result.commonPrefixes.length >= maxKeys) {
        result.isTruncated = true;
        break scan;
      }
      const cp = commonPrefixOf(row.key, prefix, delimiter);
      if (cp !== undefined) {
        result.commonPrefixes.push(cp);
        last = { key: cp };
        bound = pastPrefix(cp);
        pending = undefined;
        jumped = true;
        break;
      }
      result.versions.push({
        key: row.key,
        versionId: row.version_id,
        etag: quote(row.etag),
        size: row.size,
        sha256: row.sha256,
        lastModified: new Date(row.modified_ms),
        isLatest: row.is_latest === 1,
        deleteMarker: row.delete_marker === 1,
      });
      last = { key: row.key, versionId: row.version_id };
    }
    if (jumped) continue;
    if (rows.length === batch) {
      // A full batch may have cut a key's versions short: go on with that key's older ones, then past the key.
      const tail = rows[rows.length - 1]!;
      pending = { key: tail.key, vid: tail.vid };
      bound = { key: tail.key, inclusive: false };
    } else if (pending) {
      bound = { key: pending.key, inclusive: false };
      pending = undefined;
    } else {
      break;
    }
  }
  if (result.isTruncated && last) {
    result.nextKeyMarker = last.key;
    if (last.versionId !== undefined) result.nextVersionIdMarker = last.versionId;
  }
  return result;
}

export interface ListedUpload {
  upload_id: string;
  key: string;
  created_ms: number;
}

/** Uploads in progress are few (they are transient): one ordered pass over a bucket's is enough. */
export function pageUploads(uploads: ListedUpload[], options: T.ListMultipartUploadsOptions): T.ListMultipartUploadsResult {
  const maxUploads = validateMaxKeys(options.maxUploads, 'MaxUploads');
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter || undefined;
  const result: T.ListMultipartUploadsResult = { uploads: [], commonPrefixes: [], isTruncated: false };
  const rows = uploads.filter((u) => u.key.startsWith(prefix));
  // Upload ids begin with their creation time, so one key's uploads list in the order they were initiated.
  rows.sort((a, b) => byteCompare(a.key, b.key) || (a.upload_id < b.upload_id ? -1 : a.upload_id > b.upload_id ? 1 : 0));
  const { keyMarker, uploadIdMarker } = options;
  const markerPrefix = keyMarker !== undefined && keyMarker.startsWith(prefix) ? commonPrefixOf(keyMarker, prefix, delimiter) : undefined;
  let last: { key: string; uploadId?: string } | undefined;
  for (const u of rows) {
    if (keyMarker !== undefined) {
      const c = byteCompare(u.key, keyMarker);
      if (c < 0 || (c === 0 && (uploadIdMarker === undefined || u.upload_id <= uploadIdMarker))) continue;
    }
    const cp = commonPrefixOf(u.key, prefix, delimiter);
    if (cp !== undefined && (cp === markerPrefix || result.commonPrefixes.includes(cp))) continue;
    if (result.uploads.length + result.commonPrefixes.length >= maxUploads) {
      result.isTruncated = true;
      break;
    }
    if (cp !== undefined) {
      result.commonPrefixes.push(cp);
      last = { key: cp };
    } else {
      result.uploads.push({ key: u.key, uploadId: u.upload_id, initiated: new Date(u.created_ms) });
      last = { key: u.key, uploadId: u.upload_id };
    }
  }
  if (result.isTruncated && last) {
    result.nextKeyMarker = last.key;
    if (last.uploadId !== undefined) result.nextUploadIdMarker = last.uploadId;
  }
  return result;
}
