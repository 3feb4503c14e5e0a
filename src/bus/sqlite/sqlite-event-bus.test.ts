import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import Database from 'better-sqlite3';
import { runEventBusConformance } from '../conformance.js';
import { SqliteEventBus } from './sqlite-event-bus.js';
import type { EventBus } from '../port.js';

const root = mkdtempSync(join(tmpdir(), 'reflow-bus-'));
after(() => rmSync(root, { recursive: true, force: true }));
const paths = new WeakMap<EventBus, string>();
let n = 0;

const openAt = (path: string) => {
  const bus = SqliteEventBus.open({ path, retryBaseDelayMs: 2, maxRetryDelayMs: 10 });
  paths.set(bus, path);
  return bus;
};

runEventBusConformance('sqlite', {
  open: async () => openAt(join(root, `bus-${n++}`, 'bus.db')),
  reopen: async (bus) => {
    await bus.close();
    return openAt(paths.get(bus)!);
  },
});

test('sqlite: the event, its deliveries and its archive entry commit together', async () => {
  const path = join(root, 'atomic', 'bus.db');
  const bus = openAt(path);
  await bus.putRule({ Name: 'r', EventPattern: '{"source":["s"]}' });
  await bus.putTargets({ Rule: 'r', Targets: [{ Id: 't', Arn: 'arn:reflow:handler:nobody' }] });
  await bus.createArchive({ ArchiveName: 'a', EventSourceArn: (await bus.describeEventBus({})).Arn });
  await bus.putEvents({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] });
  // Read the file from a second connection, as a restarted process would.
  const db = new Database(path, { readonly: true });
  const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
  assert.equal(count('SELECT COUNT(*) AS n FROM events'), 1);
  assert.equal(count('SELECT COUNT(*) AS n FROM pending'), 1);
  assert.equal(count('SELECT COUNT(*) AS n FROM archive_events'), 1);
  db.close();
  await bus.close();
});

test('sqlite: a bus opened on a path it cannot create fails with a code', () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'not a directory');
  assert.throws(
    () => SqliteEventBus.open({ path: join(file, 'bus.db') }),
    (err: { code?: string; message?: string }) => err.code === 'InternalException' && /cannot open bus database/.test(err.message ?? ''),
  );
});

test('sqlite: invalid options are rejected naming the field', () => {
  assert.throws(() => SqliteEventBus.open({ path: ':memory:', account: '12' }), (err: { code?: string; field?: string }) => err.code === 'InvalidConfiguration' && err.field === 'account');
});

test('sqlite: retention drops expired archived events and the log rows nobody needs', async () => {
  const path = join(root, 'retention', 'bus.db');
  const bus = openAt(path);
  const busArn = (await bus.describeEventBus({})).Arn;
  await bus.createArchive({ ArchiveName: 'short', EventSourceArn: busArn, RetentionDays: 1 });
  await bus.createArchive({ ArchiveName: 'forever', EventSourceArn: busArn, EventPattern: '{"detail":{"keep":[true]}}' });
  await bus.putEvents({
    Entries: [
      { Source: 's', DetailType: 'd', Detail: '{"keep":true}' },
      { Source: 's', DetailType: 'd', Detail: '{"keep":false}' },
      { Source: 's', DetailType: 'd', Detail: '{"keep":false,"newest":true}' },
    ],
  });
  bus.purge(Date.now() + 12 * 3_600_000);
  assert.equal((await bus.describeArchive({ ArchiveName: 'short' })).EventCount, 3, 'not expired after half a day');
  bus.purge(Date.now() + 2 * 86_400_000);
  const short = await bus.describeArchive({ ArchiveName: 'short' });
  assert.equal(short.EventCount, 0);
  assert.equal(short.SizeBytes, 0);
  assert.equal((await bus.describeArchive({ ArchiveName: 'forever' })).EventCount, 1);
  const db = new Database(path, { readonly: true });
  const left = (db.prepare('SELECT json FROM events ORDER BY seq').all() as Array<{ json: string }>).map((r) => JSON.parse(r.json).detail);
  // The newest row stays too: log positions are max + 1, so dropping it would reuse its position after a restart.
  assert.deepEqual(left, [{ keep: true }, { keep: false, newest: true }], 'only the event an archive still keeps, and the newest');
  db.close();
  await bus.close();
});

test('sqlite: a batch over 100 entries lands in log order, each with its queue and archive rows', async () => {
  const path = join(root, 'big-batch', 'bus.db');
  const bus = SqliteEventBus.open({ path, maxEntriesPerRequest: 300 });
  const seen: number[] = [];
  bus.registerHandler('odd', (event) => void seen.push((event as { detail: { i: number } }).detail.i));
  await bus.putRule({ Name: 'odd', EventPattern: '{"detail":{"odd":[true]}}' });
  await bus.putTargets({ Rule: 'odd', Targets: [{ Id: 'h', Arn: 'arn:reflow:handler:odd' }] });
  const busArn = (await bus.describeEventBus({})).Arn;
  await bus.createArchive({ ArchiveName: 'all', EventSourceArn: busArn });
  await bus.createArchive({ ArchiveName: 'odd', EventSourceArn: busArn, EventPattern: '{"detail":{"odd":[true]}}' });
  const entries = Array.from({ length: 250 }, (_, i) => ({ Source: 's', DetailType: 'd', Detail: JSON.stringify({ i, odd: i % 2 === 1 }) }));
  const result = await bus.putEvents({ Entries: entries });
  assert.equal(result.FailedEntryCount, 0);
  await bus.drain();
  assert.deepEqual(seen, entries.map((_, i) => i).filter((i) => i % 2 === 1), 'delivered once each, in log order');
  assert.equal((await bus.describeArchive({ ArchiveName: 'all' })).EventCount, 250);
  assert.equal((await bus.describeArchive({ ArchiveName: 'odd' })).EventCount, 125);
  await bus.close();
  const db = new Database(path, { readonly: true });
  const logged = (db.prepare('SELECT json FROM events ORDER BY seq').all() as Array<{ json: string }>).map((r) => JSON.parse(r.json));
  assert.deepEqual(logged.map((e) => e.detail.i), entries.map((_, i) => i));
  assert.deepEqual(logged.map((e) => e.id), result.Entries.map((e) => e.EventId), 'each log position holds the entry answered for it');
  const oddSeqs = db.prepare("SELECT a.seq AS seq FROM archive_events a JOIN archives r ON r.aid = a.aid WHERE r.name = 'odd' ORDER BY a.seq").all() as Array<{ seq: number }>;
  const oddLogged = db.prepare("SELECT seq FROM events WHERE json LIKE '%\"odd\":true%' ORDER BY seq").all() as Array<{ seq: number }>;
  assert.deepEqual(oddSeqs, oddLogged);
  db.close();
});

test('sqlite: archive counters come back exact after a crash that lost their in-memory part', async () => {
  const dir = join(root, 'counters');
  const bus = openAt(join(dir, 'bus.db'));
  const busArn = (await bus.describeEventBus({})).Arn;
  await bus.createArchive({ ArchiveName: 'all', EventSourceArn: busArn });
  await bus.putEvents({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{"a":1}' }] });
  await bus.close(); // stored counters: 1 event
  const live = openAt(join(dir, 'bus.db'));
  await live.putEvents({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{"a":2}' }, { Source: 's', DetailType: 'd', Detail: '{"a":3}' }] });
  const expected = await live.describeArchive({ ArchiveName: 'all' });
  assert.equal(expected.EventCount, 3);
  // A copy of the files taken now is what a SIGKILL would leave: the two new events committed, their counts not yet
  // written out (that happens about once a second).
  const crashed = join(root, 'counters-crashed');
  mkdirSync(crashed, { recursive: true });
  copyFileSync(join(dir, 'bus.db'), join(crashed, 'bus.db'));
  copyFileSync(join(dir, 'bus.db-wal'), join(crashed, 'bus.db-wal'));
  const stored = new Database(join(crashed, 'bus.db'), { readonly: true });
  assert.equal((stored.prepare("SELECT event_count AS n FROM archives WHERE name = 'all'").get() as { n: number }).n, 1, 'the copy predates the flush');
  stored.close();
  await live.close();
  const reopened = openAt(join(crashed, 'bus.db'));
  const after = await reopened.describeArchive({ ArchiveName: 'all' });
  assert.equal(after.EventCount, 3);
  assert.equal(after.SizeBytes, expected.SizeBytes);
  await reopened.close();
});

test('sqlite: an in-process target gets the parsed event once; a retry gets it afresh from the log', async () => {
  const bus = openAt(join(root, 'handoff', 'bus.db'));
  const seen: unknown[] = [];
  bus.registerHandler('mutating', (event) => {
    const e = event as { detail: { x: string } };
    seen.push(structuredClone(e.detail));
    e.detail.x = 'changed by the handler';
    if (seen.length === 1) throw new Error('first attempt fails');
  });
  await bus.putRule({ Name: 'r', EventPattern: '{"source":["s"]}' });
  await bus.putTargets({ Rule: 'r', Targets: [{ Id: 'h', Arn: 'arn:reflow:handler:mutating' }] });
  const busArn = (await bus.describeEventBus({})).Arn;
  const { ArchiveArn } = await bus.createArchive({ ArchiveName: 'a', EventSourceArn: busArn });
  await bus.putEvents({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{"x":"sent"}' }] });
  await bus.drain();
  assert.deepEqual(seen, [{ x: 'sent' }, { x: 'sent' }]);

  // A replayed event is handed over with the keys JSON.parse of its stored JSON would give, in that order.
  const keys: string[][] = [];
  bus.registerHandler('replayed', (event) => void keys.push(Object.keys(event as object)));
  await bus.putRule({ Name: 'replayed', EventPattern: '{"replay-name":[{"exists":true}]}' });
  await bus.putTargets({ Rule: 'replayed', Targets: [{ Id: 'h', Arn: 'arn:reflow:handler:replayed' }] });
  await bus.startReplay({ ReplayName: 'again', EventSourceArn: ArchiveArn, EventStartTime: new Date(0), EventEndTime: new Date(Date.now() + 60_000), Destination: { Arn: busArn, FilterArns: [(await bus.describeRule({ Name: 'replayed' })).Arn] } });
  while ((await bus.describeReplay({ ReplayName: 'again' })).State !== 'COMPLETED') await new Promise((r) => setTimeout(r, 5));
  await bus.drain();
  assert.deepEqual(keys, [['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'replay-name', 'resources', 'detail']]);
  await bus.close();
});

test('sqlite: one batch over two buses and several targets keeps log order and every queue row', async () => {
  const path = join(root, 'mixed-batch', 'bus.db');
  const bus = SqliteEventBus.open({ path, maxEntriesPerRequest: 50 });
  await bus.createEventBus({ Name: 'other' });
  const seen = new Map<string, number[]>();
  for (const name of ['a', 'b', 'c']) bus.registerHandler(name, (e) => void seen.set(name, [...(seen.get(name) ?? []), (e as { detail: { i: number } }).detail.i]));
  await bus.putRule({ Name: 'all', EventPattern: '{"source":["s"]}' });
  await bus.putTargets({ Rule: 'all', Targets: [{ Id: 'a', Arn: 'arn:reflow:handler:a' }, { Id: 'b', Arn: 'arn:reflow:handler:b' }] });
  await bus.putRule({ Name: 'all', EventBusName: 'other', EventPattern: '{"source":["s"]}' });
  await bus.putTargets({ Rule: 'all', EventBusName: 'other', Targets: [{ Id: 'c', Arn: 'arn:reflow:handler:c' }] });
  const entries = Array.from({ length: 40 }, (_, i) => ({ Source: 's', DetailType: 'd', Detail: JSON.stringify({ i }), ...(i % 3 === 0 ? { EventBusName: 'other' } : {}) }));
  assert.equal((await bus.putEvents({ Entries: entries })).FailedEntryCount, 0);
  await bus.drain();
  const onDefault = entries.map((_, i) => i).filter((i) => i % 3 !== 0);
  assert.deepEqual(seen.get('a'), onDefault);
  assert.deepEqual(seen.get('b'), onDefault);
  assert.deepEqual(seen.get('c'), entries.map((_, i) => i).filter((i) => i % 3 === 0));
  await bus.close();
  const db = new Database(path, { readonly: true });
  const logged = db.prepare('SELECT bus, json FROM events ORDER BY seq').all() as Array<{ bus: string; json: string }>;
  assert.deepEqual(logged.map((r) => [r.bus, JSON.parse(r.json).detail.i]), entries.map((e, i) => [e.EventBusName ?? 'default', i]));
  db.close();
});
