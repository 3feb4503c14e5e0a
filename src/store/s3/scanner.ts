/**
 * The change scanner: finds changes the adapter did not emit an event for (made behind Reflow's back by another
 * client of the S3 service, or made through the adapter by a process that crashed before its event reached the
 * bus) and emits each exactly once.
 *
 * How: it lists every version and delete marker of each bucket (ListObjectVersions, page by page) and compares
 * them, one key range per page, with a small SQLite state file of the versions it knows (bucket, key, version).
 * A listed version it does not know gets `Object Created` (a delete marker `Object Deleted` / `Delete Marker
 * Created`); a known version no longer listed gets `Object Deleted` / `Permanently Deleted`. A scan costs the
 * listing plus one indexed range read per page; only what is new is put on the bus.
 *
 * Exactly once: an event is put first (with the change's deterministic EventId, see identity.ts) and recorded in
 * the state after the bus accepted it. A crash between the two puts the same EventId again on the next scan, which
 * the bus appends once. Events the adapter emits itself are recorded too (in process), so the scanner does not
 * put them again; an adapter in another process that does not share this state file relies on the bus's EventId
 * memory instead (the SQLite bus keeps ids a day), so scan at least that often.
 *
 * Races: the listing is not a snapshot. A version recorded after the scan began and missing from the listing is
 * left for the next scan instead of being taken for deleted; one deleted meanwhile stays recorded as deleted
 * (a tombstone) so a stale page cannot announce it again.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ListBucketsCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReflowError } from '../../errors.js';
import type { ObjectEventReason } from '../events.js';
import { eventIdFor, isNullVersionKey, sequencer, versionKey, type Change, type ChangeKind } from './identity.js';
import type { EventRelay } from './relay.js';
import { isNotFound, mapError, versionsOf } from './wire.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- One row per version or delete marker the scanner knows. state 1: present (its event is on the bus);
-- state 2: deleted (its Permanently Deleted event is on the bus; kept until a scan no longer lists it).
-- TEXT compares as UTF-8 bytes, S3's key order, so a page of the listing is one range of this key.
CREATE TABLE IF NOT EXISTS seen (
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  vkey TEXT NOT NULL,
  marker INTEGER NOT NULL,
  state INTEGER NOT NULL,
  changed_ms INTEGER NOT NULL,
  PRIMARY KEY (bucket, key, vkey)
) WITHOUT ROWID;
`;

const PRESENT = 1;
const DELETED = 2;
const PAGE = 1000;

interface SeenRow {
  key: string;
  vkey: string;
  marker: number;
  state: number;
  changed_ms: number;
}

export interface S3ChangeScannerOptions {
  client: S3Client;
  relay: EventRelay;
  statePath: string;
  /** 0: only scanNow(). */
  intervalMs: number;
  bucketPrefix: string;
  /** Remote bucket names to scan (default every remote bucket under the prefix). */
  buckets?: string[] | undefined;
  storeId: string;
  account: string;
  onError: (err: unknown) => void;
}

export interface ScanReport {
  /** Remote buckets scanned. */
  buckets: number;
  /** Versions and delete markers listed. */
  listed: number;
  created: number;
  markers: number;
  purged: number;
  startedAt: Date;
  finishedAt: Date;
}

export class S3ChangeScanner {
  private readonly db: Database.Database;
  private readonly stmt: {
    range: Database.Statement<[string, string, string]>;
    rangeToEnd: Database.Statement<[string, string]>;
    upsert: Database.Statement<[string, string, string, number, number, number]>;
    remove: Database.Statement<[string, string, string]>;
    buckets: Database.Statement<[]>;
  };
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The last scan's report and error, for status pages. */
  lastReport: ScanReport | undefined;
  lastError: unknown;

  constructor(private readonly o: S3ChangeScannerOptions) {
    if (o.statePath !== ':memory:') mkdirSync(dirname(o.statePath), { recursive: true });
    this.db = new Database(o.statePath);
    this.db.pragma('journal_mode = WAL');
    // A lost last transaction only means one batch is put again (same EventIds, dropped by the bus).
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    const stored = (this.db.prepare('SELECT value FROM meta WHERE key = ?').get('store_id') as { value: string } | undefined)?.value;
    if (stored === undefined) this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('store_id', o.storeId);
    else if (stored !== o.storeId) {
      this.db.close();
      throw new ReflowError('InvalidConfiguration', `The scan state ${o.statePath} belongs to store '${stored}', not '${o.storeId}'.`, { field: 'scan.statePath' });
    }
    this.stmt = {
      range: this.db.prepare('SELECT key, vkey, marker, state, changed_ms FROM seen WHERE bucket = ? AND key > ? AND key <= ? ORDER BY key'),
      rangeToEnd: this.db.prepare('SELECT key, vkey, marker, state, changed_ms FROM seen WHERE bucket = ? AND key > ? ORDER BY key'),
      upsert: this.db.prepare(
        'INSERT INTO seen (bucket, key, vkey, marker, state, changed_ms) VALUES (?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT (bucket, key, vkey) DO UPDATE SET state = excluded.state, changed_ms = excluded.changed_ms WHERE seen.state <> excluded.state',
      ),
      remove: this.db.prepare('DELETE FROM seen WHERE bucket = ? AND key = ? AND vkey = ?'),
      buckets: this.db.prepare('SELECT DISTINCT bucket FROM seen'),
    };
  }

  /** Starts periodic scans (no-op when the interval is 0). */
  start(): void {
    if (this.o.intervalMs <= 0 || this.closed || this.timer) return;
    const tick = () => {
      this.timer = setTimeout(() => {
        this.scanNow()
          .catch((err: unknown) => this.o.onError(err))
          .finally(() => {
            if (!this.closed) tick();
          });
      }, this.o.intervalMs);
      this.timer.unref();
    };
    tick();
  }

  /** Scans every bucket once, after any scan already running; resolves with what it found. */
  scanNow(): Promise<ScanReport> {
    if (this.closed) return Promise.reject(new ReflowError('InternalError', 'The scanner is closed.'));
    const run = this.chain.then(() => this.scan());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Records changes whose events are on the bus (the adapter's own, and the scanner's). */
  record(changes: Change[]): void {
    if (this.closed || changes.length === 0) return;
    const now = Date.now();
    this.db.transaction(() => {
      for (const c of changes) {
        this.stmt.upsert.run(c.remoteBucket, c.record.key, c.vkey, c.kind === 'marker' ? 1 : 0, c.kind === 'purged' ? DELETED : PRESENT, now);
      }
    })();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.chain.catch(() => undefined);
    this.db.close();
  }

  // ------------------------------------------------------------------------------------------------ scanning

  private async scan(): Promise<ScanReport> {
    const startedAt = new Date();
    const report: ScanReport = { buckets: 0, listed: 0, created: 0, markers: 0, purged: 0, startedAt, finishedAt: startedAt };
    try {
      for (const bucket of await this.bucketsToScan()) {
        if (this.closed) break;
        await this.scanBucket(bucket, startedAt.getTime(), report);
        report.buckets++;
      }
      report.finishedAt = new Date();
      this.lastReport = report;
      this.lastError = undefined;
      return report;
    } catch (err) {
      this.lastError = err;
      throw err instanceof ReflowError ? err : mapError(err, {});
    }
  }

  /** Configured buckets, or every remote bucket under the prefix; plus buckets known from earlier scans (maybe gone). */
  private async bucketsToScan(): Promise<string[]> {
    const names = new Set<string>();
    if (this.o.buckets) for (const b of this.o.buckets) names.add(b);
    else {
      const out = await this.o.client.send(new ListBucketsCommand({}));
      for (const b of out.Buckets ?? []) if (b.Name?.startsWith(this.o.bucketPrefix)) names.add(b.Name);
    }
    for (const row of this.stmt.buckets.all() as Array<{ bucket: string }>) {
      if (!this.o.buckets || this.o.buckets.includes(row.bucket)) names.add(row.bucket);
    }
    return [...names].sort();
  }

  private async scanBucket(bucket: string, scanStart: number, report: ScanReport): Promise<void> {
    let lower = ''; // keys are never empty: '' is below them all
    let carry: Listed[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (let first = true; ; first = false) {
      let out: Parameters<typeof versionsOf>[0] & { NextKeyMarker?: string; NextVersionIdMarker?: string };
      try {
        out = await this.o.client.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: PAGE, ...(keyMarker !== undefined ? { KeyMarker: keyMarker, VersionIdMarker: versionIdMarker } : {}) }));
      } catch (err) {
        // A bucket deleted since the last scan lists as empty: what it held is gone.
        if (!(first && isNotFound(err))) throw mapError(err, { notFound: 'NoSuchBucket' });
        out = {};
      }
      const page = versionsOf(out);
      report.listed += page.length;
      const entries = carry.concat(page);
      if (out.IsTruncated && out.NextKeyMarker) {
        // The last key may continue on the next page: compare it then.
        const lastKey = entries.at(-1)!.key;
        const complete = entries.filter((e) => e.key !== lastKey);
        carry = entries.filter((e) => e.key === lastKey);
        if (complete.length) {
          const upper = complete.at(-1)!.key;
          await this.compare(bucket, complete, lower, upper, scanStart, report);
          lower = upper;
        }
        keyMarker = out.NextKeyMarker;
        versionIdMarker = out.NextVersionIdMarker;
        continue;
      }
      await this.compare(bucket, entries, lower, undefined, scanStart, report);
      return;
    }
  }

  /** Compares the listed entries of keys in (lower, upper] with the state, and emits what differs. */
  private async compare(bucket: string, entries: Listed[], lower: string, upper: string | undefined, scanStart: number, report: ScanReport): Promise<void> {
    const rows = (upper === undefined ? this.stmt.rangeToEnd.all(bucket, lower) : this.stmt.range.all(bucket, lower, upper)) as SeenRow[];
    const listedByKey = groupBy(entries, (e) => e.key);
    const rowsByKey = groupBy(rows, (r) => r.key);
    const changes: Change[] = [];
    const drops: SeenRow[] = [];
    for (const key of new Set([...listedByKey.keys(), ...rowsByKey.keys()])) {
      const listed = listedByKey.get(key) ?? [];
      const known = new Map((rowsByKey.get(key) ?? []).map((r) => [r.vkey, r]));
      const listedKeys = new Set<string>();
      // Newest first in the listing; the oldest gets the smallest tiebreak so sequencers grow with time.
      listed.forEach((e, i) => {
        const vkey = versionKey(e.versionId, e.lastModified, e.etag);
        listedKeys.add(vkey);
        if (known.has(vkey)) return;
        changes.push(this.change(e.deleteMarker ? 'marker' : 'created', bucket, key, e.versionId, vkey, e, listed.length - i));
      });
      const listsNull = listed.some((e) => e.versionId === 'null');
      for (const row of known.values()) {
        if (listedKeys.has(row.vkey) || row.changed_ms >= scanStart) continue;
        // Gone: a tombstone is cleaned up; an overwritten null version is no deletion (S3 emits only the new
        // version's event); anything else was deleted for good.
        if (row.state === DELETED || (isNullVersionKey(row.vkey) && listsNull)) drops.push(row);
        else changes.push(this.change('purged', bucket, key, isNullVersionKey(row.vkey) ? 'null' : row.vkey, row.vkey, undefined, 0));
      }
    }
    if (changes.length) {
      const failed = await this.o.relay.put(changes, false);
      const failedIds = new Set(failed.map((c) => c.id));
      const accepted = changes.filter((c) => !failedIds.has(c.id));
      this.record(accepted);
      for (const c of accepted) {
        if (c.kind === 'created') report.created++;
        else if (c.kind === 'marker') report.markers++;
        else report.purged++;
      }
      // The scanner has seen the version itself: a deleted version's row can go at once.
      this.db.transaction(() => {
        for (const c of accepted) if (c.kind === 'purged') this.stmt.remove.run(bucket, c.record.key, c.vkey);
      })();
      if (failed.length) throw new ReflowError('InternalError', `The bus refused ${failed.length} object event(s); the next scan tries again.`);
    }
    if (drops.length) {
      this.db.transaction(() => {
        for (const r of drops) this.stmt.remove.run(bucket, r.key, r.vkey);
      })();
    }
  }

  private change(kind: ChangeKind, bucket: string, key: string, versionId: string, vkey: string, entry: Listed | undefined, tiebreak: number): Change {
    const id = eventIdFor(this.o.storeId, bucket, key, vkey, kind);
    const when = entry?.lastModified ?? new Date();
    // A multipart object's ETag ends in -N; that is all a listing tells of how it was made.
    const reason: ObjectEventReason = kind === 'created' ? (/-\d+"?$/.test(entry?.etag ?? '') ? 'CompleteMultipartUpload' : 'PutObject') : 'DeleteObject';
    const record: Change['record'] = {
      type: kind === 'created' ? 'Object Created' : 'Object Deleted',
      bucket: bucket.slice(this.o.bucketPrefix.length),
      key,
      versionId,
      sequencer: sequencer(when, tiebreak),
      reason,
      requestId: id,
      requester: this.o.account,
      time: when.toISOString(),
    };
    if (kind === 'created' && entry) {
      record.etag = entry.etag.replace(/"/g, '');
      record.size = entry.size;
    }
    if (kind === 'marker') record.deletionType = 'Delete Marker Created';
    if (kind === 'purged') record.deletionType = 'Permanently Deleted';
    return { id, record, remoteBucket: bucket, vkey, kind };
  }
}

type Listed = ReturnType<typeof versionsOf>[number];

function groupBy<V>(items: V[], keyOf: (v: V) => string): Map<string, V[]> {
  const out = new Map<string, V[]>();
  for (const item of items) {
    const k = keyOf(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
