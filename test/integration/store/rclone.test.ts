/**
 * Reflow's S3 endpoint through rclone (Debian's 1.60, Go's aws-sdk v1), configured only by environment variables as
 * a user would for "S3, provider Other": copy, sync, ls, lsl, check, cat, md5sum, delete, purge, and a multipart
 * upload (rclone's Go XML encoder writes part ETags as `&#34;…&#34;`, which once broke CompleteMultipartUpload).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEndpoint, missingClient, ACCESS_KEY_ID, SECRET_ACCESS_KEY, type RunningEndpoint } from './s3-endpoint.js';
import { makeTree, md5, ok, run, treeDigest, writeRandomFile } from './clients.js';

// rclone's S3 backend fails with LoadCustomCABundleError when the machine's AWS_CA_BUNDLE is set (../shared/S3.md).
function rcloneEnv(url: string, secret = SECRET_ACCESS_KEY): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RCLONE_CONFIG_REFLOW_TYPE: 's3',
    RCLONE_CONFIG_REFLOW_PROVIDER: 'Other',
    RCLONE_CONFIG_REFLOW_ENDPOINT: url,
    RCLONE_CONFIG_REFLOW_ACCESS_KEY_ID: ACCESS_KEY_ID,
    RCLONE_CONFIG_REFLOW_SECRET_ACCESS_KEY: secret,
    RCLONE_CONFIG_REFLOW_REGION: 'us-east-1',
    RCLONE_CONFIG_REFLOW_FORCE_PATH_STYLE: 'true',
    RCLONE_CONFIG: '/dev/null',
  };
  delete env.AWS_CA_BUNDLE;
  return env;
}

const missing = missingClient('rclone', ['version'], rcloneEnv('http://127.0.0.1:1'));

let endpoint: RunningEndpoint;
let work: string;
let env: NodeJS.ProcessEnv;
const rclone = (args: string[], extra: NodeJS.ProcessEnv = env) => ok('rclone', ['--retries', '1', '--low-level-retries', '1', ...args], { env: extra });

before(async () => {
  endpoint = await startEndpoint();
  work = mkdtempSync(join(tmpdir(), 'reflow-rclone-'));
  env = rcloneEnv(endpoint.url);
});

after(async () => {
  await endpoint?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('rclone', { skip: missing }, () => {
  test('mkdir, copy a tree, ls / lsl / check / cat / md5sum, sync back down, delete, purge', { timeout: 120_000 }, async () => {
    const source = join(work, 'tree');
    const files = makeTree(source);
    await rclone(['mkdir', 'reflow:rclone-tree']);
    await rclone(['copy', source, 'reflow:rclone-tree/data']);
    const ls = await rclone(['ls', 'reflow:rclone-tree']);
    for (const [name, data] of Object.entries(files)) assert.match(ls, new RegExp(`^\\s*${data.length} data/${name.replace(/[+.]/g, '\\$&')}$`, 'm'), ls);
    const lsl = await rclone(['lsl', 'reflow:rclone-tree/data/a']);
    assert.match(lsl, /^\s*13 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ one\.csv$/m);
    await rclone(['check', source, 'reflow:rclone-tree/data']); // sizes and MD5s (ETags) of every file
    assert.equal(await rclone(['cat', 'reflow:rclone-tree/data/a/b/two.json']), '{"n":2}\n');
    const sums = await rclone(['md5sum', 'reflow:rclone-tree/data']);
    assert.match(sums, new RegExp(`^${md5(files['a/b/c/deep.bin']!)}  a/b/c/deep\\.bin$`, 'm'));

    const back = join(work, 'tree-back');
    await rclone(['sync', 'reflow:rclone-tree/data', back]);
    assert.deepEqual(treeDigest(back), treeDigest(source));

    // A change and a removal locally, then sync up: the bucket follows.
    writeFileSync(join(source, 'readme.txt'), 'changed\n');
    rmSync(join(source, 'a/one.csv'));
    await rclone(['sync', source, 'reflow:rclone-tree/data']);
    assert.equal(await rclone(['cat', 'reflow:rclone-tree/data/readme.txt']), 'changed\n');
    assert.doesNotMatch(await rclone(['ls', 'reflow:rclone-tree']), /one\.csv/);
    await rclone(['check', source, 'reflow:rclone-tree/data']);

    await rclone(['delete', 'reflow:rclone-tree/data/a']);
    assert.doesNotMatch(await rclone(['ls', 'reflow:rclone-tree']), /data\/a\//);
    await rclone(['purge', 'reflow:rclone-tree']);
    await assert.rejects(endpoint.store.headBucket('rclone-tree'), { code: 'NoSuchBucket' });
  });

  test('a 23 MB file goes up in 5 MB parts and comes back intact', { timeout: 120_000 }, async () => {
    const dir = join(work, 'big');
    mkdirSync(dir, { recursive: true });
    const sum = writeRandomFile(join(dir, 'big.bin'), 23 * 1024 * 1024 + 5);
    await rclone(['mkdir', 'reflow:rclone-big']);
    await rclone(['copy', join(dir, 'big.bin'), 'reflow:rclone-big/', '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M', '--s3-upload-concurrency', '3']);
    const info = await endpoint.store.headObject('rclone-big', 'big.bin');
    assert.equal(info.partsCount, 5);
    assert.equal(info.size, 23 * 1024 * 1024 + 5);
    await rclone(['check', dir, 'reflow:rclone-big']);
    const out = join(work, 'big-back');
    await rclone(['copy', 'reflow:rclone-big/big.bin', out, '--multi-thread-streams', '4', '--multi-thread-cutoff', '5M']);
    assert.equal(md5(readFileSync(join(out, 'big.bin'))), sum);
  });

  test('a wrong secret gives SignatureDoesNotMatch and writes nothing', async () => {
    await rclone(['mkdir', 'reflow:rclone-denied']);
    const file = join(work, 'denied.txt');
    writeFileSync(file, 'x');
    const wrong = rcloneEnv(endpoint.url, 'wrong-secret');
    const copy = await run('rclone', ['--retries', '1', '--low-level-retries', '1', 'copy', file, 'reflow:rclone-denied/'], { env: wrong });
    // rclone's first request is a HEAD, whose 403 has no body to name the code in.
    assert.notEqual(copy.status, 0);
    assert.match(copy.stderr, /status code: 403/);
    const ls = await run('rclone', ['--retries', '1', '--low-level-retries', '1', 'ls', 'reflow:rclone-denied'], { env: wrong });
    assert.notEqual(ls.status, 0);
    assert.match(ls.stderr, /SignatureDoesNotMatch/);
    assert.deepEqual((await endpoint.store.listObjects('rclone-denied')).contents, []);
  });
});
