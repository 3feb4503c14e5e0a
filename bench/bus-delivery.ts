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
import { BACKSTOP_AUTOCHECKPOINT_PAGES, WalCheckpointer } from '../src/bus/sqlite/checkpointer.js';
import type { PutEventsRequestEntry } from '../src/events/envelope.js';
import { alternate, describeSpread, fmt, percentile, spread, writeResult } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PUT_EVENTS = Number(process.env.BENCH_PUT_EVENTS ?? 100_000);
const REPLAY_EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 100_000);
const LATENCY_RATE = 5_000;
// Long enough to include the writer's backstop checkpoints (one every ~4 s at this rate, see checkpointer.ts).
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);

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

/**
 * A raw connection set up as the bus sets up its own (WAL, synchronous=NORMAL, the same checkpoint arrangement: a
 * checkpointer thread and the writer's backstop), so the peer pays exactly what the bus pays below its own code.
 */
function openRaw(path: string): { db: Database.Database; close: () => Promise<void> } {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(DDL);
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
  const checkpointer = WalCheckpointer.start(path, { synchronous: 'NORMAL' });
  return {
    db,
    close: async () => {
      await checkpointer.close();
      db.close();
    },
  };
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

type RawRow = { json: string; queued: boolean; size: number };

/** The rows ours writes for `entries` (event + archive entry, + a queue row for 10 %), JSON prepared in advance. */
function rawRows(entries: PutEventsRequestEntry[]): RawRow[] {
  return entries.map((e, i) => ({
    json: `{"version":"0","id":"${randomUUID()}","detail-type":${JSON.stringify(e.DetailType)},"source":${JSON.stringify(e.Source)},"account":"000000000000","time":"2026-11-25T12:00:00Z","region":"us-east-1","resources":${JSON.stringify(e.Resources)},"detail":${e.Detail}}`,
    queued: i % 10 === 0,
    size: e.Detail!.length + e.Source!.length + e.DetailType!.length,
  }));
}

/**
 * The limit: raw better-sqlite3 writing the same rows into the same schema, one transaction per batch, with the
 * archive counters written once a second as ours writes them. `multiRow`: one INSERT per table per batch, the
 * technique ours uses; otherwise one INSERT per row (the plain form of the peer the issue names).
 */
async function rawPut(rows: RawRow[], batch: number, multiRow: boolean): Promise<number> {
  const dir = tempDir();
  const { db, close } = openRaw(join(dir, 'bus.db'));
  db.prepare("INSERT INTO archives (name, bus, retention_days, state, created_ms) VALUES ('all', 'default', 0, 'ENABLED', 0)").run();
  const insertEvent = db.prepare('INSERT INTO events (bus, ingest_ms, size, replay, json) VALUES (?, ?, ?, NULL, ?)');
  const insertArchived = db.prepare('INSERT INTO archive_events (aid, seq) VALUES (1, ?)');
  const insertPending = db.prepare('INSERT INTO pending (tid, seq) VALUES (1, ?)');
  const statements = new Map<string, Database.Statement>();
  const many = (sql: string, tuple: string, n: number) => {
    let stmt = statements.get(`${sql}${n}`);
    if (!stmt) statements.set(`${sql}${n}`, (stmt = db.prepare(sql + new Array(n).fill(tuple).join(','))));
    return stmt;
  };
  const count = db.prepare('UPDATE archives SET event_count = event_count + ?, size_bytes = size_bytes + ?, counted_seq = ? WHERE aid = 1');
  let uncounted = 0;
  let uncountedBytes = 0;
  let lastSeq = 0;
  let countedAt = performance.now();
  const tx = db.transaction((slice: RawRow[]) => {
    const now = Date.now();
    if (multiRow) {
      // As ours: values every row shares (bus, time, replay; the archive's and the target's id) bound once, by name.
      const params: unknown[] = [];
      for (const row of slice) params.push(row.size, row.json);
      const shared = { bus: 'default', ms: now, replay: null };
      lastSeq = Number(many('INSERT INTO events (bus, ingest_ms, size, replay, json) VALUES ', '(@bus,@ms,?,@replay,?)', slice.length).run(params, shared).lastInsertRowid);
      const first = lastSeq - slice.length + 1;
      const archived: number[] = [];
      const queued: number[] = [];
      slice.forEach((row, i) => {
        archived.push(first + i);
        if (row.queued) queued.push(first + i);
      });
      many('INSERT INTO archive_events (aid, seq) VALUES ', '(@key,?)', slice.length).run(archived, { key: 1 });
      if (queued.length) many('INSERT INTO pending (tid, seq) VALUES ', '(@key,?)', queued.length).run(queued, { key: 1 });
    } else {
      for (const row of slice) {
        lastSeq = Number(insertEvent.run('default', now, row.size, row.json).lastInsertRowid);
        insertArchived.run(lastSeq);
        if (row.queued) insertPending.run(lastSeq);
      }
    }
    for (const row of slice) uncountedBytes += row.size;
    uncounted += slice.length;
  });
  const started = performance.now();
  for (let i = 0; i < rows.length; i += batch) {
    tx(rows.slice(i, i + batch));
    if (performance.now() - countedAt >= 1_000) {
      count.run(uncounted, uncountedBytes, lastSeq);
      uncounted = uncountedBytes = 0;
      countedAt = performance.now();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await close();
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

/** The limit: commit the same rows to the same schema, then hand the event over on the next turn of the event loop. */
async function rawLatency(): Promise<number[]> {
  const dir = tempDir();
  const { db, close } = openRaw(join(dir, 'bus.db'));
  db.prepare("INSERT INTO archives (name, bus, retention_days, state, created_ms) VALUES ('all', 'default', 0, 'ENABLED', 0)").run();
  const insert = db.prepare('INSERT INTO events (bus, ingest_ms, size, replay, json) VALUES (?, ?, ?, NULL, ?)');
  const archive = db.prepare('INSERT INTO archive_events (aid, seq) VALUES (1, ?)');
  const queue = db.prepare('INSERT INTO pending (tid, seq) VALUES (1, ?)');
  const commit = db.transaction((json: string) => {
    const seq = insert.run('default', Date.now(), json.length, json).lastInsertRowid;
    archive.run(seq);
    queue.run(seq);
  });
  const latencies: number[] = [];
  await steady(LATENCY_RATE, LATENCY_SECONDS, async (k) => {
    const sent = performance.now();
    commit(`{"k":"${k}","payload":"${'x'.repeat(300)}"}`);
    setImmediate(() => latencies.push(performance.now() - sent));
  });
  await new Promise((r) => setTimeout(r, 50));
  await close();
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
  const rows = rawRows(entries);
  const put: Record<string, unknown> = {};
  for (const batch of [10, 100]) {
    const ours: number[] = [];
    const rowAtATime: number[] = [];
    const multiRow: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ours.push(await oursPut(entries, batch));
      rowAtATime.push(await rawPut(rows, batch, false));
      multiRow.push(await rawPut(rows, batch, true));
    }
    const o = spread(ours);
    const peer = spread(rowAtATime);
    const strongest = spread(multiRow);
    put[`batch${batch}`] = {
      ours: o,
      peer,
      ratio: o.median / peer.median,
      peerMultiRow: strongest,
      ratioToMultiRow: o.median / strongest.median,
      met: o.median / peer.median >= 0.5 && o.median >= 100_000,
    };
    console.log(
      `PutEvents batch ${batch}: ours ${describeSpread(o, 'events/s')} | raw SQLite, row at a time ${describeSpread(peer, 'rows/s')} (ratio ${fmt((o.median / peer.median) * 100, 1)} %)` +
        ` | raw SQLite, multi-row ${describeSpread(strongest, 'rows/s')} (ratio ${fmt((o.median / strongest.median) * 100, 1)} %)`,
    );
  }
  writeResult('bus-put-events', {
    events: PUT_EVENTS,
    rounds: ROUNDS,
    setup: '50 rules of mixed operators (one with an in-process target, 10 % of events), one archive of every event',
    baseline:
      'raw better-sqlite3 writing the same rows (event, archive entry, queue row; archive counters once a second) into the same schema, ' +
      'same pragmas and checkpoint arrangement, one transaction per batch, JSON prepared in advance; `peer` inserts a row at a time, ' +
      '`peerMultiRow` one INSERT per table per batch (as ours does). Rounds alternate ours, peer, peerMultiRow.',
    targets: { ratio: 0.5, eventsPerSecond: 100_000, ratioIsTo: 'peer' },
    ...put,
  });

  const latency: Record<string, unknown> = {};
  const quantiles = { p50: 50, p99: 99, 'p99.9': 99.9, max: 100 } as const;
  const figures = [oursLatency, rawLatency].map(() => Object.fromEntries(Object.keys(quantiles).map((q) => [q, [] as number[]])));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, measure] of [oursLatency, rawLatency].entries()) {
      const sorted = (await measure()).sort((a, b) => a - b);
      for (const [q, p] of Object.entries(quantiles)) figures[i]![q]!.push(percentile(sorted, p));
    }
  }
  const summary = (i: number) => Object.fromEntries(Object.keys(quantiles).map((q) => [q, spread(figures[i]![q]!)]));
  latency.ours = summary(0);
  latency.peer = summary(1);
  const line = (i: number) =>
    `p50 ${describeSpread(spread(figures[i]!.p50!), 'ms', 3)}, p99 ${describeSpread(spread(figures[i]!.p99!), 'ms', 3)}, p99.9 median ${fmt(spread(figures[i]!['p99.9']!).median, 2)} ms, max median ${fmt(spread(figures[i]!.max!).median, 1)} ms`;
  console.log(`Event-to-target latency at ${fmt(LATENCY_RATE)} events/s for ${LATENCY_SECONDS} s: ours ${line(0)} | raw commit + hand-off ${line(1)}`);
  writeResult('bus-latency', {
    rate: LATENCY_RATE,
    seconds: LATENCY_SECONDS,
    setup: 'one PutEvents per event (one entry), one rule, an in-process target, an archive of every event',
    baseline: 'raw better-sqlite3 commit of the same rows (event, archive entry, queue row), same pragmas and checkpoint arrangement, then setImmediate hand-off',
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
    rounds: ROUNDS,
    setup: `an archive of ${fmt(REPLAY_EVENTS)} PutEvents entries (batches of 100); one rule on replay-name with an in-process target; ours is timed from StartReplay until every replayed event was delivered`,
    baseline: 'raw better-sqlite3: read the archive in batches of 500 and copy each event into the log with a queue row, one transaction per batch (no delivery)',
    ...replay,
    ratio,
  });
}
