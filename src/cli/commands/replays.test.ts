import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { startReflow, type TestReflow } from '../../../test/helpers/reflow.js';
import { runCli } from '../../../test/helpers/cli.js';
import { watchReplay } from '../progress.js';

describe('reflow replays against a running server', () => {
  let reflow: TestReflow;
  let endpoint: string[];

  before(async () => {
    reflow = await startReflow();
    endpoint = ['--endpoint', reflow.endpoint];
    assert.equal((await runCli(['archives', 'create', '--name', 'everything', ...endpoint])).code, 0);
    await reflow.bus.putEvents({ Entries: Array.from({ length: 10 }, (_, i) => ({ Source: 'cli.replays', DetailType: 'x', Detail: JSON.stringify({ i }) })) });
  });
  after(async () => reflow.close());

  it('start, then describe with Progress; cancel once it ended is refused with its code', async () => {
    const start = await runCli(['replays', 'start', '--name', 'r1', '--archive', 'everything', '--from', '2000-01-01T00:00:00Z', ...endpoint]);
    assert.equal(start.code, 0, start.stderr);
    assert.match((JSON.parse(start.stdout) as { ReplayArn: string }).ReplayArn, /:replay\/r1$/);
    let described: { State: string; Progress?: { EventsReplayed: number; EventsTotal: number } };
    do {
      const res = await runCli(['replays', 'describe', '--name', 'r1', ...endpoint]);
      assert.equal(res.code, 0, res.stderr);
      described = JSON.parse(res.stdout);
    } while (described.State !== 'COMPLETED');
    assert.deepEqual(described.Progress, { EventsReplayed: 10, EventsTotal: 10 });

    const cancel = await runCli(['replays', 'cancel', '--name', 'r1', ...endpoint]);
    assert.equal(cancel.code, 1);
    assert.match(cancel.stderr, /^IllegalStatusException: Replay r1 is not in a valid state for this operation\./);
    const unknown = await runCli(['replays', 'cancel', '--name', 'nope', ...endpoint]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^ResourceNotFoundException: /);
  });

  it('describe --watch draws a progress bar on a terminal and ends with the final state', async () => {
    await reflow.bus.startReplay({
      ReplayName: 'r2',
      EventSourceArn: (await reflow.bus.describeArchive({ ArchiveName: 'everything' })).ArchiveArn,
      EventStartTime: new Date(0),
      EventEndTime: new Date(Date.now() + 60_000),
      Destination: { Arn: (await reflow.bus.describeEventBus({})).Arn },
    });
    // A stand-in terminal: cli-progress draws only on a TTY.
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    let drawn = '';
    terminal.on('data', (chunk: Buffer) => (drawn += chunk.toString('utf8')));
    const final = await watchReplay(reflow.client(), 'r2', { stream: terminal as unknown as NodeJS.WriteStream, intervalMs: 5 });
    assert.equal(final.State, 'COMPLETED');
    assert.match(drawn, /replay r2 \[[^\]]*\] 10\/10 events \| COMPLETED \| last replayed \d{4}-\d{2}-\d{2}T/);
  });
});
