/**
 * Follows a bus's log from a position, optionally through a pattern: `reflow events tail`. Pull-based: it reads the
 * next page only when the consumer asks, so a slow reader never makes the server buffer the log.
 */
import type { Subscription } from '../port.js';
import type { EventEnvelope, TailedEvent } from '../types.js';
import { compilePattern, testEventPattern, type CompiledPattern } from '../../events/pattern/index.js';

type ReadPage = (afterSeq: number, limit: number) => Array<{ seq: number; json: string }>;

export class LogTail implements Subscription<TailedEvent> {
  readonly closed: Promise<void | Error>;
  private resolveClosed!: (value: void | Error) => void;
  private waiting: (() => void) | undefined;
  private done = false;
  private readonly pattern: CompiledPattern | undefined;

  constructor(
    private readonly read: ReadPage,
    private cursor: number,
    pattern: string | undefined,
    private readonly onClose: () => void,
  ) {
    this.pattern = pattern === undefined ? undefined : compilePattern(pattern);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** New events were committed: let a waiting reader look. */
  wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TailedEvent> {
    try {
      while (!this.done) {
        const rows = this.read(this.cursor, 256);
        if (rows.length === 0) {
          await new Promise<void>((resolve) => (this.waiting = resolve));
          continue;
        }
        for (const row of rows) {
          if (this.done) return;
          this.cursor = row.seq;
          const event = JSON.parse(row.json) as EventEnvelope;
          if (this.pattern && !testEventPattern(this.pattern, event)) continue;
          yield { Position: row.seq, Event: event };
        }
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.wake();
    this.onClose();
    this.resolveClosed();
  }
}
