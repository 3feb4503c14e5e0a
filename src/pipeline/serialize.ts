/**
 * Per-key order for stages that handle several events at once: work for one object key starts only when the
 * previous work for that key has settled (in the order it was asked for); work for other keys runs beside it. A
 * stage's decisions about one key (superseded? already built?) read what the previous event about it wrote.
 *
 * A failed attempt's retry is asked for later, so it goes behind what was asked for that key since: the stages
 * never rely on delivery order for correctness (they are idempotent and decide by the catalog's sequencer order, as
 * replays and at-least-once delivery require); the order here only saves needless work.
 */
import type { EventEnvelope } from '../events/envelope.js';

export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<R>(key: string, work: () => Promise<R>): Promise<R> {
    const previous = this.tails.get(key);
    const result = previous ? previous.then(work, work) : work();
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    // The map holds only keys with work in flight.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

/** The object an event is about: S3's `detail.bucket.name` + `detail.object.key`, or a pipeline event's `detail.object`. */
export function objectKeyOf(event: EventEnvelope): string {
  const detail = event.detail as { bucket?: { name?: string }; object?: { bucket?: string; key?: string } } | undefined;
  const bucket = detail?.bucket?.name ?? detail?.object?.bucket ?? '';
  return `${bucket}\0${detail?.object?.key ?? ''}`;
}
