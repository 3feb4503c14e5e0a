/**
 * The one conformance suite every EventBus adapter runs (Hono's common.case.test.ts, Drizzle's sqlite-common.ts).
 * An adapter's test calls runEventBusConformance(name, harness); cases an adapter cannot support are skipped by
 * name with a reason, never silently.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventBus } from './port.js';
import type { EventEnvelope } from './types.js';

export interface BusHarness {
  /** A fresh, empty bus on its own storage; retries fast (a few ms) so failure paths finish quickly. */
  open(): Promise<EventBus>;
  /** Closes `bus` and opens the same storage again: what a restart does. */
  reopen(bus: EventBus): Promise<EventBus>;
  /** Case names this adapter skips, with the reason. */
  skip?: Record<string, string>;
}

const PATTERN = JSON.stringify({ source: ['app.orders'] });
const entry = (detail: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  Source: 'app.orders',
  DetailType: 'Order Placed',
  Detail: JSON.stringify(detail),
  ...extra,
});

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function collector(bus: EventBus, name: string) {
  const received: Array<{ payload: unknown; attempt: number }> = [];
  bus.registerHandler(name, (payload, ctx) => {
    received.push({ payload, attempt: ctx.attempt });
  });
  return received;
}

async function ruleWithHandler(bus: EventBus, rule: string, handler: string, extra: Record<string, unknown> = {}, busName?: string) {
  await bus.putRule({ Name: rule, EventPattern: PATTERN, ...(busName ? { EventBusName: busName } : {}) });
  await bus.putTargets({
    Rule: rule,
    ...(busName ? { EventBusName: busName } : {}),
    Targets: [{ Id: 't1', Arn: `arn:reflow:handler:${handler}`, ...extra }],
  });
}

async function rejects(promise: Promise<unknown>, code: string, message?: RegExp | string): Promise<void> {
  await assert.rejects(promise, (err: { code?: string; message?: string }) => {
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message ?? '', message);
    return true;
  });
}

export function runEventBusConformance(name: string, harness: BusHarness): void {
  const skip = harness.skip ?? {};
  const open: EventBus[] = [];
  after(async () => {
    for (const bus of open) await bus.close().catch(() => undefined);
  });
  const fresh = async () => {
    const bus = await harness.open();
    open.push(bus);
    return bus;
  };
  const reopen = async (bus: EventBus) => {
    const again = await harness.reopen(bus);
    open.push(again);
    return again;
  };
  const it = (title: string, fn: () => Promise<void>) =>
    skip[title] ? test(title, { skip: `${name}: ${skip[title]}` }, () => undefined) : test(title, fn);

  describe(`EventBus conformance: ${name}`, () => {
    it('has a default bus and manages named buses', async () => {
      const bus = await fresh();
      const def = await bus.describeEventBus({});
      assert.equal(def.Name, 'default');
      const created = await bus.createEventBus({ Name: 'orders', Description: 'orders bus' });
      assert.match(created.EventBusArn, /^arn:aws:events:[a-z0-9-]+:\d{12}:event-bus\/orders$/);
      await rejects(bus.createEventBus({ Name: 'orders' }), 'ResourceAlreadyExistsException', 'Event bus orders already exists.');
      const list = await bus.listEventBuses({ NamePrefix: 'ord' });
      assert.deepEqual(list.EventBuses.map((b) => b.Name), ['orders']);
      await rejects(bus.deleteEventBus({ Name: 'default' }), 'ValidationException', 'Cannot delete event bus default.');
      await bus.deleteEventBus({ Name: 'orders' });
      await rejects(bus.describeEventBus({ Name: 'orders' }), 'ResourceNotFoundException', 'Event bus orders does not exist.');
      await bus.deleteEventBus({ Name: 'orders' }); // deleting a missing bus succeeds, as in EventBridge
    });

    it('answers PutEvents per entry and stores nothing for a failed entry', async () => {
      const bus = await fresh();
      const received = collector(bus, 'all');
      await ruleWithHandler(bus, 'r', 'all');
      const result = await bus.putEvents({
        Entries: [
          entry({ n: 1 }),
          { Source: 'app.orders', DetailType: 'x' },
          entry({ n: 2 }, { EventBusName: 'missing' }),
          { Source: 'app.orders', DetailType: 'x', Detail: '[1,2]' },
          entry({ n: 3 }),
        ],
      });
      assert.equal(result.FailedEntryCount, 3);
      assert.ok(result.Entries[0]!.EventId && result.Entries[4]!.EventId);
      assert.equal(result.Entries[1]!.ErrorCode, 'InvalidArgument');
      assert.equal(result.Entries[2]!.ErrorCode, 'ResourceNotFoundException');
      assert.ok(result.Entries[3]!.ErrorCode);
      await bus.drain();
      assert.deepEqual(received.map((r) => (r.payload as EventEnvelope).detail), [{ n: 1 }, { n: 3 }]);
      assert.deepEqual(received.map((r) => (r.payload as EventEnvelope).id), [result.Entries[0]!.EventId, result.Entries[4]!.EventId]);
    });

    it('rejects invalid patterns and unknown resources with EventBridge codes, changing nothing', async () => {
      const bus = await fresh();
      await rejects(bus.putRule({ Name: 'bad', EventPattern: '{"source": "not-an-array"}' }), 'InvalidEventPatternException', /Event pattern is not valid/);
      await rejects(bus.putRule({ Name: 'bad', EventPattern: '{not json' }), 'InvalidEventPatternException');
      assert.deepEqual((await bus.listRules({})).Rules, []);
      await rejects(bus.putRule({ Name: 'r', EventPattern: PATTERN, EventBusName: 'nope' }), 'ResourceNotFoundException', 'Event bus nope does not exist.');
      await rejects(bus.describeRule({ Name: 'nope' }), 'ResourceNotFoundException', 'Rule nope does not exist on EventBus default.');
      await rejects(bus.putTargets({ Rule: 'nope', Targets: [{ Id: 'a', Arn: 'arn:reflow:handler:x' }] }), 'ResourceNotFoundException');
      await rejects(bus.describeArchive({ ArchiveName: 'nope' }), 'ResourceNotFoundException', 'Archive nope does not exist.');
      await rejects(bus.describeReplay({ ReplayName: 'nope' }), 'ResourceNotFoundException', 'Replay nope does not exist.');
      await rejects(bus.putRule({ Name: 'has space', EventPattern: PATTERN }), 'ValidationException', /failed to satisfy constraint/);
    });

    it('manages rules: describe, list with paging, disable stops matching, delete needs no targets', async () => {
      const bus = await fresh();
      const received = collector(bus, 'h');
      for (const n of ['a', 'b', 'c']) await bus.putRule({ Name: `rule-${n}`, EventPattern: PATTERN, Description: n });
      const first = await bus.listRules({ Limit: 2 });
      assert.deepEqual(first.Rules.map((r) => r.Name), ['rule-a', 'rule-b']);
      const second = await bus.listRules({ Limit: 2, NextToken: first.NextToken! });
      assert.deepEqual(second.Rules.map((r) => r.Name), ['rule-c']);
      assert.equal(second.NextToken, undefined);
      const described = await bus.describeRule({ Name: 'rule-a' });
      assert.equal(described.State, 'ENABLED');
      assert.equal(described.EventPattern, PATTERN);
      await bus.putTargets({ Rule: 'rule-a', Targets: [{ Id: 't', Arn: 'arn:reflow:handler:h' }] });
      await bus.disableRule({ Name: 'rule-a' });
      await bus.putEvents({ Entries: [entry({ n: 'while disabled' })] });
      await bus.enableRule({ Name: 'rule-a' });
      await bus.putEvents({ Entries: [entry({ n: 'enabled' })] });
      await bus.drain();
      assert.deepEqual(received.map((r) => (r.payload as EventEnvelope).detail), [{ n: 'enabled' }]);
      await rejects(bus.deleteRule({ Name: 'rule-a' }), 'ValidationException', "Rule can't be deleted since it has targets.");
      await bus.removeTargets({ Rule: 'rule-a', Ids: ['t'] });
      await bus.deleteRule({ Name: 'rule-a' });
      assert.deepEqual((await bus.listRules({})).Rules.map((r) => r.Name), ['rule-b', 'rule-c']);
    });

    it('limits a rule to five targets', async () => {
      const bus = await fresh();
      await bus.putRule({ Name: 'r', EventPattern: PATTERN });
      const targets = Array.from({ length: 6 }, (_, i) => ({ Id: `t${i}`, Arn: 'arn:reflow:handler:x' }));
      await rejects(bus.putTargets({ Rule: 'r', Targets: targets }), 'LimitExceededException');
      assert.deepEqual((await bus.listTargetsByRule({ Rule: 'r' })).Targets, []);
    });

    it('delivers to every matching target in log order', async () => {
      const bus = await fresh();
      const a = collector(bus, 'a');
      const b = collector(bus, 'b');
      await bus.putRule({ Name: 'r1', EventPattern: PATTERN });
      await bus.putRule({ Name: 'r2', EventPattern: JSON.stringify({ detail: { n: [{ numeric: ['>=', 50] }] } }) });
      await bus.putTargets({ Rule: 'r1', Targets: [{ Id: 'a', Arn: 'arn:reflow:handler:a' }] });
      await bus.putTargets({ Rule: 'r2', Targets: [{ Id: 'b', Arn: 'arn:reflow:handler:b' }] });
      for (let i = 0; i < 100; i += 10) {
        await bus.putEvents({ Entries: Array.from({ length: 10 }, (_, j) => entry({ n: i + j })) });
      }
      await bus.drain();
      assert.deepEqual(a.map((r) => (r.payload as EventEnvelope).detail.n), Array.from({ length: 100 }, (_, i) => i));
      assert.deepEqual(b.map((r) => (r.payload as EventEnvelope).detail.n), Array.from({ length: 50 }, (_, i) => i + 50));
    });

    it('transforms target input (Input, InputPath, InputTransformer)', async () => {
      const bus = await fresh();
      const got: Record<string, unknown[]> = { c: [], p: [], x: [] };
      for (const k of Object.keys(got)) bus.registerHandler(k, (payload) => void got[k]!.push(payload));
      await bus.putRule({ Name: 'r', EventPattern: PATTERN });
      await bus.putTargets({
        Rule: 'r',
        Targets: [
          { Id: 'c', Arn: 'arn:reflow:handler:c', Input: '{"constant":true}' },
          { Id: 'p', Arn: 'arn:reflow:handler:p', InputPath: '$.detail.order' },
          {
            Id: 'x',
            Arn: 'arn:reflow:handler:x',
            InputTransformer: { InputPathsMap: { id: '$.detail.order.id', src: '$.source' }, InputTemplate: '{"order": <id>, "from": <src>}' },
          },
        ],
      });
      await bus.putEvents({ Entries: [entry({ order: { id: 7, total: 9.5 } })] });
      await bus.drain();
      assert.deepEqual(got.c, [{ constant: true }]);
      assert.deepEqual(got.p, [{ id: 7, total: 9.5 }]);
      assert.deepEqual(got.x, [{ order: 7, from: 'app.orders' }]);
    });

    it('retries a failing target with backoff, then succeeds', async () => {
      const bus = await fresh();
      const attempts: number[] = [];
      bus.registerHandler('flaky', (_p, ctx) => {
        attempts.push(ctx.attempt);
        if (ctx.attempt < 3) throw new Error('not yet');
      });
      await ruleWithHandler(bus, 'r', 'flaky');
      await bus.putEvents({ Entries: [entry({ n: 1 })] });
      await bus.drain();
      assert.deepEqual(attempts, [1, 2, 3]);
      assert.deepEqual((await bus.listDeadLetters({})).DeadLetters, []);
    });

    it('dead-letters an event after the last retry, keeping the event, the error and the attempt count', async () => {
      const bus = await fresh();
      const seen: number[] = [];
      bus.registerHandler('broken', (payload) => {
        seen.push((payload as EventEnvelope).detail.n as number);
        throw new Error('target is down');
      });
      const ok = collector(bus, 'ok');
      await ruleWithHandler(bus, 'r', 'broken', { RetryPolicy: { MaximumRetryAttempts: 2 }, DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:000000000000:dlq' } });
      await bus.putTargets({ Rule: 'r', Targets: [{ Id: 'ok', Arn: 'arn:reflow:handler:ok' }] });
      const put = await bus.putEvents({ Entries: [entry({ n: 1 }), entry({ n: 2 })] });
      await bus.drain();
      assert.deepEqual(seen, [1, 1, 1, 2, 2, 2]);
      assert.equal(ok.length, 2, 'a failing target does not hold up the rule\'s other targets');
      const { DeadLetters } = await bus.listDeadLetters({});
      assert.equal(DeadLetters.length, 2);
      assert.equal(DeadLetters[0]!.Event.id, put.Entries[0]!.EventId);
      assert.equal(DeadLetters[0]!.Attempts, 3);
      assert.match(DeadLetters[0]!.LastError, /target is down/);
      assert.equal(DeadLetters[0]!.DeadLetterArn, 'arn:aws:sqs:us-east-1:000000000000:dlq');
      assert.equal(DeadLetters[0]!.TargetId, 't1');
    });

    it('delivers to HTTP endpoints; a 4xx goes straight to the dead letters, a 5xx is retried', async () => {
      const bus = await fresh();
      const bodies: unknown[] = [];
      let failures = 1;
      const server: Server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          if (req.url?.startsWith('/bad')) return void res.writeHead(400).end();
          if (failures-- > 0) return void res.writeHead(503).end();
          bodies.push(JSON.parse(body));
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      try {
        await bus.putRule({ Name: 'r', EventPattern: PATTERN });
        await bus.putTargets({
          Rule: 'r',
          Targets: [
            { Id: 'good', Arn: `http://127.0.0.1:${port}/hook`, InputPath: '$.detail' },
            { Id: 'bad', Arn: `http://127.0.0.1:${port}/bad`, RetryPolicy: { MaximumRetryAttempts: 5 } },
          ],
        });
        await bus.putEvents({ Entries: [entry({ n: 1 })] });
        await bus.drain();
        assert.deepEqual(bodies, [{ n: 1 }]);
        const { DeadLetters } = await bus.listDeadLetters({});
        assert.equal(DeadLetters.length, 1);
        assert.equal(DeadLetters[0]!.TargetId, 'bad');
        assert.equal(DeadLetters[0]!.Attempts, 1);
        assert.match(DeadLetters[0]!.LastError, /400/);
      } finally {
        server.close();
      }
    });

    it('forwards events to another bus', async () => {
      const bus = await fresh();
      await bus.createEventBus({ Name: 'audit' });
      const received = collector(bus, 'audit');
      await ruleWithHandler(bus, 'to-audit', 'audit', {}, 'audit');
      await bus.putRule({ Name: 'fwd', EventPattern: PATTERN });
      const { EventBusArn } = await bus.describeEventBus({ Name: 'audit' }).then((d) => ({ EventBusArn: d.Arn }));
      await bus.putTargets({ Rule: 'fwd', Targets: [{ Id: 'bus', Arn: EventBusArn }] });
      const put = await bus.putEvents({ Entries: [entry({ n: 42 })] });
      await bus.drain();
      assert.equal(received.length, 1);
      const event = received[0]!.payload as EventEnvelope;
      assert.deepEqual(event.detail, { n: 42 });
      assert.equal(event.id, put.Entries[0]!.EventId);
    });

    it('archives matching events and replays them in archive order, marked and not archived again', async () => {
      const bus = await fresh();
      const received = collector(bus, 'h');
      await ruleWithHandler(bus, 'r', 'h');
      const { ArchiveArn } = await bus.createArchive({
        ArchiveName: 'orders',
        EventSourceArn: (await bus.describeEventBus({})).Arn,
        EventPattern: JSON.stringify({ detail: { keep: [true] } }),
        RetentionDays: 7,
      });
      await bus.putEvents({ Entries: [entry({ n: 1, keep: true }), entry({ n: 2, keep: false }), entry({ n: 3, keep: true })] });
      await bus.drain();
      const archive = await bus.describeArchive({ ArchiveName: 'orders' });
      assert.equal(archive.EventCount, 2);
      assert.ok(archive.SizeBytes > 0);
      received.length = 0;

      const start = await bus.startReplay({
        ReplayName: 'again',
        EventSourceArn: ArchiveArn,
        EventStartTime: new Date(Date.now() - 60_000),
        EventEndTime: new Date(Date.now() + 60_000),
        Destination: { Arn: (await bus.describeEventBus({})).Arn },
      });
      assert.equal(start.State, 'STARTING');
      await until(async () => (await bus.describeReplay({ ReplayName: 'again' })).State === 'COMPLETED', 'replay to complete');
      await bus.drain();
      const events = received.map((r) => r.payload as EventEnvelope);
      assert.deepEqual(events.map((e) => e.detail.n), [1, 3]);
      assert.ok(events.every((e) => e['replay-name'] === 'again'));
      const done = await bus.describeReplay({ ReplayName: 'again' });
      assert.deepEqual(done.Progress, { EventsReplayed: 2, EventsTotal: 2 });
      assert.ok(done.EventLastReplayedTime instanceof Date && done.ReplayEndTime instanceof Date);
      assert.equal((await bus.describeArchive({ ArchiveName: 'orders' })).EventCount, 2, 'replayed events are not archived again');
      await rejects(bus.cancelReplay({ ReplayName: 'again' }), 'IllegalStatusException');
    });

    it('replays only to the rules named in FilterArns, and rejects cross-bus replays', async () => {
      const bus = await fresh();
      const a = collector(bus, 'a');
      const b = collector(bus, 'b');
      await ruleWithHandler(bus, 'ra', 'a');
      const { RuleArn } = await bus.putRule({ Name: 'rb', EventPattern: PATTERN });
      await bus.putTargets({ Rule: 'rb', Targets: [{ Id: 'b', Arn: 'arn:reflow:handler:b' }] });
      const busArn = (await bus.describeEventBus({})).Arn;
      const { ArchiveArn } = await bus.createArchive({ ArchiveName: 'all', EventSourceArn: busArn });
      await bus.putEvents({ Entries: [entry({ n: 1 })] });
      await bus.drain();
      a.length = 0;
      b.length = 0;
      const other = await bus.createEventBus({ Name: 'other' });
      const window = { EventStartTime: new Date(Date.now() - 60_000), EventEndTime: new Date(Date.now() + 60_000) };
      await rejects(
        bus.startReplay({ ReplayName: 'x', EventSourceArn: ArchiveArn, ...window, Destination: { Arn: other.EventBusArn } }),
        'ValidationException',
        'Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.',
      );
      await bus.startReplay({ ReplayName: 'only-b', EventSourceArn: ArchiveArn, ...window, Destination: { Arn: busArn, FilterArns: [RuleArn] } });
      await until(async () => (await bus.describeReplay({ ReplayName: 'only-b' })).State === 'COMPLETED', 'replay');
      await bus.drain();
      assert.equal(a.length, 0);
      assert.equal(b.length, 1);
      await rejects(
        bus.startReplay({ ReplayName: 'only-b', EventSourceArn: ArchiveArn, ...window, Destination: { Arn: busArn } }),
        'ResourceAlreadyExistsException',
        'Replay only-b already exists.',
      );
    });

    it('replays an event as soon as it is accepted, within the time window only', async () => {
      const bus = await fresh();
      const received = collector(bus, 'h');
      await ruleWithHandler(bus, 'r', 'h');
      const busArn = (await bus.describeEventBus({})).Arn;
      const { ArchiveArn } = await bus.createArchive({ ArchiveName: 'a', EventSourceArn: busArn });
      await bus.putEvents({ Entries: [entry({ n: 1 })] });
      const future = new Date(Date.now() + 3_600_000);
      await bus.startReplay({
        ReplayName: 'future',
        EventSourceArn: ArchiveArn,
        EventStartTime: future,
        EventEndTime: new Date(future.getTime() + 1000),
        Destination: { Arn: busArn },
      });
      await bus.startReplay({ ReplayName: 'now', EventSourceArn: ArchiveArn, EventStartTime: new Date(0), EventEndTime: future, Destination: { Arn: busArn } });
      await until(async () => (await bus.listReplays({})).Replays.every((r) => r.State === 'COMPLETED'), 'replays');
      await bus.drain();
      const replayed = received.map((r) => r.payload as EventEnvelope).filter((e) => e['replay-name']);
      assert.deepEqual(replayed.map((e) => e['replay-name']), ['now']);
      assert.equal((await bus.describeReplay({ ReplayName: 'future' })).Progress?.EventsReplayed, 0);
    });

    it('cancels a running replay', async () => {
      const bus = await fresh();
      const busArn = (await bus.describeEventBus({})).Arn;
      const { ArchiveArn } = await bus.createArchive({ ArchiveName: 'big', EventSourceArn: busArn });
      for (let i = 0; i < 300; i++) await bus.putEvents({ Entries: Array.from({ length: 10 }, (_, j) => entry({ n: i * 10 + j })) });
      await bus.startReplay({ ReplayName: 'stop-me', EventSourceArn: ArchiveArn, EventStartTime: new Date(0), EventEndTime: new Date(Date.now() + 60_000), Destination: { Arn: busArn } });
      const cancel = await bus.cancelReplay({ ReplayName: 'stop-me' });
      assert.equal(cancel.State, 'CANCELLING');
      await until(async () => (await bus.describeReplay({ ReplayName: 'stop-me' })).State === 'CANCELLED', 'cancel');
      const d = await bus.describeReplay({ ReplayName: 'stop-me' });
      assert.ok(d.Progress!.EventsReplayed < 3000);
    });

    it('a handler registered with a concurrency gets that many deliveries at once, each event once, retries its own', async () => {
      const bus = await fresh();
      let inFlight = 0;
      let most = 0;
      const seen = new Map<number, number>();
      const failedOnce = new Set<number>();
      bus.registerHandler(
        'wide',
        async (payload) => {
          const n = (payload as EventEnvelope).detail.n as number;
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise((r) => setTimeout(r, 2));
          inFlight--;
          // Every seventh event fails its first attempt: it is retried alone, and still delivered once it succeeds.
          if (n % 7 === 0 && !failedOnce.has(n)) {
            failedOnce.add(n);
            throw new Error('first attempt fails');
          }
          seen.set(n, (seen.get(n) ?? 0) + 1);
        },
        { concurrency: 4 },
      );
      await ruleWithHandler(bus, 'r', 'wide', { RetryPolicy: { MaximumRetryAttempts: 3 } });
      for (let i = 0; i < 20; i++) await bus.putEvents({ Entries: Array.from({ length: 10 }, (_, j) => entry({ n: i * 10 + j })) });
      await bus.drain(30_000);
      assert.equal(seen.size, 200);
      assert.ok([...seen.values()].every((count) => count === 1), 'each event succeeded once');
      assert.equal(most, 4, 'four deliveries ran at once, never more');
      assert.equal((await bus.listDeadLetters({})).DeadLetters.length, 0);
    });

    it('rejects a handler concurrency outside 1-64, naming the field', async () => {
      const bus = await fresh();
      for (const concurrency of [0, 65, 1.5]) {
        assert.throws(() => bus.registerHandler('bad', () => undefined, { concurrency }), (err: { code?: string; field?: string }) => err.code === 'ValidationException' && err.field === 'concurrency');
      }
    });

    it('resumes deliveries after a restart: an accepted event is never lost', async () => {
      let bus = await fresh();
      bus.registerHandler('late', () => {
        throw new Error('not ready');
      });
      await ruleWithHandler(bus, 'r', 'late');
      const put = await bus.putEvents({ Entries: [entry({ n: 1 }), entry({ n: 2 })] });
      bus = await reopen(bus);
      const received = collector(bus, 'late');
      await bus.drain();
      assert.deepEqual(received.map((r) => (r.payload as EventEnvelope).id), put.Entries.map((e) => e.EventId));
    });

    it('resumes a replay after a restart, replaying each event once', async () => {
      let bus = await fresh();
      const busArn = (await bus.describeEventBus({})).Arn;
      const { ArchiveArn } = await bus.createArchive({ ArchiveName: 'a', EventSourceArn: busArn });
      for (let i = 0; i < 200; i++) await bus.putEvents({ Entries: Array.from({ length: 10 }, (_, j) => entry({ n: i * 10 + j })) });
      await bus.putRule({ Name: 'r', EventPattern: JSON.stringify({ 'replay-name': ['resume'] }) });
      await bus.putTargets({ Rule: 'r', Targets: [{ Id: 't', Arn: 'arn:reflow:handler:count' }] });
      bus.registerHandler('count', () => {
        throw new Error('held until restart');
      });
      await bus.startReplay({ ReplayName: 'resume', EventSourceArn: ArchiveArn, EventStartTime: new Date(0), EventEndTime: new Date(Date.now() + 60_000), Destination: { Arn: busArn } });
      await new Promise((r) => setImmediate(r));
      bus = await reopen(bus);
      const seen = new Map<number, number>();
      bus.registerHandler('count', (payload) => {
        const n = (payload as EventEnvelope).detail.n as number;
        seen.set(n, (seen.get(n) ?? 0) + 1);
      });
      await until(async () => (await bus.describeReplay({ ReplayName: 'resume' })).State === 'COMPLETED', 'replay after restart', 30_000);
      await bus.drain(60_000);
      assert.equal(seen.size, 2000);
      assert.ok([...seen.values()].every((count) => count === 1), 'no event replayed twice');
    });

    it('tails the log through a pattern', async () => {
      const bus = await fresh();
      const tail = bus.tail({ EventPattern: JSON.stringify({ detail: { n: [{ numeric: ['>', 1] }] } }) });
      await bus.putEvents({ Entries: [entry({ n: 1 }), entry({ n: 2 }), entry({ n: 3 })] });
      const seen: unknown[] = [];
      for await (const item of tail) {
        seen.push(item.Event.detail.n);
        if (seen.length === 2) break;
      }
      assert.deepEqual(seen, [2, 3]);
      assert.equal(await tail.closed, undefined);
    });

    it('lets trusted producers use aws.* sources and appends an entry with its own EventId only once', async () => {
      const bus = await fresh();
      const received = collector(bus, 's3');
      await bus.putRule({ Name: 'r', EventPattern: JSON.stringify({ source: ['aws.s3'] }) });
      await bus.putTargets({ Rule: 'r', Targets: [{ Id: 't1', Arn: 'arn:reflow:handler:s3' }] });
      const s3 = { Source: 'aws.s3', DetailType: 'Object Created', Detail: JSON.stringify({ n: 1 }) };
      const untrusted = await bus.putEvents({ Entries: [s3] });
      assert.equal(untrusted.Entries[0]!.ErrorCode, 'NotAuthorizedForSourceException');
      const id = '0b3a7a2e-6a2f-4a4c-9a31-2f1f7b9d0c11';
      const first = await bus.putEvents({ Entries: [{ ...s3, EventId: id } as typeof s3] }, { trusted: true });
      // A relay that crashed before recording the first answer sends the same entry again: success, no new event.
      const again = await bus.putEvents({ Entries: [{ ...s3, EventId: id } as typeof s3] }, { trusted: true });
      assert.deepEqual([first.FailedEntryCount, again.FailedEntryCount], [0, 0]);
      assert.deepEqual([first.Entries[0]!.EventId, again.Entries[0]!.EventId], [id, id]);
      const reopened = await reopen(bus);
      const afterRestart = await reopened.putEvents({ Entries: [{ ...s3, EventId: id } as typeof s3] }, { trusted: true });
      assert.equal(afterRestart.FailedEntryCount, 0);
      const tail = reopened.tail({ After: 0 });
      const ids: string[] = [];
      const other = await reopened.putEvents({ Entries: [entry({ n: 2 })] });
      for await (const item of tail) {
        ids.push(item.Event.id);
        if (item.Event.id === other.Entries[0]!.EventId) break;
      }
      assert.deepEqual(ids, [id, other.Entries[0]!.EventId]);
      assert.ok(received.length <= 1, 'the closed bus delivered at most the one event');
    });
  });
}
