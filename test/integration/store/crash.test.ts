/**
 * Crash safety of the store, end to end: a real `reflow up` child process (bus, local store, S3 endpoint) takes 20
 * concurrent uploads through `@aws-sdk/client-s3` (single PUTs and multipart uploads, path-style, signed with the
 * root key from the environment) and is SIGKILLed while they are in flight, at several points. Restarted on the same
 * data directory each time, it must show:
 * - every acknowledged upload intact: its bytes and the ETag the client was given;
 * - no partial object: whatever is visible is exactly one of the uploads, whole (an upload the server committed
 *   but whose answer the kill swallowed may be visible, whole, as in S3; a torn one never);
 * - exactly one `Object Created` event on the bus for every visible version, and none for anything else;
 * - no orphan blob: after the sweep, the blob files on disk are exactly the referenced ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  S3Client,
  CreateBucketCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
} from '@aws-sdk/client-s3';
import { CLI } from '../../helpers/cli.js';
import { SqliteEventBus } from '../../../src/bus/sqlite/index.js';
import { FsObjectStore } from '../../../src/store/local/index.js';
import { logEvents } from './s3-endpoint.js';

const ACCESS_KEY_ID = 'AKIAREFLOWCRASHTEST1';
const SECRET_ACCESS_KEY = 'crash/test/secret/0123456789abcdefghijkl';
const BUCKET = 'crash';
const MiB = 1024 * 1024;
const UPLOADS = 20;
/**
 * Kill after this many acknowledged uploads in each round: early, middle, late, each followed by a `reflow up`
 * restart checked through S3; then once more, followed by an open in this process that reads store and bus.
 */
const KILL_AFTER = [3, 10, 17, 6];

interface Upload {
  key: string;
  kind: 'put' | 'multipart';
  md5: string;
  /** The ETag S3 gives this content (MD5 hex, or md5 of part md5s plus -N), unquoted. */
  etag: string;
  acknowledged?: { etag: string; versionId: string };
  error?: string;
}

function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'up', '--data-dir', dataDir, '--port', '0', '--s3-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, REFLOW_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, REFLOW_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY },
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`reflow up printed no S3 line in 20 s: ${stdout} ${stderr}`)), 20_000);
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /S3 endpoint listening on (http:\/\/\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`reflow up exited ${code}: ${stdout} ${stderr}`));
    });
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function client(url: string): S3Client {
  return new S3Client({
    endpoint: url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    maxAttempts: 1,
  });
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest();

/** Runs one upload to the end or to the first failure (the kill), recording what the client was told. */
async function upload(s3: S3Client, u: Upload, data: Buffer[], onAck: () => void): Promise<void> {
  try {
    if (u.kind === 'put') {
      const r = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: u.key, Body: data[0]! }));
      u.acknowledged = { etag: r.ETag!, versionId: r.VersionId! };
    } else {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: u.key }));
      const parts = [];
      for (const [i, part] of data.entries()) {
        const r = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: u.key, UploadId, PartNumber: i + 1, Body: part }));
        parts.push({ PartNumber: i + 1, ETag: r.ETag! });
      }
      const r = await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: u.key, UploadId, MultipartUpload: { Parts: parts } }));
      u.acknowledged = { etag: r.ETag!, versionId: r.VersionId! };
    }
    onAck();
  } catch (err) {
    u.error = (err as Error).name;
  }
}

test('SIGKILL during 20 concurrent uploads: acknowledged uploads intact with one event each, nothing torn, no orphan blob', { timeout: 600_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'reflow-crash-'));
  const all: Upload[] = [];
  let child: ChildProcess | undefined;
  try {
    let server = await startServer(dataDir);
    child = server.child;
    let s3 = client(server.url);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));

    for (const [round, killAfter] of KILL_AFTER.entries()) {
      const batch: Array<{ u: Upload; data: Buffer[] }> = [];
      for (let i = 0; i < UPLOADS; i++) {
        const kind = i % 2 === 0 ? 'put' : 'multipart';
        // Random bytes, so no two uploads share a blob; multipart parts are S3's 5 MiB minimum plus a tail.
        const data = kind === 'put' ? [randomBytes(256 * 1024 + i * 40_000)] : [randomBytes(5 * MiB), randomBytes(100_000 + i * 1000)];
        const whole = Buffer.concat(data);
        const etag = kind === 'put' ? md5(whole).toString('hex') : `${createHash('md5').update(Buffer.concat(data.map(md5))).digest('hex')}-${data.length}`;
        const u: Upload = { key: `round-${round}/upload-${String(i).padStart(2, '0')}`, kind, md5: md5(whole).toString('hex'), etag };
        batch.push({ u, data });
        all.push(u);
      }
      let acks = 0;
      let killed: Promise<void> | undefined;
      const running = batch.map(({ u, data }) =>
        upload(s3, u, data, () => {
          acks++;
          if (acks === killAfter) killed = kill(server.child);
        }),
      );
      await Promise.all(running);
      await (killed ?? kill(server.child));
      s3.destroy();
      const acknowledged = batch.filter((b) => b.u.acknowledged).length;
      assert.ok(acknowledged >= killAfter, `round ${round}: ${acknowledged} acknowledged before the kill`);
      console.log(`# round ${round}: killed after ${killAfter} acknowledgements; ${acknowledged} acknowledged, ${UPLOADS - acknowledged} cut off`);

      if (round === KILL_AFTER.length - 1) break;
      // Restart on the same data directory and check every upload so far, from this round and the earlier ones.
      server = await startServer(dataDir);
      child = server.child;
      s3 = client(server.url);
      await checkVisible(s3, all);
    }

    // The last restart is an open in this process, to read the store and the bus directly: it sweeps what the last
    // kill left, the relay sends what was left in the outbox, then every visible version must have one event.
    const bus = SqliteEventBus.open({ path: join(dataDir, 'bus.db') });
    const store = await FsObjectStore.open({ dir: join(dataDir, 'store'), bus });
    try {
      const byKey = new Map(all.map((u) => [u.key, u]));
      for (const v of (await store.listObjectVersions(BUCKET)).versions) {
        const u = byKey.get(v.key);
        assert.ok(u, `only uploaded keys are visible, not ${v.key}`);
        const got = await store.getObject(BUCKET, v.key, { versionId: v.versionId });
        const hash = createHash('md5');
        for await (const chunk of got.body) hash.update(chunk as Buffer);
        assert.equal(hash.digest('hex'), u.md5, `${v.key}: bytes intact`);
        assert.equal(got.info.etag, `"${u.etag}"`);
      }
      await store.flushEvents();
      const versions = (await store.listObjectVersions(BUCKET)).versions;
      const events = (await logEvents(bus)).filter((e) => e.source === 'aws.s3' && e['detail-type'] === 'Object Created');
      const counted = new Map<string, number>();
      for (const e of events) {
        const o = (e.detail as { object: { key: string; 'version-id': string } }).object;
        const id = `${o.key}@${o['version-id']}`;
        counted.set(id, (counted.get(id) ?? 0) + 1);
      }
      for (const v of versions) assert.equal(counted.get(`${v.key}@${v.versionId}`), 1, `one event for ${v.key}@${v.versionId}`);
      assert.equal(events.length, versions.length, 'no event for a version that is not there');
      for (const u of all.filter((x) => x.acknowledged)) {
        assert.ok(versions.some((v) => v.key === u.key && v.versionId === u.acknowledged!.versionId), `${u.key} acknowledged and listed`);
      }
      // The sweep at each open left exactly the referenced blobs on disk, and no body in tmp/.
      assert.deepEqual(store.blobFiles(), store.blobRefs().map((b) => b.sha256));
      assert.deepEqual(readdirSync(join(dataDir, 'store', 'tmp')), []);
      const acked = all.filter((u) => u.acknowledged).length;
      console.log(
        `# ${all.length} uploads, ${acked} acknowledged, ${versions.length} visible, ${events.length} events, ${store.blobFiles().length} blobs; ` +
          `the last open swept ${store.swept.tmp} tmp file(s) and ${store.swept.blobs} orphan blob(s)`,
      );
    } finally {
      await store.close();
      await bus.close();
    }
  } finally {
    if (child) await kill(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** Every acknowledged upload is there with its bytes and ETag; anything else visible is a whole upload too. */
async function checkVisible(s3: S3Client, all: Upload[]): Promise<void> {
  const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET }));
  assert.equal(listed.IsTruncated, false);
  const byKey = new Map(all.map((u) => [u.key, u]));
  for (const v of listed.Versions ?? []) {
    const u = byKey.get(v.Key!);
    assert.ok(u, `only uploaded keys are visible, not ${v.Key}`);
    assert.equal(v.ETag?.replace(/"/g, ''), u.etag, `${v.Key}: the whole upload's ETag`);
  }
  const visible = new Set((listed.Versions ?? []).map((v) => v.Key!));
  for (const u of all) {
    if (u.acknowledged) {
      assert.ok(visible.has(u.key), `acknowledged ${u.key} is visible`);
      assert.equal(u.acknowledged.etag.replace(/"/g, ''), u.etag, `${u.key}: the client got the right ETag`);
    }
    if (!visible.has(u.key)) continue;
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: u.key }));
    const hash = createHash('md5');
    for await (const chunk of got.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
    assert.equal(hash.digest('hex'), u.md5, `${u.key}: bytes intact`);
    assert.equal(got.ETag?.replace(/"/g, ''), u.etag);
  }
}
