/**
 * Bad input against Reflow's S3 endpoint as real requests: signed by curl's own SigV4 signer (`--aws-sigv4`), or
 * signed by the AWS SDK and then sent over a raw socket with a body that breaks its promises. Each gets its S3 error
 * code, and after each the stored state — every bucket's versions, uploads and parts, and the files in the data
 * directory — is exactly what it was.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { S3Client, PutObjectCommand, GetObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startEndpoint, missingClient, ACCESS_KEY_ID, SECRET_ACCESS_KEY, type RunningEndpoint } from './s3-endpoint.js';
import { run } from './clients.js';

const curlMissing = missingClient('curl', ['--version']);
const EMPTY = createHash('sha256').update('').digest('hex');

let endpoint: RunningEndpoint;
let work: string;
let sdk: S3Client;
let uploadId: string;
let counter = 0;

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const md5b64 = (data: string | Buffer) => createHash('md5').update(data).digest('base64');

interface Answer {
  status: number;
  body: string;
  code?: string;
}

function codeOf(body: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
}

/**
 * One request signed by curl. The payload hash header is set to the body's unless given. Sub-resources are written
 * `?name=`: curl 7.88 signs a bare `?name` without the `=` that SigV4's canonical query has.
 */
async function curl(
  method: string,
  path: string,
  options: { body?: string | Buffer; headers?: Record<string, string>; secret?: string; key?: string; service?: string; pathAsIs?: boolean } = {},
): Promise<Answer> {
  const body = options.body ?? '';
  const file = join(work, `body-${counter++}`);
  writeFileSync(file, body);
  const out = join(work, `out-${counter++}`);
  const headers = { 'x-amz-content-sha256': sha(body), ...(options.headers ?? {}) };
  const args = [
    '-s', '-o', out, '-w', '%{http_code}', '-X', method,
    '--aws-sigv4', `aws:amz:us-east-1:${options.service ?? 's3'}`,
    '--user', `${options.key ?? ACCESS_KEY_ID}:${options.secret ?? SECRET_ACCESS_KEY}`,
    '-H', 'Content-Type:', '-H', 'Expect:',
    ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    ...(options.pathAsIs ? ['--path-as-is'] : []),
    ...(body.length > 0 || method === 'PUT' || method === 'POST' ? ['--data-binary', `@${file}`] : []),
    `${endpoint.url}${path}`,
  ];
  const r = await run('curl', args);
  assert.equal(r.status, 0, r.stderr);
  const text = existsSync(out) ? readFileSync(out, 'utf8') : '';
  const answer: Answer = { status: Number(r.stdout), body: text };
  const code = codeOf(text);
  if (code !== undefined) answer.code = code;
  return answer;
}

/** What a request signed by the SDK would send: method, path with query, headers (body left to the caller). */
async function signedBySdk(command: PutObjectCommand | UploadPartCommand, options: Record<string, unknown> = {}): Promise<{ head: string }> {
  const client = new S3Client({
    endpoint: endpoint.url,
    region: 'us-east-1',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    ...options,
  });
  let captured: { method: string; path: string; query?: Record<string, string | string[] | null>; headers: Record<string, string> } | undefined;
  const stop = new Error('captured');
  client.middlewareStack.add(
    () => async (args) => {
      captured = args.request as typeof captured;
      throw stop;
    },
    { step: 'deserialize', name: 'captureSignedRequest' },
  );
  await assert.rejects(client.send(command as PutObjectCommand), (e) => e === stop);
  client.destroy();
  const { method, path, query = {}, headers } = captured!;
  const qs = Object.entries(query)
    .flatMap(([k, v]) => (v === null ? [k] : (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`)))
    .join('&');
  const lines = [`${method} ${path}${qs ? `?${qs}` : ''} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return { head: `${lines.join('\r\n')}\r\n\r\n` };
}

/** Sends bytes over a raw socket; `halfClose` ends the client's side after writing (a body cut short). */
function raw(head: string, body: Buffer | string, halfClose: boolean): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = connect(endpoint.port, '127.0.0.1', () => {
      socket.write(head);
      socket.write(body);
      if (halfClose) socket.end();
    });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      data += c;
      // One answer is all a test needs; close once it is complete.
      const m = /content-length: (\d+)/i.exec(data);
      const split = data.indexOf('\r\n\r\n');
      if (m && split !== -1 && data.length >= split + 4 + Number(m[1])) socket.destroy();
    });
    const done = () => {
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0);
      const answer: Answer = { status, body: data };
      const code = codeOf(data);
      if (code !== undefined) answer.code = code;
      resolve(answer);
    };
    socket.on('close', done);
    socket.on('error', () => undefined);
  });
}

/** Everything stored: per bucket its versioning, versions, uploads and their parts. */
async function snapshot(): Promise<string> {
  const store = endpoint.store;
  await store.flushEvents();
  const out: unknown[] = [];
  for (const b of await store.listBuckets()) {
    const versions = await store.listObjectVersions(b.name);
    const uploads = await store.listMultipartUploads(b.name);
    const parts = [];
    for (const u of uploads.uploads) parts.push((await store.listParts(b.name, u.key, u.uploadId)).parts.map((p) => [p.partNumber, p.etag, p.size]));
    out.push([
      b.name,
      await store.getBucketVersioning(b.name),
      versions.versions.map((v) => [v.key, v.versionId, v.etag, v.size, v.isLatest, v.deleteMarker]),
      uploads.uploads.map((u) => [u.key, u.uploadId]),
      parts,
    ]);
  }
  return JSON.stringify(out);
}

/** The data directory's files and sizes, SQLite's own files aside (they change on reads and checkpoints; their
 * content is what snapshot() lists). */
function dataFiles(): string {
  const files: Array<[string, number]> = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      let st;
      try {
        st = statSync(path);
      } catch {
        continue; // unlinked while we looked
      }
      if (st.isDirectory()) walk(path);
      else if (!/\.(db|sqlite\d?)(-wal|-shm|-journal)?$/.test(name)) files.push([relative(endpoint.dataDir, path), st.size]);
    }
  };
  walk(endpoint.dataDir);
  return JSON.stringify(files.sort());
}

async function refused(what: string, status: number, code: string, request: () => Promise<Answer>): Promise<void> {
  const before = await snapshot();
  const filesBefore = dataFiles();
  const answer = await request();
  assert.equal(answer.code, code, `${what}: expected ${code}, got ${answer.status} ${answer.body}`);
  assert.equal(answer.status, status, `${what}: status`);
  assert.equal(await snapshot(), before, `${what}: stored state changed`);
  // When Node's HTTP parser answers a body cut short, the handler is still unwinding and removes its temporary file
  // a moment later: the files must come back to what they were, not be left behind.
  for (let i = 0; i < 250 && dataFiles() !== filesBefore; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(dataFiles(), filesBefore, `${what}: files left in the data directory`);
}

before(async () => {
  endpoint = await startEndpoint({ maxObjectSize: 64 * 1024 * 1024 });
  work = mkdtempSync(join(tmpdir(), 'reflow-bad-input-'));
  sdk = new S3Client({
    endpoint: endpoint.url,
    region: 'us-east-1',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
  });
  await endpoint.store.createBucket('bad-input');
  await endpoint.store.putBucketVersioning('bad-input', 'Enabled');
  await endpoint.store.putObject('bad-input', 'keep.txt', Readable.from([Buffer.from('first')]));
  await endpoint.store.putObject('bad-input', 'keep.txt', Readable.from([Buffer.from('second')]));
  uploadId = (await endpoint.store.createMultipartUpload('bad-input', 'open.bin')).uploadId;
  await endpoint.store.uploadPart('bad-input', 'open.bin', uploadId, 1, Readable.from([Buffer.alloc(5 * 1024 * 1024, 1)]));
});

after(async () => {
  sdk?.destroy();
  await endpoint?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the happy path works with the same tools (so the refusals below are not a broken harness)', { skip: curlMissing }, async () => {
  const put = await curl('PUT', '/bad-input/curl-ok.txt', { body: 'hello', headers: { 'Content-MD5': md5b64('hello') } });
  assert.equal(put.status, 200, put.body);
  const got = await curl('GET', '/bad-input/curl-ok.txt');
  assert.equal(got.body, 'hello');
  const { head } = await signedBySdk(new PutObjectCommand({ Bucket: 'bad-input', Key: 'raw-ok.txt', Body: 'raw body' }), {
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  assert.equal((await raw(head, 'raw body', false)).status, 200);
  await curl('DELETE', '/bad-input/curl-ok.txt');
});

test('keys: .. and . segments, NUL, over 1,024 bytes (also in multi-byte characters), bad percent-encoding', { skip: curlMissing }, async () => {
  for (const [path, code] of [
    ['/bad-input/a/../b', 'InvalidObjectName'],
    ['/bad-input/../escape', 'InvalidObjectName'],
    ['/bad-input/dir/..', 'InvalidObjectName'],
    ['/bad-input/./x', 'InvalidObjectName'],
    ['/bad-input/a/./b', 'InvalidObjectName'],
    ['/bad-input/x%00y', 'InvalidObjectName'],
    [`/bad-input/${'k'.repeat(1025)}`, 'KeyTooLongError'],
    [`/bad-input/${encodeURIComponent('€'.repeat(342))}`, 'KeyTooLongError'], // 342 characters, 1,026 bytes
    ['/bad-input/bad%zzescape', 'InvalidArgument'],
  ] as const) {
    await refused(`PUT ${path.slice(0, 40)}`, 400, code, () => curl('PUT', path, { body: 'x', pathAsIs: true }));
    await refused(`CreateMultipartUpload ${path.slice(0, 40)}`, 400, code, () => curl('POST', `${path}?uploads=`, { pathAsIs: true }));
  }
  await refused('copy onto a bad key', 400, 'InvalidObjectName', () =>
    curl('PUT', '/bad-input/a/../copy', { headers: { 'x-amz-copy-source': '/bad-input/keep.txt' }, pathAsIs: true }),
  );
  // Exactly 1,024 bytes is allowed (S3's limit is inclusive).
  const longest = await curl('PUT', `/bad-input/${'k'.repeat(1024)}`, { body: 'x' });
  assert.equal(longest.status, 200, longest.body);
  await endpoint.store.deleteObject('bad-input', 'k'.repeat(1024), { versionId: (await endpoint.store.headObject('bad-input', 'k'.repeat(1024))).versionId });
});

test('bucket names and query parameters', { skip: curlMissing }, async () => {
  await refused('upper-case bucket', 400, 'InvalidBucketName', () => curl('PUT', '/Bad_Bucket'));
  await refused('two-letter bucket', 400, 'InvalidBucketName', () => curl('PUT', '/ab'));
  await refused('bucket like an IP', 400, 'InvalidBucketName', () => curl('PUT', '/192.168.1.1'));
  await refused('max-keys not a number', 400, 'InvalidArgument', () => curl('GET', '/bad-input?list-type=2&max-keys=lots'));
  await refused('encoding-type other than url', 400, 'InvalidArgument', () => curl('GET', '/bad-input?encoding-type=base64'));
  await refused('a sub-resource Reflow does not serve', 501, 'NotImplemented', () => curl('PUT', '/bad-input/keep.txt?acl=', { body: '<x/>' }));
  await refused('range past the end', 416, 'InvalidRange', () => curl('GET', '/bad-input/keep.txt', { headers: { Range: 'bytes=100-200' } }));
  await refused('malformed versioning XML', 400, 'MalformedXML', () => curl('PUT', '/bad-input?versioning=', { body: '<VersioningConfiguration><Status>On' }));
  await refused('versioning status not Enabled/Suspended', 400, 'MalformedXML', () =>
    curl('PUT', '/bad-input?versioning=', { body: '<VersioningConfiguration><Status>Sometimes</Status></VersioningConfiguration>' }),
  );
  await refused('a version id that does not exist', 404, 'NoSuchVersion', () => curl('GET', '/bad-input/keep.txt?versionId=nope'));
});

test('digests: wrong and malformed Content-MD5, wrong and malformed x-amz-content-sha256, wrong x-amz-checksum-*', { skip: curlMissing }, async () => {
  await refused('wrong Content-MD5', 400, 'BadDigest', () => curl('PUT', '/bad-input/keep.txt', { body: 'data', headers: { 'Content-MD5': md5b64('other') } }));
  await refused('malformed Content-MD5', 400, 'InvalidDigest', () => curl('PUT', '/bad-input/keep.txt', { body: 'data', headers: { 'Content-MD5': 'not-a-digest' } }));
  await refused('wrong x-amz-content-sha256', 400, 'XAmzContentSHA256Mismatch', () =>
    curl('PUT', '/bad-input/keep.txt', { body: 'data', headers: { 'x-amz-content-sha256': sha('other') } }),
  );
  await refused('x-amz-content-sha256 that is no hash', 400, 'InvalidArgument', () =>
    curl('PUT', '/bad-input/keep.txt', { body: 'data', headers: { 'x-amz-content-sha256': 'definitely-signed' } }),
  );
  await refused('no x-amz-content-sha256 with a body', 400, 'InvalidRequest', async () => {
    // curl then signs the body's hash without sending the header; S3 cannot stream-check that.
    const file = join(work, 'nohash');
    writeFileSync(file, 'data');
    const out = join(work, 'nohash.out');
    const r = await run('curl', ['-s', '-o', out, '-w', '%{http_code}', '-X', 'PUT', '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${ACCESS_KEY_ID}:${SECRET_ACCESS_KEY}`, '--data-binary', `@${file}`, `${endpoint.url}/bad-input/keep.txt`]);
    const body = readFileSync(out, 'utf8');
    return { status: Number(r.stdout), body, code: codeOf(body)! };
  });
  await refused('wrong x-amz-checksum-crc32', 400, 'BadDigest', () => curl('PUT', '/bad-input/keep.txt', { body: 'data', headers: { 'x-amz-checksum-crc32': 'AAAAAA==' } }));
  await refused('wrong x-amz-checksum-sha256', 400, 'BadDigest', () =>
    curl('PUT', '/bad-input/keep.txt', { body: 'data', headers: { 'x-amz-checksum-sha256': createHash('sha256').update('x').digest('base64') } }),
  );
  await refused('wrong Content-MD5 on a part', 400, 'BadDigest', () =>
    curl('PUT', `/bad-input/open.bin?partNumber=2&uploadId=${uploadId}`, { body: 'part', headers: { 'Content-MD5': md5b64('other') } }),
  );
});

test('signatures: wrong secret, unknown key, wrong service, malformed header, none, tampered and expired URLs, skewed clock', { skip: curlMissing }, async () => {
  await refused('wrong secret', 403, 'SignatureDoesNotMatch', () => curl('PUT', '/bad-input/keep.txt', { body: 'x', secret: 'not-it' }));
  await refused('unknown access key', 403, 'InvalidAccessKeyId', () => curl('PUT', '/bad-input/keep.txt', { body: 'x', key: 'AKIANOBODY' }));
  await refused('scoped to another service', 400, 'AuthorizationHeaderMalformed', () => curl('PUT', '/bad-input/keep.txt', { body: 'x', service: 'ec2' }));
  const put = (headers: Record<string, string>) =>
    fetch(`${endpoint.url}/bad-input/keep.txt`, { method: 'PUT', body: 'x', headers }).then(async (r) => {
      const body = await r.text();
      return { status: r.status, body, code: codeOf(body)! };
    });
  await refused('no signature at all', 403, 'AccessDenied', () => put({}));
  await refused('a malformed Authorization header', 400, 'AuthorizationHeaderMalformed', () =>
    put({ authorization: 'AWS4-HMAC-SHA256 Credential=nonsense', 'x-amz-date': '20260101T000000Z', 'x-amz-content-sha256': sha('x') }),
  );
  await refused('a SigV2 header with a wrong signature', 403, 'SignatureDoesNotMatch', () =>
    put({ authorization: `AWS ${ACCESS_KEY_ID}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=`, date: new Date().toUTCString() }),
  );

  const url = await getSignedUrl(sdk, new PutObjectCommand({ Bucket: 'bad-input', Key: 'keep.txt' }), { expiresIn: 60 });
  await refused('a presigned URL used for another key', 403, 'SignatureDoesNotMatch', () =>
    fetch(url.replace('/keep.txt', '/other.txt'), { method: 'PUT', body: 'x' }).then(async (r) => ({ status: r.status, body: await r.text(), code: '' })).then((a) => ({ ...a, code: codeOf(a.body)! })),
  );
  const expired = await getSignedUrl(sdk, new GetObjectCommand({ Bucket: 'bad-input', Key: 'keep.txt' }), {
    expiresIn: 60,
    signingDate: new Date(Date.now() - 3_600_000),
  });
  await refused('an expired presigned URL', 403, 'AccessDenied', () =>
    fetch(expired).then(async (r) => {
      const body = await r.text();
      return { status: r.status, body, code: codeOf(body)! };
    }),
  );
  const skewed = await startEndpoint({ now: () => new Date(Date.now() + 30 * 60_000) });
  try {
    const before = await snapshot();
    const r = await run('curl', ['-s', '-X', 'PUT', '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${ACCESS_KEY_ID}:${SECRET_ACCESS_KEY}`, '-H', `x-amz-content-sha256: ${EMPTY}`, `${skewed.url}/skew-bucket`]);
    assert.equal(codeOf(r.stdout), 'RequestTimeTooSkewed', r.stdout);
    await assert.rejects(skewed.store.headBucket('skew-bucket'), { code: 'NoSuchBucket' });
    assert.equal(await snapshot(), before);
  } finally {
    await skewed.close();
  }
});

test('bodies: shorter than Content-Length, cut short in aws-chunked framing, a wrong trailer checksum, too large', async () => {
  const { head } = await signedBySdk(new PutObjectCommand({ Bucket: 'bad-input', Key: 'keep.txt', Body: 'x'.repeat(100) }), {
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  await refused('10 of 100 bytes, then the client half-closes', 400, 'IncompleteBody', () => raw(head, 'x'.repeat(10), true));

  // The SDK's own aws-chunked request for a stream (STREAMING-UNSIGNED-PAYLOAD-TRAILER, CRC32 trailer); the body is
  // ours, framed by Content-Length (not signed) instead of the SDK's Transfer-Encoding.
  const stream = await signedBySdk(
    new PutObjectCommand({ Bucket: 'bad-input', Key: 'keep.txt', Body: Readable.from([Buffer.from('hello')]), ContentLength: 5, ChecksumAlgorithm: 'CRC32' }),
    { requestChecksumCalculation: 'WHEN_SUPPORTED' },
  );
  assert.match(stream.head, /x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER/i);
  const framed = (crc: string) => `5\r\nhello\r\n0\r\nx-amz-checksum-crc32:${crc}\r\n\r\n`;
  const headFor = (body: string) => stream.head.replace(/transfer-encoding: chunked/i, `content-length: ${Buffer.byteLength(body)}`);
  const good = await raw(headFor(framed('NhCmhg==')), framed('NhCmhg=='), false);
  assert.equal(good.status, 200, good.body); // the framing is right: only what is broken below is refused
  await refused('a wrong CRC32 in the trailer', 400, 'BadDigest', () => raw(headFor(framed('AAAAAA==')), framed('AAAAAA=='), false));
  await refused('aws-chunked body cut short', 400, 'IncompleteBody', () => raw(headFor(framed('NhCmhg==')), framed('NhCmhg==').slice(0, 12), true));
  await refused('aws-chunked chunk longer than its size line', 400, 'InvalidRequest', () => {
    const body = `5\r\nhello!\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n`;
    return raw(headFor(body), body, false);
  });

  const part = await signedBySdk(
    new UploadPartCommand({ Bucket: 'bad-input', Key: 'open.bin', UploadId: uploadId, PartNumber: 3, Body: 'y'.repeat(1000) }),
    { requestChecksumCalculation: 'WHEN_REQUIRED' },
  );
  await refused('a part cut short', 400, 'IncompleteBody', () => raw(part.head, 'y'.repeat(999), true));

  const small = await startEndpoint({ maxObjectSize: 1024 });
  try {
    await small.store.createBucket('tiny');
    const r = await run('curl', ['-s', '-X', 'PUT', '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${ACCESS_KEY_ID}:${SECRET_ACCESS_KEY}`, '-H', `x-amz-content-sha256: ${sha('z'.repeat(2048))}`, '--data-binary', 'z'.repeat(2048), `${small.url}/tiny/big`]);
    assert.equal(codeOf(r.stdout), 'EntityTooLarge', r.stdout);
    assert.deepEqual((await small.store.listObjects('tiny')).contents, []);
  } finally {
    await small.close();
  }
});

test('multipart: malformed and dishonest CompleteMultipartUpload, part numbers out of range, unknown upload', { skip: curlMissing }, async () => {
  const etag = (await endpoint.store.listParts('bad-input', 'open.bin', uploadId)).parts[0]!.etag;
  const complete = (xml: string) => curl('POST', `/bad-input/open.bin?uploadId=${uploadId}`, { body: xml });
  await refused('complete with malformed XML', 400, 'MalformedXML', () => complete('<CompleteMultipartUpload><Part>'));
  await refused('complete with no parts', 400, 'MalformedXML', () => complete('<CompleteMultipartUpload></CompleteMultipartUpload>'));
  await refused('complete naming a wrong ETag', 400, 'InvalidPart', () =>
    complete(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"${'0'.repeat(32)}"</ETag></Part></CompleteMultipartUpload>`),
  );
  await refused('complete naming a part never uploaded', 400, 'InvalidPart', () =>
    complete(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part><Part><PartNumber>7</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`),
  );
  await refused('part number 0', 400, 'InvalidArgument', () => curl('PUT', `/bad-input/open.bin?partNumber=0&uploadId=${uploadId}`, { body: 'p' }));
  await refused('part number 10001', 400, 'InvalidArgument', () => curl('PUT', `/bad-input/open.bin?partNumber=10001&uploadId=${uploadId}`, { body: 'p' }));
  await refused('part number not a number', 400, 'InvalidArgument', () => curl('PUT', `/bad-input/open.bin?partNumber=two&uploadId=${uploadId}`, { body: 'p' }));
  await refused('a part for an unknown upload', 404, 'NoSuchUpload', () => curl('PUT', '/bad-input/open.bin?partNumber=1&uploadId=nope', { body: 'p' }));
  await refused('abort an unknown upload', 404, 'NoSuchUpload', () => curl('DELETE', '/bad-input/open.bin?uploadId=nope'));

  // A second upload whose first part is under 5 MiB cannot complete (EntityTooSmall), and stays open.
  const second = (await endpoint.store.createMultipartUpload('bad-input', 'small-parts.bin')).uploadId;
  const p1 = await endpoint.store.uploadPart('bad-input', 'small-parts.bin', second, 1, Readable.from([Buffer.from('tiny')]));
  const p2 = await endpoint.store.uploadPart('bad-input', 'small-parts.bin', second, 2, Readable.from([Buffer.from('tail')]));
  await refused('complete with a small first part', 400, 'EntityTooSmall', () =>
    curl('POST', `/bad-input/small-parts.bin?uploadId=${second}`, {
      body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${p1.etag}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>${p2.etag}</ETag></Part></CompleteMultipartUpload>`,
    }),
  );
  await refused('complete with parts out of order', 400, 'InvalidPartOrder', () =>
    curl('POST', `/bad-input/small-parts.bin?uploadId=${second}`, {
      body: `<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>${p2.etag}</ETag></Part><Part><PartNumber>1</PartNumber><ETag>${p1.etag}</ETag></Part></CompleteMultipartUpload>`,
    }),
  );
  await endpoint.store.abortMultipartUpload('bad-input', 'small-parts.bin', second);
});
