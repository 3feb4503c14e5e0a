/**
 * Receiving a body: hash it while it arrives (MD5 for the ETag, SHA-256 for the blob's address), check it against
 * what the client declared, and keep it — in memory while it is no larger than `inlineMax` (it is then stored in the
 * metadata database, see blobs.ts), else in a temporary file, fsynced. The file is opened only once the body is
 * known to outgrow `inlineMax`, so a small body costs no file operation at all.
 *
 * Large bodies are copied once into a WRITE_CHUNK buffer, written when full; the socket is not read meanwhile.
 * (Filling a second buffer while the first was written made a 2 GB PUT ~15 % faster but raised the server's RSS
 * from ~141 to ~160 MB, over the 150 MB budget: the faster socket reads allocate node:http's 64 KiB buffers faster
 * than V8 collects them.) Memory per body stays at one chunk whatever its size. MD5 and SHA-256 run on the event loop as the bytes arrive
 * (together ~450 MB/s on this project's machines, MD5 the slower): hashing in worker threads would free the loop
 * but each worker costs ~12 MB of RSS, more than a 2 GB transfer's 150 MB budget has left.
 */
import { createHash } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { ReflowError } from '../../errors.js';
import type { ObjectBody } from '../types.js';

/**
 * Bytes per file write. One write per 64 KiB socket chunk cost ~15 % on 2 GB. 4 MiB chunks were no faster here
 * and raised the server's RSS by ~15 MB on a 2 GB PUT (which has a 150 MB budget).
 */
export const WRITE_CHUNK = 1 << 20;

export interface Received {
  size: number;
  md5: string;
  sha256: string;
  /** The whole body, when it was no larger than the inline limit (no file was written). */
  data?: Buffer;
  /** The temporary file holding the body otherwise. */
  path?: string;
}

export interface Expectations {
  contentLength?: number;
  contentMd5?: string;
  sha256?: string;
  maxSize: number;
  /** `EntityTooLarge` message subject ("object", "part"). */
  what: string;
}

/** Hashes on the calling thread. */
class LocalHasher {
  private readonly md5 = createHash('md5');
  private readonly sha = createHash('sha256');
  update(chunk: Buffer): void {
    this.md5.update(chunk);
    this.sha.update(chunk);
  }
  digest(): { md5: Buffer; sha256: string } {
    return { md5: this.md5.digest(), sha256: this.sha.digest('hex') };
  }
}

/** Checks declared values before reading a byte, so a bad request fails without storing anything. */
export function checkDeclared(expect: Expectations): Buffer | undefined {
  const { contentLength, contentMd5, sha256 } = expect;
  if (contentLength !== undefined && (!Number.isSafeInteger(contentLength) || contentLength < 0)) {
    throw new ReflowError('InvalidArgument', 'Content-Length must be a non-negative integer.', { field: 'ContentLength' });
  }
  if (contentLength !== undefined && contentLength > expect.maxSize) {
    throw new ReflowError('EntityTooLarge', `Your proposed upload exceeds the maximum allowed ${expect.what} size (${expect.maxSize} bytes).`, { field: 'ContentLength' });
  }
  let md5: Buffer | undefined;
  if (contentMd5 !== undefined) {
    md5 = /^[A-Za-z0-9+/]{22}==$/.test(contentMd5) ? Buffer.from(contentMd5, 'base64') : undefined;
    if (!md5 || md5.length !== 16) throw new ReflowError('InvalidDigest', 'The Content-MD5 you specified was invalid.', { field: 'ContentMD5' });
  }
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(sha256)) {
    throw new ReflowError('XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header is not a hex SHA-256 digest.', { field: 'ContentSHA256' });
  }
  return md5;
}

/** Where the bytes go: memory until the inline limit is passed, then a file written a chunk at a time. */
class Spool {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private file: FileHandle | undefined;
  path: string | undefined;
  /** The chunk being filled (file mode). */
  private current: Buffer | undefined;
  private filled = 0;

  private spilled = false;

  constructor(private readonly tmpPath: () => string) {}

  get inMemory(): boolean {
    return !this.spilled;
  }

  /** Memory mode: keep a copy (a Readable may reuse its buffer once we yield back to it). */
  keep(chunk: Buffer): void {
    this.pending.push(Buffer.from(chunk));
    this.pendingBytes += chunk.length;
  }

  memory(): Buffer {
    return this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
  }

  /** Leaves memory mode: opens the file and moves what was kept into the first chunk. */
  async toFile(): Promise<void> {
    this.spilled = true;
    this.path = this.tmpPath();
    this.file = await open(this.path, 'wx');
    const kept = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const chunk of kept) await this.append(chunk);
  }

  /**
   * File mode: copies `chunk` into the current buffer, writing it out when full. Returns a promise only when it
   * writes (the caller waits; the socket is not read meanwhile), else nothing.
   */
  append(chunk: Buffer): void | Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      this.current ??= Buffer.allocUnsafeSlow(WRITE_CHUNK);
      const n = chunk.copy(this.current, this.filled, offset);
      this.filled += n;
      offset += n;
      if (this.filled === this.current.length) {
        const written = this.write();
        if (offset === chunk.length) return written;
        const rest = chunk.subarray(offset);
        return written.then(() => this.append(rest));
      }
    }
  }

  private async write(): Promise<void> {
    const filled = this.filled;
    this.filled = 0;
    // write(2) may take fewer bytes than asked (a full disk reports itself on the next call).
    for (let done = 0; done < filled; ) done += (await this.file!.write(this.current!, done, filled - done)).bytesWritten;
  }

  /** Every byte written (the file still open). */
  async finish(): Promise<void> {
    if (this.filled > 0) await this.write();
  }

  async close(fsync: boolean): Promise<void> {
    if (fsync) await this.file!.sync();
    const file = this.file!;
    this.file = undefined;
    await file.close();
  }

  async abandon(): Promise<void> {
    if (this.file) await this.file.close().catch(() => undefined);
    this.file = undefined;
    if (this.path) await unlink(this.path).catch(() => undefined);
  }
}

/**
 * Receives `body`. A body no larger than `inlineMax` comes back as `data` (0: never); a larger one is written to a
 * new file at `tmpPath()` (created exclusively), fsynced when `fsync`, and comes back as `path`. On any failure the
 * file, if any, is removed and the error rethrown.
 */
export async function receive(
  body: ObjectBody,
  tmpPath: () => string,
  expect: Expectations,
  options: { fsync: boolean; inlineMax: number },
): Promise<Received> {
  const declaredMd5 = checkDeclared(expect);
  const inlineMax = options.inlineMax > 0 ? options.inlineMax : -1;
  const declared = expect.contentLength;
  // Declared larger than the inline limit: a file from the first byte.
  const fileFromStart = declared === undefined ? inlineMax < 0 : declared > inlineMax;
  const hasher = new LocalHasher();
  const spool = new Spool(tmpPath);
  let size = 0;
  try {
    if (fileFromStart) await spool.toFile();
    for await (const raw of body as AsyncIterable<Uint8Array | string>) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      size += chunk.length;
      if (size > expect.maxSize) {
        throw new ReflowError('EntityTooLarge', `Your proposed upload exceeds the maximum allowed ${expect.what} size (${expect.maxSize} bytes).`, { field: 'Body' });
      }
      if (expect.contentLength !== undefined && size > expect.contentLength) {
        throw new ReflowError('IncompleteBody', `The request body is longer than its Content-Length (${expect.contentLength}).`, { field: 'Body' });
      }
      hasher.update(chunk);
      if (spool.inMemory) {
        spool.keep(chunk);
        // Outgrew the limit (a body of unknown length): from here on it is a file.
        if (size > inlineMax) await spool.toFile();
      } else {
        const handed = spool.append(chunk);
        if (handed) await handed;
      }
    }
    if (expect.contentLength !== undefined && size !== expect.contentLength) {
      throw new ReflowError('IncompleteBody', `You did not provide the number of bytes specified by the Content-Length HTTP header (${size} of ${expect.contentLength}).`, { field: 'Body' });
    }
    const inline = spool.inMemory;
    if (!inline) await spool.finish();
    const digests = hasher.digest();
    if (declaredMd5 && !declaredMd5.equals(digests.md5)) {
      throw new ReflowError('BadDigest', 'The Content-MD5 you specified did not match what we received.', { field: 'ContentMD5' });
    }
    if (expect.sha256 !== undefined && expect.sha256.toLowerCase() !== digests.sha256) {
      throw new ReflowError('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", { field: 'ContentSHA256' });
    }
    const received: Received = { size, md5: digests.md5.toString('hex'), sha256: digests.sha256 };
    if (inline) {
      received.data = spool.memory();
      return received;
    }
    // fsync only a body that checked out: a refused one is unlinked anyway.
    await spool.close(options.fsync);
    received.path = spool.path!;
    return received;
  } catch (err) {
    await spool.abandon();
    if (err instanceof ReflowError) throw err;
    // A client that disconnects mid-body surfaces here as a stream error: S3 calls that an incomplete body.
    throw new ReflowError('IncompleteBody', `The request body could not be read: ${(err as Error).message}`, { field: 'Body', cause: err });
  }
}
