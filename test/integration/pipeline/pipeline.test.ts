/**
 * The pipeline over the real embedded platform: stages routed by rules, quality failures kept out with an alert,
 * transforms that crash, hang or write nothing, external commands, deletes, lineage both ways, plan/apply.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyTransform, goodCsv, putText, quiet, readText, simpleConfig, withProject } from '../../helpers/project.js';

test('an upload flows extract → transform → load through rules, and lineage answers both ways', { timeout: 60_000 }, async () => {
  await withProject({ 'copy.ts': copyTransform('v1') }, simpleConfig(`{ name: 'copy', version: 1, module: 'copy.ts' }`), async (reflow) => {
    const rules = (await reflow.bus.listRules({ NamePrefix: 'reflow-' })).Rules.map((r) => r.Name).sort();
    assert.deepEqual(rules, ['reflow-items-extract', 'reflow-items-forget', 'reflow-items-load', 'reflow-items-transform', 'reflow-test-monitoring']);
    const put = await putText(reflow, 'raw', 'in/alice/a.csv', goodCsv(3));
    await putText(reflow, 'raw', 'in/bob/b.csv', goodCsv(4));
    await quiet(reflow);
    const { version, entries } = await reflow.pipeline!.manifest('items');
    assert.equal(version.items, 2);
    assert.deepEqual(entries.map((e) => e.object.key), ['in/alice/a.csv', 'in/bob/b.csv']);
    assert.deepEqual(entries.map((e) => e.groupKey), ['alice', 'bob']);
    const output = entries[0]!.outputs[0]!;
    assert.equal(output.bucket, 'out');
    assert.match(output.key, /^items\/1\+[0-9a-f]{8}\/in\/alice\/a\.csv\/out\.csv$/);
    assert.equal(await readText(reflow, output.bucket, output.key), `${goodCsv(3)}# v1\n`);

    const down = await reflow.pipeline!.lineageOfObject({ bucket: 'raw', key: 'in/alice/a.csv', versionId: put.versionId });
    assert.equal(down.object.contributor, 'alice');
    assert.equal(down.reports[0]?.passed, true);
    assert.deepEqual(down.items.map((i) => i.inVersions.map((r) => r.to ?? 'open')), [['open']]);
    const up = await reflow.pipeline!.lineageOfVersion('items', version.version);
    assert.deepEqual(Object.values(up.transformVersions), [2]);
    const runs = await reflow.pipeline!.runs('items', { status: 'succeeded' });
    assert.equal(runs.length, 2);
    for (const run of runs) assert.deepEqual(Object.keys(run.steps).sort(), ['load', 'quality', 'transform']);
  });
});

test('failed data never enters; the alert names contributor, version and reason; a delete leaves the next version', { timeout: 60_000 }, async () => {
  await withProject({ 'copy.ts': copyTransform('v1') }, simpleConfig(`{ name: 'copy', version: 1, module: 'copy.ts' }`), async (reflow) => {
    await putText(reflow, 'raw', 'in/alice/good.csv', goodCsv(3));
    const bad = await putText(reflow, 'raw', 'in/bob/bad.csv', goodCsv(3, 500));
    await putText(reflow, 'raw', 'in/carol/short.csv', 'id,value\n1\n');
    await quiet(reflow);
    assert.equal((await reflow.catalog.getVersion('items'))?.items, 1);
    const alerts = await reflow.pipeline!.alerts({ dataset: 'items' });
    const bob = alerts.find((a) => a.object.key === 'in/bob/bad.csv')!;
    assert.equal(bob.contributor, 'bob');
    assert.equal(bob.object.versionId, bad.versionId);
    assert.match(bob.reasons.join(), /value/);
    assert.ok(alerts.some((a) => a.object.key === 'in/carol/short.csv' && a.contributor === 'carol'));
    const status = await reflow.pipeline!.dataset('items');
    assert.equal(status.rejected, 2);

    // A fixed re-upload of bob's file joins; deleting alice's leaves the next version.
    await putText(reflow, 'raw', 'in/bob/bad.csv', goodCsv(3, 50));
    await quiet(reflow);
    assert.deepEqual((await reflow.pipeline!.manifest('items')).entries.map((e) => e.object.key), ['in/alice/good.csv', 'in/bob/bad.csv']);
    const before = (await reflow.catalog.getVersion('items'))!;
    await reflow.store.deleteObject('raw', 'in/alice/good.csv');
    await quiet(reflow);
    const after = (await reflow.catalog.getVersion('items'))!;
    assert.equal(after.version, before.version + 1);
    assert.equal(after.removed, 1);
    assert.deepEqual((await reflow.pipeline!.manifest('items')).entries.map((e) => e.object.key), ['in/bob/bad.csv']);
    assert.deepEqual((await reflow.pipeline!.manifest('items', before.version)).entries.length, 2, 'the older version still reads as it was');
  });
});

test('a transform that crashes or writes nothing: a clear error in the run log and alert, no partial dataset version', { timeout: 90_000 }, async () => {
  await withProject({
    'copy.ts': copyTransform('v1'),
    'crash.ts': `export default async function (job: { inputs: string[] }) { if (job.inputs[0]!.includes('crash') || process.env.X !== 'never') throw new Error('boom: cannot parse the recording'); }`,
    'nothing.ts': `export default async function () { /* writes nothing */ }`,
  }, simpleConfig(`{ name: 'copy', version: 1, module: 'copy.ts' }`), async (reflow, project) => {
    await putText(reflow, 'raw', 'in/a/1.csv', goodCsv(2));
    await putText(reflow, 'raw', 'in/b/2.csv', goodCsv(2));
    await quiet(reflow);
    const v1 = (await reflow.catalog.getVersion('items'))!;
    assert.equal(v1.items, 2);

    // A new transform that crashes on everything: the rebuild cannot complete, readers keep v1.
    project.config(simpleConfig(`{ name: 'crash', version: 2, module: 'crash.ts', retries: 1 }`));
    const applied = await reflow.pipeline!.apply();
    assert.equal(applied.rebuilds.length, 1);
    await quiet(reflow, 60_000);
    await waitFor(async () => (await reflow.pipeline!.dataset('items')).rebuild?.state === 'FAILED', 'the rebuild to fail');
    const status = await reflow.pipeline!.dataset('items');
    assert.equal(status.currentVersion, v1.version, 'no partial version was published');
    assert.equal(status.stale, 2);
    assert.match(status.rebuild!.reason!, /2 item\(s\) could not be rebuilt/);
    const dead = await reflow.pipeline!.deadTransforms();
    assert.equal(dead.length, 2);
    for (const d of dead) {
      assert.equal(d.attempts, 2);
      assert.match(d.error, /^TransformFailed: .*boom: cannot parse the recording/);
      assert.match(d.log, /boom/);
    }
    const failedRuns = await reflow.pipeline!.runs('items', { status: 'failed' });
    assert.equal(failedRuns.length, 2);
    assert.match(failedRuns[0]!.error!, /boom/);
    assert.ok((await reflow.pipeline!.alerts({ dataset: 'items' })).some((a) => a.kind === 'transform-failed' && /boom/.test(a.reasons.join())));

    // A transform that writes nothing fails the same way, with its own code.
    project.config(simpleConfig(`{ name: 'nothing', version: 3, module: 'nothing.ts', retries: 0 }`));
    await reflow.pipeline!.apply();
    await quiet(reflow, 60_000);
    await waitFor(async () => (await reflow.pipeline!.dataset('items')).rebuild?.state === 'FAILED', 'the second rebuild to fail');
    assert.ok((await reflow.pipeline!.deadTransforms()).some((d) => /^TransformWroteNothing/.test(d.error)));
    assert.equal((await reflow.catalog.getVersion('items'))!.version, v1.version);

    // Back to a working transform: the dataset rebuilds and moves on.
    project.config(simpleConfig(`{ name: 'copy', version: 4, module: 'copy.ts' }`));
    await reflow.pipeline!.apply();
    await quiet(reflow);
    await waitFor(async () => (await reflow.pipeline!.dataset('items')).rebuild?.state === 'COMPLETED', 'the third rebuild to complete');
    const v2 = (await reflow.catalog.getVersion('items'))!;
    assert.equal(v2.version, v1.version + 1);
    assert.match(v2.transformVersion, /^4\+/);
  });
});

test('a hanging transform keeps running without a timeout and is stopped by one when the project sets it', { timeout: 90_000 }, async () => {
  await withProject({
    'copy.ts': copyTransform('v1'),
    'hang.ts': `export default async function (job: { inputs: string[]; outputDir: string }) {
      const { writeFile } = await import('node:fs/promises');
      if (job.inputs[0]!.endsWith('.csv')) await new Promise(() => undefined);
      await writeFile(job.outputDir + '/never.txt', 'x');
    }`,
  }, simpleConfig(`{ name: 'hang', version: 1, module: 'hang.ts' }`), async (reflow, project) => {
    await putText(reflow, 'raw', 'in/a/1.csv', goodCsv(2));
    await reflow.store.flushEvents();
    await reflow.bus.drain(10_000);
    await waitFor(async () => ((await reflow.pipeline!.stats()).queue.running ?? 0) === 1, 'the job to run');
    // Long enough for any default limit to have struck; there is none.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal((await reflow.pipeline!.stats()).queue.running, 1, 'still running: no time limit by default');
    assert.equal(await reflow.catalog.getVersion('items'), undefined);

    project.config(simpleConfig(`{ name: 'hang', version: 2, module: 'hang.ts', timeout: '1s', retries: 0 }`));
    await reflow.pipeline!.apply();
    await putText(reflow, 'raw', 'in/b/2.csv', goodCsv(2));
    await waitFor(async () => (await reflow.pipeline!.deadTransforms()).some((d) => /^TransformTimedOut/.test(d.error)), 'the timeout to strike');
    assert.equal(await reflow.catalog.getVersion('items'), undefined, 'no version from a transform that never finished');
  });
});

test('new checks rebuild the dataset: data that fails them leaves the next version, readers keep the old one meanwhile', { timeout: 60_000 }, async () => {
  await withProject({ 'copy.ts': copyTransform('v1') }, simpleConfig(`{ name: 'copy', version: 1, module: 'copy.ts' }`), async (reflow, project) => {
    await putText(reflow, 'raw', 'in/a/low.csv', goodCsv(2, 3));
    await putText(reflow, 'raw', 'in/b/high.csv', goodCsv(2, 50));
    await quiet(reflow);
    const before = (await reflow.catalog.getVersion('items'))!;
    assert.equal(before.items, 2);
    project.config(simpleConfig(`{ name: 'copy', version: 1, module: 'copy.ts' }`, '', 10));
    assert.match((await reflow.pipeline!.plan()).text, /checks of dataset `items` \w{8} → \w{8}: 2 items of dataset `items` will be rebuilt/);
    const applied = await reflow.pipeline!.apply();
    assert.equal(applied.rebuilds.length, 1);
    await quiet(reflow);
    const after = (await reflow.catalog.getVersion('items'))!;
    assert.equal(after.version, before.version + 1, 'one switch');
    assert.deepEqual((await reflow.pipeline!.manifest('items')).entries.map((e) => e.object.key), ['in/a/low.csv']);
    assert.equal((await reflow.pipeline!.manifest('items', before.version)).entries.length, 2);
    assert.ok((await reflow.pipeline!.alerts({ dataset: 'items' })).some((a) => a.object.key === 'in/b/high.csv' && /outside/.test(a.reasons.join())));
  });
});

test('an external command in another language is a transform too', { timeout: 60_000 }, async () => {
  await withProject({
    'upper.py': [
      'import argparse, json, os, sys',
      'p = argparse.ArgumentParser(); p.add_argument("--input", action="append"); p.add_argument("--output"); p.add_argument("--params")',
      'a = p.parse_args()',
      'text = open(a.input[0]).read()',
      'open(os.path.join(a.output, "upper.csv"), "w").write(text.upper())',
      'print("wrote", len(text), "characters", json.loads(a.params))',
    ].join('\n'),
  }, simpleConfig(`{ name: 'upper', version: 1, command: ['python3', 'upper.py'], params: { mode: 'upper' } }`), async (reflow) => {
    await putText(reflow, 'raw', 'in/a/1.csv', goodCsv(2));
    await quiet(reflow);
    const { entries } = await reflow.pipeline!.manifest('items');
    const out = entries[0]!.outputs[0]!;
    assert.match(out.key, /\/upper\.csv$/);
    assert.equal(await readText(reflow, out.bucket, out.key), goodCsv(2).toUpperCase());
  });
});

test('plan shows what differs; an invalid definition is refused before anything changes', { timeout: 60_000 }, async () => {
  await withProject({ 'copy.ts': copyTransform('v1') }, simpleConfig(`{ name: 'copy', version: 1, module: 'copy.ts' }`), async (reflow, project) => {
    assert.match((await reflow.pipeline!.plan()).text, /No changes/);
    project.config(simpleConfig(`{ name: 'copy', version: 1, module: 'copy.ts' }`, `rules: { audit: { pattern: { source: ['reflow.datasets'] }, targets: [{ id: 'hook', arn: 'http://127.0.0.1:9/hook' }] } },`));
    const plan = await reflow.pipeline!.plan();
    assert.match(plan.text, /\+ rule audit/);
    await reflow.pipeline!.apply();
    assert.ok(await reflow.bus.describeRule({ Name: 'audit' }));

    const rulesBefore = (await reflow.bus.listRules({})).Rules.map((r) => `${r.Name}:${r.EventPattern}`).sort();
    const pipelineBefore = await reflow.catalog.getPipeline('items');
    project.config(simpleConfig(`{ name: 'copy', version: 2, module: 'missing.ts' }`, `rules: { audit2: { pattern: { source: [{ prefix: 1 }] }, targets: [] } },`));
    await assert.rejects(reflow.pipeline!.apply(), (err: { code?: string; field?: string }) => {
      assert.equal(err.code, 'InvalidConfiguration');
      assert.equal(err.field, 'datasets.items.transform.module');
      return true;
    });
    project.config(simpleConfig(`{ name: 'copy', version: 2, module: 'copy.ts' }`, `rules: { audit2: { pattern: { source: [{ prefix: 1 }] }, targets: [{ id: 'x', arn: 'http://127.0.0.1:9/' }] } },`));
    await assert.rejects(reflow.pipeline!.plan(), (err: { code?: string; field?: string }) => err.code === 'InvalidConfiguration' && /^rules\.audit2\.pattern/.test(err.field ?? ''));
    assert.deepEqual((await reflow.bus.listRules({})).Rules.map((r) => `${r.Name}:${r.EventPattern}`).sort(), rulesBefore);
    assert.deepEqual(await reflow.catalog.getPipeline('items'), pipelineBefore);

    // Removing the custom rule from the project removes it on apply.
    project.config(simpleConfig(`{ name: 'copy', version: 1, module: 'copy.ts' }`));
    assert.match((await reflow.pipeline!.plan()).text, /- rule audit: no longer in the project/);
    await reflow.pipeline!.apply();
    await assert.rejects(reflow.bus.describeRule({ Name: 'audit' }), (err: { code?: string }) => err.code === 'ResourceNotFoundException');
  });
});

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('many uploads at once: the stages take them together, but at most two quality checks run at a time', { timeout: 60_000 }, async () => {
  const config = simpleConfig(`{ name: 'copy', version: 1, module: 'copy.ts' }`).replace(
    /quality: \{[^\n]*\n/,
    `quality: { format: 'csv', checks: [{ type: 'custom', name: 'slow', check: async () => {
          const g = globalThis as unknown as { checking?: number; most?: number };
          g.checking = (g.checking ?? 0) + 1;
          g.most = Math.max(g.most ?? 0, g.checking);
          await new Promise((r) => setTimeout(r, 30));
          g.checking--;
          return { passed: true };
        } }] },
`,
  );
  assert.match(config, /name: 'slow'/);
  await withProject({ 'copy.ts': copyTransform('v1') }, config, async (reflow) => {
    const g = globalThis as unknown as { checking?: number; most?: number };
    g.most = 0;
    await Promise.all(Array.from({ length: 8 }, (_, i) => putText(reflow, 'raw', `in/c${i}/r.csv`, goodCsv(2))));
    await quiet(reflow);
    assert.equal((await reflow.pipeline!.manifest('items')).entries.length, 8);
    assert.equal(g.most, 2, 'two checks ran side by side, never more');
  });
});
