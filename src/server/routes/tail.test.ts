import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { startReflow, type TestReflow } from '../../../test/helpers/reflow.js';

describe('log tail (GET /reflow/v1/tail)', () => {
  let reflow: TestReflow;
  before(async () => {
    reflow = await startReflow();
  });
  after(async () => {
    await reflow.close();
  });

  const put = (source: string, bus?: string) =>
    reflow.sdk().send(new PutEventsCommand({ Entries: [{ Source: source, DetailType: 't', Detail: '{"n": 1}', ...(bus ? { EventBusName: bus } : {}) }] }));

  it('streams {Position, Event} lines from a position, through a pattern', async () => {
    await put('tail.a');
    await put('tail.b');
    await put('tail.a');
    const tail = reflow.client().tail({ After: 0, EventPattern: '{"source":["tail.a"]}' });
    const seen: Array<{ Position: number; source: string }> = [];
    for await (const item of tail) {
      seen.push({ Position: item.Position, source: item.Event.source });
      if (seen.length === 2) break;
    }
    assert.deepEqual(
      seen.map((s) => s.source),
      ['tail.a', 'tail.a'],
    );
    assert.ok(seen[0]!.Position < seen[1]!.Position);
    assert.equal(await tail.closed, undefined);
  });

  it('follows new events and stops when the client closes', async () => {
    const tail = reflow.client().tail({ EventPattern: '{"source":["tail.live"]}' });
    const iterator = tail[Symbol.asyncIterator]();
    const first = iterator.next();
    // The subscription starts when the request arrives; put until the tail sees one.
    let got: IteratorResult<unknown> | undefined;
    for (let i = 0; i < 100 && !got; i++) {
      await put('tail.live');
      got = await Promise.race([first, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
    }
    assert.ok(got && !got.done);
    await tail.close();
    assert.equal(await tail.closed, undefined);
    // The server let go of the subscription: closing it does not wait for the stream.
    const res = await reflow.app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
  });

  it('refuses an invalid pattern or position before streaming', async () => {
    const bad = await reflow.app.inject({ method: 'GET', url: '/reflow/v1/tail?pattern=nope' });
    assert.equal(bad.statusCode, 400);
    assert.equal((bad.json() as { __type: string }).__type, 'InvalidEventPatternException');
    const after = await reflow.app.inject({ method: 'GET', url: '/reflow/v1/tail?after=-1' });
    assert.equal(after.statusCode, 400);
    assert.equal((after.json() as { field: string }).field, 'after');
    const tail = reflow.client().tail({ EventPattern: '[1]' });
    await assert.rejects(async () => {
      for await (const _ of tail) break;
    }, { name: 'InvalidEventPatternException' });
    assert.ok((await tail.closed) instanceof Error);
  });
});
