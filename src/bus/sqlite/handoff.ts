/**
 * Parsed events handed from the writer to their one delivery, so an in-process target does not parse again the JSON
 * the bus has just built (a parse is ~3 µs for a 600-byte event, the largest single cost of delivering it).
 *
 * Only events with exactly one target are kept, and `take` removes the entry: the object goes to one delivery
 * attempt, which may then do what it likes with it; a retry parses afresh from the log. The map is bounded; when a
 * target falls behind, its oldest entries are dropped and its deliveries parse, as they would without this cache.
 */
import type { EventEnvelope } from '../types.js';

const CAPACITY = 4096;

export class EnvelopeHandoff {
  private readonly kept = new Map<number, { tid: number; envelope: EventEnvelope }>();

  offer(seq: number, tid: number, envelope: EventEnvelope): void {
    if (this.kept.size >= CAPACITY) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(seq, { tid, envelope });
  }

  has(tid: number, seq: number): boolean {
    return this.kept.get(seq)?.tid === tid;
  }

  take(tid: number, seq: number): EventEnvelope | undefined {
    const entry = this.kept.get(seq);
    if (entry === undefined || entry.tid !== tid) return undefined;
    this.kept.delete(seq);
    return entry.envelope;
  }

  clear(): void {
    this.kept.clear();
  }
}
