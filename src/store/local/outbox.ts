/**
 * The outbox relay. A change and the record of its event commit in one SQLite transaction (the `outbox` table);
 * this loop takes the records in order, puts them on the bus as trusted entries with an EventId derived from the
 * store id and the row's seq, and deletes the rows it delivered. After a SIGKILL anywhere the next open resumes it:
 * a row put but not yet deleted is put again with the same EventId, which the bus turns into a no-op. So every
 * committed version has exactly one event, and no event names an uncommitted one. With fsync on, only rows known
 * to be on disk are sent (`upTo`), so no power loss leaves an event for a version the store lost.
 *
 * The rows a pass delivered are deleted in one transaction at the end of the pass (not one per PutEvents call): a
 * crash in between only means those rows are put again, as no-ops.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { EventBus } from '../../bus/port.js';
import type { PutEventsRequestEntry } from '../../bus/types.js';
import { ReflowError } from '../../errors.js';
import { objectEvent, type ObjectEventRecord } from '../events.js';

/** What an outbox row holds: the event record less its sequencer, which is the row's seq. */
export type OutboxRecord = Omit<ObjectEventRecord, 'sequencer'>;

/** S3's sequencers are uppercase hex; fixed width so they also sort as text. */
export function sequencerOf(seq: number): string {
  return seq.toString(16).toUpperCase().padStart(18, '0');
}

/** A UUID (version-5 layout) from the store id and the outbox seq: the same row always gets the same EventId. */
export function outboxEventId(storeId: string, seq: number): string {
  const h = createHash('sha256').update(`${storeId}:${seq}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface RelayOptions {
  db: Database.Database;
  bus: EventBus;
  eventBusName: string;
  storeId: string;
  /** Entries per PutEvents call (EventBridge takes at most 10). */
  batchSize: number;
  /** Rows read per pass (several PutEvents calls, one delete transaction). */
  passSize: number;
  /** The newest row that may be sent now (raised by `allowUpTo` as commits become durable). */
  upTo: number;
  onError?: (err: Error) => void;
}

const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 5_000;

export class OutboxRelay {
  private readonly select: Database.Statement<[number, number], { seq: number; record: string }>;
  private upTo: number;
  private readonly remove: (seqs: number[]) => void;
  private readonly maxSeq: Database.Statement<[], { seq: number | null }>;
  private readonly countUpTo: Database.Statement<[number], { n: number }>;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private backoffMs = 0;
  private sleeping: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private progress: Array<() => void> = [];
  lastError: Error | undefined;

  constructor(private readonly options: RelayOptions) {
    const { db } = options;
    this.upTo = options.upTo;
    this.select = db.prepare('SELECT seq, record FROM outbox WHERE seq <= ? ORDER BY seq LIMIT ?');
    const del = db.prepare('DELETE FROM outbox WHERE seq = ?');
    this.remove = db.transaction((seqs: number[]) => {
      for (const seq of seqs) del.run(seq);
    });
    this.maxSeq = db.prepare('SELECT max(seq) AS seq FROM outbox');
    this.countUpTo = db.prepare('SELECT count(*) AS n FROM outbox WHERE seq <= ?');
  }

  /** Rows up to `seq` are durable: they may be sent. */
  allowUpTo(seq: number): void {
    if (seq <= this.upTo) return;
    this.upTo = seq;
    this.wake();
  }

  /** A commit added rows: make sure a pass runs (now, or right after the current one). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // No notify() here: a pass that found nothing sendable (rows committed but not yet durable) must not wake a
    // waiting flush(), whose wake() would start another empty pass at once — a promise-only cycle that never yields
    // to the I/O callback (the fsync) that would raise `upTo`. Passes that deliver notify; flush() also polls.
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.again = false;
      const rows = this.select.all(this.upTo, this.options.passSize);
      if (rows.length === 0) return;
      let failed = false;
      const delivered: number[] = [];
      for (let i = 0; i < rows.length && !this.stopped; i += this.options.batchSize) {
        const batch = rows.slice(i, i + this.options.batchSize);
        const entries = batch.map((row) => this.entry(row.seq, row.record));
        try {
          const result = await this.options.bus.putEvents({ Entries: entries }, { trusted: true });
          const before = delivered.length;
          batch.forEach((row, j) => {
            if (result.Entries[j] !== undefined && result.Entries[j]!.ErrorCode === undefined) delivered.push(row.seq);
          });
          if (delivered.length - before < batch.length) {
            const bad = result.Entries.find((e) => e.ErrorCode !== undefined);
            this.fail(new ReflowError('InternalError', `the bus refused ${batch.length - (delivered.length - before)} object event(s): ${bad?.ErrorCode}: ${bad?.ErrorMessage}`));
            failed = true;
          }
        } catch (err) {
          this.fail(err instanceof Error ? err : new Error(String(err)));
          failed = true;
        }
        if (failed) break;
      }
      if (delivered.length) this.remove(delivered);
      this.notify();
      if (failed) {
        // Keep the rows (order included) and retry: events must not be lost while the bus is away.
        this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, this.backoffMs * 2));
        await this.sleep(this.backoffMs);
      } else {
        this.backoffMs = 0;
        this.lastError = undefined;
      }
    }
  }

  private entry(seq: number, record: string): PutEventsRequestEntry & { EventId: string } {
    const parsed = JSON.parse(record) as OutboxRecord;
    return { ...objectEvent({ ...parsed, sequencer: sequencerOf(seq) }, this.options.eventBusName), EventId: outboxEventId(this.options.storeId, seq) };
  }

  private fail(err: Error): void {
    this.lastError = err;
    this.options.onError?.(err);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      this.sleeping = { timer, resolve };
    });
  }

  private interruptSleep(): void {
    const s = this.sleeping;
    this.sleeping = undefined;
    if (s) {
      clearTimeout(s.timer);
      s.resolve();
    }
  }

  private notify(): void {
    const waiting = this.progress;
    this.progress = [];
    for (const w of waiting) w();
  }

  /** Resolves once every row committed before the call is on the bus. */
  async flush(timeoutMs: number): Promise<void> {
    const target = this.maxSeq.get()?.seq;
    if (target === null || target === undefined) return;
    const deadline = Date.now() + timeoutMs;
    this.wake();
    for (;;) {
      const left = this.countUpTo.get(target)!.n;
      if (left === 0) return;
      if (this.stopped) throw new ReflowError('InternalError', `the store closed with ${left} object event(s) still in its outbox (they are sent on the next open)`);
      const wait = deadline - Date.now();
      if (wait <= 0) {
        throw new ReflowError(
          'InternalError',
          `flushEvents timed out: ${left} object event(s) not yet on the bus${this.lastError ? ` (last error: ${this.lastError.message})` : ''}`,
        );
      }
      // Retry at once if the relay is backing off: a flush is someone waiting.
      if (this.sleeping) this.interruptSleep();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(wait, 50));
        this.progress.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (!this.running) this.wake();
    }
  }

  /** Stops after the PutEvents call in flight; rows left are sent on the next open. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.interruptSleep();
    await this.running;
    this.notify();
  }
}
