/**
 * Puts the adapter's object events on the bus. There is no transaction shared with the remote store, so a change
 * is first made on the remote and then its event is put; if the bus refuses or is away, the event stays pending and
 * is retried with backoff while the process lives. A crash loses only the pending list: the scanner finds those
 * changes on its next pass and puts the same events (same EventIds), so each change still gets exactly one event.
 */
import { ReflowError } from '../../errors.js';
import type { EventBus } from '../../bus/port.js';
import type { PutEventsRequestEntry } from '../../bus/types.js';
import { objectEvent } from '../events.js';
import type { Change } from './identity.js';

/** EventBridge's PutEvents limit, which the bus keeps for everyone by default. */
const BATCH = 10;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 30_000;

export class EventRelay {
  private readonly pending = new Map<string, Change>();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = RETRY_MIN_MS;
  private closed = false;
  private listener: ((changes: Change[]) => void) | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly eventBusName: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Called with the changes the bus has accepted (the scanner records them, so it will not look for them again). */
  setListener(listener: ((changes: Change[]) => void) | undefined): void {
    this.listener = listener;
  }

  /** Puts the events; what the bus does not accept stays pending and is retried. Never throws. */
  async emit(changes: Change[]): Promise<void> {
    if (changes.length === 0) return;
    const failed = await this.put(changes).catch((err: unknown) => {
      this.onError(err);
      return changes;
    });
    if (failed.length) {
      for (const c of failed) this.pending.set(c.id, c);
      this.scheduleRetry();
    }
  }

  /**
   * One attempt: the changes the bus did not accept (per-entry failures); throws when the bus itself failed.
   * `notify: false` for a caller that records accepted changes itself (the scanner).
   */
  async put(changes: Change[], notify = true): Promise<Change[]> {
    const failed: Change[] = [];
    for (let i = 0; i < changes.length; i += BATCH) {
      const batch = changes.slice(i, i + BATCH);
      const entries = batch.map((c) => ({ ...objectEvent(c.record, this.eventBusName), EventId: c.id }) as PutEventsRequestEntry & { EventId: string });
      let result;
      try {
        result = await this.bus.putEvents({ Entries: entries }, { trusted: true });
      } catch (err) {
        failed.push(...changes.slice(i));
        if (failed.length === changes.length) throw err;
        this.onError(err);
        return failed;
      }
      const accepted: Change[] = [];
      result.Entries.forEach((r, j) => {
        if (r.ErrorCode) {
          failed.push(batch[j]!);
          this.onError(new ReflowError('InternalError', `The bus refused the event for ${batch[j]!.record.key}: ${r.ErrorCode} ${r.ErrorMessage ?? ''}`.trim()));
        } else accepted.push(batch[j]!);
      });
      if (accepted.length) this.accepted(accepted, notify);
    }
    return failed;
  }

  private accepted(changes: Change[], notify: boolean): void {
    for (const c of changes) this.pending.delete(c.id);
    if (!notify) return;
    try {
      this.listener?.(changes);
    } catch (err) {
      // The scanner's record is an optimisation: without it the scanner puts the same ids again and the bus drops them.
      this.onError(err);
    }
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(RETRY_MAX_MS, this.retryDelay * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.retry();
    }, delay);
    this.retryTimer.unref();
  }

  private async retry(): Promise<void> {
    if (this.closed || this.pending.size === 0) return;
    const failed = await this.put([...this.pending.values()]).catch((err: unknown) => {
      this.onError(err);
      return [...this.pending.values()];
    });
    if (failed.length) this.scheduleRetry();
    else this.retryDelay = RETRY_MIN_MS;
  }

  /** Resolves once nothing is pending; retries at once instead of waiting for the backoff. */
  async flush(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0) {
      if (this.closed) break;
      const failed = await this.put([...this.pending.values()]).catch(() => [...this.pending.values()]);
      if (failed.length === 0) break;
      if (Date.now() >= deadline) {
        throw new ReflowError('InternalError', `${failed.length} object event(s) are not on the bus yet; the scanner will put them if this process stops.`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops retrying. What is still pending is left for the scanner (it lists the remote and finds those changes). */
  close(): number {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    return this.pending.size;
  }
}
