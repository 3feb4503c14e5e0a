/**
 * The worker pool against real child processes, real files and a real SQLite queue. No case asserts on durations:
 * waits poll with generous deadlines, and concurrency is counted through files the transforms write.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteJobQueue } from './jobs/sqlite/index.js';
import type { Job, JobQueue } from './jobs/port.js';
import { createJobRuntime, type JobRuntime, type JobRuntimeOptions } from './runtime.js';
import { transformVersion, type TransformDefinition, type TransformResult } from './transform.js';

const root = mkdtempSync(join(tmpdir(), 'reflow-pool-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Setup {
  dir: string;
  queue: JobQueue;
  runtime: JobRuntime;
  settled: Map<string, Job>;
  notifications: Job[];
  input: string;
  run(id: string, transform: TransformDefinition, extra?: { params?: Record<string, unknown>; expectedVersion?: string; inputs?: string[] }): Promise<void>;
  settledJob(id: string): Promise<Job>;
  close(): Promise<void>;
}

async function setup(files: Record<string, string>, options: Partial<JobRuntimeOptions> = {}): Promise<Setup> {
  const base = join(root, `t${n++}`);
  const dir = join(base, 'project');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text, { mode: rel.endsWith('.sh') ? 0o755 : 0o644 });
  }
  mkdirSync(dir, { recursive: true });
  const input = join(base, 'input.csv');
  writeFileSync(input, 'a,b\n1,2\n3,4\n');
  const queue = SqliteJobQueue.open({ path: join(base, 'jobs.db'), retryBaseDelay: 5, maxRetryDelay: 20 });
  const settled = new Map<string, Job>();
  const notifications: Job[] = [];
  const runtime = createJobRuntime({
    queue,
    workDir: join(base, 'work'),
    concurrency: 2,
    onSettled: (job) => {
      notifications.push(job);
      settled.set(job.id, job);
    },
    ...options,
  });
  return {
    dir,
    queue,
    runtime,
    settled,
    notifications,
    input,
    async run(id, transform, extra = {}) {
      await runtime.enqueueTransform({ id, projectDir: dir, transform, inputs: extra.inputs ?? [input], ...extra });
    },
    async settledJob(id) {
      await until(() => settled.has(id), `job ${id} to settle`);
      return settled.get(id)!;
    },
    async close() {
      await runtime.close({ grace: 0 });
      await queue.close();
    },
  };
}

const UPPER = `
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
interface Job { inputs: string[]; outputDir: string; params: Record<string, unknown>; log(m: string): void; jobId: string; attempt: number }
export default async function (job: Job): Promise<{ metadata: Record<string, unknown> }> {
  const text: string = readFileSync(job.inputs[0]!, 'utf8');
  console.log('console line from', job.jobId);
  process.stderr.write('stderr line\\n');
  job.log('params ' + JSON.stringify(job.params));
  mkdirSync(join(job.outputDir, 'sub'));
  writeFileSync(join(job.outputDir, 'upper.csv'), text.toUpperCase());
  writeFileSync(join(job.outputDir, 'sub', 'rows.txt'), String(text.trim().split('\\n').length));
  return { metadata: { rows: text.trim().split('\\n').length, pid: process.pid } };
}
`;

test('a TypeScript module transform runs in a worker: outputs, metadata, log and the version that ran', async () => {
  const s = await setup({ 'transforms/upper.ts': UPPER });
  try {
    let seenFiles: string[] = [];
    const def = { module: 'transforms/upper.ts', version: 3, params: { mode: 'x' } };
    const seen = new Promise<Job>((resolve) => {
      const original = s.settled.set.bind(s.settled);
      s.settled.set = (id, job) => {
        // The consumer reads the outputs while the callback runs: they are there until it resolves.
        const r = job.result as TransformResult;
        seenFiles = r.files.map((f) => readFileSync(join(r.outputDir, f.path), 'utf8'));
        resolve(job);
        return original(id, job);
      };
    });
    await s.run('m1', def);
    const job = await seen;
    assert.equal(job.state, 'succeeded');
    const r = job.result as TransformResult;
    assert.deepEqual(r.files.map((f) => [f.path, f.size]), [['sub/rows.txt', 1], ['upper.csv', 12]]);
    assert.match(r.files[1]!.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(seenFiles, ['3', 'A,B\n1,2\n3,4\n']);
    assert.equal(r.metadata?.rows, 3);
    assert.notEqual(r.metadata?.pid, process.pid, 'it ran in a child process');
    assert.equal(r.version, transformVersion(def, s.dir));
    assert.match(r.version, /^3\+[0-9a-f]{8}$/);
    assert.match(job.log!, /console line from m1\n/);
    assert.match(job.log!, /stderr line\n/);
    assert.match(job.log!, /params \{"mode":"x"\}\n/);
    await until(() => !existsSync(r.outputDir), 'the acknowledged output directory to be removed');
  } finally {
    await s.close();
  }
});

const PY = `
import json, os, sys
args = sys.argv[1:]
out = args[args.index('--output') + 1]
inputs = [args[i + 1] for i, a in enumerate(args) if a == '--input']
params = json.loads(args[args.index('--params') + 1])
print('python says hi')
print('to stderr', file=sys.stderr)
with open(os.path.join(out, 'seen.json'), 'w') as f:
    json.dump({'inputs': inputs, 'params': params, 'env_inputs': json.loads(os.environ['REFLOW_INPUTS']),
               'env_out': os.environ['REFLOW_OUTPUT_DIR'], 'env_params': json.loads(os.environ['REFLOW_PARAMS']),
               'job': os.environ['REFLOW_JOB_ID'], 'cwd': os.getcwd()}, f)
`;

test('external commands (python3, a shell script) get the contract: args, env, cwd, log, outputs', async () => {
  const s = await setup({ 'clean.py': PY, 'run.sh': '#!/bin/sh\necho "shell out"\necho "$REFLOW_JOB_ID" > "$REFLOW_OUTPUT_DIR/id.txt"\n' });
  try {
    const other = join(s.dir, '..', 'second.csv');
    writeFileSync(other, 'x\n');
    const pyDef = { command: ['python3', 'clean.py'], version: 1, params: { k: [1, 'two'] } };
    await s.run('py', pyDef, { inputs: [s.input, other] });
    await s.run('sh', { command: ['./run.sh'], version: 1 });
    const py = await s.settledJob('py');
    assert.equal(py.state, 'succeeded', py.log);
    const r = py.result as TransformResult;
    assert.deepEqual(r.files.map((f) => f.path), ['seen.json']);
    assert.equal(r.version, transformVersion(pyDef, s.dir));
    assert.match(py.log!, /python says hi/);
    assert.match(py.log!, /to stderr/);
    const sh = await s.settledJob('sh');
    assert.equal(sh.state, 'succeeded', sh.log);
    assert.match(sh.log!, /shell out/);
    assert.equal((sh.result as TransformResult).files[0]!.size, 'sh\n'.length);
    // The python script's own view, written before the output was acknowledged; re-run it with outputs kept.
    const kept = await setup({ 'clean.py': PY }, { keepOutputs: true });
    try {
      await kept.run('py2', pyDef, { inputs: [kept.input, other] });
      const job = await kept.settledJob('py2');
      const seen = JSON.parse(readFileSync(join((job.result as TransformResult).outputDir, 'seen.json'), 'utf8'));
      assert.deepEqual(seen.inputs, [kept.input, other]);
      assert.deepEqual(seen.env_inputs, [kept.input, other]);
      assert.deepEqual(seen.params, { k: [1, 'two'] });
      assert.deepEqual(seen.env_params, { k: [1, 'two'] });
      assert.equal(seen.env_out, (job.result as TransformResult).outputDir);
      assert.equal(seen.job, 'py2');
      assert.equal(seen.cwd, kept.dir);
    } finally {
      await kept.close();
    }
  } finally {
    await s.close();
  }
});

test('crashing transforms are retried, then dead with each attempt\'s log', async () => {
  const s = await setup({
    'throws.ts': `export default async function () { console.log('about to fail'); throw new Error('boom in transform'); }`,
    'exits.ts': `export default async function () { console.log('exiting now'); process.exit(3); }`,
    'fails.sh': '#!/bin/sh\necho "bad input" >&2\nexit 3\n',
    'noexport.ts': `export const x = 1;`,
  });
  try {
    await s.run('throw', { module: 'throws.ts', version: 1 });
    await s.run('exit', { module: 'exits.ts', version: 1 });
    await s.run('cmd', { command: ['./fails.sh'], version: 1, retries: 1 });
    await s.run('noexport', { module: 'noexport.ts', version: 1, retries: 0 });
    const thrown = await s.settledJob('throw');
    assert.equal(thrown.state, 'dead');
    assert.equal(thrown.error?.code, 'TransformFailed');
    assert.match(thrown.error!.message, /boom in transform/);
    const attempts = await s.queue.attempts('throw');
    assert.equal(attempts.length, 3);
    for (const a of attempts) {
      assert.match(a.log, /about to fail/);
      assert.match(a.log, /Error: boom in transform\n\s+at /, 'the stack is in the log');
    }
    const [dead] = (await s.queue.listDeadLetters()).filter((d) => d.job.id === 'throw');
    assert.equal(dead?.attempts.length, 3);

    const exited = await s.settledJob('exit');
    assert.equal(exited.state, 'dead');
    assert.equal(exited.error?.code, 'WorkerDied');
    assert.match(exited.error!.message, /worker \(pid \d+\) exited with code 3 during job 'exit' \(attempt 3\)/);
    for (const a of await s.queue.attempts('exit')) assert.match(a.log, /exiting now/);

    const cmd = await s.settledJob('cmd');
    assert.equal(cmd.state, 'dead');
    assert.equal(cmd.error?.code, 'TransformFailed');
    assert.match(cmd.error!.message, /exited with code 3/);
    assert.equal((await s.queue.attempts('cmd')).length, 2);
    assert.match((await s.queue.attempts('cmd'))[0]!.log, /bad input/);

    const noexport = await s.settledJob('noexport');
    assert.match(noexport.error!.message, /no default export function/);
  } finally {
    await s.close();
  }
});

const WAIT_FOR_KILL = `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
export default async function (job: { params: Record<string, unknown>; attempt: number; outputDir: string }) {
  console.log('waiting to be killed, attempt', job.attempt);
  // The worker sends log lines 20 ms after they are written; let that timer fire before telling the test to kill.
  await new Promise((r) => setTimeout(r, 100));
  writeFileSync(join(String(job.params.markers), 'attempt-' + job.attempt), String(process.pid));
  await new Promise(() => setInterval(() => {}, 1000));
}
`;

test('a worker SIGKILLed mid-job fails that attempt (WorkerDied), is replaced, and the job ends dead with its logs', async () => {
  const s = await setup({ 'wait.ts': WAIT_FOR_KILL });
  try {
    const markers = join(s.dir, '..', 'markers');
    mkdirSync(markers);
    await s.run('victim', { module: 'wait.ts', version: 1, retries: 1, params: { markers } });
    const pids: number[] = [];
    for (const attempt of [1, 2]) {
      const marker = join(markers, `attempt-${attempt}`);
      await until(() => existsSync(marker) && readFileSync(marker, 'utf8') !== '', `attempt ${attempt} to start`);
      const pid = Number(readFileSync(marker, 'utf8'));
      pids.push(pid);
      process.kill(pid, 'SIGKILL');
    }
    assert.notEqual(pids[0], pids[1], 'the dead worker was replaced by a new process');
    const job = await s.settledJob('victim');
    assert.equal(job.state, 'dead');
    assert.equal(job.error?.code, 'WorkerDied');
    assert.match(job.error!.message, /exited with signal SIGKILL during job 'victim' \(attempt 2\)/);
    const attempts = await s.queue.attempts('victim');
    assert.deepEqual(attempts.map((a) => a.error.code), ['WorkerDied', 'WorkerDied']);
    assert.match(attempts[0]!.log, /waiting to be killed, attempt 1/);
    assert.match(attempts[0]!.log, /signal SIGKILL/);
  } finally {
    await s.close();
  }
});

const HANG = `
import { writeFileSync } from 'node:fs';
export default async function (job: { params: Record<string, unknown> }) {
  console.log('hanging');
  if (job.params.marker) writeFileSync(String(job.params.marker), String(process.pid));
  await new Promise(() => setInterval(() => {}, 1000));
}`;
const QUICK = `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
export default async function (job: { outputDir: string; jobId: string }) { writeFileSync(join(job.outputDir, 'o'), job.jobId); }
`;

test('a hanging transform without a timeout keeps running while others finish, until cancelled', async () => {
  const s = await setup({ 'hang.ts': HANG, 'quick.ts': QUICK });
  try {
    const marker = join(s.dir, '..', 'hang.pid');
    await s.run('hang', { module: 'hang.ts', version: 1, params: { marker } });
    await until(() => existsSync(marker), 'the hang to start');
    for (let i = 0; i < 6; i++) await s.run(`q${i}`, { module: 'quick.ts', version: 1 });
    for (let i = 0; i < 6; i++) assert.equal((await s.settledJob(`q${i}`)).state, 'succeeded');
    const hang = await s.queue.get('hang');
    assert.equal(hang?.state, 'running', 'no time limit by default');
    assert.equal(hang?.attempts, 1);
    assert.equal(s.settled.has('hang'), false);
    assert.equal(s.runtime.pool!.stats().jobs.running, 1);
    await s.queue.cancel('hang');
    const cancelled = await s.settledJob('hang');
    assert.equal(cancelled.state, 'cancelled');
    assert.equal(cancelled.error?.code, 'JobCancelled');
    assert.match(cancelled.log!, /hanging/);
  } finally {
    await s.close();
  }
});

test('a hanging transform with a timeout is killed at the deadline: TransformTimedOut in its log', async () => {
  const s = await setup({ 'hang.ts': HANG, 'hang.sh': '#!/bin/sh\nsleep 600 &\necho $! > "$REFLOW_OUTPUT_DIR/../sleep-$REFLOW_ATTEMPT.pid"\nwait\n' });
  try {
    await s.run('mod', { module: 'hang.ts', version: 1, timeout: 3000, retries: 0 });
    await s.run('cmd', { command: ['./hang.sh'], version: 1, timeout: '300ms', retries: 0 });
    const mod = await s.settledJob('mod');
    assert.equal(mod.state, 'dead');
    assert.equal(mod.error?.code, 'TransformTimedOut');
    assert.match(mod.log!, /TransformTimedOut: job 'mod' ran past its timeout of 3000 ms/);
    assert.match(mod.log!, /hanging/);
    const cmd = await s.settledJob('cmd');
    assert.equal(cmd.error?.code, 'TransformTimedOut');
    assert.match(cmd.log!, /TransformTimedOut/);
    const pidFile = readdirSync(join(s.dir, '..', 'work')).find((f) => f.startsWith('sleep-'));
    assert.ok(pidFile, 'the script recorded its child');
    const sleepPid = Number(readFileSync(join(s.dir, '..', 'work', pidFile), 'utf8'));
    await until(() => !alive(sleepPid), 'the command\'s whole process group to be stopped');
  } finally {
    await s.close();
  }
});

test('a transform that writes nothing fails with TransformWroteNothing', async () => {
  const s = await setup({ 'nothing.ts': `export default async function (job: { log(m: string): void }) { job.log('did nothing'); }`, 'nothing.sh': '#!/bin/sh\necho silent\n' });
  try {
    await s.run('mod', { module: 'nothing.ts', version: 1, retries: 0 });
    await s.run('cmd', { command: ['./nothing.sh'], version: 1, retries: 0 });
    for (const id of ['mod', 'cmd']) {
      const job = await s.settledJob(id);
      assert.equal(job.state, 'dead');
      assert.equal(job.error?.code, 'TransformWroteNothing');
      assert.match(job.log!, /TransformWroteNothing: the transform wrote nothing to its output directory/);
    }
  } finally {
    await s.close();
  }
});

test('enqueueing the same id again runs the job once', async () => {
  const s = await setup({ 'count.ts': `
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
export default async function (job: { outputDir: string; params: Record<string, unknown> }) {
  appendFileSync(String(job.params.counter), 'x');
  writeFileSync(join(job.outputDir, 'o'), 'o');
}` });
  try {
    const counter = join(s.dir, '..', 'counter');
    const def = { module: 'count.ts', version: 1, params: { counter } };
    for (let i = 0; i < 3; i++) await s.run('once', def);
    await s.settledJob('once');
    await s.run('once', def);
    await s.run('after', def);
    await s.settledJob('after');
    assert.equal(readFileSync(counter, 'utf8'), 'xx', 'once for "once", once for "after"');
    assert.equal(s.notifications.filter((j) => j.id === 'once').length, 1);
  } finally {
    await s.close();
  }
});

const BARRIER = `
import { writeFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
export default async function (job: { outputDir: string; jobId: string; params: Record<string, unknown> }) {
  const dir = String(job.params.active);
  const me = join(dir, job.jobId);
  writeFileSync(me, '');
  let max = 0;
  const deadline = Date.now() + 20000;
  // Wait until as many jobs as the pool allows are in here together, watching the count the whole time.
  while (Date.now() < deadline) {
    const count = readdirSync(dir).length;
    max = Math.max(max, count);
    if (count >= Number(job.params.expect)) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  for (let i = 0; i < 10; i++) { max = Math.max(max, readdirSync(dir).length); await new Promise((r) => setTimeout(r, 2)); }
  rmSync(me);
  writeFileSync(join(job.outputDir, 'max'), String(max));
  return { metadata: { max } };
}
`;

test('at most `concurrency` jobs run at once, and the pool reaches it', async () => {
  const s = await setup({ 'barrier.ts': BARRIER, 'barrier.sh': '#!/bin/sh\ntouch "$1"\n' }, { concurrency: 3 });
  try {
    const active = join(s.dir, '..', 'active');
    mkdirSync(active);
    for (let i = 0; i < 9; i++) await s.run(`b${i}`, { module: 'barrier.ts', version: 1, params: { active, expect: 3 } });
    const maxes: number[] = [];
    for (let i = 0; i < 9; i++) {
      const job = await s.settledJob(`b${i}`);
      assert.equal(job.state, 'succeeded', job.log);
      maxes.push(Number((job.result as TransformResult).metadata!.max));
    }
    assert.ok(maxes.every((m) => m <= 3), `never more than 3 at once: ${maxes}`);
    assert.ok(maxes.some((m) => m === 3), `the pool ran 3 at once: ${maxes}`);
    const stats = s.runtime.pool!.stats();
    assert.equal(stats.peakRunning, 3);
    assert.ok(stats.workersStarted <= 3, `no more than 3 workers: ${stats.workersStarted}`);
  } finally {
    await s.close();
  }
});

test('idle workers exit after the idle timeout and are started again on demand', async () => {
  const s = await setup({ 'quick.ts': QUICK }, { idleTimeout: 200 });
  try {
    for (let i = 0; i < 4; i++) await s.run(`a${i}`, { module: 'quick.ts', version: 1 });
    for (let i = 0; i < 4; i++) await s.settledJob(`a${i}`);
    const started = s.runtime.pool!.stats().workersStarted;
    assert.ok(started >= 1);
    await until(() => s.runtime.pool!.stats().workers.alive === 0, 'idle workers to stop');
    const stats = s.runtime.pool!.stats();
    assert.equal(stats.workersStopped, started);
    await s.run('later', { module: 'quick.ts', version: 1 });
    assert.equal((await s.settledJob('later')).state, 'succeeded');
    assert.ok(s.runtime.pool!.stats().workersStarted > started, 'a new worker was started on demand');
    const pids = s.runtime.pool!.stats().workers.pids;
    await until(() => s.runtime.pool!.stats().workers.alive === 0, 'the new worker to stop too');
    for (const pid of pids) await until(() => !alive(pid), `worker ${pid} to be gone`);
  } finally {
    await s.close();
  }
});

test('the recorded version is the code that ran, also after the file changes under a warm worker', async () => {
  const code = (letter: string) => `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helper } from './helper.ts';
export default async function (job: { outputDir: string }) { writeFileSync(join(job.outputDir, 'o'), '${letter}' + helper()); }
`;
  const s = await setup({ 'v.ts': code('A'), 'helper.ts': `export const helper = () => '1';` });
  try {
    const def = { module: 'v.ts', version: 1, files: ['helper.ts'] };
    const out = (job: Job) => readFileSync(join((job.result as TransformResult).outputDir, 'o'), 'utf8');
    const v1 = transformVersion(def, s.dir);
    const original = s.settled.set.bind(s.settled);
    const outputs = new Map<string, string>();
    s.settled.set = (id, job) => {
      if (job.state === 'succeeded') outputs.set(id, out(job));
      return original(id, job);
    };
    await s.run('first', def, { expectedVersion: v1 });
    assert.equal(((await s.settledJob('first')).result as TransformResult).version, v1);
    assert.equal(outputs.get('first'), 'A1');

    writeFileSync(join(s.dir, 'v.ts'), code('B'));
    const v2 = transformVersion(def, s.dir);
    assert.notEqual(v2, v1);
    await s.run('second', def, { expectedVersion: v2 });
    const second = await s.settledJob('second');
    assert.equal((second.result as TransformResult).version, v2);
    assert.equal(outputs.get('second'), 'B1', 'the new code ran, on a fresh worker');

    // A helper module (listed in files) changes: without an expectation the worker notices on disk.
    writeFileSync(join(s.dir, 'helper.ts'), `export const helper = () => '2';`);
    const v3 = transformVersion(def, s.dir);
    await s.run('third', def);
    const third = await s.settledJob('third');
    assert.equal((third.result as TransformResult).version, v3);
    assert.equal(outputs.get('third'), 'B2', 'the changed helper ran too, not a cached copy');
  } finally {
    await s.close();
  }
});

test('a job whose payload is not a transform goes straight to the dead letters', async () => {
  const s = await setup({});
  try {
    await s.queue.enqueue({ id: 'junk', kind: 'transform', payload: { hello: 'world' }, maxAttempts: 5 });
    const job = await s.settledJob('junk');
    assert.equal(job.state, 'dead');
    assert.equal(job.error?.code, 'InvalidArgument');
    assert.equal(job.attempts, 1, 'not retried: no retry can fix it');
  } finally {
    await s.close();
  }
});

test('settlement is told at least once: a failing callback is retried, an unacknowledged one is told after a restart', async () => {
  const s = await setup({ 'quick.ts': QUICK });
  let calls = 0;
  try {
    await s.close();
    const queue = SqliteJobQueue.open({ path: join(s.dir, '..', 'jobs.db'), retryBaseDelay: 5 });
    const flaky = createJobRuntime({
      queue,
      workDir: join(s.dir, '..', 'work'),
      concurrency: 1,
      notify: { retryDelay: 10, pollInterval: 20, onError: () => undefined },
      onSettled: () => {
        calls++;
        if (calls === 1) throw new Error('consumer hiccup');
      },
    });
    await flaky.enqueueTransform({ id: 'told', projectDir: s.dir, transform: { module: 'quick.ts', version: 1 }, inputs: [s.input] });
    const acknowledged = async (id: string) => {
      const job = await queue.get(id);
      return job?.state === 'succeeded' && job.notified;
    };
    await until(() => acknowledged('told'), 'the retried notification to be acknowledged');
    assert.equal(calls, 2);
    await flaky.close({ grace: 0 });

    // A consumer that never acknowledges; then the process "restarts".
    let hung = 0;
    const stuck = createJobRuntime({ queue, workDir: join(s.dir, '..', 'work'), concurrency: 1, onSettled: () => new Promise<void>(() => void hung++) });
    await stuck.enqueueTransform({ id: 'again', projectDir: s.dir, transform: { module: 'quick.ts', version: 1 }, inputs: [s.input] });
    await until(() => hung === 1, 'the stuck callback to be called');
    await stuck.close({ grace: 50 });
    await queue.close();
    const reopened = SqliteJobQueue.open({ path: join(s.dir, '..', 'jobs.db') });
    const told: Array<{ job: Job; outputsThere: boolean }> = [];
    const after = createJobRuntime({
      queue: reopened,
      workDir: join(s.dir, '..', 'work'),
      concurrency: 1,
      onSettled: (job) => void told.push({ job, outputsThere: existsSync((job.result as TransformResult).outputDir) }),
    });
    try {
      await until(() => told.some((t) => t.job.id === 'again'), 'the unacknowledged job to be told again');
      const { job, outputsThere } = told.find((t) => t.job.id === 'again')!;
      assert.equal(job.state, 'succeeded');
      assert.ok(outputsThere, 'its outputs waited for the acknowledgement');
      await until(async () => (await reopened.get('again'))?.notified === true, 'the acknowledgement');
      assert.equal(told.filter((t) => t.job.id === 'told').length, 0, 'an acknowledged job is not told again');
    } finally {
      await after.close({ grace: 0 });
      await reopened.close();
    }
  } finally {
    await s.close();
  }
});

test('SIGKILL of the process running the pool: its workers stop, and the jobs run again after the restart without spending an attempt', async () => {
  const s = await setup({
    'gate.ts': `
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
export default async function (job: { outputDir: string; jobId: string; attempt: number; params: Record<string, unknown> }) {
  writeFileSync(join(String(job.params.markers), job.jobId + '-' + job.attempt), String(process.pid));
  while (!existsSync(String(job.params.gate))) await new Promise((r) => setTimeout(r, 10));
  writeFileSync(join(job.outputDir, 'o'), job.jobId + ' attempt ' + job.attempt);
}`,
  });
  await s.close();
  const base = join(s.dir, '..');
  const markers = join(base, 'markers');
  mkdirSync(markers);
  const gate = join(base, 'gate');
  const dist = fileURLToPath(new URL('.', import.meta.url));
  const script = `
    const { SqliteJobQueue } = await import(${JSON.stringify(join(dist, 'jobs/sqlite/index.js'))});
    const { createJobRuntime } = await import(${JSON.stringify(join(dist, 'index.js'))});
    const queue = SqliteJobQueue.open({ path: ${JSON.stringify(join(base, 'jobs.db'))} });
    const rt = createJobRuntime({ queue, workDir: ${JSON.stringify(join(base, 'work'))}, concurrency: 2, lease: '1h', onSettled: () => {} });
    for (const id of ['k1', 'k2', 'k3']) {
      await rt.enqueueTransform({ id, projectDir: ${JSON.stringify(s.dir)}, transform: { module: 'gate.ts', version: 1 }, inputs: [],
        params: { markers: ${JSON.stringify(markers)}, gate: ${JSON.stringify(gate)} } });
    }
    console.log('enqueued');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await until(() => readdirSync(markers).length === 2, 'two jobs to be running in the child\'s pool');
    const workerPids = readdirSync(markers).map((f) => Number(readFileSync(join(markers, f), 'utf8')));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // Their IPC channel closed with the parent: the workers exit instead of running on as orphans.
    for (const pid of workerPids) await until(() => !alive(pid), `orphaned worker ${pid} to exit`);
    writeFileSync(gate, '');

    const queue = SqliteJobQueue.open({ path: join(base, 'jobs.db') });
    const told = new Map<string, Job>();
    const rt = createJobRuntime({ queue, workDir: join(base, 'work'), concurrency: 2, onSettled: (job) => void told.set(job.id, job) });
    try {
      await until(() => told.size === 3, 'all three jobs to settle after the restart');
      for (const [id, job] of told) assert.equal(job.state, 'succeeded', `${id}: ${job.log}`);
      // The host process died, not the transforms: the interrupted jobs ran again without spending an attempt,
      // and their histories hold no failure.
      for (const job of told.values()) {
        assert.equal(job.attempts, 1, `${job.id} ran as attempt 1`);
        assert.deepEqual(await queue.attempts(job.id), []);
      }
    } finally {
      await rt.close({ grace: 0 });
      await queue.close();
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

test('close() gives running jobs back unsettled; they run again after a restart', async () => {
  const s = await setup({ 'hang.ts': HANG });
  await s.run('long', { module: 'hang.ts', version: 1 });
  await until(() => s.runtime.pool!.stats().jobs.running === 1, 'the job to run');
  await s.runtime.close({ grace: 0 });
  const job = await s.queue.get('long');
  assert.equal(job?.state, 'pending');
  assert.equal(job?.attempts, 0, 'a shutdown does not use up an attempt');
  assert.equal(s.settled.has('long'), false);
  await s.queue.close();
});
