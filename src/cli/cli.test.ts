import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReflow, type TestReflow } from '../../test/helpers/reflow.js';
import { CLI, runCli } from '../../test/helpers/cli.js';

describe('reflow CLI against a running server', () => {
  let reflow: TestReflow;
  let dir: string;
  let endpoint: string[];

  before(async () => {
    reflow = await startReflow();
    endpoint = ['--endpoint', reflow.endpoint];
    dir = mkdtempSync(join(tmpdir(), 'reflow-cli-'));
  });
  after(async () => {
    await reflow.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('events put prints the PutEvents result', async () => {
    const res = await runCli(['events', 'put', ...endpoint, '--source', 'cli.test', '--detail-type', 'Thing', '--detail', '{"a": 1}']);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { FailedEntryCount: number; Entries: Array<{ EventId: string }> };
    assert.equal(out.FailedEntryCount, 0);
    assert.match(out.Entries[0]!.EventId, /^[0-9a-f-]{36}$/);
  });

  it('events put --file takes entries; a failed entry exits 1 with its code', async () => {
    const file = join(dir, 'entries.json');
    writeFileSync(file, JSON.stringify([{ Source: 'cli.file', DetailType: 'x', Detail: { b: 2 }, Time: '2024-01-01T00:00:00Z' }, { DetailType: 'x', Detail: '{}' }]));
    const res = await runCli(['events', 'put', ...endpoint, '--file', file]);
    assert.equal(res.code, 1);
    assert.equal((JSON.parse(res.stdout) as { FailedEntryCount: number }).FailedEntryCount, 1);
    assert.match(res.stderr, /^InvalidArgument: Parameter Source is not valid/m);
  });

  it('rules put / list / describe', async () => {
    const put = await runCli(['rules', 'put', ...endpoint, '--name', 'cli-rule', '--pattern', '{"source":["cli.test"]}']);
    assert.equal(put.code, 0, put.stderr);
    assert.match((JSON.parse(put.stdout) as { RuleArn: string }).RuleArn, /:rule\/cli-rule$/);
    const list = await runCli(['rules', 'list', ...endpoint]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { Rules: Array<{ Name: string }> }).Rules.map((r) => r.Name),
      ['cli-rule'],
    );
    const missing = await runCli(['rules', 'describe', ...endpoint, '--name', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'ResourceNotFoundException: Rule nope does not exist on EventBus default.');
  });

  it('events test-pattern prints true/false offline and exits 2 on an invalid pattern', async () => {
    const event = join(dir, 'event.json');
    writeFileSync(event, JSON.stringify({ id: '1', source: 'a', 'detail-type': 't', account: '111122223333', time: '2024-01-01T00:00:00Z', region: 'us-east-1', detail: { n: 5 } }));
    const match = join(dir, 'match.json');
    writeFileSync(match, '{"detail": {"n": [{"numeric": [">", 1]}]}}');
    const miss = join(dir, 'miss.json');
    writeFileSync(miss, '{"source": ["b"]}');
    const invalid = join(dir, 'invalid.json');
    writeFileSync(invalid, '{"source": "not-a-list"}');
    // No --endpoint: nothing listens on the default one, and none is needed.
    const yes = await runCli(['events', 'test-pattern', '--pattern', match, '--event', event], { env: { REFLOW_ENDPOINT: 'http://127.0.0.1:1' } });
    assert.equal(yes.code, 0, yes.stderr);
    assert.equal(yes.stdout, 'true\n');
    const no = await runCli(['events', 'test-pattern', '--pattern', miss, '--event', event]);
    assert.equal(no.code, 0, no.stderr);
    assert.equal(no.stdout, 'false\n');
    const bad = await runCli(['events', 'test-pattern', '--pattern', invalid, '--event', event]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^InvalidEventPatternException: Event pattern is not valid\./);
  });

  it('replays start --wait follows the replay to its end', async () => {
    const put = (args: string[]) => runCli([...args, ...endpoint]);
    assert.equal((await put(['archives', 'create', '--name', 'cli-archive'])).code, 0);
    const from = new Date(Date.now() - 60_000).toISOString();
    for (let i = 0; i < 3; i++) assert.equal((await put(['events', 'put', '--source', 'cli.replay', '--detail-type', 'x'])).code, 0);
    const to = new Date(Date.now() + 60_000).toISOString();
    const res = await put(['replays', 'start', '--name', 'cli-replay', '--archive', 'cli-archive', '--from', from, '--to', to, '--wait']);
    assert.equal(res.code, 0, res.stderr);
    const replay = JSON.parse(res.stdout) as { State: string; Progress?: { EventsReplayed: number; EventsTotal: number } };
    assert.equal(replay.State, 'COMPLETED');
    assert.ok(replay.Progress, 'DescribeReplay carries Reflow\'s Progress');
    assert.equal(replay.Progress.EventsReplayed, replay.Progress.EventsTotal);
  });

  it('reports an unreachable server as ConnectionError', async () => {
    const res = await runCli(['buses', 'list', '--endpoint', 'http://127.0.0.1:1']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^ConnectionError: /);
  });
});

describe('reflow up', () => {
  it('serves until SIGTERM, then exits cleanly', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'reflow-up-'));
    const child = spawn(process.execPath, [CLI, 'up', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let stdout = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${stdout}`)), 15_000);
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
          const m = /listening on (http:\/\/\S+)/.exec(stdout);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${stdout}`)));
      });
      const list = await runCli(['buses', 'list', '--endpoint', url]);
      assert.equal(list.code, 0, list.stderr);
      assert.equal((JSON.parse(list.stdout) as { EventBuses: Array<{ Name: string }> }).EventBuses[0]!.Name, 'default');
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
