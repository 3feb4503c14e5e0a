/**
 * The one conformance suite every JobQueue adapter runs (Hono's common.case.test.ts, Drizzle's sqlite-common.ts).
 * An adapter's test calls runJobQueueConformance(name, harness); a case an adapter cannot support is skipped by
 * name with a reason, never silently. No case asserts on durations: waits poll with a generous deadline.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttemptOutcome, JobQueue, QueueSignal } from './port.js';

export interface JobQueueHarness {
  /** A fresh, empty queue on its own storage, with retries a few ms apart. */
  open(): Promise<JobQueue>;
  /** Closes `queue` without settling anything (what a crash leaves) and opens the same storage again. */
  reopen(queue: JobQueue): Promise<JobQueue>;
  skip?: Record<string, string>;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function rejects(promise: Promise<unknown>, code: string, field?: string): Promise<void> {
  await assert.rejects(promise, (err: { code?: string; field?: string; message?: string }) => {
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    if (field !== undefined) assert.equal(err.field, field, `expected field ${field}, got ${err.field}: ${err.message}`);
    return true;
  });
}

const OWNER = 'conformance-host:1:aaaa';
const base = (id: string, attempt: number, owner = OWNER) => ({ id, owner, attempt, startedMs: 1, endedMs: 2 });
const ok = (id: string, attempt: number, result: unknown = { n: 1 }, owner = OWNER): AttemptOutcome => ({ ...base(id, attempt, owner), ok: true, result, log: `ran ${id}\n` });
const fail = (id: string, attempt: number, extra: Partial<Extract<AttemptOutcome, { ok: false }>> = {}): AttemptOutcome => ({
  ...base(id, attempt),
  ok: false,
  error: { code: 'TransformFailed', message: `attempt ${attempt} failed` },
  log: `log of attempt ${attempt}\n`,
  ...extra,
});

export function runJobQueueConformance(name: string, harness: JobQueueHarness): void {
  const skip = harness.skip ?? {};
  const cases: Array<[string, (q: JobQueue) => Promise<JobQueue | void>]> = [];
  const it = (title: string, fn: (q: JobQueue) => Promise<JobQueue | void>) => cases.push([title, fn]);

  it('enqueue stores a pending job and is idempotent by id', async (q) => {
    const job = await q.enqueue({ id: 'a', kind: 'transform', payload: { x: 1 } });
    assert.equal(job.state, 'pending');
    assert.equal(job.attempts, 0);
    assert.equal(job.maxAttempts, 3);
    assert.equal(job.timeoutMs, undefined);
    const again = await q.enqueue({ id: 'a', kind: 'transform', payload: { x: 2 }, maxAttempts: 9 });
    assert.deepEqual(again.payload, { x: 1 }, 'a redelivered enqueue returns the existing job');
    assert.equal(again.maxAttempts, 3);
    assert.equal((await q.counts()).pending, 1);
    const many = await q.enqueueMany([
      { id: 'a', kind: 'transform', payload: { x: 3 } },
      { id: 'b', kind: 'transform', payload: { x: 4 }, timeoutMs: 500, maxAttempts: 1 },
    ]);
    assert.deepEqual(many.map((j) => j.payload), [{ x: 1 }, { x: 4 }]);
    assert.equal((await q.get('b'))?.timeoutMs, 500);
    assert.equal((await q.counts()).pending, 2);
  });

  it('bad enqueue requests are refused naming the field, and nothing is stored', async (q) => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await rejects(q.enqueue({ id: '', kind: 'transform', payload: {} }), 'InvalidArgument', 'id');
    await rejects(q.enqueue({ id: 'x'.repeat(513), kind: 'transform', payload: {} }), 'InvalidArgument', 'id');
    await rejects(q.enqueue({ id: 'k', kind: 'two words', payload: {} }), 'InvalidArgument', 'kind');
    await rejects(q.enqueue({ id: 'p', kind: 'transform', payload: undefined }), 'InvalidArgument', 'payload');
    await rejects(q.enqueue({ id: 'p', kind: 'transform', payload: cyclic }), 'InvalidArgument', 'payload');
    await rejects(q.enqueue({ id: 'p', kind: 'transform', payload: { n: 10n } }), 'InvalidArgument', 'payload');
    await rejects(q.enqueue({ id: 'm', kind: 'transform', payload: {}, maxAttempts: 0 }), 'InvalidArgument', 'maxAttempts');
    await rejects(q.enqueue({ id: 'm', kind: 'transform', payload: {}, maxAttempts: 1.5 }), 'InvalidArgument', 'maxAttempts');
    await rejects(q.enqueue({ id: 't', kind: 'transform', payload: {}, timeoutMs: -1 }), 'InvalidArgument', 'timeoutMs');
    await rejects(
      q.enqueueMany([
        { id: 'good', kind: 'transform', payload: {} },
        { id: 'bad', kind: '', payload: {} },
      ]),
      'InvalidArgument',
      'requests[1].kind',
    );
    assert.deepEqual(await q.list(), [], 'nothing was stored');
  });

  it('claim leases runnable jobs oldest first, in batches, by kind', async (q) => {
    for (const id of ['j1', 'j2', 'j3']) await q.enqueue({ id, kind: 'transform', payload: { id } });
    await q.enqueue({ id: 'other', kind: 'train', payload: {} });
    const first = await q.claim({ owner: OWNER, kinds: ['transform'], limit: 2, leaseMs: 60_000 });
    assert.deepEqual(first.map((c) => c.id), ['j1', 'j2']);
    assert.deepEqual(first[0]!.payload, { id: 'j1' });
    assert.equal(first[0]!.attempt, 1);
    const running = await q.get('j1');
    assert.equal(running?.state, 'running');
    assert.equal(running?.owner, OWNER);
    assert.ok(running!.leaseUntilMs! > Date.now());
    const rest = await q.claim({ owner: OWNER, kinds: ['transform'], limit: 10, leaseMs: 60_000 });
    assert.deepEqual(rest.map((c) => c.id), ['j3']);
    assert.deepEqual(await q.claim({ owner: OWNER, kinds: ['transform'], limit: 10, leaseMs: 60_000 }), []);
    assert.deepEqual((await q.claim({ owner: OWNER, limit: 10, leaseMs: 60_000 })).map((c) => c.id), ['other']);
    assert.equal((await q.activeCounts()).running, 4);
  });

  it('a success settles the job, unnotified until the consumer marks it', async (q) => {
    const signals: QueueSignal[] = [];
    q.subscribe((s) => signals.push(s));
    await q.enqueue({ id: 's', kind: 'transform', payload: {} });
    assert.ok(signals.some((s) => s.type === 'enqueued' && s.kinds.includes('transform')));
    const [c] = await q.claim({ owner: OWNER, limit: 1, leaseMs: 60_000 });
    const { settled, stale } = await q.complete([ok('s', c!.attempt, { files: 2 })]);
    assert.deepEqual(stale, []);
    assert.equal(settled.length, 1);
    assert.equal(settled[0]!.state, 'succeeded');
    assert.deepEqual(settled[0]!.result, { files: 2 });
    assert.equal(settled[0]!.log, 'ran s\n');
    assert.equal(settled[0]!.notified, false);
    assert.ok(signals.some((s) => s.type === 'settled' && s.jobs.some((j) => j.id === 's')));
    assert.deepEqual((await q.unnotified(10)).map((j) => j.id), ['s']);
    assert.equal((await q.activeCounts()).unnotified, 1);
    assert.equal(await q.countUnfinished('s'), 1, 'settled but not acknowledged: unfinished');
    await q.enqueue({ id: 'sx/1', kind: 'transform', payload: {} });
    assert.equal(await q.countUnfinished('sx/'), 1);
    assert.equal(await q.countUnfinished('other/'), 0);
    await q.markNotified(['s']);
    assert.equal(await q.countUnfinished('s'), 1, 'only sx/1 is left under the prefix s');
    assert.deepEqual(await q.unnotified(10), []);
    assert.equal((await q.get('s'))?.notified, true);
    assert.equal((await q.get('s'))?.owner, undefined);
  });

  it('a failed attempt is retried with backoff, then the job is dead with every attempt and its log', async (q) => {
    await q.enqueue({ id: 'f', kind: 'transform', payload: {}, maxAttempts: 3 });
    for (let attempt = 1; attempt <= 3; attempt++) {
      let claimed: Awaited<ReturnType<JobQueue['claim']>> = [];
      await until(async () => (claimed = await q.claim({ owner: OWNER, limit: 1, leaseMs: 60_000 })).length === 1, `attempt ${attempt}`);
      assert.equal(claimed[0]!.attempt, attempt);
      const { settled } = await q.complete([fail('f', attempt)]);
      const job = await q.get('f');
      if (attempt < 3) {
        assert.equal(settled.length, 0);
        assert.equal(job?.state, 'failed');
        assert.deepEqual(job?.error, { code: 'TransformFailed', message: `attempt ${attempt} failed` });
        assert.ok(job!.runAfterMs >= job!.updatedMs);
      } else {
        assert.equal(settled[0]?.state, 'dead');
        assert.equal(job?.state, 'dead');
        assert.equal(job?.notified, false);
      }
    }
    const [dead] = await q.listDeadLetters();
    assert.equal(dead?.job.id, 'f');
    assert.deepEqual(dead?.attempts.map((a) => [a.attempt, a.error.message, a.log]), [
      [1, 'attempt 1 failed', 'log of attempt 1\n'],
      [2, 'attempt 2 failed', 'log of attempt 2\n'],
      [3, 'attempt 3 failed', 'log of attempt 3\n'],
    ]);
    assert.deepEqual(dead?.lastError, { code: 'TransformFailed', message: 'attempt 3 failed' });
    assert.equal((await q.activeCounts()).dead, 1);
  });

  it('a non-retryable failure goes to the dead letters at once', async (q) => {
    await q.enqueue({ id: 'n', kind: 'transform', payload: {}, maxAttempts: 5 });
    const [c] = await q.claim({ owner: OWNER, limit: 1, leaseMs: 60_000 });
    const { settled } = await q.complete([fail('n', c!.attempt, { retryable: false })]);
    assert.equal(settled[0]?.state, 'dead');
    assert.equal((await q.attempts('n')).length, 1);
  });

  it('an outcome from an owner that no longer holds the attempt is ignored', async (q) => {
    await q.enqueue({ id: 'o', kind: 'transform', payload: {} });
    const [c] = await q.claim({ owner: OWNER, limit: 1, leaseMs: 60_000 });
    const r = await q.complete([ok('o', c!.attempt, {}, 'someone-else:2:bbbb'), ok('o', c!.attempt + 1)]);
    assert.deepEqual(r.stale, ['o', 'o']);
    assert.equal((await q.get('o'))?.state, 'running');
  });

  it('retryDead runs a dead job again; other states are refused', async (q) => {
    await q.enqueue({ id: 'd', kind: 'transform', payload: {}, maxAttempts: 1 });
    const [c] = await q.claim({ owner: OWNER, limit: 1, leaseMs: 60_000 });
    await q.complete([fail('d', c!.attempt)]);
    await rejects(q.retryDead('nope'), 'JobNotFound', 'id');
    await q.enqueue({ id: 'p', kind: 'transform', payload: {} });
    await rejects(q.retryDead('p'), 'InvalidJobState', 'id');
    const again = await q.retryDead('d');
    assert.equal(again.state, 'pending');
    assert.equal(again.attempts, 0);
    const claimed = await q.claim({ owner: OWNER, limit: 5, leaseMs: 60_000 });
    assert.deepEqual(claimed.map((x) => [x.id, x.attempt]), [['d', 1], ['p', 1]]);
    await q.complete([ok('d', 1)]);
    assert.equal((await q.get('d'))?.state, 'succeeded');
    assert.equal((await q.attempts('d')).length, 1, 'the earlier failed attempt stays in the history');
  });

  it('cancel: waiting jobs at once, running jobs through their owner, settled jobs unchanged', async (q) => {
    const signals: QueueSignal[] = [];
    q.subscribe((s) => signals.push(s));
    await rejects(q.cancel('missing'), 'JobNotFound', 'id');
    await q.enqueue({ id: 'w', kind: 'transform', payload: {} });
    const cancelled = await q.cancel('w');
    assert.equal(cancelled.state, 'cancelled');
    assert.equal(cancelled.error?.code, 'JobCancelled');
    assert.equal(cancelled.notified, false);
    assert.deepEqual(await q.claim({ owner: OWNER, limit: 5, leaseMs: 60_000 }), []);

    await q.enqueue({ id: 'r', kind: 'transform', payload: {} });
    const [c] = await q.claim({ owner: OWNER, limit: 1, leaseMs: 60_000 });
    const flagged = await q.cancel('r');
    assert.equal(flagged.state, 'running');
    assert.equal(flagged.cancelRequested, true);
    assert.ok(signals.some((s) => s.type === 'cancel-requested' && s.id === 'r' && s.owner === OWNER));
    assert.deepEqual((await q.renewLeases(OWNER, ['r'], 60_000)).cancelRequested, ['r']);
    const { settled } = await q.complete([fail('r', c!.attempt, { cancelled: true, error: { code: 'JobCancelled', message: 'stopped' } })]);
    assert.equal(settled[0]?.state, 'cancelled');
    assert.equal((await q.cancel('r')).state, 'cancelled');

    await q.enqueue({ id: 'done', kind: 'transform', payload: {} });
    const [d] = await q.claim({ owner: OWNER, limit: 1, leaseMs: 60_000 });
    await q.complete([ok('done', d!.attempt)]);
    assert.equal((await q.cancel('done')).state, 'succeeded');
  });

  it('release gives jobs back without counting the attempt', async (q) => {
    await q.enqueue({ id: 'g', kind: 'transform', payload: {} });
    await q.enqueue({ id: 'gc', kind: 'transform', payload: {} });
    await q.claim({ owner: OWNER, limit: 2, leaseMs: 60_000 });
    await q.cancel('gc');
    await q.release(OWNER, ['g', 'gc']);
    const g = await q.get('g');
    assert.equal(g?.state, 'pending');
    assert.equal(g?.attempts, 0);
    assert.equal((await q.get('gc'))?.state, 'cancelled', 'a job asked to cancel is cancelled, not re-queued');
    assert.deepEqual((await q.claim({ owner: OWNER, limit: 5, leaseMs: 60_000 })).map((c) => [c.id, c.attempt]), [['g', 1]]);
  });

  it('renewLeases extends held leases and reports the ones lost', async (q) => {
    await q.enqueue({ id: 'h', kind: 'transform', payload: {} });
    const [c] = await q.claim({ owner: OWNER, limit: 1, leaseMs: 1_000 });
    const r = await q.renewLeases(OWNER, ['h', 'never-held'], 120_000);
    assert.deepEqual(r.lost, ['never-held']);
    assert.ok((await q.get('h'))!.leaseUntilMs! > c!.leaseUntilMs);
    assert.deepEqual((await q.renewLeases('other:1:x', ['h'], 1_000)).lost, ['h']);
  });

  it('an expired lease fails that attempt (WorkerDied) and the job runs again', async (q) => {
    await q.enqueue({ id: 'e', kind: 'transform', payload: {}, maxAttempts: 2 });
    await q.claim({ owner: OWNER, limit: 1, leaseMs: 100 });
    await until(async () => (await q.recoverExpired()) === 1, 'the lease to expire');
    const job = await q.get('e');
    assert.notEqual(job?.state, 'running');
    assert.equal(job?.error?.code, 'WorkerDied');
    const [again] = await q.claim({ owner: OWNER, limit: 1, leaseMs: 100 });
    assert.equal(again?.attempt, 2);
    await until(async () => (await q.recoverExpired()) === 1, 'the second lease to expire');
    assert.equal((await q.get('e'))?.state, 'dead', 'an expired last attempt is a dead letter');
    assert.deepEqual((await q.attempts('e')).map((a) => a.error.code), ['WorkerDied', 'WorkerDied']);
  });

  it('after a crash, claimed jobs run again and settled ones are still unnotified', async (q) => {
    await q.enqueueMany([
      { id: 'c1', kind: 'transform', payload: { n: 1 } },
      { id: 'c2', kind: 'transform', payload: { n: 2 } },
    ]);
    const claimed = await q.claim({ owner: OWNER, limit: 2, leaseMs: 150 });
    await q.complete([ok('c2', claimed[1]!.attempt)]);
    const reopened = await harness.reopen(q);
    assert.deepEqual((await reopened.unnotified(10)).map((j) => j.id), ['c2'], 'the settlement survives, still to notify');
    let again: Awaited<ReturnType<JobQueue['claim']>> = [];
    await until(async () => {
      await reopened.recoverExpired();
      again = await reopened.claim({ owner: 'after-restart:3:cccc', limit: 5, leaseMs: 60_000 });
      return again.length > 0;
    }, 'the crashed claim to come back');
    assert.deepEqual(again.map((c) => [c.id, c.attempt]), [['c1', 2]]);
    assert.deepEqual(again[0]!.payload, { n: 1 });
    return reopened;
  });

  it('list filters by state and kind and pages in enqueue order; counts and nextRunAfter', async (q) => {
    for (let i = 0; i < 5; i++) await q.enqueue({ id: `l${i}`, kind: i % 2 ? 'train' : 'transform', payload: { i } });
    assert.deepEqual((await q.list({ kind: 'transform' })).map((j) => j.id), ['l0', 'l2', 'l4']);
    assert.deepEqual((await q.list({ limit: 2, after: 'l1' })).map((j) => j.id), ['l2', 'l3']);
    await q.claim({ owner: OWNER, kinds: ['train'], limit: 5, leaseMs: 60_000 });
    assert.deepEqual((await q.list({ state: 'running' })).map((j) => j.id), ['l1', 'l3']);
    assert.deepEqual((await q.list({ state: ['running', 'pending'], limit: 10 })).length, 5);
    await rejects(q.list({ state: 'bogus' as never }), 'InvalidArgument', 'state');
    await rejects(q.list({ limit: 0 }), 'InvalidArgument', 'limit');
    await rejects(q.list({ after: 'missing' }), 'JobNotFound', 'after');
    const counts = await q.counts();
    assert.equal(counts.pending, 3);
    assert.equal(counts.running, 2);
    assert.equal(counts.succeeded, 0);
    const next = await q.nextRunAfter(['transform']);
    assert.ok(next !== undefined && next <= Date.now());
    assert.equal(await q.nextRunAfter(['nothing-of-this-kind']), undefined);
  });

  describe(`job queue conformance: ${name}`, () => {
    for (const [title, fn] of cases) {
      const reason = skip[title];
      if (reason) {
        test(title, { skip: reason }, () => undefined);
        continue;
      }
      test(title, async () => {
        const q = await harness.open();
        let last: JobQueue = q;
        try {
          last = (await fn(q)) ?? q;
        } finally {
          await last.close();
        }
      });
    }
  });
}
