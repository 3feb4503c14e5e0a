/**
 * Bodies on their way to the remote store. A body is spooled before it is sent: the first bytes in memory, the rest
 * (if any) in a temporary file, hashed as they pass (MD5 for the ETag and Content-MD5, SHA-256 for the port). Only
 * then does the request go out, with its exact length, its Content-MD5 and the SHA-256 as metadata. That is what
 * lets the adapter
 * - refuse a short, long, broken or mis-digested body before the remote sees a byte (nothing stored changes),
 * - send a body of unknown length as one PutObject, so its ETag is the MD5 of the content (as S3 computes it for a
 *   PUT), which a multipart upload could not give, and servers that refuse `aws-chunked` without a length (RGW 16:
 *   411 MissingContentLength) take it,
 * - keep the SHA-256 in `x-amz-meta-reflow-sha256`, which must be known when the request starts.
 * Memory stays bounded by the in-memory threshold whatever the size; the cost is one local write and read of
 * bodies larger than it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { ReflowError } from '../../errors.js';
import type { ObjectBody } from '../types.js';

export interface Declared {
  contentLength?: number | undefined;
  contentMd5?: string | undefined;
  sha256?: string | undefined;
}

/** Checks declared values before a byte is read, so a malformed request fails without touching the remote. */
export function checkDeclared(d: Declared): void {
  if (d.contentLength !== undefined && (!Number.isSafeInteger(d.contentLength) || d.contentLength < 0)) {
    throw new ReflowError('InvalidArgument', 'Content-Length must be a non-negative integer.', { field: 'ContentLength' });
  }
  if (d.contentMd5 !== undefined) {
    const ok = /^[A-Za-z0-9+/]{22}==$/.test(d.contentMd5) && Buffer.from(d.contentMd5, 'base64').length === 16;
    if (!ok) throw new ReflowError('InvalidDigest', 'The Content-MD5 you specified was invalid.', { field: 'ContentMD5' });
  }
  if (d.sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(d.sha256)) {
    throw new ReflowError('XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header is not a hex SHA-256 digest.', { field: 'ContentSHA256' });
  }
}

/** Compares what arrived with what was declared; throws the S3 error for the first mismatch. */
export function checkReceived(d: Declared, got: { size: number; md5: Buffer; sha256: string }): void {
  if (d.contentLength !== undefined && got.size !== d.contentLength) {
    throw new ReflowError('IncompleteBody', `You did not provide the number of bytes specified by the Content-Length HTTP header (${got.size} of ${d.contentLength}).`, { field: 'Body' });
  }
  if (d.contentMd5 !== undefined && !Buffer.from(d.contentMd5, 'base64').equals(got.md5)) {
    throw new ReflowError('BadDigest', 'The Content-MD5 you specified did not match what we received.', { field: 'ContentMD5' });
  }
  if (d.sha256 !== undefined && d.sha256.toLowerCase() !== got.sha256) {
    throw new ReflowError('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", { field: 'ContentSHA256' });
  }
}

/** A body error (a client that hung up) is S3's IncompleteBody; our own errors pass through. */
export function bodyError(err: unknown): ReflowError {
  if (err instanceof ReflowError) return err;
  return new ReflowError('IncompleteBody', `The request body could not be read: ${(err as Error)?.message ?? String(err)}`, { field: 'Body', cause: err });
}

/** Temporary files are named so a later process can sweep the ones a crash left behind. */
const SPOOL_PREFIX = 'reflow-s3-spool-';
/** Small chunks are gathered up to this size before a write (one syscall per 64 KiB chunk is measurably slower). */
const WRITE_CHUNK = 1 << 20;

export interface Spooled {
  size: number;
  md5: Buffer;
  sha256: string;
  /** The whole body, when it fit the in-memory threshold. */
  memory?: Buffer;
  /** A fresh stream of bytes `start..end` (inclusive; default all), for a request body or a retry. */
  open(start?: number, end?: number): Readable | Buffer;
  dispose(): Promise<void>;
}

export interface SpoolOptions {
  /** Bytes kept in memory before the body goes to a file. */
  memoryBytes: number;
  dir: string;
  /** The declared length: a longer body is refused as soon as it runs past it. */
  limit?: number | undefined;
}

export async function spool(body: ObjectBody, options: SpoolOptions): Promise<Spooled> {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  let size = 0;
  let memory: Buffer[] = [];
  let file: FileHandle | undefined;
  let path: string | undefined;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (!file || pendingBytes === 0) return;
    const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await file.write(data, 0, data.length);
  };
  try {
    for await (const raw of body as AsyncIterable<Uint8Array | string>) {
      // Copy: a Readable may reuse its buffer once we pull again.
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw);
      size += chunk.length;
      if (options.limit !== undefined && size > options.limit) {
        throw new ReflowError('IncompleteBody', `The request body is longer than its Content-Length (${options.limit}).`, { field: 'Body' });
      }
      md5.update(chunk);
      sha.update(chunk);
      if (!file && size <= options.memoryBytes) {
        memory.push(chunk);
        continue;
      }
      if (!file) {
        await mkdir(options.dir, { recursive: true });
        path = join(options.dir, `${SPOOL_PREFIX}${process.pid}-${randomBytes(8).toString('hex')}`);
        file = await open(path, 'wx', 0o600);
        pending = memory;
        pendingBytes = size - chunk.length;
        memory = [];
      }
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= WRITE_CHUNK) await flush();
    }
    await flush();
    await file?.close();
    file = undefined;
  } catch (err) {
    await file?.close().catch(() => undefined);
    if (path) await unlink(path).catch(() => undefined);
    throw bodyError(err);
  }
  const result: Spooled = {
    size,
    md5: md5.digest(),
    sha256: sha.digest('hex'),
    open(start = 0, end = size - 1) {
      if (path === undefined) return whole.subarray(start, end + 1);
      return createReadStream(path, { start, end, highWaterMark: WRITE_CHUNK });
    },
    async dispose() {
      if (path) await unlink(path).catch(() => undefined);
    },
  };
  const whole = path === undefined ? Buffer.concat(memory, size) : Buffer.alloc(0);
  if (path === undefined) result.memory = whole;
  return result;
}

/** Removes spool files older than a day that a crashed process left in `dir` (best effort). */
export async function sweepSpool(dir: string, nowMs = Date.now()): Promise<number> {
  let removed = 0;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(SPOOL_PREFIX)) continue;
    const p = join(dir, name);
    const s = await stat(p).catch(() => undefined);
    if (s && nowMs - s.mtimeMs > 86_400_000) {
      await unlink(p).catch(() => undefined);
      removed++;
    }
  }
  return removed;
}

/**
 * Bytes `start..end` (inclusive) of a stream, for a server that answered a ranged GET with the whole object (200)
 * although the range was satisfiable.
 */
export function sliceStream(source: Readable, start: number, end: number): Readable {
  let offset = 0;
  const slicer = new Transform({
    transform(chunk: Buffer, _enc, done) {
      const from = Math.max(0, start - offset);
      const to = Math.min(chunk.length, end + 1 - offset);
      offset += chunk.length;
      done(null, from < to ? chunk.subarray(from, to) : undefined);
    },
  });
  source.on('error', (err) => slicer.destroy(err));
  return source.pipe(slicer);
}

/** SHA-256 of a whole stream (a multipart object read back once after completion). */
export async function sha256Of(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of stream) h.update(chunk);
  return h.digest('hex');
}
