/**
 * A child process for crash.test.ts: opens a store (fsync on, as shipped) and its bus in DIR and writes small
 * objects from many concurrent loops until it is killed, printing `ACK <key> <versionId> <md5>` for each PUT the
 * store acknowledged, and `DELETING <key> <versionId>` before it deletes a version. Some bodies repeat (identical content is stored once) and some keys are overwritten or have a
 * version deleted, so references go up and down while the kill lands.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { SqliteEventBus } from '../../../bus/sqlite/index.js';
import { isReflowError } from '../../../errors.js';
import { FsObjectStore } from '../fs-object-store.js';

const dir = process.argv[2]!;
const bus = SqliteEventBus.open({ path: join(dir, 'bus.db') });
const store = await FsObjectStore.open({ dir: join(dir, 'store'), bus });
await store.createBucket('crash').catch((err) => {
  if (!isReflowError(err) || err.code !== 'BucketAlreadyOwnedByYou') throw err;
});
await store.putBucketVersioning('crash', 'Enabled');
const shared = [0, 1, 2, 3].map((i) => Buffer.alloc(1000 + i, i + 1));
const round = randomBytes(4).toString('hex');
let n = 0;
process.stdout.write('READY\n');

async function loop(worker: number): Promise<never> {
  for (;;) {
    const i = n++;
    const body = i % 10 === 0 ? shared[i % 4]! : randomBytes(i % 7 === 0 ? 0 : 100 + ((i * 7919) % 8000));
    // Every fifth key is one of a few shared ones, overwritten again and again.
    const key = i % 5 === 0 ? `shared-${i % 3}` : `k-${round}-${worker}-${i}`;
    const put = await store.putObject('crash', key, Readable.from([body]), { contentLength: body.length });
    process.stdout.write(`ACK ${key} ${put.versionId} ${createHash('md5').update(body).digest('hex')}\n`);
    if (i % 9 === 0) {
      process.stdout.write(`DELETING ${key} ${put.versionId}\n`);
      await store.deleteObject('crash', key, { versionId: put.versionId });
    }
  }
}
await Promise.all(Array.from({ length: 24 }, (_, w) => loop(w)));
