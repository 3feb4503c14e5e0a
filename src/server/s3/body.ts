/**
 * Request bodies on the S3 endpoint: what the signature says about the payload decides how it is read.
 * - a hex `x-amz-content-sha256`: passed on to the store, which hashes while it streams (XAmzContentSHA256Mismatch);
 * - `UNSIGNED-PAYLOAD` (presigned URLs, some clients): read as is;
 * - `STREAMING-…`: the aws-chunked decoder strips the framing, checks chunk signatures and the trailer checksum.
 * An `x-amz-checksum-*` header is verified here while the data passes (BadDigest), as is a trailer checksum.
 * Nothing is buffered: the store reads the returned iterable, and a failure surfaces on its last read, before it
 * commits anything.
 */
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { ReflowError, isReflowError } from '../../errors.js';
import type { SigV4Identity } from '../../security/sigv4.js';
import {
  AwsChunkedDecoder,
  checksumAlgorithmOfHeader,
  chunkSigning,
  createChecksum,
  isStreamingPayload,
  STREAMING_UNSIGNED_TRAILER,
  type Checksum,
  type ChecksumAlgorithm,
} from '../../security/sigv4-streaming.js';

export interface PreparedBody {
  body: AsyncIterable<Uint8Array>;
  /** The length the decoded body must have, when known. */
  contentLength?: number;
  /** Hex SHA-256 the body must hash to (from a signed `x-amz-content-sha256`). */
  sha256?: string;
  contentMd5?: string;
  /** Checksums verified on the wire, by algorithm (`CRC32` → base64). Trailer values are filled in when the body
   * has been read to the end, so the store must read this object after consuming the body (it commits then). */
  checksums: Record<string, string>;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function incompleteBody(cause?: unknown): ReflowError {
  return new ReflowError('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.', { cause });
}

export function declaredLength(request: FastifyRequest): number | undefined {
  const text = header(request, 'content-length');
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new ReflowError('InvalidArgument', 'Content-Length is not a number.', { field: 'Content-Length' });
  return Number(text);
}

export function prepareBody(
  request: FastifyRequest,
  identity: SigV4Identity,
  credentials: (accessKeyId: string) => string | undefined,
  maxSize: number,
): PreparedBody {
  const raw = request.raw;
  const checksums: Record<string, string> = {};
  const verify: Array<{ algorithm: ChecksumAlgorithm; sum: Checksum; expected: string }> = [];
  for (const name in request.headers) {
    // Most requests carry one checksum header among a dozen others: skip the rest cheaply.
    if (!name.startsWith('x-amz-checksum-')) continue;
    const value = request.headers[name];
    const algorithm = checksumAlgorithmOfHeader(name);
    if (algorithm === undefined || typeof value !== 'string') continue;
    verify.push({ algorithm, sum: createChecksum(algorithm), expected: value.trim() });
    checksums[algorithm] = value.trim();
  }
  const prepared: Omit<PreparedBody, 'body'> = { checksums };
  const md5 = header(request, 'content-md5');
  if (md5 !== undefined) {
    // S3 tells a malformed digest (InvalidDigest) from a wrong one (BadDigest, once the body has been read).
    if (!/^[A-Za-z0-9+/]{22}==$/.test(md5.trim())) {
      throw new ReflowError('InvalidDigest', 'The Content-MD5 you specified was invalid.', { field: 'Content-MD5' });
    }
    prepared.contentMd5 = md5.trim();
  }

  let source: AsyncIterable<Uint8Array>;
  const mode = identity.payloadHash;
  if (isStreamingPayload(mode)) {
    const decodedText = header(request, 'x-amz-decoded-content-length');
    let decodedLength: number | undefined;
    if (decodedText !== undefined) {
      if (!/^\d+$/.test(decodedText.trim())) {
        throw new ReflowError('InvalidArgument', 'x-amz-decoded-content-length is not a number.', { field: 'x-amz-decoded-content-length' });
      }
      decodedLength = Number(decodedText);
      prepared.contentLength = decodedLength;
      if (decodedLength > maxSize) throw entityTooLarge(maxSize);
    } else if (declaredLength(request) === undefined) {
      throw new ReflowError('MissingContentLength', 'You must provide the Content-Length HTTP header.');
    }
    const trailers = (header(request, 'x-amz-trailer') ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== '');
    let signing;
    if (mode !== STREAMING_UNSIGNED_TRAILER) {
      signing = chunkSigning(request.headers, identity, credentials);
      if (signing === undefined || identity.presigned) {
        throw new ReflowError('AuthorizationHeaderMalformed', 'Signed aws-chunked bodies need the Authorization header form.');
      }
    }
    const decoder = new AwsChunkedDecoder({
      mode,
      ...(signing ? { signing } : {}),
      trailers,
      ...(decodedLength !== undefined ? { decodedLength } : {}),
    });
    pipeline(raw, decoder).catch(() => undefined); // errors surface through the decoder's iteration
    decoder.on('end', () => {
      const trailer = decoder.result.checksum;
      if (trailer) checksums[trailer.algorithm] = trailer.value;
    });
    source = decoder;
  } else {
    const length = declaredLength(request);
    if (length === undefined) throw new ReflowError('MissingContentLength', 'You must provide the Content-Length HTTP header.');
    if (length > maxSize) throw entityTooLarge(maxSize);
    prepared.contentLength = length;
    if (/^[0-9a-f]{64}$/i.test(mode)) prepared.sha256 = mode.toLowerCase();
    source = raw;
  }
  return { ...prepared, body: guard(source, verify) };
}

function entityTooLarge(maxSize: number): ReflowError {
  return new ReflowError('EntityTooLarge', `Your proposed upload exceeds the maximum allowed size of ${maxSize} bytes.`);
}

async function* guard(
  source: AsyncIterable<Uint8Array>,
  verify: Array<{ algorithm: ChecksumAlgorithm; sum: Checksum; expected: string }>,
): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of source) {
      const buf = chunk as Buffer;
      for (const v of verify) v.sum.update(buf);
      yield buf;
    }
  } catch (err) {
    // The socket closed before Content-Length bytes arrived (Node: `aborted`, ECONNRESET).
    throw isReflowError(err) ? err : incompleteBody(err);
  }
  for (const v of verify) {
    if (v.sum.digest() !== v.expected) {
      throw new ReflowError('BadDigest', `The ${v.algorithm} you specified did not match the calculated checksum.`);
    }
  }
}

/** Reads a small body (an XML request) whole, with the same checks as object bodies. */
export async function readSmallBody(
  request: FastifyRequest,
  identity: SigV4Identity,
  credentials: (accessKeyId: string) => string | undefined,
  limit = 2 * 1024 * 1024,
): Promise<Buffer> {
  const length = declaredLength(request);
  if (length === undefined && !isStreamingPayload(identity.payloadHash) && header(request, 'transfer-encoding') === undefined) {
    return Buffer.alloc(0);
  }
  const prepared = prepareBody(request, identity, credentials, limit);
  const hash = prepared.sha256 ? (await import('node:crypto')).createHash('sha256') : undefined;
  const md5 = prepared.contentMd5 !== undefined ? (await import('node:crypto')).createHash('md5') : undefined;
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of prepared.body) {
    const buf = Buffer.from(chunk);
    size += buf.length;
    if (size > limit) throw new ReflowError('EntityTooLarge', 'The request body is too large.');
    hash?.update(buf);
    md5?.update(buf);
    parts.push(buf);
  }
  if (prepared.contentLength !== undefined && size !== prepared.contentLength) throw incompleteBody();
  if (hash && hash.digest('hex') !== prepared.sha256) {
    throw new ReflowError('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  if (md5 && md5.digest('base64') !== prepared.contentMd5) {
    throw new ReflowError('BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  return Buffer.concat(parts);
}
