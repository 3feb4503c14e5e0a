/**
 * A small in-memory ObjectStore for the S3 endpoint's own tests: enough of S3's semantics (versioning, delete
 * markers, conditions, ranges, multipart) to exercise the wire layer without disk. Not an adapter: it keeps bodies
 * in memory and emits no events. The real adapters run the store's conformance suite.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { ReflowError } from '../../../errors.js';
import type { ObjectStore } from '../../../store/port.js';
import type * as T from '../../../store/types.js';
import { validateBucketName, validateKey } from '../../../store/validate.js';
import { checkWriteConditions } from '../../../store/conditions.js';

interface Version {
  info: T.ObjectInfo;
  data: Buffer;
  deleteMarker: boolean;
}

interface Bucket {
  info: T.BucketInfo;
  objects: Map<string, Version[]>; // newest first
  uploads: Map<string, { key: string; initiated: Date; options: T.CreateMultipartUploadOptions; parts: Map<number, { data: Buffer; etag: string; lastModified: Date }> }>;
}

const bare = (e: string) => e.replace(/^"|"$/g, '');

export class MemoryObjectStore implements ObjectStore {
  private readonly buckets = new Map<string, Bucket>();

  private bucket(name: string): Bucket {
    const b = this.buckets.get(name);
    if (!b) throw new ReflowError('NoSuchBucket', 'The specified bucket does not exist', { details: { bucket: name } });
    return b;
  }

  async createBucket(name: string): Promise<void> {
    validateBucketName(name);
    if (this.buckets.has(name)) throw new ReflowError('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.');
    this.buckets.set(name, { info: { name, creationDate: new Date(), versioning: undefined }, objects: new Map(), uploads: new Map() });
  }
  async headBucket(name: string): Promise<T.BucketInfo> {
    return { ...this.bucket(name).info };
  }
  async listBuckets(): Promise<T.BucketInfo[]> {
    return [...this.buckets.values()].map((b) => ({ ...b.info })).sort((a, b) => (a.name < b.name ? -1 : 1));
  }
  async deleteBucket(name: string): Promise<void> {
    const b = this.bucket(name);
    if (b.objects.size > 0 || b.uploads.size > 0) throw new ReflowError('BucketNotEmpty', 'The bucket you tried to delete is not empty');
    this.buckets.delete(name);
  }
  async putBucketVersioning(name: string, status: T.VersioningStatus): Promise<void> {
    this.bucket(name).info.versioning = status;
  }
  async getBucketVersioning(name: string): Promise<T.VersioningStatus | undefined> {
    return this.bucket(name).info.versioning;
  }

  private async read(body: T.ObjectBody, options: { contentLength?: number; contentMd5?: string; sha256?: string }): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of body) parts.push(Buffer.from(chunk));
    const data = Buffer.concat(parts);
    if (options.contentLength !== undefined && data.length !== options.contentLength) {
      throw new ReflowError('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
    }
    if (options.contentMd5 !== undefined && createHash('md5').update(data).digest('base64') !== options.contentMd5) {
      throw new ReflowError('BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    if (options.sha256 !== undefined && createHash('sha256').update(data).digest('hex') !== options.sha256) {
      throw new ReflowError('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    return data;
  }

  private add(b: Bucket, key: string, version: Version): void {
    const list = b.objects.get(key) ?? [];
    for (const v of list) v.info.isLatest = false;
    const versioned = b.info.versioning === 'Enabled';
    const kept = versioned ? list : list.filter((v) => v.info.versionId !== 'null');
    b.objects.set(key, [version, ...kept]);
  }

  private newVersion(b: Bucket, key: string, data: Buffer, etag: string, extra: Partial<T.ObjectInfo>): Version {
    const info: T.ObjectInfo = {
      bucket: b.info.name,
      key,
      versionId: b.info.versioning === 'Enabled' ? randomUUID().replace(/-/g, '') : 'null',
      etag: `"${etag}"`,
      size: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
      lastModified: new Date(),
      metadata: {},
      checksums: {},
      isLatest: true,
      ...extra,
    };
    return { info, data, deleteMarker: false };
  }

  async putObject(bucket: string, key: string, body: T.ObjectBody, options: T.PutObjectOptions = {}): Promise<T.PutObjectResult> {
    const b = this.bucket(bucket);
    validateKey(key);
    const data = await this.read(body, options);
    const latest = b.objects.get(key)?.[0];
    checkWriteConditions(options.conditions, latest && !latest.deleteMarker ? latest.info : undefined);
    const v = this.newVersion(b, key, data, createHash('md5').update(data).digest('hex'), {
      ...headersOf(options),
      metadata: { ...(options.metadata ?? {}) },
      checksums: { ...(options.checksums ?? {}) },
    });
    this.add(b, key, v);
    return { etag: v.info.etag, versionId: v.info.versionId, size: v.info.size, sha256: v.info.sha256, lastModified: v.info.lastModified };
  }

  private find(bucket: string, key: string, versionId?: string): Version {
    const b = this.bucket(bucket);
    validateKey(key);
    const list = b.objects.get(key) ?? [];
    if (versionId !== undefined) {
      const v = list.find((x) => x.info.versionId === versionId);
      if (!v) throw new ReflowError('NoSuchVersion', 'The specified version does not exist.');
      if (v.deleteMarker) throw new ReflowError('MethodNotAllowed', 'The specified method is not allowed against this resource.', { details: { deleteMarker: true, versionId } });
      return v;
    }
    const latest = list[0];
    if (!latest) throw new ReflowError('NoSuchKey', 'The specified key does not exist.', { details: { key } });
    if (latest.deleteMarker) throw new ReflowError('NoSuchKey', 'The specified key does not exist.', { details: { key, deleteMarker: true, versionId: latest.info.versionId } });
    return latest;
  }

  private check(info: T.ObjectInfo, c: T.Conditions | undefined, read: boolean): void {
    if (!c) return;
    const match = (want: string) => want === '*' || want.split(',').some((e) => bare(e.trim()) === bare(info.etag));
    if (c.ifMatch !== undefined && !match(c.ifMatch)) throw new ReflowError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    if (c.ifUnmodifiedSince && info.lastModified.getTime() > c.ifUnmodifiedSince.getTime() + 999) throw new ReflowError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    if (c.ifNoneMatch !== undefined && match(c.ifNoneMatch)) {
      throw read ? new ReflowError('NotModified', 'Not Modified') : new ReflowError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    }
    if (read && c.ifModifiedSince && info.lastModified.getTime() <= c.ifModifiedSince.getTime() + 999) throw new ReflowError('NotModified', 'Not Modified');
  }

  async getObject(bucket: string, key: string, options: T.GetObjectOptions = {}): Promise<T.GetObjectResult> {
    const v = this.find(bucket, key, options.versionId);
    this.check(v.info, options.conditions, true);
    const size = v.data.length;
    if (options.range) {
      const r = options.range;
      let start: number;
      let end: number;
      if ('suffix' in r) {
        start = Math.max(0, size - r.suffix);
        end = size - 1;
      } else {
        start = r.start;
        end = Math.min(r.end ?? size - 1, size - 1);
      }
      if (start >= size || ('suffix' in r && r.suffix === 0)) throw new ReflowError('InvalidRange', 'The requested range is not satisfiable');
      return { info: { ...v.info }, body: Readable.from([v.data.subarray(start, end + 1)]), range: { start, end, size } };
    }
    return { info: { ...v.info }, body: Readable.from([v.data]) };
  }
  async headObject(bucket: string, key: string, options: T.HeadObjectOptions = {}): Promise<T.ObjectInfo> {
    const v = this.find(bucket, key, options.versionId);
    this.check(v.info, options.conditions, true);
    return { ...v.info };
  }
  async deleteObject(bucket: string, key: string, options: T.DeleteObjectOptions = {}): Promise<T.DeleteObjectResult> {
    const b = this.bucket(bucket);
    validateKey(key);
    const list = b.objects.get(key) ?? [];
    if (options.versionId !== undefined) {
      const i = list.findIndex((x) => x.info.versionId === options.versionId);
      if (i === -1) return { versionId: options.versionId, deleteMarker: false };
      const [removed] = list.splice(i, 1);
      if (list.length === 0) b.objects.delete(key);
      else if (i === 0) list[0]!.info.isLatest = true;
      return { versionId: options.versionId, deleteMarker: removed!.deleteMarker };
    }
    if (b.info.versioning === undefined) {
      b.objects.delete(key);
      return { deleteMarker: false };
    }
    const marker = this.newVersion(b, key, Buffer.alloc(0), '', {});
    marker.deleteMarker = true;
    marker.info.etag = '';
    this.add(b, key, marker);
    return { versionId: marker.info.versionId, deleteMarker: true };
  }
  async copyObject(source: { bucket: string; key: string }, target: { bucket: string; key: string }, options: T.CopyObjectOptions = {}): Promise<T.CopyObjectResult> {
    const src = this.find(source.bucket, source.key, options.sourceVersionId);
    this.check(src.info, options.sourceConditions, false);
    const b = this.bucket(target.bucket);
    validateKey(target.key);
    const replace = options.metadataDirective === 'REPLACE';
    const v = this.newVersion(b, target.key, src.data, bare(src.info.etag), {
      ...(replace ? headersOf(options) : headersOf(src.info)),
      metadata: { ...(replace ? options.metadata ?? {} : src.info.metadata) },
      checksums: { ...src.info.checksums },
    });
    this.add(b, target.key, v);
    return { etag: v.info.etag, versionId: v.info.versionId, sourceVersionId: src.info.versionId, lastModified: v.info.lastModified, size: v.info.size };
  }

  async listObjects(bucket: string, options: T.ListObjectsOptions = {}): Promise<T.ListObjectsResult> {
    const b = this.bucket(bucket);
    const after = options.continuationToken ?? options.startAfter ?? '';
    const rows = [...b.objects.entries()].filter(([, l]) => !l[0]!.deleteMarker).map(([k, l]) => ({ key: k, v: l[0]! }));
    const grouped = group(rows.map((r) => r.key), options.prefix ?? '', options.delimiter, after);
    const max = options.maxKeys ?? 1000;
    const page = grouped.slice(0, max);
    const result: T.ListObjectsResult = {
      contents: page.filter((e) => !e.prefix).map((e) => {
        const v = b.objects.get(e.name)![0]!.info;
        return { key: v.key, versionId: v.versionId, etag: v.etag, size: v.size, sha256: v.sha256, lastModified: v.lastModified };
      }),
      commonPrefixes: page.filter((e) => e.prefix).map((e) => e.name),
      keyCount: page.length,
      isTruncated: grouped.length > max,
    };
    if (result.isTruncated && page.length > 0) {
      result.nextContinuationToken = page.at(-1)!.name;
      result.nextMarker = page.at(-1)!.name;
    }
    return result;
  }
  async listObjectVersions(bucket: string, options: T.ListObjectVersionsOptions = {}): Promise<T.ListObjectVersionsResult> {
    const b = this.bucket(bucket);
    const keys = group([...b.objects.keys()], options.prefix ?? '', options.delimiter, options.keyMarker ?? '');
    const versions: T.ObjectVersionSummary[] = [];
    const commonPrefixes: string[] = [];
    for (const e of keys) {
      if (e.prefix) commonPrefixes.push(e.name);
      else for (const v of b.objects.get(e.name)!) versions.push({ key: v.info.key, versionId: v.info.versionId, etag: v.info.etag, size: v.info.size, sha256: v.info.sha256, lastModified: v.info.lastModified, isLatest: v.info.isLatest, deleteMarker: v.deleteMarker });
    }
    return { versions, commonPrefixes, isTruncated: false };
  }

  async createMultipartUpload(bucket: string, key: string, options: T.CreateMultipartUploadOptions = {}): Promise<{ uploadId: string }> {
    const b = this.bucket(bucket);
    validateKey(key);
    const uploadId = randomUUID();
    b.uploads.set(uploadId, { key, initiated: new Date(), options, parts: new Map() });
    return { uploadId };
  }
  private upload(bucket: string, key: string, uploadId: string) {
    const u = this.bucket(bucket).uploads.get(uploadId);
    if (!u || u.key !== key) throw new ReflowError('NoSuchUpload', 'The specified multipart upload does not exist.');
    return u;
  }
  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: T.ObjectBody, options: T.UploadPartOptions = {}): Promise<T.UploadPartResult> {
    const u = this.upload(bucket, key, uploadId);
    const data = await this.read(body, options);
    const etag = `"${createHash('md5').update(data).digest('hex')}"`;
    u.parts.set(partNumber, { data, etag, lastModified: new Date() });
    return { etag, size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  }
  async completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: T.CompletedPart[]): Promise<T.CompleteMultipartUploadResult> {
    const u = this.upload(bucket, key, uploadId);
    const datas: Buffer[] = [];
    const md5s: Buffer[] = [];
    let last = 0;
    for (const p of parts) {
      if (p.partNumber <= last) throw new ReflowError('InvalidPartOrder', 'The list of parts was not in ascending order.');
      last = p.partNumber;
      const stored = u.parts.get(p.partNumber);
      if (!stored || bare(stored.etag) !== bare(p.etag)) throw new ReflowError('InvalidPart', 'One or more of the specified parts could not be found.');
      datas.push(stored.data);
      md5s.push(Buffer.from(bare(stored.etag), 'hex'));
    }
    if (datas.slice(0, -1).some((d) => d.length < 5 * 1024 * 1024)) {
      throw new ReflowError('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.');
    }
    const b = this.bucket(bucket);
    const data = Buffer.concat(datas);
    const v = this.newVersion(b, key, data, `${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${parts.length}`, {
      ...headersOf(u.options),
      metadata: { ...(u.options.metadata ?? {}) },
      partsCount: parts.length,
    });
    this.add(b, key, v);
    b.uploads.delete(uploadId);
    return { etag: v.info.etag, versionId: v.info.versionId, size: v.info.size, sha256: v.info.sha256, lastModified: v.info.lastModified };
  }
  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    this.upload(bucket, key, uploadId);
    this.bucket(bucket).uploads.delete(uploadId);
  }
  async listParts(bucket: string, key: string, uploadId: string): Promise<T.ListPartsResult> {
    const u = this.upload(bucket, key, uploadId);
    const parts = [...u.parts.entries()].sort((a, b) => a[0] - b[0]).map(([n, p]) => ({ partNumber: n, etag: p.etag, size: p.data.length, lastModified: p.lastModified }));
    return { parts, isTruncated: false };
  }
  async listMultipartUploads(bucket: string): Promise<T.ListMultipartUploadsResult> {
    const b = this.bucket(bucket);
    return { uploads: [...b.uploads.entries()].map(([id, u]) => ({ key: u.key, uploadId: id, initiated: u.initiated })), commonPrefixes: [], isTruncated: false };
  }
  async flushEvents(): Promise<void> {}
  async close(): Promise<void> {}
}

function headersOf(o: T.ObjectHeaders): T.ObjectHeaders {
  const out: T.ObjectHeaders = {};
  for (const k of ['contentType', 'contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl', 'expires'] as const) {
    if (o[k] !== undefined) out[k] = o[k];
  }
  return out;
}

function group(keys: string[], prefix: string, delimiter: string | undefined, after: string): Array<{ name: string; prefix: boolean }> {
  const out: Array<{ name: string; prefix: boolean }> = [];
  const seen = new Set<string>();
  for (const key of [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
    if (!key.startsWith(prefix)) continue;
    if (delimiter) {
      const i = key.indexOf(delimiter, prefix.length);
      if (i !== -1) {
        const p = key.slice(0, i + delimiter.length);
        if (p <= after || seen.has(p)) continue;
        seen.add(p);
        out.push({ name: p, prefix: true });
        continue;
      }
    }
    if (key <= after) continue;
    out.push({ name: key, prefix: false });
  }
  return out;
}
