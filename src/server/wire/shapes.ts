/**
 * The input shapes of the EventBridge JSON protocol, with the model constraints AWS's front end checks before an
 * operation runs (types, required members, lengths, patterns, ranges, enums). They come from the EventBridge API
 * reference; the messages built from them follow the recorded AWS answers ("1 validation error detected: Value '…'
 * at 'targets.1.member.id' failed to satisfy constraint: …"). Business rules (5 targets per rule, one of
 * Input/InputPath/InputTransformer, …) are the bus's, not the wire's.
 */

export type Shape = StringShape | IntegerShape | BooleanShape | TimestampShape | ListShape | MapShape | StructureShape | DocumentShape;

export interface StringShape {
  type: 'string';
  min?: number;
  max?: number;
  /** Java regular expression text as the model writes it (shown verbatim in messages; matched as a whole). */
  pattern?: string;
  enum?: readonly string[];
}
export interface IntegerShape {
  type: 'integer';
  min?: number;
  max?: number;
}
export interface BooleanShape {
  type: 'boolean';
}
/** Epoch seconds on the wire (fractions allowed); a Date in process. */
export interface TimestampShape {
  type: 'timestamp';
}
export interface ListShape {
  type: 'list';
  member: Shape;
  min?: number;
  max?: number;
}
export interface MapShape {
  type: 'map';
  key: StringShape;
  value: Shape;
  max?: number;
}
export interface StructureShape {
  type: 'structure';
  /** The model's name; AWS renders structure values in messages as `Name(member=value, …)`. */
  name: string;
  members: Record<string, Shape>;
  required?: readonly string[];
  /**
   * Member order for rendering a value in a message when it differs from `members` (the Java class's field order);
   * extra names render as `null` (AWS's internal fields).
   */
  renderOrder?: readonly string[];
}
/** Any JSON value, passed through as is (target parameters Reflow stores but does not interpret). */
export interface DocumentShape {
  type: 'document';
}

const str = (min?: number, max?: number, pattern?: string): StringShape => ({ type: 'string', min, max, pattern });
const int = (min?: number, max?: number): IntegerShape => ({ type: 'integer', min, max });
const bool: BooleanShape = { type: 'boolean' };
const time: TimestampShape = { type: 'timestamp' };
const doc: DocumentShape = { type: 'document' };
const list = (member: Shape, min?: number, max?: number): ListShape => ({ type: 'list', member, min, max });
const struct = (name: string, members: Record<string, Shape>, required: readonly string[] = []): StructureShape => ({
  type: 'structure',
  name,
  members,
  required,
});

// ---- shared member shapes (names as in the EventBridge model) ----
const NAME_PATTERN = '[\\.\\-_A-Za-z0-9]+';
const EventBusName = str(1, 256, '[/\\.\\-_A-Za-z0-9]+');
const EventBusNameOrArn = str(1, 1600, '(arn:aws[\\w-]*:events:[a-z]+-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+');
const NonPartnerEventBusNameOrArn = str(1, 1600, '(arn:aws[\\w-]*:events:[a-z]+-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[\\.\\-_A-Za-z0-9]+');
const RuleName = str(1, 64, NAME_PATTERN);
const TargetId = str(1, 64, NAME_PATTERN);
const ArchiveName = str(1, 48, NAME_PATTERN);
const ReplayName = str(1, 64, NAME_PATTERN);
const Arn = str(1, 1600);
const Description = str(undefined, 512);
const EventPattern = str(undefined, 4096);
const NextToken = str(1, 2048);
const LimitMax100 = int(1, 100);
const Tag = struct('Tag', { Key: str(1, 128), Value: str(0, 256) }, ['Key', 'Value']);
const TagList = list(Tag);
const RuleState: StringShape = { type: 'string', enum: ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'] };
const ArchiveState: StringShape = { type: 'string', enum: ['ENABLED', 'DISABLED', 'CREATING', 'UPDATING', 'CREATE_FAILED', 'UPDATE_FAILED'] };
const ReplayState: StringShape = { type: 'string', enum: ['STARTING', 'RUNNING', 'CANCELLING', 'COMPLETED', 'CANCELLED', 'FAILED'] };

const InputTransformer = struct(
  'InputTransformer',
  {
    InputPathsMap: { type: 'map', key: str(undefined, 256, '[A-Za-z0-9\\_\\-]+'), value: str(undefined, 256), max: 100 },
    InputTemplate: str(1, 8192),
  },
  ['InputTemplate'],
);
const Target = struct(
  'Target',
  {
    Id: TargetId,
    Arn,
    RoleArn: Arn,
    Input: str(undefined, 8192),
    InputPath: str(undefined, 256),
    InputTransformer,
    KinesisParameters: doc,
    RunCommandParameters: doc,
    EcsParameters: doc,
    BatchParameters: doc,
    SqsParameters: doc,
    HttpParameters: struct('HttpParameters', {
      PathParameterValues: list(str(undefined, undefined, '(?!\\s*$).+')),
      HeaderParameters: { type: 'map', key: str(undefined, 512, '[!#$%&\'*+-.^_`|~0-9a-zA-Z]+'), value: str(undefined, 512) },
      QueryStringParameters: { type: 'map', key: str(undefined, 512), value: str(undefined, 512) },
    }),
    RedshiftDataParameters: doc,
    SageMakerPipelineParameters: doc,
    DeadLetterConfig: struct('DeadLetterConfig', { Arn }),
    RetryPolicy: struct('RetryPolicy', { MaximumRetryAttempts: int(0, 185), MaximumEventAgeInSeconds: int(60, 86400) }),
    AppSyncParameters: doc,
  },
  ['Id', 'Arn'],
);

const PutEventsRequestEntry: StructureShape = {
  ...struct('PutEventsRequestEntry', {
    Time: time,
    Source: str(),
    Resources: list(str(undefined, 2048)),
    DetailType: str(),
    Detail: str(),
    EventBusName: NonPartnerEventBusNameOrArn,
    TraceHeader: str(1, 500),
  }),
  // The Java field order AWS prints (recorded in putevents-more-than-10-entries-*).
  renderOrder: ['Time', 'Source', 'Resources', 'DetailType', 'Detail', 'EventBusName', 'TraceHeader', 'KmsKeyIdentifier', 'InternalMetadata'],
};

/** The request shape of every operation the JSON protocol serves, keyed by X-Amz-Target. */
export const INPUT_SHAPES: Record<string, StructureShape> = {
  'AWSEvents.PutEvents': struct(
    'PutEventsRequest',
    { Entries: list(PutEventsRequestEntry, 1, 10), EndpointId: str(1, 50, '^[A-Za-z0-9\\-]+[\\.][A-Za-z0-9\\-]+$') },
    ['Entries'],
  ),
  'AWSEvents.TestEventPattern': struct('TestEventPatternRequest', { EventPattern, Event: str() }, ['EventPattern', 'Event']),

  'AWSEvents.CreateEventBus': struct(
    'CreateEventBusRequest',
    { Name: EventBusName, EventSourceName: str(1, 256, 'aws\\.partner(/[\\.\\-_A-Za-z0-9]+){2,}'), Description, KmsKeyIdentifier: str(undefined, 2048), DeadLetterConfig: doc, LogConfig: doc, Tags: TagList },
    ['Name'],
  ),
  'AWSEvents.DescribeEventBus': struct('DescribeEventBusRequest', { Name: EventBusNameOrArn }),
  'AWSEvents.ListEventBuses': struct('ListEventBusesRequest', { NamePrefix: str(1, 256, NAME_PATTERN), NextToken, Limit: LimitMax100 }),
  'AWSEvents.DeleteEventBus': struct('DeleteEventBusRequest', { Name: EventBusName }, ['Name']),

  'AWSEvents.PutRule': struct(
    'PutRuleRequest',
    { Name: RuleName, ScheduleExpression: str(undefined, 256), EventPattern, State: RuleState, Description, RoleArn: Arn, Tags: TagList, EventBusName: EventBusNameOrArn },
    ['Name'],
  ),
  'AWSEvents.DescribeRule': struct('DescribeRuleRequest', { Name: RuleName, EventBusName: EventBusNameOrArn }, ['Name']),
  'AWSEvents.ListRules': struct('ListRulesRequest', { NamePrefix: RuleName, EventBusName: EventBusNameOrArn, NextToken, Limit: LimitMax100 }),
  'AWSEvents.EnableRule': struct('EnableRuleRequest', { Name: RuleName, EventBusName: EventBusNameOrArn }, ['Name']),
  'AWSEvents.DisableRule': struct('DisableRuleRequest', { Name: RuleName, EventBusName: EventBusNameOrArn }, ['Name']),
  'AWSEvents.DeleteRule': struct('DeleteRuleRequest', { Name: RuleName, EventBusName: EventBusNameOrArn, Force: bool }, ['Name']),

  'AWSEvents.PutTargets': struct('PutTargetsRequest', { Rule: RuleName, EventBusName: EventBusNameOrArn, Targets: list(Target, 1) }, ['Rule', 'Targets']),
  'AWSEvents.RemoveTargets': struct(
    'RemoveTargetsRequest',
    { Rule: RuleName, EventBusName: EventBusNameOrArn, Ids: list(TargetId, 1, 100), Force: bool },
    ['Rule', 'Ids'],
  ),
  'AWSEvents.ListTargetsByRule': struct('ListTargetsByRuleRequest', { Rule: RuleName, EventBusName: EventBusNameOrArn, NextToken, Limit: LimitMax100 }, ['Rule']),
  'AWSEvents.ListRuleNamesByTarget': struct(
    'ListRuleNamesByTargetRequest',
    { TargetArn: Arn, EventBusName: EventBusNameOrArn, NextToken, Limit: LimitMax100 },
    ['TargetArn'],
  ),

  'AWSEvents.CreateArchive': struct(
    'CreateArchiveRequest',
    { ArchiveName, EventSourceArn: Arn, Description, EventPattern, RetentionDays: int(0), KmsKeyIdentifier: str(undefined, 2048) },
    ['ArchiveName', 'EventSourceArn'],
  ),
  'AWSEvents.DescribeArchive': struct('DescribeArchiveRequest', { ArchiveName }, ['ArchiveName']),
  'AWSEvents.ListArchives': struct('ListArchivesRequest', { NamePrefix: ArchiveName, EventSourceArn: Arn, State: ArchiveState, NextToken, Limit: LimitMax100 }),
  'AWSEvents.UpdateArchive': struct(
    'UpdateArchiveRequest',
    { ArchiveName, Description, EventPattern, RetentionDays: int(0), KmsKeyIdentifier: str(undefined, 2048) },
    ['ArchiveName'],
  ),
  'AWSEvents.DeleteArchive': struct('DeleteArchiveRequest', { ArchiveName }, ['ArchiveName']),

  'AWSEvents.StartReplay': struct(
    'StartReplayRequest',
    {
      ReplayName,
      Description,
      EventSourceArn: Arn,
      EventStartTime: time,
      EventEndTime: time,
      Destination: struct('ReplayDestination', { Arn: str(1, 1600, '^arn:aws([a-z]|\\-)*:events:([a-z]|\\d|\\-)*:([0-9]{12})?:.+\\/.+$'), FilterArns: list(Arn) }, ['Arn']),
    },
    ['ReplayName', 'EventSourceArn', 'EventStartTime', 'EventEndTime', 'Destination'],
  ),
  'AWSEvents.DescribeReplay': struct('DescribeReplayRequest', { ReplayName }, ['ReplayName']),
  'AWSEvents.ListReplays': struct('ListReplaysRequest', { NamePrefix: ReplayName, State: ReplayState, EventSourceArn: Arn, NextToken, Limit: LimitMax100 }),
  'AWSEvents.CancelReplay': struct('CancelReplayRequest', { ReplayName }, ['ReplayName']),

  // Reflow's extensions on the same protocol.
  'Reflow.ListDeadLetters': struct('ListDeadLettersRequest', { EventBusName: EventBusNameOrArn, Rule: RuleName, NextToken, Limit: LimitMax100 }),
};
