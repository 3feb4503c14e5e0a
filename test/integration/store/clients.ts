/**
 * Shared by the real-client tests (aws-cli, boto3, rclone, the reflow CLI): running a client as a child process
 * without blocking this process (the endpoint it talks to runs here), and small file-tree helpers.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (never spawnSync: the server under test shares this event loop). */
export function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Like run, but a non-zero exit is an assertion failure that shows what the client printed. */
export async function ok(command: string, args: string[], options: Parameters<typeof run>[2] = {}): Promise<string> {
  const r = await run(command, args, options);
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${r.status ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return r.stdout;
}

/** A directory tree with nested folders, names with spaces, `+`, unicode, an empty file and a 1 MiB file. */
export function makeTree(root: string): Record<string, Buffer> {
  const files: Record<string, Buffer> = {
    'readme.txt': Buffer.from('top level\n'),
    'a/one.csv': Buffer.from('id,value\n1,2\n'),
    'a/b/two.json': Buffer.from('{"n":2}\n'),
    'a/b/c/deep.bin': randomBytes(1024 * 1024),
    'with space+plus.txt': Buffer.from('space and plus\n'),
    'ünïcødé/naïve.txt': Buffer.from('unicode\n'),
    'empty.dat': Buffer.alloc(0),
  };
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), data);
  }
  return files;
}

/** Relative path → sha256 of every file under root. */
export function treeDigest(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(root, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(root);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** A file of `size` pseudo-random bytes, written 1 MiB at a time (each block stamped with its offset, so a
 * misplaced part shows); returns its md5. */
export function writeRandomFile(path: string, size: number): string {
  const hash = createHash('md5');
  const block = randomBytes(1024 * 1024);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < size; done += block.length) {
      const chunk = block.subarray(0, Math.min(block.length, size - done));
      if (chunk.length >= 8) chunk.writeDoubleBE(done, 0);
      hash.update(chunk);
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
