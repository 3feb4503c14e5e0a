/**
 * The one conformance suite every ObjectStore adapter runs (Hono's common.case.test.ts, Drizzle's `tests()`): the
 * local adapter, the S3 adapter against moto, Ceph RGW or a second Reflow endpoint. An adapter's test calls
 * `runObjectStoreConformance(name, harness)`; cases it cannot support are skipped by name with a reason (a skip
 * naming no case fails the run, so the list cannot rot).
 *
 * Adapter-neutral by construction: every case makes its own buckets under a unique prefix (S3 services share one
 * bucket namespace and keep state between cases), sees events only through the bus the harness hands over (a rule
 * whose pattern selects the case's buckets, with an in-process target), and says nothing about how bytes are kept.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { EventBus } from '../bus/port.js';
import type { EventEnvelope } from '../bus/types.js';
import type { ObjectStore } from './port.js';
import type * as T from './types.js';

export interface StoreUnderTest {
  store: ObjectStore;
  /** The bus the store emits its object events to. */
  bus: EventBus;
  /** The bus name the store was configured with (default `default`). */
  eventBusName?: string;
}

export interface ObjectStoreHarness {
  /**
   * A store to run one case against, and its bus. Called once per case; it may return stores over the same storage
   * (a long-lived S3 service), since every case works in buckets of its own.
   */
  open(): Promise<StoreUnderTest>;
  /** Releases what `open()` returned (default: `store.close()`). */
  close?(opened: StoreUnderTest): Promise<void>;
  /** Case titles this adapter skips, with the reason. */
  skip?: Record<string, string>;
  /** Prefix of every bucket the suite creates (default `conf`); make it unique on a shared service. */
  bucketPrefix?: string;
  /** The smallest part (all but the last) completeMultipartUpload accepts; default 5 MiB, S3's. */
  minPartSize?: number;
  /** Delete the case's buckets afterwards (default true; a throwaway store per case needs no cleanup). */
  cleanup?: boolean;
}

const MiB = 1024 * 1024;

// ------------------------------------------------------------------------------------------------ helpers

/** A body as the port takes it: an async iterable of chunks (here a Readable over the given pieces). */
export function bodyOf(...pieces: Array<string | Uint8Array>): Readable {
  return Readable.from(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
}

export async function readAll(body: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
  return Buffer.concat(chunks);
}

export const md5Hex = (data: Uint8Array | string) => createHash('md5').update(data).digest('hex');
export const sha256Hex = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');
export const md5Base64 = (data: Uint8Array | string) => createHash('md5').update(data).digest('base64');

/** `size` bytes of a repeatable pattern streamed 1 MiB at a time, hashed as they go (never whole in memory). */
export function generatedBody(size: number, seed = 7): { body: AsyncIterable<Uint8Array>; md5(): string; sha256(): string } {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < block.length; i++) block[i] = (i * 31 + seed) & 0xff;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let sent = 0;
    while (sent < size) {
      const n = Math.min(block.length, size - sent);
      // A fresh copy per chunk: a consumer may keep it past the next yield.
      const chunk = Buffer.from(block.subarray(0, n));
      md5.update(chunk);
      sha.update(chunk);
      sent += n;
      yield chunk;
    }
  }
  return { body: chunks(), md5: () => md5.digest('hex'), sha256: () => sha.digest('hex') };
}

/** A deterministic buffer (for parts that must differ from one another). */
export function patterned(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 131 + seed * 17 + (i >> 10)) & 0xff;
  return b;
}

async function rejectsCode(promise: Promise<unknown>, code: string | string[], field?: string): Promise<void> {
  const codes = Array.isArray(code) ? code : [code];
  await assert.rejects(promise, (err: { code?: string; message?: string; field?: string }) => {
    assert.ok(codes.includes(err.code ?? ''), `expected ${codes.join(' or ')}, got ${err.code}: ${err.message}`);
    if (field !== undefined) assert.equal(err.field, field, `field of ${err.code}`);
    return true;
  });
}

const quoted = (hex: string) => `"${hex}"`;

/** Every version, delete marker, upload and part of a bucket: what "nothing stored changed" compares. */
async function snapshot(store: ObjectStore, bucket: string): Promise<string> {
  const versions = await allVersions(store, bucket);
  const uploads = (await store.listMultipartUploads(bucket)).uploads;
  const parts: unknown[] = [];
  for (const u of uploads) {
    const listed = await store.listParts(bucket, u.key, u.uploadId);
    parts.push([u.key, u.uploadId, listed.parts.map((p) => [p.partNumber, p.etag, p.size])]);
  }
  return JSON.stringify({
    versions: versions.map((v) => [v.key, v.versionId, v.isLatest, v.deleteMarker, v.etag, v.size, v.sha256]),
    parts,
  });
}

async function allVersions(store: ObjectStore, bucket: string, prefix?: string): Promise<T.ObjectVersionSummary[]> {
  const out: T.ObjectVersionSummary[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const options: T.ListObjectVersionsOptions = {};
    if (prefix !== undefined) options.prefix = prefix;
    if (keyMarker !== undefined) options.keyMarker = keyMarker;
    if (versionIdMarker !== undefined) options.versionIdMarker = versionIdMarker;
    const page = await store.listObjectVersions(bucket, options);
    out.push(...page.versions);
    if (!page.isTruncated) return out;
    keyMarker = page.nextKeyMarker;
    versionIdMarker = page.nextVersionIdMarker;
  }
}

interface ExpectedEvent {
  type: 'Object Created' | 'Object Deleted';
  bucket: string;
  key: string;
  versionId?: string;
  reason: string;
  size?: number;
  /** Bare or quoted; compared bare, as S3 puts it in events. */
  etag?: string;
  deletionType?: 'Permanently Deleted' | 'Delete Marker Created';
}

const bare = (etag: string) => etag.replace(/^"|"$/g, '');

function assertEvents(got: EventEnvelope[], want: ExpectedEvent[]): void {
  const summary = (e: EventEnvelope) => {
    const d = e.detail as { bucket?: { name?: string }; object?: { key?: string } };
    return `${e['detail-type']} ${d.bucket?.name}/${d.object?.key}`;
  };
  assert.equal(got.length, want.length, `events: got [${got.map(summary).join('; ')}], want ${want.length}`);
  want.forEach((w, i) => {
    const e = got[i]!;
    const detail = e.detail as Record<string, any>;
    assert.equal(e.source, 'aws.s3', `event ${i} source`);
    assert.equal(e['detail-type'], w.type, `event ${i} detail-type`);
    assert.deepEqual(e.resources, [`arn:aws:s3:::${w.bucket}`], `event ${i} resources`);
    assert.equal(detail.version, '0');
    assert.equal(detail.bucket?.name, w.bucket, `event ${i} bucket`);
    assert.equal(detail.object?.key, w.key, `event ${i} key`);
    if (w.versionId !== undefined) assert.equal(detail.object['version-id'], w.versionId, `event ${i} version-id`);
    assert.equal(typeof detail.object.sequencer, 'string', `event ${i} sequencer`);
    assert.match(detail.object.sequencer, /^[0-9A-Fa-f]+$/);
    assert.equal(detail.reason, w.reason, `event ${i} reason`);
    assert.equal(typeof detail['request-id'], 'string');
    assert.equal(typeof detail.requester, 'string');
    if (w.type === 'Object Created') {
      assert.equal(detail.object.size, w.size, `event ${i} size`);
      if (w.etag !== undefined) assert.equal(detail.object.etag, bare(w.etag), `event ${i} etag`);
      assert.equal(detail['deletion-type'], undefined);
    } else {
      assert.equal(detail['deletion-type'], w.deletionType, `event ${i} deletion-type`);
    }
  });
}

/** S3 compares sequencers as hex after padding the shorter one with leading zeros. */
function sequencerLess(a: string, b: string): boolean {
  const n = Math.max(a.length, b.length);
  return a.toUpperCase().padStart(n, '0') < b.toUpperCase().padStart(n, '0');
}

// ------------------------------------------------------------------------------------------------ the case context

interface Case {
  store: ObjectStore;
  /** A fresh bucket of this case (versioning as given). */
  bucket(versioning?: T.VersioningStatus): Promise<string>;
  /** A bucket name of this case that does not exist. */
  absentBucket(): string;
  /** Waits until the store's events are on the bus and delivered, and returns those since the last call. */
  events(): Promise<EventEnvelope[]>;
  minPartSize: number;
}

let caseCounter = 0;

export function runObjectStoreConformance(name: string, harness: ObjectStoreHarness): void {
  const skip = harness.skip ?? {};
  const titles = new Set<string>();
  const prefix = harness.bucketPrefix ?? 'conf';
  const minPartSize = harness.minPartSize ?? 5 * MiB;
  const runId = randomBytes(3).toString('hex');

  const it = (title: string, fn: (c: Case) => Promise<void>, options: { timeout?: number } = {}) => {
    titles.add(title);
    if (skip[title] !== undefined) {
      test(title, { skip: `${name}: ${skip[title]}` }, () => undefined);
      return;
    }
    test(title, { timeout: options.timeout ?? 120_000 }, async () => {
      const opened = await harness.open();
      const { store, bus } = opened;
      const eventBusName = opened.eventBusName ?? 'default';
      const n = ++caseCounter;
      const casePrefix = `${prefix}-${runId}-${n}-`;
      const created: string[] = [];
      let buckets = 0;
      const received: EventEnvelope[] = [];
      let seen = 0;
      const handler = `store-conformance-${runId}-${n}`;
      bus.registerHandler(handler, (_payload, context) => {
        received.push(context.event);
      });
      await bus.putRule({
        Name: handler,
        EventBusName: eventBusName,
        EventPattern: JSON.stringify({ source: ['aws.s3'], detail: { bucket: { name: [{ prefix: casePrefix }] } } }),
      });
      await bus.putTargets({ Rule: handler, EventBusName: eventBusName, Targets: [{ Id: 'collect', Arn: `arn:reflow:handler:${handler}` }] });
      const c: Case = {
        store,
        minPartSize,
        async bucket(versioning) {
          const b = `${casePrefix}${String.fromCharCode(97 + buckets++)}`;
          await store.createBucket(b);
          created.push(b);
          if (versioning) await store.putBucketVersioning(b, versioning);
          return b;
        },
        absentBucket: () => `${casePrefix}absent`,
        async events() {
          await store.flushEvents();
          await bus.drain();
          const out = received.slice(seen);
          seen = received.length;
          return out;
        },
      };
      try {
        await fn(c);
      } finally {
        if (harness.cleanup !== false) for (const b of created) await emptyAndDelete(store, b).catch(() => undefined);
        await bus.removeTargets({ Rule: handler, EventBusName: eventBusName, Ids: ['collect'] }).catch(() => undefined);
        await bus.deleteRule({ Name: handler, EventBusName: eventBusName }).catch(() => undefined);
        if (harness.close) await harness.close(opened);
        else await store.close();
      }
    });
  };

  describe(`ObjectStore conformance: ${name}`, () => {
    registerBucketCases(it);
    registerObjectCases(it);
    registerVersioningCases(it);
    registerListingCases(it);
    registerCopyCases(it);
    registerMultipartCases(it);
    registerBadInputCases(it);
    registerEventCases(it);

    test('the skip list names only cases of this suite', () => {
      const unknown = Object.keys(skip).filter((t) => !titles.has(t));
      assert.deepEqual(unknown, [], `skipped titles that are no case: ${unknown.join(' | ')}`);
    });
  });
}

async function emptyAndDelete(store: ObjectStore, bucket: string): Promise<void> {
  for (const u of (await store.listMultipartUploads(bucket)).uploads) await store.abortMultipartUpload(bucket, u.key, u.uploadId);
  for (const v of await allVersions(store, bucket)) await store.deleteObject(bucket, v.key, { versionId: v.versionId });
  await store.deleteBucket(bucket);
}

type It = (title: string, fn: (c: Case) => Promise<void>, options?: { timeout?: number }) => void;

// ------------------------------------------------------------------------------------------------ buckets

function registerBucketCases(it: It): void {
  it('buckets: create, head, list in name order, delete', async (c) => {
    const a = await c.bucket();
    const b = await c.bucket();
    const head = await c.store.headBucket(a);
    assert.equal(head.name, a);
    assert.ok(head.creationDate instanceof Date && !Number.isNaN(head.creationDate.getTime()));
    assert.equal(head.versioning, undefined);
    const names = (await c.store.listBuckets()).map((x) => x.name);
    assert.ok(names.indexOf(a) >= 0 && names.indexOf(a) < names.indexOf(b), 'both listed, in name order');
    assert.deepEqual([...names].sort(), names, 'listBuckets is sorted by name');
    await c.store.deleteBucket(b);
    await rejectsCode(c.store.headBucket(b), 'NoSuchBucket');
    assert.ok(!(await c.store.listBuckets()).some((x) => x.name === b));
  });

  it('buckets: a second create answers BucketAlreadyOwnedByYou', async (c) => {
    const a = await c.bucket();
    await rejectsCode(c.store.createBucket(a), ['BucketAlreadyOwnedByYou', 'BucketAlreadyExists']);
  });

  it('buckets: names that break S3 rules get InvalidBucketName and create nothing', async (c) => {
    const before = (await c.store.listBuckets()).map((b) => b.name);
    for (const bad of ['ab', 'UpperCase', 'has_underscore', 'x'.repeat(64), '-leading', 'trailing-', 'two..dots', '192.168.5.4', '']) {
      await rejectsCode(c.store.createBucket(bad), 'InvalidBucketName');
    }
    assert.deepEqual((await c.store.listBuckets()).map((b) => b.name), before);
  });

  it('buckets: operations on an absent bucket answer NoSuchBucket', async (c) => {
    const absent = c.absentBucket();
    await rejectsCode(c.store.headBucket(absent), 'NoSuchBucket');
    await rejectsCode(c.store.listObjects(absent), 'NoSuchBucket');
    await rejectsCode(c.store.listObjectVersions(absent), 'NoSuchBucket');
    await rejectsCode(c.store.putObject(absent, 'k', bodyOf('x')), 'NoSuchBucket');
    await rejectsCode(c.store.getObject(absent, 'k'), 'NoSuchBucket');
    await rejectsCode(c.store.deleteBucket(absent), 'NoSuchBucket');
    await rejectsCode(c.store.createMultipartUpload(absent, 'k'), 'NoSuchBucket');
    await rejectsCode(c.store.getBucketVersioning(absent), 'NoSuchBucket');
    assert.deepEqual(await c.events(), []);
  });

  it('buckets: BucketNotEmpty while a version, a delete marker or an upload remains', async (c) => {
    const b = await c.bucket('Enabled');
    const put = await c.store.putObject(b, 'k', bodyOf('x'));
    await rejectsCode(c.store.deleteBucket(b), 'BucketNotEmpty');
    const marker = await c.store.deleteObject(b, 'k');
    await c.store.deleteObject(b, 'k', { versionId: put.versionId });
    await rejectsCode(c.store.deleteBucket(b), 'BucketNotEmpty'); // the delete marker remains
    await c.store.deleteObject(b, 'k', { versionId: marker.versionId! });
    const { uploadId } = await c.store.createMultipartUpload(b, 'm');
    await rejectsCode(c.store.deleteBucket(b), 'BucketNotEmpty');
    await c.store.abortMultipartUpload(b, 'm', uploadId);
    await c.store.deleteBucket(b);
    await rejectsCode(c.store.headBucket(b), 'NoSuchBucket');
  });

  it('buckets: versioning starts unset, goes Enabled and Suspended, never back to unset', async (c) => {
    const b = await c.bucket();
    assert.equal(await c.store.getBucketVersioning(b), undefined);
    await c.store.putBucketVersioning(b, 'Enabled');
    assert.equal(await c.store.getBucketVersioning(b), 'Enabled');
    assert.equal((await c.store.headBucket(b)).versioning, 'Enabled');
    await c.store.putBucketVersioning(b, 'Suspended');
    assert.equal(await c.store.getBucketVersioning(b), 'Suspended');
    await c.store.putBucketVersioning(b, 'Enabled');
    assert.equal(await c.store.getBucketVersioning(b), 'Enabled');
  });
}

// ------------------------------------------------------------------------------------------------ objects

function registerObjectCases(it: It): void {
  it('put: streams a body of unknown length; ETag is the quoted MD5 hex; SHA-256 kept', async (c) => {
    const b = await c.bucket();
    const size = 12 * MiB + 12345;
    const gen = generatedBody(size);
    const put = await c.store.putObject(b, 'streamed.bin', gen.body);
    const md5 = gen.md5();
    const sha = gen.sha256();
    assert.equal(put.etag, quoted(md5));
    assert.equal(put.size, size);
    assert.equal(put.sha256, sha);
    assert.equal(put.versionId, 'null');
    const head = await c.store.headObject(b, 'streamed.bin');
    assert.equal(head.etag, quoted(md5));
    assert.equal(head.size, size);
    assert.equal(head.sha256, sha);
    assert.equal(head.partsCount, undefined);
    assert.equal(head.isLatest, true);
    const got = await c.store.getObject(b, 'streamed.bin');
    const hash = createHash('sha256');
    let n = 0;
    for await (const chunk of got.body) {
      hash.update(chunk as Buffer);
      n += (chunk as Buffer).length;
    }
    assert.equal(n, size);
    assert.equal(hash.digest('hex'), sha);
  });

  it('put: metadata, content type and the other stored headers come back on head and get', async (c) => {
    const b = await c.bucket();
    const headers: T.ObjectHeaders = {
      contentType: 'text/csv; charset=utf-8',
      contentEncoding: 'gzip',
      contentDisposition: 'attachment; filename="d.csv"',
      contentLanguage: 'en',
      cacheControl: 'max-age=60',
      expires: 'Wed, 21 Oct 2037 07:28:00 GMT',
    };
    const metadata = { site: 'lab-1', 'contributor-id': '42' };
    await c.store.putObject(b, 'd.csv', bodyOf('a,b\n1,2\n'), { ...headers, metadata, contentLength: 8 });
    const head = await c.store.headObject(b, 'd.csv');
    for (const [k, v] of Object.entries(headers)) assert.equal(head[k as keyof T.ObjectHeaders], v, k);
    assert.deepEqual(head.metadata, metadata);
    const got = await c.store.getObject(b, 'd.csv');
    assert.deepEqual(got.info.metadata, metadata);
    assert.equal(got.info.contentType, headers.contentType);
    assert.equal((await readAll(got.body)).toString(), 'a,b\n1,2\n');
    // Without headers, none come back (the endpoint supplies S3's binary/octet-stream default).
    await c.store.putObject(b, 'plain', bodyOf('p'));
    const plain = await c.store.headObject(b, 'plain');
    assert.equal(plain.contentType, undefined);
    assert.deepEqual(plain.metadata, {});
  });

  it('put: a zero-byte object', async (c) => {
    const b = await c.bucket();
    const put = await c.store.putObject(b, 'empty', bodyOf(), { contentLength: 0 });
    assert.equal(put.etag, quoted(md5Hex('')));
    assert.equal(put.size, 0);
    const got = await c.store.getObject(b, 'empty');
    assert.equal((await readAll(got.body)).length, 0);
    assert.equal(got.info.sha256, sha256Hex(''));
  });

  it('put: checksums the endpoint verified are stored verbatim and returned', async (c) => {
    const b = await c.bucket();
    const checksums = { CRC32: 'DUoRhQ==' };
    await c.store.putObject(b, 'k', bodyOf('hello world'), { checksums });
    assert.deepEqual((await c.store.headObject(b, 'k')).checksums, checksums);
  });

  it('put: an overwrite in an unversioned bucket replaces the null version', async (c) => {
    const b = await c.bucket();
    await c.store.putObject(b, 'k', bodyOf('one'));
    const second = await c.store.putObject(b, 'k', bodyOf('two!'));
    assert.equal(second.versionId, 'null');
    assert.equal((await readAll((await c.store.getObject(b, 'k')).body)).toString(), 'two!');
    const versions = await allVersions(c.store, b);
    assert.deepEqual(versions.map((v) => [v.key, v.versionId, v.isLatest, v.size]), [['k', 'null', true, 4]]);
    assert.equal((await c.store.getObject(b, 'k', { versionId: 'null' })).info.size, 4);
  });

  it('get: byte ranges (start-end, open end, suffix, clamped) and InvalidRange', async (c) => {
    const b = await c.bucket();
    await c.store.putObject(b, 'digits', bodyOf('0123456789'));
    const cases: Array<[T.ByteRange, string, number, number]> = [
      [{ start: 2, end: 5 }, '2345', 2, 5],
      [{ start: 7 }, '789', 7, 9],
      [{ suffix: 3 }, '789', 7, 9],
      [{ suffix: 20 }, '0123456789', 0, 9],
      [{ start: 5, end: 100 }, '56789', 5, 9],
      [{ start: 0, end: 0 }, '0', 0, 0],
    ];
    for (const [range, text, start, end] of cases) {
      const got = await c.store.getObject(b, 'digits', { range });
      assert.equal((await readAll(got.body)).toString(), text, JSON.stringify(range));
      assert.deepEqual(got.range, { start, end, size: 10 }, JSON.stringify(range));
      assert.equal(got.info.size, 10);
    }
    await rejectsCode(c.store.getObject(b, 'digits', { range: { start: 10 } }), 'InvalidRange');
    await rejectsCode(c.store.getObject(b, 'digits', { range: { start: 50, end: 60 } }), 'InvalidRange');
    await c.store.putObject(b, 'empty', bodyOf());
    await rejectsCode(c.store.getObject(b, 'empty', { range: { start: 0 } }), 'InvalidRange');
    const whole = await c.store.getObject(b, 'digits');
    assert.equal(whole.range, undefined);
    whole.body.destroy();
  });

  it('get: a range of a large object streams just that span', async (c) => {
    const b = await c.bucket();
    const data = patterned(3 * MiB + 17, 3);
    await c.store.putObject(b, 'big', bodyOf(data.subarray(0, MiB), data.subarray(MiB)));
    const got = await c.store.getObject(b, 'big', { range: { start: MiB - 5, end: 2 * MiB + 5 } });
    assert.ok((await readAll(got.body)).equals(data.subarray(MiB - 5, 2 * MiB + 6)));
  });

  it('get and head: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since', async (c) => {
    const b = await c.bucket();
    const put = await c.store.putObject(b, 'k', bodyOf('data'));
    const lm = (await c.store.headObject(b, 'k')).lastModified;
    const later = new Date(lm.getTime() + 5000);
    const earlier = new Date(lm.getTime() - 5000);
    const ok = async (conditions: T.Conditions) => {
      (await c.store.getObject(b, 'k', { conditions })).body.destroy();
      await c.store.headObject(b, 'k', { conditions });
    };
    const fails = async (conditions: T.Conditions, code: string) => {
      await rejectsCode(c.store.getObject(b, 'k', { conditions }), code);
      await rejectsCode(c.store.headObject(b, 'k', { conditions }), code);
    };
    await ok({ ifMatch: put.etag });
    await ok({ ifMatch: bare(put.etag) });
    await ok({ ifMatch: '*' });
    await ok({ ifMatch: `"other", ${put.etag}` });
    await fails({ ifMatch: '"0123"' }, 'PreconditionFailed');
    await ok({ ifNoneMatch: '"0123"' });
    await fails({ ifNoneMatch: put.etag }, 'NotModified');
    await ok({ ifModifiedSince: earlier });
    await fails({ ifModifiedSince: later }, 'NotModified');
    await ok({ ifUnmodifiedSince: later });
    await fails({ ifUnmodifiedSince: earlier }, 'PreconditionFailed');
    // RFC 7232 as S3 applies it: a holding If-Match overrides a failing If-Unmodified-Since, and a holding
    // If-None-Match overrides a failing If-Modified-Since.
    await ok({ ifMatch: put.etag, ifUnmodifiedSince: earlier });
    await ok({ ifNoneMatch: '"0123"', ifModifiedSince: later });
  });

  it('put: conditional writes (If-None-Match: *, If-Match) refuse without changing anything', async (c) => {
    const b = await c.bucket('Enabled');
    const first = await c.store.putObject(b, 'k', bodyOf('one'), { conditions: { ifNoneMatch: '*' } });
    const before = await snapshot(c.store, b);
    await c.events();
    await rejectsCode(c.store.putObject(b, 'k', bodyOf('two'), { conditions: { ifNoneMatch: '*' } }), 'PreconditionFailed');
    await rejectsCode(c.store.putObject(b, 'k', bodyOf('two'), { conditions: { ifMatch: '"00000000000000000000000000000000"' } }), 'PreconditionFailed');
    assert.equal(await snapshot(c.store, b), before);
    assert.deepEqual(await c.events(), []);
    const second = await c.store.putObject(b, 'k', bodyOf('two'), { conditions: { ifMatch: first.etag } });
    assert.equal(second.etag, quoted(md5Hex('two')));
  });

  it('head and get: NoSuchKey for an absent key', async (c) => {
    const b = await c.bucket();
    await rejectsCode(c.store.headObject(b, 'absent'), 'NoSuchKey');
    await rejectsCode(c.store.getObject(b, 'absent'), 'NoSuchKey');
    await rejectsCode(c.store.getObject(b, 'absent', { versionId: 'null' }), ['NoSuchVersion', 'NoSuchKey']);
  });
}

// ------------------------------------------------------------------------------------------------ versioning

function registerVersioningCases(it: It): void {
  it('versioning: each put gets a new version id and every version stays retrievable', async (c) => {
    const b = await c.bucket('Enabled');
    const ids: string[] = [];
    for (const text of ['v1', 'v2', 'v3']) {
      const put = await c.store.putObject(b, 'k', bodyOf(text), { metadata: { n: text } });
      assert.notEqual(put.versionId, 'null');
      ids.push(put.versionId);
    }
    assert.equal(new Set(ids).size, 3);
    for (const [i, id] of ids.entries()) {
      const got = await c.store.getObject(b, 'k', { versionId: id });
      assert.equal((await readAll(got.body)).toString(), `v${i + 1}`);
      assert.equal(got.info.versionId, id);
      assert.equal(got.info.isLatest, i === 2);
      assert.deepEqual(got.info.metadata, { n: `v${i + 1}` });
      assert.equal((await c.store.headObject(b, 'k', { versionId: id })).etag, quoted(md5Hex(`v${i + 1}`)));
    }
    assert.equal((await c.store.headObject(b, 'k')).versionId, ids[2]);
    await rejectsCode(c.store.getObject(b, 'k', { versionId: 'null' }), 'NoSuchVersion');
  });

  it('versioning: objects written before versioning keep the null version id', async (c) => {
    const b = await c.bucket();
    await c.store.putObject(b, 'k', bodyOf('before'));
    await c.store.putBucketVersioning(b, 'Enabled');
    const after = await c.store.putObject(b, 'k', bodyOf('after'));
    assert.notEqual(after.versionId, 'null');
    assert.equal((await readAll((await c.store.getObject(b, 'k', { versionId: 'null' })).body)).toString(), 'before');
    assert.deepEqual((await allVersions(c.store, b)).map((v) => [v.versionId, v.isLatest]), [[after.versionId, true], ['null', false]]);
  });

  it('versioning: a suspended bucket writes null versions, replacing only the null one', async (c) => {
    const b = await c.bucket('Enabled');
    const v1 = await c.store.putObject(b, 'k', bodyOf('enabled'));
    await c.store.putBucketVersioning(b, 'Suspended');
    const n1 = await c.store.putObject(b, 'k', bodyOf('null-1'));
    assert.equal(n1.versionId, 'null');
    const n2 = await c.store.putObject(b, 'k', bodyOf('null-2'));
    assert.equal(n2.versionId, 'null');
    const versions = await allVersions(c.store, b);
    assert.deepEqual(versions.map((v) => [v.versionId, v.isLatest, v.size]), [['null', true, 6], [v1.versionId, false, 7]]);
    assert.equal((await readAll((await c.store.getObject(b, 'k', { versionId: v1.versionId })).body)).toString(), 'enabled');
    assert.equal((await readAll((await c.store.getObject(b, 'k')).body)).toString(), 'null-2');
  });

  it('delete: in an unversioned bucket the object is removed permanently', async (c) => {
    const b = await c.bucket();
    await c.store.putObject(b, 'k', bodyOf('x'));
    const result = await c.store.deleteObject(b, 'k');
    assert.equal(result.deleteMarker, false);
    await rejectsCode(c.store.getObject(b, 'k'), 'NoSuchKey');
    assert.deepEqual(await allVersions(c.store, b), []);
  });

  it('delete: in a versioned bucket a delete marker hides the object; its versions stay', async (c) => {
    const b = await c.bucket('Enabled');
    const put = await c.store.putObject(b, 'k', bodyOf('x'));
    const del = await c.store.deleteObject(b, 'k');
    assert.equal(del.deleteMarker, true);
    assert.ok(del.versionId && del.versionId !== 'null' && del.versionId !== put.versionId);
    await assert.rejects(c.store.getObject(b, 'k'), (err: { code?: string; details?: Record<string, unknown> }) => {
      assert.equal(err.code, 'NoSuchKey');
      assert.equal(err.details?.deleteMarker, true);
      assert.equal(err.details?.versionId, del.versionId);
      return true;
    });
    await rejectsCode(c.store.headObject(b, 'k'), 'NoSuchKey');
    // Asking for the marker itself: S3 answers 405 with x-amz-delete-marker.
    await assert.rejects(c.store.headObject(b, 'k', { versionId: del.versionId! }), (err: { code?: string; details?: Record<string, unknown> }) => {
      assert.equal(err.code, 'MethodNotAllowed');
      assert.equal(err.details?.deleteMarker, true);
      return true;
    });
    assert.equal((await readAll((await c.store.getObject(b, 'k', { versionId: put.versionId })).body)).toString(), 'x');
    assert.deepEqual((await c.store.listObjects(b)).contents, []);
    const versions = await allVersions(c.store, b);
    assert.deepEqual(versions.map((v) => [v.versionId, v.isLatest, v.deleteMarker]), [[del.versionId, true, true], [put.versionId, false, false]]);
    // A second delete adds a second marker, as S3 does.
    const again = await c.store.deleteObject(b, 'k');
    assert.equal(again.deleteMarker, true);
    assert.equal((await allVersions(c.store, b)).length, 3);
  });

  it('delete of a version is permanent; the next newest becomes latest; removing the marker restores', async (c) => {
    const b = await c.bucket('Enabled');
    const v1 = await c.store.putObject(b, 'k', bodyOf('one'));
    const v2 = await c.store.putObject(b, 'k', bodyOf('two'));
    const marker = await c.store.deleteObject(b, 'k');
    const removedMarker = await c.store.deleteObject(b, 'k', { versionId: marker.versionId! });
    assert.deepEqual(removedMarker, { versionId: marker.versionId, deleteMarker: true });
    assert.equal((await readAll((await c.store.getObject(b, 'k')).body)).toString(), 'two');
    const removed = await c.store.deleteObject(b, 'k', { versionId: v2.versionId });
    assert.deepEqual(removed, { versionId: v2.versionId, deleteMarker: false });
    await rejectsCode(c.store.getObject(b, 'k', { versionId: v2.versionId }), 'NoSuchVersion');
    const latest = await c.store.headObject(b, 'k');
    assert.equal(latest.versionId, v1.versionId);
    assert.equal(latest.isLatest, true);
    assert.deepEqual((await allVersions(c.store, b)).map((v) => [v.versionId, v.isLatest]), [[v1.versionId, true]]);
  });

  it('delete: an absent key or version succeeds and changes nothing', async (c) => {
    const plain = await c.bucket();
    const versioned = await c.bucket('Enabled');
    const put = await c.store.putObject(versioned, 'k', bodyOf('x'));
    await c.events();
    const before = [await snapshot(c.store, plain), await snapshot(c.store, versioned)];
    assert.equal((await c.store.deleteObject(plain, 'absent')).deleteMarker, false);
    await c.store.deleteObject(versioned, 'k', { versionId: 'null' });
    await c.store.deleteObject(plain, 'absent', { versionId: 'null' });
    assert.deepEqual([await snapshot(c.store, plain), await snapshot(c.store, versioned)], before);
    assert.deepEqual(await c.events(), []);
    assert.equal((await c.store.headObject(versioned, 'k')).versionId, put.versionId);
  });

  it('delete: in a suspended bucket the marker has the null version id and replaces the null version', async (c) => {
    const b = await c.bucket('Enabled');
    const v1 = await c.store.putObject(b, 'k', bodyOf('kept'));
    await c.store.putBucketVersioning(b, 'Suspended');
    await c.store.putObject(b, 'k', bodyOf('null version'));
    const del = await c.store.deleteObject(b, 'k');
    assert.deepEqual(del, { versionId: 'null', deleteMarker: true });
    const versions = await allVersions(c.store, b);
    assert.deepEqual(versions.map((v) => [v.versionId, v.isLatest, v.deleteMarker]), [['null', true, true], [v1.versionId, false, false]]);
  });
}

// ------------------------------------------------------------------------------------------------ listings

function registerListingCases(it: It): void {
  const keys = ['a', 'a/b', 'a/b/c', 'a/c', 'b', 'b/x', 'c~', 'c\u00e9', 'c\u{1f600}', 'd/e/f'];

  it('list V2: UTF-8 byte order, prefix, delimiter and common prefixes', async (c) => {
    const b = await c.bucket();
    for (const k of [...keys].reverse()) await c.store.putObject(b, k, bodyOf(k));
    const all = await c.store.listObjects(b);
    assert.deepEqual(all.contents.map((o) => o.key), keys);
    assert.equal(all.keyCount, keys.length);
    assert.equal(all.isTruncated, false);
    assert.deepEqual(all.commonPrefixes, []);
    const first = all.contents[0]!;
    assert.equal(first.etag, quoted(md5Hex('a')));
    assert.equal(first.size, 1);
    assert.equal(first.sha256, sha256Hex('a'));
    assert.ok(first.lastModified instanceof Date);
    const top = await c.store.listObjects(b, { delimiter: '/' });
    assert.deepEqual(top.contents.map((o) => o.key), ['a', 'b', 'c~', 'c\u00e9', 'c\u{1f600}']);
    assert.deepEqual(top.commonPrefixes, ['a/', 'b/', 'd/']);
    assert.equal(top.keyCount, 8);
    const underA = await c.store.listObjects(b, { prefix: 'a/', delimiter: '/' });
    assert.deepEqual(underA.contents.map((o) => o.key), ['a/b', 'a/c']);
    assert.deepEqual(underA.commonPrefixes, ['a/b/']);
    assert.deepEqual((await c.store.listObjects(b, { prefix: 'c' })).contents.map((o) => o.key), ['c~', 'c\u00e9', 'c\u{1f600}']);
    assert.deepEqual((await c.store.listObjects(b, { prefix: 'zzz' })).contents, []);
    // A delimiter other than "/".
    assert.deepEqual((await c.store.listObjects(b, { delimiter: 'b' })).commonPrefixes, ['a/b', 'b']);
  });

  it('list V2: max-keys and continuation tokens page through everything exactly once', async (c) => {
    const b = await c.bucket();
    for (const k of keys) await c.store.putObject(b, k, bodyOf(k));
    for (const [delimiter, expected] of [
      [undefined, keys],
      ['/', ['a', 'a/', 'b', 'b/', 'c~', 'c\u00e9', 'c\u{1f600}', 'd/']],
    ] as const) {
      for (const maxKeys of [1, 2, 3]) {
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        for (;;) {
          const options: T.ListObjectsOptions = { maxKeys };
          if (delimiter) options.delimiter = delimiter;
          if (token) options.continuationToken = token;
          const page = await c.store.listObjects(b, options);
          pages++;
          assert.ok(page.keyCount <= maxKeys);
          assert.equal(page.keyCount, page.contents.length + page.commonPrefixes.length);
          // A page lists its keys then its prefixes; merge them back into S3's single order.
          seen.push(...[...page.contents.map((o) => o.key), ...page.commonPrefixes].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
          if (!page.isTruncated) break;
          assert.ok(page.nextContinuationToken, 'a truncated page has a continuation token');
          token = page.nextContinuationToken;
          assert.ok(pages < 50);
        }
        assert.deepEqual(seen, expected, `delimiter ${delimiter} maxKeys ${maxKeys}`);
      }
    }
  });

  it('list V2: start-after, max-keys 0 and a bad continuation token', async (c) => {
    const b = await c.bucket();
    for (const k of keys) await c.store.putObject(b, k, bodyOf(k));
    assert.deepEqual((await c.store.listObjects(b, { startAfter: 'b' })).contents.map((o) => o.key), keys.slice(5));
    assert.deepEqual((await c.store.listObjects(b, { startAfter: 'a/b/c', delimiter: '/' })).contents.map((o) => o.key), ['b', 'c~', 'c\u00e9', 'c\u{1f600}']);
    const none = await c.store.listObjects(b, { maxKeys: 0 });
    assert.deepEqual(none.contents, []);
    assert.equal(none.keyCount, 0);
    await rejectsCode(c.store.listObjects(b, { continuationToken: 'not a token' }), 'InvalidArgument');
    await rejectsCode(c.store.listObjects(b, { maxKeys: -1 }), 'InvalidArgument');
  });

  it('list V2: only the latest version of each key, and no key whose latest is a delete marker', async (c) => {
    const b = await c.bucket('Enabled');
    await c.store.putObject(b, 'k', bodyOf('one'));
    const two = await c.store.putObject(b, 'k', bodyOf('two!'));
    await c.store.putObject(b, 'gone', bodyOf('x'));
    await c.store.deleteObject(b, 'gone');
    const listed = await c.store.listObjects(b);
    assert.deepEqual(listed.contents.map((o) => [o.key, o.versionId, o.size]), [['k', two.versionId, 4]]);
  });

  it('list versions: key order, newest first, IsLatest, delete markers, prefix and delimiter', async (c) => {
    const b = await c.bucket('Enabled');
    const a1 = await c.store.putObject(b, 'a', bodyOf('a1'));
    const b1 = await c.store.putObject(b, 'b', bodyOf('b1'));
    const a2 = await c.store.putObject(b, 'a', bodyOf('a22'));
    const dm = await c.store.deleteObject(b, 'b');
    await c.store.putObject(b, 'dir/x', bodyOf('x'));
    const listed = await c.store.listObjectVersions(b);
    assert.deepEqual(
      listed.versions.map((v) => [v.key, v.versionId, v.isLatest, v.deleteMarker]),
      [
        ['a', a2.versionId, true, false],
        ['a', a1.versionId, false, false],
        ['b', dm.versionId, true, true],
        ['b', b1.versionId, false, false],
        ['dir/x', listed.versions[4]!.versionId, true, false],
      ],
    );
    const marker = listed.versions[2]!;
    assert.equal(marker.size, 0);
    assert.equal(listed.versions[0]!.etag, quoted(md5Hex('a22')));
    assert.equal(listed.versions[0]!.size, 3);
    const folded = await c.store.listObjectVersions(b, { delimiter: '/' });
    assert.deepEqual(folded.commonPrefixes, ['dir/']);
    assert.equal(folded.versions.length, 4);
    assert.deepEqual((await c.store.listObjectVersions(b, { prefix: 'b' })).versions.map((v) => v.versionId), [dm.versionId, b1.versionId]);
  });

  it('list versions: key and version-id markers page through everything exactly once', async (c) => {
    const b = await c.bucket('Enabled');
    const written: Array<[string, string]> = [];
    for (const k of ['x', 'y', 'x', 'z', 'y', 'x']) written.push([k, (await c.store.putObject(b, k, bodyOf(k))).versionId]);
    const marker = await c.store.deleteObject(b, 'z');
    const expected = [
      ...written.filter(([k]) => k === 'x').reverse(),
      ...written.filter(([k]) => k === 'y').reverse(),
      ['z', marker.versionId!],
      ...written.filter(([k]) => k === 'z'),
    ];
    for (const maxKeys of [1, 2, 4]) {
      const seen: Array<[string, string]> = [];
      let keyMarker: string | undefined;
      let versionIdMarker: string | undefined;
      for (let pages = 0; ; pages++) {
        assert.ok(pages < 50);
        const options: T.ListObjectVersionsOptions = { maxKeys };
        if (keyMarker !== undefined) options.keyMarker = keyMarker;
        if (versionIdMarker !== undefined) options.versionIdMarker = versionIdMarker;
        const page = await c.store.listObjectVersions(b, options);
        assert.ok(page.versions.length <= maxKeys);
        seen.push(...page.versions.map((v): [string, string] => [v.key, v.versionId]));
        if (!page.isTruncated) break;
        assert.ok(page.nextKeyMarker !== undefined);
        keyMarker = page.nextKeyMarker;
        versionIdMarker = page.nextVersionIdMarker;
      }
      assert.deepEqual(seen, expected, `maxKeys ${maxKeys}`);
    }
    // A key marker alone starts after every version of that key.
    assert.deepEqual((await c.store.listObjectVersions(b, { keyMarker: 'x' })).versions.map((v) => v.key), ['y', 'y', 'z', 'z']);
  });
}

// ------------------------------------------------------------------------------------------------ copy

function registerCopyCases(it: It): void {
  it('copy: same bytes and ETag; COPY keeps metadata and headers, REPLACE takes the new ones', async (c) => {
    const src = await c.bucket();
    const dst = await c.bucket('Enabled');
    const put = await c.store.putObject(src, 'from', bodyOf('payload'), { contentType: 'text/plain', metadata: { a: '1' } });
    const copy = await c.store.copyObject({ bucket: src, key: 'from' }, { bucket: dst, key: 'to' });
    assert.equal(copy.etag, put.etag);
    assert.equal(copy.size, 7);
    assert.equal(copy.sourceVersionId, 'null');
    assert.notEqual(copy.versionId, 'null');
    const got = await c.store.getObject(dst, 'to');
    assert.equal((await readAll(got.body)).toString(), 'payload');
    assert.deepEqual(got.info.metadata, { a: '1' });
    assert.equal(got.info.contentType, 'text/plain');
    assert.equal(got.info.sha256, sha256Hex('payload'));
    const replaced = await c.store.copyObject({ bucket: src, key: 'from' }, { bucket: dst, key: 'to2' }, {
      metadataDirective: 'REPLACE',
      metadata: { b: '2' },
      contentType: 'application/json',
    });
    assert.equal(replaced.etag, put.etag);
    const info = await c.store.headObject(dst, 'to2');
    assert.deepEqual(info.metadata, { b: '2' });
    assert.equal(info.contentType, 'application/json');
    // The source is untouched.
    assert.deepEqual((await c.store.headObject(src, 'from')).metadata, { a: '1' });
  });

  it('copy: of an old version, and copy-source conditions', async (c) => {
    const b = await c.bucket('Enabled');
    const v1 = await c.store.putObject(b, 'k', bodyOf('old'));
    await c.store.putObject(b, 'k', bodyOf('new'));
    const copy = await c.store.copyObject({ bucket: b, key: 'k' }, { bucket: b, key: 'restored' }, { sourceVersionId: v1.versionId });
    assert.equal(copy.sourceVersionId, v1.versionId);
    assert.equal((await readAll((await c.store.getObject(b, 'restored')).body)).toString(), 'old');
    // Restoring an old version onto its own key is a copy S3 allows.
    await c.store.copyObject({ bucket: b, key: 'k' }, { bucket: b, key: 'k' }, { sourceVersionId: v1.versionId });
    assert.equal((await readAll((await c.store.getObject(b, 'k')).body)).toString(), 'old');
    await rejectsCode(c.store.copyObject({ bucket: b, key: 'k' }, { bucket: b, key: 'c2' }, { sourceConditions: { ifMatch: '"nope"' } }), 'PreconditionFailed');
    await rejectsCode(c.store.copyObject({ bucket: b, key: 'k' }, { bucket: b, key: 'c2' }, { sourceConditions: { ifNoneMatch: v1.etag } }), 'PreconditionFailed');
    await c.store.copyObject({ bucket: b, key: 'k' }, { bucket: b, key: 'c3' }, { sourceConditions: { ifMatch: v1.etag } });
    await rejectsCode(c.store.headObject(b, 'c2'), 'NoSuchKey');
  });

  it('copy: absent sources, a delete marker, and a copy onto itself that changes nothing are refused', async (c) => {
    const b = await c.bucket('Enabled');
    await c.store.putObject(b, 'k', bodyOf('x'));
    await c.events();
    await rejectsCode(c.store.copyObject({ bucket: b, key: 'absent' }, { bucket: b, key: 't' }), 'NoSuchKey');
    await rejectsCode(c.store.copyObject({ bucket: c.absentBucket(), key: 'k' }, { bucket: b, key: 't' }), 'NoSuchBucket');
    await rejectsCode(c.store.copyObject({ bucket: b, key: 'k' }, { bucket: c.absentBucket(), key: 't' }), 'NoSuchBucket');
    await rejectsCode(c.store.copyObject({ bucket: b, key: 'k' }, { bucket: b, key: 't' }, { sourceVersionId: 'no-such-version' }), ['NoSuchVersion', 'InvalidArgument']);
    await rejectsCode(c.store.copyObject({ bucket: b, key: 'k' }, { bucket: b, key: 'k' }), 'InvalidRequest');
    const marker = await c.store.deleteObject(b, 'k');
    await c.events();
    await rejectsCode(c.store.copyObject({ bucket: b, key: 'k' }, { bucket: b, key: 't' }), 'NoSuchKey');
    await rejectsCode(c.store.copyObject({ bucket: b, key: 'k' }, { bucket: b, key: 't' }, { sourceVersionId: marker.versionId! }), ['InvalidRequest', 'MethodNotAllowed']);
    await rejectsCode(c.store.headObject(b, 't'), 'NoSuchKey');
    assert.deepEqual(await c.events(), []);
  });
}

// ------------------------------------------------------------------------------------------------ multipart

function registerMultipartCases(it: It): void {
  it('multipart: create, upload, replace a part, complete; ETag md5(part md5s)-N; SHA-256 of the whole', async (c) => {
    const b = await c.bucket('Enabled');
    const p1 = patterned(c.minPartSize, 1);
    const p2old = patterned(c.minPartSize, 2);
    const p2 = patterned(c.minPartSize + 3, 5);
    const p3 = patterned(1234, 3);
    const { uploadId } = await c.store.createMultipartUpload(b, 'mp.bin', { contentType: 'application/x-test', metadata: { kind: 'mp' } });
    assert.ok(uploadId);
    const r3 = await c.store.uploadPart(b, 'mp.bin', uploadId, 3, bodyOf(p3), { contentLength: p3.length });
    const r1 = await c.store.uploadPart(b, 'mp.bin', uploadId, 1, bodyOf(p1));
    const r2old = await c.store.uploadPart(b, 'mp.bin', uploadId, 2, bodyOf(p2old));
    assert.equal(r2old.etag, quoted(md5Hex(p2old)));
    const r2 = await c.store.uploadPart(b, 'mp.bin', uploadId, 2, bodyOf(p2), { contentMd5: md5Base64(p2) });
    assert.equal(r1.etag, quoted(md5Hex(p1)));
    assert.equal(r1.size, p1.length);
    assert.equal(r1.sha256, sha256Hex(p1));
    const listed = await c.store.listParts(b, 'mp.bin', uploadId);
    assert.deepEqual(listed.parts.map((p) => [p.partNumber, p.etag, p.size]), [
      [1, r1.etag, p1.length],
      [2, r2.etag, p2.length],
      [3, r3.etag, p3.length],
    ]);
    // The replaced part is gone: completing with its ETag is InvalidPart.
    await rejectsCode(
      c.store.completeMultipartUpload(b, 'mp.bin', uploadId, [{ partNumber: 1, etag: r1.etag }, { partNumber: 2, etag: r2old.etag }, { partNumber: 3, etag: r3.etag }]),
      'InvalidPart',
    );
    const done = await c.store.completeMultipartUpload(b, 'mp.bin', uploadId, [
      { partNumber: 1, etag: r1.etag },
      { partNumber: 2, etag: bare(r2.etag) },
      { partNumber: 3, etag: r3.etag },
    ]);
    const whole = Buffer.concat([p1, p2, p3]);
    const etag = md5Hex(Buffer.concat([p1, p2, p3].map((p) => createHash('md5').update(p).digest())));
    assert.equal(done.etag, `"${etag}-3"`);
    assert.equal(done.size, whole.length);
    assert.equal(done.sha256, sha256Hex(whole));
    assert.notEqual(done.versionId, 'null');
    const head = await c.store.headObject(b, 'mp.bin');
    assert.equal(head.etag, `"${etag}-3"`);
    assert.equal(head.partsCount, 3);
    assert.equal(head.sha256, sha256Hex(whole));
    assert.equal(head.contentType, 'application/x-test');
    assert.deepEqual(head.metadata, { kind: 'mp' });
    assert.ok((await readAll((await c.store.getObject(b, 'mp.bin')).body)).equals(whole));
    // Ranges across part boundaries.
    const span = await c.store.getObject(b, 'mp.bin', { range: { start: p1.length - 10, end: p1.length + p2.length + 10 } });
    assert.ok((await readAll(span.body)).equals(whole.subarray(p1.length - 10, p1.length + p2.length + 11)));
    const tail = await c.store.getObject(b, 'mp.bin', { range: { suffix: 100 } });
    assert.ok((await readAll(tail.body)).equals(whole.subarray(whole.length - 100)));
    // The upload is gone.
    assert.deepEqual((await c.store.listMultipartUploads(b)).uploads, []);
    await rejectsCode(c.store.listParts(b, 'mp.bin', uploadId), 'NoSuchUpload');
  }, { timeout: 300_000 });

  it('multipart: InvalidPart, InvalidPartOrder and EntityTooSmall leave the upload as it was', async (c) => {
    const b = await c.bucket();
    const small = patterned(1000, 1);
    const big = patterned(c.minPartSize, 2);
    const { uploadId } = await c.store.createMultipartUpload(b, 'k');
    const s1 = await c.store.uploadPart(b, 'k', uploadId, 1, bodyOf(small));
    const s2 = await c.store.uploadPart(b, 'k', uploadId, 2, bodyOf(small));
    const before = await snapshot(c.store, b);
    await rejectsCode(c.store.completeMultipartUpload(b, 'k', uploadId, [{ partNumber: 1, etag: s1.etag }, { partNumber: 2, etag: s2.etag }]), 'EntityTooSmall');
    await rejectsCode(c.store.completeMultipartUpload(b, 'k', uploadId, [{ partNumber: 2, etag: s2.etag }, { partNumber: 1, etag: s1.etag }]), 'InvalidPartOrder');
    await rejectsCode(c.store.completeMultipartUpload(b, 'k', uploadId, [{ partNumber: 1, etag: s1.etag }, { partNumber: 1, etag: s1.etag }]), 'InvalidPartOrder');
    await rejectsCode(c.store.completeMultipartUpload(b, 'k', uploadId, [{ partNumber: 4, etag: s1.etag }]), 'InvalidPart');
    await rejectsCode(c.store.completeMultipartUpload(b, 'k', uploadId, [{ partNumber: 1, etag: '"00000000000000000000000000000000"' }]), 'InvalidPart');
    await rejectsCode(c.store.completeMultipartUpload(b, 'k', uploadId, []), ['MalformedXML', 'InvalidRequest', 'InvalidArgument']);
    assert.equal(await snapshot(c.store, b), before);
    await rejectsCode(c.store.headObject(b, 'k'), 'NoSuchKey');
    assert.deepEqual(await c.events(), []);
    // Fix part 1 and complete: the upload survived every refusal.
    const b1 = await c.store.uploadPart(b, 'k', uploadId, 1, bodyOf(big));
    const done = await c.store.completeMultipartUpload(b, 'k', uploadId, [{ partNumber: 1, etag: b1.etag }, { partNumber: 2, etag: s2.etag }]);
    assert.equal(done.size, big.length + small.length);
    assert.equal(done.versionId, 'null');
    // A single small part is fine (the last part may be any size).
    const one = await c.store.createMultipartUpload(b, 'one');
    const p = await c.store.uploadPart(b, 'one', one.uploadId, 1, bodyOf('tiny'));
    const r = await c.store.completeMultipartUpload(b, 'one', one.uploadId, [{ partNumber: 1, etag: p.etag }]);
    assert.equal(r.etag, `"${md5Hex(createHash('md5').update('tiny').digest())}-1"`);
    assert.equal((await readAll((await c.store.getObject(b, 'one')).body)).toString(), 'tiny');
  }, { timeout: 300_000 });

  it('multipart: abort removes the upload and its parts; NoSuchUpload afterwards', async (c) => {
    const b = await c.bucket();
    const { uploadId } = await c.store.createMultipartUpload(b, 'k');
    await c.store.uploadPart(b, 'k', uploadId, 1, bodyOf('part'));
    await c.store.abortMultipartUpload(b, 'k', uploadId);
    await rejectsCode(c.store.listParts(b, 'k', uploadId), 'NoSuchUpload');
    await rejectsCode(c.store.uploadPart(b, 'k', uploadId, 2, bodyOf('x')), 'NoSuchUpload');
    await rejectsCode(c.store.completeMultipartUpload(b, 'k', uploadId, [{ partNumber: 1, etag: quoted(md5Hex('part')) }]), 'NoSuchUpload');
    await rejectsCode(c.store.abortMultipartUpload(b, 'k', uploadId), 'NoSuchUpload');
    await rejectsCode(c.store.uploadPart(b, 'k', 'no-such-upload', 1, bodyOf('x')), 'NoSuchUpload');
    // An upload id is bound to its key.
    const other = await c.store.createMultipartUpload(b, 'other');
    await rejectsCode(c.store.uploadPart(b, 'k', other.uploadId, 1, bodyOf('x')), 'NoSuchUpload');
    assert.deepEqual((await c.store.listMultipartUploads(b)).uploads.map((u) => u.key), ['other']);
    await rejectsCode(c.store.headObject(b, 'k'), 'NoSuchKey');
    assert.deepEqual(await c.events(), []);
  });

  it('multipart: list parts pages by part-number marker; list uploads by prefix, delimiter and markers', async (c) => {
    const b = await c.bucket();
    const { uploadId } = await c.store.createMultipartUpload(b, 'a/one');
    for (const n of [1, 2, 5]) await c.store.uploadPart(b, 'a/one', uploadId, n, bodyOf(`part ${n}`));
    const page1 = await c.store.listParts(b, 'a/one', uploadId, { maxParts: 2 });
    assert.deepEqual(page1.parts.map((p) => p.partNumber), [1, 2]);
    assert.equal(page1.isTruncated, true);
    assert.equal(page1.nextPartNumberMarker, 2);
    const page2 = await c.store.listParts(b, 'a/one', uploadId, { partNumberMarker: page1.nextPartNumberMarker! });
    assert.deepEqual(page2.parts.map((p) => [p.partNumber, p.size]), [[5, 6]]);
    assert.equal(page2.isTruncated, false);
    assert.ok(page2.parts[0]!.lastModified instanceof Date);

    const second = await c.store.createMultipartUpload(b, 'a/one');
    const third = await c.store.createMultipartUpload(b, 'b/two');
    const all = await c.store.listMultipartUploads(b);
    assert.deepEqual(all.uploads.map((u) => u.key), ['a/one', 'a/one', 'b/two']);
    assert.deepEqual(new Set(all.uploads.slice(0, 2).map((u) => u.uploadId)), new Set([uploadId, second.uploadId]));
    assert.ok(all.uploads.every((u) => u.initiated instanceof Date));
    assert.deepEqual((await c.store.listMultipartUploads(b, { prefix: 'b/' })).uploads.map((u) => u.uploadId), [third.uploadId]);
    const folded = await c.store.listMultipartUploads(b, { delimiter: '/' });
    assert.deepEqual(folded.commonPrefixes, ['a/', 'b/']);
    assert.deepEqual(folded.uploads, []);
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 10);
      const options: T.ListMultipartUploadsOptions = { maxUploads: 1 };
      if (keyMarker !== undefined) options.keyMarker = keyMarker;
      if (uploadIdMarker !== undefined) options.uploadIdMarker = uploadIdMarker;
      const page = await c.store.listMultipartUploads(b, options);
      seen.push(...page.uploads.map((u) => u.uploadId));
      if (!page.isTruncated) break;
      keyMarker = page.nextKeyMarker;
      uploadIdMarker = page.nextUploadIdMarker;
    }
    assert.deepEqual(seen, all.uploads.map((u) => u.uploadId));
  });
}

// ------------------------------------------------------------------------------------------------ bad input

function registerBadInputCases(it: It): void {
  const badKeys: Array<[string, string]> = [
    ['a/../b', 'InvalidObjectName'],
    ['../escape', 'InvalidObjectName'],
    ['a/./b', 'InvalidObjectName'],
    ['x\u0000y', 'InvalidObjectName'],
    ['k'.repeat(1025), 'KeyTooLongError'],
    ['\u00e9'.repeat(513), 'KeyTooLongError'],
  ];

  it('bad input: keys with ".." segments, NUL or over 1,024 bytes are refused everywhere; nothing changes', async (c) => {
    const b = await c.bucket('Enabled');
    await c.store.putObject(b, 'src', bodyOf('x'));
    await c.events();
    const before = await snapshot(c.store, b);
    for (const [key, code] of badKeys) {
      await rejectsCode(c.store.putObject(b, key, bodyOf('x')), code, 'Key');
      await rejectsCode(c.store.createMultipartUpload(b, key), code, 'Key');
      await rejectsCode(c.store.copyObject({ bucket: b, key: 'src' }, { bucket: b, key }), code);
      await rejectsCode(c.store.getObject(b, key), [code, 'NoSuchKey']);
      await rejectsCode(c.store.deleteObject(b, key), code);
    }
    assert.equal(await snapshot(c.store, b), before);
    assert.deepEqual(await c.events(), []);
    // The limit is 1,024 UTF-8 bytes, inclusive.
    await c.store.putObject(b, '\u00e9'.repeat(512), bodyOf('ok'));
    await c.store.putObject(b, 'k'.repeat(1024), bodyOf('ok'));
    assert.equal((await c.store.headObject(b, 'k'.repeat(1024))).size, 2);
  });

  it('bad input: a wrong Content-MD5 is BadDigest, a malformed one InvalidDigest; nothing changes', async (c) => {
    const b = await c.bucket('Enabled');
    await c.store.putObject(b, 'k', bodyOf('original'));
    await c.events();
    const before = await snapshot(c.store, b);
    await rejectsCode(c.store.putObject(b, 'k', bodyOf('data'), { contentMd5: md5Base64('other') }), 'BadDigest');
    await rejectsCode(c.store.putObject(b, 'new', bodyOf('data'), { contentMd5: md5Base64('other') }), 'BadDigest');
    await rejectsCode(c.store.putObject(b, 'k', bodyOf('data'), { contentMd5: 'not-base64!' }), 'InvalidDigest');
    assert.equal(await snapshot(c.store, b), before);
    assert.deepEqual(await c.events(), []);
    assert.equal((await readAll((await c.store.getObject(b, 'k')).body)).toString(), 'original');
    const ok = await c.store.putObject(b, 'k', bodyOf('data'), { contentMd5: md5Base64('data') });
    assert.equal(ok.etag, quoted(md5Hex('data')));
  });

  it('bad input: a wrong SHA-256 is XAmzContentSHA256Mismatch; nothing changes', async (c) => {
    const b = await c.bucket('Enabled');
    await c.store.putObject(b, 'k', bodyOf('original'));
    await c.events();
    const before = await snapshot(c.store, b);
    await rejectsCode(c.store.putObject(b, 'k', bodyOf('data'), { sha256: sha256Hex('other') }), 'XAmzContentSHA256Mismatch');
    assert.equal(await snapshot(c.store, b), before);
    assert.deepEqual(await c.events(), []);
    const ok = await c.store.putObject(b, 'k', bodyOf('data'), { sha256: sha256Hex('data') });
    assert.equal(ok.sha256, sha256Hex('data'));
  });

  it('bad input: a body shorter than its declared length is IncompleteBody; nothing changes', async (c) => {
    const b = await c.bucket('Enabled');
    await c.store.putObject(b, 'k', bodyOf('original'));
    await c.events();
    const before = await snapshot(c.store, b);
    await rejectsCode(c.store.putObject(b, 'k', bodyOf('0123456789'), { contentLength: 100 }), 'IncompleteBody');
    await rejectsCode(c.store.putObject(b, 'k2', bodyOf(), { contentLength: 1 }), 'IncompleteBody');
    assert.equal(await snapshot(c.store, b), before);
    assert.deepEqual(await c.events(), []);
  });

  it('bad input: a body longer than its declared length is refused; nothing changes', async (c) => {
    const b = await c.bucket();
    const before = await snapshot(c.store, b);
    await rejectsCode(c.store.putObject(b, 'k', bodyOf('0123456789'), { contentLength: 5 }), ['IncompleteBody', 'InvalidRequest', 'BadDigest']);
    assert.equal(await snapshot(c.store, b), before);
    assert.deepEqual(await c.events(), []);
  });

  it('bad input: a stream that fails midway stores nothing', async (c) => {
    const b = await c.bucket();
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(1000, 1);
      throw new Error('client went away');
    }
    await rejectsCode(c.store.putObject(b, 'k', failing()), ['IncompleteBody', 'InternalError']);
    await rejectsCode(c.store.headObject(b, 'k'), 'NoSuchKey');
    assert.deepEqual(await c.events(), []);
  });

  it('bad input: a bad part (digest, length, number) leaves the upload parts unchanged', async (c) => {
    const b = await c.bucket();
    const { uploadId } = await c.store.createMultipartUpload(b, 'k');
    const good = await c.store.uploadPart(b, 'k', uploadId, 1, bodyOf('good part'));
    const before = await snapshot(c.store, b);
    await rejectsCode(c.store.uploadPart(b, 'k', uploadId, 1, bodyOf('bad'), { contentMd5: md5Base64('other') }), 'BadDigest');
    await rejectsCode(c.store.uploadPart(b, 'k', uploadId, 1, bodyOf('bad'), { sha256: sha256Hex('other') }), 'XAmzContentSHA256Mismatch');
    await rejectsCode(c.store.uploadPart(b, 'k', uploadId, 1, bodyOf('bad'), { contentLength: 10 }), 'IncompleteBody');
    for (const n of [0, 10_001, 1.5, -1]) await rejectsCode(c.store.uploadPart(b, 'k', uploadId, n, bodyOf('x')), 'InvalidArgument');
    assert.equal(await snapshot(c.store, b), before);
    const parts = await c.store.listParts(b, 'k', uploadId);
    assert.deepEqual(parts.parts.map((p) => p.etag), [good.etag]);
  });
}

// ------------------------------------------------------------------------------------------------ events

function registerEventCases(it: It): void {
  it('events: every version created or deleted emits exactly one event in S3 EventBridge shape', async (c) => {
    const b = await c.bucket('Enabled');
    const plain = await c.bucket();
    const ctx = { requester: '123456789012', requestId: 'REQ-CONFORMANCE-1', sourceIp: '192.0.2.10' };
    const v1 = await c.store.putObject(b, 'k', bodyOf('one'), ctx);
    const v2 = await c.store.putObject(b, 'k', bodyOf('two!'));
    const copied = await c.store.copyObject({ bucket: b, key: 'k' }, { bucket: b, key: 'copy' }, { sourceVersionId: v1.versionId });
    const { uploadId } = await c.store.createMultipartUpload(b, 'mp');
    const part = await c.store.uploadPart(b, 'mp', uploadId, 1, bodyOf('part'));
    const done = await c.store.completeMultipartUpload(b, 'mp', uploadId, [{ partNumber: 1, etag: part.etag }]);
    const marker = await c.store.deleteObject(b, 'k');
    await c.store.deleteObject(b, 'k', { versionId: v1.versionId });
    await c.store.deleteObject(b, 'k', { versionId: marker.versionId! });
    const u = await c.store.putObject(plain, 'u', bodyOf('plain'));
    const u2 = await c.store.putObject(plain, 'u', bodyOf('plain2'));
    await c.store.deleteObject(plain, 'u');
    const events = await c.events();
    assertEvents(events, [
      { type: 'Object Created', bucket: b, key: 'k', versionId: v1.versionId, reason: 'PutObject', size: 3, etag: v1.etag },
      { type: 'Object Created', bucket: b, key: 'k', versionId: v2.versionId, reason: 'PutObject', size: 4, etag: v2.etag },
      { type: 'Object Created', bucket: b, key: 'copy', versionId: copied.versionId, reason: 'CopyObject', size: 3, etag: copied.etag },
      { type: 'Object Created', bucket: b, key: 'mp', versionId: done.versionId, reason: 'CompleteMultipartUpload', size: 4, etag: done.etag },
      { type: 'Object Deleted', bucket: b, key: 'k', versionId: marker.versionId!, reason: 'DeleteObject', deletionType: 'Delete Marker Created' },
      { type: 'Object Deleted', bucket: b, key: 'k', versionId: v1.versionId, reason: 'DeleteObject', deletionType: 'Permanently Deleted' },
      { type: 'Object Deleted', bucket: b, key: 'k', versionId: marker.versionId!, reason: 'DeleteObject', deletionType: 'Permanently Deleted' },
      { type: 'Object Created', bucket: plain, key: 'u', versionId: 'null', reason: 'PutObject', size: 5, etag: u.etag },
      { type: 'Object Created', bucket: plain, key: 'u', versionId: 'null', reason: 'PutObject', size: 6, etag: u2.etag },
      { type: 'Object Deleted', bucket: plain, key: 'u', versionId: 'null', reason: 'DeleteObject', deletionType: 'Permanently Deleted' },
    ]);
    const first = events[0]!.detail as Record<string, any>;
    assert.equal(first.requester, ctx.requester);
    assert.equal(first['request-id'], ctx.requestId);
    assert.equal(first['source-ip-address'], ctx.sourceIp);
    assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'every event has its own id');
    // No event twice: a later flush finds nothing new.
    assert.deepEqual(await c.events(), []);
  });

  it('events: sequencers grow for one key in the order of the changes', async (c) => {
    const b = await c.bucket('Enabled');
    for (let i = 0; i < 5; i++) await c.store.putObject(b, 'k', bodyOf(`v${i}`));
    await c.store.deleteObject(b, 'k');
    const events = await c.events();
    assert.equal(events.length, 6);
    const seqs = events.map((e) => (e.detail as { object: { sequencer: string } }).object.sequencer);
    for (let i = 1; i < seqs.length; i++) assert.ok(sequencerLess(seqs[i - 1]!, seqs[i]!), `${seqs[i - 1]} < ${seqs[i]}`);
  });

  it('events: concurrent writes each emit exactly one event', async (c) => {
    const b = await c.bucket('Enabled');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => c.store.putObject(b, `k${i % 5}`, bodyOf(`body ${i}`))));
    const events = await c.events();
    assert.equal(events.length, 20);
    const byVersion = new Map(events.map((e) => [(e.detail as { object: { 'version-id': string } }).object['version-id'], e]));
    for (const r of results) assert.ok(byVersion.has(r.versionId), `event for ${r.versionId}`);
  });
}
