import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadRecordedApiCases, type RecordedCase } from '../../test/helpers/conformance.js';
import { isReflowError, type ReflowError } from '../errors.js';
import {
  formatViolations,
  memberPathToField,
  nameViolations,
  validateArchiveRef,
  validateCreateArchive,
  validateCreateEventBus,
  validateDeleteEventBus,
  validateDescribeEventBus,
  validateListLimit,
  validateListRequest,
  validateName,
  validatePutRule,
  validatePutTargets,
  validateRemoveTargets,
  validateReplayRef,
  validateRuleRef,
  validateStartReplay,
  validateUpdateArchive,
} from './validate.js';

function thrown(fn: () => void): ReflowError | undefined {
  try {
    fn();
  } catch (e) {
    assert.ok(isReflowError(e), `not a ReflowError: ${String(e)}`);
    return e;
  }
  return undefined;
}

function validationMessage(fn: () => void): string | undefined {
  const err = thrown(fn);
  if (err === undefined) return undefined;
  assert.equal(err.code, 'ValidationException');
  assert.equal(err.httpStatus, 400);
  return err.message;
}

// ---------------------------------------------------------------------------------------------------------------
// Recorded AWS answers

type Case = RecordedCase;

const recorded = loadRecordedApiCases();

const NOW_S = 1_767_225_600.5; // a fixed "now" with a fraction, as SDKs other than boto3 send it
function concrete(text: string): string {
  return text
    .replace(/"<now>"/g, String(NOW_S))
    .replace(/"<now - 1 minute>"/g, String(NOW_S - 60))
    .replace(/"<now \+ 1 minute>"/g, String(NOW_S + 60))
    .replace(/"<now as epoch seconds>"/g, String(NOW_S))
    .replace(/"<now truncated to the second, minus (\d+) s>"/g, (_, s: string) => String(Math.floor(NOW_S) - Number(s)))
    .replace(/"<timestamp: before the events were put>"/g, String(NOW_S - 3600))
    .replace(/"<timestamp: start \+ 1 minute>"/g, String(NOW_S - 3540))
    .replace(/<long-target-id>/g, `${'0123abcd-0123-4567-89ab-0123456789ab'}-${'0123abcd-0123-4567-89ab-0123456789ab'}-extra`)
    .replace(/<account>/g, '123456789012')
    .replace(/<region>/g, 'us-east-1')
    .replace(/<partition>/g, 'aws')
    .replace(/<archive-arn(-\d+)?>/g, (_, n = '') => `arn:aws:events:us-east-1:123456789012:archive/test-archive-name${n}`)
    .replace(/<(queue|lambda|log-group|stream|role)-arn(-\d+)?>/g, (_, kind: string, n = '') => `arn:aws:sqs:us-east-1:123456789012:${kind}${n}`)
    .replace(/<next-token(-\d+)?>/g, 'token')
    .replace(/<((?:bus|rule|target|archive|replay)-(?:name|id)(?:-prefix)?(?:-\d+)?|rule-prefix|other-prefix)>/g, 'test-$1');
}

/** Each validator this module offers, by operation. */
const VALIDATORS: Record<string, (req: any) => void> = {
  PutRule: validatePutRule,
  PutTargets: validatePutTargets,
  RemoveTargets: validateRemoveTargets,
  CreateEventBus: validateCreateEventBus,
  DeleteEventBus: validateDeleteEventBus,
  DescribeEventBus: validateDescribeEventBus,
  CreateArchive: validateCreateArchive,
  UpdateArchive: validateUpdateArchive,
  DescribeArchive: validateArchiveRef,
  DeleteArchive: validateArchiveRef,
  StartReplay: validateStartReplay,
  DescribeReplay: validateReplayRef,
  CancelReplay: validateReplayRef,
  DescribeRule: validateRuleRef,
  DeleteRule: validateRuleRef,
  EnableRule: validateRuleRef,
  DisableRule: validateRuleRef,
  ListRules: (r) => validateListRequest('rule', r),
  ListEventBuses: (r) => validateListRequest('bus', r),
  ListArchives: (r) => validateListRequest('archive', r),
  ListReplays: (r) => validateListRequest('replay', r),
  ListTargetsByRule: (r) => {
    validateRuleRef({ Name: r.Rule, EventBusName: r.EventBusName });
    validateListRequest(undefined, r);
  },
  ListRuleNamesByTarget: (r) => validateListRequest(undefined, r),
};

/** ValidationExceptions that need state (the bus answers them), so a stateless validator must let them through. */
const STATEFUL = [
  /^Rule can't be deleted since it has targets\.$/,
  /^Parameter Destination\.Arn is not valid\. Reason: Cross event bus replay is not permitted\.$/,
  /^Parameter EventSourceArn is not valid\. Reason: Archive .* does not exist\.$/,
];

if (recorded) describe('recorded AWS answers (eventbridge-api.json)', () => {
  const cases: Case[] = JSON.parse(concrete(JSON.stringify(recorded)));
  const mine = cases.filter((c) => VALIDATORS[c.operation] !== undefined);

  test('every ValidationException a stateless check can give comes out exactly', () => {
    const expected = mine.filter(
      (c) => c.expect.error?.code === 'ValidationException' && !STATEFUL.some((re) => re.test(c.expect.error.message)),
    );
    assert.deepEqual(
      expected.map((c) => c.name).sort(),
      [
        'deleteeventbus-default',
        'puttargets-id-invalid-characters',
        'puttargets-id-too-long',
        'puttargets-inputpath-and-inputtransformer',
        'puttargets-inputtemplate-undefined-placeholder',
        'startreplay-end-not-after-start-0s',
        'startreplay-end-not-after-start-10s',
        'updatearchive-no-fields',
      ].sort(),
    );
    for (const c of expected) {
      const err = thrown(() => VALIDATORS[c.operation]!(c.request));
      assert.ok(err, `${c.name}: no error`);
      assert.equal(err.code, c.expect.error.code, c.name);
      assert.equal(err.message, c.expect.error.message, c.name);
      assert.equal(err.httpStatus, c.expect.error.httpStatus, c.name);
    }
  });

  test('no recorded request that AWS accepted (or refused for state) is refused here', () => {
    const others = mine.filter(
      (c) => c.expect.error?.code !== 'ValidationException' || STATEFUL.some((re) => re.test(c.expect.error.message)),
    );
    assert.ok(others.length > 100, `only ${others.length} cases`);
    for (const c of others) {
      const err = thrown(() => VALIDATORS[c.operation]!(c.request));
      assert.equal(err, undefined, `${c.name}: ${err?.message}`);
    }
  });

  test('setup steps pass too', () => {
    for (const c of cases as Array<Case & { setup?: Array<{ operation: string; request: any }> }>) {
      for (const step of c.setup ?? []) {
        const v = VALIDATORS[step.operation];
        if (v === undefined) continue;
        const err = thrown(() => v(step.request));
        assert.equal(err, undefined, `${c.name} / ${step.operation}: ${err?.message}`);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Units

describe('formatting', () => {
  test('one and several violations, Java-style values', () => {
    assert.equal(
      formatViolations([{ value: 'x y', path: 'name', constraint: 'C' }]),
      "1 validation error detected: Value 'x y' at 'name' failed to satisfy constraint: C",
    );
    assert.equal(
      formatViolations([
        { value: null, path: 'a', constraint: 'Member must not be null' },
        { value: ['p', 'q'], path: 'b', constraint: 'C2' },
        { value: { k: 'v', n: 1 }, path: 'c', constraint: 'C3' },
        { value: 5, path: 'd', constraint: 'C4' },
      ]),
      "4 validation errors detected: Value null at 'a' failed to satisfy constraint: Member must not be null; " +
        "Value '[p, q]' at 'b' failed to satisfy constraint: C2; Value '{k=v, n=1}' at 'c' failed to satisfy constraint: C3; " +
        "Value '5' at 'd' failed to satisfy constraint: C4",
    );
  });

  test('member paths become request fields', () => {
    assert.equal(memberPathToField('targets.1.member.inputTransformer.inputTemplate'), 'Targets[0].InputTransformer.InputTemplate');
    assert.equal(memberPathToField('ids.3.member'), 'Ids[2]');
    assert.equal(memberPathToField('name'), 'Name');
  });
});

describe('validateName', () => {
  const rules: Array<[Parameters<typeof validateName>[0], number, string]> = [
    ['bus', 256, '[/\\.\\-_A-Za-z0-9]+'],
    ['rule', 64, '[\\.\\-_A-Za-z0-9]+'],
    ['target', 64, '[\\.\\-_A-Za-z0-9]+'],
    ['archive', 48, '[\\.\\-_A-Za-z0-9]+'],
    ['replay', 64, '[\\.\\-_A-Za-z0-9]+'],
  ];
  for (const [kind, max, pattern] of rules) {
    test(`${kind}: pattern ${pattern}, at most ${max}`, () => {
      assert.equal(validationMessage(() => validateName(kind, 'a'.repeat(max), 'name')), undefined);
      assert.equal(validationMessage(() => validateName(kind, 'Ab.-_9', 'name')), undefined);
      assert.equal(
        validationMessage(() => validateName(kind, 'a'.repeat(max + 1), 'name')),
        `1 validation error detected: Value '${'a'.repeat(max + 1)}' at 'name' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
      );
      assert.equal(
        validationMessage(() => validateName(kind, 'a b', 'name')),
        `1 validation error detected: Value 'a b' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern}`,
      );
      const both = `${'a'.repeat(max)}!`;
      assert.equal(
        validationMessage(() => validateName(kind, both, 'name')),
        `2 validation errors detected: Value '${both}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern}; ` +
          `Value '${both}' at 'name' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
      );
      assert.equal(
        validationMessage(() => validateName(kind, '', 'name')),
        `2 validation errors detected: Value '' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern}; ` +
          "Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
      assert.equal(
        validationMessage(() => validateName(kind, undefined, 'name')),
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
      );
    });
  }

  test('bus names may contain /, rule names may not; a bus ARN is a busOrArn', () => {
    assert.equal(nameViolations('bus', 'aws.partner/x/y', 'name').length, 0);
    assert.equal(nameViolations('rule', 'a/b', 'name').length, 1);
    assert.equal(nameViolations('busOrArn', 'arn:aws:events:us-east-1:123456789012:event-bus/b', 'eventBusName').length, 0);
  });

  test('a wrong JSON type is a SerializationException', () => {
    const err = thrown(() => validateName('rule', 42, 'name'));
    assert.equal(err?.code, 'SerializationException');
    assert.equal(err?.field, 'Name');
  });
});

describe('validatePutRule', () => {
  const ok = { Name: 'r', EventPattern: '{"source":["a"]}' };
  test('accepts a pattern rule and a schedule on the default bus', () => {
    assert.equal(validationMessage(() => validatePutRule(ok)), undefined);
    assert.equal(validationMessage(() => validatePutRule({ Name: 'r', ScheduleExpression: 'rate(5 minutes)' })), undefined);
    assert.equal(validationMessage(() => validatePutRule({ Name: 'r', ScheduleExpression: 'cron(0 12 * * ? *)', EventBusName: 'default' })), undefined);
  });
  test('needs a pattern or a schedule', () => {
    assert.equal(validationMessage(() => validatePutRule({ Name: 'r' })), 'Parameter(s) EventPattern or ScheduleExpression must be specified.');
  });
  test('schedules only on the default bus, and well-formed', () => {
    assert.equal(
      validationMessage(() => validatePutRule({ Name: 'r', ScheduleExpression: 'rate(1 hour)', EventBusName: 'mine' })),
      'ScheduleExpression is supported only on the default event bus.',
    );
    assert.equal(validationMessage(() => validatePutRule({ Name: 'r', ScheduleExpression: 'every minute' })), 'Parameter ScheduleExpression is not valid.');
  });
  test('model constraints are collected across members, in model order', () => {
    assert.equal(
      validationMessage(() =>
        validatePutRule({ Name: 'bad name', EventPattern: 'x'.repeat(4097), State: 'ON' as never, Description: 'd'.repeat(513), EventBusName: 'a b' }),
      ),
      "5 validation errors detected: Value 'bad name' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+; " +
        `Value '${'x'.repeat(4097)}' at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to 4096; ` +
        "Value 'ON' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]; " +
        `Value '${'d'.repeat(513)}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 512; ` +
        "Value 'a b' at 'eventBusName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:aws[\\w-]*:events:[a-z]+-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+",
    );
  });
  test('tags', () => {
    assert.match(validationMessage(() => validatePutRule({ ...ok, Tags: [{ Key: '', Value: 'v' }] }))!, /at 'tags\.1\.member\.key' failed to satisfy constraint: Member must have length greater than or equal to 1$/);
  });
});

describe('validatePutTargets / validateRemoveTargets', () => {
  test('target list length and per-target paths', () => {
    assert.equal(
      validationMessage(() => validatePutTargets({ Rule: 'r', Targets: [] })),
      "1 validation error detected: Value '[]' at 'targets' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    assert.equal(
      validationMessage(() => validatePutTargets({ Rule: 'r', Targets: [{ Id: 'ok', Arn: 'arn:aws:sqs:us-east-1:1:q' }, { Id: 'no!', Arn: '' }] })),
      "2 validation errors detected: Value 'no!' at 'targets.2.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+; " +
        "Value '' at 'targets.2.member.arn' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    assert.match(
      validationMessage(() => validatePutTargets({ Rule: 'r', Targets: [{ Id: 'a', Arn: 'arn:x:y:z', RetryPolicy: { MaximumRetryAttempts: 186, MaximumEventAgeInSeconds: 59 } }] }))!,
      /maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 185; .*maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60$/,
    );
    // The 5-targets limit is the bus's.
    const six = Array.from({ length: 6 }, (_, i) => ({ Id: `t${i}`, Arn: 'arn:aws:sqs:us-east-1:123456789012:q' }));
    assert.equal(validationMessage(() => validatePutTargets({ Rule: 'r', Targets: six })), undefined);
  });
  test('RemoveTargets ids', () => {
    assert.equal(
      validationMessage(() => validateRemoveTargets({ Rule: 'r', Ids: ['ok', 'bad id'] })),
      "1 validation error detected: Value 'bad id' at 'ids.2.member' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
    );
    assert.equal(
      validationMessage(() => validateRemoveTargets({ Rule: 'r', Ids: undefined as never })),
      "1 validation error detected: Value null at 'ids' failed to satisfy constraint: Member must not be null",
    );
  });
});

describe('buses, archives, replays, listings', () => {
  test('CreateEventBus', () => {
    assert.equal(validationMessage(() => validateCreateEventBus({ Name: 'orders' })), undefined);
    assert.equal(validationMessage(() => validateCreateEventBus({ Name: 'a/b' })), "Event bus name must not contain '/'.");
    assert.equal(validationMessage(() => validateCreateEventBus({ Name: 'aws.partner/acme/x', EventSourceName: 'aws.partner/acme/x' })), undefined);
  });
  test('DeleteEventBus default (recorded)', () => {
    assert.equal(validationMessage(() => validateDeleteEventBus({ Name: 'default' })), 'Cannot delete event bus default.');
  });
  test('CreateArchive source ARN pattern and retention', () => {
    assert.equal(
      validationMessage(() => validateCreateArchive({ ArchiveName: 'a', EventSourceArn: 'bus', RetentionDays: -1 })),
      "2 validation errors detected: Value 'bus' at 'eventSourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws([a-z]|\\-)*:events:([a-z]|\\d|\\-)*:([0-9]{12})?:.+\\/.+$; " +
        "Value '-1' at 'retentionDays' failed to satisfy constraint: Member must have value greater than or equal to 0",
    );
  });
  test('UpdateArchive needs a field (recorded), RetentionDays 0 counts', () => {
    assert.equal(validationMessage(() => validateUpdateArchive({ ArchiveName: 'a' })), 'At least one of EventPattern, RetentionDays or Description must be provided.');
    assert.equal(validationMessage(() => validateUpdateArchive({ ArchiveName: 'a', RetentionDays: 0 })), undefined);
  });
  test('StartReplay: required members, and end after start at second precision', () => {
    const base = {
      ReplayName: 'r',
      EventSourceArn: 'arn:aws:events:us-east-1:123456789012:archive/a',
      Destination: { Arn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' },
    };
    assert.equal(validationMessage(() => validateStartReplay({ ...base, EventStartTime: new Date(1000), EventEndTime: new Date(2000) })), undefined);
    const same = 'Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.';
    assert.equal(validationMessage(() => validateStartReplay({ ...base, EventStartTime: new Date(1200), EventEndTime: new Date(1900) })), same);
    assert.equal(validationMessage(() => validateStartReplay({ ...base, EventStartTime: new Date(5000), EventEndTime: new Date(1000) })), same);
    assert.equal(
      validationMessage(() => validateStartReplay({ ReplayName: 'r' } as never)),
      "4 validation errors detected: Value null at 'eventSourceArn' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'eventStartTime' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'eventEndTime' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'destination' failed to satisfy constraint: Member must not be null",
    );
  });
  test('list limits', () => {
    assert.equal(validationMessage(() => validateListLimit(100)), undefined);
    assert.equal(validationMessage(() => validateListLimit(undefined)), undefined);
    assert.equal(
      validationMessage(() => validateListLimit(101)),
      "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
    assert.equal(
      validationMessage(() => validateListLimit(0)),
      "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    assert.equal(thrown(() => validateListLimit(1.5))?.code, 'SerializationException');
    assert.match(validationMessage(() => validateListRequest('archive', { NamePrefix: 'x'.repeat(49) }))!, /at 'namePrefix'.*less than or equal to 48$/);
  });
});
