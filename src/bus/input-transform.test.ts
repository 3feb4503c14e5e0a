import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { loadRecordedApiCases, type RecordedCase } from '../../test/helpers/conformance.js';
import { buildEnvelope, checkEntry } from '../events/entry.js';
import type { EventEnvelope, PutEventsRequestEntry } from '../events/envelope.js';
import { isReflowError } from '../errors.js';
import { compilePath, renderTargetInput, selectPath, UndeliverableInputError, validateTarget } from './input-transform.js';
import type { Target } from './types.js';
import { validatePutTargets } from './validate.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ORIGIN = { account: ACCOUNT, region: REGION };

// ---------------------------------------------------------------------------------------------------------------
// The recorded AWS answers: every "topic": "input-transformation" case.

type Case = RecordedCase;

/** Names and ARNs the tests generated, made concrete (template placeholders like <userId> are left alone). */
const NAME_PLACEHOLDER = /<((?:bus-name|rule-name|target-id|queue-arn|lambda-arn)(?:-\d+)?|account|region|partition)>/g;
function concrete(text: string): string {
  return text.replace(NAME_PLACEHOLDER, (_, name: string) => {
    if (name === 'account') return ACCOUNT;
    if (name === 'region') return REGION;
    if (name === 'partition') return 'aws';
    if (name.startsWith('queue-arn')) return `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
    if (name.startsWith('lambda-arn')) return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
    return `test-${name}`;
  });
}
function concreteDeep<T>(value: T): T {
  return JSON.parse(concrete(JSON.stringify(value))) as T;
}

/** The few pattern forms these cases use: literal lists and `exists`. */
function matches(pattern: any, event: any): boolean {
  for (const [key, want] of Object.entries(pattern)) {
    const have = event?.[key];
    if (Array.isArray(want)) {
      const ok = want.some((w) =>
        w !== null && typeof w === 'object' && 'exists' in w ? (have !== undefined) === w.exists : have === w,
      );
      if (!ok) return false;
    } else if (!matches(want, have)) return false;
  }
  return true;
}

/** Compares a delivered payload with a recorded one; `<uuid:N>`, `<iso8601>`, `<ingestion-time>` are matchers. */
function sameAsRecorded(actual: unknown, expected: unknown, uuids: Map<string, string>, where: string): void {
  if (typeof expected === 'string') {
    assert.equal(typeof actual, 'string', `${where}: expected a string`);
    const re = tokenRegex(expected);
    const m = re.exec(actual as string);
    assert.ok(m, `${where}: ${JSON.stringify(actual)} does not match recorded ${JSON.stringify(expected)}`);
    for (const [token, value] of Object.entries(m.groups ?? {})) {
      const n = token.slice(1);
      const bound = uuids.get(n);
      if (bound === undefined) uuids.set(n, value);
      else assert.equal(value, bound, `${where}: <uuid:${n}> differs`);
    }
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected a list`);
    assert.equal((actual as unknown[]).length, expected.length, `${where}: list length`);
    expected.forEach((e, i) => sameAsRecorded((actual as unknown[])[i], e, uuids, `${where}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${where}: expected an object`);
    assert.deepEqual(Object.keys(actual as object), Object.keys(expected), `${where}: keys (in order)`);
    for (const [k, v] of Object.entries(expected)) sameAsRecorded((actual as any)[k], v, uuids, `${where}.${k}`);
    return;
  }
  assert.equal(actual, expected, where);
}

function tokenRegex(expected: string): RegExp {
  let src = '';
  let last = 0;
  for (const m of expected.matchAll(/<uuid:(\d+)>|<iso8601>|<ingestion-time>/g)) {
    src += escapeRe(expected.slice(last, m.index));
    if (m[1] !== undefined) src += `(?<u${m[1]}>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`;
    else src += '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z';
    last = m.index! + m[0].length;
  }
  src += escapeRe(expected.slice(last));
  // A token used twice must not declare the same group twice.
  const seen = new Set<string>();
  src = src.replace(/\(\?<(u\d+)>([^)]*)\)/g, (all, g: string, body: string) => {
    if (seen.has(g)) return `(?:${body})`;
    seen.add(g);
    return all;
  });
  return new RegExp(`^${src}$`);
}
function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Rule {
  name: string;
  bus: string;
  pattern: any;
  targets: Target[];
}

/** Runs setup and request through the modules under test; returns what each target ARN received, in order. */
function simulate(c: Case): Map<string, string[]> {
  const rules: Rule[] = [];
  const received = new Map<string, string[]>();
  const steps = [...(c.setup ?? []), { operation: c.operation, request: c.request }];
  for (const step of steps) {
    const req = step.request;
    if (step.operation === 'PutRule') {
      rules.push({ name: req.Name, bus: req.EventBusName ?? 'default', pattern: JSON.parse(req.EventPattern), targets: [] });
    } else if (step.operation === 'PutTargets') {
      validatePutTargets(req);
      req.Targets.forEach((t: Target, i: number) => validateTarget(t, i));
      rules.find((r) => r.name === req.Rule)!.targets.push(...req.Targets);
    } else if (step.operation === 'PutEvents') {
      for (const entry of req.Entries as PutEventsRequestEntry[]) {
        assert.equal(checkEntry(entry), null);
        const { envelope, json } = buildEnvelope(entry, ORIGIN, randomUUID(), new Date());
        for (const rule of rules) {
          if (rule.bus !== (entry.EventBusName ?? 'default') || !matches(rule.pattern, envelope)) continue;
          const ruleArn =
            rule.bus === 'default'
              ? `arn:aws:events:${REGION}:${ACCOUNT}:rule/${rule.name}`
              : `arn:aws:events:${REGION}:${ACCOUNT}:rule/${rule.bus}/${rule.name}`;
          for (const target of rule.targets) {
            const log = received.get(target.Arn) ?? [];
            received.set(target.Arn, log);
            try {
              log.push(renderTargetInput(target, envelope, json, { ruleArn, ruleName: rule.name, ingestionTime: new Date() }));
            } catch (err) {
              // AWS delivers nothing for these; anything else is a bug.
              assert.ok(err instanceof UndeliverableInputError, String(err));
            }
          }
        }
      }
    }
  }
  return received;
}

function compareDelivered(actual: string[], expected: unknown[], where: string): void {
  assert.equal(actual.length, expected.length, `${where}: number of deliveries (${JSON.stringify(actual)})`);
  const uuids = new Map<string, string>();
  expected.forEach((e, i) => {
    // Object items were recorded parsed; string items are the exact body text.
    const got = typeof e === 'string' ? actual[i] : JSON.parse(actual[i]!);
    sameAsRecorded(got, e, uuids, `${where}[${i}]`);
  });
}

const recorded = loadRecordedApiCases();
if (recorded) describe('recorded AWS input transformation (eventbridge-api.json)', () => {
  const cases: Case[] = recorded.filter((c) => c.topic === 'input-transformation');

  test('there are 35 of them', () => {
    assert.equal(cases.length, 35);
  });

  for (const raw of cases) {
    test(raw.name, () => {
      const c = concreteDeep(raw);
      const expect = c.expect;
      if (expect.error) {
        const err = (() => {
          try {
            simulate(c);
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        assert.ok(isReflowError(err), `expected ${expect.error.code}, got ${String(err)}`);
        assert.equal(err.code, expect.error.code);
        assert.equal(err.message, expect.error.message);
        assert.equal(err.httpStatus, expect.error.httpStatus);
        return;
      }
      const received = simulate(c);
      if (expect.deliveredByTarget) {
        for (const [arn, items] of Object.entries(expect.deliveredByTarget as Record<string, unknown[]>)) {
          compareDelivered(received.get(arn) ?? [], items, arn);
        }
      } else {
        const all = [...received.values()].flat();
        compareDelivered(all, expect.delivered, 'delivered');
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Unit cases beyond the recordings

function event(detail: object, extra: Partial<PutEventsRequestEntry> = {}): { envelope: EventEnvelope; json: string } {
  const entry: PutEventsRequestEntry = { Source: 'src', DetailType: 'dt', Detail: JSON.stringify(detail), ...extra };
  assert.equal(checkEntry(entry), null);
  return buildEnvelope(entry, ORIGIN, '11111111-2222-3333-4444-555555555555', new Date('2024-05-06T07:08:09.500Z'));
}
const CTX = { ruleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/r`, ruleName: 'r', ingestionTime: new Date('2024-05-06T07:08:10Z') };
const target = (t: Partial<Target>): Target => ({ Id: 't1', Arn: 'arn:aws:sqs:us-east-1:123456789012:q', ...t });

describe('renderTargetInput', () => {
  test('no input settings: the event JSON itself', () => {
    const { envelope, json } = event({ a: 1 });
    assert.equal(renderTargetInput(target({}), envelope, json, CTX), json);
  });

  test('Input: the constant text, verbatim', () => {
    const { envelope, json } = event({ a: 1 });
    assert.equal(renderTargetInput(target({ Input: '{"fixed": true}' }), envelope, json, CTX), '{"fixed": true}');
  });

  test('InputPath: $ is the event; paths select values as JSON', () => {
    const { envelope, json } = event({ a: { b: [10, { c: 'x' }] }, n: 0, f: false, z: null });
    const r = (p: string) => renderTargetInput(target({ InputPath: p }), envelope, json, CTX);
    assert.equal(r('$'), json);
    assert.equal(r('$.detail.a.b[0]'), '10');
    assert.equal(r('$.detail.a.b[1].c'), '"x"');
    assert.equal(r('$.detail-type'), '"dt"');
    assert.equal(r('$.detail.n'), '0');
    assert.equal(r('$.detail.f'), 'false');
    assert.equal(r('$.detail.z'), 'null');
    assert.equal(r('$.resources'), '[]');
  });

  test('InputPath that selects nothing: undeliverable (AWS drops it)', () => {
    const { envelope, json } = event({ a: 1 });
    assert.throws(() => renderTargetInput(target({ InputPath: '$.detail.nope' }), envelope, json, CTX), UndeliverableInputError);
    assert.throws(() => renderTargetInput(target({ InputPath: '$.detail.a[0]' }), envelope, json, CTX), UndeliverableInputError);
  });

  test('wildcards select lists', () => {
    const { envelope } = event({ items: [{ id: 1 }, { id: 2 }, { other: 3 }], m: { x: 1, y: 2 } });
    assert.deepEqual(selectPath(compilePath('$.detail.items[*].id'), envelope), [1, 2]);
    assert.deepEqual(selectPath(compilePath('$.detail.m.*'), envelope), [1, 2]);
    assert.equal(selectPath(compilePath('$.detail.none[*]'), envelope), undefined);
  });

  test('a JSON template is minified, numbers kept byte for byte', () => {
    const { envelope, json } = event({ big: 1 });
    const t = target({ InputTransformer: { InputPathsMap: { v: '$.detail.big' }, InputTemplate: '{ "a" : 12345678901234567890 ,\n "v": <v>, "s": "x  y" }' } });
    assert.equal(renderTargetInput(t, envelope, json, CTX), '{"a":12345678901234567890,"v":1,"s":"x  y"}');
  });

  test('JSON template: numbers, booleans and null outside strings are JSON; inside strings bare', () => {
    const { envelope, json } = event({ n: 1.5, b: true, z: null });
    const t = target({
      InputTransformer: {
        InputPathsMap: { n: '$.detail.n', b: '$.detail.b', z: '$.detail.z' },
        InputTemplate: '{"n": <n>, "b": <b>, "z": <z>, "s": "<n>/<b>/<z>"}',
      },
    });
    assert.deepEqual(JSON.parse(renderTargetInput(t, envelope, json, CTX)), { n: 1.5, b: true, z: null, s: '1.5/true/null' });
  });

  test('a string value with a quote breaks a JSON string (AWS does not escape): undeliverable', () => {
    const { envelope, json } = event({ s: 'say "hi"' });
    const t = target({ InputTransformer: { InputPathsMap: { s: '$.detail.s' }, InputTemplate: '{"m": "<s>"}' } });
    assert.throws(() => renderTargetInput(t, envelope, json, CTX), UndeliverableInputError);
    const outside = target({ InputTransformer: { InputPathsMap: { s: '$.detail.s' }, InputTemplate: '{"m": <s>}' } });
    assert.deepEqual(JSON.parse(renderTargetInput(outside, envelope, json, CTX)), { m: 'say "hi"' });
  });

  test('string template without quotes: text as it is', () => {
    const { envelope, json } = event({ instance: 'i-1', state: 'RUNNING' });
    const t = target({
      InputTransformer: { InputPathsMap: { i: '$.detail.instance', s: '$.detail.state' }, InputTemplate: '<i> is in state <s>' },
    });
    assert.equal(renderTargetInput(t, envelope, json, CTX), 'i-1 is in state RUNNING');
  });

  test('predefined variables', () => {
    const { envelope, json } = event({ a: 1 });
    const t = target({
      InputTransformer: {
        InputTemplate:
          '{"arn": <aws.events.rule-arn>, "name": "<aws.events.rule-name>", "at": <aws.events.event.ingestion-time>, "e": <aws.events.event>, "j": <aws.events.event.json>}',
      },
    });
    const out = JSON.parse(renderTargetInput(t, envelope, json, CTX));
    assert.equal(out.arn, CTX.ruleArn);
    assert.equal(out.name, 'r');
    assert.equal(out.at, '2024-05-06T07:08:10Z');
    assert.deepEqual(Object.keys(out.e), ['id', 'account', 'detailType', 'time', 'source', 'region', 'resources', 'version']);
    assert.deepEqual(out.j, JSON.parse(json));
  });

  test('a template object is compiled once and reused', () => {
    const transformer = { InputPathsMap: { a: '$.detail.a' }, InputTemplate: '{"a": <a>}' };
    for (const v of [1, 2, 3]) {
      const { envelope, json } = event({ a: v });
      assert.equal(renderTargetInput(target({ InputTransformer: transformer }), envelope, json, CTX), `{"a":${v}}`);
    }
  });
});

describe('validateTarget', () => {
  const messageOf = (t: Target, i = 0): string => {
    try {
      validateTarget(t, i);
    } catch (e) {
      assert.ok(isReflowError(e));
      assert.equal(e.code, 'ValidationException');
      return e.message;
    }
    return '';
  };

  test('accepts a well-formed target', () => {
    assert.equal(
      messageOf(target({ InputTransformer: { InputPathsMap: { a_b: '$.detail.a[0]', c: '$.detail-type' }, InputTemplate: '"<a_b> <c> <aws.events.rule-name>"' } })),
      '',
    );
    assert.equal(messageOf(target({ InputPath: '$.detail.items[*].id' })), '');
    assert.equal(messageOf(target({ Arn: 'https://example.com/hook' })), '');
  });

  test('only one of Input, InputPath, InputTransformer (recorded text)', () => {
    assert.equal(
      messageOf(target({ Input: '{}', InputPath: '$.detail' })),
      'Only one of Input, InputPath, or InputTransformer must be provided for target t1.',
    );
  });

  test('undefined placeholder (recorded text)', () => {
    assert.equal(
      messageOf(target({ InputTransformer: { InputPathsMap: {}, InputTemplate: '{"a": <nope>}' } })),
      'InputTemplate for target t1 contains invalid placeholder nope.',
    );
  });

  test('model constraints, in AWS form and combined', () => {
    const paths: Record<string, string> = {};
    for (let i = 0; i < 101; i++) paths[`k${i}`] = '$.detail';
    const msg = messageOf(target({ Id: 'bad id', InputPath: `$.${'a'.repeat(300)}` }), 2);
    assert.equal(
      msg,
      "2 validation errors detected: Value 'bad id' at 'targets.3.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+; " +
        `Value '$.${'a'.repeat(300)}' at 'targets.3.member.inputPath' failed to satisfy constraint: Member must have length less than or equal to 256`,
    );
    assert.match(messageOf(target({ InputTransformer: { InputPathsMap: paths, InputTemplate: '{}' } })), /inputPathsMap' failed to satisfy constraint: Member must have length less than or equal to 100$/);
    assert.match(
      messageOf(target({ InputTransformer: { InputPathsMap: { 'bad key': '$.a' }, InputTemplate: '{}' } })),
      /^1 validation error detected: Value '\{bad key=\$\.a\}' at 'targets\.1\.member\.inputTransformer\.inputPathsMap' failed to satisfy constraint: Map keys must satisfy constraint: \[Member must have length less than or equal to 256, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: \[A-Za-z0-9\\_\\-\]\+\]$/,
    );
    assert.match(messageOf(target({ InputTransformer: { InputTemplate: 'x'.repeat(8193) } })), /inputTemplate' failed to satisfy constraint: Member must have length less than or equal to 8192$/);
    assert.match(messageOf(target({ InputTransformer: { InputTemplate: '' } })), /Member must have length greater than or equal to 1$/);
  });

  test('JSON path syntax, reserved keys, Input JSON, Arn format', () => {
    assert.match(messageOf(target({ InputPath: 'detail' })), /InputPath is not valid/);
    assert.match(messageOf(target({ InputPath: '$..detail' })), /InputPath is not valid/);
    assert.match(messageOf(target({ InputTransformer: { InputPathsMap: { a: 'detail.a' }, InputTemplate: '<a>' } })), /not a valid JSON path/);
    assert.match(messageOf(target({ InputTransformer: { InputPathsMap: { AWSx: '$.a' }, InputTemplate: '<AWSx>' } })), /"AWS"/);
    assert.match(messageOf(target({ Input: 'not json' })), /Input is not valid/);
    assert.equal(messageOf(target({ Arn: 'queue' })), 'Parameter queue is not valid. Reason: Provided Arn is not in correct format.');
  });
});
