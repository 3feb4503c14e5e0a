/**
 * Delivers one target's queue in log order: at least once, retrying with backoff and jitter under the target's
 * retry policy, then dead-lettering. The queue itself is durable and owned by the adapter (`DispatchQueue`); the
 * dispatcher only reads the head, acknowledges, and records attempts, so a restart resumes where it stopped.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { shouldGiveUp } from './retry.js';
import { DeliveryError } from './delivery.js';
import type { RoutedTarget } from './routing.js';

export interface QueuedEvent {
  seq: number;
  attempts: number;
  ingestMs: number;
  json: string;
}

export interface DispatchQueue {
  head(tid: number, afterSeq: number, limit: number): QueuedEvent[];
  /** Everything up to and including `seq` has been delivered (or dead-lettered). */
  ack(tid: number, seq: number): void;
  recordAttempts(tid: number, seq: number, attempts: number): void;
  deadLetter(route: RoutedTarget, event: QueuedEvent, attempts: number, error: string): void;
  deliver(route: RoutedTarget, event: QueuedEvent, attempt: number): Promise<void>;
  retryDelayMs(retry: number): number;
  /** Deliveries of this target that may run at once (1 unless its in-process handler was registered with more). */
  concurrencyOf(route: RoutedTarget): number;
}

const BATCH = 64;

export class TargetDispatcher {
  private running = false;
  private woken = false;
  private stopped = false;
  private delivered = 0; // last seq acknowledged in this process
  private abort = new AbortController();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly queue: DispatchQueue,
    public route: RoutedTarget,
  ) {}

  get idle(): boolean {
    return !this.running;
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.woken = true;
      return;
    }
    this.running = true;
    setImmediate(() => void this.pump());
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  whenIdle(): Promise<void> {
    return this.running ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.woken = false;
        await this.drainQueue();
      } while (this.woken && !this.stopped);
    } finally {
      this.running = false;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private async drainQueue(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const batch = this.queue.head(this.route.tid, this.delivered, BATCH);
      if (batch.length === 0) return;
      const window = Math.max(1, this.queue.concurrencyOf(this.route));
      for (let i = 0; i < batch.length; i += window) {
        const group = batch.slice(i, i + window);
        // Started in log order; each event keeps its own retries. The group is acknowledged once all of it is
        // settled, so a restart redelivers an unfinished group whole (at least once).
        const done = group.length === 1 ? [await this.deliverOne(group[0]!)] : await Promise.all(group.map((event) => this.deliverOne(event)));
        if (done.includes(false)) return; // stopped mid-way: leave the rest queued for the next start
        this.delivered = group[group.length - 1]!.seq;
      }
      this.queue.ack(this.route.tid, this.delivered);
      // A short batch was the whole queue: anything appended since woke us, and pump() comes back for it. Saves a
      // query per wake-up on a busy bus.
      if (batch.length < BATCH) return;
    }
  }

  /** Returns false when stopped before the event was settled. */
  private async deliverOne(event: QueuedEvent): Promise<boolean> {
    let attempts = event.attempts;
    for (;;) {
      if (this.stopped) return false;
      attempts++;
      try {
        await this.queue.deliver(this.route, event, attempts);
        return true;
      } catch (err) {
        if (this.stopped) return false;
        const retryable = !(err instanceof DeliveryError) || err.retryable;
        const message = err instanceof Error ? err.message : String(err);
        if (shouldGiveUp(this.route.policy, attempts, event.ingestMs, Date.now(), retryable)) {
          this.queue.deadLetter(this.route, event, attempts, message);
          return true;
        }
        this.queue.recordAttempts(this.route.tid, event.seq, attempts);
        try {
          await sleep(this.queue.retryDelayMs(attempts), undefined, { signal: this.abort.signal });
        } catch {
          return false;
        }
      }
    }
  }
}

