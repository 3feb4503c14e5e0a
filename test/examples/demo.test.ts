/**
 * The KARLI demo scenario as a test (issue: "the demo scenario runs as a test"): a real embedded Reflow, uploads
 * through the S3 endpoint with the AWS SDK, a transform change rebuilt through the archive's replay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../examples/karli/demo.js';
import { buildRound } from '../../examples/karli/generator/index.js';

test('the KARLI scenario: round 1, transform v2 rebuild, round 2, a bad upload', { timeout: 240_000 }, async () => {
  const lines: string[] = [];
  const summary = await runDemo({ seed: 42, say: (line) => lines.push(line), workers: { concurrency: 2 } });

  // (A) exactly the files the generator damaged are rejected, each with a reason; the rest form the dataset.
  const damaged = buildRound({ seed: 42, round: 1 }).files.filter((f) => f.defects.length > 0).map((f) => f.key).sort();
  assert.equal(summary.a.uploads, 18);
  assert.deepEqual(summary.a.rejected.map((r) => r.key).sort(), damaged);
  for (const r of summary.a.rejected) {
    assert.ok(r.reasons.length > 0 && r.reasons.every((reason) => reason.length > 10), `a reason for ${r.key}`);
    assert.ok(r.contributor && r.key.includes(`/${r.contributor}/`), `the contributor of ${r.key}`);
  }
  assert.equal(summary.a.items, 18 - damaged.length);
  assert.match(summary.a.transformVersion, /^1\+[0-9a-f]{8}$/);

  // (B) the rebuild: readers keep the old version until one version switches every item to v2.
  assert.match(summary.b.plan, /transform `clean` 1\+\w{4} → 2\+\w{4}: 14 items of dataset `drives` will be rebuilt/);
  assert.equal(summary.b.rebuilt, summary.a.items);
  assert.equal(summary.b.versionDuringRebuild, summary.a.version);
  assert.equal(summary.b.rebuildState, 'COMPLETED');
  const switched = summary.versions.find((v) => v.version === summary.b.switchVersion)!;
  assert.match(switched.transformVersion, /^2\+/);
  assert.equal(switched.items, summary.a.items);
  assert.equal(switched.added, summary.a.items);
  assert.equal(switched.removed, summary.a.items);
  assert.deepEqual(summary.b.itemsPerTransformVersion, { [summary.a.transformVersion]: summary.a.items, [switched.transformVersion]: summary.a.items });
  for (const v of summary.versions) {
    assert.equal(/^2\+/.test(v.transformVersion), v.version >= summary.b.switchVersion, `version ${v.version} is of one generation`);
  }

  // (C) a new acquisition round joins the v2 generation.
  const damaged2 = buildRound({ seed: 42, round: 2 }).files.filter((f) => f.defects.length > 0).length;
  assert.equal(summary.c.rejected.length, damaged2);
  assert.equal(summary.c.items, summary.a.items + 18 - damaged2);
  assert.equal(summary.c.transformVersion, switched.transformVersion);

  // (D) a bad upload: an alert names file and reason; no new version.
  assert.equal(summary.d.contributor, 'sim-partner');
  assert.match(summary.d.reasons.join(' '), /speed_kmh: median .* outside/);
  assert.equal(summary.d.versionAfter, summary.d.versionBefore);

  assert.ok(lines.some((l) => l.startsWith('(D) a bad upload')), 'the narration reached the end');
});
