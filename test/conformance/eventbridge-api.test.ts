/**
 * EventBridge API conformance: the 205 recorded answers of real Amazon EventBridge
 * (../shared/conformance/eventbridge-api.json, see eventbridge-api.md there) replayed against Reflow's HTTP API with
 * the real `@aws-sdk/client-eventbridge`. Each case gets a fresh SqliteEventBus behind buildServer on an ephemeral
 * port: placeholders get fresh names, `setup` runs, `request` is sent through the matching XxxCommand, and errors
 * (code, message, status), response members (timestamps by type, tokens by presence, ARNs filled in) and what the
 * targets received are compared. SQS queues, log groups and streams become local HTTP targets; Lambda functions
 * become in-process handlers (`arn:aws:lambda:…:function:<name>`, registered with bus.registerHandler).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadRecordedApiCases } from '../helpers/conformance.js';
import { randomBytes, randomUUID } from 'node:crypto';
import * as EB from '@aws-sdk/client-eventbridge';
import { startReflow, TEST_ACCOUNT, TEST_REGION, type TestReflow } from '../helpers/reflow.js';
import { HttpTargets } from '../helpers/http-targets.js';

// ---------------------------------------------------------------------------------------------------------------
// Cases Reflow does not serve, by name, with the reason (keep this list short and every reason real).
const ONE_REGION = 'one region per Reflow process: the bus serves the account and region it was opened with; another region is another deployment';
const FAST_REPLAY =
  'timing: AWS replays run for minutes, Reflow replays these few (or no) archived events in milliseconds, so the replay has ' +
  'ended before the next call arrives; cancelling a running replay is covered by the bus conformance suite';
const SKIP: Record<string, string> = {
  'eventbus-same-name-three-regions-with-description': ONE_REGION,
  'eventbus-same-name-three-regions-no-description': ONE_REGION,
  'putevents-nonexistent-bus-accepted':
    'deliberate: Reflow answers an entry for a missing bus as a failed entry (ResourceNotFoundException) instead of ' +
    "dropping it silently (DESIGN invariant 7); the recording itself is flagged as doubtful",
  'cancelreplay-default-bus': FAST_REPLAY,
  'cancelreplay-custom-bus': FAST_REPLAY,
  'describereplay-cancelling-default-bus': FAST_REPLAY,
  'describereplay-cancelling-custom-bus': FAST_REPLAY,
  'startreplay-eleventh-active-replay': `${FAST_REPLAY} (here: ten replays of an empty archive are never active at once)`,
};

// ---------------------------------------------------------------------------------------------------------------
// The recorded tests made more calls than `request` shows; their notes describe them. `before`/`after` are Detail
// texts put with the case's request entry (same Source, DetailType, bus, Time), one PutEvents call each.
const EXTRA_PUTS: Record<string, { before?: string[]; after?: string[] }> = {
  // 'short time' is the request; 'new time' and 'long time' followed with the same Time.
  'putevents-time-field-delivered': { after: ['{"message": "new time"}', '{"message": "long time"}'] },
  'rule-pattern-list-vs-event-array-inputpath': {
    after: ['{"event": {"data": {"type": ["2"]}}}', '{"event": {"data": {"type": ["3"]}}}'],
  },
  'rule-pattern-nested-inputpath': { after: ['{"event": {"data": {"type": "2"}}}', '{"hello": "world"}'] },
  'rule-anything-but-null-matches': {
    before: ['{"command": "display-message", "payload": "baz"}'],
    after: ['{"command": "no-message", "payload": "baz"}'],
  },
  'rule-exists-true': { after: ['{"no-key": "no-value", "payload": "baz"}'] },
  'rule-exists-false': { before: ['{"key": "value", "payload": "baz"}'] },
  'target-sqs-detail-match-inputpath': { after: ['{"EventType": "2"}'] },
};

/** Cases whose snapshot masked a value with another placeholder: `<replay-name>` stands for the replay the setup made. */
const ALIASES: Record<string, Record<string, string>> = {
  'listreplays-event-source-arn': { '<replay-name>': '<replay-name-prefix>-test-replay' },
};

/** Targets that are gone when the event arrives (the recorded test deleted the queue first). */
const DELETED_TARGETS: Record<string, string[]> = {
  'putevents-target-delivery-failure-still-succeeds': ['<queue-arn>'],
};

/** Setup replays are awaited to a final state (as the recorded tests did), except where the test acts at once. */
const NO_REPLAY_WAIT = new Set([
  'cancelreplay-default-bus',
  'cancelreplay-custom-bus',
  'describereplay-cancelling-default-bus',
  'describereplay-cancelling-custom-bus',
  'startreplay-eleventh-active-replay',
  'startreplay-duplicate-name-same-archive',
]);

// ---------------------------------------------------------------------------------------------------------------

interface Step {
  operation: string;
  request: Record<string, unknown>;
  region?: string;
}
interface Expect {
  error?: { code: string; message: string; httpStatus: number; messageFirstLine?: string };
  response?: Record<string, unknown>;
  httpStatus?: number;
  delivered?: unknown[];
  deliveredByTarget?: Record<string, unknown[] | string>;
  pages?: Array<Record<string, unknown>>;
  listArchives?: unknown[];
}
interface Case extends Step {
  name: string;
  setup?: Step[];
  expect: Expect;
  notes?: string;
  topic?: string;
}


// ---------------------------------------------------------------------------------------------------------------
// Placeholders

const TARGET_PLACEHOLDERS = /^<(queue-arn(-\d+)?|log-group-arn|stream-arn)>$/;

interface CaseContext {
  values: Map<string, string>;
  times: Map<string, number>;
  /** HTTP target path per target placeholder. */
  httpTargets: Map<string, string>;
  /** Payloads received by the in-process handler behind <lambda-arn>. */
  lambda: unknown[];
}

function placeholderValues(c: Case, targets: HttpTargets, caseStartMs: number): CaseContext {
  const r = randomBytes(4).toString('hex');
  const account = TEST_ACCOUNT;
  const region = TEST_REGION;
  const values = new Map<string, string>([
    ['<account>', account],
    ['<region>', region],
    ['<partition>', 'aws'],
    ['<random>', r],
    ['<bus-name>', `unique-prefix-${r}`],
    ['<bus-name-2>', `other-bus-${r}`],
    ['<bus-name-prefix>', `bus-prefix-${r}`],
    ['<rule-name>', `test-rule-${r}`],
    ['<rule-prefix>', `rule-prefix-${r}-`],
    ['<rule-name-prefix>', `rule-name-prefix-${r}`],
    ['<target-id>', `target-${r}`],
    ['<archive-name>', `test-archive-${r}`],
    ['<archive-name-2>', `other-archive-${r}`],
    ['<replay-name>', `replay-${r}`],
    ['<replay-name-2>', `replay-two-${r}`],
    ['<replay-name-prefix>', `replay-prefix-${r}`],
    ['<other-prefix>', `other-prefix-${r}`],
    ['<lambda-arn>', `arn:aws:lambda:${region}:${account}:function:fn-${r}`],
    ['<role-arn>', `arn:aws:iam::${account}:role/reflow-test-${r}`],
    ['<long-target-id>', `${randomUUID()}-${randomUUID()}-extra`],
  ]);
  for (let n = 0; n < 5; n++) {
    values.set(`<rule-name-${n}>`, `rule-${n}-${r}`);
    values.set(`<target-id-${n}>`, `target-${n}-${r}`);
  }
  values.set('<archive-arn>', `arn:aws:events:${region}:${account}:archive/${values.get('<archive-name>')}`);
  values.set('<archive-arn-2>', `arn:aws:events:${region}:${account}:archive/${values.get('<archive-name-2>')}`);

  const httpTargets = new Map<string, string>();
  const text = JSON.stringify(c);
  for (const placeholder of new Set(text.match(/<(queue-arn(-\d+)?|log-group-arn|stream-arn)>/g) ?? [])) {
    const path = `${c.name}/${placeholder.slice(1, -1)}-${r}`;
    httpTargets.set(placeholder, path);
    values.set(placeholder, targets.url(path));
    if (DELETED_TARGETS[c.name]?.includes(placeholder)) targets.failing.add(path);
  }

  for (const [alias, of] of Object.entries(ALIASES[c.name] ?? {})) values.set(alias, substituteText(of, values));

  const nowS = Math.floor(Date.now() / 1000);
  const before = Math.floor(caseStartMs / 1000) - 1;
  const times = new Map<string, number>([
    ['<now>', nowS],
    ['<now - 1 minute>', nowS - 60],
    ['<now + 1 minute>', nowS + 60],
    ['<now truncated to the second, minus 0 s>', nowS],
    ['<now truncated to the second, minus 10 s>', nowS - 10],
    ['<now as epoch seconds>', nowS],
    ['<timestamp: before the events were put>', before],
    ['<timestamp: start + 1 minute>', before + 60],
  ]);
  values.set('<now as YYYY-MM-DDThh:mm:ssZ>', new Date(nowS * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  return { values, times, httpTargets, lambda: [] };
}

function substituteText(text: string, values: Map<string, string>): string {
  return text.replace(/<[^<>"]+>/g, (token) => values.get(token) ?? token);
}

/** Deep substitution; a string that is exactly a time placeholder becomes epoch seconds; `$generate` is generated. */
function substitute(value: unknown, ctx: CaseContext): unknown {
  if (typeof value === 'string') {
    const time = ctx.times.get(value);
    return time !== undefined ? time : substituteText(value, ctx.values);
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, ctx));
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (typeof object.$generate === 'string' && typeof object.length === 'number') return generate(object.$generate, object.length);
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, substitute(v, ctx)]));
  }
  return value;
}

/** The one generated value: `json.dumps({'payload': ['p' * (256*1024 - 17)]})`, 262144 characters. */
function generate(description: string, length: number): string {
  assert.match(description, /payload.*'p'/, `unknown generator: ${description}`);
  const text = `{"payload": ["${'p'.repeat(length - 17)}"]}`;
  assert.equal(text.length, length);
  return text;
}

// ---------------------------------------------------------------------------------------------------------------
// Sending requests with the SDK

/** Epoch seconds become Dates where the SDK's input shapes want them. */
function toSdkInput(operation: string, request: Record<string, unknown>): Record<string, unknown> {
  const input = structuredClone(request);
  const date = (v: unknown) => (typeof v === 'number' ? new Date(v * 1000) : v);
  if (operation === 'PutEvents' && Array.isArray(input.Entries)) {
    for (const entry of input.Entries as Array<Record<string, unknown>>) if ('Time' in entry) entry.Time = date(entry.Time);
  }
  for (const member of ['EventStartTime', 'EventEndTime']) if (member in input) input[member] = date(input[member]);
  return input;
}

type Outcome = { ok: true; output: Record<string, unknown> } | { ok: false; error: Error & { $metadata?: { httpStatusCode?: number } } };

async function send(sdk: EB.EventBridgeClient, operation: string, request: Record<string, unknown>): Promise<Outcome> {
  const Command = (EB as unknown as Record<string, new (input: unknown) => EB.PutEventsCommand>)[`${operation}Command`];
  assert.ok(Command, `the SDK has no ${operation}Command`);
  try {
    const output = (await sdk.send(new Command(toSdkInput(operation, request)) as never)) as unknown as Record<string, unknown>;
    return { ok: true, output };
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}

async function must(sdk: EB.EventBridgeClient, step: Step, what: string): Promise<Record<string, unknown>> {
  const outcome = await send(sdk, step.operation, step.request);
  if (!outcome.ok) assert.fail(`${what} ${step.operation} failed: ${outcome.error.name}: ${outcome.error.message}`);
  return outcome.output;
}

const FINAL_REPLAY_STATES = new Set(['COMPLETED', 'CANCELLED', 'FAILED']);
async function waitForReplay(sdk: EB.EventBridgeClient, name: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const replay = await sdk.send(new EB.DescribeReplayCommand({ ReplayName: name }));
    if (FINAL_REPLAY_STATES.has(replay.State ?? '')) return;
    if (Date.now() > deadline) assert.fail(`replay ${name} still ${replay.State} after 15 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ISO8601 = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z';
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

class Matcher {
  private readonly uuids = new Map<string, string>();

  /** `keyOrder`: members must also come in the recorded order (delivered payloads, as targets received them). */
  match(expected: unknown, actual: unknown, path: string, keyOrder = false): void {
    if (typeof expected === 'string') return this.matchString(expected, actual, path);
    if (Array.isArray(expected)) {
      assert.ok(Array.isArray(actual), `${path}: expected a list, got ${JSON.stringify(actual)}`);
      assert.equal(actual.length, expected.length, `${path}: expected ${expected.length} items, got ${actual.length}: ${JSON.stringify(actual)}`);
      expected.forEach((e, i) => this.match(e, actual[i], `${path}[${i}]`, keyOrder));
      return;
    }
    if (expected !== null && typeof expected === 'object') {
      const object = expected as Record<string, unknown>;
      if ('$json' in object && Object.keys(object).length === 1) {
        assert.equal(typeof actual, 'string', `${path}: expected a JSON string`);
        return this.match(object.$json, JSON.parse(actual as string), `${path}($json)`, keyOrder);
      }
      assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${path}: expected an object, got ${JSON.stringify(actual)}`);
      const actualObject = actual as Record<string, unknown>;
      const actualKeys = Object.keys(actualObject).filter((k) => actualObject[k] !== undefined && k !== '$metadata');
      const expectedKeys = Object.keys(object);
      assert.deepEqual([...actualKeys].sort(), [...expectedKeys].sort(), `${path}: members differ`);
      if (keyOrder) assert.deepEqual(actualKeys, expectedKeys, `${path}: member order differs`);
      for (const key of expectedKeys) this.match(object[key], actualObject[key], `${path}.${key}`, keyOrder);
      return;
    }
    assert.deepEqual(actual, expected, `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }

  private matchString(expected: string, actual: unknown, path: string): void {
    if (expected === '<timestamp>') {
      assert.ok(actual instanceof Date && !Number.isNaN(actual.getTime()), `${path}: expected a timestamp, got ${JSON.stringify(actual)}`);
      return;
    }
    if (/^<next-token(-\d+)?>$/.test(expected) || expected === '<ingestion-time>') {
      assert.ok(typeof actual === 'string' && actual.length > 0, `${path}: expected a non-empty string, got ${JSON.stringify(actual)}`);
      return;
    }
    assert.equal(typeof actual, 'string', `${path}: expected a string like ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    if (!/<uuid:\d+>|<iso8601>/.test(expected)) {
      assert.equal(actual, expected, `${path}`);
      return;
    }
    const groups: string[] = [];
    const source = expected
      .split(/(<uuid:\d+>|<iso8601>)/)
      .map((part) => {
        if (part === '<iso8601>') return ISO8601;
        const uuid = /^<uuid:(\d+)>$/.exec(part);
        if (uuid) {
          groups.push(uuid[1]!);
          return `(${UUID})`;
        }
        return escapeRegExp(part);
      })
      .join('');
    const m = new RegExp(`^${source}$`).exec(actual as string);
    assert.ok(m, `${path}: ${JSON.stringify(actual)} does not match ${JSON.stringify(expected)}`);
    groups.forEach((n, i) => this.bindUuid(n, m[i + 1]!, path));
  }

  private bindUuid(n: string, value: string, path: string): void {
    const bound = this.uuids.get(n);
    if (bound !== undefined) {
      assert.equal(value, bound, `${path}: <uuid:${n}> should be ${bound}`);
      return;
    }
    for (const [other, v] of this.uuids) assert.notEqual(value, v, `${path}: <uuid:${n}> equals <uuid:${other}>`);
    this.uuids.set(n, value);
  }
}

const withoutMetadata = (output: Record<string, unknown>) => {
  const { $metadata: _metadata, ...rest } = output;
  return rest;
};

// ---------------------------------------------------------------------------------------------------------------
// Running one case

const tally = { passed: 0, failed: 0, skipped: 0, fullPatternMessages: 0, patternMessages: 0 };

async function runCase(c: Case, targets: HttpTargets): Promise<void> {
  const reflow: TestReflow = await startReflow();
  try {
    const ctx = placeholderValues(c, targets, Date.now());
    const fn = ctx.values.get('<lambda-arn>')!.split(':function:')[1]!;
    reflow.bus.registerHandler(fn, (payload) => {
      ctx.lambda.push(payload);
    });
    const sdk = reflow.sdk();
    const setup = (c.setup ?? []).map((s) => ({ ...s, request: substitute(s.request, ctx) as Record<string, unknown> }));
    const request = substitute(c.request, ctx) as Record<string, unknown>;
    const expect = substitute(c.expect, ctx) as Expect;
    const observes = expect.delivered !== undefined || expect.deliveredByTarget !== undefined;

    for (const [i, step] of setup.entries()) {
      await must(sdk, step, `setup step ${i + 1}`);
      if (step.operation === 'StartReplay' && !NO_REPLAY_WAIT.has(c.name)) await waitForReplay(sdk, step.request.ReplayName as string);
      if (step.operation === 'PutEvents' && observes) await reflow.bus.drain(15_000);
    }

    // A replay's deliveries are compared alone: the recorded test drained the original deliveries first.
    if (c.operation === 'StartReplay' && observes) {
      await reflow.bus.drain(15_000);
      for (const path of ctx.httpTargets.values()) targets.clear(path);
      ctx.lambda.length = 0;
    }

    const extra = EXTRA_PUTS[c.name];
    const putWithDetail = async (detail: string) => {
      const entry = { ...(request.Entries as Array<Record<string, unknown>>)[0]!, Detail: detail };
      await must(sdk, { operation: 'PutEvents', request: { Entries: [entry] } }, 'extra');
      await reflow.bus.drain(15_000);
    };
    for (const detail of extra?.before ?? []) await putWithDetail(detail);

    // A next page needs the token of the first page (the recorded first pages used Limit 3).
    if (request.NextToken === '<next-token>') {
      const { NextToken: _token, ...first } = request;
      const firstPage = await must(sdk, { operation: c.operation, request: { ...first, Limit: 3 } }, 'first page');
      request.NextToken = firstPage.NextToken;
    }

    const outcome = await send(sdk, c.operation, request);
    if (c.operation === 'PutEvents' && observes) await reflow.bus.drain(15_000);
    for (const detail of extra?.after ?? []) await putWithDetail(detail);
    if (c.operation === 'StartReplay' && observes && outcome.ok) {
      await waitForReplay(sdk, request.ReplayName as string);
      await reflow.bus.drain(15_000);
    }

    // One matcher per case: <uuid:N> binds across the response and the payloads (EventId = delivered id).
    const matcher = new Matcher();
    if (expect.error) {
      assert.ok(!outcome.ok, `expected ${expect.error.code}, got ${outcome.ok ? JSON.stringify(withoutMetadata(outcome.output)) : ''}`);
      const { error } = outcome;
      assert.equal(error.name, expect.error.code, `error code (message: ${error.message})`);
      if (expect.error.messageFirstLine !== undefined) {
        // AWS's pattern errors end with its JSON parser's location; LocalStack checks the first line only, and so do we.
        assert.equal(error.message.split('\n')[0], expect.error.messageFirstLine, 'error message (first line)');
        tally.patternMessages++;
        if (error.message === expect.error.message) tally.fullPatternMessages++;
      } else {
        assert.equal(error.message, expect.error.message, 'error message');
      }
      assert.equal(error.$metadata?.httpStatusCode, expect.error.httpStatus, 'HTTP status');
    } else {
      if (!outcome.ok) assert.fail(`expected success, got ${outcome.error.name}: ${outcome.error.message}`);
      const output = outcome.output as Record<string, unknown> & { $metadata: { httpStatusCode?: number } };
      if (expect.httpStatus !== undefined) assert.equal(output.$metadata.httpStatusCode, expect.httpStatus, 'HTTP status');
      if (expect.response) matcher.match(expect.response, withoutMetadata(output), 'response');
      if (expect.pages) {
        let page = withoutMetadata(output);
        for (const [i, expected] of expect.pages.entries()) {
          if (i > 0) page = withoutMetadata(await must(sdk, { operation: c.operation, request: { ...request, NextToken: page.NextToken } }, `page ${i + 1}`));
          matcher.match(expected, page, `pages[${i}]`);
        }
      }
      if (expect.listArchives) {
        const listed = await must(sdk, { operation: 'ListArchives', request: { NamePrefix: ctx.values.get('<archive-name>') } }, 'ListArchives');
        matcher.match(expect.listArchives, listed.Archives, 'listArchives');
      }
    }

    if (observes) {
      const receivedBy = (placeholder: string): unknown[] => {
        if (placeholder === '<lambda-arn>') return ctx.lambda;
        const path = ctx.httpTargets.get(placeholder);
        assert.ok(path, `no observable target for ${placeholder}`);
        return targets.received(path);
      };
      const compare = (expected: unknown[] | string, received: unknown[], what: string) => {
        if (typeof expected === 'string') {
          assert.match(expected, /^at least 1 event$/);
          assert.ok(received.length >= 1, `${what}: expected at least one event, got none`);
          return;
        }
        assert.equal(received.length, expected.length, `${what}: expected ${expected.length} payloads, got ${received.length}: ${JSON.stringify(received)}`);
        expected.forEach((item, i) => {
          const got = received[i];
          if (typeof item === 'string') {
            assert.equal(typeof got, 'string', `${what}[${i}]: expected the raw text ${item}`);
            matcher.match(item, got, `${what}[${i}]`);
          } else {
            matcher.match(item, typeof got === 'string' ? JSON.parse(got) : got, `${what}[${i}]`, true);
          }
        });
      };
      if (expect.delivered) {
        const placeholder = JSON.stringify(c.setup ?? []).includes('<lambda-arn>') ? '<lambda-arn>' : [...ctx.httpTargets.keys()].find((p) => TARGET_PLACEHOLDERS.test(p));
        assert.ok(placeholder, 'no target placeholder for delivered');
        compare(expect.delivered, receivedBy(placeholder), 'delivered');
      }
      for (const [target, expected] of Object.entries(expect.deliveredByTarget ?? {})) compare(expected, receivedBy(target), `deliveredByTarget ${target}`);
    }
  } finally {
    await reflow.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------

const recorded = loadRecordedApiCases();
if (recorded) {
  const cases = recorded as Case[];
  for (const name of Object.keys(SKIP)) assert.ok(cases.some((c) => c.name === name), `SKIP names an unknown case: ${name}`);

  describe(`EventBridge API conformance (${cases.length} recorded AWS answers)`, () => {
    const targets = new HttpTargets();
    before(async () => {
      await targets.start();
    });
    after(async () => {
      await targets.close();
      const ran = tally.passed + tally.failed;
      console.log(
        `EventBridge API conformance: ${tally.passed}/${ran} passed, ${tally.skipped} skipped by name` +
          ` (pattern errors with AWS's full parser message: ${tally.fullPatternMessages}/${tally.patternMessages})`,
      );
    });

    for (const c of cases) {
      const reason = SKIP[c.name];
      if (reason) {
        it(c.name, { skip: reason }, () => {});
        tally.skipped++;
        continue;
      }
      it(c.name, async () => {
        try {
          await runCase(c, targets);
          tally.passed++;
        } catch (err) {
          tally.failed++;
          throw err;
        }
      });
    }
  });
}
