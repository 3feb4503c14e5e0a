import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runJobQueueConformance } from '../conformance.js';
import type { JobQueue } from '../port.js';
import { SqliteJobQueue } from './sqlite-job-queue.js';

const root = mkdtempSync(join(tmpdir(), 'reflow-jobs-'));
after(() => rmSync(root, { recursive: true, force: true }));
const paths = new WeakMap<JobQueue, string>();
let n = 0;

const openAt = (path: string) => {
  const queue = SqliteJobQueue.open({ path, retryBaseDelay: 2, maxRetryDelay: 10 });
  paths.set(queue, path);
  return queue;
};

runJobQueueConformance('sqlite', {
  open: async () => openAt(join(root, `q-${n++}`, 'jobs.db')),
  reopen: async (queue) => {
    await queue.close();
    return openAt(paths.get(queue)!);
  },
});

test('sqlite: a job enqueued by a process killed right after is there on the next open', async () => {
  const path = join(root, 'killed', 'jobs.db');
  const module = fileURLToPath(new URL('./index.js', import.meta.url));
  // A child enqueues, prints, then hangs until SIGKILLed: nothing gets a chance to close the database.
  const script = `
    const { SqliteJobQueue } = await import(${JSON.stringify(module)});
    const q = SqliteJobQueue.open({ path: ${JSON.stringify(path)} });
    await q.enqueue({ id: 'durable', kind: 'transform', payload: { n: 1 } });
    const [c] = await q.claim({ owner: ${JSON.stringify(`${hostname()}:`)} + process.pid + ':x', limit: 1, leaseMs: 3600000 });
    console.log('claimed ' + c.id);
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('claimed durable') && resolve());
    child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  // The lease runs for an hour, but its owner's pid is gone: the next open gives the job back at once.
  const q = SqliteJobQueue.open({ path });
  try {
    const job = await q.get('durable');
    // Its owner process died, not the job: it is runnable again at once, without spending an attempt.
    assert.equal(job?.state, 'pending', 'the interrupted job was given back on open');
    assert.equal(job?.attempts, 0);
    const [again] = await q.claim({ owner: 'next:1:y', limit: 1, leaseMs: 1000 });
    assert.equal(again?.attempt, 1);
  } finally {
    await q.close();
  }
});

test('sqlite: the database is in WAL mode and claims read the runnable index', async () => {
  const path = join(root, 'wal', 'jobs.db');
  const q = SqliteJobQueue.open({ path });
  await q.enqueue({ id: 'x', kind: 'transform', payload: {} });
  await q.close();
  const db = new Database(path, { readonly: true });
  try {
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT seq FROM jobs WHERE state IN ('pending', 'failed') AND run_after_ms <= 0 AND kind IN ('transform') ORDER BY seq LIMIT 5`)
      .all() as Array<{ detail: string }>;
    assert.ok(plan.some((p) => p.detail.includes('jobs_runnable')), JSON.stringify(plan));
  } finally {
    db.close();
  }
});

test('sqlite: a closed queue refuses calls', async () => {
  const q = SqliteJobQueue.open({ path: ':memory:' });
  await q.close();
  await assert.rejects(q.get('x'), /closed/);
});

test('sqlite: bad options are refused naming the field', () => {
  assert.throws(() => SqliteJobQueue.open({ path: ':memory:', defaultMaxAttempts: 0 }), { code: 'InvalidConfiguration', field: 'defaultMaxAttempts' });
  assert.throws(() => SqliteJobQueue.open({ path: ':memory:', retryBaseDelay: 'soon' }), { code: 'InvalidConfiguration', field: 'retryBaseDelay' });
  assert.throws(() => SqliteJobQueue.open({ path: ':memory:', retryBaseDelay: '10s', maxRetryDelay: '1s' }), { code: 'InvalidConfiguration', field: 'maxRetryDelay' });
});
