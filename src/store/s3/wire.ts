/**
 * What the S3 adapter knows about the wire: how the port's values map onto `@aws-sdk/client-s3` members, where
 * Reflow keeps what S3 has no member for (SHA-256, verified checksums), and how the remote server's errors become
 * `ReflowError`s with S3's codes. Servers differ (AWS, moto, Ceph RGW), so every quirk handled here names the server.
 */
import { ERROR_CODES, ReflowError, type ErrorCode } from '../../errors.js';
import type { ObjectHeaders } from '../types.js';

/**
 * User-metadata names Reflow keeps for itself on the remote object (`x-amz-meta-reflow-*`), hidden from the port's
 * `metadata`. The SHA-256 is metadata (returned by HEAD, so reading it costs nothing) whenever it is known before the
 * request is sent; see SHA256_TAG for when it is not.
 */
export const SHA256_META = 'reflow-sha256';
export const CHECKSUM_META_PREFIX = 'reflow-checksum-';
/**
 * Set when the caller gave no content type: the SDK and every server fill one in (`application/octet-stream`,
 * `binary/octet-stream`), while the port reports none, leaving the default to the endpoint.
 */
export const NO_CONTENT_TYPE_META = 'reflow-no-content-type';
/**
 * Multipart objects learn their SHA-256 only after the last part, when metadata can no longer change without
 * rewriting the object as a new version; an object tag can be attached to an existing version, so it goes there.
 */
export const SHA256_TAG = 'reflow-sha256';

/** S3's own messages, for servers (RGW) that answer with a code and no message, which the SDK turns into "UnknownError". */
const MESSAGES: Partial<Record<ErrorCode, string>> = {
  NoSuchBucket: 'The specified bucket does not exist.',
  NoSuchKey: 'The specified key does not exist.',
  NoSuchVersion: 'The specified version does not exist.',
  NoSuchUpload: 'The specified multipart upload does not exist.',
  BucketNotEmpty: 'The bucket you tried to delete is not empty.',
  BucketAlreadyExists: 'The requested bucket name is not available.',
  BucketAlreadyOwnedByYou: 'Your previous request to create the named bucket succeeded and you already own it.',
  InvalidPart: 'One or more of the specified parts could not be found.',
  InvalidPartOrder: 'The list of parts was not in ascending order.',
  EntityTooSmall: 'Your proposed upload is smaller than the minimum allowed object size.',
  EntityTooLarge: 'Your proposed upload exceeds the maximum allowed object size.',
  BadDigest: 'The Content-MD5 you specified did not match what we received.',
  InvalidDigest: 'The Content-MD5 you specified was invalid.',
  PreconditionFailed: 'At least one of the pre-conditions you specified did not hold',
  NotModified: 'Not Modified',
  InvalidRange: 'The requested range is not satisfiable',
  MethodNotAllowed: 'The specified method is not allowed against this resource.',
  AccessDenied: 'Access Denied',
  InvalidAccessKeyId: 'The AWS access key Id you provided does not exist in our records.',
  SignatureDoesNotMatch: 'The request signature we calculated does not match the signature you provided.',
  MissingContentLength: 'You must provide the Content-Length HTTP header.',
  ServiceUnavailable: 'The remote object store could not be reached.',
  InternalError: 'The remote object store encountered an internal error.',
};

/** Status-only answers (HEAD has no body, so the SDK names the error after the status). */
const BY_STATUS: Record<number, ErrorCode> = {
  304: 'NotModified',
  400: 'InvalidRequest',
  403: 'AccessDenied',
  405: 'MethodNotAllowed',
  409: 'BucketNotEmpty',
  411: 'MissingContentLength',
  412: 'PreconditionFailed',
  416: 'InvalidRange',
  501: 'NotImplemented',
  503: 'ServiceUnavailable',
};

/** Codes that are Reflow's own in the registry but which the SDK also produces as status names for bodiless answers. */
const STATUS_NAMES = new Set(['NotFound', 'BadRequest', 'Forbidden', 'Conflict', 'Unknown', 'UnknownError']);

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

/** The HTTP status the remote answered with, or undefined when no answer came (connection refused, reset). */
export function statusOf(err: unknown): number | undefined {
  return (err as SdkError | undefined)?.$metadata?.httpStatusCode;
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

export interface ErrorContext {
  /** The port's (un-prefixed) bucket name, for details and messages. */
  bucket?: string;
  key?: string;
  versionId?: string;
  /** The field a 404 is about when the code alone does not say (`Key`, `VersionId`, `UploadId`). */
  field?: string;
  /** What a bare 404 means here (HEAD answers have no code). */
  notFound?: ErrorCode;
}

/** Wrap, don't swallow: the remote's answer becomes a ReflowError with S3's code, the SDK error kept as `cause`. */
export function mapError(err: unknown, context: ErrorContext = {}): ReflowError {
  if (err instanceof ReflowError) return err;
  const e = (err ?? {}) as SdkError;
  const status = statusOf(err);
  let code: ErrorCode;
  const name = e.name ?? '';
  if (name in ERROR_CODES && !STATUS_NAMES.has(name)) code = name as ErrorCode;
  else if (status === undefined) code = 'ServiceUnavailable';
  else if (status === 404) code = context.notFound ?? 'NoSuchKey';
  else if (status >= 500) code = status === 503 ? 'ServiceUnavailable' : 'InternalError';
  else code = BY_STATUS[status] ?? 'InvalidRequest';
  // RGW answers a GET of an absent version with NoSuchKey, and ListParts of a completed upload too; the port (and
  // AWS) says NoSuchVersion and NoSuchUpload.
  if (code === 'NoSuchKey' && context.versionId !== undefined && context.notFound === 'NoSuchVersion') code = 'NoSuchVersion';
  if (code === 'NoSuchKey' && context.notFound === 'NoSuchUpload') code = 'NoSuchUpload';
  const remote = e.message && e.message !== 'UnknownError' && !/^[A-Z]\w*$/.test(e.message) ? e.message : undefined;
  let message = remote ?? MESSAGES[code] ?? `The remote object store answered ${status ?? 'nothing'} (${name || 'no code'}).`;
  if (status === undefined) message = `${MESSAGES.ServiceUnavailable} ${e.message ?? ''} (${e.code ?? name})`.trim();
  const details: Record<string, unknown> = {};
  if (context.bucket !== undefined) details.bucket = context.bucket;
  if (context.key !== undefined) details.key = context.key;
  if (context.versionId !== undefined) details.versionId = context.versionId;
  if (status !== undefined) details.remoteStatus = status;
  const options: ConstructorParameters<typeof ReflowError>[2] = { cause: err, details };
  const field = fieldOf(code, context);
  if (field !== undefined) options.field = field;
  return new ReflowError(code, message, options);
}

function fieldOf(code: ErrorCode, context: ErrorContext): string | undefined {
  switch (code) {
    case 'NoSuchBucket':
    case 'BucketNotEmpty':
    case 'BucketAlreadyExists':
    case 'BucketAlreadyOwnedByYou':
      return 'Bucket';
    case 'NoSuchKey':
      return 'Key';
    case 'NoSuchVersion':
      return 'VersionId';
    case 'NoSuchUpload':
      return 'UploadId';
    case 'InvalidRange':
      return 'Range';
    case 'BadDigest':
    case 'InvalidDigest':
      return 'ContentMD5';
    default:
      return context.field;
  }
}

/** S3 sends ETags quoted; RGW's CopyObject answers bare ones. The port always carries the quoted form. */
export function quoteEtag(etag: string | undefined): string {
  if (!etag) return '';
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

/** A multipart object's ETag ends in `-<parts>`; that is the only portable way to know the part count (RGW omits it). */
export function partsCountOf(etag: string): number | undefined {
  const m = /-(\d+)"?$/.exec(etag);
  return m ? Number(m[1]) : undefined;
}

/** Absent (unversioned buckets) and the literal `null` both mean S3's null version. */
export function versionIdOf(id: string | undefined | null): string {
  return id === undefined || id === null || id === '' ? 'null' : id;
}

/** The standard headers as SDK members. `expires` goes out verbatim through a header hook (the SDK wants a Date). */
export function headerMembers(h: ObjectHeaders): {
  ContentType?: string;
  ContentEncoding?: string;
  ContentDisposition?: string;
  ContentLanguage?: string;
  CacheControl?: string;
} {
  const out: ReturnType<typeof headerMembers> = {};
  if (h.contentType !== undefined) out.ContentType = h.contentType;
  if (h.contentEncoding !== undefined) out.ContentEncoding = h.contentEncoding;
  if (h.contentDisposition !== undefined) out.ContentDisposition = h.contentDisposition;
  if (h.contentLanguage !== undefined) out.ContentLanguage = h.contentLanguage;
  if (h.cacheControl !== undefined) out.CacheControl = h.cacheControl;
  return out;
}

/** What HEAD/GET answered, back into the port's headers. */
export function headersFrom(r: {
  ContentType?: string | undefined;
  ContentEncoding?: string | undefined;
  ContentDisposition?: string | undefined;
  ContentLanguage?: string | undefined;
  CacheControl?: string | undefined;
  Expires?: Date | undefined;
  ExpiresString?: string | undefined;
}): ObjectHeaders {
  const out: ObjectHeaders = {};
  // Servers add `binary/octet-stream` or `application/octet-stream` when none was sent; that is what S3 answers too.
  if (r.ContentType !== undefined) out.contentType = r.ContentType;
  if (r.ContentEncoding !== undefined && r.ContentEncoding !== '') out.contentEncoding = r.ContentEncoding;
  if (r.ContentDisposition !== undefined && r.ContentDisposition !== '') out.contentDisposition = r.ContentDisposition;
  if (r.ContentLanguage !== undefined && r.ContentLanguage !== '') out.contentLanguage = r.ContentLanguage;
  if (r.CacheControl !== undefined && r.CacheControl !== '') out.cacheControl = r.CacheControl;
  const expires = r.ExpiresString ?? (r.Expires && !Number.isNaN(r.Expires.getTime()) ? r.Expires.toUTCString() : undefined);
  if (expires !== undefined && expires !== '') out.expires = expires;
  return out;
}

/** Splits remote user metadata into the caller's, Reflow's SHA-256 and the kept checksums. */
export function splitMetadata(remote: Record<string, string> | undefined): {
  metadata: Record<string, string>;
  sha256: string | undefined;
  checksums: Record<string, string>;
  /** The object was written without a content type (whatever the server reports). */
  noContentType: boolean;
} {
  const noContentType = Object.keys(remote ?? {}).some((k) => k.toLowerCase() === NO_CONTENT_TYPE_META);
  const metadata: Record<string, string> = {};
  const checksums: Record<string, string> = {};
  let sha256: string | undefined;
  for (const [name, value] of Object.entries(remote ?? {})) {
    const k = name.toLowerCase();
    if (k === SHA256_META) sha256 = /^[0-9a-f]{64}$/.test(value) ? value : undefined;
    else if (k === NO_CONTENT_TYPE_META) continue;
    else if (k.startsWith(CHECKSUM_META_PREFIX)) checksums[k.slice(CHECKSUM_META_PREFIX.length).toUpperCase()] = value;
    else metadata[k] = value;
  }
  return { metadata, sha256, checksums, noContentType };
}

/** The remote user metadata for a new object: the caller's, plus Reflow's SHA-256 and checksums. */
export function joinMetadata(
  metadata: Record<string, string> | undefined,
  sha256: string | undefined,
  checksums: Record<string, string> | undefined,
  contentType?: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) {
    const name = k.toLowerCase();
    // Reflow's own names cannot be set by callers: a forged digest would be believed on every later read.
    if (name === SHA256_META || name === NO_CONTENT_TYPE_META || name.startsWith(CHECKSUM_META_PREFIX)) {
      throw new ReflowError('InvalidArgument', `User metadata may not use Reflow's reserved name x-amz-meta-${name}.`, { field: `Metadata.${k}` });
    }
    out[name] = v;
  }
  if (sha256 !== undefined) out[SHA256_META] = sha256;
  for (const [alg, v] of Object.entries(checksums ?? {})) out[CHECKSUM_META_PREFIX + alg.toLowerCase()] = v;
  if (contentType === undefined) out[NO_CONTENT_TYPE_META] = '1';
  return out;
}

/** `bytes=…` for a port range; malformed ranges are refused here because servers differ (RGW serves `bytes=-0`). */
export function rangeHeader(range: { start: number; end?: number } | { suffix: number }): string {
  const invalid = () => new ReflowError('InvalidRange', 'The requested range is not satisfiable', { field: 'Range' });
  if ('suffix' in range) {
    if (!Number.isSafeInteger(range.suffix) || range.suffix <= 0) throw invalid();
    return `bytes=-${range.suffix}`;
  }
  if (!Number.isSafeInteger(range.start) || range.start < 0) throw invalid();
  if (range.end !== undefined && (!Number.isSafeInteger(range.end) || range.end < range.start)) throw invalid();
  return `bytes=${range.start}-${range.end ?? ''}`;
}

/** `bytes 1-2/6` → the span and the total size. */
export function parseContentRange(value: string | undefined): { start: number; end: number; size: number } | undefined {
  const m = value ? /^bytes (\d+)-(\d+)\/(\d+)$/.exec(value.trim()) : null;
  return m ? { start: Number(m[1]), end: Number(m[2]), size: Number(m[3]) } : undefined;
}

/** A version or delete marker as a listing reports it. */
export type Versioned = { versionId: string; deleteMarker: boolean; isLatest: boolean; etag: string; size: number; lastModified: Date };

/** UTF-8 byte order, S3's order for keys (JavaScript's < compares UTF-16 units, which differs above U+FFFF). */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Versions and delete markers of a ListObjectVersions page in S3's order. The SDK splits the two into separate
 * arrays; they are merged back by key (UTF-8 bytes), then latest first, then newest first.
 */
export function versionsOf(out: {
  Versions?: Array<{ Key?: string; VersionId?: string; IsLatest?: boolean; ETag?: string; Size?: number; LastModified?: Date }>;
  DeleteMarkers?: Array<{ Key?: string; VersionId?: string; IsLatest?: boolean; LastModified?: Date }>;
  IsTruncated?: boolean;
}): Array<Versioned & { key: string }> {
  const entries: Array<Versioned & { key: string; order: number }> = [];
  let order = 0;
  for (const v of out.Versions ?? []) {
    entries.push({ key: v.Key ?? '', versionId: versionIdOf(v.VersionId), deleteMarker: false, isLatest: v.IsLatest === true, etag: quoteEtag(v.ETag), size: v.Size ?? 0, lastModified: v.LastModified ?? new Date(0), order: order++ });
  }
  for (const m of out.DeleteMarkers ?? []) {
    entries.push({ key: m.Key ?? '', versionId: versionIdOf(m.VersionId), deleteMarker: true, isLatest: m.IsLatest === true, etag: '', size: 0, lastModified: m.LastModified ?? new Date(0), order: order++ });
  }
  entries.sort((a, b) => byteOrder(a.key, b.key) || Number(b.isLatest) - Number(a.isLatest) || b.lastModified.getTime() - a.lastModified.getTime() || a.order - b.order);
  return entries.map(({ order: _order, ...rest }) => rest);
}

