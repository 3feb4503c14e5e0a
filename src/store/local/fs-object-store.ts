/**
 * The embedded store: content-addressed blobs on local disk, metadata in SQLite (WAL), object events through an
 * outbox. A write receives its body (hashing, checking what the client declared) — a large one into a temporary
 * file, fsynced and renamed to its content address; a small one in memory, to be stored inline (blobs.ts) — then
 * commits in ONE transaction the version row(s), the blob references (and inline bytes) and the outbox row of its
 * event. Nothing is visible before that commit, and the commit is all or nothing, so a crash at any point leaves
 * either the whole version with its event or neither (plus, at worst, an unreferenced blob file that the next open
 * sweeps). PUTs arriving together share one transaction and one fsync (sqlite/group-commit.ts); a write is answered only
 * once its commit is durable.
 *
 * Every SQLite statement runs synchronously on the one JS thread, so each transaction (or savepoint of a shared
 * one) sees a consistent state and conditions checked inside it (If-None-Match, an upload still existing) hold at
 * commit time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ReflowError, isReflowError } from '../../errors.js';
import { checkCopySourceConditions, checkReadConditions, checkWriteConditions, resolveRange } from '../conditions.js';
import type { ObjectStore } from '../port.js';
import type * as T from '../types.js';
import { NULL_VERSION_ID } from '../types.js';
import { bareEtag, validateBucketName, validateKey, validateMaxKeys, validatePartNumber } from '../validate.js';
import type { ObjectEventReason } from '../events.js';
import { BlobFiles, type Incoming } from './blobs.js';
import { GroupCommit, GroupSync } from '../../sqlite/group-commit.js';
import { pageObjects, pageUploads, pageVersions, type Bound, type ListSource, type ListedRow } from './listings.js';
import { OutboxRelay, type OutboxRecord } from './outbox.js';
import { compileFsObjectStoreOptions, type CompiledFsObjectStoreOptions, type FsObjectStoreOptions } from './options.js';
import { DDL, SCHEMA_VERSION, migrate } from './schema.js';
import { SegmentReader, type Segment } from './segment-reader.js';

interface BucketRow {
  name: string;
  created_ms: number;
  versioning: T.VersioningStatus | null;
}

interface VersionRow {
  vid: number;
  bucket: string;
  key: string;
  version_id: string;
  is_latest: number;
  delete_marker: number;
  size: number;
  etag: string;
  sha256: string;
  parts_count: number | null;
  modified_ms: number;
  headers: string;
  metadata: string;
  checksums: string;
}

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  created_ms: number;
  headers: string;
  metadata: string;
  checksums: string;
}

interface PartRow {
  upload_id: string;
  part_number: number;
  blob: string;
  size: number;
  md5: string;
  modified_ms: number;
}

interface SegmentRow {
  blob: string;
  size: number;
  /** A new blob's inline bytes (a write's own body), stored if no row has this blob yet. */
  data?: Buffer;
}

/** A segment as read: its blob's inline bytes, if any, are in blob_data row `data_id`. */
interface StoredSegment {
  blob: string;
  size: number;
  data_id: number | null;
}

/** One version to commit: a PUT, a copy, a completed upload or a delete marker. */
interface NewVersion {
  bucket: string;
  key: string;
  deleteMarker: boolean;
  /** Bare. */
  etag: string;
  size: number;
  sha256: string;
  partsCount?: number;
  headers: T.ObjectHeaders;
  metadata: Record<string, string>;
  checksums: Record<string, string>;
  segments: SegmentRow[];
  conditions?: Pick<T.Conditions, 'ifMatch' | 'ifNoneMatch'>;
  /** CompleteMultipartUpload: the upload it consumes, with the blobs its parts had when they were checked. */
  upload?: { uploadId: string; parts: Array<{ partNumber: number; blob: string }> };
  reason: ObjectEventReason;
  context: T.RequestContext;
}

interface Committed {
  versionId: string;
  modifiedMs: number;
  freed: string[];
}

const HEADER_NAMES = ['contentType', 'contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl', 'expires'] as const;
const CLOSE_FLUSH_MS = 2_000;
/**
 * SQLite checkpoints the WAL inside the commit that crosses this many pages, on the event loop (copy, then an fsync
 * of the WAL and one of the database). At SQLite's default 1,000 pages that came every ~250 small PUTs and cost
 * ~40 µs per PUT, mostly the two fsyncs; at 4,096 (a 16 MiB WAL) the fsyncs are amortised over 4x as many and the
 * copy stays (~20 ms, once per ~1,000 PUTs). A checkpointer thread would take that off the event loop too but costs
 * ~12 MB of RSS (a V8 isolate), which the 150 MB budget of a 2 GB transfer does not have.
 */
const AUTOCHECKPOINT_PAGES = 4_096;
const MAX_USER_METADATA_BYTES = 2048;

function headersOf(source: T.ObjectHeaders): T.ObjectHeaders {
  const out: T.ObjectHeaders = {};
  for (const name of HEADER_NAMES) if (typeof source[name] === 'string') out[name] = source[name];
  return out;
}

const quote = (etag: string) => (etag === '' ? '' : `"${etag}"`);

function noSuchBucket(bucket: string): ReflowError {
  return new ReflowError('NoSuchBucket', 'The specified bucket does not exist', { field: 'Bucket', details: { bucket } });
}
function noSuchUpload(uploadId: string): ReflowError {
  return new ReflowError('NoSuchUpload', 'The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', {
    field: 'UploadId',
    details: { uploadId },
  });
}

function checkMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  if (metadata === undefined) return {};
  if (typeof metadata !== 'object' || metadata === null) {
    throw new ReflowError('InvalidArgument', 'Metadata must be an object of strings.', { field: 'Metadata' });
  }
  let bytes = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new ReflowError('InvalidArgument', `Metadata ${name} must be a string.`, { field: `Metadata.${name}` });
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  // S3's limit on user-defined metadata (names plus values), answered as S3 does.
  if (bytes > MAX_USER_METADATA_BYTES) {
    throw new ReflowError('InvalidArgument', `Your metadata headers exceed the maximum allowed metadata size (${bytes} of ${MAX_USER_METADATA_BYTES} bytes).`, {
      field: 'Metadata',
    });
  }
  return { ...metadata };
}

/** Version ids: 32 hex characters of randomness (S3's are opaque too). */
const newVersionId = () => randomBytes(16).toString('hex');
/** Upload ids start with the time, so one key's uploads list in the order they were initiated (as in S3). */
const newUploadId = () => `${Date.now().toString(16).padStart(12, '0')}${randomBytes(20).toString('hex')}`;
const newRequestId = () => randomBytes(8).toString('hex').toUpperCase();

export class FsObjectStore implements ObjectStore {
  readonly dir: string;
  private readonly options: CompiledFsObjectStoreOptions;
  private readonly db: Database.Database;
  private readonly blobs: BlobFiles;
  private readonly relay: OutboxRelay;
  private readonly storeId: string;
  private readonly s: ReturnType<typeof prepare>;
  private readonly listStatements = new Map<string, Database.Statement>();
  private readonly buckets = new Map<string, BucketRow>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly group: GroupCommit;
  /** Present with fsync on: the WAL's shared fsyncs. */
  private readonly wal: GroupSync | undefined;
  /** The newest outbox row committed (the relay sends rows only once durable). */
  private lastOutboxSeq = 0;
  private closed = false;
  /** What the sweep at open removed (tests, diagnostics). */
  readonly swept: { tmp: number; blobs: number };

  /** Opens (creating if needed) the store in `options.dir`; sweeps leftovers of a crash; resumes the outbox relay. */
  static async open(options: FsObjectStoreOptions): Promise<FsObjectStore> {
    return new FsObjectStore(compileFsObjectStoreOptions(options));
  }

  private constructor(options: CompiledFsObjectStoreOptions) {
    this.options = options;
    this.dir = resolve(options.dir);
    const dbPath = join(this.dir, 'store.db');
    try {
      mkdirSync(this.dir, { recursive: true });
      // Nobody else may hold the lock: a second owner fails fast rather than waiting.
      this.db = new Database(dbPath, { timeout: 250 });
      // One process owns a store directory: a second would sweep the first one's blobs in flight. The lock is the
      // OS's, so a SIGKILLed owner leaves none behind.
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('journal_mode = WAL');
      // NORMAL: a commit is durable against a process crash. Against power loss, with fsync on, a blob file is
      // fsynced before a commit names it, and a write is answered only after the WAL holding its commit is fsynced
      // (sqlite/group-commit.ts), so a power loss loses nothing acknowledged and never leaves metadata naming missing bytes.
      this.db.pragma('synchronous = NORMAL');
      // Savepoints (one per write in a shared transaction) and statement journals in memory: in a temp file they
      // were two thirds of the store's pwrite calls (38,805 of 58,000 for 2,000 PUTs).
      this.db.pragma('temp_store = MEMORY');
      this.db.exec(DDL);
      const stored = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
      if (stored && Number(stored.value) > SCHEMA_VERSION) {
        throw new Error(`its schema version ${stored.value} is newer than this Reflow's ${SCHEMA_VERSION}`);
      }
      this.db.transaction(() => migrate(this.db))();
      this.db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('store_id', randomBytes(16).toString('hex'));
    } catch (err) {
      const busy = (err as { code?: string }).code === 'SQLITE_BUSY';
      throw new ReflowError(
        'InternalError',
        busy ? `the store directory ${this.dir} is in use by another process` : `cannot open the store database ${dbPath}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    this.storeId = (this.db.prepare("SELECT value FROM meta WHERE key = 'store_id'").get() as { value: string }).value;
    this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    this.s = prepare(this.db);
    this.blobs = new BlobFiles(this.dir, options.fsync, (sha) => this.s.fileBlobExists.get(sha) !== undefined, options.inlineMaxBytes);
    this.swept = this.blobs.sweep();
    this.lastOutboxSeq = (this.db.prepare('SELECT max(seq) AS seq FROM outbox').get() as { seq: number | null }).seq ?? 0;
    if (options.fsync) {
      this.wal = new GroupSync(
        `${dbPath}-wal`,
        (seq) => this.relay.allowUpTo(seq),
        () => this.lastOutboxSeq,
      );
      // What an earlier process committed may still be only in the page cache: durable before it is relayed.
      this.wal.syncNow();
    }
    this.group = new GroupCommit(this.db, this.wal ? () => this.wal!.sync() : undefined);
    const relayOptions: ConstructorParameters<typeof OutboxRelay>[0] = {
      db: this.db,
      bus: options.bus,
      eventBusName: options.eventBusName,
      storeId: this.storeId,
      batchSize: options.relayBatchSize,
      passSize: options.relayBatchSize * 10,
      // With fsync on, a row is sent only once the WAL holding it is on disk: a power loss must not leave an event
      // on the bus for a version the store lost.
      upTo: options.fsync ? this.lastOutboxSeq : Number.MAX_SAFE_INTEGER,
    };
    if (options.onRelayError) relayOptions.onError = options.onRelayError;
    this.relay = new OutboxRelay(relayOptions);
    this.relay.wake();
  }

  // ------------------------------------------------------------------------------------------------ plumbing

  /** Runs an operation: refuses after close, tracks it so close() can wait, wraps driver errors. */
  private async run<R>(fn: () => Promise<R> | R): Promise<R> {
    if (this.closed) throw new ReflowError('InternalError', 'The store is closed.');
    const p = (async () => {
      try {
        return await fn();
      } catch (err) {
        if (isReflowError(err)) throw err;
        throw new ReflowError('InternalError', `store: ${(err as Error).message}`, { cause: err });
      }
    })();
    this.inflight.add(p);
    try {
      return await p;
    } finally {
      this.inflight.delete(p);
    }
  }

  /** A write outside the group commit: answered once its commit is durable. */
  private write<R>(fn: () => Promise<R> | R): Promise<R> {
    return this.run(async () => {
      const result = await fn();
      await this.durable();
      return result;
    });
  }

  /** Resolves once every commit made so far is on disk (with fsync on). */
  private durable(): Promise<void> {
    return this.wal ? this.wal.sync() : Promise.resolve();
  }

  /**
   * A bucket's row. Rows are cached: this process is the store's only writer (its exclusive lock), and every bucket change
   * below drops its entry once made. Each PUT looked its bucket up twice, ~11 µs of a 3 KB PUT's ~250.
   */
  private bucketRow(name: string): BucketRow {
    let row = this.buckets.get(name);
    if (!row) {
      row = typeof name === 'string' ? (this.s.bucketGet.get(name) as BucketRow | undefined) : undefined;
      if (!row) throw noSuchBucket(String(name));
      this.buckets.set(name, row);
    }
    return row;
  }

  /**
   * One more reference to a blob. A blob with no row yet gets one: with `data`, its bytes go inline; without, it is
   * a file (renamed into place and pinned by the caller, or kept from unlinking by a pin).
   */
  private incRef(sha: string, size: number, data?: Buffer): void {
    if (this.s.blobAddRef.run(sha).changes > 0) return;
    const dataId = data ? Number(this.s.blobDataInsert.run(data).lastInsertRowid) : null;
    this.s.blobInsert.run(sha, size, dataId);
  }

  /** One reference less; at zero the row (and its inline bytes) goes, and a file blob is listed to unlink. */
  private decRef(sha: string, freed: string[]): void {
    const row = this.s.blobDecRef.get(sha) as { refs: number; data_id: number | null } | undefined;
    if (row && row.refs <= 0) {
      this.s.blobDelete.run(sha);
      if (row.data_id !== null) this.s.blobDataDelete.run(row.data_id);
      else freed.push(sha);
    }
  }

  /** Deletes a version row, its segments and their references (inside a transaction). */
  private removeVersion(vid: number, freed: string[]): void {
    for (const seg of this.s.segmentsOf.all(vid) as SegmentRow[]) this.decRef(seg.blob, freed);
    this.s.deleteSegments.run(vid);
    this.s.deleteVersion.run(vid);
  }

  private outbox(record: OutboxRecord): void {
    this.lastOutboxSeq = Number(this.s.outboxInsert.run(JSON.stringify(record)).lastInsertRowid);
  }

  private record(
    type: OutboxRecord['type'],
    reason: ObjectEventReason,
    bucket: string,
    key: string,
    versionId: string,
    context: T.RequestContext,
    ms: number,
    extra: { etag?: string; size?: number; deletionType?: OutboxRecord['deletionType'] } = {},
  ): OutboxRecord {
    const r: OutboxRecord = {
      type,
      bucket,
      key,
      versionId,
      reason,
      requestId: context.requestId ?? newRequestId(),
      requester: context.requester ?? this.options.account,
      time: new Date(ms).toISOString(),
    };
    if (extra.etag !== undefined) r.etag = extra.etag;
    if (extra.size !== undefined) r.size = extra.size;
    if (extra.deletionType !== undefined) r.deletionType = extra.deletionType;
    if (context.sourceIp !== undefined) r.sourceIp = context.sourceIp;
    return r;
  }

  /** The version row, the key's latest, and the delete-marker rules S3 answers with. */
  private findVersion(bucket: string, key: string, versionId: string | undefined): VersionRow {
    this.bucketRow(bucket);
    validateKey(key);
    if (versionId !== undefined) {
      const row = this.s.byVersion.get(bucket, key, versionId) as VersionRow | undefined;
      if (!row) throw new ReflowError('NoSuchVersion', 'The specified version does not exist.', { field: 'VersionId', details: { key, versionId } });
      if (row.delete_marker) {
        throw new ReflowError('MethodNotAllowed', 'The specified method is not allowed against this resource.', {
          details: { deleteMarker: true, versionId, lastModified: new Date(row.modified_ms) },
        });
      }
      return row;
    }
    const row = this.s.latest.get(bucket, key) as VersionRow | undefined;
    if (!row) throw new ReflowError('NoSuchKey', 'The specified key does not exist.', { field: 'Key', details: { key } });
    if (row.delete_marker) {
      throw new ReflowError('NoSuchKey', 'The specified key does not exist.', { field: 'Key', details: { key, deleteMarker: true, versionId: row.version_id } });
    }
    return row;
  }

  private info(row: VersionRow): T.ObjectInfo {
    const info: T.ObjectInfo = {
      bucket: row.bucket,
      key: row.key,
      versionId: row.version_id,
      etag: quote(row.etag),
      size: row.size,
      sha256: row.sha256,
      lastModified: new Date(row.modified_ms),
      metadata: JSON.parse(row.metadata) as Record<string, string>,
      checksums: JSON.parse(row.checksums) as Record<string, string>,
      isLatest: row.is_latest === 1,
      ...(JSON.parse(row.headers) as T.ObjectHeaders),
    };
    if (row.parts_count !== null) info.partsCount = row.parts_count;
    return info;
  }

  /** Commits one new version: the heart of every write. Runs inside a transaction (see `commitVersion`). */
  private commitVersionTx(w: NewVersion): Committed {
    const bucket = this.bucketRow(w.bucket);
    const latest = this.s.latest.get(w.bucket, w.key) as VersionRow | undefined;
    if (w.conditions) checkWriteConditions(w.conditions, latest && !latest.delete_marker ? { etag: quote(latest.etag) } : undefined);
    const freed: string[] = [];
    // References first: a blob moving from a part (or from a replaced null version) to this version must never
    // pass through zero references, or it would be freed.
    for (const seg of w.segments) this.incRef(seg.blob, seg.size, seg.data);
    if (w.upload) {
      const upload = this.s.uploadGet.get(w.upload.uploadId) as UploadRow | undefined;
      if (!upload || upload.bucket !== w.bucket || upload.key !== w.key) throw noSuchUpload(w.upload.uploadId);
      for (const p of w.upload.parts) {
        const now = this.s.partGet.get(w.upload.uploadId, p.partNumber) as PartRow | undefined;
        if (!now || now.blob !== p.blob) {
          throw new ReflowError('InvalidPart', `Part ${p.partNumber} was replaced while the upload was being completed.`, { field: `Part[${p.partNumber}]` });
        }
      }
      for (const part of this.s.partsOfUpload.all(w.upload.uploadId) as PartRow[]) this.decRef(part.blob, freed);
      this.s.deleteParts.run(w.upload.uploadId);
      this.s.uploadDelete.run(w.upload.uploadId);
    }
    const versionId = bucket.versioning === 'Enabled' ? newVersionId() : NULL_VERSION_ID;
    let replaced: number | undefined;
    if (versionId === NULL_VERSION_ID) {
      // In a bucket never versioned every version is the null one, so the latest (if any) is it; only a suspended
      // bucket can hold a null version that is not the latest.
      const old =
        latest?.version_id === NULL_VERSION_ID
          ? latest
          : bucket.versioning === null
            ? undefined
            : (this.s.byVersion.get(w.bucket, w.key, NULL_VERSION_ID) as VersionRow | undefined);
      if (old) {
        this.removeVersion(old.vid, freed);
        replaced = old.vid;
      }
    }
    if (latest && latest.vid !== replaced) this.s.clearLatestVid.run(latest.vid);
    const ms = Date.now();
    const vid = Number(
      this.s.insertVersion.run(
        w.bucket,
        w.key,
        versionId,
        w.deleteMarker ? 1 : 0,
        w.size,
        w.etag,
        w.sha256,
        w.partsCount ?? null,
        ms,
        JSON.stringify(w.headers),
        JSON.stringify(w.metadata),
        JSON.stringify(w.checksums),
      ).lastInsertRowid,
    );
    w.segments.forEach((seg, idx) => this.s.insertSegment.run(vid, idx, seg.blob, seg.size));
    this.outbox(
      w.deleteMarker
        ? this.record('Object Deleted', 'DeleteObject', w.bucket, w.key, versionId, w.context, ms, { deletionType: 'Delete Marker Created' })
        : this.record('Object Created', w.reason, w.bucket, w.key, versionId, w.context, ms, { etag: w.etag, size: w.size }),
    );
    return { versionId, modifiedMs: ms, freed };
  }

  private readonly commitVersionTxn = (w: NewVersion): Committed => this.db.transaction(() => this.commitVersionTx(w))();

  /** What follows every commit: unlink the files it dereferenced, let the relay look (it sends what is durable). */
  private readonly afterCommit = (committed: { freed: string[] }): void => {
    this.blobs.freeIfUnreferenced(committed.freed);
    this.relay.wake();
  };

  /** Commits now, alone (the caller awaits `durable()` before answering), then frees and wakes. */
  private commitVersion(w: NewVersion): Committed {
    const committed = this.commitVersionTxn(w);
    this.afterCommit(committed);
    return committed;
  }

  /** Commits in the next shared transaction; resolves once that is durable. */
  private commitVersionGrouped(w: NewVersion): Promise<Committed> {
    return this.group.submit(() => this.commitVersionTx(w), this.afterCommit);
  }

  /** Receives a body into a blob and runs `commit` while the blob is pinned; the blob is freed if nothing refers to it. */
  private async withBody<R>(
    body: T.ObjectBody,
    expect: { contentLength?: number; contentMd5?: string; sha256?: string; what: string },
    commit: (incoming: Incoming) => R | Promise<R>,
  ): Promise<R> {
    const expectations: Parameters<BlobFiles['receive']>[1] = { maxSize: this.options.maxObjectSize, what: expect.what };
    if (expect.contentLength !== undefined) expectations.contentLength = expect.contentLength;
    if (expect.contentMd5 !== undefined) expectations.contentMd5 = expect.contentMd5;
    if (expect.sha256 !== undefined) expectations.sha256 = expect.sha256;
    const incoming = await this.blobs.receive(body, expectations);
    if (this.closed) {
      await this.blobs.discard(incoming);
      throw new ReflowError('InternalError', 'The store closed while the body was arriving.');
    }
    await this.blobs.adopt(incoming);
    try {
      return await commit(incoming);
    } finally {
      this.blobs.settle(incoming);
    }
  }

  // ------------------------------------------------------------------------------------------------ buckets

  createBucket(name: string): Promise<void> {
    return this.write(() => {
      validateBucketName(name);
      if (this.s.bucketGet.get(name)) {
        throw new ReflowError('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', {
          field: 'Bucket',
          details: { bucket: name },
        });
      }
      this.s.bucketInsert.run(name, Date.now());
      this.buckets.delete(name);
    });
  }

  headBucket(name: string): Promise<T.BucketInfo> {
    return this.run(() => bucketInfo(this.bucketRow(name)));
  }

  listBuckets(): Promise<T.BucketInfo[]> {
    return this.run(() => (this.s.bucketList.all() as BucketRow[]).map(bucketInfo));
  }

  deleteBucket(name: string): Promise<void> {
    return this.write(() =>
      this.db.transaction(() => {
        this.bucketRow(name);
        if (this.s.bucketHasVersions.get(name) || this.s.bucketHasUploads.get(name)) {
          throw new ReflowError('BucketNotEmpty', 'The bucket you tried to delete is not empty', { field: 'Bucket', details: { bucket: name } });
        }
        this.s.bucketDelete.run(name);
        this.buckets.delete(name);
      })(),
    );
  }

  putBucketVersioning(name: string, status: T.VersioningStatus): Promise<void> {
    return this.write(() => {
      this.bucketRow(name);
      if (status !== 'Enabled' && status !== 'Suspended') {
        throw new ReflowError('MalformedXML', `The versioning status must be Enabled or Suspended, got ${JSON.stringify(status)}.`, { field: 'Status' });
      }
      this.s.bucketSetVersioning.run(status, name);
      this.buckets.delete(name);
    });
  }

  getBucketVersioning(name: string): Promise<T.VersioningStatus | undefined> {
    return this.run(() => this.bucketRow(name).versioning ?? undefined);
  }

  // ------------------------------------------------------------------------------------------------ objects

  putObject(bucket: string, key: string, body: T.ObjectBody, options: T.PutObjectOptions = {}): Promise<T.PutObjectResult> {
    return this.run(async () => {
      this.bucketRow(bucket);
      validateKey(key);
      const metadata = checkMetadata(options.metadata);
      // Checked before a byte is read (a refusal costs the client no upload), and again at commit.
      if (options.conditions) {
        const latest = this.s.latest.get(bucket, key) as VersionRow | undefined;
        checkWriteConditions(options.conditions, latest && !latest.delete_marker ? { etag: quote(latest.etag) } : undefined);
      }
      const expect: Parameters<FsObjectStore['withBody']>[1] = { what: 'object' };
      if (options.contentLength !== undefined) expect.contentLength = options.contentLength;
      if (options.contentMd5 !== undefined) expect.contentMd5 = options.contentMd5;
      if (options.sha256 !== undefined) expect.sha256 = options.sha256;
      return this.withBody(body, expect, async (incoming) => {
        const w: NewVersion = {
          bucket,
          key,
          deleteMarker: false,
          etag: incoming.md5,
          size: incoming.size,
          sha256: incoming.sha256,
          headers: headersOf(options),
          metadata,
          checksums: { ...(options.checksums ?? {}) },
          segments: [{ blob: incoming.sha256, size: incoming.size }],
          reason: 'PutObject',
          context: options,
        };
        if (incoming.data) w.segments[0]!.data = incoming.data;
        if (options.conditions) w.conditions = options.conditions;
        const committed = await this.commitVersionGrouped(w);
        return { etag: quote(incoming.md5), versionId: committed.versionId, size: incoming.size, sha256: incoming.sha256, lastModified: new Date(committed.modifiedMs) };
      });
    });
  }

  getObject(bucket: string, key: string, options: T.GetObjectOptions = {}): Promise<T.GetObjectResult> {
    return this.run(() => {
      const row = this.findVersion(bucket, key, options.versionId);
      const info = this.info(row);
      checkReadConditions(options.conditions, info.etag, info.lastModified, { versionId: row.version_id });
      let start = 0;
      let end = row.size - 1;
      let range: T.GetObjectResult['range'];
      if (options.range) {
        ({ start, end } = resolveRange(options.range, row.size));
        range = { start, end, size: row.size };
      }
      const body = this.readSegments(this.s.storedSegmentsOf.all(row.vid) as StoredSegment[], start, end);
      const result: T.GetObjectResult = { info, body };
      if (range) result.range = range;
      return result;
    });
  }

  /**
   * A stream of `start`..`end` of these segments. Files are pinned in the same tick as the read of the segments, so
   * a concurrent delete cannot unlink them mid-stream; inline bytes are read now, for the same reason.
   */
  private readSegments(segments: StoredSegment[], start: number, end: number): Readable {
    if (segments.length === 1 && segments[0]!.data_id !== null) {
      // The common small object: one inline blob, answered from memory.
      const data = this.inlineData(segments[0]!);
      return Readable.from(end >= start ? [data.subarray(start, end + 1)] : [], { objectMode: false });
    }
    const files: string[] = [];
    const parts: Segment[] = segments.map((seg) => {
      if (seg.data_id !== null) return { data: this.inlineData(seg), size: seg.size };
      this.blobs.pin(seg.blob);
      files.push(seg.blob);
      return { path: this.blobs.path(seg.blob), size: seg.size };
    });
    return new SegmentReader(parts, start, end, () => {
      for (const sha of files) this.blobs.release(sha);
    });
  }

  private inlineData(seg: StoredSegment): Buffer {
    const row = this.s.blobDataGet.get(seg.data_id) as { data: Buffer } | undefined;
    if (!row || row.data.length !== seg.size) throw new ReflowError('InternalError', `store: the inline bytes of blob ${seg.blob} are missing`);
    return row.data;
  }

  headObject(bucket: string, key: string, options: T.HeadObjectOptions = {}): Promise<T.ObjectInfo> {
    return this.run(() => {
      const row = this.findVersion(bucket, key, options.versionId);
      const info = this.info(row);
      checkReadConditions(options.conditions, info.etag, info.lastModified, { versionId: row.version_id });
      return info;
    });
  }

  deleteObject(bucket: string, key: string, options: T.DeleteObjectOptions = {}): Promise<T.DeleteObjectResult> {
    return this.write(() => {
      const b = this.bucketRow(bucket);
      validateKey(key);
      if (options.versionId !== undefined) return this.deleteVersion(bucket, key, options.versionId, options);
      if (b.versioning === undefined || b.versioning === null) {
        const exists = this.s.byVersion.get(bucket, key, NULL_VERSION_ID);
        if (!exists) return { deleteMarker: false };
        this.deleteVersion(bucket, key, NULL_VERSION_ID, options);
        return { deleteMarker: false };
      }
      const committed = this.commitVersion({
        bucket,
        key,
        deleteMarker: true,
        etag: '',
        size: 0,
        sha256: '',
        headers: {},
        metadata: {},
        checksums: {},
        segments: [],
        reason: 'DeleteObject',
        context: options,
      });
      return { versionId: committed.versionId, deleteMarker: true };
    });
  }

  /** Permanent removal of one version or delete marker; the next newest becomes the latest. */
  private deleteVersion(bucket: string, key: string, versionId: string, context: T.RequestContext): T.DeleteObjectResult {
    const freed: string[] = [];
    const result = this.db.transaction((): T.DeleteObjectResult => {
      const row = this.s.byVersion.get(bucket, key, versionId) as VersionRow | undefined;
      if (!row) return { versionId, deleteMarker: false };
      this.removeVersion(row.vid, freed);
      if (row.is_latest) this.s.promoteNewest.run(bucket, key, bucket, key);
      this.outbox(this.record('Object Deleted', 'DeleteObject', bucket, key, versionId, context, Date.now(), { deletionType: 'Permanently Deleted' }));
      return { versionId, deleteMarker: row.delete_marker === 1 };
    })();
    this.blobs.freeIfUnreferenced(freed);
    this.relay.wake();
    return result;
  }

  copyObject(source: { bucket: string; key: string }, target: { bucket: string; key: string }, options: T.CopyObjectOptions = {}): Promise<T.CopyObjectResult> {
    return this.write(() => {
      this.bucketRow(source.bucket);
      validateKey(source.key, 'CopySource');
      this.bucketRow(target.bucket);
      validateKey(target.key);
      let row: VersionRow;
      try {
        row = this.findVersion(source.bucket, source.key, options.sourceVersionId);
      } catch (err) {
        if (isReflowError(err) && err.code === 'MethodNotAllowed') {
          throw new ReflowError('InvalidRequest', 'The source of a copy request may not specifically refer to a delete marker by version id.', {
            field: 'x-amz-copy-source',
          });
        }
        throw err;
      }
      checkCopySourceConditions(options.sourceConditions, quote(row.etag), new Date(row.modified_ms));
      const replace = options.metadataDirective === 'REPLACE';
      if (!replace && source.bucket === target.bucket && source.key === target.key && row.is_latest) {
        throw new ReflowError(
          'InvalidRequest',
          "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
          { field: 'x-amz-copy-source' },
        );
      }
      // Content-addressed: the copy references the source's blobs; no byte is copied.
      const segments = this.s.segmentsOf.all(row.vid) as SegmentRow[];
      const w: NewVersion = {
        bucket: target.bucket,
        key: target.key,
        deleteMarker: false,
        etag: row.etag,
        size: row.size,
        sha256: row.sha256,
        headers: replace ? headersOf(options) : (JSON.parse(row.headers) as T.ObjectHeaders),
        metadata: replace ? checkMetadata(options.metadata) : (JSON.parse(row.metadata) as Record<string, string>),
        checksums: JSON.parse(row.checksums) as Record<string, string>,
        segments,
        reason: 'CopyObject',
        context: options,
      };
      if (row.parts_count !== null) w.partsCount = row.parts_count;
      const committed = this.commitVersion(w);
      return { etag: quote(row.etag), versionId: committed.versionId, sourceVersionId: row.version_id, lastModified: new Date(committed.modifiedMs), size: row.size };
    });
  }

  // ------------------------------------------------------------------------------------------------ listings

  private listStatement(kind: 'latest' | 'versions', inclusive: boolean, upper: boolean): Database.Statement {
    const id = `${kind}:${inclusive}:${upper}`;
    let stmt = this.listStatements.get(id);
    if (!stmt) {
      // `is_latest = 1` spelled out so SQLite walks the partial index versions_latest.
      const where = `bucket = ? ${kind === 'latest' ? 'AND is_latest = 1' : ''} AND key ${inclusive ? '>=' : '>'} ? ${upper ? 'AND key < ?' : ''}`;
      const order = kind === 'latest' ? 'key' : 'key, vid DESC';
      stmt = this.db.prepare(`SELECT * FROM versions WHERE ${where} ORDER BY ${order} LIMIT ?`);
      this.listStatements.set(id, stmt);
    }
    return stmt;
  }

  /** The rows a listing of `bucket` pages over (listings.ts decides what a page holds). */
  private listSource(bucket: string): ListSource {
    const query = (kind: 'latest' | 'versions') => (bound: Bound, upper: string | undefined, limit: number) => {
      const args: unknown[] = [bucket, bound.key];
      if (upper !== undefined) args.push(upper);
      args.push(limit);
      return this.listStatement(kind, bound.inclusive, upper !== undefined).all(...args) as ListedRow[];
    };
    return {
      latest: query('latest'),
      versions: query('versions'),
      older: (key, vid, limit) => this.s.versionsOlder.all(bucket, key, vid, limit) as ListedRow[],
      vidOf: (key, versionId) => (this.s.byVersion.get(bucket, key, versionId) as VersionRow | undefined)?.vid,
    };
  }

  listObjects(bucket: string, options: T.ListObjectsOptions = {}): Promise<T.ListObjectsResult> {
    return this.run(() => {
      this.bucketRow(bucket);
      return pageObjects(this.listSource(bucket), options);
    });
  }

  listObjectVersions(bucket: string, options: T.ListObjectVersionsOptions = {}): Promise<T.ListObjectVersionsResult> {
    return this.run(() => {
      this.bucketRow(bucket);
      return pageVersions(this.listSource(bucket), options);
    });
  }

  // ------------------------------------------------------------------------------------------------ multipart

  createMultipartUpload(bucket: string, key: string, options: T.CreateMultipartUploadOptions = {}): Promise<{ uploadId: string }> {
    return this.write(() => {
      this.bucketRow(bucket);
      validateKey(key);
      const metadata = checkMetadata(options.metadata);
      const uploadId = newUploadId();
      this.s.uploadInsert.run(uploadId, bucket, key, Date.now(), JSON.stringify(headersOf(options)), JSON.stringify(metadata), JSON.stringify(options.checksums ?? {}));
      return { uploadId };
    });
  }

  private uploadRow(bucket: string, key: string, uploadId: string): UploadRow {
    this.bucketRow(bucket);
    validateKey(key);
    const row = typeof uploadId === 'string' ? (this.s.uploadGet.get(uploadId) as UploadRow | undefined) : undefined;
    if (!row || row.bucket !== bucket || row.key !== key) throw noSuchUpload(String(uploadId));
    return row;
  }

  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: T.ObjectBody,
    options: T.UploadPartOptions = {},
  ): Promise<T.UploadPartResult> {
    return this.write(async () => {
      validatePartNumber(partNumber);
      this.uploadRow(bucket, key, uploadId);
      const expect: Parameters<FsObjectStore['withBody']>[1] = { what: 'part' };
      if (options.contentLength !== undefined) expect.contentLength = options.contentLength;
      if (options.contentMd5 !== undefined) expect.contentMd5 = options.contentMd5;
      if (options.sha256 !== undefined) expect.sha256 = options.sha256;
      return this.withBody(body, expect, (incoming) => {
        const freed: string[] = [];
        this.db.transaction(() => {
          // The upload may have been completed or aborted while the body arrived.
          this.uploadRow(bucket, key, uploadId);
          this.incRef(incoming.sha256, incoming.size, incoming.data);
          const old = this.s.partGet.get(uploadId, partNumber) as PartRow | undefined;
          if (old) this.decRef(old.blob, freed);
          this.s.partUpsert.run(uploadId, partNumber, incoming.sha256, incoming.size, incoming.md5, Date.now());
        })();
        this.blobs.freeIfUnreferenced(freed);
        return { etag: quote(incoming.md5), size: incoming.size, sha256: incoming.sha256 };
      });
    });
  }

  completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: T.CompletedPart[],
    options: T.RequestContext = {},
  ): Promise<T.CompleteMultipartUploadResult> {
    return this.write(async () => {
      const upload = this.uploadRow(bucket, key, uploadId);
      if (!Array.isArray(parts) || parts.length === 0) {
        throw new ReflowError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: it lists no part.', {
          field: 'MultipartUpload',
        });
      }
      const chosen: PartRow[] = [];
      let previous = 0;
      for (const [i, p] of parts.entries()) {
        if (!p || !Number.isInteger(p.partNumber) || p.partNumber <= previous) {
          throw new ReflowError('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.', {
            field: `Part[${i}].PartNumber`,
          });
        }
        previous = p.partNumber;
        const stored = this.s.partGet.get(uploadId, p.partNumber) as PartRow | undefined;
        if (!stored || typeof p.etag !== 'string' || bareEtag(p.etag) !== stored.md5) {
          throw new ReflowError('InvalidPart', "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", {
            field: `Part[${i}]`,
            details: { partNumber: p.partNumber },
          });
        }
        chosen.push(stored);
      }
      for (const [i, part] of chosen.entries()) {
        if (i < chosen.length - 1 && part.size < this.options.minPartSize) {
          throw new ReflowError('EntityTooSmall', `Your proposed upload is smaller than the minimum allowed object size: part ${part.part_number} is ${part.size} bytes, the minimum is ${this.options.minPartSize}.`, {
            field: `Part[${i}]`,
            details: { partNumber: part.part_number },
          });
        }
      }
      const etag = `${createHash('md5').update(Buffer.concat(chosen.map((p) => Buffer.from(p.md5, 'hex')))).digest('hex')}-${chosen.length}`;
      // The whole object's SHA-256 is kept for every version: read (not copy) the parts once, pinned meanwhile
      // (inline ones are read now, while their rows are certainly there).
      const inline = new Map<string, Buffer>();
      for (const p of chosen) {
        const stored = this.s.blobGet.get(p.blob) as { data_id: number | null } | undefined;
        if (stored && stored.data_id !== null) inline.set(p.blob, this.inlineData({ blob: p.blob, size: p.size, data_id: stored.data_id }));
      }
      for (const p of chosen) this.blobs.pin(p.blob);
      try {
        const sha = createHash('sha256');
        for (const p of chosen) {
          const data = inline.get(p.blob);
          if (data) sha.update(data);
          else for await (const chunk of createReadStream(this.blobs.path(p.blob), { highWaterMark: 4 << 20 })) sha.update(chunk as Buffer);
        }
        const sha256 = sha.digest('hex');
        const size = chosen.reduce((n, p) => n + p.size, 0);
        const committed = this.commitVersion({
          bucket,
          key,
          deleteMarker: false,
          etag,
          size,
          sha256,
          partsCount: chosen.length,
          headers: JSON.parse(upload.headers) as T.ObjectHeaders,
          metadata: JSON.parse(upload.metadata) as Record<string, string>,
          checksums: JSON.parse(upload.checksums) as Record<string, string>,
          segments: chosen.map((p) => ({ blob: p.blob, size: p.size })),
          upload: { uploadId, parts: chosen.map((p) => ({ partNumber: p.part_number, blob: p.blob })) },
          reason: 'CompleteMultipartUpload',
          context: options,
        });
        return { etag: quote(etag), versionId: committed.versionId, size, sha256, lastModified: new Date(committed.modifiedMs) };
      } finally {
        for (const p of chosen) this.blobs.release(p.blob);
      }
    });
  }

  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    return this.write(() => {
      const freed: string[] = [];
      this.db.transaction(() => {
        this.uploadRow(bucket, key, uploadId);
        for (const part of this.s.partsOfUpload.all(uploadId) as PartRow[]) this.decRef(part.blob, freed);
        this.s.deleteParts.run(uploadId);
        this.s.uploadDelete.run(uploadId);
      })();
      this.blobs.freeIfUnreferenced(freed);
    });
  }

  listParts(bucket: string, key: string, uploadId: string, options: T.ListPartsOptions = {}): Promise<T.ListPartsResult> {
    return this.run(() => {
      this.uploadRow(bucket, key, uploadId);
      const maxParts = validateMaxKeys(options.maxParts, 'MaxParts');
      const marker = options.partNumberMarker ?? 0;
      if (!Number.isInteger(marker) || marker < 0) {
        throw new ReflowError('InvalidArgument', 'Part number marker must be a non-negative integer.', { field: 'PartNumberMarker' });
      }
      const rows = this.s.partsAfter.all(uploadId, marker, maxParts + 1) as PartRow[];
      const page = rows.slice(0, maxParts);
      const result: T.ListPartsResult = {
        parts: page.map((p) => ({ partNumber: p.part_number, etag: quote(p.md5), size: p.size, lastModified: new Date(p.modified_ms) })),
        isTruncated: rows.length > maxParts,
      };
      if (result.isTruncated && page.length) result.nextPartNumberMarker = page[page.length - 1]!.part_number;
      return result;
    });
  }

  listMultipartUploads(bucket: string, options: T.ListMultipartUploadsOptions = {}): Promise<T.ListMultipartUploadsResult> {
    return this.run(() => {
      this.bucketRow(bucket);
      return pageUploads(this.s.uploadsOfBucket.all(bucket) as UploadRow[], options);
    });
  }

  // ------------------------------------------------------------------------------------------------ Reflow's additions

  async flushEvents(timeoutMs = 30_000): Promise<void> {
    if (this.closed) throw new ReflowError('InternalError', 'The store is closed.');
    // Rows wait for the fsync that makes them durable before they are relayed.
    await this.durable();
    return this.relay.flush(timeoutMs);
  }

  /** Blob files on disk, for tests and diagnostics (`reflow` never needs them). */
  blobFiles(): string[] {
    return this.blobs.listFiles();
  }

  /** Blob rows, their reference counts and whether their bytes are inline (else a file), for tests and diagnostics. */
  blobRefs(): Array<{ sha256: string; size: number; refs: number; inline: boolean }> {
    const rows = this.db.prepare('SELECT sha256, size, refs, data_id FROM blobs ORDER BY sha256').all() as Array<{ sha256: string; size: number; refs: number; data_id: number | null }>;
    return rows.map((r) => ({ sha256: r.sha256, size: r.size, refs: r.refs, inline: r.data_id !== null }));
  }

  /** Events committed but not yet on the bus. */
  pendingEvents(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Operations in flight finish (their bodies end when the server closes its sockets); bounded, so a stalled
    // client cannot hold shutdown forever. Their commits, if any, land before the database closes.
    const settle = Promise.allSettled([...this.inflight]);
    await Promise.race([settle, new Promise((r) => setTimeout(r, 10_000).unref())]);
    // A graceful stop hands the bus what it can in a few seconds; whatever is left stays in the outbox and is sent
    // after the next open, so stopping here loses nothing either way.
    await this.durable().catch(() => undefined);
    await this.relay.flush(CLOSE_FLUSH_MS).catch(() => undefined);
    await this.relay.stop();
    await this.blobs.close();
    await this.wal?.close();
    this.db.close();
  }
}

function bucketInfo(row: BucketRow): T.BucketInfo {
  return { name: row.name, creationDate: new Date(row.created_ms), versioning: row.versioning ?? undefined };
}

function prepare(db: Database.Database) {
  return {
    bucketGet: db.prepare('SELECT name, created_ms, versioning FROM buckets WHERE name = ?'),
    bucketInsert: db.prepare('INSERT INTO buckets (name, created_ms, versioning) VALUES (?, ?, NULL)'),
    bucketList: db.prepare('SELECT name, created_ms, versioning FROM buckets ORDER BY name'),
    bucketDelete: db.prepare('DELETE FROM buckets WHERE name = ?'),
    bucketSetVersioning: db.prepare('UPDATE buckets SET versioning = ? WHERE name = ?'),
    bucketHasVersions: db.prepare('SELECT 1 FROM versions WHERE bucket = ? LIMIT 1'),
    bucketHasUploads: db.prepare('SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1'),
    latest: db.prepare('SELECT * FROM versions WHERE bucket = ? AND key = ? AND is_latest = 1'),
    byVersion: db.prepare('SELECT * FROM versions WHERE bucket = ? AND key = ? AND version_id = ?'),
    versionsOlder: db.prepare('SELECT * FROM versions WHERE bucket = ? AND key = ? AND vid < ? ORDER BY vid DESC LIMIT ?'),
    clearLatestVid: db.prepare('UPDATE versions SET is_latest = 0 WHERE vid = ?'),
    insertVersion: db.prepare(
      `INSERT INTO versions (bucket, key, version_id, is_latest, delete_marker, size, etag, sha256, parts_count, modified_ms, headers, metadata, checksums)
       VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    deleteVersion: db.prepare('DELETE FROM versions WHERE vid = ?'),
    promoteNewest: db.prepare(
      'UPDATE versions SET is_latest = 1 WHERE vid = (SELECT max(vid) FROM versions WHERE bucket = ? AND key = ?) AND bucket = ? AND key = ?',
    ),
    segmentsOf: db.prepare('SELECT blob, size FROM segments WHERE vid = ? ORDER BY idx'),
    storedSegmentsOf: db.prepare('SELECT s.blob, s.size, b.data_id FROM segments s JOIN blobs b ON b.sha256 = s.blob WHERE s.vid = ? ORDER BY s.idx'),
    insertSegment: db.prepare('INSERT INTO segments (vid, idx, blob, size) VALUES (?, ?, ?, ?)'),
    deleteSegments: db.prepare('DELETE FROM segments WHERE vid = ?'),
    blobAddRef: db.prepare('UPDATE blobs SET refs = refs + 1 WHERE sha256 = ?'),
    blobInsert: db.prepare('INSERT INTO blobs (sha256, size, refs, data_id) VALUES (?, ?, 1, ?)'),
    blobDecRef: db.prepare('UPDATE blobs SET refs = refs - 1 WHERE sha256 = ? RETURNING refs, data_id'),
    blobDelete: db.prepare('DELETE FROM blobs WHERE sha256 = ?'),
    blobGet: db.prepare('SELECT size, refs, data_id FROM blobs WHERE sha256 = ?'),
    fileBlobExists: db.prepare('SELECT 1 FROM blobs WHERE sha256 = ? AND data_id IS NULL'),
    blobDataInsert: db.prepare('INSERT INTO blob_data (data) VALUES (?)'),
    blobDataGet: db.prepare('SELECT data FROM blob_data WHERE id = ?'),
    blobDataDelete: db.prepare('DELETE FROM blob_data WHERE id = ?'),
    outboxInsert: db.prepare('INSERT INTO outbox (record) VALUES (?)'),
    uploadInsert: db.prepare('INSERT INTO uploads (upload_id, bucket, key, created_ms, headers, metadata, checksums) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    uploadGet: db.prepare('SELECT * FROM uploads WHERE upload_id = ?'),
    uploadDelete: db.prepare('DELETE FROM uploads WHERE upload_id = ?'),
    uploadsOfBucket: db.prepare('SELECT * FROM uploads WHERE bucket = ?'),
    partGet: db.prepare('SELECT * FROM parts WHERE upload_id = ? AND part_number = ?'),
    partUpsert: db.prepare(
      `INSERT INTO parts (upload_id, part_number, blob, size, md5, modified_ms) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (upload_id, part_number) DO UPDATE SET blob = excluded.blob, size = excluded.size, md5 = excluded.md5, modified_ms = excluded.modified_ms`,
    ),
    partsOfUpload: db.prepare('SELECT * FROM parts WHERE upload_id = ?'),
    partsAfter: db.prepare('SELECT * FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?'),
    deleteParts: db.prepare('DELETE FROM parts WHERE upload_id = ?'),
  };
}
