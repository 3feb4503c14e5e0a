/**
 * The composition root with the scale-out store: the pipeline runs unchanged over the S3 adapter, pointed at a
 * second, independent Reflow S3 endpoint (a real S3 wire protocol with SigV4, its own store and bus).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReflow } from '../../../src/compose.js';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, startEndpoint } from '../store/s3-endpoint.js';
import { copyTransform, goodCsv, putText, quiet, simpleConfig, testProject } from '../../helpers/project.js';

test('the pipeline over the S3 adapter: buckets, uploads and outputs live in the remote service', { timeout: 90_000 }, async () => {
  const backend = await startEndpoint();
  const project = testProject({ 'copy.ts': copyTransform('remote') });
  project.config(simpleConfig(`{ name: 'copy', version: 1, module: 'copy.ts' }`));
  const reflow = await createReflow({
    dataDir: project.dataDir,
    projectDir: project.dir,
    log: () => undefined,
    workers: { concurrency: 2 },
    store: { kind: 's3', endpoint: backend.url, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }, bucketPrefix: 'tenant-a-', scanIntervalMs: 0 },
  });
  try {
    assert.deepEqual((await backend.store.listBuckets()).map((b) => b.name).sort(), ['tenant-a-out', 'tenant-a-raw'], 'apply created the buckets remotely');
    assert.equal(await backend.store.getBucketVersioning('tenant-a-raw'), 'Enabled');
    await putText(reflow, 'raw', 'in/a/1.csv', goodCsv(3));
    await putText(reflow, 'raw', 'in/b/2.csv', goodCsv(3, 500));
    await quiet(reflow);
    const { version, entries } = await reflow.pipeline!.manifest('items');
    assert.equal(version.items, 1);
    const output = entries[0]!.outputs[0]!;
    const remote = await backend.store.getObject(`tenant-a-${output.bucket}`, output.key);
    let text = '';
    for await (const chunk of remote.body) text += chunk.toString();
    assert.equal(text, `${goodCsv(3)}# remote\n`);
    assert.equal((await reflow.pipeline!.alerts({ dataset: 'items' }))[0]?.object.key, 'in/b/2.csv');
  } finally {
    await reflow.close();
    await backend.close();
    project.remove();
  }
});
