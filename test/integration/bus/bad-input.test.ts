/**
 * Bad input gets a clear error and loses nothing: a battery of malformed, oversized, invalid and dangling requests
 * through the real AWS SDK, each answered with its code, and a snapshot of everything stored taken before and after
 * must be identical.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as EB from '@aws-sdk/client-eventbridge';
import { startReflow } from '../../helpers/reflow.js';

const PATTERN = JSON.stringify({ source: ['app'] });

test('bad requests are refused with their codes and change nothing stored', async () => {
  const reflow = await startReflow();
  const sdk = reflow.sdk();
  try {
    const busArn = (await sdk.send(new EB.DescribeEventBusCommand({}))).Arn!;
    await sdk.send(new EB.PutRuleCommand({ Name: 'r', EventPattern: PATTERN }));
    await sdk.send(new EB.PutTargetsCommand({ Rule: 'r', Targets: [{ Id: 't', Arn: 'arn:reflow:handler:sink' }] }));
    reflow.bus.registerHandler('sink', () => undefined);
    await sdk.send(new EB.CreateArchiveCommand({ ArchiveName: 'a', EventSourceArn: busArn }));
    await sdk.send(new EB.PutEventsCommand({ Entries: [{ Source: 'app', DetailType: 't', Detail: '{"n":1}' }] }));
    await reflow.bus.drain();

    const snapshot = async () => ({
      buses: (await sdk.send(new EB.ListEventBusesCommand({}))).EventBuses?.map((b) => b.Name),
      rules: (await sdk.send(new EB.ListRulesCommand({}))).Rules?.map((r) => [r.Name, r.State, r.EventPattern]),
      targets: (await sdk.send(new EB.ListTargetsByRuleCommand({ Rule: 'r' }))).Targets,
      archive: await sdk.send(new EB.DescribeArchiveCommand({ ArchiveName: 'a' })).then((a) => [a.EventCount, a.SizeBytes, a.EventPattern]),
      replays: (await sdk.send(new EB.ListReplaysCommand({}))).Replays?.length,
    });
    const before = await snapshot();

    const refused: Array<[string, () => Promise<unknown>, string]> = [
      ['oversized request', () => sdk.send(new EB.PutEventsCommand({ Entries: [{ Source: 'app', DetailType: 't', Detail: JSON.stringify({ p: 'x'.repeat(262_144) }) }] })), 'ValidationException'],
      ['too many entries', () => sdk.send(new EB.PutEventsCommand({ Entries: Array.from({ length: 11 }, () => ({ Source: 'app', DetailType: 't', Detail: '{}' })) })), 'ValidationException'],
      ['invalid pattern', () => sdk.send(new EB.PutRuleCommand({ Name: 'r', EventPattern: '{"source":"app"}' })), 'InvalidEventPatternException'],
      ['pattern not JSON', () => sdk.send(new EB.PutRuleCommand({ Name: 'new', EventPattern: '{source' })), 'InvalidEventPatternException'],
      ['wildcard pattern too complex', () => sdk.send(new EB.PutRuleCommand({ Name: 'r', EventPattern: JSON.stringify({ key: [{ wildcard: 'a*b*c*d*e*f*g*h*i*j*k' }] }) })), 'InvalidEventPatternException'],
      ['archive pattern too complex', () => sdk.send(new EB.UpdateArchiveCommand({ ArchiveName: 'a', EventPattern: JSON.stringify({ key: [{ wildcard: '*aaaaaaaaaaaa' }] }) })), 'InvalidEventPatternException'],
      ['unknown bus', () => sdk.send(new EB.PutRuleCommand({ Name: 'x', EventBusName: 'nope', EventPattern: PATTERN })), 'ResourceNotFoundException'],
      ['unknown rule', () => sdk.send(new EB.PutTargetsCommand({ Rule: 'nope', Targets: [{ Id: 'x', Arn: 'arn:reflow:handler:x' }] })), 'ResourceNotFoundException'],
      ['unknown archive', () => sdk.send(new EB.DeleteArchiveCommand({ ArchiveName: 'nope' })), 'ResourceNotFoundException'],
      ['unknown replay', () => sdk.send(new EB.CancelReplayCommand({ ReplayName: 'nope' })), 'ResourceNotFoundException'],
      ['replay of an unknown archive', () => sdk.send(new EB.StartReplayCommand({ ReplayName: 'x', EventSourceArn: busArn.replace('event-bus/default', 'archive/nope'), EventStartTime: new Date(0), EventEndTime: new Date(), Destination: { Arn: busArn } })), 'ValidationException'],
      ['bad target id', () => sdk.send(new EB.PutTargetsCommand({ Rule: 'r', Targets: [{ Id: 'no spaces', Arn: 'arn:reflow:handler:x' }] })), 'ValidationException'],
      ['a sixth target', () => sdk.send(new EB.PutTargetsCommand({ Rule: 'r', Targets: Array.from({ length: 5 }, (_, i) => ({ Id: `n${i}`, Arn: 'arn:reflow:handler:x' })) })), 'LimitExceededException'],
      ['duplicate archive', () => sdk.send(new EB.CreateArchiveCommand({ ArchiveName: 'a', EventSourceArn: busArn })), 'ResourceAlreadyExistsException'],
      ['describe an unknown bus', () => sdk.send(new EB.DescribeEventBusCommand({ Name: 'nope' })), 'ResourceNotFoundException'],
      ['describe an unknown rule', () => sdk.send(new EB.DescribeRuleCommand({ Name: 'nope' })), 'ResourceNotFoundException'],
      ['enable an unknown rule', () => sdk.send(new EB.EnableRuleCommand({ Name: 'nope' })), 'ResourceNotFoundException'],
      ['describe an unknown archive', () => sdk.send(new EB.DescribeArchiveCommand({ ArchiveName: 'nope' })), 'ResourceNotFoundException'],
      ['describe an unknown replay', () => sdk.send(new EB.DescribeReplayCommand({ ReplayName: 'nope' })), 'ResourceNotFoundException'],
      ['archive on an unknown bus', () => sdk.send(new EB.CreateArchiveCommand({ ArchiveName: 'b', EventSourceArn: busArn.replace('/default', '/nope') })), 'ResourceNotFoundException'],
    ];
    for (const [what, call, code] of refused) {
      await assert.rejects(call(), (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(err.name, code, `${what}: ${err.name}: ${err.message}`);
        assert.ok(err.message.length > 0, `${what} has a message`);
        assert.equal(err.$metadata?.httpStatusCode, 400, what);
        return true;
      });
    }

    // Malformed JSON and wrong types, below the SDK.
    const raw = async (target: string, body: string) =>
      fetch(reflow.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSEvents.${target}` }, body });
    for (const [target, body, code] of [
      ['PutEvents', '{"Entries": [', 'SerializationException'],
      ['PutEvents', '{"Entries": "not a list"}', 'SerializationException'],
      ['PutRule', '{"Name": 42, "EventPattern": "{}"}', 'SerializationException'],
      ['PutTargets', '{"Rule": "r", "Targets": {"Id": "t"}}', 'SerializationException'],
      ['PutEvents', '{"Entries": [{"Source": "app", "DetailType": "t", "Detail": {"not": "a string"}}]}', 'SerializationException'],
      ['StartReplay', '{"ReplayName": "x", "EventSourceArn": "a", "EventStartTime": "yesterday", "EventEndTime": 1, "Destination": {"Arn": "b"}}', 'SerializationException'],
    ] as const) {
      const res = await raw(target, body);
      assert.equal(res.status, 400, `${target} ${body}`);
      assert.equal(((await res.json()) as { __type: string }).__type, code, `${target} ${body}`);
    }

    // Per-entry failures are answered per entry and store nothing.
    const mixed = await sdk.send(
      new EB.PutEventsCommand({
        Entries: [
          { Source: 'app', DetailType: 't', Detail: '[1]' },
          { Source: 'app', DetailType: 't' },
          { Source: 'app', DetailType: 't', Detail: '{}', EventBusName: 'nope' },
          { Source: 'app', DetailType: 't', Detail: '{"unclosed": ' },
        ],
      }),
    );
    assert.equal(mixed.FailedEntryCount, 4);
    assert.deepEqual(mixed.Entries!.map((e) => [e.ErrorCode, e.EventId]), [
      ['MalformedDetail', undefined],
      ['InvalidArgument', undefined],
      ['ResourceNotFoundException', undefined],
      ['MalformedDetail', undefined],
    ]);

    // CloudEvents ingest: malformed JSON, a missing required attribute, an oversized event, an unknown bus.
    const ce = (path: string, body: string) =>
      fetch(`${reflow.endpoint}${path}`, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body });
    for (const [what, path, body, code] of [
      ['CloudEvent not JSON', '/cloudevents', '{"specversion":', undefined],
      ['CloudEvent without source', '/cloudevents', JSON.stringify({ specversion: '1.0', id: '1', type: 't' }), 'InvalidArgument'],
      ['CloudEvent over 256 KB', '/cloudevents', JSON.stringify({ specversion: '1.0', id: '1', type: 't', source: 'app', data: { p: 'x'.repeat(262_144) } }), undefined],
      ['CloudEvent to an unknown bus', '/cloudevents/nope', JSON.stringify({ specversion: '1.0', id: '1', type: 't', source: 'app', data: {} }), 'ResourceNotFoundException'],
    ] as const) {
      const res = await ce(path, body);
      assert.equal(res.status, 400, `${what}: ${res.status}`);
      const answer = (await res.json()) as { __type?: string; message?: string };
      assert.ok(answer.__type && answer.message, `${what} answers a code and a message: ${JSON.stringify(answer)}`);
      if (code) assert.equal(answer.__type, code, what);
    }

    assert.deepEqual(await snapshot(), before);
  } finally {
    await reflow.close();
  }
});
