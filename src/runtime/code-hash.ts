/**
 * A transform's version is its declared version plus a content hash of its code: `2+3f2a9c1d`. The hash is the
 * first 8 hex digits of SHA-256 over the code files sorted by relative path, each fed as
 * `<path>\0<byte length>\0<bytes>`, so renaming a file or moving bytes between files changes it too. A command with
 * no script file inside the project is versioned by its argv instead (`argv\0<JSON>`).
 *
 * The same functions run in the worker over the code it actually loads, so the version a result records is the
 * code that ran, not the code the pipeline expected.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { expandGlobs } from './glob.js';

export interface CodeRef {
  /** Module path (relative to the project dir, or absolute inside it). */
  module?: string;
  command?: string[];
  files?: string[];
}

export const HASH_DIGITS = 8;

/** The files whose bytes make up the code of `ref`, relative to `projectDir` with '/', sorted. */
export function codeFiles(ref: CodeRef, projectDir: string): string[] {
  const files = new Set<string>();
  if (ref.files && ref.files.length > 0) for (const f of expandGlobs(projectDir, ref.files)) files.add(f);
  if (ref.module !== undefined) {
    const rel = insideProject(resolve(projectDir, ref.module), projectDir);
    if (rel !== undefined) files.add(rel);
  } else if (ref.command && !(ref.files && ref.files.length > 0)) {
    for (const arg of scriptFiles(ref.command, projectDir)) files.add(arg);
  }
  return [...files].sort();
}

/** argv elements that name a regular file inside the project (`python3 transforms/clean.py` → the script). */
export function scriptFiles(argv: readonly string[], projectDir: string): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    if (arg === '' || arg.startsWith('-') || arg.includes('\0')) continue;
    const rel = insideProject(resolve(projectDir, arg), projectDir);
    if (rel === undefined) continue;
    try {
      if (statSync(resolve(projectDir, rel)).isFile()) out.push(rel);
    } catch {
      // not a file: an interpreter name, an inline script, a flag value
    }
  }
  return out;
}

function insideProject(absolute: string, projectDir: string): string | undefined {
  const rel = relative(resolve(projectDir), absolute);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

/** The 8-digit content hash of `files` (as codeFiles lists them); `argv` when there are none (commands). */
export function hashCode(projectDir: string, files: readonly string[], argv?: readonly string[]): string {
  const hash = createHash('sha256');
  if (files.length === 0) hash.update(`argv\0${JSON.stringify(argv ?? [])}`);
  for (const rel of files) {
    const bytes = readFileSync(resolve(projectDir, rel));
    hash.update(`${rel}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex').slice(0, HASH_DIGITS);
}

export function versionString(declared: string | number, hash: string): string {
  return `${declared}+${hash}`;
}

/** The version of the code `ref` names as it is on disk now. */
export function currentVersion(ref: CodeRef & { version: string | number }, projectDir: string): { version: string; files: string[] } {
  const files = codeFiles(ref, projectDir);
  return { version: versionString(ref.version, hashCode(projectDir, files, ref.command)), files };
}
