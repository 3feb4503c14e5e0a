/**
 * Durable before acknowledged: SIGKILL the server while a client puts events and a target receives them. After
 * restarts, every acknowledged event reaches the target at least once and is in the archive (proved by replaying
 * the archive), and nothing acknowledged is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  CreateArchiveCommand,
  StartReplayCommand,
  DescribeReplayCommand,
  DescribeArchiveCommand,
} from '@aws-sdk/client-eventbridge';

const CLI = resolve(fileURLToPath(import.meta.url), '../../../../src/cli/main.js');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function startReflow(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'up', '--data-dir', dataDir, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, REFLOW_ROOT_ACCESS_KEY_ID: '', REFLOW_ROOT_SECRET_ACCESS_KEY: '' },
  });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) return child;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null) throw new Error(`reflow up exited with ${child.exitCode}: ${output}`);
    if (Date.now() > deadline) throw new Error(`reflow up did not answer on ${port}: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

test('SIGKILL mid-traffic loses no acknowledged event: every one is delivered and archived', { timeout: 180_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'reflow-crash-'));
  const delivered = new Map<string, number>();
  const replayed = new Set<string>();
  const target = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const event = JSON.parse(body) as { detail: { key: string } };
      if (req.url === '/replayed') replayed.add(event.detail.key);
      else delivered.set(event.detail.key, (delivered.get(event.detail.key) ?? 0) + 1);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  const port = await freePort();
  const client = new EventBridgeClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  let server = await startReflow(dataDir, port);
  try {
    await client.send(new PutRuleCommand({ Name: 'crash', EventPattern: JSON.stringify({ source: ['crash.test'] }) }));
    await client.send(new PutTargetsCommand({ Rule: 'crash', Targets: [{ Id: 'http', Arn: `${targetUrl}/live` }] }));
    await client.send(
      new CreateArchiveCommand({ ArchiveName: 'crash', EventSourceArn: 'arn:aws:events:us-east-1:000000000000:event-bus/default' }),
    );

    const acknowledged = new Set<string>();
    let sequence = 0;
    let failedCalls = 0;
    const putFor = async (ms: number) => {
      const until = Date.now() + ms;
      const producers = Array.from({ length: 4 }, async () => {
        while (Date.now() < until) {
          const keys = Array.from({ length: 10 }, () => `k${sequence++}`);
          try {
            const result = await client.send(
              new PutEventsCommand({
                Entries: keys.map((key) => ({ Source: 'crash.test', DetailType: 'tick', Detail: JSON.stringify({ key }) })),
              }),
            );
            result.Entries!.forEach((entry, i) => entry.EventId && acknowledged.add(keys[i]!));
          } catch {
            failedCalls++; // the server died under this call: not acknowledged, so nothing is promised
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      });
      await Promise.all(producers);
    };

    for (let crash = 0; crash < 3; crash++) {
      const traffic = putFor(1_500);
      await new Promise((r) => setTimeout(r, 600 + crash * 200));
      await kill9(server);
      await traffic;
      server = await startReflow(dataDir, port);
    }
    await putFor(500);
    assert.ok(acknowledged.size > 500, `enough traffic to mean something (${acknowledged.size} acknowledged)`);
    assert.ok(failedCalls > 0, 'the kills landed while calls were in flight');

    const deadline = Date.now() + 60_000;
    while ([...acknowledged].some((key) => !delivered.has(key)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const lost = [...acknowledged].filter((key) => !delivered.has(key));
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acknowledged events never reached the target`);

    const archive = await client.send(new DescribeArchiveCommand({ ArchiveName: 'crash' }));
    assert.ok((archive.EventCount ?? 0) >= acknowledged.size);
    await client.send(new PutRuleCommand({ Name: 'replayed', EventPattern: JSON.stringify({ 'replay-name': ['check'] }) }));
    await client.send(new PutTargetsCommand({ Rule: 'replayed', Targets: [{ Id: 'http', Arn: `${targetUrl}/replayed` }] }));
    await client.send(
      new StartReplayCommand({
        ReplayName: 'check',
        EventSourceArn: 'arn:aws:events:us-east-1:000000000000:archive/crash',
        EventStartTime: new Date(0),
        EventEndTime: new Date(Date.now() + 60_000),
        Destination: {
          Arn: 'arn:aws:events:us-east-1:000000000000:event-bus/default',
          FilterArns: ['arn:aws:events:us-east-1:000000000000:rule/replayed'],
        },
      }),
    );
    while ((await client.send(new DescribeReplayCommand({ ReplayName: 'check' }))).State !== 'COMPLETED') {
      if (Date.now() > deadline + 60_000) throw new Error('replay did not complete');
      await new Promise((r) => setTimeout(r, 100));
    }
    while ([...acknowledged].some((key) => !replayed.has(key)) && Date.now() < deadline + 60_000) await new Promise((r) => setTimeout(r, 100));
    const notArchived = [...acknowledged].filter((key) => !replayed.has(key));
    assert.deepEqual(notArchived.slice(0, 10), [], `${notArchived.length} acknowledged events missing from the archive`);
  } finally {
    client.destroy();
    await kill9(server);
    target.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
