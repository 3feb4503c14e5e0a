/**
 * GET bodies leave the endpoint through its own writer (routes.ts `sendRecycling`), which hands each chunk back to
 * the local store's reader once the socket has it. Through a real client: bytes and ranges intact; a blob missing
 * under the store answers S3's XML error before any byte; a client that hangs up mid-body releases the blob.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { S3Client, GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { FastifyInstance } from 'fastify';
import { SqliteEventBus } from '../../bus/sqlite/index.js';
import { FsObjectStore } from '../../store/local/index.js';
import { buildS3Server } from './index.js';

const KEY_ID = 'AKIAREFLOWGETBODY001';
const SECRET = 'get-body-test-secret';
const MiB = 1024 * 1024;
let dir: string;
let bus: SqliteEventBus;
let store: FsObjectStore;
let app: FastifyInstance;
let s3: S3Client;
const data = randomBytes(5 * MiB + 123);
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reflow-get-body-'));
  bus = SqliteEventBus.open({ path: join(dir, 'bus.db') });
  store = await FsObjectStore.open({ dir: join(dir, 'store'), bus });
  app = await buildS3Server({ store, credentials: (id) => (id === KEY_ID ? SECRET : undefined) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  s3 = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET } });
  await store.createBucket('get-body');
  await store.putObject('get-body', 'big.bin', Readable.from([data]), { contentLength: data.length });
});

after(async () => {
  s3.destroy();
  await app.close();
  await store.close();
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

test('S3 GET: a whole object and a range through the recycling writer', async () => {
  const whole = await s3.send(new GetObjectCommand({ Bucket: 'get-body', Key: 'big.bin' }));
  assert.equal(whole.ContentLength, data.length);
  assert.equal(whole.ETag, `"${md5(data)}"`);
  assert.equal(md5(Buffer.from(await whole.Body!.transformToByteArray())), md5(data));
  const ranged = await s3.send(new GetObjectCommand({ Bucket: 'get-body', Key: 'big.bin', Range: `bytes=${MiB - 3}-${3 * MiB + 4}` }));
  assert.equal(ranged.ContentRange, `bytes ${MiB - 3}-${3 * MiB + 4}/${data.length}`);
  assert.equal(md5(Buffer.from(await ranged.Body!.transformToByteArray())), md5(data.subarray(MiB - 3, 3 * MiB + 5)));
});

test('S3 GET: a client that hangs up mid-body releases the blob (deleting the object then frees its file)', async () => {
  await store.putObject('get-body', 'hangup.bin', Readable.from([randomBytes(8 * MiB)]), { contentLength: 8 * MiB });
  const url = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'get-body', Key: 'hangup.bin' }), { expiresIn: 600 }));
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search }, (res) => {
      assert.equal(res.statusCode, 200);
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (err) => ((err as { code?: string }).code === 'ECONNRESET' ? resolve() : reject(err)));
    req.end();
  });
  const before = store.blobFiles().length;
  await store.deleteObject('get-body', 'hangup.bin');
  for (let i = 0; i < 100 && store.blobFiles().length >= before; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(store.blobFiles().length, before - 1, 'the file went once the reader was released');
});

test('S3 GET: a blob missing under the store answers InternalError in S3 XML, before any byte', async () => {
  await store.putObject('get-body', 'lost.bin', Readable.from([randomBytes(2 * MiB)]), { contentLength: 2 * MiB });
  const sha = (await store.headObject('get-body', 'lost.bin')).sha256;
  unlinkSync(join(dir, 'store', 'blobs', sha.slice(0, 2), sha));
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'get-body', Key: 'lost.bin' })), (err: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.$metadata?.httpStatusCode, 500);
    assert.equal(err.name, 'InternalError');
    return true;
  });
});
