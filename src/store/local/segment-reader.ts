/**
 * Streams a byte span of a version whose content is a sequence of blob files (one for a PUT, one per part for a
 * multipart upload), one file at a time, 1 MiB per read: memory stays bounded whatever the object or range size.
 * Pull-based (`_read`), so a slow client never makes the server buffer the object.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';

const READ_CHUNK = 1 << 20;

export interface Segment {
  path: string;
  size: number;
}

export class SegmentReader extends Readable {
  private index = 0;
  /** Offset inside the current segment. */
  private offset: number;
  private remaining: number;
  private file: FileHandle | undefined;
  private reading = false;
  private released = false;

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

  override _read(): void {
    if (this.reading) return;
    this.reading = true;
    this.next().then(
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
      if (!this.file) {
        const file = await open(segment.path, 'r');
        // Destroyed while opening: nothing will close it later.
        if (this.destroyed) {
          await file.close().catch(() => undefined);
          return null;
        }
        this.file = file;
      }
      const n = Math.min(READ_CHUNK, available, this.remaining);
      const buffer = Buffer.allocUnsafe(n);
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
    this.closeFile().finally(() => {
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
