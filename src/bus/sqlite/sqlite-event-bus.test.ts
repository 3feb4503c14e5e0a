import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  await bus.putEvents({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{"keep":true}' }, { Source: 's', DetailType: 'd', Detail: '{"keep":false}' }] });
  bus.purge(Date.now() + 12 * 3_600_000);
  assert.equal((await bus.describeArchive({ ArchiveName: 'short' })).EventCount, 2, 'not expired after half a day');
  bus.purge(Date.now() + 2 * 86_400_000);
  const short = await bus.describeArchive({ ArchiveName: 'short' });
  assert.equal(short.EventCount, 0);
  assert.equal(short.SizeBytes, 0);
  assert.equal((await bus.describeArchive({ ArchiveName: 'forever' })).EventCount, 1);
  const db = new Database(path, { readonly: true });
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n, 1, 'only the event an archive still keeps');
  db.close();
  await bus.close();
});
