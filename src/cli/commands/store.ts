/**
 * The store from the command line, over the S3 endpoint with the AWS SDK (so it works against any S3 as well):
 * `reflow upload PATH… --bucket B`, `reflow ls [s3://]BUCKET[/PREFIX]`, `reflow versions BUCKET KEY`,
 * `reflow get BUCKET KEY [--version-id V] [-o FILE]`.
 *
 * Uploads run files and parts in parallel under one request limit, show one progress bar (bytes, rate, ETA) on
 * stderr, and send files over the multipart threshold in parts. An interrupted multipart upload resumes: a state
 * file per (endpoint, bucket, key, local path) records the upload id and every acknowledged part; without it the
 * upload is found with ListMultipartUploads. Either way ListParts is the truth, and a listed part is reused only when
 * its size and ETag (the MD5 of its bytes) match the local file, so a changed file never completes with stale parts.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import {
  S3Client,
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type Part,
} from '@aws-sdk/client-s3';
import { action, CliError, credentialsFromEnv, printJson } from '../context.js';
import { intArg } from '../input.js';
import { DEV_S3_CREDENTIALS } from './up.js';

export const DEFAULT_S3_ENDPOINT = 'http://127.0.0.1:7071';
const MiB = 1024 * 1024;
/** S3's limits: at most 10,000 parts, each but the last at least 5 MiB. */
const MAX_PARTS = 10_000;
const MIN_PART = 5 * MiB;

interface S3EndpointOptions {
  endpoint: string;
  region: string;
}

function withS3Endpoint(command: Command): Command {
  return command
    .option('--endpoint <url>', 'S3 endpoint (env REFLOW_S3_ENDPOINT)', process.env.REFLOW_S3_ENDPOINT ?? DEFAULT_S3_ENDPOINT)
    .option('--region <region>', 'signing region (env REFLOW_REGION)', process.env.REFLOW_REGION ?? 'us-east-1');
}

/** Root credentials (REFLOW_ROOT_*, else AWS_*), else the development pair `reflow up` accepts without them. */
function s3Client(options: S3EndpointOptions): S3Client {
  const credentials = credentialsFromEnv() ?? { ...DEV_S3_CREDENTIALS };
  return new S3Client({ endpoint: options.endpoint, region: options.region, forcePathStyle: true, credentials, maxAttempts: 3 });
}

/** `s3://bucket/prefix` or `bucket/prefix`. */
export function parseLocation(text: string): { bucket: string; prefix: string } {
  const rest = text.startsWith('s3://') ? text.slice(5) : text;
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  if (bucket === '') throw new CliError('InvalidArgument', `'${text}' names no bucket ([s3://]BUCKET[/PREFIX])`, 2);
  return { bucket, prefix: slash === -1 ? '' : rest.slice(slash + 1) };
}

// ---------------------------------------------------------------------------------------------------------------
// upload

interface UploadOptions extends S3EndpointOptions {
  bucket: string;
  prefix?: string;
  concurrency: string;
  partSize: string;
  multipartThreshold: string;
  stateDir: string;
  progress: boolean;
}

interface LocalFile {
  path: string;
  key: string;
  size: number;
  mtimeMs: number;
}

interface UploadResult {
  path: string;
  key: string;
  size: number;
  etag: string | undefined;
  versionId: string | undefined;
  /** Multipart uploads: parts in all, parts sent by this run, parts found already uploaded. */
  parts?: number;
  partsSent?: number;
  partsResumed?: number;
}

/** A file argument becomes `prefix/<name>`; a directory argument uploads its tree as `prefix/<relative path>`. */
export async function collectFiles(paths: string[], prefix: string): Promise<LocalFile[]> {
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  const out: LocalFile[] = [];
  const add = (path: string, key: string, st: Stats) => out.push({ path: resolve(path), key, size: st.size, mtimeMs: st.mtimeMs });
  const walk = async (root: string, dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      const st = await stat(path).catch(() => undefined); // follows symlinks; a dangling one is skipped
      if (st?.isDirectory()) await walk(root, path);
      else if (st?.isFile()) add(path, base + relative(root, path).split(sep).join('/'), st);
    }
  };
  for (const path of paths) {
    let st: Stats;
    try {
      st = await stat(path);
    } catch (err) {
      throw new CliError('FileError', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
    }
    if (st.isDirectory()) await walk(path, path);
    else if (st.isFile()) add(path, base + basename(path), st);
    else throw new CliError('FileError', `${path} is neither a file nor a directory`, 2);
  }
  return out;
}

/** At most `n` tasks at once. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

export function choosePartSize(size: number, wanted: number): number {
  const least = Math.ceil(size / MAX_PARTS / MiB) * MiB;
  return Math.max(wanted, least, MIN_PART);
}

const bare = (etag: string | undefined) => (etag ?? '').replace(/^"|"$/g, '');

interface StateFile {
  endpoint: string;
  bucket: string;
  key: string;
  path: string;
  size: number;
  mtimeMs: number;
  partSize: number;
  uploadId: string;
  /** Part number → ETag, as the endpoint acknowledged it. */
  parts: Record<string, string>;
}

class Uploader {
  private readonly run: <T>(task: () => Promise<T>) => Promise<T>;
  private readonly bar: cliProgress.SingleBar | undefined;
  private done = 0;
  private filesDone = 0;
  private readonly started = Date.now();

  constructor(
    private readonly client: S3Client,
    private readonly options: UploadOptions,
    private readonly total: { bytes: number; files: number },
    private readonly partSize: number,
    private readonly threshold: number,
    concurrency: number,
  ) {
    this.run = limiter(concurrency);
    if (options.progress && process.stderr.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: 'upload [{bar}] {percentage}% | {doneBytes}/{totalBytes} | {rate} | ETA {eta_formatted} | {filesDone}/{files} files',
          hideCursor: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(Math.max(1, total.bytes), 0, this.payload());
    }
  }

  private payload(): Record<string, string | number> {
    const seconds = Math.max(0.001, (Date.now() - this.started) / 1000);
    return {
      doneBytes: bytes(this.done),
      totalBytes: bytes(this.total.bytes),
      rate: `${bytes(this.done / seconds)}/s`,
      filesDone: this.filesDone,
      files: this.total.files,
    };
  }

  private advance(n: number, fileDone = false): void {
    this.done += n;
    if (fileDone) this.filesDone++;
    this.bar?.update(this.done, this.payload());
  }

  stop(): void {
    this.bar?.stop();
  }

  async upload(file: LocalFile): Promise<UploadResult> {
    const { bucket } = this.options;
    if (file.size < this.threshold) {
      // Below the threshold the whole file is one request; its bytes are bounded by the threshold.
      const body = await this.run(async () => {
        const data = await readFile(file.path);
        if (data.length !== file.size) throw new CliError('FileError', `${file.path} changed while it was being uploaded`);
        return this.client.send(new PutObjectCommand({ Bucket: bucket, Key: file.key, Body: data, ContentLength: data.length }));
      });
      this.advance(file.size, true);
      return { path: file.path, key: file.key, size: file.size, etag: body.ETag, versionId: body.VersionId };
    }
    return this.multipart(file);
  }

  private stateFile(file: LocalFile): string {
    const id = createHash('sha256').update(`${this.options.endpoint}\n${this.options.bucket}\n${file.key}\n${file.path}`).digest('hex');
    return join(this.options.stateDir, `${id.slice(0, 32)}.json`);
  }

  private async listParts(key: string, uploadId: string): Promise<Part[]> {
    const parts: Part[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListPartsCommand({ Bucket: this.options.bucket, Key: key, UploadId: uploadId, ...(marker ? { PartNumberMarker: marker } : {}) }),
      );
      parts.push(...(page.Parts ?? []));
      if (!page.IsTruncated || page.NextPartNumberMarker === undefined) return parts;
      marker = String(page.NextPartNumberMarker);
    }
  }

  /** The listed parts that hold exactly this file's bytes for their number; undefined if any listed part does not. */
  private async verified(file: LocalFile, partSize: number, listed: Part[], known: Record<string, string>): Promise<Map<number, string> | undefined> {
    const count = Math.ceil(file.size / partSize);
    const done = new Map<number, string>();
    const handle = await open(file.path, 'r');
    try {
      for (const part of listed) {
        const n = part.PartNumber ?? 0;
        const expected = n === count ? file.size - (count - 1) * partSize : partSize;
        if (n < 1 || n > count || part.Size !== expected || !part.ETag) return undefined;
        if (known[String(n)] !== undefined && bare(known[String(n)]) === bare(part.ETag)) {
          done.set(n, part.ETag);
          continue;
        }
        // Not acknowledged to us (the process died between the answer and the state write), or no state file: the
        // ETag of a part is the MD5 of its bytes, so compare it with the local bytes.
        const buf = Buffer.alloc(expected);
        await handle.read(buf, 0, expected, (n - 1) * partSize);
        if (createHash('md5').update(buf).digest('hex') !== bare(part.ETag)) return undefined;
        done.set(n, part.ETag);
      }
    } finally {
      await handle.close();
    }
    return done;
  }

  /** An upload of this very file that can be continued: from the state file, else from ListMultipartUploads. */
  private async resumable(file: LocalFile, partSize: number): Promise<{ uploadId: string; done: Map<number, string> } | undefined> {
    const path = this.stateFile(file);
    let state: StateFile | undefined;
    try {
      state = JSON.parse(await readFile(path, 'utf8')) as StateFile;
    } catch {
      state = undefined;
    }
    if (state && state.size === file.size && state.mtimeMs === file.mtimeMs && state.partSize === partSize && state.key === file.key) {
      try {
        const done = await this.verified(file, partSize, await this.listParts(file.key, state.uploadId), state.parts);
        if (done) return { uploadId: state.uploadId, done };
      } catch (err) {
        if ((err as { name?: string }).name !== 'NoSuchUpload') throw err;
      }
    } else if (state?.uploadId) {
      // The file changed since that upload began: its parts can never be used, so do not leave them behind.
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: state.key, UploadId: state.uploadId }))
        .catch(() => undefined);
      await unlink(path).catch(() => undefined);
    }
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    const candidates: Array<{ uploadId: string; initiated: number }> = [];
    for (;;) {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.options.bucket,
          Prefix: file.key,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
      );
      for (const u of page.Uploads ?? []) {
        if (u.Key === file.key && u.UploadId) candidates.push({ uploadId: u.UploadId, initiated: u.Initiated?.getTime() ?? 0 });
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
    // Newest first; an upload begun before the file last changed cannot hold its current bytes.
    for (const c of candidates.sort((a, b) => b.initiated - a.initiated)) {
      if (c.initiated !== 0 && c.initiated + 1000 < file.mtimeMs) continue;
      const listed = await this.listParts(file.key, c.uploadId);
      if (listed.length === 0) continue;
      const done = await this.verified(file, partSize, listed, {});
      if (done) return { uploadId: c.uploadId, done };
    }
    return undefined;
  }

  private async multipart(file: LocalFile): Promise<UploadResult> {
    const { bucket } = this.options;
    const partSize = choosePartSize(file.size, this.partSize);
    const count = Math.ceil(file.size / partSize);
    const statePath = this.stateFile(file);
    let found = await this.resumable(file, partSize);
    if (!found) {
      const created = await this.run(() => this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: file.key })));
      found = { uploadId: created.UploadId!, done: new Map() };
    }
    const { uploadId, done } = found;
    const resumed = done.size;
    const state: StateFile = {
      endpoint: this.options.endpoint,
      bucket,
      key: file.key,
      path: file.path,
      size: file.size,
      mtimeMs: file.mtimeMs,
      partSize,
      uploadId,
      parts: Object.fromEntries([...done].map(([n, e]) => [String(n), e])),
    };
    // One writer at a time per state file; each write replaces the file whole (write, then rename).
    let saving = Promise.resolve();
    const save = () =>
      (saving = saving.then(async () => {
        await mkdir(this.options.stateDir, { recursive: true });
        const tmp = `${statePath}.${process.pid}.tmp`;
        await writeFile(tmp, JSON.stringify(state));
        await rename(tmp, statePath);
      }));
    await save();
    for (const n of done.keys()) this.advance(n === count ? file.size - (count - 1) * partSize : partSize);

    const handle = await open(file.path, 'r');
    let sent = 0;
    try {
      const missing = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !done.has(n));
      await Promise.all(
        missing.map((n) =>
          this.run(async () => {
            const length = n === count ? file.size - (count - 1) * partSize : partSize;
            const buf = Buffer.alloc(length);
            const { bytesRead } = await handle.read(buf, 0, length, (n - 1) * partSize);
            if (bytesRead !== length) throw new CliError('FileError', `${file.path} changed while it was being uploaded`);
            const answer = await this.client.send(
              new UploadPartCommand({ Bucket: bucket, Key: file.key, UploadId: uploadId, PartNumber: n, Body: buf, ContentLength: length }),
            );
            done.set(n, answer.ETag!);
            state.parts[String(n)] = answer.ETag!;
            sent++;
            await save();
            this.advance(length);
          }),
        ),
      );
    } finally {
      await handle.close();
    }
    const complete = await this.run(() =>
      this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: file.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: [...done].sort((a, b) => a[0] - b[0]).map(([PartNumber, ETag]) => ({ PartNumber, ETag })) },
        }),
      ),
    );
    await saving;
    await unlink(statePath).catch(() => undefined);
    this.advance(0, true);
    return {
      path: file.path,
      key: file.key,
      size: file.size,
      etag: complete.ETag,
      versionId: complete.VersionId,
      parts: count,
      partsSent: sent,
      partsResumed: resumed,
    };
  }
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n.toFixed(0) : n.toFixed(1)} ${units[i]}`;
}

function positive(value: string, what: string): number {
  const n = intArg(value, what);
  if (n < 1) throw new CliError('InvalidArgument', `${what} must be at least 1, got ${n}`, 2);
  return n;
}

function defaultStateDir(): string {
  return join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'reflow', 'uploads');
}

// ---------------------------------------------------------------------------------------------------------------
// commands

export function registerStore(program: Command): void {
  withS3Endpoint(
    program
      .command('upload')
      .description('upload files and directories (recursively) to a bucket; big files in parts, resumable')
      .argument('<paths...>', 'files or directories')
      .requiredOption('--bucket <bucket>', 'target bucket')
      .option('--prefix <prefix>', 'key prefix (a folder: "/" is added when missing)')
      .option('--concurrency <n>', 'requests in flight at once (files and parts)', '8')
      .option('--part-size <MiB>', 'multipart part size in MiB (at least 5)', '8')
      .option('--multipart-threshold <MiB>', 'files of this size and larger go up in parts', '16')
      .option('--state-dir <dir>', 'where interrupted uploads are remembered (env REFLOW_STATE_DIR)', process.env.REFLOW_STATE_DIR ?? defaultStateDir())
      .option('--no-progress', 'no progress bar'),
  ).action(
    action(async (paths: string[], options: UploadOptions) => {
      const partSize = positive(options.partSize, '--part-size') * MiB;
      if (partSize < MIN_PART) throw new CliError('InvalidArgument', '--part-size must be at least 5 (MiB), S3\'s smallest part', 2);
      const threshold = positive(options.multipartThreshold, '--multipart-threshold') * MiB;
      const concurrency = positive(options.concurrency, '--concurrency');
      const files = await collectFiles(paths, options.prefix ?? '');
      const client = s3Client(options);
      const total = { bytes: files.reduce((n, f) => n + f.size, 0), files: files.length };
      const uploader = new Uploader(client, options, total, partSize, threshold, concurrency);
      const results: UploadResult[] = [];
      const failures: string[] = [];
      try {
        // Every file starts at once; the limiter keeps `concurrency` requests in flight across all of them.
        await Promise.all(
          files.map(async (file) => {
            try {
              results.push(await uploader.upload(file));
            } catch (err) {
              const e = err as { name?: string; code?: string; message?: string };
              failures.push(`${e instanceof CliError ? e.code : (e.name ?? 'Error')}: ${file.path}: ${e.message ?? String(err)}`);
            }
          }),
        );
      } finally {
        uploader.stop();
        client.destroy();
      }
      results.sort((a, b) => (a.key < b.key ? -1 : 1));
      printJson({ bucket: options.bucket, files: results });
      if (failures.length > 0) {
        for (const line of failures) process.stderr.write(`${line}\n`);
        process.exitCode = 1;
      }
    }),
  );

  withS3Endpoint(
    program
      .command('ls')
      .description('list buckets, or the objects and folders under [s3://]BUCKET[/PREFIX]')
      .argument('[location]', '[s3://]BUCKET[/PREFIX]')
      .option('--recursive', 'every key under the prefix, not one folder level')
      .option('--json', 'JSON instead of lines'),
  ).action(
    action(async (location: string | undefined, options: S3EndpointOptions & { recursive?: boolean; json?: boolean }) => {
      const client = s3Client(options);
      try {
        if (location === undefined) {
          const { Buckets = [] } = await client.send(new ListBucketsCommand({}));
          if (options.json) return printJson(Buckets.map((b) => ({ Name: b.Name, CreationDate: b.CreationDate })));
          for (const b of Buckets) process.stdout.write(`${time(b.CreationDate)} ${b.Name}\n`);
          return;
        }
        const { bucket, prefix } = parseLocation(location);
        const contents: Array<{ Key: string; Size: number; LastModified?: Date; ETag?: string }> = [];
        const prefixes: string[] = [];
        let token: string | undefined;
        do {
          const page = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              ...(prefix ? { Prefix: prefix } : {}),
              ...(options.recursive ? {} : { Delimiter: '/' }),
              ...(token ? { ContinuationToken: token } : {}),
            }),
          );
          for (const o of page.Contents ?? []) contents.push({ Key: o.Key!, Size: o.Size ?? 0, LastModified: o.LastModified, ETag: o.ETag });
          for (const p of page.CommonPrefixes ?? []) prefixes.push(p.Prefix!);
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        if (options.json) return printJson({ Bucket: bucket, Prefix: prefix, CommonPrefixes: prefixes, Contents: contents });
        for (const p of prefixes) process.stdout.write(`${'PRE'.padStart(32)} ${p}\n`);
        for (const o of contents) process.stdout.write(`${time(o.LastModified)} ${String(o.Size).padStart(12)} ${o.Key}\n`);
      } finally {
        client.destroy();
      }
    }),
  );

  withS3Endpoint(
    program
      .command('versions')
      .description('every version and delete marker of one key, newest first')
      .argument('<bucket>', 'bucket')
      .argument('<key>', 'object key'),
  ).action(
    action(async (bucket: string, key: string, options: S3EndpointOptions) => {
      const client = s3Client(options);
      try {
        const out: Array<Record<string, unknown>> = [];
        let keyMarker: string | undefined;
        let versionIdMarker: string | undefined;
        for (;;) {
          const page = await client.send(
            new ListObjectVersionsCommand({
              Bucket: bucket,
              Prefix: key,
              ...(keyMarker ? { KeyMarker: keyMarker } : {}),
              ...(versionIdMarker ? { VersionIdMarker: versionIdMarker } : {}),
            }),
          );
          for (const v of page.Versions ?? []) {
            if (v.Key === key) out.push({ VersionId: v.VersionId, IsLatest: v.IsLatest, LastModified: v.LastModified, Size: v.Size, ETag: v.ETag, DeleteMarker: false });
          }
          for (const m of page.DeleteMarkers ?? []) {
            if (m.Key === key) out.push({ VersionId: m.VersionId, IsLatest: m.IsLatest, LastModified: m.LastModified, DeleteMarker: true });
          }
          // Keys sort after their prefix: once the listing passes `key` no more of its versions can follow.
          if (!page.IsTruncated || (page.NextKeyMarker !== undefined && page.NextKeyMarker > key)) break;
          keyMarker = page.NextKeyMarker;
          versionIdMarker = page.NextVersionIdMarker;
        }
        if (out.length === 0) throw new CliError('NoSuchKey', `s3://${bucket}/${key} has no versions`);
        out.sort((a, b) => (a.IsLatest ? -1 : b.IsLatest ? 1 : (b.LastModified as Date).getTime() - (a.LastModified as Date).getTime()));
        printJson(out);
      } finally {
        client.destroy();
      }
    }),
  );

  withS3Endpoint(
    program
      .command('get')
      .description('download one object (or one version of it) to a file or stdout')
      .argument('<bucket>', 'bucket')
      .argument('<key>', 'object key')
      .option('--version-id <id>', 'this version instead of the latest')
      .option('-o, --output <file>', 'write here (atomically: a temporary file renamed at the end) instead of stdout'),
  ).action(
    action(async (bucket: string, key: string, options: S3EndpointOptions & { versionId?: string; output?: string }) => {
      const client = s3Client(options);
      try {
        const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(options.versionId ? { VersionId: options.versionId } : {}) }));
        const body = got.Body as Readable;
        if (options.output === undefined) {
          await pipeline(body, process.stdout);
          return;
        }
        const target = resolve(options.output);
        const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.part`);
        try {
          await pipeline(body, createWriteStream(tmp));
          await rename(tmp, target);
        } catch (err) {
          await unlink(tmp).catch(() => undefined);
          throw err;
        }
        printJson({ Bucket: bucket, Key: key, VersionId: got.VersionId, ETag: got.ETag, Size: got.ContentLength, File: target });
      } finally {
        client.destroy();
      }
    }),
  );
}

function time(date: Date | undefined): string {
  return date ? date.toISOString().replace('T', ' ').slice(0, 19) : ''.padEnd(19);
}
