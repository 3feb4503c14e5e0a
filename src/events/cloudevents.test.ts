import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { isReflowError } from '../errors.js';
import {
  decodeHeaderValue,
  encodeHeaderValue,
  fromCloudEventsHttp,
  toCloudEvent,
  toCloudEventsHttp,
  type CloudEvent,
  type CloudEventEntry,
} from './cloudevents.js';
import { buildEnvelope, checkEntry } from './entry.js';

const ORIGIN = { account: '123456789012', region: 'us-east-1' };
const STRUCTURED = { 'content-type': 'application/cloudevents+json; charset=utf-8' };
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');

const base = { specversion: '1.0', id: 'A234-1234-1234', source: '/mycontext', type: 'com.example.someevent' };

function fail(fn: () => unknown): { message: string; field: string | undefined } {
  try {
    fn();
  } catch (e) {
    assert.ok(isReflowError(e), String(e));
    assert.equal(e.code, 'InvalidArgument');
    assert.equal(e.httpStatus, 400);
    return { message: e.message, field: e.field };
  }
  assert.fail('expected an InvalidArgument error');
}

function detailOf(entry: CloudEventEntry): unknown {
  return JSON.parse(entry.Detail!);
}

describe('structured mode', () => {
  test('object data becomes the detail; unmapped attributes go under detail.cloudevents', () => {
    const [entry, ...rest] = fromCloudEventsHttp(
      STRUCTURED,
      json({
        ...base,
        time: '2018-04-05T17:31:00Z',
        subject: 'orders/42',
        dataschema: 'https://example.com/schema',
        datacontenttype: 'application/json',
        comexampleextension1: 'value',
        priority: 5,
        urgent: true,
        data: { orderId: 42, lines: [1, 2] },
      }),
    );
    assert.equal(rest.length, 0);
    assert.equal(entry!.EventId, 'A234-1234-1234');
    assert.equal(entry!.Source, '/mycontext');
    assert.equal(entry!.DetailType, 'com.example.someevent');
    assert.equal(entry!.Time, '2018-04-05T17:31:00Z');
    assert.deepEqual(detailOf(entry!), {
      orderId: 42,
      lines: [1, 2],
      cloudevents: {
        specversion: '1.0',
        datacontenttype: 'application/json',
        dataschema: 'https://example.com/schema',
        subject: 'orders/42',
        comexampleextension1: 'value',
        priority: 5,
        urgent: true,
      },
    });
    assert.equal(checkEntry(entry!), null);
  });

  test('non-object data is wrapped as {"data": …}; data_base64 as {"data_base64": …}', () => {
    for (const data of ['<much wow="xml"/>', 42, [1, 'a'], true, null]) {
      const [entry] = fromCloudEventsHttp(STRUCTURED, json({ ...base, data }));
      assert.deepEqual(detailOf(entry!), { data, cloudevents: { specversion: '1.0', $wrapped: 'data' } }, JSON.stringify(data));
      assert.equal(checkEntry(entry!), null);
    }
    const [b64] = fromCloudEventsHttp(STRUCTURED, json({ ...base, datacontenttype: 'image/png', data_base64: 'iVBORw0KGgo=' }));
    assert.deepEqual(detailOf(b64!), {
      data_base64: 'iVBORw0KGgo=',
      cloudevents: { specversion: '1.0', datacontenttype: 'image/png', $wrapped: 'data_base64' },
    });
  });

  test('no data: the detail holds only the attributes; no time: no Time', () => {
    const [entry] = fromCloudEventsHttp(STRUCTURED, json(base));
    assert.deepEqual(detailOf(entry!), { cloudevents: { specversion: '1.0' } });
    assert.equal('Time' in entry!, false);
  });

  test('batch: every event, possibly none; errors name the index', () => {
    const headers = { 'Content-Type': 'application/cloudevents-batch+json' };
    const entries = fromCloudEventsHttp(headers, json([{ ...base, data: { a: 1 } }, { ...base, id: 'second', data: 'x' }]));
    assert.deepEqual(entries.map((e) => e.EventId), ['A234-1234-1234', 'second']);
    assert.deepEqual(fromCloudEventsHttp(headers, json([])), []);
    assert.deepEqual(fail(() => fromCloudEventsHttp(headers, json([base, { ...base, id: '' }]))), {
      message: "CloudEvents attribute 'id' is required.",
      field: '[1].id',
    });
    assert.equal(fail(() => fromCloudEventsHttp(headers, json(base))).message, 'A batch must be a JSON array of events.');
  });

  test('required attributes and their values', () => {
    const { specversion: _s, ...noVersion } = base;
    assert.deepEqual(fail(() => fromCloudEventsHttp(STRUCTURED, json(noVersion))), {
      message: "CloudEvents attribute 'specversion' is required.",
      field: 'specversion',
    });
    assert.deepEqual(fail(() => fromCloudEventsHttp(STRUCTURED, json({ ...base, specversion: '0.3' }))), {
      message: `CloudEvents attribute 'specversion' must be "1.0", not "0.3".`,
      field: 'specversion',
    });
    for (const attr of ['id', 'source', 'type'] as const) {
      const { [attr]: _omit, ...rest } = base;
      assert.deepEqual(fail(() => fromCloudEventsHttp(STRUCTURED, json(rest))), { message: `CloudEvents attribute '${attr}' is required.`, field: attr });
      assert.equal(fail(() => fromCloudEventsHttp(STRUCTURED, json({ ...base, [attr]: 7 }))).field, attr);
    }
    assert.deepEqual(fail(() => fromCloudEventsHttp(STRUCTURED, json({ ...base, time: 'yesterday' }))), {
      message: "CloudEvents attribute 'time' must be an RFC 3339 timestamp.",
      field: 'time',
    });
    assert.equal(fail(() => fromCloudEventsHttp(STRUCTURED, json({ ...base, subject: '' }))).field, 'subject');
    assert.equal(fail(() => fromCloudEventsHttp(STRUCTURED, json({ ...base, Bad_Name: 'x' }))).field, 'Bad_Name');
    assert.equal(fail(() => fromCloudEventsHttp(STRUCTURED, json({ ...base, ext: { nested: 1 } }))).field, 'ext');
    assert.equal(fail(() => fromCloudEventsHttp(STRUCTURED, json({ ...base, data: 1, data_base64: 'AA==' }))).field, 'data_base64');
    assert.equal(fail(() => fromCloudEventsHttp(STRUCTURED, json({ ...base, data_base64: 'not base64!' }))).field, 'data_base64');
    assert.equal(fail(() => fromCloudEventsHttp(STRUCTURED, json({ ...base, data: { cloudevents: 1 } }))).field, 'data.cloudevents');
  });

  test('malformed bodies and unsupported formats', () => {
    assert.equal(fail(() => fromCloudEventsHttp(STRUCTURED, Buffer.from('{nope'))).message, 'The body is not valid JSON.');
    assert.equal(fail(() => fromCloudEventsHttp(STRUCTURED, json([base]))).message, 'A structured CloudEvent must be a JSON object.');
    assert.equal(fail(() => fromCloudEventsHttp({ 'content-type': 'application/cloudevents+avro' }, Buffer.alloc(1))).field, 'content-type');
    assert.equal(fail(() => fromCloudEventsHttp(STRUCTURED, Buffer.from([0xc3, 0x28]))).message, 'The body is not valid UTF-8.');
  });
});

describe('binary mode', () => {
  const ce = (extra: Record<string, string> = {}): Record<string, string> => ({
    'ce-specversion': '1.0',
    'CE-Id': '1234-1234-1234',
    'ce-source': '/mycontext/subcontext',
    'ce-type': 'com.example.someevent',
    'ce-time': '2018-04-05T03:56:24Z',
    ...extra,
  });

  test('JSON object body: spliced into the detail, numbers exactly as sent', () => {
    const body = Buffer.from('{ "id": 12345678901234567890, "s": "x" }\n');
    const [entry] = fromCloudEventsHttp({ ...ce({ 'ce-subject': 'a%20b', 'ce-myext': '"quoted \\"v\\""' }), 'content-type': 'application/json; charset=utf-8' }, body);
    assert.equal(entry!.EventId, '1234-1234-1234');
    assert.equal(entry!.Time, '2018-04-05T03:56:24Z');
    assert.equal(
      entry!.Detail,
      '{ "id": 12345678901234567890, "s": "x" ,"cloudevents":{"specversion":"1.0","datacontenttype":"application/json; charset=utf-8","subject":"a b","myext":"quoted \\"v\\""}}',
    );
    assert.equal(checkEntry(entry!), null);
    const [empty] = fromCloudEventsHttp({ ...ce(), 'content-type': 'application/vnd.acme+json' }, Buffer.from('{}'));
    assert.deepEqual(detailOf(empty!), { cloudevents: { specversion: '1.0', datacontenttype: 'application/vnd.acme+json' } });
  });

  test('other JSON, text and binary bodies are wrapped', () => {
    const [arr] = fromCloudEventsHttp({ ...ce(), 'content-type': 'application/json' }, Buffer.from('[1,2]'));
    assert.deepEqual(detailOf(arr!), { data: [1, 2], cloudevents: { specversion: '1.0', datacontenttype: 'application/json', $wrapped: 'data' } });
    const [text] = fromCloudEventsHttp({ ...ce(), 'content-type': 'text/plain' }, Buffer.from('héllo'));
    assert.deepEqual(detailOf(text!), { data: 'héllo', cloudevents: { specversion: '1.0', datacontenttype: 'text/plain', $wrapped: 'data' } });
    const [bin] = fromCloudEventsHttp({ ...ce(), 'content-type': 'application/octet-stream' }, Buffer.from([0, 255, 1]));
    assert.deepEqual(detailOf(bin!), {
      data_base64: 'AP8B',
      cloudevents: { specversion: '1.0', datacontenttype: 'application/octet-stream', $wrapped: 'data_base64' },
    });
    const [none] = fromCloudEventsHttp(ce(), Buffer.alloc(0));
    assert.deepEqual(detailOf(none!), { cloudevents: { specversion: '1.0' } });
  });

  test('errors', () => {
    assert.deepEqual(fail(() => fromCloudEventsHttp({ 'content-type': 'application/json' }, Buffer.from('{}'))), {
      message: "Not a CloudEvent: no 'ce-specversion' header, and Content-Type is not application/cloudevents+json.",
      field: 'specversion',
    });
    assert.equal(fail(() => fromCloudEventsHttp({ ...ce({ 'ce-datacontenttype': 'application/json' }) }, Buffer.alloc(0))).field, 'datacontenttype');
    assert.equal(fail(() => fromCloudEventsHttp({ ...ce(), 'content-type': 'application/json' }, Buffer.from('{x'))).field, 'data');
    assert.equal(fail(() => fromCloudEventsHttp({ ...ce({ 'ce-id': '%C0%A0' }) }, Buffer.alloc(0))).field, 'id');
    assert.equal(fail(() => fromCloudEventsHttp({ ...ce({ 'ce-id': '%G1' }) }, Buffer.alloc(0))).field, 'id');
    assert.equal(fail(() => fromCloudEventsHttp({ ...ce(), 'ce-type': ['a', 'b'] as unknown as string }, Buffer.alloc(0))).field, 'type');
    assert.equal(fail(() => fromCloudEventsHttp({ ...ce(), 'content-type': 'application/json' }, Buffer.from('{"cloudevents":{}}'))).field, 'data.cloudevents');
  });
});

describe('header values', () => {
  test('the binding example, and decoding what older senders send', () => {
    assert.equal(encodeHeaderValue('Euro € 😀'), 'Euro%20%E2%82%AC%20%F0%9F%98%80');
    assert.equal(encodeHeaderValue('100% "x"'), '100%25%20%22x%22');
    assert.equal(decodeHeaderValue('Euro%20%e2%82%ac%20%F0%9F%98%80', 'x'), 'Euro € 😀');
    assert.equal(decodeHeaderValue('"a \\"b\\" c"', 'x'), 'a "b" c');
    assert.equal(decodeHeaderValue('%41', 'x'), 'A'); // unnecessarily encoded is fine
  });
});

describe('toCloudEvent', () => {
  test('a plain EventBridge event: data is the detail, JSON', () => {
    const e = { Source: 'my.app', DetailType: 'Order Placed', Detail: '{"a":1}' };
    assert.equal(checkEntry(e), null);
    const { envelope } = buildEnvelope(e, ORIGIN, 'id-1', new Date('2024-01-01T00:00:00Z'));
    assert.deepEqual(toCloudEvent(envelope), {
      specversion: '1.0',
      id: 'id-1',
      source: 'my.app',
      type: 'Order Placed',
      time: '2024-01-01T00:00:00Z',
      datacontenttype: 'application/json',
      data: { a: 1 },
    });
  });

  const roundTrips: Array<[string, CloudEvent]> = [
    ['object data', { ...base, specversion: '1.0', time: '2024-01-01T00:00:00Z', subject: 's', datacontenttype: 'application/json', myext: 'v', n: 3, data: { a: 1 } }],
    ['string data', { ...base, specversion: '1.0', time: '2024-01-01T00:00:00Z', datacontenttype: 'text/plain', data: 'hello' }],
    ['list data', { ...base, specversion: '1.0', time: '2024-01-01T00:00:00Z', data: [1, 2] }],
    ['base64 data', { ...base, specversion: '1.0', time: '2024-01-01T00:00:00Z', datacontenttype: 'image/png', data_base64: 'AP8B' }],
    ['no data', { ...base, specversion: '1.0', time: '2024-01-01T00:00:00Z' }],
  ];
  for (const [name, original] of roundTrips) {
    test(`CloudEvent → entry → envelope → CloudEvent: ${name}`, () => {
      for (const mode of ['structured', 'binary'] as const) {
        const { headers, body } = toCloudEventsHttp(original, mode);
        const [entry] = fromCloudEventsHttp(headers, body);
        assert.equal(checkEntry(entry!), null);
        const { envelope } = buildEnvelope(entry!, ORIGIN, entry!.EventId!, new Date());
        const back = toCloudEvent(envelope);
        // Binary mode carries attribute values as header text (an integer extension comes back as its string).
        let expected: CloudEvent = original;
        if (mode === 'binary') {
          expected = { ...original };
          if (typeof expected.n === 'number') expected.n = String(expected.n);
          if (expected.data !== undefined && expected.datacontenttype === undefined) expected.datacontenttype = 'application/json';
        }
        assert.deepEqual(back, expected, mode);
      }
    });
  }

  test('binary HTTP form: ce-* headers percent-encoded, data as the body', () => {
    const { headers, body } = toCloudEventsHttp({ ...base, specversion: '1.0', subject: 'a b', datacontenttype: 'text/plain', data: 'héllo' }, 'binary');
    assert.deepEqual(headers, {
      'ce-specversion': '1.0',
      'ce-id': 'A234-1234-1234',
      'ce-source': '/mycontext',
      'ce-type': 'com.example.someevent',
      'ce-subject': 'a%20b',
      'content-type': 'text/plain',
    });
    assert.equal(body.toString('utf8'), 'héllo');
  });
});
