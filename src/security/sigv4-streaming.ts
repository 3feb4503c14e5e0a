/**
 * SigV4 for streamed S3 bodies: the `aws-chunked` content encoding, after `verifySigV4` has checked the seed
 * signature in the headers.
 *
 * - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: every chunk is `<hex size>;chunk-signature=<sig>\r\n<data>\r\n`, ended by a
 *   zero-size chunk. Each signature chains on the previous one (the seed first):
 *   `AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n<previous>\n<sha256("")>\n<sha256(data)>`.
 * - `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: chunks are `<hex size>\r\n<data>\r\n`; after the zero-size chunk come trailer
 *   headers (`x-amz-checksum-crc32:<base64>`), then an empty line. The trailer checksum is verified here.
 * - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks and a trailer, with `x-amz-trailer-signature`
 *   `AWS4-HMAC-SHA256-TRAILER\n<date>\n<scope>\n<previous>\n<sha256(trailer lines)>`.
 *
 * The decoder is a Transform: memory stays bounded by one chunk header and whatever the consumer buffers, since data
 * is passed on as it arrives. A bad chunk signature fails the stream at the end of that chunk, so a consumer that
 * commits only after the stream ended cleanly (the store does) never keeps a body that failed here.
 */
import { createHash, createHmac, timingSafeEqual, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { ReflowError } from '../errors.js';
import { signingKey, type SigV4Identity } from './sigv4.js';

export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export type StreamingMode = typeof STREAMING_SIGNED | typeof STREAMING_SIGNED_TRAILER | typeof STREAMING_UNSIGNED_TRAILER;

export function isStreamingPayload(payloadHash: string): payloadHash is StreamingMode {
  return payloadHash === STREAMING_SIGNED || payloadHash === STREAMING_SIGNED_TRAILER || payloadHash === STREAMING_UNSIGNED_TRAILER;
}

/** Which S3 wire error a streaming failure is: the caller maps these onto S3's codes. */
export type StreamingFailure =
  | 'SignatureDoesNotMatch' // a chunk or trailer signature is wrong
  | 'IncompleteBody' // the stream ended inside a chunk, or shorter than x-amz-decoded-content-length
  | 'InvalidChunkSizeError' // malformed framing
  | 'BadDigest' // a trailer checksum does not match the data
  | 'InvalidRequest'; // a declared trailer is missing, or an unknown one arrived

export class StreamingBodyError extends ReflowError {
  readonly s3Code: StreamingFailure;
  constructor(s3Code: StreamingFailure, message: string) {
    // S3 answers malformed framing with InvalidChunkSizeError, which the registry files under InvalidRequest.
    super(s3Code === 'InvalidChunkSizeError' ? 'InvalidRequest' : s3Code, message);
    this.s3Code = s3Code;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Checksums S3 accepts (x-amz-checksum-*), computed incrementally.

export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';

export interface Checksum {
  update(data: Buffer): void;
  /** Base64 of the big-endian digest, as S3 writes it. */
  digest(): string;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** CRC-64/NVME (reflected, poly 0x9a6c9329ac4bc9b5), kept as two 32-bit halves: BigInt per byte is too slow. */
const CRC64_TABLE = (() => {
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  const poly = 0x9a6c9329ac4bc9b5n;
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? poly ^ (c >> 1n) : c >> 1n;
    hi[i] = Number(c >> 32n);
    lo[i] = Number(c & 0xffffffffn);
  }
  return { hi, lo };
})();

function u32be(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}

export function createChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case 'CRC32': {
      let value = 0;
      return {
        update: (data) => void (value = crc32(data, value)),
        digest: () => u32be(value).toString('base64'),
      };
    }
    case 'CRC32C': {
      let c = 0xffffffff;
      return {
        update(data) {
          for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
        },
        digest: () => u32be(~c).toString('base64'),
      };
    }
    case 'CRC64NVME': {
      let hi = 0xffffffff;
      let lo = 0xffffffff;
      const { hi: th, lo: tl } = CRC64_TABLE;
      return {
        update(data) {
          for (let i = 0; i < data.length; i++) {
            const idx = (lo ^ data[i]!) & 0xff;
            // c = table[idx] ^ (c >> 8)
            const shiftedLo = ((lo >>> 8) | (hi << 24)) >>> 0;
            const shiftedHi = hi >>> 8;
            lo = (tl[idx]! ^ shiftedLo) >>> 0;
            hi = (th[idx]! ^ shiftedHi) >>> 0;
          }
        },
        digest() {
          const b = Buffer.alloc(8);
          b.writeUInt32BE(~hi >>> 0, 0);
          b.writeUInt32BE(~lo >>> 0, 4);
          return b.toString('base64');
        },
      };
    }
    case 'SHA1':
    case 'SHA256': {
      const hash: Hash = createHash(algorithm === 'SHA1' ? 'sha1' : 'sha256');
      return { update: (data) => void hash.update(data), digest: () => hash.digest('base64') };
    }
  }
}

/** `x-amz-checksum-crc32` → `CRC32`; undefined for anything else. */
export function checksumAlgorithmOfHeader(name: string): ChecksumAlgorithm | undefined {
  const m = /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/i.exec(name.trim());
  return m ? (m[1]!.toUpperCase() as ChecksumAlgorithm) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The decoder

export interface ChunkSigning {
  /** kSigning for the request's date/region/service. */
  signingKey: Buffer;
  /** The signature of the headers (the seed). */
  seedSignature: string;
  /** `YYYYMMDDTHHMMSSZ` */
  amzDate: string;
  /** `date/region/service/aws4_request` */
  scope: string;
}

export interface AwsChunkedOptions {
  mode: StreamingMode;
  /** Needed for the signed modes. */
  signing?: ChunkSigning;
  /** `x-amz-trailer`: the trailer header names announced (lower case). */
  trailers?: string[];
  /** `x-amz-decoded-content-length`, when sent: the decoded body must have exactly this length. */
  decodedLength?: number;
  /** Largest chunk accepted (default 16 MiB): a bound on what one chunk header can make us wait for. */
  maxChunkSize?: number;
}

/** What arrived after the body, once the stream ended cleanly. */
export interface AwsChunkedResult {
  decodedLength: number;
  /** Trailer headers, lower-case names. */
  trailers: Map<string, string>;
  /** Verified trailer checksum, when one was sent. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

type State = 'header' | 'data' | 'data-crlf' | 'trailer' | 'done';

const MAX_LINE = 4096;

export class AwsChunkedDecoder extends Transform {
  readonly result: AwsChunkedResult = { decodedLength: 0, trailers: new Map() };
  private readonly opts: AwsChunkedOptions;
  private readonly signed: boolean;
  private state: State = 'header';
  private line: Buffer[] = [];
  private lineLength = 0;
  private remaining = 0;
  private chunkSignature = '';
  private chunkHash: Hash | undefined;
  private previousSignature: string;
  private checksum: { algorithm: ChecksumAlgorithm; sum: Checksum; header: string } | undefined;

  constructor(options: AwsChunkedOptions) {
    super();
    this.opts = options;
    this.signed = options.mode !== STREAMING_UNSIGNED_TRAILER;
    if (this.signed && options.signing === undefined) throw new Error('AwsChunkedDecoder: signed mode without signing');
    this.previousSignature = options.signing?.seedSignature ?? '';
    for (const name of options.trailers ?? []) {
      const algorithm = checksumAlgorithmOfHeader(name);
      if (algorithm !== undefined) this.checksum = { algorithm, sum: createChecksum(algorithm), header: name.toLowerCase() };
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.state !== 'done') {
        // A trailer section may end at EOF without its final blank line (some clients); anything else is short.
        if (this.state === 'trailer' && this.lineLength === 0) this.finish();
        else throw new StreamingBodyError('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
      }
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  private consume(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      switch (this.state) {
        case 'header':
        case 'trailer': {
          const nl = buf.indexOf(0x0a, i);
          const end = nl === -1 ? buf.length : nl;
          this.lineLength += end - i;
          if (this.lineLength > MAX_LINE) throw new StreamingBodyError('InvalidChunkSizeError', 'Chunk header too long.');
          this.line.push(buf.subarray(i, end));
          i = end;
          if (nl === -1) break;
          i = nl + 1;
          let text = Buffer.concat(this.line).toString('latin1');
          this.line = [];
          this.lineLength = 0;
          if (text.endsWith('\r')) text = text.slice(0, -1);
          if (this.state === 'header') this.onChunkHeader(text);
          else this.onTrailerLine(text);
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, buf.length - i);
          const part = buf.subarray(i, i + n);
          this.chunkHash?.update(part);
          this.checksum?.sum.update(part);
          this.result.decodedLength += n;
          this.push(part);
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) {
            this.endChunkData();
            this.state = 'data-crlf';
            this.remaining = 2;
          }
          break;
        }
        case 'data-crlf': {
          const expected = this.remaining === 2 ? 0x0d : 0x0a;
          if (buf[i] !== expected) throw new StreamingBodyError('InvalidChunkSizeError', 'Chunk data is not followed by CRLF.');
          i++;
          if (--this.remaining === 0) this.state = 'header';
          break;
        }
        case 'done':
          // Bytes after the end of the encoding: ignore blank padding, refuse anything else.
          if (buf.subarray(i).some((b) => b !== 0x0d && b !== 0x0a)) {
            throw new StreamingBodyError('InvalidChunkSizeError', 'Data after the final chunk.');
          }
          return;
      }
    }
  }

  private onChunkHeader(text: string): void {
    if (text === '' ) throw new StreamingBodyError('InvalidChunkSizeError', 'Empty chunk header.');
    const semi = text.indexOf(';');
    const sizeText = (semi === -1 ? text : text.slice(0, semi)).trim();
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw new StreamingBodyError('InvalidChunkSizeError', `Invalid chunk size '${sizeText}'.`);
    const size = parseInt(sizeText, 16);
    if (size > (this.opts.maxChunkSize ?? 16 * 1024 * 1024)) {
      throw new StreamingBodyError('InvalidChunkSizeError', `Chunk size ${size} is over the limit.`);
    }
    this.chunkSignature = '';
    if (semi !== -1) {
      for (const ext of text.slice(semi + 1).split(';')) {
        const eq = ext.indexOf('=');
        if (eq !== -1 && ext.slice(0, eq).trim() === 'chunk-signature') this.chunkSignature = ext.slice(eq + 1).trim();
      }
    }
    if (this.signed && this.chunkSignature === '') {
      throw new StreamingBodyError('SignatureDoesNotMatch', 'A chunk carries no chunk-signature.');
    }
    this.chunkHash = this.signed ? createHash('sha256') : undefined;
    this.remaining = size;
    if (size === 0) {
      this.endChunkData();
      const decoded = this.opts.decodedLength;
      if (decoded !== undefined && decoded !== this.result.decodedLength) {
        throw new StreamingBodyError(
          'IncompleteBody',
          `The decoded body has ${this.result.decodedLength} bytes, x-amz-decoded-content-length says ${decoded}.`,
        );
      }
      this.state = 'trailer';
      return;
    }
    if (this.opts.decodedLength !== undefined && this.result.decodedLength + size > this.opts.decodedLength) {
      throw new StreamingBodyError('IncompleteBody', 'The chunks are longer than x-amz-decoded-content-length.');
    }
    this.state = 'data';
  }

  private endChunkData(): void {
    if (!this.signed) return;
    const signing = this.opts.signing!;
    const dataHash = this.chunkHash!.digest('hex');
    const stringToSign = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      signing.amzDate,
      signing.scope,
      this.previousSignature,
      EMPTY_SHA256,
      dataHash,
    ].join('\n');
    this.checkSignature(this.chunkSignature, stringToSign);
    this.previousSignature = this.chunkSignature;
  }

  private checkSignature(given: string, stringToSign: string): void {
    const expected = createHmac('sha256', this.opts.signing!.signingKey).update(stringToSign, 'utf8').digest();
    const givenBytes = /^[0-9a-f]{64}$/i.test(given) ? Buffer.from(given, 'hex') : undefined;
    if (givenBytes === undefined || !timingSafeEqual(givenBytes, expected)) {
      throw new StreamingBodyError(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      );
    }
  }

  private onTrailerLine(text: string): void {
    if (text === '') {
      this.finish();
      return;
    }
    const colon = text.indexOf(':');
    if (colon === -1) throw new StreamingBodyError('InvalidRequest', `Malformed trailer '${text}'.`);
    this.result.trailers.set(text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim());
  }

  private finish(): void {
    const trailers = this.result.trailers;
    const signatureLine = trailers.get('x-amz-trailer-signature');
    trailers.delete('x-amz-trailer-signature');
    for (const name of this.opts.trailers ?? []) {
      if (!trailers.has(name.toLowerCase())) {
        throw new StreamingBodyError('InvalidRequest', `The trailer ${name} announced in x-amz-trailer was not sent.`);
      }
    }
    if (this.opts.mode === STREAMING_SIGNED_TRAILER) {
      if (signatureLine === undefined) throw new StreamingBodyError('SignatureDoesNotMatch', 'The trailer carries no x-amz-trailer-signature.');
      const canonical = [...trailers].map(([k, v]) => `${k}:${v}\n`).join('');
      const signing = this.opts.signing!;
      this.checkSignature(
        signatureLine,
        ['AWS4-HMAC-SHA256-TRAILER', signing.amzDate, signing.scope, this.previousSignature, sha256Hex(canonical)].join('\n'),
      );
    }
    if (this.checksum !== undefined) {
      const sent = trailers.get(this.checksum.header)!;
      const computed = this.checksum.sum.digest();
      if (sent !== computed) {
        throw new StreamingBodyError(
          'BadDigest',
          `The ${this.checksum.algorithm} you specified did not match the calculated checksum.`,
        );
      }
      this.result.checksum = { algorithm: this.checksum.algorithm, value: computed };
    }
    this.state = 'done';
  }
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

// ---------------------------------------------------------------------------------------------------------------
// Recovering what verifySigV4 checked, for the chunk chain

/**
 * The chunk-signing context of a request whose seed signature `verifySigV4` accepted (header form only: presigned
 * URLs cannot stream signed chunks). Undefined when the headers do not carry what the chain needs.
 */
export function chunkSigning(
  headers: Record<string, string | string[] | undefined>,
  identity: SigV4Identity,
  credentials: (accessKeyId: string) => string | undefined,
): ChunkSigning | undefined {
  const header = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const authorization = header('authorization');
  const amzDate = header('x-amz-date')?.trim();
  const secret = credentials(identity.accessKeyId);
  if (authorization === undefined || amzDate === undefined || secret === undefined) return undefined;
  const seed = /Signature=([0-9a-fA-F]{64})/.exec(authorization)?.[1];
  const date = /Credential=[^/,\s]+\/(\d{8})\//.exec(authorization)?.[1];
  if (seed === undefined || date === undefined) return undefined;
  return {
    // The same (cached) key the seed signature was checked with.
    signingKey: signingKey(secret, date, identity.region, identity.service),
    seedSignature: seed.toLowerCase(),
    amzDate,
    scope: `${date}/${identity.region}/${identity.service}/aws4_request`,
  };
}
