/**
 * The store's domain types. Names follow S3's API (camel-cased) so the S3 endpoint and the S3 adapter map them
 * member for member; nothing here carries a driver or wire type.
 */
import type { Readable } from 'node:stream';

/** S3's bucket versioning states; a bucket that never had versioning configured reports `undefined` ("unset"). */
export type VersioningStatus = 'Enabled' | 'Suspended';

/** The version id S3 gives objects written while versioning is unset or suspended. */
export const NULL_VERSION_ID = 'null';

/** A request body: any async iterable of bytes (a Node Readable is one). Streamed, never buffered whole. */
export type ObjectBody = AsyncIterable<Uint8Array> | Readable;

export interface BucketInfo {
  name: string;
  creationDate: Date;
  /** `undefined` while versioning was never configured. */
  versioning: VersioningStatus | undefined;
}

/** Standard headers S3 stores with an object and returns on GET/HEAD. */
export interface ObjectHeaders {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  /** RFC 1123 date string as the client sent it (S3 keeps it verbatim). */
  expires?: string;
}

/** Who asked, for events (`detail.requester`, `detail.request-id`). */
export interface RequestContext {
  /** Account id or principal of the caller; defaults to the store's account. */
  requester?: string;
  /** The request id the endpoint answers with; generated when absent. */
  requestId?: string;
  /** Source IP, for the event's `detail.source-ip-address`. */
  sourceIp?: string;
}

/** Conditions on the current object (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since). */
export interface Conditions {
  /** A quoted or bare ETag, or `*`. Fails with PreconditionFailed when it does not match. */
  ifMatch?: string;
  /** A quoted or bare ETag, or `*`. On GET/HEAD a match fails with NotModified; on PUT (`*` only) with PreconditionFailed. */
  ifNoneMatch?: string;
  ifModifiedSince?: Date;
  ifUnmodifiedSince?: Date;
}

export interface PutObjectOptions extends ObjectHeaders, RequestContext {
  /** Declared length (Content-Length / x-amz-decoded-content-length). A shorter body fails with IncompleteBody. */
  contentLength?: number;
  /** Content-MD5: base64 of the body's MD5. A mismatch fails with BadDigest; a malformed value with InvalidDigest. */
  contentMd5?: string;
  /** x-amz-content-sha256 as hex. A mismatch fails with XAmzContentSHA256Mismatch. */
  sha256?: string;
  /** User metadata (x-amz-meta-*), names lower-cased by the caller. */
  metadata?: Record<string, string>;
  /**
   * Additional checksums the endpoint verified on the wire (e.g. `{ CRC32: 'base64…' }`); stored verbatim and
   * returned by head/get, not recomputed by the store.
   */
  checksums?: Record<string, string>;
  /** `ifNoneMatch: '*'` refuses to overwrite an existing object (PreconditionFailed); `ifMatch` needs the ETag. */
  conditions?: Pick<Conditions, 'ifMatch' | 'ifNoneMatch'>;
}

export interface PutObjectResult {
  etag: string;
  /** `'null'` in buckets whose versioning is unset or suspended. */
  versionId: string;
  size: number;
  sha256: string;
  lastModified: Date;
}

/** Everything HEAD returns for one version. */
export interface ObjectInfo extends ObjectHeaders {
  bucket: string;
  key: string;
  versionId: string;
  /** Quoted, as S3 sends it: `"<md5 hex>"` or `"<md5 of part md5s>-<N>"`. */
  etag: string;
  size: number;
  /** Hex SHA-256 of the whole content, kept for every version. */
  sha256: string;
  lastModified: Date;
  metadata: Record<string, string>;
  checksums: Record<string, string>;
  /** Number of parts for a multipart object (S3's x-amz-mp-parts-count), absent otherwise. */
  partsCount?: number;
  isLatest: boolean;
}

/** `{ start, end? }` is `bytes=start-end` (end inclusive, clamped to the size); `{ suffix }` is `bytes=-suffix`. */
export type ByteRange = { start: number; end?: number } | { suffix: number };

export interface GetObjectOptions {
  versionId?: string;
  range?: ByteRange;
  conditions?: Conditions;
}

export interface GetObjectResult {
  info: ObjectInfo;
  /** The requested bytes. Destroy it (or read it to the end) to release the file handles. */
  body: Readable;
  /** Present when a range was asked for: the inclusive byte span sent and the object's total size. */
  range?: { start: number; end: number; size: number };
}

export interface HeadObjectOptions {
  versionId?: string;
  conditions?: Conditions;
}

export interface DeleteObjectOptions extends RequestContext {
  /** Deletes this version (or delete marker) permanently. Without it a versioned bucket gets a delete marker. */
  versionId?: string;
}

export interface DeleteObjectResult {
  /** The version removed, or the delete marker's version id. */
  versionId?: string;
  /** True when a delete marker was created, or when the version removed was a delete marker. */
  deleteMarker: boolean;
}

export interface CopyObjectOptions extends RequestContext, ObjectHeaders {
  sourceVersionId?: string;
  /** COPY (default) keeps the source's metadata and headers; REPLACE takes them from these options. */
  metadataDirective?: 'COPY' | 'REPLACE';
  metadata?: Record<string, string>;
  /** x-amz-copy-source-if-* on the source. */
  sourceConditions?: Conditions;
}

export interface CopyObjectResult {
  etag: string;
  versionId: string;
  sourceVersionId: string;
  lastModified: Date;
  size: number;
}

export interface ListObjectsOptions {
  prefix?: string;
  delimiter?: string;
  /** Opaque token from a previous page's `nextContinuationToken`. */
  continuationToken?: string;
  /** Start listing after this key (V2's StartAfter; V1's Marker maps onto it). */
  startAfter?: string;
  /** 0..1000, default 1000. */
  maxKeys?: number;
}

export interface ObjectSummary {
  key: string;
  versionId: string;
  etag: string;
  size: number;
  sha256: string;
  lastModified: Date;
}

export interface ListObjectsResult {
  contents: ObjectSummary[];
  commonPrefixes: string[];
  /** Keys plus common prefixes on this page (S3's KeyCount). */
  keyCount: number;
  isTruncated: boolean;
  nextContinuationToken?: string;
  /** The last key or common prefix on this page (what ListObjects V1 answers as NextMarker). */
  nextMarker?: string;
}

export interface ListObjectVersionsOptions {
  prefix?: string;
  delimiter?: string;
  keyMarker?: string;
  versionIdMarker?: string;
  /** 0..1000, default 1000. */
  maxKeys?: number;
}

export interface ObjectVersionSummary extends ObjectSummary {
  isLatest: boolean;
  /** Delete markers have size 0 and empty etag/sha256. */
  deleteMarker: boolean;
}

export interface ListObjectVersionsResult {
  /** Versions and delete markers in S3's order: key ascending, then newest first. */
  versions: ObjectVersionSummary[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

export interface CreateMultipartUploadOptions extends ObjectHeaders, RequestContext {
  metadata?: Record<string, string>;
  checksums?: Record<string, string>;
}

export interface UploadPartOptions {
  contentLength?: number;
  contentMd5?: string;
  sha256?: string;
}

export interface UploadPartResult {
  etag: string;
  size: number;
  sha256: string;
}

export interface CompletedPart {
  partNumber: number;
  /** Quoted or bare. */
  etag: string;
}

export interface CompleteMultipartUploadResult {
  etag: string;
  versionId: string;
  size: number;
  sha256: string;
  lastModified: Date;
}

export interface PartInfo {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: Date;
}

export interface ListPartsOptions {
  partNumberMarker?: number;
  /** 0..1000, default 1000. */
  maxParts?: number;
}

export interface ListPartsResult {
  parts: PartInfo[];
  isTruncated: boolean;
  nextPartNumberMarker?: number;
}

export interface MultipartUploadInfo {
  key: string;
  uploadId: string;
  initiated: Date;
}

export interface ListMultipartUploadsOptions {
  prefix?: string;
  delimiter?: string;
  keyMarker?: string;
  uploadIdMarker?: string;
  /** 0..1000, default 1000. */
  maxUploads?: number;
}

export interface ListMultipartUploadsResult {
  uploads: MultipartUploadInfo[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextUploadIdMarker?: string;
}
