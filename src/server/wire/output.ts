/**
 * Response shapes of the JSON protocol: which members each operation answers with (AWS's list entries carry fewer
 * members than the describe calls: no CreatedBy in ListRules, no ArchiveArn in ListArchives, …), and timestamps as
 * epoch seconds. The bus may know more about a resource than EventBridge shows; the wire shows what EventBridge
 * shows, plus Reflow's documented additions (DescribeReplay's Progress).
 */

/** `true` keeps a member as is (Dates still become epoch seconds); an object projects a nested value or list. */
export interface Projection {
  [member: string]: true | Projection;
}

const keep = (...members: string[]): Projection => Object.fromEntries(members.map((m) => [m, true as const]));

const RuleEntry = keep('Name', 'Arn', 'EventPattern', 'State', 'Description', 'ScheduleExpression', 'RoleArn', 'ManagedBy', 'EventBusName');
const BusEntry = keep('Name', 'Arn', 'Description', 'Policy', 'CreationTime', 'LastModifiedTime');
const ArchiveEntry = keep('ArchiveName', 'EventSourceArn', 'State', 'StateReason', 'RetentionDays', 'SizeBytes', 'EventCount', 'CreationTime');
const ReplayEntry = keep(
  'ReplayName',
  'EventSourceArn',
  'State',
  'StateReason',
  'EventStartTime',
  'EventEndTime',
  'EventLastReplayedTime',
  'ReplayStartTime',
  'ReplayEndTime',
);
const TargetsResult = { FailedEntryCount: true, FailedEntries: keep('TargetId', 'ErrorCode', 'ErrorMessage') } as const;

/** `undefined` for an operation means: pass the bus's answer through (Reflow's own operations). */
export const OUTPUT_PROJECTIONS: Record<string, Projection | undefined> = {
  'AWSEvents.PutEvents': { FailedEntryCount: true, Entries: keep('EventId', 'ErrorCode', 'ErrorMessage') },
  'AWSEvents.TestEventPattern': keep('Result'),

  'AWSEvents.CreateEventBus': keep('EventBusArn', 'Description', 'KmsKeyIdentifier', 'DeadLetterConfig', 'LogConfig'),
  'AWSEvents.DescribeEventBus': keep(
    'Name',
    'Arn',
    'Description',
    'KmsKeyIdentifier',
    'DeadLetterConfig',
    'Policy',
    'LogConfig',
    'CreationTime',
    'LastModifiedTime',
  ),
  'AWSEvents.ListEventBuses': { EventBuses: BusEntry, NextToken: true },
  'AWSEvents.DeleteEventBus': {},

  'AWSEvents.PutRule': keep('RuleArn'),
  'AWSEvents.DescribeRule': { ...RuleEntry, CreatedBy: true },
  'AWSEvents.ListRules': { Rules: RuleEntry, NextToken: true },
  'AWSEvents.EnableRule': {},
  'AWSEvents.DisableRule': {},
  'AWSEvents.DeleteRule': {},

  'AWSEvents.PutTargets': TargetsResult,
  'AWSEvents.RemoveTargets': TargetsResult,
  // Targets come back with every member they were put with.
  'AWSEvents.ListTargetsByRule': keep('Targets', 'NextToken'),
  'AWSEvents.ListRuleNamesByTarget': keep('RuleNames', 'NextToken'),

  'AWSEvents.CreateArchive': keep('ArchiveArn', 'State', 'StateReason', 'CreationTime'),
  'AWSEvents.DescribeArchive': keep(
    'ArchiveArn',
    'ArchiveName',
    'EventSourceArn',
    'Description',
    'EventPattern',
    'State',
    'StateReason',
    'KmsKeyIdentifier',
    'RetentionDays',
    'SizeBytes',
    'EventCount',
    'CreationTime',
  ),
  'AWSEvents.ListArchives': { Archives: ArchiveEntry, NextToken: true },
  'AWSEvents.UpdateArchive': keep('ArchiveArn', 'State', 'StateReason', 'CreationTime'),
  'AWSEvents.DeleteArchive': {},

  'AWSEvents.StartReplay': keep('ReplayArn', 'State', 'StateReason', 'ReplayStartTime'),
  'AWSEvents.DescribeReplay': {
    ...ReplayEntry,
    ReplayArn: true,
    Description: true,
    Destination: true,
    // Reflow's addition: how far the replay is ({EventsReplayed, EventsTotal}); the AWS SDK ignores it.
    Progress: true,
  },
  'AWSEvents.ListReplays': { Replays: ReplayEntry, NextToken: true },
  'AWSEvents.CancelReplay': keep('ReplayArn', 'State', 'StateReason'),

  'Reflow.ListDeadLetters': undefined,
};

/** Dates become epoch seconds (fractions kept, as AWS answers), recursively; undefined members disappear. */
export function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toWire(v);
    return out;
  }
  return value;
}

export function project(value: unknown, projection: Projection | undefined): unknown {
  if (projection === undefined) return toWire(value ?? {});
  if (value === null || typeof value !== 'object') return {};
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [member, rule] of Object.entries(projection)) {
    const v = source[member];
    if (v === undefined || v === null) continue;
    if (rule === true) out[member] = toWire(v);
    else if (Array.isArray(v)) out[member] = v.map((entry) => project(entry, rule));
    else out[member] = project(v, rule);
  }
  return out;
}
