/**
 * Collects what callers ask for within one turn of the event loop and hands it over in groups of at most `max`:
 * one bus call or one transaction for many small requests. Each caller still waits for its own item's outcome (the
 * group's answer for it), so nothing is acknowledged before what it asked for is done.
 */
export type GroupHandler<I> = (items: I[]) => Promise<Array<Error | undefined>>;

interface Pending<I> {
  item: I;
  resolve(): void;
  reject(err: unknown): void;
}

export class TurnBatcher<I> {
  private pending: Array<Pending<I>> = [];
  private scheduled = false;

  constructor(
    private readonly handle: GroupHandler<I>,
    private readonly max: number,
  ) {}

  add(item: I): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = [];
    for (let i = 0; i < pending.length; i += this.max) {
      const group = pending.slice(i, i + this.max);
      try {
        const outcomes = await this.handle(group.map((p) => p.item));
        group.forEach((p, j) => {
          const err = outcomes[j];
          if (err) p.reject(err);
          else p.resolve();
        });
      } catch (err) {
        for (const p of group) p.reject(err);
      }
    }
  }
}
