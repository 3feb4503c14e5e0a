import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AwsChunkedDecoder,
  createChecksum,
  StreamingBodyError,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  type AwsChunkedOptions,
  type ChunkSigning,
} from './sigv4-streaming.js';
import { signingKey } from './sigv4.js';

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// The worked example of AWS's "Signature calculations for the Authorization header: Transferring payload in multiple
// chunks" page: 66,560 bytes of 'a' in a 65,536-byte chunk and a 1,024-byte chunk.
const AWS_EXAMPLE: ChunkSigning = {
  signingKey: signingKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1', 's3'),
  seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
  amzDate: '20130524T000000Z',
  scope: '20130524/us-east-1/s3/aws4_request',
};

function signChunks(signing: ChunkSigning, chunks: Buffer[], trailer?: string): Buffer {
  let previous = signing.seedSignature;
  const parts: Buffer[] = [];
  for (const data of [...chunks, Buffer.alloc(0)]) {
    const sts = ['AWS4-HMAC-SHA256-PAYLOAD', signing.amzDate, signing.scope, previous, EMPTY, createHash('sha256').update(data).digest('hex')].join('\n');
    const sig = createHmac('sha256', signing.signingKey).update(sts).digest('hex');
    previous = sig;
    parts.push(Buffer.from(`${data.length.toString(16)};chunk-signature=${sig}\r\n`), data);
    if (data.length > 0 || trailer === undefined) parts.push(Buffer.from('\r\n'));
  }
  if (trailer !== undefined) {
    const sts = ['AWS4-HMAC-SHA256-TRAILER', signing.amzDate, signing.scope, previous, createHash('sha256').update(`${trailer}\n`).digest('hex')].join('\n');
    const sig = createHmac('sha256', signing.signingKey).update(sts).digest('hex');
    parts.push(Buffer.from(`${trailer}\r\nx-amz-trailer-signature:${sig}\r\n\r\n`));
  }
  return Buffer.concat(parts);
}

async function decode(body: Buffer, options: AwsChunkedOptions, pieceSize = 7): Promise<{ data: Buffer; decoder: AwsChunkedDecoder }> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < body.length; i += pieceSize) pieces.push(body.subarray(i, i + pieceSize));
  const decoder = new AwsChunkedDecoder(options);
  const out: Buffer[] = [];
  decoder.on('data', (b: Buffer) => out.push(b));
  await pipeline(Readable.from(pieces), decoder);
  return { data: Buffer.concat(out), decoder };
}

test('checksums match their check values for "123456789"', () => {
  const input = Buffer.from('123456789');
  const hex = (alg: Parameters<typeof createChecksum>[0]) => {
    const c = createChecksum(alg);
    c.update(input.subarray(0, 4));
    c.update(input.subarray(4));
    return Buffer.from(c.digest(), 'base64').toString('hex');
  };
  assert.equal(hex('CRC32'), 'cbf43926');
  assert.equal(hex('CRC32C'), 'e3069283');
  assert.equal(hex('CRC64NVME'), 'ae8b14860a799888');
  assert.equal(hex('SHA256'), createHash('sha256').update(input).digest('hex'));
});

test("AWS's chunked-upload example verifies, chunk by chunk, whatever the network split", async () => {
  const body = Buffer.concat([
    Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'),
    Buffer.alloc(65536, 'a'),
    Buffer.from('\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n'),
    Buffer.alloc(1024, 'a'),
    Buffer.from('\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n'),
  ]);
  for (const piece of [1, 13, 65536, body.length]) {
    const { data } = await decode(body, { mode: STREAMING_SIGNED, signing: AWS_EXAMPLE, decodedLength: 66560 }, piece);
    assert.equal(data.length, 66560);
    assert.ok(data.every((b) => b === 0x61));
  }
});

test('a tampered chunk, a wrong seed or a reordered chunk fails with SignatureDoesNotMatch', async () => {
  const body = signChunks(AWS_EXAMPLE, [Buffer.from('hello '), Buffer.from('world')]);
  assert.equal((await decode(body, { mode: STREAMING_SIGNED, signing: AWS_EXAMPLE })).data.toString(), 'hello world');
  const tampered = Buffer.from(body);
  tampered[tampered.indexOf('world')] = 0x57;
  await assert.rejects(decode(tampered, { mode: STREAMING_SIGNED, signing: AWS_EXAMPLE }), (e: StreamingBodyError) => e.s3Code === 'SignatureDoesNotMatch');
  await assert.rejects(
    decode(body, { mode: STREAMING_SIGNED, signing: { ...AWS_EXAMPLE, seedSignature: '0'.repeat(64) } }),
    (e: StreamingBodyError) => e.s3Code === 'SignatureDoesNotMatch',
  );
});

test('a body cut short or longer than x-amz-decoded-content-length fails with IncompleteBody', async () => {
  const body = signChunks(AWS_EXAMPLE, [Buffer.from('hello world')]);
  await assert.rejects(decode(body.subarray(0, 90), { mode: STREAMING_SIGNED, signing: AWS_EXAMPLE }), (e: StreamingBodyError) => e.s3Code === 'IncompleteBody');
  await assert.rejects(
    decode(body, { mode: STREAMING_SIGNED, signing: AWS_EXAMPLE, decodedLength: 20 }),
    (e: StreamingBodyError) => e.s3Code === 'IncompleteBody',
  );
});

test('unsigned chunks with a CRC32 trailer are checked against the data', async () => {
  const crc = createChecksum('CRC32');
  crc.update(Buffer.from('hello world'));
  const good = Buffer.from(`5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:${crc.digest()}\r\n\r\n`);
  const { data, decoder } = await decode(good, { mode: STREAMING_UNSIGNED_TRAILER, trailers: ['x-amz-checksum-crc32'] });
  assert.equal(data.toString(), 'hello world');
  assert.equal(decoder.result.checksum?.algorithm, 'CRC32');
  const bad = Buffer.from('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n');
  await assert.rejects(decode(bad, { mode: STREAMING_UNSIGNED_TRAILER, trailers: ['x-amz-checksum-crc32'] }), (e: StreamingBodyError) => e.s3Code === 'BadDigest');
  const missing = Buffer.from('5\r\nhello\r\n0\r\n\r\n');
  await assert.rejects(decode(missing, { mode: STREAMING_UNSIGNED_TRAILER, trailers: ['x-amz-checksum-crc32'] }), (e: StreamingBodyError) => e.s3Code === 'InvalidRequest');
});

test('signed chunks with a signed trailer', async () => {
  const sum = createChecksum('SHA256');
  sum.update(Buffer.from('abc'));
  const trailer = `x-amz-checksum-sha256:${sum.digest()}`;
  const body = signChunks(AWS_EXAMPLE, [Buffer.from('abc')], trailer);
  const { data } = await decode(body, { mode: STREAMING_SIGNED_TRAILER, signing: AWS_EXAMPLE, trailers: ['x-amz-checksum-sha256'] });
  assert.equal(data.toString(), 'abc');
  const forged = Buffer.from(body.toString('latin1').replace(/trailer-signature:[0-9a-f]{4}/, 'trailer-signature:0000'), 'latin1');
  await assert.rejects(
    decode(forged, { mode: STREAMING_SIGNED_TRAILER, signing: AWS_EXAMPLE, trailers: ['x-amz-checksum-sha256'] }),
    (e: StreamingBodyError) => e.s3Code === 'SignatureDoesNotMatch',
  );
});
