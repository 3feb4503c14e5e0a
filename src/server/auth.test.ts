import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListEventBusesCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { startReflow, TEST_CREDENTIALS, type TestReflow } from '../../test/helpers/reflow.js';

async function rejectsWith(promise: Promise<unknown>, name: string, status = 403) {
  await assert.rejects(promise, (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, name, err.message);
    assert.equal(err.$metadata?.httpStatusCode, status);
    return true;
  });
}

describe('SigV4 verification on', () => {
  let reflow: TestReflow;
  before(async () => {
    reflow = await startReflow({ auth: TEST_CREDENTIALS });
  });
  after(async () => {
    await reflow.close();
  });

  it('rejects an unsigned request', async () => {
    const res = await reflow.app.inject({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.ListEventBuses' },
      payload: '{}',
    });
    assert.equal(res.statusCode, 403);
    assert.equal((res.json() as { __type: string }).__type, 'MissingAuthenticationTokenException');
    const tail = await reflow.app.inject({ method: 'GET', url: '/reflow/v1/tail' });
    assert.equal(tail.statusCode, 403);
  });

  it("accepts the SDK's signed requests", async () => {
    const out = await reflow.sdk().send(new ListEventBusesCommand({}));
    assert.equal(out.EventBuses?.[0]?.Name, 'default');
  });

  it('rejects a wrong secret and an unknown key', async () => {
    await rejectsWith(
      reflow.sdk({ credentials: { ...TEST_CREDENTIALS, secretAccessKey: 'not-the-secret' } }).send(new ListEventBusesCommand({})),
      'InvalidSignatureException',
    );
    await rejectsWith(
      reflow.sdk({ credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' } }).send(new ListEventBusesCommand({})),
      'UnrecognizedClientException',
    );
  });

  it('rejects a body changed after signing (the payload hash is the raw body)', async () => {
    const sdk = reflow.sdk();
    sdk.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body?: string };
        request.body = String(request.body).replace('"s"', '"t"');
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'tamper' },
    );
    await rejectsWith(sdk.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] })), 'InvalidSignatureException');
  });

  it("signs Reflow's own routes from the client", async () => {
    const client = reflow.client();
    const put = await client.putCloudEvent({ specversion: '1.0', id: 'e1', source: 'test', type: 't', data: { a: 1 } });
    assert.equal(put.FailedEntryCount, 0);
    const tail = client.tail({ After: 0 });
    for await (const item of tail) {
      assert.equal(item.Event.source, 'test');
      break;
    }
    assert.equal(await tail.closed, undefined);
    assert.deepEqual((await client.listDeadLetters()).DeadLetters, []);
  });

  it('leaves GET /health open for load balancers', async () => {
    const res = await reflow.app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
  });
});

describe('SigV4 verification off', () => {
  let reflow: TestReflow;
  before(async () => {
    reflow = await startReflow();
  });
  after(async () => {
    await reflow.close();
  });

  it('accepts unsigned and signed requests alike', async () => {
    const res = await reflow.app.inject({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.ListEventBuses' },
      payload: '{}',
    });
    assert.equal(res.statusCode, 200);
    const out = await reflow.sdk({ credentials: { accessKeyId: 'anything', secretAccessKey: 'anything' } }).send(new ListEventBusesCommand({}));
    assert.equal(out.EventBuses?.length, 1);
  });
});
