/**
 * Content-addressed blobs: `blobs/<sha[0:2]>/<sha256>`, so identical content is stored once. One level of 256
 * directories: two levels (65,536) cost a mkdir on most of the first hundred thousand writes, and ext4's hashed
 * directories hold millions of entries per directory without slowing lookups. A large body streams into `tmp/`, is
 * hashed and fsynced there, then renamed into place before any metadata names it; the metadata commit (elsewhere)
 * is what makes it visible. Which blobs are referenced is the metadata's business (`blobs.refs` in SQLite); this
 * module keeps files and the in-process pins that stop a file from being unlinked while a write about to reference
 * it, or a read streaming it, is in flight.
 *
 * A small body (no larger than `inlineMax`, 64 KiB by default) gets no file: its bytes go into the metadata
 * database (`blob_data`) in the transaction that first names them, as MinIO inlines small objects into their
 * metadata. A file costs an open, a write, a close, a rename and — to be safe against power loss — an fsync of the
 * file and one of its directory per object: on this project's disks an fsync of a new file takes 0.5–1.6 ms (each
 * one a journal commit), which caps durable small writes at 600–2,000 a second however many run at once. Inline,
 * many writes share one commit of the database and, with fsync on, one fsync of its write-ahead log (group commit,
 * see sqlite/group-commit.ts). A blob's storage is decided once, by the write that creates its row: identical content
 * arriving later only adds a reference, whatever its size class.
 *
 * Unlinking is synchronous on purpose: "no row and no pin, so unlink" must not interleave with another request's
 * "pin, then rename into place", which an await between the check and the unlink would allow.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, unlinkSync, existsSync } from 'node:fs';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectBody } from '../types.js';
import { receive, type Expectations, type Received } from './receive.js';

/** A received body: `data` (inline) or `path` (a temporary file, gone once adopted or discarded). */
export type Incoming = Received;

export class BlobFiles {
  readonly blobDir: string;
  readonly tmpDir: string;
  private readonly pins = new Map<string, number>();
  private readonly knownDirs = new Set<string>();
  /**
   * Open handles on the (at most 256) blob directories, kept to fsync a rename without an open and a close per
   * write: at 3 KB objects those two calls were a fifth of a PUT's cost.
   */
  private readonly dirHandles = new Map<string, Promise<FileHandle>>();
  private closed = false;

  constructor(
    root: string,
    private readonly fsync: boolean,
    /** Whether the metadata references this blob as a file (a `blobs` row without inline data exists). */
    private readonly referenced: (sha256: string) => boolean,
    private readonly inlineMax: number,
  ) {
    this.blobDir = join(root, 'blobs');
    this.tmpDir = join(root, 'tmp');
    mkdirSync(this.blobDir, { recursive: true });
    mkdirSync(this.tmpDir, { recursive: true });
  }

  path(sha256: string): string {
    return join(this.blobDir, sha256.slice(0, 2), sha256);
  }

  /** Receives a body (in memory when small, else into a new temporary file), checking what the client declared. */
  receive(body: ObjectBody, expect: Expectations): Promise<Incoming> {
    const options = { fsync: this.fsync, inlineMax: this.inlineMax };
    return receive(body, () => join(this.tmpDir, `${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`), expect, options);
  }

  /**
   * Pins a received body's blob and, for a file, moves it to its content address; the caller commits a reference
   * (inserting the inline bytes if no row has them yet) and then calls `settle`. A blob already on disk is kept as
   * it is and the temporary file dropped (identical content is stored once).
   */
  async adopt(incoming: Incoming): Promise<void> {
    // Inline bytes are in memory until the commit copies them; no file to keep.
    if (incoming.path === undefined) return;
    this.pin(incoming.sha256);
    try {
      if (this.referenced(incoming.sha256)) {
        await unlink(incoming.path);
        return;
      }
      const target = this.path(incoming.sha256);
      const dir = join(this.blobDir, incoming.sha256.slice(0, 2));
      if (!this.knownDirs.has(dir)) {
        await mkdir(dir, { recursive: true });
        this.knownDirs.add(dir);
      }
      // An unreferenced file already there (a crash's leftover, or a concurrent write of the same bytes) holds
      // the same content by construction; rename replaces it atomically.
      await rename(incoming.path, target);
      if (this.fsync) await this.syncDir(dir);
    } catch (err) {
      await unlink(incoming.path).catch(() => undefined);
      this.release(incoming.sha256);
      throw err;
    }
  }

  /** After the commit (or its failure): unpins what `adopt` pinned. */
  settle(incoming: Incoming): void {
    if (incoming.path !== undefined) this.release(incoming.sha256);
  }

  /** Drops a received body that will not be stored. */
  async discard(incoming: Incoming): Promise<void> {
    if (incoming.path !== undefined) await unlink(incoming.path).catch(() => undefined);
  }

  /** A rename is durable only once its directory is synced. */
  private async syncDir(dir: string): Promise<void> {
    let handle = this.dirHandles.get(dir);
    if (!handle) {
      handle = open(dir, 'r');
      this.dirHandles.set(dir, handle);
      handle.catch(() => this.dirHandles.delete(dir));
    }
    await (await handle).sync();
  }

  /** Closes the directory handles (the store is closing). */
  async close(): Promise<void> {
    this.closed = true;
    const handles = [...this.dirHandles.values()];
    this.dirHandles.clear();
    await Promise.all(handles.map(async (h) => (await h.catch(() => undefined))?.close().catch(() => undefined)));
  }

  pin(sha256: string): void {
    this.pins.set(sha256, (this.pins.get(sha256) ?? 0) + 1);
  }

  /** Unpins; the last pin of a blob nothing references removes its file. */
  release(sha256: string): void {
    const n = (this.pins.get(sha256) ?? 1) - 1;
    if (n > 0) {
      this.pins.set(sha256, n);
      return;
    }
    this.pins.delete(sha256);
    this.freeIfUnreferenced([sha256]);
  }

  /** Called right after a commit that dropped references: unlinks the files no row and no pin holds. */
  freeIfUnreferenced(shas: Iterable<string>): void {
    // A read that ends after the store closed: the metadata is gone, so leave the file to the next open's sweep.
    if (this.closed) return;
    for (const sha of shas) {
      if (this.pins.has(sha) || this.referenced(sha)) continue;
      try {
        unlinkSync(this.path(sha));
      } catch {
        // Already gone (never renamed into place, or swept): nothing to free.
      }
    }
  }

  /**
   * At open, before any request: empties tmp/ (bodies whose request never finished) and unlinks every blob file no
   * row references (a crash between rename and commit, or between a refs-to-zero commit and its unlink). Returns
   * what it removed.
   */
  sweep(): { tmp: number; blobs: number } {
    let tmp = 0;
    for (const name of readdirSync(this.tmpDir)) {
      rmSync(join(this.tmpDir, name), { force: true, recursive: true });
      tmp++;
    }
    let blobs = 0;
    for (const a of readdirSync(this.blobDir)) {
      const dir = join(this.blobDir, a);
      this.knownDirs.add(dir);
      for (const name of safeReaddir(dir)) {
        if (/^[0-9a-f]{64}$/.test(name) && name.startsWith(a) && this.referenced(name)) continue;
        rmSync(join(dir, name), { force: true, recursive: true });
        blobs++;
      }
    }
    return { tmp, blobs };
  }

  /** Blob files on disk (tests, diagnostics). */
  listFiles(): string[] {
    const out: string[] = [];
    if (!existsSync(this.blobDir)) return out;
    for (const a of readdirSync(this.blobDir)) out.push(...safeReaddir(join(this.blobDir, a)));
    return out.sort();
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
