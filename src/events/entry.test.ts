import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadRecordedApiCases, type RecordedCase } from '../../test/helpers/conformance.js';
import { randomUUID } from 'node:crypto';
import { isReflowError } from '../errors.js';
import {
  archivedSize,
  buildEnvelope,
  checkEntry,
  entrySize,
  entryToJavaString,
  formatEventTime,
  MAX_ENTRIES_SIZE,
  prepareEntry,
  serializeEnvelope,
  timeToEpochMs,
  validatePutEventsRequest,
  withReplayName,
} from './entry.js';
import type { PutEventsRequestEntry } from './envelope.js';

const ORIGIN = { account: '123456789012', region: 'us-east-1' };
const NOW = new Date('2026-01-02T03:04:05.678Z');

function requestError(req: { Entries?: unknown }): { code: string; message: string; status: number; field?: string } | undefined {
  try {
    validatePutEventsRequest(req);
  } catch (e) {
    assert.ok(isReflowError(e));
    return { code: e.code, message: e.message, status: e.httpStatus, field: e.field };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Recorded AWS answers

type Case = RecordedCase;

const recorded = loadRecordedApiCases();

function concrete(text: string): string {
  return text
    .replace(/"<now as epoch seconds>"/g, String(Math.floor(NOW.getTime() / 1000)))
    .replace(/<account>/g, ORIGIN.account)
    .replace(/<region>/g, ORIGIN.region)
    .replace(/<bus-name(-\d+)?>/g, 'test-bus$1');
}

/** A 256 KiB Detail as the recording describes it: json.dumps({'payload': ['p' * (256*1024 - 17)]}). */
function generated(detail: unknown): unknown {
  if (detail !== null && typeof detail === 'object' && '$generate' in detail) {
    const text = JSON.stringify({ payload: ['p'.repeat(256 * 1024 - 17)] }).replace('{"payload":["', '{"payload": ["');
    assert.equal(text.length, (detail as unknown as { length: number }).length);
    return text;
  }
  return detail;
}

function tokenMatch(actual: unknown, expected: unknown, uuids: Map<string, string>, where: string): void {
  if (typeof expected === 'string' && /<uuid:\d+>|<iso8601>/.test(expected)) {
    assert.equal(typeof actual, 'string', where);
    const u = /^<uuid:(\d+)>$/.exec(expected);
    if (u) {
      assert.match(actual as string, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, where);
      const bound = uuids.get(u[1]!);
      if (bound === undefined) uuids.set(u[1]!, actual as string);
      else assert.equal(actual, bound, where);
    } else {
      assert.equal(expected, '<iso8601>', where);
      assert.match(actual as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, where);
    }
    return;
  }
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    assert.deepEqual(Object.keys(actual as object), Object.keys(expected), `${where}: keys in order`);
    for (const [k, v] of Object.entries(expected)) tokenMatch((actual as any)[k], v, uuids, `${where}.${k}`);
    return;
  }
  assert.deepEqual(actual, expected, where);
}

if (recorded) describe('recorded AWS answers (eventbridge-api.json)', () => {
  const cases: Case[] = JSON.parse(concrete(JSON.stringify(recorded)));
  const putEvents = cases.filter((c) => c.operation === 'PutEvents');

  test('every whole-request PutEvents error, exactly', () => {
    const errors = putEvents.filter((c) => c.expect.error);
    assert.equal(errors.length, 3);
    for (const c of errors) {
      const entries = c.request.Entries.map((e: PutEventsRequestEntry) => ({ ...e, Detail: generated(e.Detail) }));
      const err = requestError({ Entries: entries });
      assert.ok(err, c.name);
      assert.equal(err.code, c.expect.error.code, c.name);
      assert.equal(err.message, c.expect.error.message, c.name);
      assert.equal(err.status, c.expect.error.httpStatus, c.name);
    }
  });

  test('every per-entry PutEvents failure, exactly', () => {
    const failures = putEvents.filter((c) => c.expect.response?.FailedEntryCount > 0);
    assert.equal(failures.length, 7);
    for (const c of failures) {
      assert.equal(requestError(c.request), undefined, c.name);
      const results = (c.request.Entries as PutEventsRequestEntry[]).map((e) => checkEntry(e) ?? { EventId: 'x' });
      assert.deepEqual(results, c.expect.response.Entries, c.name);
    }
  });

  test('accepted entries are accepted', () => {
    const accepted = putEvents.filter((c) => c.expect.response?.FailedEntryCount === 0 || c.expect.delivered || c.expect.deliveredByTarget);
    assert.ok(accepted.length > 50);
    for (const c of accepted) {
      assert.equal(requestError(c.request), undefined, c.name);
      for (const e of c.request.Entries as PutEventsRequestEntry[]) assert.equal(checkEntry(e), null, c.name);
    }
  });

  test('delivered events have the recorded envelope (keys, order, time format, replay-name place)', () => {
    let compared = 0;
    for (const c of putEvents) {
      if (c.topic === 'input-transformation') continue;
      const items: unknown[] = c.expect.delivered ?? Object.values(c.expect.deliveredByTarget ?? {}).flat();
      const entries: PutEventsRequestEntry[] = [
        ...(c.setup ?? []).filter((s) => s.operation === 'PutEvents').flatMap((s) => s.request.Entries),
        ...c.request.Entries,
      ];
      for (const item of items as Array<Record<string, any>>) {
        if (item === null || typeof item !== 'object' || !('version' in item)) continue;
        let entry = entries.find(
          (e) => e.Source === item.source && e.DetailType === item['detail-type'] && JSON.stringify(JSON.parse(e.Detail!)) === JSON.stringify(item.detail),
        );
        // A case whose later calls are not in `request` (only the first is shown): same entry, that call's detail.
        const sibling = entries.find((e) => e.Source === item.source && e.DetailType === item['detail-type']);
        if (entry === undefined && sibling !== undefined) entry = { ...sibling, Detail: JSON.stringify(item.detail) };
        assert.ok(entry, `${c.name}: no entry for ${JSON.stringify(item)}`);
        assert.equal(checkEntry(entry), null);
        const { envelope, json } = buildEnvelope(entry, ORIGIN, randomUUID(), NOW);
        const delivered = item['replay-name'] === undefined ? json : withReplayName(json, envelope, item['replay-name'], randomUUID());
        const expected = { ...item };
        tokenMatch(JSON.parse(delivered), expected, new Map(), c.name);
        compared++;
      }
    }
    assert.ok(compared >= 19, `compared ${compared}`);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Units

const entry = (e: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: 'my.app',
  DetailType: 'Order Placed',
  Detail: '{"id": 1, "big": 12345678901234567890}',
  ...e,
});

describe('entrySize', () => {
  test('UTF-8 bytes of Source, DetailType, Detail, Resources; 14 for Time', () => {
    assert.equal(entrySize({ Source: 'a', DetailType: 'bc', Detail: '{}' }), 5);
    assert.equal(entrySize({ Source: 'a', DetailType: 'bc', Detail: '{}', Time: new Date() }), 19);
    assert.equal(entrySize({ Source: 'é', DetailType: '€', Detail: '{"x":"😀"}', Resources: ['r1', 'ü'] }), 2 + 3 + 12 + 2 + 2);
    assert.equal(entrySize({}), 0);
  });
});

describe('validatePutEventsRequest', () => {
  test('missing, empty, too many entries', () => {
    assert.deepEqual(requestError({}), {
      code: 'ValidationException',
      message: "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
      status: 400,
      field: 'Entries',
    });
    assert.equal(
      requestError({ Entries: [] })?.message,
      "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    assert.equal(requestError({ Entries: 'x' })?.code, 'SerializationException');
    assert.equal(requestError({ Entries: [1] })?.code, 'SerializationException');
    assert.equal(requestError({ Entries: Array.from({ length: 10 }, () => entry()) }), undefined);
  });

  test('member constraints of entries', () => {
    assert.equal(
      requestError({ Entries: [entry(), entry({ EventBusName: 'a/b', Resources: ['r'.repeat(2049)] })] })?.message,
      "2 validation errors detected: Value 'a/b' at 'entries.2.member.eventBusName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:aws[\\w-]*:events:[a-z]+-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[\\.\\-_A-Za-z0-9]+; " +
        `Value '${'r'.repeat(2049)}' at 'entries.2.member.resources.1.member' failed to satisfy constraint: Member must have length less than or equal to 2048`,
    );
    assert.equal(requestError({ Entries: [entry({ EventBusName: 'arn:aws:events:us-east-1:123456789012:event-bus/orders' })] }), undefined);
  });

  test('the size limit counts all entries', () => {
    const half = '{"p":"' + 'x'.repeat(MAX_ENTRIES_SIZE / 2 - 20) + '"}';
    assert.equal(requestError({ Entries: [entry({ Detail: half })] }), undefined);
    assert.equal(requestError({ Entries: [entry({ Detail: half }), entry({ Detail: half })] })?.message, 'Total size of the entries in the request is over the limit.');
  });

  test('entries are printed as the Java service prints them', () => {
    assert.equal(
      entryToJavaString({ Source: 's', DetailType: 'd', Detail: '{}', Resources: ['a', 'b'], Time: 1640995200, TraceHeader: 't' }),
      'PutEventsRequestEntry(time=2022-01-01T00:00:00Z, source=s, resources=[a, b], detailType=d, detail={}, eventBusName=null, traceHeader=t, kmsKeyIdentifier=null, internalMetadata=null)',
    );
  });
});

describe('checkEntry', () => {
  test('required members in AWS order; empty counts as missing', () => {
    const msg = (m: string) => ({ ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${m} is not valid. Reason: ${m} is a required argument.` });
    assert.deepEqual(checkEntry({}), msg('Source'));
    assert.deepEqual(checkEntry({ Source: 's' }), msg('DetailType'));
    assert.deepEqual(checkEntry({ Source: 's', DetailType: 'd', Detail: '' }), msg('Detail'));
  });

  test('Detail must be a JSON object', () => {
    for (const d of ['NotJSON', '[]', '{{}', '"x"', '1', 'null', ' {"a":1} x']) {
      assert.deepEqual(checkEntry(entry({ Detail: d })), { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }, d);
    }
    assert.equal(checkEntry(entry({ Detail: ' \n{"a": [1, {"b": null}]}\n' })), null);
    assert.equal(checkEntry(entry({ Detail: '{}' })), null);
  });

  test('aws.* sources are refused unless allowed', () => {
    assert.deepEqual(checkEntry(entry({ Source: 'aws.s3' })), { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' });
    assert.equal(checkEntry(entry({ Source: 'aws.s3' }), { allowAwsSources: true }), null);
    assert.equal(checkEntry(entry({ Source: 'awsome' })), null);
  });

  test('what only in-process callers can send', () => {
    assert.equal(checkEntry(entry({ Time: 'yesterday' }))?.ErrorCode, 'InvalidArgument');
    assert.match(checkEntry(entry({ Time: 'yesterday' }))!.ErrorMessage, /^Parameter Time is not valid\. Reason: /);
    assert.equal(checkEntry(entry({ Time: new Date(Number.NaN) }))?.ErrorCode, 'InvalidArgument');
    assert.equal(checkEntry(entry({ Resources: [1 as never] }))?.ErrorCode, 'InvalidArgument');
    assert.equal(checkEntry(entry({ Source: 5 as never }))?.ErrorCode, 'InvalidArgument');
    assert.deepEqual(checkEntry(entry({ Detail: `{"p":"${'x'.repeat(MAX_ENTRIES_SIZE)}"}` }))?.ErrorCode, 'InvalidArgument');
  });
});

describe('time', () => {
  test('Date, epoch seconds, RFC 3339', () => {
    assert.equal(timeToEpochMs(1640995200), Date.UTC(2022, 0, 1));
    assert.equal(timeToEpochMs(1640995200.9), Date.UTC(2022, 0, 1) + 900);
    assert.equal(timeToEpochMs(new Date(5)), 5);
    assert.equal(timeToEpochMs('2022-01-01T00:00:00Z'), Date.UTC(2022, 0, 1));
    assert.equal(timeToEpochMs('2022-01-01t01:30:00.123456+01:30'), Date.UTC(2022, 0, 1) + 123);
    assert.equal(timeToEpochMs('2024-02-29 23:59:59z'), Date.UTC(2024, 1, 29, 23, 59, 59));
    assert.equal(timeToEpochMs('0001-01-01T00:00:00Z'), -62135596800000);
    for (const bad of ['2023-02-29T00:00:00Z', '2022-13-01T00:00:00Z', '2022-01-01', '2022-01-01T24:00:00Z', '2022-01-01T00:00:00', 'x']) {
      assert.equal(timeToEpochMs(bad), undefined, bad);
    }
    assert.equal(timeToEpochMs(1e15), undefined);
    assert.equal(timeToEpochMs(Number.POSITIVE_INFINITY), undefined);
  });

  test('formatted at second precision, truncated', () => {
    assert.equal(formatEventTime(Date.UTC(2022, 0, 1, 0, 0, 0, 999)), '2022-01-01T00:00:00Z');
    assert.equal(formatEventTime(Date.UTC(2022, 0, 1, 0, 0, 1)), '2022-01-01T00:00:01Z');
    assert.equal(formatEventTime(-1), '1969-12-31T23:59:59Z');
  });
});

describe('buildEnvelope', () => {
  test('envelope and JSON in EventBridge order, Detail spliced as sent', () => {
    const e = entry({ Resources: ['arn:x'] });
    assert.equal(checkEntry(e), null);
    const { envelope, json } = buildEnvelope(e, ORIGIN, 'id-1', NOW);
    assert.equal(
      json,
      '{"version":"0","id":"id-1","detail-type":"Order Placed","source":"my.app","account":"123456789012","time":"2026-01-02T03:04:05Z",' +
        '"region":"us-east-1","resources":["arn:x"],"detail":{"id": 1, "big": 12345678901234567890}}',
    );
    assert.deepEqual(envelope, { ...JSON.parse(json), detail: { id: 1, big: 12345678901234567890 } });
    assert.deepEqual(Object.keys(envelope), ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail']);
  });

  test('Time wins over now; resources default to [] and are copied', () => {
    const resources = ['r'];
    const e = entry({ Time: '2022-01-01T10:00:00.5+02:00', Resources: resources });
    const { envelope, json } = buildEnvelope(e, ORIGIN, 'id', NOW);
    assert.equal(envelope.time, '2022-01-01T08:00:00Z');
    resources.push('later');
    assert.deepEqual(envelope.resources, ['r']);
    assert.deepEqual(JSON.parse(buildEnvelope(entry(), ORIGIN, 'id', NOW).json).resources, []);
    assert.equal(JSON.parse(json).time, '2022-01-01T08:00:00Z');
  });

  test('strings are escaped; the detail object is the parsed one', () => {
    const e = entry({ Source: 'a"b\\c', DetailType: 'line\nbreak', Detail: '{"u":"\\u00e9"}' });
    const { envelope, json } = buildEnvelope(e, ORIGIN, 'id', NOW);
    const parsed = JSON.parse(json);
    assert.equal(parsed.source, 'a"b\\c');
    assert.equal(parsed['detail-type'], 'line\nbreak');
    assert.deepEqual(envelope.detail, { u: 'é' });
  });

  test('without checkEntry first it still parses; invalid entries throw', () => {
    assert.deepEqual(buildEnvelope({ Source: 's', DetailType: 'd', Detail: '{"a":1}' }, ORIGIN, 'i', NOW).envelope.detail, { a: 1 });
    assert.throws(() => buildEnvelope({ Source: 's', DetailType: 'd', Detail: '[]' }, ORIGIN, 'i', NOW), { code: 'InvalidArgument' });
  });

  test('a changed Detail after checkEntry is parsed again', () => {
    const e = entry({ Detail: '{"a":1}' });
    assert.equal(checkEntry(e), null);
    e.Detail = '{"a":2}';
    assert.deepEqual(buildEnvelope(e, ORIGIN, 'i', NOW).envelope.detail, { a: 2 });
  });
});

describe('withReplayName / serializeEnvelope', () => {
  test('replay-name between region and resources, optionally a new id', () => {
    const { envelope, json } = buildEnvelope(entry(), ORIGIN, 'orig', NOW);
    const replayed = withReplayName(json, envelope, 'my-replay', 'new-id');
    const parsed = JSON.parse(replayed);
    assert.deepEqual(Object.keys(parsed), ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'replay-name', 'resources', 'detail']);
    assert.equal(parsed.id, 'new-id');
    assert.equal(parsed['replay-name'], 'my-replay');
    assert.ok(replayed.endsWith('"detail":{"id": 1, "big": 12345678901234567890}}'));
    assert.equal(JSON.parse(withReplayName(json, envelope, 'r')).id, 'orig');
  });

  test('falls back to serializing when the JSON is not ours', () => {
    const { envelope } = buildEnvelope(entry(), ORIGIN, 'orig', NOW);
    const foreign = JSON.stringify({ ...envelope });
    const replayed = withReplayName(` ${foreign}`, envelope, 'r', 'n');
    assert.deepEqual(JSON.parse(replayed), { ...JSON.parse(serializeEnvelope({ ...envelope, id: 'n', 'replay-name': 'r' })) });
    assert.deepEqual(Object.keys(JSON.parse(replayed)).indexOf('replay-name'), 7);
  });
});

describe('hot path micro-check (diagnostic only, no timing assertion)', () => {
  test('checkEntry + buildEnvelope on a 500-byte event', (t) => {
    const detail = JSON.stringify({
      orderId: 'ord-0001',
      customer: { id: 'c-42', name: 'Ada Lovelace', tier: 'gold' },
      items: Array.from({ length: 6 }, (_, i) => ({ sku: `SKU-${i}`, qty: i + 1, price: 9.99 + i })),
      note: 'x'.repeat(120),
    });
    const entries = Array.from({ length: 1000 }, () => entry({ Detail: detail, Resources: ['arn:aws:s3:::bucket/key'] }));
    const run = (): number => {
      const start = process.hrtime.bigint();
      for (let r = 0; r < 20; r++) {
        for (const e of entries) {
          if (checkEntry(e) !== null) throw new Error('rejected');
          buildEnvelope(e, ORIGIN, 'c0ffee00-0000-4000-8000-000000000000', NOW);
        }
      }
      return Number(process.hrtime.bigint() - start) / 20_000 / 1000;
    };
    run(); // warm up
    const us = Math.min(run(), run(), run());
    t.diagnostic(`detail ${Buffer.byteLength(detail)} bytes: checkEntry + buildEnvelope ≈ ${us.toFixed(2)} µs per event`);
    assert.ok(Number.isFinite(us));
  });
});

describe('prepareEntry (the bus hot path)', () => {
  test('answers what checkEntry + buildEnvelope + archivedSize answer, for accepted and refused entries', () => {
    const cases: PutEventsRequestEntry[] = [
      entry(),
      entry({ Resources: ['arn:x', 'arn:"quoted"'], Time: '2022-01-01T10:00:00.5+02:00' }),
      entry({ Source: 'a"b\\c', DetailType: 'line\nbreak', Detail: ' {"u":"\\u00e9","n":[1,{"b":null}]} ' }),
      entry({ Source: 'é€', DetailType: '😀', Detail: '{"x":"ü"}' }),
      entry({ Detail: '[1]' }),
      entry({ Detail: '{"unclosed":' }),
      entry({ Source: 'aws.s3' }),
      entry({ Time: 'yesterday' }),
      { DetailType: 'x', Detail: '{}' },
    ];
    for (const e of cases) {
      for (const generatedId of [false, true]) {
        const id = generatedId ? randomUUID() : 'id "with" quotes';
        const prepared = prepareEntry(e, ORIGIN, id, NOW.getTime(), { generatedId });
        const failure = checkEntry(e);
        if (failure) {
          assert.deepEqual(prepared, failure, JSON.stringify(e));
          continue;
        }
        const built = buildEnvelope(e, ORIGIN, id, NOW);
        assert.ok(!('ErrorCode' in prepared));
        assert.equal(prepared.json, built.json);
        assert.deepEqual(prepared.envelope, built.envelope);
        assert.deepEqual(JSON.parse(prepared.json), prepared.envelope);
        assert.equal(prepared.size, archivedSize(e));
      }
    }
  });
});
