/**
 * Watching a replay: a progress bar (on stderr, so stdout stays JSON) driven by DescribeReplay's Progress
 * ({EventsReplayed, EventsTotal}) and EventLastReplayedTime, until the replay reaches a final state.
 */
import cliProgress from 'cli-progress';
import type { ReflowClient, ReplayDescriptionWithProgress } from '../client/index.js';

export const FINAL_STATES = new Set(['COMPLETED', 'CANCELLED', 'FAILED']);

export interface WatchOptions {
  intervalMs?: number;
  stream?: NodeJS.WriteStream;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function watchReplay(client: ReflowClient, name: string, options: WatchOptions = {}): Promise<ReplayDescriptionWithProgress> {
  const stream = options.stream ?? process.stderr;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `replay ${name} [{bar}] {value}/{total} events | {state} | last replayed {last}`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  try {
    for (;;) {
      const replay = await client.describeReplay(name);
      const total = replay.Progress?.EventsTotal ?? 0;
      const done = replay.Progress?.EventsReplayed ?? 0;
      const payload = {
        state: replay.State,
        last: replay.EventLastReplayedTime ? new Date(replay.EventLastReplayedTime).toISOString() : '-',
      };
      if (!started) {
        bar.start(total, done, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, payload);
      }
      if (FINAL_STATES.has(replay.State)) return replay;
      await sleep(options.intervalMs ?? 250);
    }
  } finally {
    if (started) bar.stop();
  }
}
