/**
 * The pipeline's commands against a real `reflow up --project` process: plan and apply, datasets status, manifest,
 * lineage both ways, alerts (also delivered to the project's webhook), runs, rebuild progress and cancel, and the
 * errors of bad arguments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CLI, runCli } from '../../helpers/cli.js';
import { HttpTargets } from '../../helpers/http-targets.js';
import { copyTransform, goodCsv, simpleConfig, testProject } from '../../helpers/project.js';

const CREDENTIALS = { accessKeyId: 'PIPELINECLIKEY000001', secretAccessKey: 'pipeline-cli-secret' };
const env = { REFLOW_ROOT_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, REFLOW_ROOT_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey };

test('reflow plan / apply / datasets / lineage / alerts / runs against reflow up --project', { timeout: 180_000 }, async () => {
  const hooks = await new HttpTargets().start();
  const project = testProject({
    'copy.ts': copyTransform('v1'),
    'slow.ts': `import { copyFile } from 'node:fs/promises';
      export default async function (job: { inputs: string[]; outputDir: string }) {
        await new Promise((r) => setTimeout(r, 3000));
        await copyFile(job.inputs[0]!, job.outputDir + '/out.csv');
      }`,
  });
  const config = (transform: string) => simpleConfig(transform, `alerts: { webhooks: ['${hooks.url('alerts')}'] },`);
  project.config(config(`{ name: 'copy', version: 1, module: 'copy.ts' }`));
  const child = spawn(process.execPath, [CLI, 'up', '--project', project.dir, '--data-dir', project.dataDir, '--port', '0', '--s3-port', '0'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const { api, s3Url } = await new Promise<{ api: string; s3Url: string }>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`reflow up did not start: ${out}`)), 60_000);
      child.stdout!.on('data', (d) => {
        out += d;
        const a = /Reflow API listening on (http:\/\/[\d.:]+)/.exec(out)?.[1];
        const s = /Reflow S3 endpoint listening on (http:\/\/[\d.:]+)/.exec(out)?.[1];
        if (a && s && /applied:/.test(out)) {
          clearTimeout(timer);
          resolve({ api: a, s3Url: s });
        }
      });
    });
    const reflow = (...args: string[]) => runCli([...args, '--endpoint', api], { env, timeoutMs: 60_000 });
    const s3 = new S3Client({ endpoint: s3Url, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED' });
    const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: 'raw', Key: key, Body: body }));

    const good = await put('in/alice/a.csv', goodCsv(3));
    await put('in/bob/b.csv', goodCsv(2));
    await put('in/carol/bad.csv', goodCsv(2, 900));
    const idle = await runCli(['datasets', 'status', 'items', '--json', '--endpoint', api], { env });
    assert.equal(idle.code, 0, idle.stderr);
    await waitIdle(api);

    const status = await reflow('datasets', 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /dataset items: version \d+ \(transform 1\+[0-9a-f]{8}\)/);
    assert.match(status.stdout, /keys 3: 0 stale, 0 pending, 1 rejected by checks/);

    const alerts = JSON.parse((await reflow('alerts', '--dataset', 'items')).stdout) as Array<{ object: { key: string }; contributor: string; reasons: string[] }>;
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.object.key, 'in/carol/bad.csv');
    assert.equal(alerts[0]!.contributor, 'carol');
    const [delivered] = await hooks.waitFor('alerts', 1, 20_000);
    const event = JSON.parse(delivered!) as { 'detail-type': string; detail: { object: { key: string }; reasons: string[] } };
    assert.equal(event['detail-type'], 'Quality Check Failed');
    assert.equal(event.detail.object.key, 'in/carol/bad.csv');
    assert.match(event.detail.reasons.join(), /value/);

    const manifest = JSON.parse((await reflow('datasets', 'manifest', 'items')).stdout) as { version: { version: number }; entries: Array<{ object: { key: string } }> };
    assert.deepEqual(manifest.entries.map((e) => e.object.key), ['in/alice/a.csv', 'in/bob/b.csv']);
    const up = JSON.parse((await reflow('lineage', `items@${manifest.version.version}`)).stdout) as { entries: unknown[] };
    assert.equal(up.entries.length, 2);
    const down = JSON.parse((await reflow('lineage', `s3://raw/in/alice/a.csv?versionId=${good.VersionId}`)).stdout) as { items: Array<{ inVersions: unknown[] }> };
    assert.equal(down.items.length, 1);
    const runs = JSON.parse((await reflow('runs', 'items', '--status', 'succeeded')).stdout) as unknown[];
    assert.equal(runs.length, 2);

    const plan = await reflow('plan');
    assert.match(plan.stdout, /No changes/);
    project.config(config(`{ name: 'slow', version: 2, module: 'slow.ts', retries: 0 }`));
    const planned = await reflow('plan');
    assert.match(planned.stdout, /transform `slow` 1\+\w{4} → 2\+\w{4}: 2 items of dataset `items` will be rebuilt/);
    const applied = await reflow('apply');
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /rebuild #1 of dataset items started: 2 items/);
    const cancelled = JSON.parse((await reflow('datasets', 'rebuild', 'items', '--cancel')).stdout) as { rebuild: { state: string } };
    assert.equal(cancelled.rebuild.state, 'CANCELLED');
    assert.equal(JSON.parse((await reflow('datasets', 'status', 'items', '--json')).stdout).currentVersion, manifest.version.version, 'readers keep the last consistent version');

    // Rebuilding again finishes what the cancelled rebuild left (jobs it had queued still ran), the progress bar draws
    // only on a terminal.
    const rebuilt = await reflow('datasets', 'rebuild', 'items', '--wait');
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    const answer = JSON.parse(rebuilt.stdout) as { state?: string; rebuild?: null };
    if (answer.rebuild === null) assert.match(rebuilt.stderr, /nothing is stale/);
    else assert.equal(answer.state, 'COMPLETED');
    await waitIdle(api);
    const after = JSON.parse((await reflow('datasets', 'status', 'items', '--json')).stdout) as { currentTransformVersion: string; stale: number };
    assert.match(after.currentTransformVersion, /^2\+/);
    assert.equal(after.stale, 0);

    // Bad arguments: a clear code, exit status 1 or 2.
    const badTarget = await reflow('lineage', 'nonsense');
    assert.equal(badTarget.code, 2);
    assert.match(badTarget.stderr, /^InvalidArgument: 'nonsense' is neither/);
    const unknown = await reflow('datasets', 'status', 'nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^NotFound: Dataset nope is not in the project/);
    const badStatus = await reflow('runs', 'items', '--status', 'weird');
    assert.match(badStatus.stderr, /^ValidationException: status must be one of/);
    project.config(config(`{ name: 'copy', version: 3, module: 'gone.ts' }`));
    const refused = await reflow('apply');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^InvalidConfiguration: datasets\.items\.transform\.module/);
    s3.destroy();
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await hooks.close();
    project.remove();
  }
});

async function waitIdle(api: string): Promise<void> {
  const result = await runCli(['datasets', 'status', '--json', '--endpoint', api], { env });
  assert.equal(result.code, 0, result.stderr);
  const { createClient } = await import('../../../src/client/index.js');
  await createClient({ endpoint: api, credentials: CREDENTIALS, maxAttempts: 1 }).pipeline.idle(60_000);
}
