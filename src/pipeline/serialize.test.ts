import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedSerializer, objectKeyOf } from './serialize.js';
import type { EventEnvelope } from '../events/envelope.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('work for one key runs one at a time in the order asked; other keys run beside it; a failure does not stop the next', async () => {
  const serializer = new KeyedSerializer();
  const log: string[] = [];
  const job = (name: string, ms: number, fail = false) => async () => {
    log.push(`start ${name}`);
    await tick(ms);
    log.push(`end ${name}`);
    if (fail) throw new Error(name);
    return name;
  };
  const results = await Promise.allSettled([
    serializer.run('a', job('a1', 20, true)),
    serializer.run('a', job('a2', 1)),
    serializer.run('b', job('b1', 5)),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'fulfilled', 'fulfilled']);
  assert.ok(log.indexOf('end a1') < log.indexOf('start a2'), 'a2 waited for a1');
  assert.ok(log.indexOf('start b1') < log.indexOf('end a1'), 'b1 did not wait for a');
});

test('objectKeyOf reads S3 events and pipeline events alike', () => {
  const s3 = { detail: { bucket: { name: 'raw' }, object: { key: 'x.csv' } } } as unknown as EventEnvelope;
  const pipeline = { detail: { object: { bucket: 'raw', key: 'x.csv', versionId: 'v' } } } as unknown as EventEnvelope;
  assert.equal(objectKeyOf(s3), objectKeyOf(pipeline));
  assert.notEqual(objectKeyOf(s3), objectKeyOf({ detail: { object: { bucket: 'raw', key: 'y.csv' } } } as unknown as EventEnvelope));
});
