import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRequest } from './validate.js';
import { INPUT_SHAPES } from './shapes.js';
import { ReflowError } from '../../errors.js';

const shape = (target: string) => INPUT_SHAPES[target]!;

function rejects(target: string, body: unknown, code: string, message?: string | RegExp) {
  assert.throws(
    () => decodeRequest(shape(target), body),
    (err: unknown) => {
      assert.ok(err instanceof ReflowError);
      assert.equal(err.code, code);
      if (typeof message === 'string') assert.equal(err.message, message);
      else if (message) assert.match(err.message, message);
      return true;
    },
  );
}

describe('wire decoding', () => {
  it('turns epoch seconds into Dates and drops unknown members', () => {
    const out = decodeRequest<{ Entries: Array<{ Time: Date }> }>(shape('AWSEvents.PutEvents'), {
      Entries: [{ Source: 's', DetailType: 'd', Detail: '{}', Time: 1640995200.5, Unknown: 1 }],
    });
    assert.ok(out.Entries[0]!.Time instanceof Date);
    assert.equal(out.Entries[0]!.Time.getTime(), 1640995200500);
    assert.equal('Unknown' in out.Entries[0]!, false);
  });

  it('treats null as absent', () => {
    assert.deepEqual(decodeRequest(shape('AWSEvents.ListRules'), { NamePrefix: null }), {});
  });

  it('answers a wrong JSON type with SerializationException naming the member', () => {
    rejects('AWSEvents.PutEvents', { Entries: 'nope' }, 'SerializationException', /STRING_VALUE can not be converted to a List \(member Entries\)/);
    rejects('AWSEvents.PutRule', { Name: 42 }, 'SerializationException', /NUMBER_VALUE can not be converted to a String \(member Name\)/);
    rejects('AWSEvents.ListRules', { Limit: '3' }, 'SerializationException');
    rejects('AWSEvents.PutEvents', [], 'SerializationException');
    rejects('AWSEvents.StartReplay', { ReplayName: 'r', EventSourceArn: 'a', EventStartTime: '2024-01-01', EventEndTime: 1, Destination: { Arn: 'x' } }, 'SerializationException');
  });

  it('reports a missing required member as AWS does', () => {
    rejects('AWSEvents.PutRule', {}, 'ValidationException', "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null");
  });

  it('reports every broken constraint with AWS member paths', () => {
    rejects(
      'AWSEvents.PutTargets',
      { Rule: 'r', Targets: [{ Id: '!@#$@!#$', Arn: 'arn' }] },
      'ValidationException',
      "1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
    );
    rejects(
      'AWSEvents.PutRule',
      { Name: 'x'.repeat(65), State: 'ON' },
      'ValidationException',
      /^2 validation errors detected: Value 'x{65}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 64; Value 'ON' at 'state' failed to satisfy constraint: Member must satisfy enum value set: \[ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS\]$/,
    );
  });

  it('renders a too-long entry list the way AWS (Java) does', () => {
    const entry = { Source: 's', DetailType: 'd', Detail: '{"a": 1}', EventBusName: 'default' };
    const rendered =
      'PutEventsRequestEntry(time=null, source=s, resources=null, detailType=d, detail={"a": 1}, eventBusName=default, traceHeader=null, kmsKeyIdentifier=null, internalMetadata=null)';
    rejects(
      'AWSEvents.PutEvents',
      { Entries: Array.from({ length: 11 }, () => entry) },
      'ValidationException',
      `1 validation error detected: Value '[${Array.from({ length: 11 }, () => rendered).join(', ')}]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10`,
    );
  });
});
