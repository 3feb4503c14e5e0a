/**
 * What the S3 adapter adds beyond the conformance suite (test/integration/store/s3-adapter.test.ts runs that against
 * moto, Ceph RGW and a Reflow endpoint): the bucket prefix, where the SHA-256 lives and how a missing one is repaired,
 * bodies over the single-PUT limit, the spool, reserved metadata names, an unreachable service, events the bus
 * refused at first, and the pure pieces (identity, wire mapping, options). Against a real moto server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectTaggingCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SqliteEventBus } from '../../bus/sqlite/index.js';
import type { EventEnvelope } from '../../bus/types.js';
import { ReflowError } from '../../errors.js';
import { startMoto, unavailable, type S3Service } from '../../../test/integration/store/s3-adapter-servers.js';
import { eventIdFor, isNullVersionKey, sequencer, versionKey } from './identity.js';
import { compileS3Options } from './options.js';
import { S3ObjectStore } from './s3-object-store.js';
import { mapError, partsCountOf, quoteEtag, rangeHeader, splitMetadata, joinMetadata, versionsOf } from './wire.js';

const MiB = 1024 * 1024;
const body = (...pieces: Array<string | Buffer>) => Readable.from(pieces.map((p) => Buffer.from(p)));
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

describe('S3 adapter: pure pieces', () => {
  test('event ids are UUID-shaped, deterministic, and differ by store, bucket, key, version and kind', () => {
    const id = eventIdFor('http://s3', 'b', 'k', 'v1', 'created');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(eventIdFor('http://s3', 'b', 'k', 'v1', 'created'), id);
    const others = [
      eventIdFor('http://other', 'b', 'k', 'v1', 'created'),
      eventIdFor('http://s3', 'c', 'k', 'v1', 'created'),
      eventIdFor('http://s3', 'b', 'j', 'v1', 'created'),
      eventIdFor('http://s3', 'b', 'k', 'v2', 'created'),
      eventIdFor('http://s3', 'b', 'k', 'v1', 'purged'),
    ];
    assert.equal(new Set([id, ...others]).size, 6);
  });

  test('the null version is named by its time to the second and its ETag; others by their version id', () => {
    const t = new Date('2026-11-25T10:00:00.750Z');
    assert.equal(versionKey('abc', t, '"e"'), 'abc');
    assert.equal(versionKey('null', t, '"e1"'), `null:${Math.floor(t.getTime() / 1000)}:e1`);
    // HEAD has second precision, listings (RGW) milliseconds: both name the same version.
    assert.equal(versionKey('null', new Date('2026-11-25T10:00:00.000Z'), 'e1'), versionKey('null', t, '"e1"'));
    assert.notEqual(versionKey('null', t, 'e1'), versionKey('null', t, 'e2'));
    assert.ok(isNullVersionKey(versionKey('null', t, 'e1')) && !isNullVersionKey('abc'));
  });

  test('sequencers are hex, grow with time, then with the tiebreak', () => {
    const a = sequencer(new Date(1000), 5);
    const b = sequencer(new Date(1000), 6);
    const c = sequencer(new Date(1001), 0);
    assert.match(a, /^[0-9a-f]{20}$/);
    assert.ok(a < b && b < c);
  });

  test('remote errors become ReflowErrors with S3 codes, the SDK error kept as cause', () => {
    const sdk = (name: string, status?: number, message = 'UnknownError') => Object.assign(new Error(message), { name, $metadata: status === undefined ? {} : { httpStatusCode: status } });
    const cases: Array<[unknown, Parameters<typeof mapError>[1], string, string | undefined]> = [
      [sdk('NoSuchKey', 404), { key: 'k' }, 'NoSuchKey', 'Key'],
      [sdk('NoSuchKey', 404), { key: 'k', versionId: 'v', notFound: 'NoSuchVersion' }, 'NoSuchVersion', 'VersionId'],
      [sdk('NoSuchKey', 404), { notFound: 'NoSuchUpload' }, 'NoSuchUpload', 'UploadId'],
      [sdk('NotFound', 404), { notFound: 'NoSuchBucket' }, 'NoSuchBucket', 'Bucket'],
      [sdk('NotFound', 404), {}, 'NoSuchKey', 'Key'],
      [sdk('Forbidden', 403), {}, 'AccessDenied', undefined],
      [sdk('SignatureDoesNotMatch', 403), {}, 'SignatureDoesNotMatch', undefined],
      [sdk('PreconditionFailed', 412), {}, 'PreconditionFailed', undefined],
      [sdk('304', 304), {}, 'NotModified', undefined],
      [sdk('Unknown', 416), {}, 'InvalidRange', 'Range'],
      [sdk('SlowDown', 503), {}, 'ServiceUnavailable', undefined],
      [sdk('Whatever', 500), {}, 'InternalError', undefined],
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), {}, 'ServiceUnavailable', undefined],
    ];
    for (const [err, context, code, field] of cases) {
      const mapped = mapError(err, context);
      assert.ok(mapped instanceof ReflowError);
      assert.equal(mapped.code, code, `${(err as Error).name} -> ${code}`);
      assert.equal(mapped.field, field, `field of ${code}`);
      assert.equal(mapped.cause, err);
      assert.ok(mapped.message && mapped.message !== 'UnknownError', 'a message even when the server sent none (RGW)');
    }
    const own = new ReflowError('NoSuchKey', 'x');
    assert.equal(mapError(own), own);
  });

  test('ETags, ranges, metadata and listings as the wire has them', () => {
    assert.equal(quoteEtag('abc-2'), '"abc-2"'); // RGW's CopyObject answers bare ETags
    assert.equal(quoteEtag('"abc"'), '"abc"');
    assert.equal(quoteEtag(''), '');
    assert.equal(partsCountOf('"abc-12"'), 12);
    assert.equal(partsCountOf('"abc"'), undefined);
    assert.equal(rangeHeader({ start: 2, end: 5 }), 'bytes=2-5');
    assert.equal(rangeHeader({ start: 7 }), 'bytes=7-');
    assert.equal(rangeHeader({ suffix: 3 }), 'bytes=-3');
    for (const bad of [{ suffix: 0 }, { start: -1 }, { start: 5, end: 2 }, { start: 1.5 }]) {
      assert.throws(() => rangeHeader(bad as never), (e: ReflowError) => e.code === 'InvalidRange' && e.field === 'Range');
    }
    const joined = joinMetadata({ Site: 'lab' }, 'a'.repeat(64), { CRC32: 'x==' }, undefined);
    assert.deepEqual(joined, { site: 'lab', 'reflow-sha256': 'a'.repeat(64), 'reflow-checksum-crc32': 'x==', 'reflow-no-content-type': '1' });
    assert.deepEqual(splitMetadata(joined), { metadata: { site: 'lab' }, sha256: 'a'.repeat(64), checksums: { CRC32: 'x==' }, noContentType: true });
    for (const reserved of ['reflow-sha256', 'Reflow-Checksum-CRC32', 'reflow-no-content-type']) {
      assert.throws(() => joinMetadata({ [reserved]: 'forged' }, undefined, undefined), (e: ReflowError) => e.code === 'InvalidArgument' && e.field === `Metadata.${reserved}`);
    }
    // The SDK splits versions and delete markers; merged back in S3's order (UTF-8 bytes, latest first).
    const t = (s: number) => new Date(s * 1000);
    const merged = versionsOf({
      Versions: [{ Key: 'c\u{1f600}', VersionId: 'v3', IsLatest: true, LastModified: t(3) }, { Key: 'b', VersionId: 'v1', IsLatest: false, LastModified: t(1) }, { Key: 'c\uffff', VersionId: 'v4', IsLatest: true, LastModified: t(4) }],
      DeleteMarkers: [{ Key: 'b', VersionId: 'm2', IsLatest: true, LastModified: t(2) }],
    });
    assert.deepEqual(merged.map((v) => [v.key, v.versionId, v.deleteMarker]), [['b', 'm2', true], ['b', 'v1', false], ['c\uffff', 'v4', false], ['c\u{1f600}', 'v3', false]]);
  });

  test('configuration is checked once, naming the field', () => {
    const bus = { putEvents: async () => ({ FailedEntryCount: 0, Entries: [] }) } as never;
    const bad: Array<[Record<string, unknown>, string]> = [
      [{}, 'bus'],
      [{ bus, endpoint: 'ftp://x' }, 'endpoint'],
      [{ bus, bucketPrefix: 'Upper' }, 'bucketPrefix'],
      [{ bus, partSize: 1024 }, 'partSize'],
      [{ bus, concurrency: 0 }, 'concurrency'],
      [{ bus, scan: { statePath: '' } }, 'scan.statePath'],
      [{ bus, scan: { statePath: 'x', intervalMs: -1 } }, 'scan.intervalMs'],
    ];
    for (const [options, field] of bad) {
      assert.throws(() => compileS3Options(options as never), (e: ReflowError) => e.code === 'InvalidConfiguration' && e.field === field, field);
    }
    const compiled = compileS3Options({ bus, endpoint: 'http://127.0.0.1:9000' });
    assert.equal(compiled.forcePathStyle, true);
    assert.equal(compiled.storeId, 'http://127.0.0.1:9000');
    assert.equal(compiled.scan, undefined);
  });
});

// ------------------------------------------------------------------------------------------------ against moto

let moto: S3Service | string;
try {
  moto = await startMoto();
} catch (err) {
  moto = unavailable('moto (python3 -m moto.server)', (err as Error).message);
}

describe('S3 adapter against moto', { skip: typeof moto === 'string' ? moto : false }, () => {
  const service = moto as S3Service;
  const dirs: string[] = [];
  let bus: SqliteEventBus;
  let raw: S3Client;
  const received: EventEnvelope[] = [];
  const open = (extra: Partial<Parameters<typeof S3ObjectStore.open>[0]> = {}) =>
    S3ObjectStore.open({ bus, endpoint: service.endpoint, credentials: service.credentials, onError: () => undefined, ...extra });
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'reflow-s3-unit-'));
    dirs.push(d);
    return d;
  };

  before(async () => {
    bus = SqliteEventBus.open({ path: ':memory:' });
    bus.registerHandler('collect', (_p, ctx) => void received.push(ctx.event));
    await bus.putRule({ Name: 'all', EventPattern: JSON.stringify({ source: ['aws.s3'] }) });
    await bus.putTargets({ Rule: 'all', Targets: [{ Id: 'c', Arn: 'arn:reflow:handler:collect' }] });
    raw = new S3Client({ endpoint: service.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: service.credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
  });
  after(async () => {
    raw?.destroy();
    await bus?.close();
    await service.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('a bucket prefix maps port buckets onto remote ones; other remote buckets stay invisible', async () => {
    const store = open({ bucketPrefix: 'team-a-' });
    await raw.send(new CreateBucketCommand({ Bucket: 'someone-elses' }));
    await store.createBucket('data');
    await raw.send(new HeadBucketCommand({ Bucket: 'team-a-data' })); // the remote bucket has the prefixed name
    assert.deepEqual((await store.listBuckets()).map((b) => b.name), ['data']);
    received.length = 0;
    await store.putObject('data', 'k', body('x'));
    await store.flushEvents();
    await bus.drain();
    const detail = received[0]!.detail as { bucket: { name: string } };
    assert.equal(detail.bucket.name, 'data', 'events name the port bucket');
    assert.deepEqual(received[0]!.resources, ['arn:aws:s3:::data']);
    // A name that is valid alone but too long once prefixed is refused before anything is sent.
    await assert.rejects(store.createBucket('x'.repeat(60)), (e: ReflowError) => e.code === 'InvalidBucketName' && e.field === 'Bucket');
    await store.close();
  });

  test('the SHA-256 of an object written behind Reflow\'s back is computed once and kept as its tag', async () => {
    const store = open();
    await store.createBucket('foreign');
    const data = Buffer.from('written by another client');
    await raw.send(new PutObjectCommand({ Bucket: 'foreign', Key: 'f', Body: data }));
    const info = await store.headObject('foreign', 'f');
    assert.equal(info.sha256, sha256(data));
    const tags = await raw.send(new GetObjectTaggingCommand({ Bucket: 'foreign', Key: 'f' }));
    assert.deepEqual(tags.TagSet, [{ Key: 'reflow-sha256', Value: sha256(data) }]);
    // Another store (another process) reads the tag; the listing has it too.
    const other = open();
    assert.equal((await other.getObject('foreign', 'f')).info.sha256, sha256(data));
    assert.equal((await other.listObjects('foreign')).contents[0]!.sha256, sha256(data));
    await other.close();
    await store.close();
  });

  test('bodies above the single-PUT limit go multipart from the spool, with the digest in metadata', async () => {
    const spoolDir = tempDir();
    const store = open({ memoryBufferBytes: 64 * 1024, spoolDir, partSize: 5 * MiB });
    store.singlePutMaxBytes = 6 * MiB;
    await store.createBucket('big');
    const data = Buffer.alloc(11 * MiB + 7);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 0xff;
    const put = await store.putObject('big', 'b', body(data.subarray(0, 3 * MiB), data.subarray(3 * MiB)), { contentType: 'application/x-big' });
    assert.match(put.etag, /^"[0-9a-f]{32}-3"$/, 'three parts of 5, 5 and 1 MiB');
    assert.equal(put.sha256, sha256(data));
    const head = await raw.send(new HeadObjectCommand({ Bucket: 'big', Key: 'b' }));
    assert.equal(head.Metadata?.['reflow-sha256'], sha256(data));
    const info = await store.headObject('big', 'b');
    assert.deepEqual([info.size, info.partsCount, info.contentType], [data.length, 3, 'application/x-big']);
    assert.ok((await readAll((await store.getObject('big', 'b')).body)).equals(data));
    assert.deepEqual(readdirSync(spoolDir), [], 'the spool file is gone');
    // A body small enough stays in memory: nothing is written to the spool directory.
    await store.putObject('big', 'small', body('tiny'));
    assert.deepEqual(readdirSync(spoolDir), []);
    await store.close();
  });

  test('a multipart upload through the port gets its SHA-256 tag once completed', async () => {
    const store = open();
    await store.createBucket('mpu');
    const { uploadId } = await store.createMultipartUpload('mpu', 'm');
    const part = await store.uploadPart('mpu', 'm', uploadId, 1, body('only part'));
    const done = await store.completeMultipartUpload('mpu', 'm', uploadId, [{ partNumber: 1, etag: part.etag }]);
    assert.equal(done.sha256, sha256('only part'));
    assert.equal(done.etag, `"${md5(createHash('md5').update('only part').digest())}-1"`);
    const tags = await raw.send(new GetObjectTaggingCommand({ Bucket: 'mpu', Key: 'm' }));
    assert.equal(tags.TagSet?.find((t) => t.Key === 'reflow-sha256')?.Value, sha256('only part'));
    await store.close();
  });

  test('copying the null version of a versioned bucket copies that version, not the latest', async () => {
    const store = open();
    await store.createBucket('nullcopy');
    await store.putObject('nullcopy', 'k', body('before versioning'));
    await store.putBucketVersioning('nullcopy', 'Enabled');
    await store.putObject('nullcopy', 'k', body('latest'));
    const copy = await store.copyObject({ bucket: 'nullcopy', key: 'k' }, { bucket: 'nullcopy', key: 'restored' }, { sourceVersionId: 'null' });
    assert.equal(copy.sourceVersionId, 'null');
    assert.equal((await readAll((await store.getObject('nullcopy', 'restored')).body)).toString(), 'before versioning');
    await store.close();
  });

  test('Reflow\'s metadata names are reserved; a caller cannot forge a digest', async () => {
    const store = open();
    await store.createBucket('reserved');
    await assert.rejects(store.putObject('reserved', 'k', body('x'), { metadata: { 'reflow-sha256': 'f'.repeat(64) } }), (e: ReflowError) => e.code === 'InvalidArgument' && e.field === 'Metadata.reflow-sha256');
    await assert.rejects(store.createMultipartUpload('reserved', 'k', { metadata: { 'reflow-no-content-type': '1' } }), (e: ReflowError) => e.code === 'InvalidArgument');
    assert.deepEqual((await store.listObjects('reserved')).contents, []);
    await store.close();
  });

  test('Expires is stored verbatim, not re-serialised by the SDK', async () => {
    const store = open();
    await store.createBucket('expires');
    await store.putObject('expires', 'k', body('x'), { expires: 'Thu, 01 Dec 1994 16:00:00 GMT' });
    assert.equal((await store.headObject('expires', 'k')).expires, 'Thu, 01 Dec 1994 16:00:00 GMT');
    await store.close();
  });

  test('an unreachable service is ServiceUnavailable, the SDK error kept as cause', async () => {
    const store = open({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    await assert.rejects(store.headBucket('anything'), (e: ReflowError) => e.code === 'ServiceUnavailable' && e.httpStatus === 503 && e.cause instanceof Error);
    await store.close();
  });

  test('an event the bus refuses at first is retried and lands once when the bus is there', async () => {
    const store = open({ eventBusName: 'later' });
    await store.createBucket('retry');
    const put = await store.putObject('retry', 'k', body('x'));
    await assert.rejects(store.flushEvents(100), (e: ReflowError) => e.code === 'InternalError', 'the bus "later" does not exist yet');
    await bus.createEventBus({ Name: 'later' });
    await store.flushEvents(5_000);
    const tail = bus.tail({ EventBusName: 'later', After: 0 });
    const ids: string[] = [];
    for await (const item of tail) {
      ids.push((item.Event.detail as { object: { 'version-id': string } }).object['version-id']);
      break;
    }
    await tail.close();
    assert.deepEqual(ids, [put.versionId]);
    await store.close();
  });

  test('without a scanner, scanNow() says so', async () => {
    const store = open();
    await assert.rejects(store.scanNow(), (e: ReflowError) => e.code === 'InvalidConfiguration' && e.field === 'scan');
    await store.close();
  });
});
