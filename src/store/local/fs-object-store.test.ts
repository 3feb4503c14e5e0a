import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventBus } from '../../bus/sqlite/index.js';
import type { EventEnvelope } from '../../bus/types.js';
import { runObjectStoreConformance, bodyOf, generatedBody, readAll, md5Hex } from '../conformance.js';
import { FsObjectStore } from './fs-object-store.js';
import type { FsObjectStoreOptions } from './options.js';

const root = mkdtempSync(join(tmpdir(), 'reflow-fs-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A store and a real SQLite bus in a fresh directory. fsync stays on: it is the default and what ships. */
async function openFresh(extra: Partial<FsObjectStoreOptions> = {}) {
  const dir = join(root, `case-${n++}`);
  const bus = SqliteEventBus.open({ path: join(dir, 'bus.db'), retryBaseDelayMs: 2, maxRetryDelayMs: 10 });
  const store = await FsObjectStore.open({ dir: join(dir, 'store'), bus, ...extra });
  return { dir, bus, store };
}

const buses = new WeakMap<object, SqliteEventBus>();
runObjectStoreConformance('local (FsObjectStore)', {
  async open() {
    const { bus, store } = await openFresh();
    buses.set(store, bus);
    return { store, bus };
  },
  async close({ store }) {
    await store.close();
    await buses.get(store)?.close();
  },
  cleanup: false,
});

/** Events on the bus's log (read through the bus's own tail, from the start). */
async function busEvents(bus: SqliteEventBus, EventBusName = 'default'): Promise<EventEnvelope[]> {
  // A sentinel marks the end of what is there now; the tail follows the log from its first position.
  await bus.putEvents({ Entries: [{ Source: 'test.sentinel', DetailType: 'End', Detail: '{}', EventBusName }] });
  const out: EventEnvelope[] = [];
  const tail = bus.tail({ After: 0, EventBusName });
  for await (const item of tail) {
    if (item.Event.source === 'test.sentinel') break;
    out.push(item.Event);
  }
  return out;
}

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * The two ways a blob is kept: a file of its own (every blob, with inlineMaxBytes 0) or inline in the database
 * (bodies up to inlineMaxBytes, 64 KiB by default). The tests below that count blobs run in both.
 */
const STORAGE = [
  { name: 'files', options: { inlineMaxBytes: 0 } },
  { name: 'inline', options: {} },
] as const;

/** The blobs kept, as the storage class under test keeps them; the other class must hold none. */
function kept(store: FsObjectStore, storage: (typeof STORAGE)[number]): string[] {
  const refs = store.blobRefs();
  if (storage.name === 'files') {
    assert.deepEqual(refs.filter((r) => r.inline), [], 'no inline blob when inlineMaxBytes is 0');
    assert.deepEqual(store.blobFiles(), refs.map((r) => r.sha256), 'a file for every referenced blob and no other');
    return store.blobFiles();
  }
  assert.deepEqual(store.blobFiles(), [], 'small bodies get no file');
  return refs.filter((r) => r.inline).map((r) => r.sha256);
}

for (const storage of STORAGE) {
  test(`local (${storage.name}): identical content is stored once; the blob goes when its last reference does`, async () => {
    const { bus, store } = await openFresh(storage.options);
    try {
      await store.createBucket('dedup');
      await store.putBucketVersioning('dedup', 'Enabled');
      const a = await store.putObject('dedup', 'a', bodyOf('same bytes'));
      await store.putObject('dedup', 'b', bodyOf('same bytes'));
      await store.copyObject({ bucket: 'dedup', key: 'a' }, { bucket: 'dedup', key: 'c' });
      assert.deepEqual(kept(store, storage), [sha('same bytes')]);
      assert.deepEqual(store.blobRefs(), [{ sha256: sha('same bytes'), size: 10, refs: 3, inline: storage.name === 'inline' }]);
      await store.deleteObject('dedup', 'a'); // a delete marker: the version (and its blob) stays
      assert.equal(store.blobRefs()[0]!.refs, 3);
      await store.deleteObject('dedup', 'a', { versionId: a.versionId });
      const b = await store.listObjectVersions('dedup', { prefix: 'b' });
      await store.deleteObject('dedup', 'b', { versionId: b.versions[0]!.versionId });
      assert.deepEqual(kept(store, storage), [sha('same bytes')]);
      const c = await store.listObjectVersions('dedup', { prefix: 'c' });
      await store.deleteObject('dedup', 'c', { versionId: c.versions[0]!.versionId });
      assert.deepEqual(kept(store, storage), []);
      assert.deepEqual(store.blobRefs(), []);
    } finally {
      await store.close();
      await bus.close();
    }
  });

  test(`local (${storage.name}): overwriting a null version, replacing a part and aborting free their blobs; complete copies no bytes`, async () => {
    const { bus, store } = await openFresh({ minPartSize: 4, ...storage.options });
    try {
      await store.createBucket('frees');
      await store.putObject('frees', 'k', bodyOf('first'));
      await store.putObject('frees', 'k', bodyOf('second'));
      assert.deepEqual(kept(store, storage), [sha('second')]);
      const { uploadId } = await store.createMultipartUpload('frees', 'mp');
      await store.uploadPart('frees', 'mp', uploadId, 1, bodyOf('part one'));
      await store.uploadPart('frees', 'mp', uploadId, 1, bodyOf('part ONE'));
      const p2 = await store.uploadPart('frees', 'mp', uploadId, 2, bodyOf('part two'));
      assert.deepEqual(kept(store, storage), [sha('second'), sha('part ONE'), sha('part two')].sort());
      const done = await store.completeMultipartUpload('frees', 'mp', uploadId, [
        { partNumber: 1, etag: `"${md5Hex('part ONE')}"` },
        { partNumber: 2, etag: p2.etag },
      ]);
      // The parts' blobs became the version's segments: same blobs, no new one.
      assert.deepEqual(kept(store, storage), [sha('second'), sha('part ONE'), sha('part two')].sort());
      assert.equal(done.sha256, sha('part ONEpart two'));
      assert.equal((await readAll((await store.getObject('frees', 'mp')).body)).toString(), 'part ONEpart two');
      const other = await store.createMultipartUpload('frees', 'gone');
      await store.uploadPart('frees', 'gone', other.uploadId, 1, bodyOf('aborted'));
      assert.ok(kept(store, storage).includes(sha('aborted')));
      await store.abortMultipartUpload('frees', 'gone', other.uploadId);
      assert.ok(!kept(store, storage).includes(sha('aborted')));
      await store.deleteObject('frees', 'mp');
      assert.deepEqual(kept(store, storage), [sha('second')]);
    } finally {
      await store.close();
      await bus.close();
    }
  });
}

test('local: opening sweeps orphan blobs (crash before a commit, or after a refs-to-zero commit) and tmp leftovers', async () => {
  const { dir, bus, store } = await openFresh({ inlineMaxBytes: 0 });
  await store.createBucket('sweep');
  await store.putObject('sweep', 'kept', bodyOf('kept bytes'));
  await store.close();
  const storeDir = join(dir, 'store');
  // What a crash leaves: a blob renamed into place whose commit never happened, a blob whose last reference was
  // committed away before its unlink, and a body still arriving in tmp/.
  const orphan = sha('never committed');
  mkdirSync(join(storeDir, 'blobs', orphan.slice(0, 2)), { recursive: true });
  writeFileSync(join(storeDir, 'blobs', orphan.slice(0, 2), orphan), 'never committed');
  const freed = sha('freed before unlink');
  mkdirSync(join(storeDir, 'blobs', freed.slice(0, 2)), { recursive: true });
  writeFileSync(join(storeDir, 'blobs', freed.slice(0, 2), freed), 'freed before unlink');
  writeFileSync(join(storeDir, 'tmp', 'half-a-body'), 'partial');
  const again = await FsObjectStore.open({ dir: storeDir, bus, inlineMaxBytes: 0 });
  try {
    assert.deepEqual(again.swept, { tmp: 1, blobs: 2 });
    assert.deepEqual(again.blobFiles(), [sha('kept bytes')]);
    assert.deepEqual(readdirSync(join(storeDir, 'tmp')), []);
    assert.equal((await readAll((await again.getObject('sweep', 'kept')).body)).toString(), 'kept bytes');
  } finally {
    await again.close();
    await bus.close();
  }
});

test('local: a refused body leaves no file behind', async () => {
  const { dir, bus, store } = await openFresh();
  try {
    await store.createBucket('refused');
    await assert.rejects(store.putObject('refused', 'k', bodyOf('data'), { contentMd5: createHash('md5').update('x').digest('base64') }), { code: 'BadDigest' });
    await assert.rejects(store.putObject('refused', 'k', bodyOf('data'), { contentLength: 10 }), { code: 'IncompleteBody' });
    await assert.rejects(store.putObject('refused', 'k', bodyOf('data'), { conditions: { ifMatch: '"x"' } }), { code: 'NoSuchKey' });
    assert.deepEqual(store.blobFiles(), []);
    assert.deepEqual(readdirSync(join(dir, 'store', 'tmp')), []);
  } finally {
    await store.close();
    await bus.close();
  }
});

test('local: one process owns a store directory', async () => {
  const { dir, bus, store } = await openFresh();
  try {
    await assert.rejects(FsObjectStore.open({ dir: join(dir, 'store'), bus }), (err: { code?: string; message?: string }) => {
      assert.equal(err.code, 'InternalError');
      assert.match(err.message ?? '', /in use by another process/);
      return true;
    });
  } finally {
    await store.close();
    await bus.close();
  }
  await assert.rejects(store.headBucket('x'), { code: 'InternalError', message: 'The store is closed.' });
});

test('local: events wait in the outbox while the bus refuses them, and arrive once it accepts', async () => {
  const { dir, bus, store } = await openFresh({ eventBusName: 'later' });
  const errors: Error[] = [];
  try {
    await store.createBucket('outbox');
    await store.putObject('outbox', 'k', bodyOf('x'));
    await assert.rejects(store.flushEvents(300), (err: { code?: string; message?: string }) => {
      assert.equal(err.code, 'InternalError');
      assert.match(err.message ?? '', /1 object event\(s\) not yet on the bus \(last error: .*ResourceNotFoundException/);
      return true;
    });
    assert.equal(store.pendingEvents(), 1);
  } finally {
    await store.close();
  }
  // Reopened after the bus exists: the relay resumes from the outbox.
  await bus.createEventBus({ Name: 'later' });
  const again = await FsObjectStore.open({ dir: join(dir, 'store'), bus, eventBusName: 'later', onRelayError: (e) => errors.push(e) });
  try {
    await again.flushEvents();
    assert.equal(again.pendingEvents(), 0);
    const events = (await busEvents(bus, 'later')).filter((e) => e.source === 'aws.s3');
    assert.equal(events.length, 1);
    assert.equal((events[0]!.detail as { object: { key: string } }).object.key, 'k');
    assert.deepEqual(errors, []);
  } finally {
    await again.close();
    await bus.close();
  }
});

test('local: a relay that dies after the bus took a batch but before deleting it sends no duplicate', async () => {
  const dir = join(root, `case-${n++}`);
  const real = SqliteEventBus.open({ path: join(dir, 'bus.db') });
  // The real bus, except that the first PutEvents commits and then fails, as a SIGKILL between the bus's commit
  // and the outbox delete would look to the relay.
  let failOnce = true;
  const flaky = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'putEvents') {
        return async (...args: Parameters<SqliteEventBus['putEvents']>) => {
          const result = await target.putEvents(...args);
          if (failOnce) {
            failOnce = false;
            throw new Error('connection lost after commit');
          }
          return result;
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const store = await FsObjectStore.open({ dir: join(dir, 'store'), bus: flaky });
  try {
    await store.createBucket('dupes');
    for (let i = 0; i < 3; i++) await store.putObject('dupes', `k${i}`, bodyOf(`v${i}`));
    await store.flushEvents();
    assert.equal(failOnce, false, 'the failure was injected');
    const events = (await busEvents(real)).filter((e) => e.source === 'aws.s3');
    assert.deepEqual(events.map((e) => (e.detail as { object: { key: string } }).object.key).sort(), ['k0', 'k1', 'k2']);
  } finally {
    await store.close();
    await real.close();
  }
});

test('local: a 300 MB object streams in and out (whole and ranged) with bounded memory', { timeout: 300_000 }, async () => {
  const { bus, store } = await openFresh();
  try {
    await store.createBucket('big');
    const size = 300 * 1024 * 1024;
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      const gen = generatedBody(size, 11);
      const put = await store.putObject('big', 'big.bin', gen.body, { contentLength: size });
      assert.equal(put.size, size);
      assert.equal(put.etag, `"${gen.md5()}"`);
      const hash = createHash('sha256');
      let read = 0;
      for await (const chunk of (await store.getObject('big', 'big.bin')).body) {
        hash.update(chunk as Buffer);
        read += (chunk as Buffer).length;
      }
      assert.equal(read, size);
      assert.equal(hash.digest('hex'), put.sha256);
      let ranged = 0;
      for await (const chunk of (await store.getObject('big', 'big.bin', { range: { start: 10, end: size - 11 } })).body) ranged += (chunk as Buffer).length;
      assert.equal(ranged, size - 20);
    } finally {
      clearInterval(sample);
    }
    const grew = (peak - baseline) / 1024 / 1024;
    // A buffered implementation would grow by the object's 300 MB; streaming keeps a few 1 MiB chunks in flight.
    assert.ok(grew < 100, `RSS grew by ${grew.toFixed(1)} MiB while moving 300 MiB`);
    console.log(`# RSS grew by ${grew.toFixed(1)} MiB while moving 300 MiB in and 600 MiB out`);
  } finally {
    await store.close();
    await bus.close();
  }
});

test('local: what was acknowledged is there after a reopen', async () => {
  const { dir, bus, store } = await openFresh();
  await store.createBucket('durable');
  await store.putBucketVersioning('durable', 'Enabled');
  const v = await store.putObject('durable', 'k', bodyOf('kept'), { metadata: { a: '1' } });
  await store.close();
  const again = await FsObjectStore.open({ dir: join(dir, 'store'), bus });
  try {
    const got = await again.getObject('durable', 'k', { versionId: v.versionId });
    assert.equal((await readAll(got.body)).toString(), 'kept');
    assert.deepEqual(got.info.metadata, { a: '1' });
    assert.equal(await again.getBucketVersioning('durable'), 'Enabled');
    assert.ok(existsSync(join(dir, 'store', 'store.db')));
  } finally {
    await again.close();
    await bus.close();
  }
});

test('local: a read in progress keeps its bytes when the version is deleted under it', async () => {
  const { bus, store } = await openFresh();
  try {
    await store.createBucket('reading');
    await store.putBucketVersioning('reading', 'Enabled');
    const data = Buffer.alloc(5 * 1024 * 1024, 7);
    const put = await store.putObject('reading', 'k', bodyOf(data));
    const got = await store.getObject('reading', 'k');
    await store.deleteObject('reading', 'k', { versionId: put.versionId });
    assert.deepEqual(store.blobRefs(), [], 'no reference is left');
    assert.ok((await readAll(got.body)).equals(data), 'the reader still gets every byte');
    assert.deepEqual(store.blobFiles(), [], 'the file goes once the reader is done');
  } finally {
    await store.close();
    await bus.close();
  }
});

for (const storage of STORAGE) {
  test(`local (${storage.name}): concurrent writes and deletes of the same content keep blobs and references in step`, async () => {
    const { bus, store } = await openFresh(storage.options);
    try {
      await store.createBucket('race');
      await store.putBucketVersioning('race', 'Enabled');
      const bodies = ['alpha', 'beta', 'gamma'];
      const ops: Array<Promise<unknown>> = [];
      for (let i = 0; i < 60; i++) {
        const key = `k${i % 4}`;
        const text = bodies[i % 3]!;
        ops.push(
          store.putObject('race', key, bodyOf(text)).then(async (r) => {
            if (i % 2 === 0) await store.deleteObject('race', key, { versionId: r.versionId });
          }),
        );
        if (i % 5 === 0) {
          ops.push(
            store.createMultipartUpload('race', key).then(async ({ uploadId }) => {
              await store.uploadPart('race', key, uploadId, 1, bodyOf(text));
              if (i % 10 === 0) await store.abortMultipartUpload('race', key, uploadId);
            }),
          );
        }
      }
      await Promise.all(ops);
      assert.deepEqual(kept(store, storage), store.blobRefs().map((r) => r.sha256));
      for (const v of (await store.listObjectVersions('race')).versions) {
        const text = (await readAll((await store.getObject('race', v.key, { versionId: v.versionId })).body)).toString();
        assert.equal(`"${md5Hex(text)}"`, v.etag);
      }
      await store.flushEvents();
      const events = (await busEvents(bus)).filter((e) => e.source === 'aws.s3');
      assert.equal(events.length, 60 + 30, 'one event per version created and per version deleted');
    } finally {
      await store.close();
      await bus.close();
    }
  });
}

test('local: bad options are refused with the field named', async () => {
  const bus = SqliteEventBus.open({ path: ':memory:' });
  try {
    await assert.rejects(FsObjectStore.open({ dir: '', bus }), { code: 'InvalidConfiguration', field: 'dir' });
    await assert.rejects(FsObjectStore.open({ dir: join(root, 'x'), bus: undefined as never }), { code: 'InvalidConfiguration', field: 'bus' });
    await assert.rejects(FsObjectStore.open({ dir: join(root, 'x'), bus, minPartSize: 0 }), { code: 'InvalidConfiguration', field: 'minPartSize' });
    await assert.rejects(FsObjectStore.open({ dir: join(root, 'x'), bus, relayBatchSize: 1.5 }), { code: 'InvalidConfiguration', field: 'relayBatchSize' });
  } finally {
    await bus.close();
  }
});

test('local: a read still open when the store closes ends without harm', async () => {
  const { dir, bus, store } = await openFresh();
  await store.createBucket('open-read');
  await store.putObject('open-read', 'k', bodyOf(Buffer.alloc(3 * 1024 * 1024, 1)));
  const got = await store.getObject('open-read', 'k');
  const chunks = got.body[Symbol.asyncIterator]();
  const first = (await chunks.next()).value as Buffer;
  assert.ok(first.length > 0);
  await store.close();
  // The rest of the stream is still readable from the open file, and finishing it after close must not throw.
  let total = first.length;
  for (let r = await chunks.next(); !r.done; r = await chunks.next()) total += (r.value as Buffer).length;
  assert.equal(total, 3 * 1024 * 1024);
  const again = await FsObjectStore.open({ dir: join(dir, 'store'), bus });
  assert.equal((await again.headObject('open-read', 'k')).size, 3 * 1024 * 1024);
  await again.close();
  await bus.close();
});
