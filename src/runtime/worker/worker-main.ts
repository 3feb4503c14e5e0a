/**
 * A module worker: a long-lived child process (`node --import tsx`) that runs transform modules one job at a time.
 *
 * A module is imported once per worker and kept with the content hash of its files as they were when it loaded, so
 * each result names the code that actually ran. When a job expects other code (or, without an expectation, the
 * files on disk changed), the worker retires and the pool runs the job on a fresh worker: an ES module graph cannot
 * be unloaded, so a new process is the only way to be sure no old helper module lingers.
 *
 * Between two jobs the worker yields to the event loop (setImmediate), so a revocation that arrived while a job ran
 * is read before the next queued job starts.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BoundedLog, DEFAULT_LOG_LIMIT } from '../bounded-log.js';
import { currentVersion } from '../code-hash.js';
import { listOutputs, OutputError } from '../outputs.js';
import type { TransformFunction, TransformJob } from '../transform.js';
import { WORKER_ENV_LOG_LIMIT, type FromWorker, type RunSpec, type ToWorker } from './protocol.js';

const LOG_LIMIT = Number(process.env[WORKER_ENV_LOG_LIMIT]) || DEFAULT_LOG_LIMIT;
const LOG_FLUSH_MS = 20;

interface Loaded {
  hash: string;
  fn: TransformFunction;
}

const queue: RunSpec[] = [];
const loaded = new Map<string, Loaded>();
let scheduled = false;
let running = false;
let retired = false;
let current: { token: string; unsent: BoundedLog } | undefined;

const send = (message: FromWorker, then?: () => void) => {
  if (!process.connected) return;
  process.send!(message, undefined, undefined, then);
};

// Everything the transform prints is its job's log; output between jobs goes to the real stderr (the pool shows it).
const realStderrWrite = process.stderr.write.bind(process.stderr);
for (const stream of [process.stdout, process.stderr]) {
  stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
    const cb = typeof encoding === 'function' ? encoding : callback;
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    if (current) {
      current.unsent.append(text);
      scheduleLogFlush();
    } else realStderrWrite(text);
    if (typeof cb === 'function') queueMicrotask(() => (cb as () => void)());
    return true;
  }) as typeof stream.write;
}

/**
 * Log text goes to the pool LOG_FLUSH_MS after it is written (coalescing what follows), so a job that then hangs
 * or dies has its log; a job that ends sooner sends its log with its result and no extra message.
 */
let flushTimer: NodeJS.Timeout | undefined;
function scheduleLogFlush(): void {
  if (flushTimer) return;
  flushTimer = setTimeout(() => {
    flushTimer = undefined;
    flushLog();
  }, LOG_FLUSH_MS);
  flushTimer.unref();
}

function flushLog(): void {
  if (current && !current.unsent.empty) {
    const text = current.unsent.toString();
    current.unsent = new BoundedLog(LOG_LIMIT);
    send({ t: 'log', token: current.token, text });
  }
}
// process.exit() from inside a transform: the IPC write is attempted synchronously, so the last lines usually arrive.
process.on('exit', flushLog);

process.on('uncaughtException', (err) => {
  // Something the transform started threw outside its promise chain: fail the job it was running (if any) and
  // retire, since this process's state can no longer be trusted.
  const text = `[reflow] uncaught exception in the worker: ${err?.stack ?? String(err)}\n`;
  if (current) {
    const { token, unsent } = current;
    unsent.append(text);
    current = undefined;
    send({ t: 'done', token, ok: false, error: { code: 'TransformFailed', message: `uncaught exception: ${err?.message ?? String(err)}` }, durationMs: 0, log: unsent.toString() });
  } else realStderrWrite(text);
  retire('uncaught exception');
});

process.on('message', (message: ToWorker) => {
  if (message.t === 'run') {
    if (retired) send({ t: 'retire', tokens: message.jobs.map((j) => j.token), reason: 'retiring' });
    else {
      queue.push(...message.jobs);
      schedule();
    }
  } else if (message.t === 'revoke') {
    const wanted = new Set(message.tokens);
    const revoked: string[] = [];
    for (let i = queue.length - 1; i >= 0; i--) {
      if (wanted.has(queue[i]!.token)) revoked.push(queue.splice(i, 1)[0]!.token);
    }
    send({ t: 'revoked', tokens: revoked.reverse() });
  }
});
// The pool went away (it closed this worker, exited, or was killed): stop, whatever runs.
process.on('disconnect', () => process.exit(0));

function schedule(): void {
  if (scheduled || running || retired || queue.length === 0) return;
  scheduled = true;
  setImmediate(next);
}

async function next(): Promise<void> {
  scheduled = false;
  const spec = queue.shift();
  if (!spec || retired) return;
  running = true;
  try {
    await run(spec);
  } finally {
    running = false;
    schedule();
  }
}

function retire(reason: string, first?: RunSpec): void {
  if (retired) return;
  retired = true;
  const tokens = [...(first ? [first.token] : []), ...queue.splice(0).map((s) => s.token)];
  send({ t: 'retire', tokens, reason }, () => process.exit(0));
  // If the channel is gone the callback never runs.
  setTimeout(() => process.exit(0), 1000).unref();
}

class JobFailure extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

async function run(spec: RunSpec): Promise<void> {
  const started = performance.now();
  const me = { token: spec.token, unsent: new BoundedLog(LOG_LIMIT) };
  current = me;
  let version: string | undefined;
  let retireAfter: string | undefined;
  try {
    const key = `${spec.module}\0${JSON.stringify(spec.files ?? [])}`;
    const ref = { module: spec.module, files: spec.files, version: spec.version };
    let entry = loaded.get(key);
    if (entry) {
      const loadedVersion = `${spec.version}+${entry.hash}`;
      if (spec.expectedVersion !== loadedVersion && currentVersion(ref, spec.projectDir).version !== loadedVersion) {
        current = undefined;
        retire(`the code of ${spec.module} changed since this worker loaded it`, spec);
        return;
      }
    } else {
      const before = currentVersion(ref, spec.projectDir).version;
      let mod: { default?: unknown };
      try {
        mod = await import(pathToFileURL(resolve(spec.projectDir, spec.module)).href);
      } catch (err) {
        throw new JobFailure('TransformFailed', `cannot load transform module ${spec.module}: ${(err as Error)?.stack ?? String(err)}`);
      }
      const after = currentVersion(ref, spec.projectDir).version;
      if (after !== before) {
        retireAfter = 'the code changed while it loaded';
        throw new JobFailure('TransformFailed', `the code of ${spec.module} changed while it loaded (${before} → ${after}); the attempt is retried on a fresh worker`);
      }
      if (typeof mod.default !== 'function') {
        throw new JobFailure('TransformFailed', `transform module ${spec.module} has no default export function (write \`export default async function (job) { … }\`)`);
      }
      entry = { hash: before.slice(before.lastIndexOf('+') + 1), fn: mod.default as TransformFunction };
      loaded.set(key, entry);
    }
    version = `${spec.version}+${entry.hash}`;

    mkdirSync(spec.outputDir, { recursive: true });
    const job: TransformJob = {
      inputs: spec.inputs,
      outputDir: spec.outputDir,
      params: spec.params,
      jobId: spec.jobId,
      attempt: spec.attempt,
      log: (message: string) => {
        me.unsent.append(`${message}\n`);
        if (current === me) scheduleLogFlush();
      },
    };
    let returned: unknown;
    try {
      returned = await entry.fn(job);
    } catch (err) {
      throw new JobFailure('TransformFailed', `the transform threw: ${(err as Error)?.stack ?? String(err)}`);
    }
    let metadata: Record<string, unknown> | undefined;
    if (returned !== undefined && returned !== null) {
      const m = (returned as { metadata?: unknown }).metadata;
      if (typeof returned !== 'object' || (m !== undefined && (m === null || typeof m !== 'object' || Array.isArray(m)))) {
        throw new JobFailure('TransformFailed', 'the transform must resolve to nothing or to { metadata: { … } }');
      }
      if (m !== undefined) metadata = JSON.parse(JSON.stringify(m)) as Record<string, unknown>;
    }
    let files;
    try {
      files = listOutputs(spec.outputDir);
    } catch (err) {
      throw new JobFailure('TransformFailed', err instanceof OutputError ? err.message : `cannot read the output directory: ${(err as Error).message}`);
    }
    if (files.length === 0) throw new JobFailure('TransformWroteNothing', `the transform wrote nothing to its output directory ${spec.outputDir}`);
    if (current !== me) return; // failed by an uncaught exception meanwhile
    current = undefined;
    const done: FromWorker = { t: 'done', token: spec.token, ok: true, files, version, durationMs: performance.now() - started, log: me.unsent.toString() };
    if (metadata !== undefined) done.metadata = metadata;
    send(done);
  } catch (err) {
    if (current !== me) return;
    current = undefined;
    const error = err instanceof JobFailure ? { code: err.code, message: err.message } : { code: 'TransformFailed', message: (err as Error)?.stack ?? String(err) };
    me.unsent.append(`[reflow] ${error.code}: ${error.message}\n`);
    const done: FromWorker = { t: 'done', token: spec.token, ok: false, error: { code: error.code, message: firstLine(error.message) }, durationMs: performance.now() - started, log: me.unsent.toString() };
    if (version !== undefined) done.version = version;
    send(done);
    if (retireAfter) retire(retireAfter);
  }
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]!;
  return line.length > 1000 ? `${line.slice(0, 1000)}…` : line;
}

send({ t: 'ready', pid: process.pid });
