/**
 * Runs one replay: reads the archive in order from the replay's durable cursor, one batch per transaction (the batch
 * and the cursor commit together, so a crash resumes without losing or repeating a replayed event), until the
 * archive holds nothing more in the replay's time window. States follow EventBridge:
 * STARTING → RUNNING → COMPLETED, or CANCELLING → CANCELLED, or FAILED with a reason.
 */
import type { ReplayState } from '../types.js';

export interface ReplayRow {
  name: string;
  description: string | null;
  archive: string;
  aid: number;
  source_arn: string;
  start_ms: number;
  end_ms: number;
  destination: string;
  state: ReplayState;
  state_reason: string | null;
  replay_start_ms: number;
  replay_end_ms: number | null;
  last_replayed_ms: number | null;
  cursor_seq: number;
  replayed: number;
  total: number;
}

export interface ArchivedEvent {
  seq: number;
  ingest_ms: number;
  json: string;
}

export interface ReplayHost {
  load(name: string): ReplayRow | undefined;
  setState(name: string, state: ReplayState, reason?: string): void;
  nextBatch(row: ReplayRow, limit: number): ArchivedEvent[];
  append(row: ReplayRow, batch: ArchivedEvent[]): void;
}

export class ReplayRunner {
  readonly stopped: Promise<void>;
  private resolveStopped!: () => void;
  private cancelled = false;
  private halted = false;

  constructor(
    private readonly host: ReplayHost,
    readonly name: string,
    private readonly batchSize: number,
  ) {
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
  }

  cancel(): void {
    this.cancelled = true;
  }

  /** Stops without changing the replay's state: the bus is closing, and the next start resumes it. */
  stop(): void {
    this.halted = true;
  }

  async run(): Promise<void> {
    try {
      await this.loop();
    } finally {
      this.resolveStopped();
    }
  }

  private async loop(): Promise<void> {
    // Yield first so StartReplay answers STARTING before the replay moves on, as EventBridge does.
    await new Promise((resolve) => setImmediate(resolve));
    for (;;) {
      if (this.halted) return;
      const row = this.host.load(this.name);
      if (!row) return;
      if (this.cancelled || row.state === 'CANCELLING') {
        this.host.setState(this.name, 'CANCELLED');
        return;
      }
      if (row.state === 'STARTING') this.host.setState(this.name, 'RUNNING');
      try {
        const batch = this.host.nextBatch(row, this.batchSize);
        if (batch.length === 0) {
          this.host.setState(this.name, 'COMPLETED');
          return;
        }
        this.host.append(row, batch);
      } catch (err) {
        this.host.setState(this.name, 'FAILED', (err as Error).message);
        return;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
