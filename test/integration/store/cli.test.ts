/**
 * The store commands of the `reflow` CLI as a user runs them: spawned processes against the S3 endpoint over the
 * local adapter. Uploads of trees and files, ls / versions / get, the errors a user meets, and an upload killed with
 * SIGKILL mid-way that a second run finishes by sending only the parts the endpoint does not have — counted by a
 * proxy between the CLI and the endpoint, not by the CLI's own report.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CLI, runCli } from '../../helpers/cli.js';
import { startEndpoint, ACCESS_KEY_ID, SECRET_ACCESS_KEY, type RunningEndpoint } from './s3-endpoint.js';
import { makeTree, md5, sha256, writeRandomFile } from './clients.js';

let endpoint: RunningEndpoint;
let work: string;
let stateDir: string;

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {
    ...process.env,
    REFLOW_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID,
    REFLOW_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
    REFLOW_S3_ENDPOINT: endpoint.url,
    REFLOW_STATE_DIR: stateDir,
    ...extra,
  };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL']) delete out[name];
  return out;
}

const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, { env: env(extra), timeoutMs: 120_000 });

async function content(bucket: string, key: string, versionId?: string): Promise<Buffer> {
  const got = await endpoint.store.getObject(bucket, key, versionId ? { versionId } : {});
  const parts: Buffer[] = [];
  for await (const chunk of got.body as Readable) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

async function md5Of(bucket: string, key: string): Promise<string> {
  const got = await endpoint.store.getObject(bucket, key);
  const hash = createHash('md5');
  for await (const chunk of got.body as Readable) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

before(async () => {
  endpoint = await startEndpoint();
  work = mkdtempSync(join(tmpdir(), 'reflow-store-cli-'));
  stateDir = join(work, 'state');
  await endpoint.store.createBucket('cli-data');
  await endpoint.store.createBucket('cli-versions');
  await endpoint.store.putBucketVersioning('cli-versions', 'Enabled');
});

after(async () => {
  await endpoint?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('reflow upload / ls / versions / get', () => {
  test('upload a directory tree and a file under a prefix; every byte arrives under the expected key', async () => {
    const tree = join(work, 'tree');
    const files = makeTree(tree);
    const single = join(work, 'single.csv');
    writeFileSync(single, 'a,b\n1,2\n');
    const r = await cli(['upload', tree, single, '--bucket', 'cli-data', '--prefix', 'round-1']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { files: Array<{ key: string; size: number }> };
    const expected = [...Object.keys(files).map((k) => `round-1/${k}`), 'round-1/single.csv'].sort();
    assert.deepEqual(out.files.map((f) => f.key), expected);
    for (const [name, data] of Object.entries(files)) assert.equal(sha256(await content('cli-data', `round-1/${name}`)), sha256(data), name);
    assert.equal((await content('cli-data', 'round-1/single.csv')).toString(), 'a,b\n1,2\n');
  });

  test('a big file goes up in parts, several files at once, and comes back intact with get -o', async () => {
    const dir = join(work, 'big');
    mkdirSync(dir, { recursive: true });
    const sums = [writeRandomFile(join(dir, 'one.bin'), 12 * 1024 * 1024 + 1), writeRandomFile(join(dir, 'two.bin'), 7 * 1024 * 1024)];
    const r = await cli(['upload', dir, '--bucket', 'cli-data', '--prefix', 'big/', '--part-size', '5', '--multipart-threshold', '6', '--concurrency', '4']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { files: Array<{ key: string; parts?: number; etag: string }> };
    assert.deepEqual(out.files.map((f) => [f.key, f.parts]), [['big/one.bin', 3], ['big/two.bin', 2]]);
    assert.match(out.files[0]!.etag, /-3"$/);
    const target = join(work, 'one.back');
    const got = await cli(['get', 'cli-data', 'big/one.bin', '-o', target]);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(md5(readFileSync(target)), sums[0]);
    assert.equal(await md5Of('cli-data', 'big/two.bin'), sums[1]);
    assert.deepEqual(readdirSync(work).filter((n) => n.endsWith('.part')), []);
  });

  test('ls: buckets, one folder level, --recursive, s3:// form, --json', async () => {
    const buckets = await cli(['ls']);
    assert.equal(buckets.code, 0, buckets.stderr);
    assert.match(buckets.stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d cli-data$/m);
    const level = await cli(['ls', 'cli-data/round-1/']);
    assert.equal(level.code, 0, level.stderr);
    assert.match(level.stdout, /^\s+PRE round-1\/a\/$/m);
    assert.match(level.stdout, /^\S+ \S+\s+10 round-1\/readme\.txt$/m);
    assert.doesNotMatch(level.stdout, /two\.json/);
    const deep = await cli(['ls', 's3://cli-data/round-1/a/', '--recursive']);
    assert.match(deep.stdout, /\s8 round-1\/a\/b\/two\.json$/m);
    const json = JSON.parse((await cli(['ls', 'cli-data', '--recursive', '--json'])).stdout) as { Contents: Array<{ Key: string }> };
    assert.ok(json.Contents.some((c) => c.Key === 'round-1/ünïcødé/naïve.txt'));
  });

  test('versions lists every version and delete marker; get --version-id fetches an old one; get writes to stdout', async () => {
    const file = join(work, 'labels.csv');
    writeFileSync(file, 'v1\n');
    assert.equal((await cli(['upload', file, '--bucket', 'cli-versions'])).code, 0);
    writeFileSync(file, 'v2 longer\n');
    assert.equal((await cli(['upload', file, '--bucket', 'cli-versions'])).code, 0);
    await endpoint.store.deleteObject('cli-versions', 'labels.csv');
    writeFileSync(file, 'v3\n');
    assert.equal((await cli(['upload', file, '--bucket', 'cli-versions'])).code, 0);
    const r = await cli(['versions', 'cli-versions', 'labels.csv']);
    assert.equal(r.code, 0, r.stderr);
    const versions = JSON.parse(r.stdout) as Array<{ VersionId: string; IsLatest: boolean; Size?: number; DeleteMarker: boolean }>;
    assert.deepEqual(versions.map((v) => [v.IsLatest, v.DeleteMarker, v.Size]), [[true, false, 3], [false, true, undefined], [false, false, 10], [false, false, 3]]);
    const latest = await cli(['get', 'cli-versions', 'labels.csv']);
    assert.equal(latest.stdout, 'v3\n');
    const old = await cli(['get', 'cli-versions', 'labels.csv', '--version-id', versions[2]!.VersionId]);
    assert.equal(old.code, 0, old.stderr);
    assert.equal(old.stdout, 'v2 longer\n');
  });

  test('errors: "<code>: <message>" on stderr, exit 1 from the endpoint, exit 2 for bad arguments', async () => {
    const missingBucket = await cli(['upload', join(work, 'single.csv'), '--bucket', 'no-such-bucket']);
    assert.equal(missingBucket.code, 1);
    assert.match(missingBucket.stderr, /^NoSuchBucket: .*single\.csv: The specified bucket does not exist/m);
    const missingPath = await cli(['upload', join(work, 'nope'), '--bucket', 'cli-data']);
    assert.equal(missingPath.code, 2);
    assert.match(missingPath.stderr, /^FileError: cannot read .*nope: ENOENT$/m);
    const badPart = await cli(['upload', join(work, 'single.csv'), '--bucket', 'cli-data', '--part-size', '2']);
    assert.equal(badPart.code, 2);
    assert.match(badPart.stderr, /^InvalidArgument: --part-size must be at least 5/m);
    const noKey = await cli(['get', 'cli-data', 'absent.txt']);
    assert.equal(noKey.code, 1);
    assert.equal(noKey.stderr.trim(), 'NoSuchKey: The specified key does not exist.');
    const noVersions = await cli(['versions', 'cli-data', 'absent.txt']);
    assert.equal(noVersions.code, 1);
    assert.match(noVersions.stderr, /^NoSuchKey: /);
    const wrong = await cli(['ls', 'cli-data'], { REFLOW_ROOT_SECRET_ACCESS_KEY: 'wrong' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^SignatureDoesNotMatch: /);
    const down = await cli(['ls', 'cli-data', '--endpoint', 'http://127.0.0.1:9']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^ConnectionError: /);
    const noBucket = await cli(['ls', 's3://']);
    assert.equal(noBucket.code, 2);
    assert.match(noBucket.stderr, /^InvalidArgument: /);
  });
});

/** A pass-through HTTP proxy that records the part number of every UploadPart it forwards and holds each back a while. */
function countingProxy(target: URL, partDelayMs: number): Promise<{ url: string; server: Server; sent: () => number[]; reset: () => void; idle: () => Promise<void> }> {
  const sent: number[] = [];
  let active = 0;
  const server = createServer((req, res) => {
    const isPart = req.method === 'PUT' && /[?&]partNumber=/.test(req.url ?? '');
    let clientGone = false;
    req.on('close', () => {
      if (!req.complete) clientGone = true;
    });
    res.on('close', () => {
      if (!res.writableFinished) clientGone = true;
    });
    const forward = () => {
      // Killed while held back: the request never reaches the endpoint, as if the client had died sooner.
      if (clientGone) return void req.resume();
      if (isPart) sent.push(Number(/[?&]partNumber=(\d+)/.exec(req.url ?? '')?.[1]));
      // Counted until the endpoint's side of the exchange is over, not the client's: a part whose body was sent
      // whole just before the kill still lands, and idle() must wait for it.
      active++;
      const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        if (!clientGone) res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('close', () => active--);
      upstream.on('error', () => res.destroy());
      // A client killed mid-body: the endpoint must see the body cut short, as it would without the proxy.
      req.on('close', () => {
        if (!req.complete) upstream.destroy();
      });
      req.pipe(upstream);
    };
    if (isPart) setTimeout(forward, partDelayMs);
    else forward();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${address.port}`,
        server,
        sent: () => [...sent],
        reset: () => void (sent.length = 0),
        idle: async () => {
          while (active > 0) await new Promise((r) => setTimeout(r, 20));
        },
      });
    }),
  );
}

async function partsOnServer(bucket: string, key: string): Promise<{ uploadId?: string; parts: number[] }> {
  const uploads = (await endpoint.store.listMultipartUploads(bucket)).uploads.filter((u) => u.key === key);
  if (uploads.length === 0) return { parts: [] };
  assert.equal(uploads.length, 1, 'one upload in progress');
  const listed = await endpoint.store.listParts(bucket, key, uploads[0]!.uploadId);
  return { uploadId: uploads[0]!.uploadId, parts: listed.parts.map((p) => p.partNumber) };
}

/** Starts an upload, SIGKILLs it once `atLeast` parts are on the endpoint, and returns how many there are then. */
async function killMidUpload(args: string[], bucket: string, key: string, atLeast: number, proxy: Awaited<ReturnType<typeof countingProxy>>): Promise<number[]> {
  const child = spawn(process.execPath, [CLI, ...args], { env: env({ REFLOW_S3_ENDPOINT: proxy.url }), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let alive = true;
  void exited.then(() => (alive = false));
  while (alive && (await partsOnServer(bucket, key)).parts.length < atLeast) await new Promise((r) => setTimeout(r, 20));
  assert.ok(alive, `the upload finished before it could be interrupted: ${stderr}`);
  child.kill('SIGKILL');
  await exited;
  await proxy.idle();
  return (await partsOnServer(bucket, key)).parts;
}

describe('an interrupted upload resumes', () => {
  const size = 50 * 1024 * 1024 + 1234; // 11 parts of 5 MiB
  const totalParts = 11;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;

  before(async () => {
    proxy = await countingProxy(new URL(endpoint.url), 150);
  });
  after(() => new Promise<void>((r) => proxy.server.close(() => r())));

  for (const withState of [true, false]) {
    test(`SIGKILL mid-way, run again ${withState ? 'with its state file' : 'after the state file is lost (found by ListMultipartUploads)'}: only missing parts are sent`, { timeout: 120_000 }, async () => {
      const key = withState ? 'resume-state.bin' : 'resume-list.bin';
      const file = join(work, key);
      const sum = writeRandomFile(file, size);
      const args = ['upload', file, '--bucket', 'cli-data', '--part-size', '5', '--concurrency', '2', '--no-progress'];
      const present = await killMidUpload(args, 'cli-data', key, 3, proxy);
      const before = present.length;
      assert.ok(before >= 3 && before < totalParts, `${before} parts before the kill`);
      await assert.rejects(endpoint.store.headObject('cli-data', key), { code: 'NoSuchKey' });
      if (!withState) rmSync(stateDir, { recursive: true, force: true });

      proxy.reset();
      const r = await runCli(args, { env: env({ REFLOW_S3_ENDPOINT: proxy.url }), timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      // Compared as sets: the SDK may retry a part after a network error, which is sending a missing part again,
      // not sending a part the endpoint had.
      const missing = Array.from({ length: totalParts }, (_, i) => i + 1).filter((n) => !present.includes(n));
      assert.deepEqual([...new Set(proxy.sent())].sort((a, b) => a - b), missing, `parts sent by the second run: ${proxy.sent().join(',')}`);
      const out = JSON.parse(r.stdout) as { files: Array<{ partsSent: number; partsResumed: number; parts: number }> };
      assert.deepEqual([out.files[0]!.parts, out.files[0]!.partsResumed, out.files[0]!.partsSent], [totalParts, before, totalParts - before]);
      assert.equal(await md5Of('cli-data', key), sum);
      assert.equal((await endpoint.store.headObject('cli-data', key)).size, size);
      assert.deepEqual((await endpoint.store.listMultipartUploads('cli-data')).uploads.filter((u) => u.key === key), []);
      assert.deepEqual(readdirSync(stateDir).filter((n) => n.endsWith('.json')), [], 'state file removed after completion');
    });
  }

  test('a file changed after the interruption is uploaded whole: stale parts are never completed', { timeout: 120_000 }, async () => {
    const key = 'resume-changed.bin';
    const file = join(work, key);
    writeRandomFile(file, size);
    const args = ['upload', file, '--bucket', 'cli-data', '--part-size', '5', '--concurrency', '2', '--no-progress'];
    await killMidUpload(args, 'cli-data', key, 3, proxy);
    const sum = writeRandomFile(file, size); // same size, new bytes
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    proxy.reset();
    const r = await runCli(args, { env: env({ REFLOW_S3_ENDPOINT: proxy.url }), timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...new Set(proxy.sent())].sort((a, b) => a - b), Array.from({ length: totalParts }, (_, i) => i + 1));
    assert.equal(await md5Of('cli-data', key), sum);
    // The old upload was aborted, not left behind.
    assert.deepEqual((await endpoint.store.listMultipartUploads('cli-data')).uploads.filter((u) => u.key === key), []);
  });
});
