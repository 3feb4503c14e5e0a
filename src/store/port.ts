import type * as T from './types.js';

/**
 * The store port. Every adapter (local files + SQLite embedded, any S3-compatible service scale-out) implements it
 * and runs the one conformance suite (`runObjectStoreConformance`). Operations and their semantics are S3's; errors
 * are `ReflowError`s with S3's codes (`NoSuchKey`, `NoSuchBucket`, `BadDigest`, …) and S3's HTTP statuses, and a
 * message naming the field.
 *
 * Every version created or deleted through the port emits exactly one event on the bus, in the shape S3 sends to
 * EventBridge (`source: aws.s3`, `Object Created` / `Object Deleted`); `flushEvents()` waits until they are there.
 */
export interface ObjectStore {
  // ---- buckets ----
  /** BucketAlreadyOwnedByYou when it exists, InvalidBucketName when the name breaks S3's rules. */
  createBucket(name: string): Promise<void>;
  /** NoSuchBucket when absent. */
  headBucket(name: string): Promise<T.BucketInfo>;
  listBuckets(): Promise<T.BucketInfo[]>;
  /** BucketNotEmpty while any version, delete marker or multipart upload remains. */
  deleteBucket(name: string): Promise<void>;
  /** `Enabled` or `Suspended`; once enabled a bucket can never go back to unset (as in S3). */
  putBucketVersioning(name: string, status: T.VersioningStatus): Promise<void>;
  getBucketVersioning(name: string): Promise<T.VersioningStatus | undefined>;

  // ---- objects ----
  /** Streams `body` to storage; nothing becomes visible (and no event is sent) unless the whole body arrived and checked out. */
  putObject(bucket: string, key: string, body: T.ObjectBody, options?: T.PutObjectOptions): Promise<T.PutObjectResult>;
  /** NoSuchKey (latest is absent or a delete marker: `err.details.deleteMarker`), NoSuchVersion, InvalidRange. */
  getObject(bucket: string, key: string, options?: T.GetObjectOptions): Promise<T.GetObjectResult>;
  headObject(bucket: string, key: string, options?: T.HeadObjectOptions): Promise<T.ObjectInfo>;
  /** S3 semantics: deleting an absent key or version succeeds and changes nothing. */
  deleteObject(bucket: string, key: string, options?: T.DeleteObjectOptions): Promise<T.DeleteObjectResult>;
  copyObject(
    source: { bucket: string; key: string },
    target: { bucket: string; key: string },
    options?: T.CopyObjectOptions,
  ): Promise<T.CopyObjectResult>;
  /** ListObjectsV2: lexicographic by UTF-8 bytes, latest non-deleted versions only. */
  listObjects(bucket: string, options?: T.ListObjectsOptions): Promise<T.ListObjectsResult>;
  listObjectVersions(bucket: string, options?: T.ListObjectVersionsOptions): Promise<T.ListObjectVersionsResult>;

  // ---- multipart ----
  createMultipartUpload(bucket: string, key: string, options?: T.CreateMultipartUploadOptions): Promise<{ uploadId: string }>;
  /** Part numbers 1..10000; uploading a number again replaces that part. NoSuchUpload when the upload is gone. */
  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: T.ObjectBody,
    options?: T.UploadPartOptions,
  ): Promise<T.UploadPartResult>;
  /**
   * Parts must be listed in ascending order (InvalidPartOrder), each with the ETag it was uploaded with
   * (InvalidPart), all but the last at least 5 MiB (EntityTooSmall). The ETag is `md5(concat(part md5s))-N`.
   */
  completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: T.CompletedPart[],
    options?: T.RequestContext,
  ): Promise<T.CompleteMultipartUploadResult>;
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void>;
  listParts(bucket: string, key: string, uploadId: string, options?: T.ListPartsOptions): Promise<T.ListPartsResult>;
  listMultipartUploads(bucket: string, options?: T.ListMultipartUploadsOptions): Promise<T.ListMultipartUploadsResult>;

  // ---- Reflow's additions ----
  /** Resolves once every event for changes made so far has been accepted by the bus (tests, shutdown). */
  flushEvents(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}
