import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startReflow, type TestReflow } from '../../../test/helpers/reflow.js';
import type { EventEnvelope } from '../../bus/types.js';

describe('CloudEvents ingest (app.inject)', () => {
  let reflow: TestReflow;
  const received: EventEnvelope[] = [];

  before(async () => {
    reflow = await startReflow({ listen: false });
    reflow.bus.registerHandler('collect', (payload) => {
      received.push(payload as EventEnvelope);
    });
    await reflow.bus.createEventBus({ Name: 'ce-bus' });
    for (const bus of ['default', 'ce-bus']) {
      await reflow.bus.putRule({ Name: 'all', EventBusName: bus, EventPattern: '{"source":[{"prefix":"ce."}]}' });
      await reflow.bus.putTargets({ Rule: 'all', EventBusName: bus, Targets: [{ Id: 'collect', Arn: 'arn:reflow:handler:collect' }] });
    }
  });
  after(async () => {
    await reflow.close();
  });

  const post = (url: string, headers: Record<string, string>, payload: string) => reflow.app.inject({ method: 'POST', url, headers, payload });

  it('takes a structured event onto the default bus (202, per-entry results)', async () => {
    const event = { specversion: '1.0', id: 'ce-1', source: 'ce.structured', type: 'order.created', time: '2024-05-01T10:00:00Z', data: { order: 7 } };
    const res = await post('/cloudevents', { 'content-type': 'application/cloudevents+json' }, JSON.stringify(event));
    assert.equal(res.statusCode, 202, res.body);
    const body = res.json() as { FailedEntryCount: number; Entries: Array<{ EventId?: string }> };
    assert.equal(body.FailedEntryCount, 0);
    assert.ok(body.Entries[0]!.EventId);
    await reflow.bus.drain();
    const got = received.find((e) => e.source === 'ce.structured')!;
    assert.equal(got['detail-type'], 'order.created');
    assert.equal(got.time, '2024-05-01T10:00:00Z');
    assert.equal((got.detail as { order: number }).order, 7);
  });

  it('takes a binary-mode event (ce-* headers, body = data)', async () => {
    const res = await post(
      '/cloudevents/ce-bus',
      { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'ce-2', 'ce-source': 'ce.binary', 'ce-type': 'file.added' },
      JSON.stringify({ key: 'a.csv' }),
    );
    assert.equal(res.statusCode, 202, res.body);
    await reflow.bus.drain();
    const got = received.find((e) => e.source === 'ce.binary')!;
    assert.equal((got.detail as { key: string }).key, 'a.csv');
  });

  it('takes a batch, more than one PutEvents worth', async () => {
    const batch = Array.from({ length: 12 }, (_, i) => ({ specversion: '1.0', id: `b-${i}`, source: 'ce.batch', type: 't', data: { i } }));
    const res = await post('/cloudevents/ce-bus', { 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify(batch));
    assert.equal(res.statusCode, 202, res.body);
    const body = res.json() as { FailedEntryCount: number; Entries: unknown[] };
    assert.equal(body.FailedEntryCount, 0);
    assert.equal(body.Entries.length, 12);
    await reflow.bus.drain();
    assert.equal(received.filter((e) => e.source === 'ce.batch').length, 12);
  });

  it('answers 400 with the code and field for a bad single event, and stores nothing', async () => {
    const before = received.length;
    const res = await post('/cloudevents', { 'content-type': 'application/cloudevents+json' }, JSON.stringify({ specversion: '1.0', id: 'x', type: 't' }));
    assert.equal(res.statusCode, 400, res.body);
    const body = res.json() as { __type: string; message: string; field?: string };
    assert.equal(body.__type, 'InvalidArgument');
    assert.equal(body.field, 'source');
    const notJson = await post('/cloudevents', { 'content-type': 'application/cloudevents+json' }, '{"specversion":');
    assert.equal(notJson.statusCode, 400, notJson.body);
    await reflow.bus.drain();
    assert.equal(received.length, before);
  });
});
