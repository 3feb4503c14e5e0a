import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteEventBus } from '../../bus/sqlite/sqlite-event-bus.js';
import { OutboxRelay, type OutboxRecord } from './outbox.js';

const record = (key: string): OutboxRecord => ({
  type: 'Object Created',
  bucket: 'raw',
  key,
  versionId: `v-${key}`,
  etag: 'd41d8cd98f00b204e9800998ecf8427e',
  size: 0,
  reason: 'PutObject',
  requestId: 'r',
  requester: 'test',
  time: new Date(0).toISOString(),
});

/**
 * A flush that waits for rows committed but not yet durable (group commit's fsync still running) must yield to
 * the event loop: the fsync's callback is what allows those rows. The relay once answered a pass that found nothing
 * sendable with a notify, which made flush start another empty pass at once, a promise-only cycle that starved every
 * timer and I/O callback at 100 % CPU (the pipeline benchmark hung in idle()). The select is counted; a starving
 * relay is let go after 10,000 empty passes so that the test fails instead of hanging.
 */
test('flush waits for rows that are not yet durable without starving the event loop', async () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO outbox (record) VALUES (?)');
  for (const key of ['a', 'b', 'c']) insert.run(JSON.stringify(record(key)));
  const bus = SqliteEventBus.open({ path: ':memory:' });
  let passes = 0;
  let relay: OutboxRelay | undefined;
  const counting = new Proxy(db, {
    get(target, property) {
      if (property !== 'prepare') return Reflect.get(target, property);
      return (sql: string) => {
        const statement = target.prepare(sql);
        if (!sql.startsWith('SELECT seq, record')) return statement;
        return {
          all: (...args: [number, number]) => {
            if (++passes === 10_000) relay!.allowUpTo(3);
            return statement.all(...args);
          },
        };
      };
    },
  });
  try {
    relay = new OutboxRelay({ db: counting, bus, eventBusName: 'default', storeId: 's', batchSize: 10, passSize: 100, upTo: 1 });
    relay.wake();
    // The other two rows become durable later, from a timer, as group commit's fsync callback would allow them.
    const durable = setTimeout(() => relay!.allowUpTo(3), 120);
    await relay.flush(10_000);
    clearTimeout(durable);
    assert.ok(passes < 100, `${passes} passes of the relay while flush() waited (a busy loop)`);
    assert.equal((db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n, 0);
    await relay.stop();
  } finally {
    await bus.close();
    db.close();
  }
});
