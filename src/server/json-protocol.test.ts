import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startReflow, type TestReflow } from '../../test/helpers/reflow.js';

const JSON_11 = 'application/x-amz-json-1.1';

describe('EventBridge JSON protocol (app.inject)', () => {
  let reflow: TestReflow;
  before(async () => {
    reflow = await startReflow({ listen: false });
  });
  after(async () => {
    await reflow.close();
  });

  const call = (target: string | undefined, payload: string, contentType = JSON_11) =>
    reflow.app.inject({
      method: 'POST',
      url: '/',
      headers: { 'content-type': contentType, ...(target ? { 'x-amz-target': target } : {}) },
      payload,
    });

  const rulesOnDefaultBus = async () => {
    const res = await call('AWSEvents.ListRules', '{}');
    assert.equal(res.statusCode, 200);
    return (res.json() as { Rules: Array<{ Name: string }> }).Rules.map((r) => r.Name);
  };

  function assertError(res: Awaited<ReturnType<typeof call>>, status: number, code: string, message?: RegExp) {
    assert.equal(res.statusCode, status, res.body);
    assert.equal(res.headers['x-amzn-errortype'], code);
    assert.match(String(res.headers['x-amzn-requestid']), /^[0-9a-f-]{36}$/);
    const body = res.json() as { __type: string; message: string };
    assert.equal(body.__type, code);
    if (message) assert.match(body.message, message);
  }

  it('answers malformed JSON with SerializationException', async () => {
    assertError(await call('AWSEvents.PutRule', '{"Name": "r",'), 400, 'SerializationException', /not valid JSON/);
    assertError(await call('AWSEvents.PutRule', '[1, 2]'), 400, 'SerializationException');
    assert.deepEqual(await rulesOnDefaultBus(), []);
  });

  it('answers an unknown operation and a missing target header with UnknownOperationException', async () => {
    assertError(await call('AWSEvents.PutPermission', '{}'), 400, 'UnknownOperationException', /PutPermission/);
    assertError(await call('Nope.Thing', '{}'), 400, 'UnknownOperationException');
    assertError(await call(undefined, '{}'), 400, 'UnknownOperationException', /X-Amz-Target/);
  });

  it('answers wrong member types without touching stored state', async () => {
    assertError(await call('AWSEvents.PutEvents', '{"Entries": {"Source": "s"}}'), 400, 'SerializationException', /Entries/);
    assertError(await call('AWSEvents.PutRule', '{"Name": 42, "EventPattern": "{}"}'), 400, 'SerializationException', /Name/);
    assertError(await call('AWSEvents.PutRule', '{"Name": "r", "State": "ON"}'), 400, 'ValidationException', /enum value set/);
    assertError(await call('AWSEvents.PutRule', '{"EventPattern": "{}"}'), 400, 'ValidationException', /Value null at 'name'/);
    assert.deepEqual(await rulesOnDefaultBus(), []);
  });

  it('takes application/x-amz-json-1.0 and application/json, refuses other content types', async () => {
    assert.equal((await call('AWSEvents.ListEventBuses', '{}', 'application/x-amz-json-1.0')).statusCode, 200);
    assert.equal((await call('AWSEvents.ListEventBuses', '{}', 'application/json')).statusCode, 200);
    assertError(await call('AWSEvents.ListEventBuses', '{}', 'text/plain'), 400, 'SerializationException', /Content-Type/);
  });

  it('maps the pattern module error onto InvalidEventPatternException', async () => {
    assertError(await call('AWSEvents.PutRule', JSON.stringify({ Name: 'bad', EventPattern: 'not json' })), 400, 'InvalidEventPatternException', /^Event pattern is not valid\. /);
    assert.deepEqual(await rulesOnDefaultBus(), []);
  });

  it('serves operations with epoch-second timestamps', async () => {
    const created = await call('AWSEvents.CreateEventBus', JSON.stringify({ Name: 'inject-bus', Description: 'd' }));
    assert.equal(created.statusCode, 200, created.body);
    assert.equal(created.headers['content-type'], JSON_11);
    assert.match((created.json() as { EventBusArn: string }).EventBusArn, /:event-bus\/inject-bus$/);
    const described = (await call('AWSEvents.DescribeEventBus', '{"Name": "inject-bus"}')).json() as Record<string, unknown>;
    assert.equal(typeof described.CreationTime, 'number');
    assert.ok(Math.abs((described.CreationTime as number) - Date.now() / 1000) < 60);
    const put = await call('AWSEvents.PutRule', JSON.stringify({ Name: 'r1', EventBusName: 'inject-bus', EventPattern: '{"source":["a"]}' }));
    assert.equal(put.statusCode, 200, put.body);
    const listed = (await call('AWSEvents.ListRules', '{"EventBusName": "inject-bus"}')).json() as { Rules: Array<Record<string, unknown>> };
    assert.equal(listed.Rules.length, 1);
    assert.equal('CreatedBy' in listed.Rules[0]!, false, 'ListRules entries have no CreatedBy, as on AWS');
  });

  it('serves TestEventPattern itself, with EventBridge event validation', async () => {
    const event = JSON.stringify({ id: '1', source: 'a', 'detail-type': 't', account: '111122223333', time: '2024-01-01T00:00:00Z', region: 'us-east-1', detail: {} });
    const ok = await call('AWSEvents.TestEventPattern', JSON.stringify({ EventPattern: '{"source":["a"]}', Event: event }));
    assert.deepEqual(ok.json(), { Result: true });
    assertError(await call('AWSEvents.TestEventPattern', JSON.stringify({ EventPattern: '{"source":["a"]}', Event: '{"source": "a"}' })), 400, 'ValidationException', /^Parameter Event is not valid\.$/);
  });

  it('answers Reflow.ListDeadLetters', async () => {
    const res = await call('Reflow.ListDeadLetters', '{}');
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual((res.json() as { DeadLetters: unknown[] }).DeadLetters, []);
  });

  it('describes itself on GET / and answers GET /health', async () => {
    const root = await reflow.app.inject({ method: 'GET', url: '/' });
    assert.equal(root.statusCode, 200);
    const description = root.json() as { name: string; endpoints: Record<string, string>; operations: string[] };
    assert.equal(description.name, 'reflow');
    assert.ok(description.operations.includes('AWSEvents.PutEvents'));
    assert.ok(root.headers['x-amzn-requestid']);
    assert.deepEqual((await reflow.app.inject({ method: 'GET', url: '/health' })).json(), { status: 'ok' });
    const missing = await reflow.app.inject({ method: 'GET', url: '/nope' });
    assert.equal(missing.statusCode, 404);
    assert.equal((missing.json() as { __type: string }).__type, 'NotFound');
  });

  it('refuses a body over the limit', async () => {
    const res = await call('AWSEvents.PutEvents', JSON.stringify({ Entries: [{ Detail: 'x'.repeat(7 * 1024 * 1024) }] }));
    assertError(res, 413, 'ValidationException');
  });
});
