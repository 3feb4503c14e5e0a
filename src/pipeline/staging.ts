/**
 * Raw object versions copied to local files, because checks and transforms (in any language) read paths. A staged
 * file is named by what it holds (bucket, key, version), written to a temporary name and renamed, so a crash never
 * leaves a partial file under the real name; a version is immutable, so a staged file is never stale.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '../store/port.js';
import type { ObjectVersionRef } from '../catalog/types.js';

export class StagingArea {
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

  /** Stages a version (once) and answers its path and size. */
  async stage(dataset: string, object: ObjectVersionRef, purpose: string): Promise<{ path: string; size: number }> {
    const path = this.pathOf(dataset, object, purpose);
    const existing = await stat(path).catch(() => undefined);
    if (existing) return { path, size: existing.size };
    await mkdir(join(path, '..'), { recursive: true });
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
    const { body, info } = await this.store.getObject(object.bucket, object.key, { versionId: object.versionId });
    try {
      await pipeline(body, createWriteStream(temporary, { flags: 'wx' }));
      await rename(temporary, path);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
    return { path, size: info.size };
  }

  async release(dataset: string, object: ObjectVersionRef, purpose: string): Promise<void> {
    await rm(this.pathOf(dataset, object, purpose), { force: true });
  }
}
