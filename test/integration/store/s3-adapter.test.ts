/**
 * The S3 adapter against S3 services Reflow did not write: the one store conformance suite over (a) moto, (b) Ceph
 * RadosGW, a production S3 server that checks SigV4, and (c) a second Reflow S3 endpoint backed by the local
 * adapter; then the change scanner against moto and RGW, with writes made behind the adapter's back by a plain
 * S3Client, an event lost between the remote write and the bus, and a writer process killed mid-work.
 *
 * (d) The issue names s3rver (npm) for the unversioned subset. It is not installed, and ../shared/S3.md records why
 * it adds nothing here: it has no versioning, no ListParts/Abort and no signature check, all of which moto and RGW
 * have, so the unversioned cases run against both of them instead (a documented deviation).
 *
 * Services start once per run (RGW takes ~15 s and only one can run per machine) and stop by PID after the last
 * case. `REFLOW_S3_TARGETS=moto,rgw,reflow` (default all) narrows a local run; CI runs all three.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { SqliteEventBus } from '../../../src/bus/sqlite/index.js';
import type { EventBus } from '../../../src/bus/port.js';
import type { EventEnvelope } from '../../../src/bus/types.js';
import { runObjectStoreConformance, type ObjectStoreHarness } from '../../../src/store/conformance.js';
import { S3ObjectStore, type S3ObjectStoreOptions } from '../../../src/store/s3/index.js';
import { startEndpoint, ACCESS_KEY_ID, SECRET_ACCESS_KEY } from './s3-endpoint.js';
import { rgwMissing, startMoto, startRgw, unavailable, type S3Service } from './s3-adapter-servers.js';

type Service = Pick<S3Service, 'name' | 'endpoint' | 'credentials' | 'reset'>;

const targets = new Set((process.env.REFLOW_S3_TARGETS ?? 'moto,rgw,reflow').split(',').map((t) => t.trim()));
const running: Array<{ stop(): Promise<void> }> = [];

async function start<S extends { stop(): Promise<void> }>(target: string, what: string, missing: string | undefined, starter: () => Promise<S>): Promise<S | string> {
  if (!targets.has(target)) return `${target} is not in REFLOW_S3_TARGETS`;
  if (missing !== undefined) return unavailable(what, missing);
  try {
    const s = await starter();
    running.push(s);
    return s;
  } catch (err) {
    return unavailable(what, (err as Error).message);
  }
}

const moto = await start('moto', 'moto (python3 -m moto.server)', undefined, startMoto);
const rgw = await start('rgw', 'Ceph RadosGW (../shared/s3/rgw-up.sh)', rgwMissing(), startRgw);
const endpoint = targets.has('reflow') ? await startEndpoint() : undefined;
if (endpoint) running.push({ stop: () => endpoint.close() });

function storeOptions(service: Service, bus: EventBus, extra: Partial<S3ObjectStoreOptions> = {}): S3ObjectStoreOptions {
  return { bus, endpoint: service.endpoint, region: 'us-east-1', credentials: service.credentials, forcePathStyle: true, onError: () => undefined, ...extra };
}

/** The conformance harness: a fresh store and in-memory bus per case over one long-lived service. */
function harness(service: Service, extra: Partial<ObjectStoreHarness>): ObjectStoreHarness {
  return {
    async open() {
      // moto: wiped between cases (its state only grows otherwise); every case still uses buckets of its own.
      await service.reset?.();
      const bus = SqliteEventBus.open({ path: ':memory:' });
      return { store: S3ObjectStore.open(storeOptions(service, bus)), bus };
    },
    async close({ store, bus }) {
      await store.close();
      await bus.close();
    },
    ...extra,
  };
}

const MOTO_SUSPENDED = 'moto 5.2 treats a Suspended bucket as unversioned (a null-version put drops the older versions, a delete adds no marker); RGW runs this case';
const MOTO_SKIPS: Record<string, string> = {
  'versioning: a suspended bucket writes null versions, replacing only the null one': MOTO_SUSPENDED,
  'delete: in a suspended bucket the marker has the null version id and replaces the null version': MOTO_SUSPENDED,
  'multipart: abort removes the upload and its parts; NoSuchUpload afterwards':
    'moto accepts UploadPart under another key than the upload was created for (S3 and RGW answer NoSuchUpload); RGW runs this case',
};

const RGW_SKIPS: Record<string, string> = {
  'delete: in a versioned bucket a delete marker hides the object; its versions stay':
    'RGW 16 adds no second delete marker when the latest version already is one (S3 and moto do); moto runs this case',
};

describe('S3 adapter', () => {
  after(async () => {
    for (const s of running.reverse()) await s.stop().catch(() => undefined);
  });

  // ---------------------------------------------------------------------------------------------- conformance

  if (typeof moto === 'string') test('S3ObjectStore conformance over moto', { skip: moto }, () => undefined);
  else runObjectStoreConformance('S3ObjectStore over moto', harness(moto, { skip: MOTO_SKIPS, bucketPrefix: 'moto', cleanup: false }));

  if (typeof rgw === 'string') test('S3ObjectStore conformance over Ceph RGW', { skip: rgw }, () => undefined);
  else runObjectStoreConformance('S3ObjectStore over Ceph RGW', harness(rgw, { skip: RGW_SKIPS, bucketPrefix: `rgw${randomBytes(2).toString('hex')}` }));

  if (!endpoint) test('S3ObjectStore conformance over a Reflow S3 endpoint', { skip: 'reflow is not in REFLOW_S3_TARGETS' }, () => undefined);
  else {
    if (endpoint.storeKind !== 'fs') console.warn(`NOTE: the Reflow endpoint runs over its ${endpoint.storeKind} test store: the local adapter (FsObjectStore) is not there yet`);
    const service: Service = { name: 'reflow', endpoint: endpoint.url, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY } };
    runObjectStoreConformance(`S3ObjectStore over a Reflow S3 endpoint (${endpoint.storeKind} store)`, harness(service, { bucketPrefix: 'reflow' }));
  }

  // ---------------------------------------------------------------------------------------------- the scanner

  for (const service of [moto, rgw]) {
    if (typeof service === 'string') continue;
    describe(`change scanner over ${service.name}`, () => scannerCases(service));
  }
});

/** Every aws.s3 event on the bus so far, in log order (read up to a sentinel put last). */
async function s3Events(bus: EventBus): Promise<EventEnvelope[]> {
  const sentinel = randomUUID();
  const tail = bus.tail({ After: 0 });
  await bus.putEvents({ Entries: [{ Source: 'reflow.test', DetailType: 'sentinel', Detail: JSON.stringify({ sentinel }) }] });
  const out: EventEnvelope[] = [];
  for await (const item of tail) {
    const e = item.Event;
    if (e.source === 'reflow.test' && (e.detail as { sentinel?: string }).sentinel === sentinel) break;
    if (e.source === 'aws.s3') out.push(e);
  }
  await tail.close();
  return out;
}

interface Seen {
  type: string;
  bucket: string;
  key: string;
  versionId: string;
  deletionType?: string;
}

function summary(e: EventEnvelope): Seen {
  const d = e.detail as { bucket: { name: string }; object: { key: string; 'version-id': string }; 'deletion-type'?: string };
  const s: Seen = { type: e['detail-type'], bucket: d.bucket.name, key: d.object.key, versionId: d.object['version-id'] };
  if (d['deletion-type'] !== undefined) s.deletionType = d['deletion-type'];
  return s;
}

const body = (text: string) => Readable.from([Buffer.from(text)]);
const byIdentity = (a: Seen, b: Seen) => JSON.stringify(a).localeCompare(JSON.stringify(b));

function scannerCases(service: Service): void {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'reflow-s3-scan-'));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const direct = () =>
    new S3Client({ endpoint: service.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: service.credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const prefix = () => `scan${randomBytes(3).toString('hex')}-`;
  const put = async (s3: S3Client, bucket: string, key: string, body: string) => (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))).VersionId ?? 'null';

  test('changes made behind Reflow\'s back get exactly one event each; a rescan and a restart add none', async () => {
    const dir = tempDir();
    const p = prefix();
    const s3 = direct();
    const vers = `${p}vers`;
    const plain = `${p}plain`;
    const outside = `other${randomBytes(3).toString('hex')}`;
    for (const b of [vers, plain, outside]) await s3.send(new CreateBucketCommand({ Bucket: b }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: vers, VersioningConfiguration: { Status: 'Enabled' } }));
    const k = [await put(s3, vers, 'k', 'one'), await put(s3, vers, 'k', 'two'), await put(s3, vers, 'k', 'three')];
    const m = await put(s3, vers, 'dir/m', 'm');
    const marker = (await s3.send(new DeleteObjectCommand({ Bucket: vers, Key: 'dir/m' }))).VersionId!;
    await put(s3, plain, 'u', 'first');
    await put(s3, plain, 'u', 'second'); // overwritten before any scan: only the current null version is there
    await put(s3, plain, 'w', 'w');
    await put(s3, outside, 'x', 'not under the prefix');

    const bus = SqliteEventBus.open({ path: join(dir, 'bus.db') });
    const statePath = join(dir, 'scan.db');
    let store = S3ObjectStore.open(storeOptions(service, bus, { bucketPrefix: p, scan: { statePath, intervalMs: 0 } }));
    const report = await store.scanNow();
    assert.equal(report.buckets, 2, 'only the buckets under the prefix');
    assert.deepEqual([report.created, report.markers, report.purged], [6, 1, 0]);
    const created = (await s3Events(bus)).map(summary);
    assert.deepEqual(created.sort(byIdentity), [
      ...k.map((v) => ({ type: 'Object Created', bucket: 'vers', key: 'k', versionId: v })),
      { type: 'Object Created', bucket: 'vers', key: 'dir/m', versionId: m },
      { type: 'Object Deleted', bucket: 'vers', key: 'dir/m', versionId: marker, deletionType: 'Delete Marker Created' },
      { type: 'Object Created', bucket: 'plain', key: 'u', versionId: 'null' },
      { type: 'Object Created', bucket: 'plain', key: 'w', versionId: 'null' },
    ].sort(byIdentity));

    const again = await store.scanNow();
    assert.deepEqual([again.created, again.markers, again.purged], [0, 0, 0]);
    await store.close();
    store = S3ObjectStore.open(storeOptions(service, bus, { bucketPrefix: p, scan: { statePath, intervalMs: 0 } }));
    const restarted = await store.scanNow();
    assert.deepEqual([restarted.created, restarted.markers, restarted.purged], [0, 0, 0]);
    assert.equal((await s3Events(bus)).length, created.length, 'no event twice across a restart');

    // Deleted for good behind Reflow's back; an overwrite of a null version is one Object Created, no deletion.
    await s3.send(new DeleteObjectCommand({ Bucket: vers, Key: 'k', VersionId: k[0] }));
    await s3.send(new DeleteObjectCommand({ Bucket: vers, Key: 'dir/m', VersionId: marker }));
    await s3.send(new DeleteObjectCommand({ Bucket: plain, Key: 'w' }));
    await put(s3, plain, 'u', 'third');
    const later = await store.scanNow();
    assert.deepEqual([later.created, later.markers, later.purged], [1, 0, 3]);
    const news = (await s3Events(bus)).slice(created.length).map(summary);
    assert.deepEqual(news.sort(byIdentity), [
      { type: 'Object Deleted', bucket: 'vers', key: 'k', versionId: k[0]!, deletionType: 'Permanently Deleted' },
      { type: 'Object Deleted', bucket: 'vers', key: 'dir/m', versionId: marker, deletionType: 'Permanently Deleted' },
      { type: 'Object Deleted', bucket: 'plain', key: 'w', versionId: 'null', deletionType: 'Permanently Deleted' },
      { type: 'Object Created', bucket: 'plain', key: 'u', versionId: 'null' },
    ].sort(byIdentity));
    const last = await store.scanNow();
    assert.deepEqual([last.created, last.markers, last.purged], [0, 0, 0]);
    await store.close();
    await bus.close();
    s3.destroy();
  });

  test('a listing spread over many pages is compared page by page, each version once', { timeout: 300_000 }, async () => {
    const dir = tempDir();
    const p = prefix();
    const s3 = direct();
    const bucket = `${p}many`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    // 1,100 versions: a key with 1,050 versions straddles the first page boundary (1,000), then 50 keys follow.
    // One at a time: moto loses versions of one key written concurrently.
    for (let i = 0; i < 1050; i++) await put(s3, bucket, 'hot', `v${i}`);
    for (let i = 0; i < 50; i++) await put(s3, bucket, `z${String(i).padStart(2, '0')}`, 'z');
    const bus = SqliteEventBus.open({ path: join(dir, 'bus.db') });
    const store = S3ObjectStore.open(storeOptions(service, bus, { bucketPrefix: p, scan: { statePath: join(dir, 'scan.db'), intervalMs: 0 } }));
    const report = await store.scanNow();
    assert.equal(report.listed, 1100);
    assert.equal(report.created, 1100);
    const events = await s3Events(bus);
    assert.equal(new Set(events.map((e) => summary(e).versionId)).size, 1100);
    const again = await store.scanNow();
    assert.deepEqual([again.listed, again.created, again.purged], [1100, 0, 0]);
    await store.close();
    await bus.close();
    s3.destroy();
  });

  test('an event lost between the remote write and the bus is put by the scanner exactly once', async () => {
    const dir = tempDir();
    const p = prefix();
    const statePath = join(dir, 'scan.db');
    const busPath = join(dir, 'bus.db');
    // The write succeeds on the remote, then the bus is gone (closed): the adapter keeps the event pending and the
    // process ends before it could retry, as a crash between the two steps would.
    const setup = SqliteEventBus.open({ path: busPath });
    const writer = S3ObjectStore.open(storeOptions(service, setup, { bucketPrefix: p }));
    await writer.createBucket('lost');
    await writer.putBucketVersioning('lost', 'Enabled');
    await setup.close();
    const put1 = await writer.putObject('lost', 'k', body('written, event lost'));
    await assert.rejects(writer.flushEvents(200), (err: { code?: string }) => err.code === 'InternalError');
    await writer.close();

    const bus = SqliteEventBus.open({ path: busPath });
    assert.deepEqual((await s3Events(bus)).map(summary), [], 'the event never reached the bus');
    let store = S3ObjectStore.open(storeOptions(service, bus, { bucketPrefix: p, scan: { statePath, intervalMs: 0 } }));
    // A write through a store with a scanner is recorded, so the scanner does not put it again.
    const put2 = await store.putObject('lost', 'k', body('through the adapter'));
    const report = await store.scanNow();
    assert.equal(report.created, 1, 'only the lost one');
    const events = (await s3Events(bus)).map(summary);
    assert.deepEqual(events.sort(byIdentity), [
      { type: 'Object Created', bucket: 'lost', key: 'k', versionId: put1.versionId },
      { type: 'Object Created', bucket: 'lost', key: 'k', versionId: put2.versionId },
    ].sort(byIdentity));
    assert.equal((await store.scanNow()).created, 0);
    await store.close();
    store = S3ObjectStore.open(storeOptions(service, bus, { bucketPrefix: p, scan: { statePath, intervalMs: 0 } }));
    assert.equal((await store.scanNow()).created, 0, 'nor after a restart');
    assert.equal((await s3Events(bus)).length, 2);
    await store.close();
    await bus.close();
  });

  test('a scanner that does not share the writer\'s state puts the same EventIds, which the bus keeps once', async () => {
    const dir = tempDir();
    const p = prefix();
    const bus = SqliteEventBus.open({ path: join(dir, 'bus.db') });
    const writer = S3ObjectStore.open(storeOptions(service, bus, { bucketPrefix: p }));
    await writer.createBucket('shared');
    const written = [];
    for (let i = 0; i < 3; i++) written.push(await writer.putObject('shared', `k${i}`, body(`v${i}`)));
    await writer.flushEvents();
    const scanner = S3ObjectStore.open(storeOptions(service, bus, { bucketPrefix: p, scan: { statePath: join(dir, 'other-scan.db'), intervalMs: 0 } }));
    const report = await scanner.scanNow();
    assert.equal(report.created, 3, 'the scanner knew none of them and put all three');
    const events = (await s3Events(bus)).map(summary);
    assert.equal(events.length, 3, 'the bus appended each EventId once');
    await writer.close();
    await scanner.close();
    await bus.close();
  });

  test('periodic scans find a change without scanNow()', async () => {
    const dir = tempDir();
    const p = prefix();
    const s3 = direct();
    await s3.send(new CreateBucketCommand({ Bucket: `${p}tick` }));
    const bus = SqliteEventBus.open({ path: join(dir, 'bus.db') });
    const store = S3ObjectStore.open(storeOptions(service, bus, { bucketPrefix: p, scan: { statePath: join(dir, 'scan.db'), intervalMs: 100 } }));
    const tail = bus.tail({ After: 0, EventPattern: JSON.stringify({ source: ['aws.s3'] }) });
    await put(s3, `${p}tick`, 'found', 'by the timer');
    const timeout = setTimeout(() => void tail.close(), 20_000);
    let seen: Seen | undefined;
    for await (const item of tail) {
      seen = summary(item.Event);
      break;
    }
    clearTimeout(timeout);
    assert.deepEqual(seen, { type: 'Object Created', bucket: 'tick', key: 'found', versionId: 'null' });
    await store.close();
    await bus.close();
    s3.destroy();
  });

  test('a writer killed mid-work (SIGKILL): after a scan every version has exactly one event', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const p = prefix();
    const busPath = join(dir, 'bus.db');
    const s3 = direct();
    const bucket = `${p}crash`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    await SqliteEventBus.open({ path: busPath }).close(); // creates the bus file and its default bus
    const script = fileURLToPath(new URL('./s3-adapter-writer.js', import.meta.url));
    const child = spawn(process.execPath, [script, JSON.stringify({ endpoint: service.endpoint, credentials: service.credentials, bucket: 'crash', bucketPrefix: p, busPath })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: string[] = [];
    let errors = '';
    child.stderr!.on('data', (c: Buffer) => (errors += c.toString()));
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stdout!.on('data', (c: Buffer) => {
        buffered += c.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) if (line.startsWith('ACK ')) acked.push(line.split(' ')[2]!);
        // Killed while eight puts are in flight: some are on the remote without their event.
        if (acked.length >= 60 && child.exitCode === null) child.kill('SIGKILL');
      });
      child.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited ${code}: ${errors.slice(-800)}`))));
    });
    // Requests the writer had sent may still complete on the server after the kill: wait until the listing settles.
    const list = async () => ((await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }))).Versions ?? []).map((v) => v.VersionId!).sort();
    let versions = await list();
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const again = await list();
      if (again.join() === versions.join()) break;
      versions = again;
    }
    assert.ok(versions.length >= acked.length, 'every acknowledged put is on the remote');
    for (const v of acked) assert.ok(versions.includes(v), `acknowledged ${v} is listed`);

    const bus = SqliteEventBus.open({ path: busPath });
    const before = (await s3Events(bus)).map(summary);
    for (const v of acked) assert.ok(before.some((e) => e.versionId === v), `acknowledged ${v} had its event before the crash`);
    const store = S3ObjectStore.open(storeOptions(service, bus, { bucketPrefix: p, scan: { statePath: join(dir, 'scan.db'), intervalMs: 0 } }));
    await store.scanNow();
    const after = (await s3Events(bus)).map(summary);
    const perVersion = new Map<string, number>();
    for (const e of after) perVersion.set(e.versionId, (perVersion.get(e.versionId) ?? 0) + 1);
    assert.deepEqual([...perVersion.keys()].sort(), [...versions].sort(), 'an event for every version, none for anything else');
    assert.ok([...perVersion.values()].every((n) => n === 1), 'exactly one event per version');
    await store.close();
    await bus.close();
    s3.destroy();
  });
}
