/**
 * Streams a byte span of a version whose content is a sequence of blobs (one for a PUT, one per part for a
 * multipart upload): files read one at a time in READ_CHUNK reads, inline blobs from memory. Memory stays bounded
 * whatever the object or range size: at most one chunk is read ahead of what the consumer has taken.
 *
 * Pull-based (`_read`), so a slow client never makes the server buffer the object. The next read is started as soon
 * as a chunk is pushed (read-ahead of one), so the disk (or page cache copy) and the socket work at the same time;
 * a 2 GB GET with a read issued only on demand spent half its time waiting on one or the other.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** 4 MiB: a quarter of the reads (and event-loop turns) of 1 MiB for two chunks in memory per GET. */
const READ_CHUNK = 4 << 20;

export type Segment = { path: string; size: number } | { data: Buffer; size: number };

export class SegmentReader extends Readable {
  private index = 0;
  /** Offset inside the current segment. */
  private offset: number;
  private remaining: number;
  private file: FileHandle | undefined;
  /** The chunk being read ahead, not yet pushed. */
  private ahead: Promise<Buffer | null> | undefined;
  private waiting = false;
  /** The read running now (one at a time): waited for before the file is closed on destroy. */
  private last: Promise<unknown> | undefined;
  private released = false;

  /** `start`..`end` inclusive; `onDone` runs once, at end, error or destroy (it unpins the blobs). */
  constructor(
    private readonly segments: Segment[],
    start: number,
    end: number,
    private readonly onDone: () => void,
  ) {
    // One chunk buffered in the stream plus one read ahead.
    super({ highWaterMark: READ_CHUNK });
    this.remaining = Math.max(0, end - start + 1);
    let skip = start;
    while (this.index < segments.length && skip >= segments[this.index]!.size) {
      skip -= segments[this.index]!.size;
      this.index++;
    }
    this.offset = skip;
  }

  override _read(): void {
    if (this.waiting) return;
    this.waiting = true;
    const chunk = this.ahead ?? this.start();
    this.ahead = undefined;
    chunk.then(
      (buffer) => {
        this.waiting = false;
        if (this.destroyed) return;
        // Start the next read before handing this chunk on: it runs while the consumer writes this one.
        if (buffer !== null && this.remaining > 0) {
          this.ahead = this.start();
          this.ahead.catch(() => undefined); // seen when _read takes it
        }
        this.push(buffer);
      },
      (err: Error) => {
        this.waiting = false;
        this.destroy(err);
      },
    );
  }

  private start(): Promise<Buffer | null> {
    const read = this.next();
    this.last = read;
    return read;
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
      const buffer = Buffer.allocUnsafeSlow(n);
      const { bytesRead } = await this.file.read(buffer, 0, n, this.offset);
      if (bytesRead === 0) throw new Error(`blob ${segment.path} is shorter than its recorded ${segment.size} bytes`);
      this.offset += bytesRead;
      this.remaining -= bytesRead;
      return bytesRead === n ? buffer : buffer.subarray(0, bytesRead);
    }
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(() => undefined);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A read may still be running on the file: let it finish before closing.
    const pending = this.last?.catch(() => undefined);
    this.ahead = undefined;
    Promise.resolve(pending)
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
