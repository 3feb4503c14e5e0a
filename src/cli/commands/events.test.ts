import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startReflow, type TestReflow } from '../../../test/helpers/reflow.js';
import { CLI, runCli } from '../../../test/helpers/cli.js';

describe('reflow events tail against a running server', () => {
  let reflow: TestReflow;

  before(async () => {
    reflow = await startReflow();
  });
  after(async () => reflow.close());

  it('prints matching events as {Position, Event} lines until interrupted, then exits 0', async () => {
    const child = spawn(process.execPath, [CLI, 'events', 'tail', '--endpoint', reflow.endpoint, '--pattern', '{"source":["wanted"]}'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      // The tail starts at the end of the log: put until it has shown one event, then once more to check order.
      const put = (source: string, n: number) => reflow.bus.putEvents({ Entries: [{ Source: source, DetailType: 't', Detail: JSON.stringify({ n }) }] });
      const first = lines.next();
      let seen: IteratorResult<string> | undefined;
      for (let n = 0; seen === undefined; n++) {
        await put('unwanted', n);
        await put('wanted', n);
        seen = await Promise.race([first, new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))]);
        if (n > 50) throw new Error(`tail printed nothing: ${stderr}`);
      }
      const line = JSON.parse(seen.value as string) as { Position: number; Event: { source: string; detail: { n: number } } };
      assert.equal(line.Event.source, 'wanted');
      assert.equal(typeof line.Position, 'number');
      await put('wanted', 1000);
      let next = JSON.parse((await lines.next()).value as string) as { Position: number; Event: { detail: { n: number } } };
      while (next.Event.detail.n !== 1000) next = JSON.parse((await lines.next()).value as string);
      assert.ok(next.Position > line.Position, 'log order');
      child.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses an invalid pattern with its code before streaming', async () => {
    const res = await runCli(['events', 'tail', '--endpoint', reflow.endpoint, '--pattern', '{"source":"not-a-list"}']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^InvalidEventPatternException: Event pattern is not valid\./);
  });
});
