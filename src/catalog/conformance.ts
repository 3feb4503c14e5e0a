/**
 * The one conformance suite every Catalog adapter runs: the consistency rules (stale items block publishing,
 * failed data stays out, deletes leave the next version, versions never change once published), idempotent
 * upserts, lineage both ways. Cases an adapter cannot support are skipped by name with a reason.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Catalog } from './port.js';
import type { ObjectVersionRef, RawObjectEvent } from './types.js';

export interface CatalogHarness {
  /** A fresh, empty catalog on its own storage. */
  open(): Promise<Catalog>;
  /** Closes `catalog` and opens the same storage again. */
  reopen(catalog: Catalog): Promise<Catalog>;
  skip?: Record<string, string>;
}

const DS = 'drives';
let sequence = 0;

function created(key: string, versionId = `v${++sequence}`, extra: Partial<RawObjectEvent> = {}): RawObjectEvent {
  return { bucket: 'raw', key, versionId, sequencer: (++sequence).toString(16).padStart(16, '0'), kind: 'created', timeMs: Date.now(), ...extra };
}

const ref = (e: RawObjectEvent): ObjectVersionRef => ({ bucket: e.bucket, key: e.key, versionId: e.versionId });

async function pass(catalog: Catalog, e: RawObjectEvent, specHash = 's1', passed = true) {
  await catalog.putQualityReport({ dataset: DS, object: ref(e), specHash, passed, reasons: passed ? [] : ['bad'], report: { rows: 1 }, timeMs: 1 });
}

async function build(catalog: Catalog, e: RawObjectEvent, transformVersion = 't1', split = 'train') {
  return catalog.recordItem({
    dataset: DS,
    object: ref(e),
    transformVersion,
    specHash: 's1',
    outputs: [{ bucket: 'datasets', key: `${DS}/${transformVersion}/${e.key}`, sha256: 'ab'.repeat(32), size: 10 }],
    split,
    groupKey: e.key.split('/')[0]!,
    builtMs: 1,
  });
}

/** Uploads, checks and builds one version: what the pipeline does for one accepted upload. */
async function ingest(catalog: Catalog, e: RawObjectEvent, transformVersion = 't1') {
  await catalog.recordObjectEvent(DS, e);
  await pass(catalog, e);
  return build(catalog, e, transformVersion);
}

const keysOf = async (catalog: Catalog, version: number) => (await catalog.manifest(DS, version)).map((m) => `${m.object.key}@${m.object.versionId}:${m.transformVersion}`);

export function runCatalogConformance(name: string, harness: CatalogHarness): void {
  const skip = harness.skip ?? {};
  const it = (title: string, body: (catalog: Catalog) => Promise<void>) =>
    test(title, skip[title] ? { skip: skip[title] } : {}, async () => {
      const catalog = await harness.open();
      try {
        await body(catalog);
      } finally {
        await catalog.close();
      }
    });

  describe(`catalog conformance: ${name}`, () => {
    it('each built item publishes the next version; versions never change', async (catalog) => {
      await catalog.setPipeline(DS, { transformVersion: 't1', specHash: 's1' });
      const a = created('a/1.csv');
      await ingest(catalog, a);
      const v1 = await catalog.publishIfConsistent(DS);
      assert.equal(v1?.version, 1);
      assert.equal(v1?.items, 1);
      assert.deepEqual(v1?.splits, { train: 1 });
      assert.equal(await catalog.publishIfConsistent(DS), undefined, 'nothing changed: no new version');
      const b = created('b/1.csv');
      await ingest(catalog, b);
      const v2 = await catalog.publishIfConsistent(DS);
      assert.equal(v2?.version, 2);
      assert.equal(v2?.added, 1);
      assert.deepEqual(await keysOf(catalog, 1), [`a/1.csv@${a.versionId}:t1`]);
      assert.deepEqual(await keysOf(catalog, 2), [`a/1.csv@${a.versionId}:t1`, `b/1.csv@${b.versionId}:t1`]);
    });

    it('a new transform version makes every key stale and nothing publishes until all are rebuilt', async (catalog) => {
      await catalog.setPipeline(DS, { transformVersion: 't1', specHash: 's1' });
      const events = [created('a/1.csv'), created('b/1.csv'), created('c/1.csv')];
      for (const e of events) await ingest(catalog, e);
      await catalog.publishIfConsistent(DS);
      const { stale } = await catalog.setPipeline(DS, { transformVersion: 't2', specHash: 's1' });
      assert.equal(stale, 3);
      await build(catalog, events[0]!, 't2');
      await build(catalog, events[1]!, 't2');
      assert.equal(await catalog.publishIfConsistent(DS), undefined, 'one key still stale');
      const status = await catalog.status(DS);
      assert.equal(status.stale, 1);
      assert.equal(status.currentVersion, 1);
      assert.deepEqual(status.itemsByTransformVersion, { t1: 3, t2: 2 });
      await build(catalog, events[2]!, 't2');
      const v2 = await catalog.publishIfConsistent(DS);
      assert.equal(v2?.transformVersion, 't2');
      assert.equal(v2?.items, 3);
      assert.equal(v2?.added, 3);
      assert.equal(v2?.removed, 3);
      assert.ok((await keysOf(catalog, 2)).every((k) => k.endsWith(':t2')));
      assert.ok((await keysOf(catalog, 1)).every((k) => k.endsWith(':t1')), 'v1 still reads as it was');
    });

    it('an upload during a rebuild goes into the new version; a new key does not block it', async (catalog) => {
      await catalog.setPipeline(DS, { transformVersion: 't1', specHash: 's1' });
      const a = created('a/1.csv');
      await ingest(catalog, a);
      await catalog.publishIfConsistent(DS);
      await catalog.setPipeline(DS, { transformVersion: 't2', specHash: 's1' });
      const late = created('z/new.csv');
      await catalog.recordObjectEvent(DS, late);
      await pass(catalog, late);
      await build(catalog, a, 't2');
      const v2 = await catalog.publishIfConsistent(DS);
      assert.deepEqual(await keysOf(catalog, v2!.version), [`a/1.csv@${a.versionId}:t2`], 'the new key, still in flight, is not waited for');
      await build(catalog, late, 't2');
      const v3 = await catalog.publishIfConsistent(DS);
      assert.equal(v3?.items, 2);
    });

    it('failed data never enters; a failing new version keeps the last valid one', async (catalog) => {
      await catalog.setPipeline(DS, { transformVersion: 't1', specHash: 's1' });
      const bad = created('bad.csv');
      await catalog.recordObjectEvent(DS, bad);
      await pass(catalog, bad, 's1', false);
      assert.equal(await catalog.publishIfConsistent(DS), undefined);
      const good = created('k.csv');
      await ingest(catalog, good);
      await catalog.publishIfConsistent(DS);
      const broken = created('k.csv');
      await catalog.recordObjectEvent(DS, broken);
      await pass(catalog, broken, 's1', false);
      assert.equal(await catalog.publishIfConsistent(DS), undefined, 'the failing version changes nothing');
      const status = await catalog.status(DS);
      assert.equal(status.rejected, 2);
      assert.deepEqual(await keysOf(catalog, 1), [`k.csv@${good.versionId}:t1`]);
    });

    it('a newer version replaces the older item; an older item stands in while the newer one is in flight', async (catalog) => {
      await catalog.setPipeline(DS, { transformVersion: 't1', specHash: 's1' });
      const v1 = created('k.csv');
      await ingest(catalog, v1);
      await catalog.publishIfConsistent(DS);
      const v2 = created('k.csv');
      await catalog.recordObjectEvent(DS, v2);
      assert.equal((await catalog.status(DS)).pending, 1);
      assert.equal(await catalog.publishIfConsistent(DS), undefined, 'in flight: nothing to publish');
      await pass(catalog, v2);
      await build(catalog, v2);
      const next = await catalog.publishIfConsistent(DS);
      assert.equal(next?.added, 1);
      assert.equal(next?.removed, 1);
      assert.deepEqual(await keysOf(catalog, next!.version), [`k.csv@${v2.versionId}:t1`]);
      assert.equal(await catalog.isSuperseded(DS, ref(v1)), true);
      assert.equal(await catalog.isSuperseded(DS, ref(v2)), false);
    });

    it('a deleted raw object leaves the next version; deleting the marker brings it back', async (catalog) => {
      await catalog.setPipeline(DS, { transformVersion: 't1', specHash: 's1' });
      const a = created('a.csv');
      const b = created('b.csv');
      await ingest(catalog, a);
      await ingest(catalog, b);
      await catalog.publishIfConsistent(DS);
      const marker = created('a.csv', undefined, { kind: 'marker' });
      await catalog.recordObjectEvent(DS, marker);
      assert.equal(await catalog.isSuperseded(DS, ref(a)), true);
      const v2 = await catalog.publishIfConsistent(DS);
      assert.equal(v2?.removed, 1);
      assert.deepEqual(await keysOf(catalog, 2), [`b.csv@${b.versionId}:t1`]);
      await catalog.recordObjectEvent(DS, { ...marker, kind: 'purged' });
      const v3 = await catalog.publishIfConsistent(DS);
      assert.equal(v3?.items, 2, 'the marker was permanently deleted: a.csv is back');
    });

    it('a transform that failed for good blocks a rebuild instead of leaving a partial version', async (catalog) => {
      await catalog.setPipeline(DS, { transformVersion: 't1', specHash: 's1' });
      const a = created('a.csv');
      const b = created('b.csv');
      await ingest(catalog, a);
      await ingest(catalog, b);
      await catalog.publishIfConsistent(DS);
      await catalog.setPipeline(DS, { transformVersion: 't2', specHash: 's1' });
      await build(catalog, a, 't2');
      await catalog.recordBuildFailure(DS, ref(b), 't2', 'exit code 3');
      assert.equal(await catalog.publishIfConsistent(DS), undefined);
      assert.equal((await catalog.status(DS)).stale, 1);
      await catalog.setPipeline(DS, { transformVersion: 't3', specHash: 's1' });
      await build(catalog, a, 't3');
      await build(catalog, b, 't3');
      assert.equal((await catalog.publishIfConsistent(DS))?.transformVersion, 't3');
    });

    it('new checks make every key stale until its report under them exists', async (catalog) => {
      await catalog.setPipeline(DS, { transformVersion: 't1', specHash: 's1' });
      const a = created('a.csv');
      const b = created('b.csv');
      await ingest(catalog, a);
      await ingest(catalog, b);
      await catalog.publishIfConsistent(DS);
      await catalog.setPipeline(DS, { transformVersion: 't1', specHash: 's2' });
      assert.equal((await catalog.status(DS)).stale, 2);
      await pass(catalog, a, 's2', true);
      assert.equal(await catalog.publishIfConsistent(DS), undefined);
      await pass(catalog, b, 's2', false);
      const v2 = await catalog.publishIfConsistent(DS);
      assert.equal(v2?.items, 1, 'b fails the new checks and leaves');
      assert.equal(v2?.specHash, 's2');
    });

    it('upserts are idempotent: repeated events, reports and items change nothing', async (catalog) => {
      await catalog.setPipeline(DS, { transformVersion: 't1', specHash: 's1' });
      const a = created('a.csv');
      assert.deepEqual(await catalog.recordObjectEvent(DS, a), { recorded: true });
      assert.deepEqual(await catalog.recordObjectEvent(DS, a), { recorded: false });
      await pass(catalog, a);
      await pass(catalog, a);
      const first = await build(catalog, a);
      const again = await build(catalog, a, 't1', 'test');
      assert.equal(again.itemId, first.itemId);
      assert.equal(again.split, 'train', 'the first record wins');
      await catalog.publishIfConsistent(DS);
      assert.equal((await catalog.manifest(DS, 1)).length, 1);
      const alert = { dataset: DS, kind: 'quality-failed' as const, object: ref(a), reasons: ['x'], timeMs: 1 };
      assert.equal((await catalog.recordAlert(alert)).created, true);
      assert.equal((await catalog.recordAlert(alert)).created, false);
      assert.equal((await catalog.listAlerts({ dataset: DS })).length, 1);
    });

    it('lineage answers both ways', async (catalog) => {
      await catalog.setPipeline(DS, { transformVersion: 't1', specHash: 's1' });
      const a = created('a.csv', undefined, { contributor: 'fleet-north' });
      await ingest(catalog, a);
      await catalog.publishIfConsistent(DS);
      await catalog.setPipeline(DS, { transformVersion: 't2', specHash: 's1' });
      await build(catalog, a, 't2');
      await catalog.publishIfConsistent(DS);
      const down = await catalog.lineageOfObject(ref(a));
      assert.equal(down?.reports.length, 1);
      assert.deepEqual(
        down?.items.map((i) => [i.transformVersion, i.inVersions]),
        [
          ['t1', [{ from: 1, to: 2 }]],
          ['t2', [{ from: 2 }]],
        ],
      );
      const up = await catalog.lineageOfVersion(DS, 2);
      assert.deepEqual(up?.transformVersions, { t2: 1 });
      assert.equal(up?.entries[0]?.contributor, 'fleet-north');
      assert.equal(await catalog.lineageOfObject({ bucket: 'raw', key: 'nope', versionId: 'x' }), undefined);
    });

    it('writes about an unknown object version are refused with NotFound and change nothing', async (catalog) => {
      await catalog.setPipeline(DS, { transformVersion: 't1', specHash: 's1' });
      const ghost = { bucket: 'raw', key: 'ghost.csv', versionId: 'v0' };
      await assert.rejects(
        catalog.putQualityReport({ dataset: DS, object: ghost, specHash: 's1', passed: true, reasons: [], report: {}, timeMs: 1 }),
        (err: { code?: string; field?: string }) => err.code === 'NotFound' && err.field === 'object',
      );
      await assert.rejects(build(catalog, { ...created('ghost.csv'), versionId: 'v0' }), (err: { code?: string }) => err.code === 'NotFound');
      assert.equal((await catalog.status(DS)).keys, 0);
    });

    it('runs, rebuilds and the applied project survive a reopen', async (catalog) => {
      await catalog.setPipeline(DS, { transformVersion: 't1', specHash: 's1' });
      const a = created('a.csv');
      await ingest(catalog, a);
      await catalog.recordRunStep({ runId: 'r1', dataset: DS, object: ref(a), transformVersion: 't1' }, { name: 'quality', startMs: 1, endMs: 3 });
      await catalog.recordRunStep({ runId: 'r1', dataset: DS, object: ref(a), status: 'succeeded' }, { name: 'transform', startMs: 3, endMs: 9 });
      const rebuild = await catalog.startRebuild({ dataset: DS, toTransformVersion: 't2', specHash: 's1', staleAtStart: 1 });
      await catalog.updateRebuild(rebuild.id, { replayName: 'rebuild-1' });
      await catalog.setAppliedProject({ name: 'p', hash: 'h' });
      const reopened = await harness.reopen(catalog);
      try {
        const run = await reopened.getRun('r1');
        assert.equal(run?.status, 'succeeded');
        assert.deepEqual(Object.keys(run?.steps ?? {}), ['quality', 'transform']);
        assert.equal((await reopened.getRebuild(DS))?.replayName, 'rebuild-1');
        assert.equal((await reopened.getRebuild(DS))?.state, 'RUNNING');
        assert.deepEqual(await reopened.getAppliedProject(), { name: 'p', hash: 'h' });
        assert.deepEqual(await reopened.getPipeline(DS), { transformVersion: 't1', specHash: 's1' });
      } finally {
        await reopened.close();
      }
    });
  });
}
