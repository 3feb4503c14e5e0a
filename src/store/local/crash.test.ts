/**
 * Small objects (stored inline, committed in shared transactions, answered after one shared WAL fsync) under
 * SIGKILL: a child process writes from 24 concurrent loops and is killed at several points. After each kill the
 * store, reopened on the same directory, must show every acknowledged version whole (unless the child itself
 * deleted it), nothing torn (each visible version's bytes hash to its ETag), exactly one Object Created event per
 * visible version and none for any other, and blob reference counts that match the versions naming them.
 * (test/integration/store/crash.test.ts kills a whole `reflow up` during large and multipart uploads.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteEventBus } from '../../bus/sqlite/index.js';
import type { EventEnvelope } from '../../bus/types.js';
import { readAll } from '../conformance.js';
import { FsObjectStore } from './fs-object-store.js';

const WRITER = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './testing/crash-writer.ts' : './testing/crash-writer.js', import.meta.url));
/** Acknowledged PUTs before each kill: early (first group commits), then later, once WAL checkpoints have run. */
const KILL_AFTER = [40, 400, 1500];

interface Ack {
  key: string;
  versionId: string;
  md5: string;
}

/** Runs the writer until it has acknowledged `count` PUTs, then SIGKILLs it mid-flight. */
function runAndKill(dir: string, count: number, deleting: Set<string>): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, WRITER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acks: Ack[] = [];
    let buffered = '';
    let stderr = '';
    let killed = false;
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      buffered += c.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [tag, key, versionId, md5] = line.split(' ');
        if (tag === 'ACK' && !killed) acks.push({ key: key!, versionId: versionId!, md5: md5! });
        if (tag === 'DELETING') deleting.add(`${key}@${versionId}`);
        if (acks.length >= count && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`the writer exited (${code}) before it was killed: ${stderr}`));
    });
  });
}

async function busEvents(bus: SqliteEventBus): Promise<EventEnvelope[]> {
  await bus.putEvents({ Entries: [{ Source: 'test.sentinel', DetailType: 'End', Detail: '{}' }] });
  const out: EventEnvelope[] = [];
  for await (const item of bus.tail({ After: 0 })) {
    if (item.Event.source === 'test.sentinel') break;
    out.push(item.Event);
  }
  return out;
}

test('local: SIGKILL during many concurrent small PUTs loses nothing acknowledged and tears nothing', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reflow-store-crash-'));
  try {
    const acked: Ack[] = [];
    const deleting = new Set<string>();
    for (const count of KILL_AFTER) acked.push(...(await runAndKill(dir, count, deleting)));
    const bus = SqliteEventBus.open({ path: join(dir, 'bus.db') });
    const store = await FsObjectStore.open({ dir: join(dir, 'store'), bus });
    try {
      const versions = [];
      let page = await store.listObjectVersions('crash');
      versions.push(...page.versions);
      while (page.isTruncated) {
        page = await store.listObjectVersions('crash', { keyMarker: page.nextKeyMarker!, versionIdMarker: page.nextVersionIdMarker! });
        versions.push(...page.versions);
      }
      const visible = new Map(versions.map((v) => [`${v.key}@${v.versionId}`, v]));
      // Acknowledged: there, whole, unless the writer itself started to delete that version (every ninth PUT).
      for (const a of acked) {
        const id = `${a.key}@${a.versionId}`;
        const v = visible.get(id);
        if (!v) {
          assert.ok(deleting.has(id), `${id} was acknowledged and is gone`);
          continue;
        }
        assert.equal(v.etag, `"${a.md5}"`, `${id}: the acknowledged bytes`);
      }
      // Nothing torn: every visible version's bytes hash to its ETag.
      const refs = new Map<string, number>();
      for (const v of versions) {
        const got = await store.getObject('crash', v.key, { versionId: v.versionId });
        const body = await readAll(got.body);
        assert.equal(`"${createHash('md5').update(body).digest('hex')}"`, v.etag, `${v.key}@${v.versionId}: bytes match the ETag`);
        refs.set(got.info.sha256, (refs.get(got.info.sha256) ?? 0) + 1);
      }
      // References: each blob counted once per version naming it; no blob row without one.
      assert.deepEqual(
        store.blobRefs().map((b) => [b.sha256, b.refs]),
        [...refs].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      );
      assert.deepEqual(store.blobFiles(), store.blobRefs().filter((b) => !b.inline).map((b) => b.sha256));
      // Exactly one Object Created per visible version, none for another; deletes were evented once each too.
      await store.flushEvents();
      const events = (await busEvents(bus)).filter((e) => e.source === 'aws.s3');
      const created = new Map<string, number>();
      for (const e of events.filter((x) => x['detail-type'] === 'Object Created')) {
        const o = (e.detail as { object: { key: string; 'version-id': string } }).object;
        created.set(`${o.key}@${o['version-id']}`, (created.get(`${o.key}@${o['version-id']}`) ?? 0) + 1);
      }
      const deleted = new Set(
        events
          .filter((x) => x['detail-type'] === 'Object Deleted')
          .map((e) => {
            const o = (e.detail as { object: { key: string; 'version-id': string } }).object;
            return `${o.key}@${o['version-id']}`;
          }),
      );
      for (const id of visible.keys()) assert.equal(created.get(id), 1, `one event for ${id}`);
      for (const [id, count] of created) {
        assert.equal(count, 1, `${id}: one Object Created`);
        assert.ok(visible.has(id) || deleted.has(id), `${id}: an event only for a version that exists (or whose deletion was evented)`);
      }
      console.log(`# ${acked.length} acknowledged, ${versions.length} visible, ${created.size} created events, ${deleted.size} deleted events, ${refs.size} blobs`);
    } finally {
      await store.close();
      await bus.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
