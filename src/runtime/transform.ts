/**
 * The transform contract (docs/transforms.md says the same for project authors).
 *
 * A transform is either
 *
 * - a **TypeScript/JavaScript module** whose default export is
 *   `async function (job: TransformJob): Promise<void | { metadata?: Record<string, unknown> }>`.
 *   It runs inside a long-lived worker child process (`node --import tsx`, so `.ts` loads without a build step),
 *   loaded once per worker and kept while its code is unchanged. `console.*`, `process.stdout/stderr` writes and
 *   `job.log()` go to the job's log. A worker runs one job at a time.
 * - an **external command** in any language: `command` is the argv, run with the project dir as cwd and
 *   `--input PATH` (once per input) `--output DIR` `--params JSON` appended; the environment also carries
 *   `REFLOW_INPUTS` (JSON array), `REFLOW_OUTPUT_DIR`, `REFLOW_PARAMS` (JSON), `REFLOW_JOB_ID` and `REFLOW_ATTEMPT`.
 *   Exit code 0 is success; stdout and stderr, interleaved as they arrive, are the job's log.
 *
 * For both, success also needs at least one file in the output directory (else `TransformWroteNothing`). The result
 * lists every output file (relative path, size, SHA-256) and the version of the code that ran. Each attempt gets a
 * fresh, empty output directory. A log keeps its last 256 Ki characters and says how much it dropped.
 *
 * There is no time limit unless the definition sets `timeout`; then the worker (or the command's process group) is
 * killed at the deadline and the attempt fails with `TransformTimedOut`. A failed attempt is retried with backoff
 * `retries` times (default 2, so 3 attempts), then the job goes to the dead letters with every attempt's log.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { ReflowError } from '../errors.js';
import { currentVersion } from './code-hash.js';
import { parseDuration, describe } from './duration.js';
import { checkGlob, expandGlobs } from './glob.js';
import { assertJsonValue, isPlainObject } from './json-value.js';
import type { EnqueueRequest } from './jobs/port.js';
import type { OutputFile } from './outputs.js';

/** What a module transform's default export receives. */
export interface TransformJob {
  /** Absolute paths of the input files. */
  inputs: string[];
  /** An empty directory of this attempt's own; write at least one file here. */
  outputDir: string;
  /** The definition's `params` merged with the job's own. */
  params: Record<string, unknown>;
  /** Appends a line to the job's log. */
  log(message: string): void;
  jobId: string;
  /** 1 for the first attempt. */
  attempt: number;
}

export type TransformFunction = (job: TransformJob) => Promise<void | { metadata?: Record<string, unknown> }> | void | { metadata?: Record<string, unknown> };

/** A transform as the project defines it (loose: the durations may be strings). */
export interface TransformDefinition {
  /** A name for logs, events and lineage (the pipeline defaults it to the dataset's name). */
  name?: string;
  /** Module path, relative to the project dir; its default export is the transform. */
  module?: string;
  /** External command argv, e.g. `['python3', 'transforms/clean.py']`. */
  command?: string[];
  /** The declared version; the recorded version adds the content hash: `2+3f2a9c1d`. */
  version: string | number;
  /**
   * Globs (relative to the project dir) of the files that make up the code, hashed into the version. Default: the
   * module file, or the command's script files (argv elements naming a file in the project). A module's own file
   * is always included. List helper modules a module imports: only the listed files are hashed.
   */
  files?: string[];
  params?: Record<string, unknown>;
  /** Kill an attempt after this long (`'10m'`, or milliseconds). No limit when absent. */
  timeout?: number | string;
  /** Attempts after the first failed one; default 2. */
  retries?: number;
}

/** The strict shape after validation (what jobs carry). */
export interface CompiledTransform {
  name?: string;
  module?: string;
  command?: string[];
  version: string;
  files?: string[];
  params: Record<string, unknown>;
  timeoutMs?: number;
  retries: number;
}

export const TRANSFORM_JOB_KIND = 'transform';
export const DEFAULT_TRANSFORM_RETRIES = 2;
const MAX_RETRIES = 100;
/** Definitions this module compiled: transformJobRequest() skips validating them again (it runs once per job). */
const compiledDefinitions = new WeakSet<CompiledTransform>();

/** A transform job's payload: everything a worker needs, so any worker on any host can run it. */
export interface TransformPayload {
  projectDir: string;
  transform: CompiledTransform;
  inputs: string[];
  params: Record<string, unknown>;
  /** The version the pipeline expects; a worker whose loaded code has it runs without re-hashing. */
  expectedVersion?: string;
}

/** A succeeded transform job's result. */
export interface TransformResult {
  /** Where the output files are; removed once the settlement is acknowledged unless the pool keeps outputs. */
  outputDir: string;
  files: OutputFile[];
  /** The version of the code that ran (`declared+hash`). */
  version: string;
  metadata?: Record<string, unknown>;
  durationMs: number;
}

/**
 * Validates a transform definition; `field` is where it sits in the project (`datasets.drives.transform`), and each
 * error names the exact field under it. `projectDir` resolves the module and the `files` globs.
 */
export function validateTransformDefinition(def: unknown, field: string, projectDir: string = process.cwd()): CompiledTransform {
  const fail = (sub: string, message: string): never => {
    const at = sub ? `${field}.${sub}` : field;
    throw new ReflowError('InvalidConfiguration', `${at} ${message}`, { field: at });
  };
  if (!isPlainObject(def)) fail('', `must be an object with a module or a command, got ${describe(def)}`);
  const d = def as Record<string, unknown>;
  const known = new Set(['name', 'module', 'command', 'version', 'files', 'params', 'timeout', 'retries']);
  for (const key of Object.keys(d)) if (!known.has(key)) fail(key, `is not a transform setting (known: ${[...known].join(', ')})`);

  const hasModule = d.module !== undefined;
  const hasCommand = d.command !== undefined;
  if (!hasModule && !hasCommand) fail('', 'needs a module (a TypeScript/JavaScript file) or a command (an argv array)');
  if (hasModule && hasCommand) fail('command', 'cannot be set together with module: a transform is one or the other');

  if (d.version === undefined || d.version === null) fail('version', 'is missing: declare a version (e.g. 1) so rebuilds can be traced');
  if (!(typeof d.version === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(d.version)) && !(typeof d.version === 'number' && Number.isInteger(d.version) && d.version >= 0)) {
    fail('version', `must be a non-negative integer or a short string of letters, digits, '.', '_' or '-', got ${describe(d.version)}`);
  }
  const out: CompiledTransform = { version: String(d.version), params: {}, retries: DEFAULT_TRANSFORM_RETRIES };
  if (d.name !== undefined) {
    if (typeof d.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(d.name)) {
      fail('name', `must be a short name of letters, digits, '.', '_' or '-', got ${describe(d.name)}`);
    }
    out.name = d.name as string;
  }

  if (hasModule) {
    if (typeof d.module !== 'string' || d.module.trim() === '') fail('module', `must be a file path, got ${describe(d.module)}`);
    const path = resolve(projectDir, d.module as string);
    const rel = relative(resolve(projectDir), path);
    if (rel.startsWith('..') || isAbsolute(rel)) fail('module', `'${d.module}' is outside the project dir ${projectDir}`);
    if (!existsSync(path) || !statSync(path).isFile()) fail('module', `'${d.module}' does not exist (looked for ${path})`);
    if (!/\.(m|c)?[jt]s$/.test(path)) fail('module', `'${d.module}' is not a .ts, .mts, .js or .mjs file`);
    out.module = d.module as string;
  }
  if (hasCommand) {
    const c = d.command;
    if (!Array.isArray(c) || c.length === 0) fail('command', `must be a non-empty argv array such as ["python3", "clean.py"], got ${describe(c)}`);
    (c as unknown[]).forEach((arg, i) => {
      if (typeof arg !== 'string' || (i === 0 && arg.trim() === '') || arg.includes('\0')) fail(`command[${i}]`, `must be a${i === 0 ? ' non-empty' : ''} string without NUL, got ${describe(arg)}`);
    });
    out.command = [...(c as string[])];
  }
  if (d.files !== undefined) {
    if (!Array.isArray(d.files) || d.files.length === 0) fail('files', `must be a non-empty array of globs, got ${describe(d.files)}`);
    (d.files as unknown[]).forEach((g, i) => {
      checkGlob(g, `${field}.files[${i}]`);
      if (expandGlobs(projectDir, [g as string]).length === 0) fail(`files[${i}]`, `'${g}' matches no file in ${projectDir}`);
    });
    out.files = [...(d.files as string[])];
  }
  if (d.params !== undefined) {
    if (!isPlainObject(d.params)) fail('params', `must be an object, got ${describe(d.params)}`);
    assertJsonValue(d.params, `${field}.params`);
    out.params = structuredClone(d.params as Record<string, unknown>);
  }
  if (d.timeout !== undefined) out.timeoutMs = parseDuration(d.timeout, `${field}.timeout`);
  if (d.retries !== undefined) {
    if (typeof d.retries !== 'number' || !Number.isInteger(d.retries) || d.retries < 0 || d.retries > MAX_RETRIES) {
      fail('retries', `must be an integer from 0 to ${MAX_RETRIES}, got ${describe(d.retries)}`);
    }
    out.retries = d.retries as number;
  }
  compiledDefinitions.add(out);
  return out;
}

/** `declared version + content hash` of the code as it is on disk now, e.g. `2+3f2a9c1d`. */
export function transformVersion(def: TransformDefinition | CompiledTransform, projectDir: string): string {
  return currentVersion(def, projectDir).version;
}

export interface TransformJobInput {
  /** Idempotency key: enqueueing the same id again is a no-op (e.g. `<event id>:<transform version>`). */
  id: string;
  projectDir: string;
  transform: TransformDefinition | CompiledTransform;
  inputs: string[];
  /** Merged over the definition's params. */
  params?: Record<string, unknown>;
  expectedVersion?: string;
  /** Where the definition sits, for error messages; default `transform`. */
  field?: string;
}

/** The enqueue request for a transform job: payload, attempts (`retries + 1`) and timeout from the definition. */
export function transformJobRequest(input: TransformJobInput): EnqueueRequest<TransformPayload> {
  const field = input.field ?? 'transform';
  if (typeof input.projectDir !== 'string' || !isAbsolute(input.projectDir)) {
    throw new ReflowError('InvalidArgument', `projectDir must be an absolute path, got ${describe(input.projectDir)}`, { field: 'projectDir' });
  }
  const transform = compiledDefinitions.has(input.transform as CompiledTransform)
    ? (input.transform as CompiledTransform)
    : validateTransformDefinition(input.transform, field, input.projectDir);
  if (!Array.isArray(input.inputs)) throw new ReflowError('InvalidArgument', 'inputs must be an array of absolute paths', { field: 'inputs' });
  input.inputs.forEach((p, i) => {
    if (typeof p !== 'string' || !isAbsolute(p) || p.includes('\0')) {
      throw new ReflowError('InvalidArgument', `inputs[${i}] must be an absolute path, got ${describe(p)}`, { field: `inputs[${i}]` });
    }
  });
  if (input.params !== undefined) {
    if (!isPlainObject(input.params)) throw new ReflowError('InvalidArgument', 'params must be an object', { field: 'params' });
    assertJsonValue(input.params, 'params', 'InvalidArgument');
  }
  const payload: TransformPayload = {
    projectDir: input.projectDir,
    transform,
    inputs: [...input.inputs],
    params: { ...transform.params, ...(input.params ?? {}) },
  };
  if (input.expectedVersion !== undefined) payload.expectedVersion = input.expectedVersion;
  const request: EnqueueRequest<TransformPayload> = { id: input.id, kind: TRANSFORM_JOB_KIND, payload, maxAttempts: transform.retries + 1 };
  if (transform.timeoutMs !== undefined) request.timeoutMs = transform.timeoutMs;
  return request;
}
