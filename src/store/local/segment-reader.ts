/**
 * Streams a byte span of a version whose content is a sequence of blobs (one for a PUT, one per part for a
 * multipart upload): files read one at a time, 1 MiB per read, inline blobs from memory. Memory stays bounded
 * whatever the object or range size. Pull-based (`_read`), so a slow client never makes the server buffer the
 * object.
 *
 * A consumer that knows when it is done with a chunk (the S3 endpoint, once the socket has taken it) may hand it
 * back with `recycle`, and the next reads fill it again: a 2 GB GET then allocates two buffers instead of 2,048,
 * which V8 only frees at its next full collection (the server's RSS grew by up to 60 MB waiting for it). A consumer
 * that never recycles gets fresh buffers, as from any stream.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';

const READ_CHUNK = 1 << 20;
/** Recycled buffers kept for reuse: one being written to the socket, one being filled. */
const SPARE = 2;

export type Segment = { path: string; size: number } | { data: Buffer; size: number };

export class SegmentReader extends Readable {
  private index = 0;
  /** Offset inside the current segment. */
  private offset: number;
  private remaining: number;
  private file: FileHandle | undefined;
  private reading = false;
  /** The read running now, waited for before the file is closed on destroy. */
  private last: Promise<unknown> | undefined;
  private released = false;
  /** Buffers this reader allocated (only those may come back), and the ones handed back. */
  private readonly own = new WeakSet<ArrayBufferLike>();
  private readonly spare: Buffer[] = [];

  /** `start`..`end` inclusive; `onDone` runs once, at end, error or destroy (it unpins the blobs). */
  constructor(
    private readonly segments: Segment[],
    start: number,
    end: number,
    private readonly onDone: () => void,
  ) {
    super({ highWaterMark: READ_CHUNK });
    this.remaining = Math.max(0, end - start + 1);
    let skip = start;
    while (this.index < segments.length && skip >= segments[this.index]!.size) {
      skip -= segments[this.index]!.size;
      this.index++;
    }
    this.offset = skip;
  }

  /** The consumer no longer needs `chunk` (it came from this reader): its memory may be read into again. */
  recycle(chunk: Buffer): void {
    if (this.spare.length < SPARE && chunk.buffer.byteLength === READ_CHUNK && this.own.has(chunk.buffer)) {
      this.own.delete(chunk.buffer);
      this.spare.push(Buffer.from(chunk.buffer, 0, READ_CHUNK));
    }
  }

  override _read(): void {
    if (this.reading) return;
    this.reading = true;
    const read = this.next();
    this.last = read;
    read.then(
      (chunk) => {
        this.reading = false;
        this.push(chunk);
      },
      (err: Error) => {
        this.reading = false;
        this.destroy(err);
      },
    );
  }

  private buffer(): Buffer {
    const buffer = this.spare.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK);
    this.own.add(buffer.buffer);
    return buffer;
  }

  private async next(): Promise<Buffer | null> {
    for (;;) {
      if (this.remaining <= 0 || this.index >= this.segments.length) {
        await this.closeFile();
        return null;
      }
      const segment = this.segments[this.index]!;
      const available = segment.size - this.offset;
      if (available <= 0) {
        await this.closeFile();
        this.index++;
        this.offset = 0;
        continue;
      }
      const n = Math.min(READ_CHUNK, available, this.remaining);
      if ('data' in segment) {
        const slice = segment.data.subarray(this.offset, this.offset + n);
        this.offset += n;
        this.remaining -= n;
        return slice;
      }
      if (!this.file) {
        const file = await open(segment.path, 'r');
        // Destroyed while opening: nothing will close it later.
        if (this.destroyed) {
          await file.close().catch(() => undefined);
          return null;
        }
        this.file = file;
      }
      const buffer = this.buffer();
      const { bytesRead } = await this.file.read(buffer, 0, n, this.offset);
      if (bytesRead === 0) throw new Error(`blob ${segment.path} is shorter than its recorded ${segment.size} bytes`);
      this.offset += bytesRead;
      this.remaining -= bytesRead;
      return buffer.subarray(0, bytesRead);
    }
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(() => undefined);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A read may still be running on the file: let it finish before closing.
    Promise.resolve(this.last?.catch(() => undefined))
      .then(() => this.closeFile())
      .finally(() => {
        let failure = error;
        if (!this.released) {
          this.released = true;
          try {
            this.onDone();
          } catch (err) {
            failure ??= err as Error;
          }
        }
        callback(failure);
      });
  }
}
