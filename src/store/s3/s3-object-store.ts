/**
 * The store port over an external S3-compatible service (AWS S3, MinIO, Ceph RGW, moto) through
 * `@aws-sdk/client-s3`. The remote keeps the bytes, versions and metadata; this adapter adds what the port promises
 * beyond S3: a SHA-256 for every version, one event per change on the bus, the port's error codes whatever server
 * answers, and the same semantics on servers that differ in small ways (each quirk handled is named where it is).
 *
 * Events: a change made through the adapter is made on the remote first and its event put on the bus right after,
 * with an EventId derived from the change (identity.ts). There is no transaction spanning the two, so a crash in
 * between loses the event; the scanner (scanner.ts) is the safety net: it lists versions, finds the change and puts
 * the same EventId, which the bus appends once. Changes made behind Reflow's back are found the same way.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
  type HeadObjectCommandOutput,
  type S3ClientConfig,
  type Tag,
} from '@aws-sdk/client-s3';
import { ReflowError } from '../../errors.js';
import { checkCopySourceConditions, checkReadConditions, checkWriteConditions, resolveRange } from '../conditions.js';
import type { ObjectEventReason } from '../events.js';
import { commonPrefixOf, decodeToken, encodeToken } from '../listing.js';
import type { ObjectStore } from '../port.js';
import type * as T from '../types.js';
import { validateBucketName, validateKey, validateMaxKeys, validatePartNumber } from '../validate.js';
import { checkDeclared, checkReceived, sha256Of, sliceStream, spool, sweepSpool, type Spooled } from './body.js';
import { eventIdFor, sequencer, versionKey, type Change, type ChangeKind } from './identity.js';
import { compileS3Options, type CompiledS3Options, type S3ObjectStoreOptions } from './options.js';
import { EventRelay } from './relay.js';
import { S3ChangeScanner, type ScanReport } from './scanner.js';
import {
  SHA256_TAG,
  headerMembers,
  headersFrom,
  isNotFound,
  joinMetadata,
  mapError,
  parseContentRange,
  partsCountOf,
  quoteEtag,
  rangeHeader,
  splitMetadata,
  statusOf,
  versionIdOf,
  versionsOf,
  byteOrder,
  type ErrorContext,
  type Versioned,
} from './wire.js';

/** S3's largest single PutObject; larger bodies go multipart. */
const SINGLE_PUT_MAX = 5 * 1024 ** 3;
const MAX_PARTS = 10_000;
/** Remembered SHA-256s of versions that keep theirs in a tag or had it computed (versions never change). */
const SHA_CACHE_MAX = 10_000;
/** Pages of one key's versions searched for a delete marker before giving up (a 404 explained). */
const FIND_VERSION_PAGES = 20;


export class S3ObjectStore implements ObjectStore {
  readonly client: S3Client;
  /** The change scanner, when `scan` was configured. */
  readonly scanner: S3ChangeScanner | undefined;
  private readonly o: CompiledS3Options;
  private readonly relay: EventRelay;
  private readonly shaCache = new Map<string, string>();
  private readonly shaInFlight = new Map<string, Promise<string>>();
  private lastSequence = 0;
  private tiebreak = 0;
  private closed = false;
  /** Test hook: the largest body sent as one PutObject (S3's 5 GiB unless lowered to exercise the multipart path). */
  singlePutMaxBytes = SINGLE_PUT_MAX;

  static open(options: S3ObjectStoreOptions): S3ObjectStore {
    return new S3ObjectStore(options);
  }

  constructor(options: S3ObjectStoreOptions) {
    this.o = compileS3Options(options);
    const config: S3ClientConfig = {
      region: this.o.region,
      forcePathStyle: this.o.forcePathStyle,
      maxAttempts: this.o.maxAttempts,
      // RGW 16 refuses the SDK's default aws-chunked bodies with CRC32 trailers (411); lengths and Content-MD5 are
      // always sent instead, which every server checks.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (this.o.endpoint !== undefined) config.endpoint = this.o.endpoint;
    if (this.o.credentials !== undefined) config.credentials = this.o.credentials;
    this.client = new S3Client(config);
    this.relay = new EventRelay(this.o.bus, this.o.eventBusName, this.o.onError);
    if (this.o.scan) {
      this.scanner = new S3ChangeScanner({
        client: this.client,
        relay: this.relay,
        statePath: this.o.scan.statePath,
        intervalMs: this.o.scan.intervalMs,
        bucketPrefix: this.o.bucketPrefix,
        buckets: this.o.scan.buckets?.map((b) => this.remote(b)),
        storeId: this.o.storeId,
        account: this.o.account,
        onError: this.o.onError,
      });
      // What the adapter emitted itself, the scanner need not look for again.
      this.relay.setListener((changes) => this.scanner!.record(changes));
      this.scanner.start();
    }
    void sweepSpool(this.o.spoolDir);
  }

  /** Runs a scan now (after any running one); see S3ChangeScanner.scanNow. */
  async scanNow(): Promise<ScanReport> {
    if (!this.scanner) throw new ReflowError('InvalidConfiguration', 'The S3 store was opened without a scanner (options.scan).', { field: 'scan' });
    return this.scanner.scanNow();
  }

  // ------------------------------------------------------------------------------------------------ plumbing

  /** The remote bucket behind a port bucket: validated as S3 would, then prefixed. */
  private remote(bucket: string, field = 'Bucket'): string {
    validateBucketName(bucket, field);
    const remote = this.o.bucketPrefix + bucket;
    if (remote !== bucket) {
      try {
        validateBucketName(remote, field);
      } catch {
        throw new ReflowError('InvalidBucketName', `The bucket name ${JSON.stringify(bucket)} is too long once prefixed with '${this.o.bucketPrefix}'.`, { field });
      }
    }
    return remote;
  }

  private portName(remote: string): string | undefined {
    if (!remote.startsWith(this.o.bucketPrefix)) return undefined;
    const name = remote.slice(this.o.bucketPrefix.length);
    try {
      validateBucketName(name);
      return name;
    } catch {
      return undefined;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new ReflowError('InternalError', 'The S3 store is closed.');
  }

  private async send<O>(command: { input: unknown }, context: ErrorContext): Promise<O> {
    this.assertOpen();
    try {
      return (await this.client.send(command as never)) as O;
    } catch (err) {
      throw mapError(err, context);
    }
  }

  /**
   * Runs a request naming a version; moto answers `?versionId=null` with 400 in a bucket that never had versioning,
   * where the null version is the only one, so the request is repeated without it.
   */
  private async withVersion<O>(versionId: string | undefined, call: (versionId: string | undefined) => Promise<O>): Promise<O> {
    try {
      return await call(versionId);
    } catch (err) {
      if (versionId === 'null' && statusOf(err) === 400) return call(undefined);
      throw err;
    }
  }

  /** A 404 (or moto's 405 for a delete marker) explained: NoSuchBucket, a delete marker, NoSuchVersion or NoSuchKey. */
  private async explain(err: unknown, bucket: string, remote: string, key: string, versionId: string | undefined): Promise<ReflowError> {
    const status = statusOf(err);
    const named = (err as { name?: string })?.name;
    if (status !== 404 && status !== 405 && !(versionId === 'null' && status === 400)) return mapError(err, { bucket, key });
    if (named === 'NoSuchBucket') return mapError(err, { bucket });
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: remote }));
    } catch (headErr) {
      if (isNotFound(headErr)) return mapError(headErr, { bucket, notFound: 'NoSuchBucket' });
    }
    if (versionId !== undefined) {
      const found = await this.findVersion(remote, key, versionId).catch(() => undefined);
      if (found?.deleteMarker) {
        return new ReflowError('MethodNotAllowed', 'The specified method is not allowed against this resource.', {
          field: 'VersionId',
          cause: err,
          details: { bucket, key, deleteMarker: true, versionId },
        });
      }
      return new ReflowError('NoSuchVersion', 'The specified version does not exist.', { field: 'VersionId', cause: err, details: { bucket, key, versionId } });
    }
    // Neither moto nor RGW sends x-amz-delete-marker on a 404; the listing says whether the latest is a marker.
    const latest = await this.latestEntry(remote, key).catch(() => undefined);
    const details: Record<string, unknown> = { bucket, key };
    if (latest?.deleteMarker) {
      details.deleteMarker = true;
      details.versionId = latest.versionId;
    }
    return new ReflowError('NoSuchKey', 'The specified key does not exist.', { field: 'Key', cause: err, details });
  }

  /** The newest version or delete marker of exactly `key`, from the version listing. */
  private async latestEntry(remote: string, key: string): Promise<Versioned | undefined> {
    const page = await this.client.send(new ListObjectVersionsCommand({ Bucket: remote, Prefix: key, MaxKeys: 1 }));
    return versionsOf(page).find((v) => v.key === key);
  }

  /** One version (or delete marker) of a key, found by paging through that key's versions. */
  private async findVersion(remote: string, key: string, versionId: string): Promise<Versioned | undefined> {
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (let page = 0; page < FIND_VERSION_PAGES; page++) {
      const input: ConstructorParameters<typeof ListObjectVersionsCommand>[0] = { Bucket: remote, Prefix: key };
      if (keyMarker !== undefined) input.KeyMarker = keyMarker;
      if (versionIdMarker !== undefined) input.VersionIdMarker = versionIdMarker;
      const out = await this.client.send(new ListObjectVersionsCommand(input));
      const entries = versionsOf(out);
      const hit = entries.find((v) => v.key === key && v.versionId === versionId);
      if (hit) return hit;
      if (!out.IsTruncated || entries.some((v) => v.key !== key) || !out.NextKeyMarker) return undefined;
      keyMarker = out.NextKeyMarker;
      versionIdMarker = out.NextVersionIdMarker;
    }
    return undefined;
  }

  private async headRaw(bucket: string, remote: string, key: string, versionId: string | undefined): Promise<HeadObjectCommandOutput> {
    this.assertOpen();
    try {
      return await this.withVersion(versionId, (v) => this.client.send(new HeadObjectCommand({ Bucket: remote, Key: key, ...(v !== undefined ? { VersionId: v } : {}) })));
    } catch (err) {
      throw await this.explain(err, bucket, remote, key, versionId);
    }
  }

  /** Is `versionId` the latest of its key? (GET/HEAD of a named version do not say.) */
  private async isLatest(remote: string, key: string, versionId: string): Promise<boolean> {
    try {
      const latest = await this.client.send(new HeadObjectCommand({ Bucket: remote, Key: key }));
      return versionIdOf(latest.VersionId) === versionId;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw mapError(err, { key });
    }
  }

  private async info(bucket: string, remote: string, key: string, out: HeadObjectCommandOutput, requested: string | undefined, size?: number): Promise<T.ObjectInfo> {
    const versionId = versionIdOf(out.VersionId);
    const etag = quoteEtag(out.ETag);
    const lastModified = out.LastModified ?? new Date(0);
    const { metadata, sha256, checksums, noContentType } = splitMetadata(out.Metadata);
    const [sha, latest] = await Promise.all([
      this.resolveSha(remote, key, versionId, etag, lastModified, sha256),
      requested === undefined ? Promise.resolve(true) : this.isLatest(remote, key, versionId),
    ]);
    const info: T.ObjectInfo = {
      bucket,
      key,
      versionId,
      etag,
      size: size ?? out.ContentLength ?? 0,
      sha256: sha,
      lastModified,
      metadata,
      checksums,
      isLatest: latest,
      ...headersFrom(out),
    };
    if (noContentType) delete info.contentType;
    const parts = partsCountOf(etag);
    if (parts !== undefined) info.partsCount = parts;
    return info;
  }

  /**
   * A version's SHA-256: from its metadata (every put through Reflow), else from its tag (multipart uploads), else
   * computed once by reading it back (objects written behind Reflow's back, or a crash before the tag was set) and
   * kept as its tag, so the cost is paid once per version.
   */
  private async resolveSha(remote: string, key: string, versionId: string, etag: string, lastModified: Date, fromMetadata: string | undefined): Promise<string> {
    if (fromMetadata !== undefined) return fromMetadata;
    const cacheKey = `${remote}\n${key}\n${versionKey(versionId, lastModified, etag)}`;
    const cached = this.shaCache.get(cacheKey);
    if (cached !== undefined) return cached;
    let inFlight = this.shaInFlight.get(cacheKey);
    if (!inFlight) {
      inFlight = this.lookUpSha(remote, key, versionId).finally(() => this.shaInFlight.delete(cacheKey));
      this.shaInFlight.set(cacheKey, inFlight);
    }
    const sha = await inFlight;
    this.shaCache.set(cacheKey, sha);
    if (this.shaCache.size > SHA_CACHE_MAX) this.shaCache.delete(this.shaCache.keys().next().value!);
    return sha;
  }

  private async lookUpSha(remote: string, key: string, versionId: string, knownTags?: Tag[]): Promise<string> {
    const vid = (v: string | undefined) => (v !== undefined ? { VersionId: v } : {});
    let tags = knownTags;
    if (tags === undefined) {
      try {
        const got = await this.withVersion(versionId, (v) => this.client.send(new GetObjectTaggingCommand({ Bucket: remote, Key: key, ...vid(v) })));
        tags = got.TagSet ?? [];
      } catch (err) {
        // A server without tagging still gets a digest (computed); it is then remembered in process only.
        if (isNotFound(err)) throw mapError(err, { key, versionId, notFound: 'NoSuchVersion' });
        tags = undefined;
      }
      const tagged = tags?.find((t) => t.Key === SHA256_TAG)?.Value;
      if (tagged && /^[0-9a-f]{64}$/.test(tagged)) return tagged;
    }
    let sha: string;
    try {
      const got = await this.withVersion(versionId, (v) => this.client.send(new GetObjectCommand({ Bucket: remote, Key: key, ...vid(v) })));
      sha = await sha256Of(got.Body as Readable);
    } catch (err) {
      throw mapError(err, { key, versionId, notFound: 'NoSuchVersion' });
    }
    if (tags !== undefined && tags.length < 10) {
      const TagSet = [...tags.filter((t) => t.Key !== SHA256_TAG), { Key: SHA256_TAG, Value: sha }];
      await this.withVersion(versionId, (v) => this.client.send(new PutObjectTaggingCommand({ Bucket: remote, Key: key, ...vid(v), Tagging: { TagSet } }))).catch((err) =>
        this.o.onError(mapError(err, { key, versionId })),
      );
    }
    return sha;
  }

  /** Sequencers grow for every event this process emits (local clock, never backwards, then a counter). */
  private nextSequencer(): string {
    const now = Date.now();
    if (now > this.lastSequence) {
      this.lastSequence = now;
      this.tiebreak = 0;
    } else this.tiebreak++;
    return sequencer(new Date(this.lastSequence), this.tiebreak);
  }

  private change(
    kind: ChangeKind,
    bucket: string,
    remote: string,
    key: string,
    v: { versionId: string; lastModified?: Date | undefined; etag?: string | undefined; size?: number | undefined },
    reason: ObjectEventReason,
    context: T.RequestContext,
    requestId: string | undefined,
  ): Change {
    const vkey = versionKey(v.versionId, v.lastModified, v.etag);
    const record: Change['record'] = {
      type: kind === 'created' ? 'Object Created' : 'Object Deleted',
      bucket,
      key,
      versionId: v.versionId,
      sequencer: this.nextSequencer(),
      reason,
      requestId: context.requestId ?? requestId ?? randomUUID(),
      requester: context.requester ?? this.o.account,
      time: new Date().toISOString(),
    };
    if (kind === 'created') {
      if (v.etag !== undefined) record.etag = v.etag.replace(/"/g, '');
      if (v.size !== undefined) record.size = v.size;
    }
    if (kind === 'marker') record.deletionType = 'Delete Marker Created';
    if (kind === 'purged') record.deletionType = 'Permanently Deleted';
    if (context.sourceIp !== undefined) record.sourceIp = context.sourceIp;
    return { id: eventIdFor(this.o.storeId, remote, key, vkey, kind), record, remoteBucket: remote, vkey, kind };
  }

  // ------------------------------------------------------------------------------------------------ buckets

  async createBucket(name: string): Promise<void> {
    const remote = this.remote(name);
    this.assertOpen();
    // us-east-1 S3, moto and RGW answer 200 to a second create by the owner; the port says BucketAlreadyOwnedByYou.
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: remote }));
      throw new ReflowError('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', { field: 'Bucket', details: { bucket: name } });
    } catch (err) {
      if (err instanceof ReflowError) throw err;
      if (statusOf(err) === 403) throw new ReflowError('BucketAlreadyExists', 'The requested bucket name is not available.', { field: 'Bucket', cause: err });
      if (!isNotFound(err)) throw mapError(err, { bucket: name });
    }
    await this.send(new CreateBucketCommand({ Bucket: remote }), { bucket: name });
  }

  async headBucket(name: string): Promise<T.BucketInfo> {
    const remote = this.remote(name);
    await this.send(new HeadBucketCommand({ Bucket: remote }), { bucket: name, notFound: 'NoSuchBucket' });
    const [versioning, listed] = await Promise.all([this.getBucketVersioning(name), this.remoteBuckets()]);
    const creationDate = listed.find((b) => b.Name === remote)?.CreationDate ?? new Date(0);
    return { name, creationDate, versioning };
  }

  private async remoteBuckets(): Promise<Array<{ Name?: string | undefined; CreationDate?: Date | undefined }>> {
    const out: Array<{ Name?: string | undefined; CreationDate?: Date | undefined }> = [];
    let token: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const got = await this.send<{ Buckets?: typeof out; ContinuationToken?: string }>(
        new ListBucketsCommand(token ? { ContinuationToken: token } : {}),
        {},
      );
      out.push(...(got.Buckets ?? []));
      if (!got.ContinuationToken || got.ContinuationToken === token) break;
      token = got.ContinuationToken;
    }
    return out;
  }

  async listBuckets(): Promise<T.BucketInfo[]> {
    const mine = (await this.remoteBuckets())
      .map((b) => ({ remote: b.Name ?? '', name: this.portName(b.Name ?? ''), creationDate: b.CreationDate ?? new Date(0) }))
      .filter((b): b is { remote: string; name: string; creationDate: Date } => b.name !== undefined);
    const infos = await mapLimit(mine, this.o.concurrency, async (b) => {
      try {
        return { name: b.name, creationDate: b.creationDate, versioning: await this.getBucketVersioning(b.name) };
      } catch (err) {
        if (err instanceof ReflowError && err.code === 'NoSuchBucket') return undefined; // deleted meanwhile
        throw err;
      }
    });
    return infos.filter((b): b is T.BucketInfo => b !== undefined).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async deleteBucket(name: string): Promise<void> {
    const remote = this.remote(name);
    // moto and RGW delete a bucket that still has multipart uploads (S3's docs say uploads keep it non-empty).
    const uploads = await this.send<{ Uploads?: unknown[] }>(new ListMultipartUploadsCommand({ Bucket: remote, MaxUploads: 1 }), { bucket: name, notFound: 'NoSuchBucket' });
    if ((uploads.Uploads ?? []).length > 0) {
      throw new ReflowError('BucketNotEmpty', 'The bucket you tried to delete is not empty: a multipart upload remains.', { field: 'Bucket', details: { bucket: name } });
    }
    await this.send(new DeleteBucketCommand({ Bucket: remote }), { bucket: name, notFound: 'NoSuchBucket' });
  }

  async putBucketVersioning(name: string, status: T.VersioningStatus): Promise<void> {
    const remote = this.remote(name);
    if (status !== 'Enabled' && status !== 'Suspended') {
      throw new ReflowError('MalformedXML', `Versioning status must be Enabled or Suspended, got ${JSON.stringify(status)}.`, { field: 'VersioningConfiguration.Status' });
    }
    await this.send(new PutBucketVersioningCommand({ Bucket: remote, VersioningConfiguration: { Status: status } }), { bucket: name, notFound: 'NoSuchBucket' });
  }

  async getBucketVersioning(name: string): Promise<T.VersioningStatus | undefined> {
    const remote = this.remote(name);
    const out = await this.send<{ Status?: string }>(new GetBucketVersioningCommand({ Bucket: remote }), { bucket: name, notFound: 'NoSuchBucket' });
    return out.Status === 'Enabled' || out.Status === 'Suspended' ? out.Status : undefined;
  }

  // ------------------------------------------------------------------------------------------------ objects

  async putObject(bucket: string, key: string, body: T.ObjectBody, options: T.PutObjectOptions = {}): Promise<T.PutObjectResult> {
    const remote = this.remote(bucket);
    validateKey(key);
    checkDeclared(options);
    joinMetadata(options.metadata, undefined, options.checksums); // refuses reserved names before a byte is read
    this.assertOpen();
    const spooled = await spool(body, { memoryBytes: this.o.memoryBufferBytes, dir: this.o.spoolDir, limit: options.contentLength });
    let written: { etag: string; versionId: string; requestId: string | undefined };
    try {
      checkReceived(options, spooled);
      if (options.conditions) await this.checkPutConditions(bucket, remote, key, options.conditions);
      const metadata = joinMetadata(options.metadata, spooled.sha256, options.checksums, options.contentType);
      written = spooled.size <= this.singlePutMaxBytes
        ? await this.putSingle(bucket, remote, key, spooled, metadata, options)
        : await this.putMultipart(bucket, remote, key, spooled, metadata, options);
    } finally {
      await spooled.dispose();
    }
    const head = await this.headAfterWrite(remote, key, written.versionId);
    const etag = written.etag || quoteEtag(head?.ETag);
    const lastModified = head?.LastModified ?? new Date();
    const v = { versionId: written.versionId, lastModified, etag, size: spooled.size };
    await this.relay.emit([this.change('created', bucket, remote, key, v, 'PutObject', options, written.requestId)]);
    return { etag, versionId: written.versionId, size: spooled.size, sha256: spooled.sha256, lastModified };
  }

  /**
   * Conditional writes are checked here against the current object (the port's rules, for servers that ignore the
   * headers) and also sent with the request, where servers that honour them (AWS, moto, RGW) make them atomic.
   */
  private async checkPutConditions(bucket: string, remote: string, key: string, conditions: NonNullable<T.PutObjectOptions['conditions']>): Promise<void> {
    let current: { etag: string } | undefined;
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: remote, Key: key }));
      current = { etag: quoteEtag(head.ETag) };
    } catch (err) {
      if (!isNotFound(err)) throw mapError(err, { bucket, key });
    }
    checkWriteConditions(conditions, current);
  }

  private async putSingle(bucket: string, remote: string, key: string, spooled: Spooled, metadata: Record<string, string>, options: T.PutObjectOptions) {
    const input: ConstructorParameters<typeof PutObjectCommand>[0] = {
      Bucket: remote,
      Key: key,
      Body: spooled.open(),
      ContentLength: spooled.size,
      ContentMD5: spooled.md5.toString('base64'),
      Metadata: metadata,
      ...headerMembers(options),
    };
    if (options.conditions?.ifNoneMatch !== undefined) input.IfNoneMatch = options.conditions.ifNoneMatch;
    if (options.conditions?.ifMatch !== undefined) input.IfMatch = options.conditions.ifMatch;
    type Out = { ETag?: string; VersionId?: string; $metadata: { requestId?: string } };
    const context = { bucket, key, notFound: 'NoSuchBucket' as const };
    let out: Out;
    try {
      out = await this.send<Out>(withExpires(new PutObjectCommand(input), options.expires), context);
    } catch (err) {
      // RGW 16 answers If-None-Match: * with 412 in a versioned bucket even for an absent key. The conditions held
      // a moment ago (checkPutConditions); check them again and write without the headers.
      if (!(err instanceof ReflowError && err.code === 'PreconditionFailed' && options.conditions)) throw err;
      await this.checkPutConditions(bucket, remote, key, options.conditions);
      delete input.IfNoneMatch;
      delete input.IfMatch;
      input.Body = spooled.open();
      out = await this.send<Out>(withExpires(new PutObjectCommand(input), options.expires), context);
    }
    return { etag: quoteEtag(out.ETag), versionId: versionIdOf(out.VersionId), requestId: out.$metadata.requestId };
  }

  /** Bodies over S3's single-PUT limit: a multipart upload from the spool, aborted on any failure. */
  private async putMultipart(bucket: string, remote: string, key: string, spooled: Spooled, metadata: Record<string, string>, options: T.PutObjectOptions) {
    const partSize = Math.max(this.o.partSize, Math.ceil(spooled.size / MAX_PARTS));
    const create: ConstructorParameters<typeof CreateMultipartUploadCommand>[0] = { Bucket: remote, Key: key, Metadata: metadata, ...headerMembers(options) };
    const { UploadId } = await this.send<{ UploadId?: string }>(withExpires(new CreateMultipartUploadCommand(create), options.expires), { bucket, key, notFound: 'NoSuchBucket' });
    if (!UploadId) throw new ReflowError('InternalError', 'The remote store answered CreateMultipartUpload without an upload id.');
    try {
      const count = Math.max(1, Math.ceil(spooled.size / partSize));
      const numbers = Array.from({ length: count }, (_, i) => i + 1);
      const parts = await mapLimit(numbers, this.o.concurrency, async (n) => {
        const start = (n - 1) * partSize;
        const end = Math.min(spooled.size, start + partSize) - 1;
        const out = await this.send<{ ETag?: string }>(
          new UploadPartCommand({ Bucket: remote, Key: key, UploadId, PartNumber: n, Body: spooled.open(start, end), ContentLength: end - start + 1 }),
          { bucket, key, notFound: 'NoSuchUpload' },
        );
        return { PartNumber: n, ETag: quoteEtag(out.ETag) };
      });
      const input: ConstructorParameters<typeof CompleteMultipartUploadCommand>[0] = { Bucket: remote, Key: key, UploadId, MultipartUpload: { Parts: parts } };
      if (options.conditions?.ifNoneMatch !== undefined) input.IfNoneMatch = options.conditions.ifNoneMatch;
      if (options.conditions?.ifMatch !== undefined) input.IfMatch = options.conditions.ifMatch;
      const done = await this.send<{ ETag?: string; VersionId?: string; $metadata: { requestId?: string } }>(new CompleteMultipartUploadCommand(input), { bucket, key, notFound: 'NoSuchUpload' });
      return { etag: quoteEtag(done.ETag), versionId: versionIdOf(done.VersionId), requestId: done.$metadata.requestId };
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: remote, Key: key, UploadId })).catch(() => undefined);
      throw err;
    }
  }

  /** HEAD of what was just written: its Last-Modified, and the ETag RGW leaves empty after CompleteMultipartUpload. */
  private async headAfterWrite(remote: string, key: string, versionId: string): Promise<HeadObjectCommandOutput | undefined> {
    try {
      // moto: HEAD ?versionId=null in an unversioned bucket is a 400; the latest is the null version just written.
      const input = versionId === 'null' ? { Bucket: remote, Key: key } : { Bucket: remote, Key: key, VersionId: versionId };
      return await this.client.send(new HeadObjectCommand(input));
    } catch (err) {
      // The write succeeded; a concurrent delete may have removed it since. Report what the write answered.
      if (isNotFound(err)) return undefined;
      throw mapError(err, { key, versionId });
    }
  }

  async getObject(bucket: string, key: string, options: T.GetObjectOptions = {}): Promise<T.GetObjectResult> {
    const remote = this.remote(bucket);
    validateKey(key);
    const range = options.range ? rangeHeader(options.range) : undefined;
    this.assertOpen();
    let out;
    try {
      out = await this.withVersion(options.versionId, (v) =>
        this.client.send(new GetObjectCommand({ Bucket: remote, Key: key, ...(v !== undefined ? { VersionId: v } : {}), ...(range ? { Range: range } : {}) })),
      );
    } catch (err) {
      if (statusOf(err) === 416) throw mapError(err, { bucket, key });
      throw await this.explain(err, bucket, remote, key, options.versionId);
    }
    let body = out.Body as Readable;
    try {
      let span = parseContentRange(out.ContentRange);
      const size = span?.size ?? out.ContentLength ?? 0;
      if (options.range && !span) {
        // The server sent the whole object (200) for a range: check and cut it here.
        const resolved = resolveRange(options.range, size);
        if (resolved.start !== 0 || resolved.end !== size - 1) body = sliceStream(body, resolved.start, resolved.end);
        span = { ...resolved, size };
      }
      const info = await this.info(bucket, remote, key, out as HeadObjectCommandOutput, options.versionId, size);
      checkReadConditions(options.conditions, info.etag, info.lastModified, { bucket, key });
      const result: T.GetObjectResult = { info, body };
      if (options.range && span) result.range = span;
      return result;
    } catch (err) {
      body.destroy();
      throw err instanceof ReflowError ? err : mapError(err, { bucket, key });
    }
  }

  async headObject(bucket: string, key: string, options: T.HeadObjectOptions = {}): Promise<T.ObjectInfo> {
    const remote = this.remote(bucket);
    validateKey(key);
    const out = await this.headRaw(bucket, remote, key, options.versionId);
    const info = await this.info(bucket, remote, key, out, options.versionId);
    checkReadConditions(options.conditions, info.etag, info.lastModified, { bucket, key });
    return info;
  }

  async deleteObject(bucket: string, key: string, options: T.DeleteObjectOptions = {}): Promise<T.DeleteObjectResult> {
    const remote = this.remote(bucket);
    validateKey(key);
    this.assertOpen();
    const { versionId } = options;
    if (versionId !== undefined) {
      // What is about to go: servers answer 204 whether or not it existed, and moto omits x-amz-delete-marker.
      const existing = await this.findVersion(remote, key, versionId).catch((err: unknown) => {
        throw mapError(err, { bucket, notFound: 'NoSuchBucket' });
      });
      const out = await this.send<{ $metadata: { requestId?: string } }>(new DeleteObjectCommand({ Bucket: remote, Key: key, VersionId: versionId }), { bucket, key, notFound: 'NoSuchBucket' });
      if (!existing) return { versionId, deleteMarker: false };
      await this.relay.emit([this.change('purged', bucket, remote, key, existing, 'DeleteObject', options, out.$metadata.requestId)]);
      return { versionId, deleteMarker: existing.deleteMarker };
    }
    // Without a version: an unversioned bucket removes the null version for good (remember what it was, for the
    // event); a versioned or suspended one adds a delete marker.
    let before: HeadObjectCommandOutput | undefined;
    try {
      before = await this.client.send(new HeadObjectCommand({ Bucket: remote, Key: key }));
    } catch (err) {
      if (!isNotFound(err)) throw mapError(err, { bucket, key });
    }
    const out = await this.send<{ DeleteMarker?: boolean; VersionId?: string; $metadata: { requestId?: string } }>(new DeleteObjectCommand({ Bucket: remote, Key: key }), {
      bucket,
      key,
      notFound: 'NoSuchBucket',
    });
    const requestId = out.$metadata.requestId;
    let markerCreated = out.DeleteMarker === true;
    // RGW leaves out x-amz-delete-marker when the latest already was a marker; the bucket's versioning says.
    if (!markerCreated && (before === undefined || out.VersionId !== undefined)) markerCreated = (await this.getBucketVersioning(bucket)) !== undefined;
    if (markerCreated) {
      // The marker's id, and for a suspended bucket's null marker its time (which names it): the listing has them.
      const marker = out.VersionId === undefined || versionIdOf(out.VersionId) === 'null' ? await this.latestEntry(remote, key).catch(() => undefined) : undefined;
      const markerId = out.VersionId !== undefined ? versionIdOf(out.VersionId) : marker?.deleteMarker ? marker.versionId : 'null';
      const v = { versionId: markerId, lastModified: marker?.deleteMarker && marker.versionId === markerId ? marker.lastModified : undefined };
      await this.relay.emit([this.change('marker', bucket, remote, key, v, 'DeleteObject', options, requestId)]);
      return { versionId: markerId, deleteMarker: true };
    }
    if (before && versionIdOf(before.VersionId) === 'null') {
      const v = { versionId: 'null', lastModified: before.LastModified, etag: quoteEtag(before.ETag) };
      await this.relay.emit([this.change('purged', bucket, remote, key, v, 'DeleteObject', options, requestId)]);
    }
    return { deleteMarker: false };
  }

  async copyObject(source: { bucket: string; key: string }, target: { bucket: string; key: string }, options: T.CopyObjectOptions = {}): Promise<T.CopyObjectResult> {
    const srcRemote = this.remote(source.bucket, 'CopySource');
    validateKey(source.key, 'CopySource');
    const dstRemote = this.remote(target.bucket);
    validateKey(target.key);
    const replace = options.metadataDirective === 'REPLACE';
    if (options.metadataDirective !== undefined && options.metadataDirective !== 'COPY' && !replace) {
      throw new ReflowError('InvalidArgument', 'Unknown metadata directive.', { field: 'MetadataDirective' });
    }
    if (replace) joinMetadata(options.metadata, undefined, undefined);
    if (srcRemote === dstRemote && source.key === target.key && !replace && options.sourceVersionId === undefined) {
      throw new ReflowError(
        'InvalidRequest',
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        { field: 'CopySource' },
      );
    }
    // The source as it is now: its conditions, its digest, its headers for the copy's metadata.
    const src = await this.headRaw(source.bucket, srcRemote, source.key, options.sourceVersionId);
    const srcInfo = await this.info(source.bucket, srcRemote, source.key, src, options.sourceVersionId);
    checkCopySourceConditions(options.sourceConditions, srcInfo.etag, srcInfo.lastModified);
    // Always REPLACE on the wire, so the copy carries Reflow's digest in its metadata whatever the source kept it in.
    const headers: T.ObjectHeaders = replace ? options : srcInfo;
    const metadata = joinMetadata(replace ? options.metadata : srcInfo.metadata, srcInfo.sha256, srcInfo.checksums, headers.contentType);
    // Pin the source version the caller named, or the one just looked at (moto's HEAD omits the null version's id).
    const pin = options.sourceVersionId ?? (srcInfo.versionId !== 'null' ? srcInfo.versionId : undefined);
    const copySourceOf = (v: string | undefined) => `${srcRemote}/${encodeURIComponent(source.key).replace(/%2F/g, '/')}${v !== undefined ? `?versionId=${encodeURIComponent(v)}` : ''}`;
    const inputOf = (v: string | undefined): ConstructorParameters<typeof CopyObjectCommand>[0] => ({
      Bucket: dstRemote,
      Key: target.key,
      CopySource: copySourceOf(v),
      // The server checks that the source is still the version looked at above.
      CopySourceIfMatch: srcInfo.etag,
      MetadataDirective: 'REPLACE',
      Metadata: metadata,
      ...headerMembers(headers),
    });
    this.assertOpen();
    let out: { VersionId?: string; CopyObjectResult?: { ETag?: string; LastModified?: Date }; $metadata: { requestId?: string } };
    try {
      out = await this.withVersion(pin, (v) => this.client.send(withExpires(new CopyObjectCommand(inputOf(v)), headers.expires)));
    } catch (err) {
      throw mapError(err, { bucket: target.bucket, key: target.key, notFound: 'NoSuchBucket' });
    }
    let versionId = out.VersionId === undefined ? undefined : versionIdOf(out.VersionId);
    let etag = quoteEtag(out.CopyObjectResult?.ETag);
    let lastModified = out.CopyObjectResult?.LastModified;
    if (versionId === undefined) {
      // RGW answers CopyObject without x-amz-version-id even in a versioned bucket: the new latest says.
      const head = await this.headAfterWrite(dstRemote, target.key, 'null');
      versionId = versionIdOf(head?.VersionId);
      etag ||= quoteEtag(head?.ETag);
      lastModified ??= head?.LastModified;
    }
    lastModified ??= new Date();
    const v = { versionId, lastModified, etag, size: srcInfo.size };
    await this.relay.emit([this.change('created', target.bucket, dstRemote, target.key, v, 'CopyObject', options, out.$metadata.requestId)]);
    return { etag, versionId, sourceVersionId: srcInfo.versionId, lastModified, size: srcInfo.size };
  }

  // ------------------------------------------------------------------------------------------------ listings

  async listObjects(bucket: string, options: T.ListObjectsOptions = {}): Promise<T.ListObjectsResult> {
    const remote = this.remote(bucket);
    const maxKeys = validateMaxKeys(options.maxKeys, 'MaxKeys');
    // Tokens are the remote's, wrapped: a token that is not one is refused here (moto answers garbage with a 500).
    let token: string | undefined;
    if (options.continuationToken !== undefined) {
      token = decodeToken(options.continuationToken);
      if (token === undefined) throw new ReflowError('InvalidArgument', 'The continuation token provided is incorrect.', { field: 'ContinuationToken' });
    }
    const input: ConstructorParameters<typeof ListObjectsV2Command>[0] = { Bucket: remote, MaxKeys: maxKeys };
    if (options.prefix) input.Prefix = options.prefix;
    if (options.delimiter) input.Delimiter = options.delimiter;
    if (token !== undefined) input.ContinuationToken = token;
    if (options.startAfter) input.StartAfter = options.startAfter;
    if (maxKeys === 0) {
      // Servers differ on MaxKeys=0; S3 answers an empty, untruncated page after checking the bucket.
      await this.send(new HeadBucketCommand({ Bucket: remote }), { bucket, notFound: 'NoSuchBucket' });
      return { contents: [], commonPrefixes: [], keyCount: 0, isTruncated: false };
    }
    const out = await this.send<{
      Contents?: Array<{ Key?: string; ETag?: string; Size?: number; LastModified?: Date }>;
      CommonPrefixes?: Array<{ Prefix?: string }>;
      IsTruncated?: boolean;
      NextContinuationToken?: string;
    }>(new ListObjectsV2Command(input), { bucket, notFound: 'NoSuchBucket' });
    // ListObjectsV2 has no version id and no digest; one HEAD per key supplies both (the digest from metadata).
    const contents = (
      await mapLimit(out.Contents ?? [], this.o.concurrency * 4, async (o): Promise<T.ObjectSummary | undefined> => {
        const key = o.Key ?? '';
        let head: HeadObjectCommandOutput;
        try {
          head = await this.client.send(new HeadObjectCommand({ Bucket: remote, Key: key }));
        } catch (err) {
          if (isNotFound(err)) return undefined; // deleted since the listing
          throw mapError(err, { bucket, key });
        }
        const etag = quoteEtag(head.ETag);
        const lastModified = head.LastModified ?? o.LastModified ?? new Date(0);
        const versionId = versionIdOf(head.VersionId);
        const sha256 = await this.resolveSha(remote, key, versionId, etag, lastModified, splitMetadata(head.Metadata).sha256);
        return { key, versionId, etag, size: head.ContentLength ?? o.Size ?? 0, sha256, lastModified };
      })
    ).filter((x): x is T.ObjectSummary => x !== undefined);
    const commonPrefixes = (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? '');
    const result: T.ListObjectsResult = { contents, commonPrefixes, keyCount: contents.length + commonPrefixes.length, isTruncated: out.IsTruncated === true };
    if (result.isTruncated && out.NextContinuationToken) result.nextContinuationToken = encodeToken(out.NextContinuationToken);
    const last = [...(out.Contents ?? []).map((o) => o.Key ?? ''), ...commonPrefixes].sort(byteOrder).at(-1);
    if (result.isTruncated && last !== undefined) result.nextMarker = last;
    return result;
  }

  async listObjectVersions(bucket: string, options: T.ListObjectVersionsOptions = {}): Promise<T.ListObjectVersionsResult> {
    const remote = this.remote(bucket);
    const maxKeys = validateMaxKeys(options.maxKeys, 'MaxKeys');
    const input: ConstructorParameters<typeof ListObjectVersionsCommand>[0] = { Bucket: remote, MaxKeys: maxKeys };
    if (options.prefix) input.Prefix = options.prefix;
    if (options.delimiter) input.Delimiter = options.delimiter;
    if (options.keyMarker !== undefined) input.KeyMarker = options.keyMarker;
    if (options.versionIdMarker !== undefined) input.VersionIdMarker = options.versionIdMarker;
    const out = await this.send<Parameters<typeof versionsOf>[0] & { CommonPrefixes?: Array<{ Prefix?: string }>; NextKeyMarker?: string; NextVersionIdMarker?: string }>(
      new ListObjectVersionsCommand(input),
      { bucket, notFound: 'NoSuchBucket' },
    );
    let listed = versionsOf(out);
    // A key marker alone starts after every version of that key; moto starts at the key itself.
    const km = options.keyMarker;
    if (km !== undefined && options.versionIdMarker === undefined) listed = listed.filter((v) => byteOrder(v.key, km) > 0);
    const versions = await mapLimit(listed, this.o.concurrency * 4, async (v): Promise<T.ObjectVersionSummary> => {
      const summary = { key: v.key, versionId: v.versionId, etag: v.etag, size: v.size, lastModified: v.lastModified, isLatest: v.isLatest, deleteMarker: v.deleteMarker };
      if (v.deleteMarker) return { ...summary, etag: '', size: 0, sha256: '' };
      return { ...summary, sha256: await this.versionSha(bucket, remote, v) };
    });
    const result: T.ListObjectVersionsResult = {
      versions,
      commonPrefixes: (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''),
      isTruncated: out.IsTruncated === true,
    };
    if (result.isTruncated) {
      if (out.NextKeyMarker !== undefined) result.nextKeyMarker = out.NextKeyMarker;
      if (out.NextVersionIdMarker !== undefined) result.nextVersionIdMarker = out.NextVersionIdMarker;
    }
    return result;
  }

  /** A listed version's digest: remembered, or read from its metadata by a HEAD of that version. */
  private async versionSha(bucket: string, remote: string, v: Versioned & { key: string }): Promise<string> {
    const cached = this.shaCache.get(`${remote}\n${v.key}\n${versionKey(v.versionId, v.lastModified, v.etag)}`);
    if (cached !== undefined) return cached;
    let head: HeadObjectCommandOutput;
    try {
      head = await this.withVersion(v.versionId, (id) => this.client.send(new HeadObjectCommand({ Bucket: remote, Key: v.key, ...(id !== undefined ? { VersionId: id } : {}) })));
    } catch (err) {
      if (isNotFound(err)) return ''; // removed since the listing
      throw mapError(err, { bucket, key: v.key, versionId: v.versionId });
    }
    return this.resolveSha(remote, v.key, v.versionId, quoteEtag(head.ETag), head.LastModified ?? v.lastModified, splitMetadata(head.Metadata).sha256);
  }

  // ------------------------------------------------------------------------------------------------ multipart

  async createMultipartUpload(bucket: string, key: string, options: T.CreateMultipartUploadOptions = {}): Promise<{ uploadId: string }> {
    const remote = this.remote(bucket);
    validateKey(key);
    const metadata = joinMetadata(options.metadata, undefined, options.checksums, options.contentType);
    const input: ConstructorParameters<typeof CreateMultipartUploadCommand>[0] = { Bucket: remote, Key: key, Metadata: metadata, ...headerMembers(options) };
    const out = await this.send<{ UploadId?: string }>(withExpires(new CreateMultipartUploadCommand(input), options.expires), { bucket, key, notFound: 'NoSuchBucket' });
    if (!out.UploadId) throw new ReflowError('InternalError', 'The remote store answered CreateMultipartUpload without an upload id.');
    return { uploadId: out.UploadId };
  }

  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: T.ObjectBody, options: T.UploadPartOptions = {}): Promise<T.UploadPartResult> {
    const remote = this.remote(bucket);
    validateKey(key);
    validatePartNumber(partNumber);
    validateUploadId(uploadId);
    checkDeclared(options);
    this.assertOpen();
    const spooled = await spool(body, { memoryBytes: this.o.memoryBufferBytes, dir: this.o.spoolDir, limit: options.contentLength });
    try {
      checkReceived(options, spooled);
      const out = await this.send<{ ETag?: string }>(
        new UploadPartCommand({
          Bucket: remote,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: spooled.open(),
          ContentLength: spooled.size,
          ContentMD5: spooled.md5.toString('base64'),
        }),
        { bucket, key, notFound: 'NoSuchUpload' },
      );
      return { etag: quoteEtag(out.ETag) || `"${spooled.md5.toString('hex')}"`, size: spooled.size, sha256: spooled.sha256 };
    } finally {
      await spooled.dispose();
    }
  }

  async completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: T.CompletedPart[], options: T.RequestContext = {}): Promise<T.CompleteMultipartUploadResult> {
    const remote = this.remote(bucket);
    validateKey(key);
    validateUploadId(uploadId);
    if (!Array.isArray(parts) || parts.length === 0) {
      throw new ReflowError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: no parts.', { field: 'MultipartUpload.Parts' });
    }
    let last = 0;
    for (const [i, p] of parts.entries()) {
      validatePartNumber(p?.partNumber);
      // Checked here because servers differ on duplicates (S3: InvalidPartOrder).
      if (p.partNumber <= last) throw new ReflowError('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.', { field: `Parts[${i}].PartNumber` });
      last = p.partNumber;
      if (typeof p.etag !== 'string' || p.etag === '') throw new ReflowError('InvalidPart', 'One or more of the specified parts could not be found.', { field: `Parts[${i}].ETag` });
    }
    let out: { ETag?: string; VersionId?: string; $metadata: { requestId?: string } };
    try {
      out = await this.send<typeof out>(
        new CompleteMultipartUploadCommand({ Bucket: remote, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: quoteEtag(p.etag) })) } }),
        { bucket, key, notFound: 'NoSuchUpload' },
      );
    } catch (err) {
      // RGW 16 answers completing an aborted upload with a 500 ("completion is already in progress"): ask ListParts.
      if (err instanceof ReflowError && err.code === 'InternalError') {
        await this.send(new ListPartsCommand({ Bucket: remote, Key: key, UploadId: uploadId, MaxParts: 1 }), { bucket, key, notFound: 'NoSuchUpload' });
      }
      throw err;
    }
    const versionId = versionIdOf(out.VersionId);
    // RGW 16 answers an empty ETag here; HEAD has the real one (`"…-N"`).
    const head = await this.headAfterWrite(remote, key, versionId);
    const etag = quoteEtag(out.ETag) || quoteEtag(head?.ETag);
    const size = head?.ContentLength ?? 0;
    const lastModified = head?.LastModified ?? new Date();
    await this.relay.emit([this.change('created', bucket, remote, key, { versionId, lastModified, etag, size }, 'CompleteMultipartUpload', options, out.$metadata.requestId)]);
    // The digest of the whole is known only now: read the object back once and keep it as the version's tag.
    const cacheKey = `${remote}\n${key}\n${versionKey(versionId, lastModified, etag)}`;
    const sha256 = await this.lookUpSha(remote, key, versionId, []);
    this.shaCache.set(cacheKey, sha256);
    return { etag, versionId, size, sha256, lastModified };
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    const remote = this.remote(bucket);
    validateKey(key);
    validateUploadId(uploadId);
    await this.send(new AbortMultipartUploadCommand({ Bucket: remote, Key: key, UploadId: uploadId }), { bucket, key, notFound: 'NoSuchUpload' });
  }

  async listParts(bucket: string, key: string, uploadId: string, options: T.ListPartsOptions = {}): Promise<T.ListPartsResult> {
    const remote = this.remote(bucket);
    validateKey(key);
    validateUploadId(uploadId);
    const maxParts = validateMaxKeys(options.maxParts, 'MaxParts');
    const input: ConstructorParameters<typeof ListPartsCommand>[0] = { Bucket: remote, Key: key, UploadId: uploadId, MaxParts: maxParts };
    if (options.partNumberMarker !== undefined) input.PartNumberMarker = String(options.partNumberMarker);
    const out = await this.send<{ Parts?: Array<{ PartNumber?: number; ETag?: string; Size?: number; LastModified?: Date }>; IsTruncated?: boolean; NextPartNumberMarker?: string }>(
      new ListPartsCommand(input),
      { bucket, key, notFound: 'NoSuchUpload' },
    );
    const result: T.ListPartsResult = {
      parts: (out.Parts ?? []).map((p) => ({ partNumber: p.PartNumber ?? 0, etag: quoteEtag(p.ETag), size: p.Size ?? 0, lastModified: p.LastModified ?? new Date(0) })),
      isTruncated: out.IsTruncated === true,
    };
    if (result.isTruncated && out.NextPartNumberMarker !== undefined) result.nextPartNumberMarker = Number(out.NextPartNumberMarker);
    return result;
  }

  /**
   * Uploads are listed whole from the remote and paged here: moto ignores MaxUploads and Delimiter, RGW answers a
   * delimiter with nothing. In-progress uploads are few, so this costs little and is the same on every server.
   */
  async listMultipartUploads(bucket: string, options: T.ListMultipartUploadsOptions = {}): Promise<T.ListMultipartUploadsResult> {
    const remote = this.remote(bucket);
    const maxUploads = validateMaxKeys(options.maxUploads, 'MaxUploads');
    const prefix = options.prefix ?? '';
    const all: T.MultipartUploadInfo[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const input: ConstructorParameters<typeof ListMultipartUploadsCommand>[0] = { Bucket: remote };
      if (prefix) input.Prefix = prefix;
      if (keyMarker !== undefined) input.KeyMarker = keyMarker;
      if (uploadIdMarker !== undefined) input.UploadIdMarker = uploadIdMarker;
      const out = await this.send<{ Uploads?: Array<{ Key?: string; UploadId?: string; Initiated?: Date }>; IsTruncated?: boolean; NextKeyMarker?: string; NextUploadIdMarker?: string }>(
        new ListMultipartUploadsCommand(input),
        { bucket, notFound: 'NoSuchBucket' },
      );
      for (const u of out.Uploads ?? []) {
        if (u.Key === undefined || u.UploadId === undefined || !u.Key.startsWith(prefix)) continue;
        if (!all.some((x) => x.uploadId === u.UploadId)) all.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated ?? new Date(0) });
      }
      const advanced = out.NextKeyMarker !== keyMarker || out.NextUploadIdMarker !== uploadIdMarker;
      if (!out.IsTruncated || !out.NextKeyMarker || !advanced) break;
      keyMarker = out.NextKeyMarker;
      uploadIdMarker = out.NextUploadIdMarker;
    }
    // S3's order: key (UTF-8 bytes), then initiation time; the upload id breaks ties so markers are exact.
    all.sort((a, b) => byteOrder(a.key, b.key) || a.initiated.getTime() - b.initiated.getTime() || (a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0));
    let start = 0;
    if (options.keyMarker !== undefined) {
      const km = options.keyMarker;
      const at = options.uploadIdMarker !== undefined ? all.findIndex((u) => u.key === km && u.uploadId === options.uploadIdMarker) : -1;
      start = at >= 0 ? at + 1 : all.findIndex((u) => byteOrder(u.key, km) > 0);
      if (start < 0) start = all.length;
    }
    const uploads: T.MultipartUploadInfo[] = [];
    const commonPrefixes: string[] = [];
    let lastTaken: T.MultipartUploadInfo | undefined;
    let truncated = false;
    for (let i = start; i < all.length; i++) {
      const u = all[i]!;
      const folded = commonPrefixOf(u.key, prefix, options.delimiter);
      if (folded !== undefined && commonPrefixes.at(-1) === folded) continue;
      if (uploads.length + commonPrefixes.length >= maxUploads) {
        truncated = true;
        break;
      }
      if (folded !== undefined) commonPrefixes.push(folded);
      else uploads.push(u);
      lastTaken = u;
    }
    const result: T.ListMultipartUploadsResult = { uploads, commonPrefixes, isTruncated: truncated };
    if (truncated && lastTaken) {
      result.nextKeyMarker = lastTaken.key;
      result.nextUploadIdMarker = lastTaken.uploadId;
    }
    return result;
  }

  // ------------------------------------------------------------------------------------------------ lifecycle

  async flushEvents(timeoutMs?: number): Promise<void> {
    await this.relay.flush(timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.scanner?.close();
    const left = this.relay.close();
    if (left > 0) this.o.onError(new ReflowError('InternalError', `${left} object event(s) were not on the bus at close; the scanner will put them.`));
    this.client.destroy();
  }
}

// ------------------------------------------------------------------------------------------------ helpers

function validateUploadId(uploadId: unknown): asserts uploadId is string {
  if (typeof uploadId !== 'string' || uploadId === '') {
    throw new ReflowError('NoSuchUpload', 'The specified multipart upload does not exist.', { field: 'UploadId' });
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order; the first failure rejects. */
export async function mapLimit<I, O>(items: readonly I[], limit: number, fn: (item: I, index: number) => Promise<O>): Promise<O[]> {
  const results = new Array<O>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The SDK wants `Expires` as a Date and would re-serialise it; S3 keeps the header verbatim, and so does the port,
 * so the caller's text is put on the request as it is.
 */
function withExpires<C extends { middlewareStack: { add(mw: unknown, options: unknown): void } }>(command: C, expires: string | undefined): C {
  if (expires === undefined) return command;
  command.middlewareStack.add(
    (next: (args: { request: { headers: Record<string, string> } }) => Promise<unknown>) => async (args: { request: { headers: Record<string, string> } }) => {
      args.request.headers['expires'] = expires;
      return next(args);
    },
    { step: 'build', name: 'reflowVerbatimExpires' },
  );
  return command;
}
