/**
 * Reflow's S3 endpoint through both aws-cli generations, unchanged: v1 (the image's Python, `aws` on PATH: CRC32
 * checksums on aws-chunked bodies, SigV2 presigned URLs) and v2 (Debian's `/usr/bin/aws`). High-level `aws s3`
 * (cp small and multipart, ls, sync both ways, presign) and `aws s3api` (versioning, versions, delete markers), and
 * the signature failures a user meets: a wrong secret and a skewed clock.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEndpoint, missingClient, awsEnv, type RunningEndpoint } from './s3-endpoint.js';
import { makeTree, md5, ok, run, treeDigest, writeRandomFile } from './clients.js';

const CLIENTS = [
  { label: 'aws-cli v1', command: 'aws', prefix: 'cli1' },
  { label: 'aws-cli v2', command: '/usr/bin/aws', prefix: 'cli2' },
].map((c) => ({ ...c, missing: missingClient(c.command, ['--version']) }));

let endpoint: RunningEndpoint;
let work: string;

before(async () => {
  endpoint = await startEndpoint();
  work = mkdtempSync(join(tmpdir(), 'reflow-awscli-'));
});

after(async () => {
  await endpoint?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function homeFor(prefix: string): string {
  const home = join(work, `home-${prefix}`);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'config'), '[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n');
  writeFileSync(join(home, 'credentials'), '');
  return home;
}

for (const client of CLIENTS) {
  describe(client.label, { skip: client.missing }, () => {
    let env: NodeJS.ProcessEnv;
    const bucket = `${client.prefix}-bucket`;
    const aws = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
      ok(client.command, ['--endpoint-url', endpoint.url, ...args], { env: { ...env, ...extraEnv } });
    const awsJson = async (args: string[]) => JSON.parse(await aws([...args, '--output', 'json'])) as Record<string, any>;

    before(async () => {
      env = { ...awsEnv(endpoint, homeFor(client.prefix)), AWS_MAX_ATTEMPTS: '1' };
      await aws(['s3', 'mb', `s3://${bucket}`]);
    });

    test('s3 cp up and down: a small file and a 20 MB file in multipart; s3 ls', { timeout: 120_000 }, async () => {
      const dir = join(work, `${client.prefix}-cp`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'small.txt'), 'small file\n');
      const bigMd5 = writeRandomFile(join(dir, 'big.bin'), 20 * 1024 * 1024 + 123);
      await aws(['s3', 'cp', join(dir, 'small.txt'), `s3://${bucket}/cp/small.txt`, '--no-progress']);
      await aws(['s3', 'cp', join(dir, 'big.bin'), `s3://${bucket}/cp/big.bin`, '--no-progress']);
      // The 8 MB default threshold and part size: three parts, and S3's multipart ETag.
      const head = await awsJson(['s3api', 'head-object', '--bucket', bucket, '--key', 'cp/big.bin']);
      assert.match(head.ETag, /^"[0-9a-f]{32}-3"$/);
      assert.equal(head.ContentLength, 20 * 1024 * 1024 + 123);
      await aws(['s3', 'cp', `s3://${bucket}/cp/big.bin`, join(dir, 'big.back'), '--no-progress']);
      await aws(['s3', 'cp', `s3://${bucket}/cp/small.txt`, join(dir, 'small.back'), '--no-progress']);
      assert.equal(md5(readFileSync(join(dir, 'big.back'))), bigMd5);
      assert.equal(readFileSync(join(dir, 'small.back'), 'utf8'), 'small file\n');
      const listing = await aws(['s3', 'ls', `s3://${bucket}/cp/`]);
      assert.match(listing, /\s11 small\.txt$/m);
      assert.match(listing, new RegExp(`\\s${20 * 1024 * 1024 + 123} big\\.bin$`, 'm'));
      const buckets = await aws(['s3', 'ls']);
      assert.match(buckets, new RegExp(` ${bucket}$`, 'm'));
    });

    test('s3 sync of a directory tree up, back down, and again after a change (only the change moves)', { timeout: 120_000 }, async () => {
      const source = join(work, `${client.prefix}-tree`);
      makeTree(source);
      await aws(['s3', 'sync', source, `s3://${bucket}/tree`, '--no-progress']);
      const target = join(work, `${client.prefix}-tree-back`);
      await aws(['s3', 'sync', `s3://${bucket}/tree`, target, '--no-progress']);
      const down = treeDigest(target);
      const up = treeDigest(source);
      for (const [name, digest] of Object.entries(down)) assert.equal(digest, up[name], name);
      assert.deepEqual(Object.keys(down).sort(), Object.keys(up).sort());
      writeFileSync(join(source, 'a/one.csv'), 'id,value\n1,3\n');
      const second = await aws(['s3', 'sync', source, `s3://${bucket}/tree`, '--no-progress']);
      assert.deepEqual(second.trim().split('\n').filter((l) => l.startsWith('upload:')).length, 1, second);
      // Downloads skip same-sized files unless timestamps must match exactly (aws-cli's documented default).
      await aws(['s3', 'sync', `s3://${bucket}/tree`, target, '--no-progress', '--delete', '--exact-timestamps']);
      assert.equal(readFileSync(join(target, 'a/one.csv'), 'utf8'), 'id,value\n1,3\n');
    });

    test('s3api: versioning, versions, get --version-id, delete markers, deleting the marker restores', { timeout: 120_000 }, async () => {
      const b = `${client.prefix}-versions`;
      await aws(['s3api', 'create-bucket', '--bucket', b]);
      await aws(['s3api', 'put-bucket-versioning', '--bucket', b, '--versioning-configuration', 'Status=Enabled']);
      assert.equal((await awsJson(['s3api', 'get-bucket-versioning', '--bucket', b])).Status, 'Enabled');
      const one = join(work, `${client.prefix}-v1.txt`);
      const two = join(work, `${client.prefix}-v2.txt`);
      writeFileSync(one, 'first\n');
      writeFileSync(two, 'second\n');
      const p1 = await awsJson(['s3api', 'put-object', '--bucket', b, '--key', 'data/x.csv', '--body', one]);
      const p2 = await awsJson(['s3api', 'put-object', '--bucket', b, '--key', 'data/x.csv', '--body', two]);
      assert.ok(p1.VersionId && p2.VersionId && p1.VersionId !== p2.VersionId);
      const out = join(work, `${client.prefix}-got.txt`);
      const got = await awsJson(['s3api', 'get-object', '--bucket', b, '--key', 'data/x.csv', '--version-id', p1.VersionId, out]);
      assert.equal(got.VersionId, p1.VersionId);
      assert.equal(readFileSync(out, 'utf8'), 'first\n');
      const del = await awsJson(['s3api', 'delete-object', '--bucket', b, '--key', 'data/x.csv']);
      assert.equal(del.DeleteMarker, true);
      const gone = await run(client.command, ['--endpoint-url', endpoint.url, 's3api', 'get-object', '--bucket', b, '--key', 'data/x.csv', out], { env });
      assert.notEqual(gone.status, 0);
      assert.match(gone.stderr, /NoSuchKey/);
      const versions = await awsJson(['s3api', 'list-object-versions', '--bucket', b, '--prefix', 'data/']);
      assert.deepEqual(
        versions.Versions.map((v: any) => [v.VersionId, v.IsLatest]),
        [[p2.VersionId, false], [p1.VersionId, false]],
      );
      assert.deepEqual(versions.DeleteMarkers.map((m: any) => [m.VersionId, m.IsLatest]), [[del.VersionId, true]]);
      await aws(['s3api', 'delete-object', '--bucket', b, '--key', 'data/x.csv', '--version-id', del.VersionId]);
      await aws(['s3api', 'get-object', '--bucket', b, '--key', 'data/x.csv', out]);
      assert.equal(readFileSync(out, 'utf8'), 'second\n');
      // Deleting a version for good leaves the others.
      await aws(['s3api', 'delete-object', '--bucket', b, '--key', 'data/x.csv', '--version-id', p2.VersionId]);
      await aws(['s3api', 'get-object', '--bucket', b, '--key', 'data/x.csv', out]);
      assert.equal(readFileSync(out, 'utf8'), 'first\n');
    });

    test('s3 presign: the URL fetches the object; an expired one is refused', { timeout: 60_000 }, async () => {
      const file = join(work, `${client.prefix}-shared.txt`);
      writeFileSync(file, 'shared via url\n');
      await aws(['s3', 'cp', file, `s3://${bucket}/share/a file+name.txt`, '--no-progress']);
      const url = (await aws(['s3', 'presign', `s3://${bucket}/share/a file+name.txt`, '--expires-in', '300'])).trim();
      const res = await fetch(url);
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(await res.text(), 'shared via url\n');
      const curl = await ok('curl', ['-sS', '-f', url]);
      assert.equal(curl, 'shared via url\n');
      const short = (await aws(['s3', 'presign', `s3://${bucket}/share/a file+name.txt`, '--expires-in', '1'])).trim();
      await new Promise((r) => setTimeout(r, 2100));
      const refused = await fetch(short);
      assert.equal(refused.status, 403);
      assert.match(await refused.text(), /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
    });

    test('a wrong secret gives SignatureDoesNotMatch, an unknown key InvalidAccessKeyId; nothing is written', async () => {
      const file = join(work, `${client.prefix}-denied.txt`);
      writeFileSync(file, 'x');
      const wrong = await run(client.command, ['--endpoint-url', endpoint.url, 's3api', 'put-object', '--bucket', bucket, '--key', 'denied.txt', '--body', file], {
        env: { ...env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' },
      });
      assert.notEqual(wrong.status, 0);
      assert.match(wrong.stderr, /SignatureDoesNotMatch/);
      const stranger = await run(client.command, ['--endpoint-url', endpoint.url, 's3', 'ls', `s3://${bucket}`], {
        env: { ...env, AWS_ACCESS_KEY_ID: 'AKIANOBODY' },
      });
      assert.notEqual(stranger.status, 0);
      assert.match(stranger.stderr, /InvalidAccessKeyId/);
      const head = await run(client.command, ['--endpoint-url', endpoint.url, 's3api', 'head-object', '--bucket', bucket, '--key', 'denied.txt'], { env });
      assert.match(head.stderr, /404|Not Found/);
    });

    test('a clock an hour off gives RequestTimeTooSkewed', async () => {
      // The server's clock moved instead of the client's: the same skew, seen from the other side.
      const skewed = await startEndpoint({ now: () => new Date(Date.now() + 3_600_000) });
      try {
        const r = await run(client.command, ['--endpoint-url', skewed.url, 's3', 'ls'], { env });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /RequestTimeTooSkewed/);
      } finally {
        await skewed.close();
      }
    });
  });
}
