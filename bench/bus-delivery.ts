/**
 * Durable PutEvents, event-to-target latency and replay, each against its physical limit measured in the same run:
 * raw better-sqlite3 writing the same rows into the same schema with the same pragmas, one transaction per batch.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SqliteEventBus } from '../src/bus/sqlite/index.js';
import { DDL } from '../src/bus/sqlite/schema.js';
import type { PutEventsRequestEntry } from '../src/events/envelope.js';
import { alternate, describeSpread, fmt, percentile, spread, writeResult } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PUT_EVENTS = Number(process.env.BENCH_PUT_EVENTS ?? 100_000);
const REPLAY_EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 100_000);
const LATENCY_RATE = 5_000;
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 3);

const SOURCES = ['app.orders', 'app.payments', 'app.inventory', 'app.shipping', 'sensor.vehicle'];

/** Realistic entries: ~400-byte details with nested objects and arrays. */
function makeEntries(count: number): PutEventsRequestEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    Source: SOURCES[i % SOURCES.length]!,
    DetailType: i % 10 === 0 ? 'Order Placed' : 'Status Changed',
    Detail: JSON.stringify({
      orderId: `o-${i}`,
      customer: { id: `c-${i % 977}`, tier: i % 3 === 0 ? 'gold' : 'standard', region: 'eu-central-1' },
      total: (i % 5000) / 10,
      currency: 'EUR',
      items: [
        { sku: `sku-${i % 311}`, qty: 1 + (i % 4), price: 12.5 },
        { sku: `sku-${(i * 7) % 311}`, qty: 1, price: 3.99 },
      ],
      tags: ['web', i % 2 ? 'mobile' : 'desktop'],
      placedAt: '2026-11-25T12:00:00Z',
    }),
    Resources: [`arn:aws:shop:eu-central-1:000000000000:order/o-${i}`],
  }));
}

/** 50 rules of mixed operators; one (10 % of events) has an in-process target, as a pipeline stage would. */
async function setUpRules(bus: SqliteEventBus): Promise<void> {
  bus.registerHandler('sink', () => undefined);
  for (let r = 0; r < 49; r++) {
    const pattern =
      r % 3 === 0
        ? { source: [`other.${r}`] }
        : r % 3 === 1
          ? { source: [{ prefix: `ext.${r}` }], detail: { total: [{ numeric: ['>', 100] }] } }
          : { 'detail-type': [`Type ${r}`], detail: { customer: { tier: ['platinum'] } } };
    await bus.putRule({ Name: `rule-${r}`, EventPattern: JSON.stringify(pattern) });
  }
  await bus.putRule({ Name: 'orders', EventPattern: JSON.stringify({ 'detail-type': ['Order Placed'] }) });
  await bus.putTargets({ Rule: 'orders', Targets: [{ Id: 'sink', Arn: 'arn:reflow:handler:sink' }] });
  await bus.createArchive({ ArchiveName: 'all', EventSourceArn: (await bus.describeEventBus({})).Arn });
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'reflow-bench-'));
}

// ------------------------------------------------------------------ PutEvents

async function oursPut(entries: PutEventsRequestEntry[], batch: number): Promise<number> {
  const dir = tempDir();
  const bus = SqliteEventBus.open({ path: join(dir, 'bus.db'), maxEntriesPerRequest: batch });
  try {
    await setUpRules(bus);
    const started = performance.now();
    for (let i = 0; i < entries.length; i += batch) {
      const result = await bus.putEvents({ Entries: entries.slice(i, i + batch) });
      if (result.FailedEntryCount) throw new Error(`bench put failed: ${JSON.stringify(result.Entries.find((e) => e.ErrorCode))}`);
    }
    const seconds = (performance.now() - started) / 1000;
    await bus.drain(120_000);
    return entries.length / seconds;
  } finally {
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same rows ours writes (event + archive entry, + a queue row for 10 %), JSON prepared in advance. */
function rawPut(entries: PutEventsRequestEntry[], batch: number): number {
  const dir = tempDir();
  const db = new Database(join(dir, 'bus.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(DDL);
  const rows = entries.map((e, i) => ({
    json: `{"version":"0","id":"${randomUUID()}","detail-type":${JSON.stringify(e.DetailType)},"source":${JSON.stringify(e.Source)},"account":"000000000000","time":"2026-11-25T12:00:00Z","region":"us-east-1","resources":${JSON.stringify(e.Resources)},"detail":${e.Detail}}`,
    queued: i % 10 === 0,
    size: e.Detail!.length + e.Source!.length + e.DetailType!.length,
  }));
  const insertEvent = db.prepare('INSERT INTO events (bus, ingest_ms, size, replay, json) VALUES (?, ?, ?, NULL, ?)');
  const insertArchived = db.prepare('INSERT INTO archive_events (aid, seq) VALUES (1, ?)');
  const insertPending = db.prepare('INSERT INTO pending (tid, seq) VALUES (1, ?)');
  const count = db.prepare('UPDATE archives SET event_count = event_count + ?, size_bytes = size_bytes + ? WHERE aid = 1');
  const tx = db.transaction((slice: typeof rows) => {
    const now = Date.now();
    let bytes = 0;
    for (const row of slice) {
      const seq = insertEvent.run('default', now, row.size, row.json).lastInsertRowid;
      insertArchived.run(seq);
      if (row.queued) insertPending.run(seq);
      bytes += row.size;
    }
    count.run(slice.length, bytes);
  });
  const started = performance.now();
  for (let i = 0; i < rows.length; i += batch) tx(rows.slice(i, i + batch));
  const seconds = (performance.now() - started) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return rows.length / seconds;
}

// ------------------------------------------------------------------ latency

async function oursLatency(): Promise<number[]> {
  const dir = tempDir();
  const bus = SqliteEventBus.open({ path: join(dir, 'bus.db') });
  const latencies: number[] = [];
  const sentAt = new Map<string, number>();
  bus.registerHandler('timed', (payload) => {
    const id = (payload as { detail: { k: string } }).detail.k;
    latencies.push(performance.now() - sentAt.get(id)!);
  });
  await bus.putRule({ Name: 'timed', EventPattern: JSON.stringify({ source: ['bench.latency'] }) });
  await bus.putTargets({ Rule: 'timed', Targets: [{ Id: 't', Arn: 'arn:reflow:handler:timed' }] });
  await bus.createArchive({ ArchiveName: 'all', EventSourceArn: (await bus.describeEventBus({})).Arn });
  await steady(LATENCY_RATE, LATENCY_SECONDS, async (k) => {
    sentAt.set(k, performance.now());
    await bus.putEvents({ Entries: [{ Source: 'bench.latency', DetailType: 'tick', Detail: `{"k":"${k}","payload":"${'x'.repeat(300)}"}` }] });
  });
  await bus.drain(60_000);
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
  return latencies;
}

/** The limit: commit the row to the same schema, then hand it over on the next turn of the event loop. */
async function rawLatency(): Promise<number[]> {
  const dir = tempDir();
  const db = new Database(join(dir, 'bus.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(DDL);
  const insert = db.prepare('INSERT INTO events (bus, ingest_ms, size, replay, json) VALUES (?, ?, ?, NULL, ?)');
  const latencies: number[] = [];
  await steady(LATENCY_RATE, LATENCY_SECONDS, async (k) => {
    const sent = performance.now();
    const json = `{"k":"${k}","payload":"${'x'.repeat(300)}"}`;
    insert.run('default', Date.now(), json.length, json);
    setImmediate(() => latencies.push(performance.now() - sent));
  });
  await new Promise((r) => setTimeout(r, 50));
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return latencies;
}

/** Sends at a steady rate: every millisecond, whatever the schedule says is due, one event per call. */
async function steady(rate: number, seconds: number, send: (key: string) => Promise<void>): Promise<void> {
  const total = rate * seconds;
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    while (sent < due) await send(String(sent++));
    await new Promise((r) => setTimeout(r, 1));
  }
}

// ------------------------------------------------------------------ replay

async function replayBench(): Promise<{ ours: ReturnType<typeof spread>; peer: ReturnType<typeof spread> }> {
  const dir = tempDir();
  const path = join(dir, 'bus.db');
  const bus = SqliteEventBus.open({ path, maxEntriesPerRequest: 100 });
  let delivered = 0;
  bus.registerHandler('replayed', () => void delivered++);
  const busArn = (await bus.describeEventBus({})).Arn;
  const { ArchiveArn } = await bus.createArchive({ ArchiveName: 'all', EventSourceArn: busArn });
  const entries = makeEntries(REPLAY_EVENTS);
  for (let i = 0; i < entries.length; i += 100) await bus.putEvents({ Entries: entries.slice(i, i + 100) });
  await bus.putRule({ Name: 'replayed', EventPattern: JSON.stringify({ 'replay-name': [{ exists: true }] }) });
  await bus.putTargets({ Rule: 'replayed', Targets: [{ Id: 't', Arn: 'arn:reflow:handler:replayed' }] });

  let round = 0;
  const ours = async () => {
    delivered = 0;
    const name = `bench-${round++}`;
    const started = performance.now();
    await bus.startReplay({ ReplayName: name, EventSourceArn: ArchiveArn, EventStartTime: new Date(0), EventEndTime: new Date(Date.now() + 3_600_000), Destination: { Arn: busArn } });
    for (;;) {
      const state = (await bus.describeReplay({ ReplayName: name })).State;
      if (state === 'COMPLETED') break;
      if (state === 'FAILED') throw new Error('replay failed');
      await new Promise((r) => setTimeout(r, 2));
    }
    await bus.drain(300_000);
    const seconds = (performance.now() - started) / 1000;
    if (delivered !== REPLAY_EVENTS) throw new Error(`replay delivered ${delivered} of ${REPLAY_EVENTS}`);
    return REPLAY_EVENTS / seconds;
  };
  // The limit: read the archive in the same batches and copy each event into the log with a queue row.
  const peer = () => {
    const db = new Database(path);
    db.pragma('synchronous = NORMAL');
    const read = db.prepare(
      'SELECT e.seq AS seq, e.json AS json FROM archive_events a JOIN events e ON e.seq = a.seq WHERE a.aid = 1 AND a.seq > ? AND e.replay IS NULL ORDER BY a.seq LIMIT 500',
    );
    const insert = db.prepare("INSERT INTO events (bus, ingest_ms, size, replay, json) VALUES ('default', ?, 0, 'raw', ?)");
    const queue = db.prepare('INSERT INTO pending (tid, seq) VALUES (999999, ?)');
    const copy = db.transaction((rows: Array<{ seq: number; json: string }>) => {
      for (const row of rows) queue.run(insert.run(Date.now(), row.json.slice(0, -1) + ',"replay-name":"raw"}').lastInsertRowid);
    });
    const started = performance.now();
    let cursor = 0;
    let copied = 0;
    for (;;) {
      const rows = read.all(cursor) as Array<{ seq: number; json: string }>;
      if (rows.length === 0) break;
      copy(rows);
      copied += rows.length;
      cursor = rows[rows.length - 1]!.seq;
    }
    const seconds = (performance.now() - started) / 1000;
    db.prepare("DELETE FROM events WHERE replay = 'raw'").run();
    db.prepare('DELETE FROM pending WHERE tid = 999999').run();
    db.close();
    return copied / seconds;
  };
  try {
    return await alternate(ROUNDS, ours, peer);
  } finally {
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runBusBench(): Promise<void> {
  const entries = makeEntries(PUT_EVENTS);
  const put: Record<string, unknown> = {};
  for (const batch of [10, 100]) {
    const result = await alternate(ROUNDS, () => oursPut(entries, batch), () => rawPut(entries, batch));
    const ratio = result.ours.median / result.peer.median;
    put[`batch${batch}`] = { ...result, ratio };
    console.log(
      `PutEvents batch ${batch}: ours ${describeSpread(result.ours, 'events/s')} | raw SQLite ${describeSpread(result.peer, 'rows/s')} | ratio ${fmt(ratio * 100, 1)} %`,
    );
  }
  writeResult('bus-put-events', {
    events: PUT_EVENTS,
    setup: '50 rules of mixed operators (one with an in-process target, 10 % of events), one archive of every event',
    baseline: 'raw better-sqlite3 inserts of the same rows (event, archive entry, queue row) into the same schema, same pragmas, one transaction per batch',
    targets: { ratio: 0.5, eventsPerSecond: 100_000 },
    ...put,
  });

  const latency: Record<string, unknown> = {};
  const p50s: number[][] = [[], []];
  const p99s: number[][] = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, measure] of [oursLatency, rawLatency].entries()) {
      const sorted = (await measure()).sort((a, b) => a - b);
      p50s[i]!.push(percentile(sorted, 50));
      p99s[i]!.push(percentile(sorted, 99));
    }
  }
  latency.ours = { p50: spread(p50s[0]!), p99: spread(p99s[0]!) };
  latency.peer = { p50: spread(p50s[1]!), p99: spread(p99s[1]!) };
  console.log(
    `Event-to-target latency at ${fmt(LATENCY_RATE)} events/s: ours p50 ${describeSpread(spread(p50s[0]!), 'ms', 3)}, p99 ${describeSpread(spread(p99s[0]!), 'ms', 3)} | ` +
      `raw insert + hand-off p50 ${describeSpread(spread(p50s[1]!), 'ms', 3)}, p99 ${describeSpread(spread(p99s[1]!), 'ms', 3)}`,
  );
  writeResult('bus-latency', {
    rate: LATENCY_RATE,
    seconds: LATENCY_SECONDS,
    setup: 'one PutEvents per event (one entry), one rule, an in-process target, an archive of every event',
    baseline: 'raw better-sqlite3 insert of the event row, then setImmediate hand-off',
    targets: { p99Ms: 5 },
    ...latency,
  });

  const replay = await replayBench();
  const ratio = replay.ours.median / replay.peer.median;
  console.log(
    `Replay of ${fmt(REPLAY_EVENTS)} archived events (delivered to a target): ours ${describeSpread(replay.ours, 'events/s')} | raw copy ${describeSpread(replay.peer, 'events/s')} | ratio ${fmt(ratio * 100, 1)} %`,
  );
  writeResult('bus-replay', {
    events: REPLAY_EVENTS,
    baseline: 'raw better-sqlite3: read the archive in batches of 500 and copy each event into the log with a queue row, one transaction per batch (no delivery)',
    ...replay,
    ratio,
  });
}
