/**
 * Archive EventCount and SizeBytes, kept without a write per commit.
 *
 * Updating the archive's row in every PutEvents transaction dirtied one more page per commit, about a sixth of a
 * 10-event commit's WAL frames. Instead the writer adds each commit's counts here, in memory (DescribeArchive adds
 * them, so answers stay exact), and they are written out about once a second together with `counted_seq`: the stored
 * counts cover exactly the archive rows up to that log position. After a crash the rows past it are counted again
 * from `archive_events`, so the counters come back exact; the archive rows themselves commit with their events.
 */
import type Database from 'better-sqlite3';

export interface ArchiveTotal {
  aid: number;
  count: number;
  bytes: number;
}

export class ArchiveCounters {
  private readonly deltas = new Map<number, { count: number; bytes: number }>();
  /** The last committed log position the deltas account for. */
  private throughSeq = 0;
  /** throughSeq at the last flush. */
  private flushedSeq = 0;
  private readonly update: Database.Statement;
  private readonly mark: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.update = db.prepare(
      'UPDATE archives SET event_count = event_count + ?, size_bytes = size_bytes + ?, counted_seq = MAX(counted_seq, ?) WHERE aid = ?',
    );
    this.mark = db.prepare('UPDATE archives SET counted_seq = MAX(counted_seq, ?)');
  }

  /** Adds the column to a database made before it existed (its counters were exact: nothing to recount). */
  static migrate(db: Database.Database): void {
    const columns = db.prepare('PRAGMA table_info(archives)').all() as Array<{ name: string }>;
    if (columns.some((c) => c.name === 'counted_seq')) return;
    db.exec('ALTER TABLE archives ADD COLUMN counted_seq INTEGER NOT NULL DEFAULT 0');
    db.exec('UPDATE archives SET counted_seq = (SELECT COALESCE(MAX(seq), 0) FROM events)');
  }

  /** On open: counts the archive rows a crash left uncounted (past each archive's counted_seq). */
  reconcile(): void {
    this.db.transaction(() => {
      const archives = this.db.prepare('SELECT aid, counted_seq AS counted FROM archives').all() as Array<{ aid: number; counted: number }>;
      const count = this.db.prepare(
        'SELECT COUNT(*) AS n, COALESCE(SUM(e.size), 0) AS bytes, MAX(a.seq) AS last FROM archive_events a JOIN events e ON e.seq = a.seq WHERE a.aid = ? AND a.seq > ?',
      );
      for (const archive of archives) {
        const missed = count.get(archive.aid, archive.counted) as { n: number; bytes: number; last: number | null };
        if (missed.n > 0) this.update.run(missed.n, missed.bytes, missed.last, archive.aid);
      }
    })();
  }

  /** A commit's archive totals; `lastSeq`: the last log position it appended. */
  add(totals: readonly ArchiveTotal[] | undefined, lastSeq: number): void {
    if (lastSeq > this.throughSeq) this.throughSeq = lastSeq;
    if (totals === undefined) return;
    for (const t of totals) {
      const d = this.deltas.get(t.aid);
      if (d === undefined) this.deltas.set(t.aid, { count: t.count, bytes: t.bytes });
      else {
        d.count += t.count;
        d.bytes += t.bytes;
      }
    }
  }

  /** What the stored counters of `aid` lack. */
  pending(aid: number): { count: number; bytes: number } {
    return this.deltas.get(aid) ?? { count: 0, bytes: 0 };
  }

  get dirty(): boolean {
    return this.deltas.size > 0;
  }

  /** Writes the deltas out, in a transaction of their own (so they are forgotten only once stored). */
  flush(): void {
    if (this.throughSeq === this.flushedSeq && this.deltas.size === 0) return;
    this.db.transaction(() => {
      for (const [aid, d] of this.deltas) this.update.run(d.count, d.bytes, this.throughSeq, aid);
      // Archives that got nothing are still counted up to here: nothing of theirs lies before throughSeq uncounted.
      this.mark.run(this.throughSeq);
    })();
    this.deltas.clear();
    this.flushedSeq = this.throughSeq;
  }

  /** The archive is gone: its uncounted rows went with it. */
  forget(aid: number): void {
    this.deltas.delete(aid);
  }
}
