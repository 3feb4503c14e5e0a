/**
 * Raw object versions copied to local files, because checks and transforms (in any language) read paths. A staged
 * file is named by what it holds (bucket, key, version), written to a temporary name and renamed, so a crash never
 * leaves a partial file under the real name; a version is immutable, so a staged file is never stale.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, unlinkSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '../store/port.js';
import type { ObjectVersionRef } from '../catalog/types.js';

/**
 * Versions up to this size are read whole and written with one writeFile: the stream path (stat, mkdir, open,
 * write, close, rename, each a thread-pool hop) cost a rebuild more of the event loop than the work. File creation
 * stays off the event loop: done synchronously it blocked the loop ~0.35 ms a file whenever an fsync was running
 * (ext4's journal), for no gain in throughput. Larger versions stream.
 */
export const SMALL_FILE = 256 * 1024;

export class StagingArea {
  /** Directories made by this process; one that a failed staging may have lost is made again next time. */
  private readonly made = new Set<string>();

  constructor(
    private readonly store: ObjectStore,
    readonly dir: string,
  ) {}

  /**
   * Where a version is (or will be) staged for one use (`purpose`: the checks, or one transform job), so releasing
   * one use never pulls the file from under another; keeps the key's extension, which format detection reads.
   */
  pathOf(dataset: string, object: ObjectVersionRef, purpose: string): string {
    const digest = createHash('sha256').update(`${object.bucket}\0${object.key}\0${object.versionId}\0${purpose}`).digest('hex').slice(0, 32);
    const extension = /\.[A-Za-z0-9]{1,10}$/.exec(object.key)?.[0] ?? '';
    return join(this.dir, dataset, digest.slice(0, 2), `${digest}${extension}`);
  }

  /** Stages a version and answers its path and size (a large one only once; a small one is cheaper to rewrite). */
  async stage(dataset: string, object: ObjectVersionRef, purpose: string): Promise<{ path: string; size: number }> {
    const path = this.pathOf(dataset, object, purpose);
    const dir = join(path, '..');
    if (!this.made.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.made.add(dir);
    }
    const { body, info } = await this.store.getObject(object.bucket, object.key, { versionId: object.versionId });
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
    try {
      if (info.size <= SMALL_FILE) {
        // A version is immutable: writing it again over an earlier staging of it changes nothing.
        const chunks: Buffer[] = [];
        for await (const chunk of body) chunks.push(chunk as Buffer);
        await writeFile(temporary, Buffer.concat(chunks), { flag: 'wx' });
        await rename(temporary, path);
        return { path, size: info.size };
      }
      const existing = await stat(path).catch(() => undefined);
      if (existing) {
        body.destroy();
        return { path, size: existing.size };
      }
      await pipeline(body, createWriteStream(temporary, { flags: 'wx' }));
      await rename(temporary, path);
    } catch (err) {
      this.made.delete(dir);
      await rm(temporary, { force: true });
      throw err;
    }
    return { path, size: info.size };
  }

  async release(dataset: string, object: ObjectVersionRef, purpose: string): Promise<void> {
    try {
      unlinkSync(this.pathOf(dataset, object, purpose));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
