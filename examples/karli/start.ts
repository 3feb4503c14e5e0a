/**
 * `npm start`: runs `reflow up --project examples/karli` on embedded defaults (./.reflow, API 7070, S3 7071), feeds
 * it the first acquisition round through the S3 endpoint as a contributor would, and prints where to look. Ctrl-C
 * stops Reflow. Starting again on the same data directory uploads only what is not there yet.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DEV_S3_CREDENTIALS } from '../../src/cli/commands/up.js';
import { buildRound } from './generator/index.js';

const here = dirname(fileURLToPath(import.meta.url));
// dist/examples/karli → the repository root, where the example's source and reflow.config.ts live.
const root = join(here, '..', '..', '..');
const port = Number(process.env.REFLOW_PORT ?? 7070);
const s3Port = Number(process.env.REFLOW_S3_PORT ?? 7071);
const api = `http://127.0.0.1:${port}`;
const s3Endpoint = `http://127.0.0.1:${s3Port}`;

const child = spawn(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'up', '--project', join(root, 'examples', 'karli'), '--port', String(port), '--s3-port', String(s3Port)], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: process.env,
});
let exited = false;
child.on('exit', (code, signal) => {
  exited = true;
  process.exitCode = code ?? (signal ? 1 : 0);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));

async function ready(deadlineMs: number): Promise<void> {
  while (Date.now() < deadlineMs) {
    if (exited) throw new Error('reflow up exited before it was ready (is port 7070 or 7071 taken? set REFLOW_PORT / REFLOW_S3_PORT)');
    try {
      if ((await fetch(`${api}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`reflow up did not answer on ${api} in time`);
}

async function feed(): Promise<void> {
  const credentials =
    process.env.REFLOW_ROOT_ACCESS_KEY_ID && process.env.REFLOW_ROOT_SECRET_ACCESS_KEY
      ? { accessKeyId: process.env.REFLOW_ROOT_ACCESS_KEY_ID, secretAccessKey: process.env.REFLOW_ROOT_SECRET_ACCESS_KEY }
      : { ...DEV_S3_CREDENTIALS };
  const s3 = new S3Client({ endpoint: s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const { files } = buildRound({ seed: 42, round: 1 });
  let sent = 0;
  for (const file of files) {
    const there = await s3.send(new HeadObjectCommand({ Bucket: 'karli-raw', Key: file.key })).then(
      () => true,
      () => false,
    );
    if (there) continue;
    await s3.send(new PutObjectCommand({ Bucket: 'karli-raw', Key: file.key, Body: file.content, ContentType: 'text/csv' }));
    sent++;
  }
  s3.destroy();
  process.stdout.write(`Fed round 1 of the KARLI example: ${sent} recordings uploaded (${files.length - sent} were already there), 4 of them damaged on purpose.\n`);
}

try {
  await ready(Date.now() + 60_000);
  await feed();
  process.stdout.write(
    [
      '',
      `Dashboard:        ${api}/dashboard/`,
      `Dataset status:   npx reflow datasets status     (or: curl ${api}/reflow/v1/datasets)`,
      `Alerts:           npx reflow alerts`,
      `Change the transform in examples/karli/reflow.config.ts, then: npx reflow plan && npx reflow apply`,
      'Ctrl-C stops Reflow.',
      '',
    ].join('\n'),
  );
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  child.kill('SIGTERM');
  process.exitCode = 1;
}
