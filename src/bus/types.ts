/**
 * The bus speaks EventBridge's own vocabulary end to end: requests and responses here have the member names of the
 * EventBridge JSON protocol (PascalCase), so the HTTP API is a thin router and an in-process caller sees exactly what
 * an `@aws-sdk/client-eventbridge` user sees. Timestamps are `Date` in process; the wire layer turns them into epoch
 * seconds.
 */
import type { EventEnvelope, PutEventsRequestEntry } from '../events/envelope.js';

export type { EventEnvelope, PutEventsRequestEntry };

export interface PutEventsRequest {
  Entries: PutEventsRequestEntry[];
  EndpointId?: string;
}
export interface PutEventsOptions {
  /** Reflow's own producers only: see EventBus.putEvents. */
  trusted?: boolean;
}
export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}
export interface PutEventsResponse {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

// ---- buses ----
export interface CreateEventBusRequest {
  Name: string;
  Description?: string;
  EventSourceName?: string;
  Tags?: Tag[];
}
export interface Tag {
  Key: string;
  Value: string;
}
export interface EventBusDescription {
  Name: string;
  Arn: string;
  Description?: string;
  CreationTime: Date;
  LastModifiedTime: Date;
}
export interface ListEventBusesRequest {
  NamePrefix?: string;
  NextToken?: string;
  Limit?: number;
}

// ---- rules ----
export type RuleState = 'ENABLED' | 'DISABLED';
export interface PutRuleRequest {
  Name: string;
  EventBusName?: string;
  EventPattern?: string;
  ScheduleExpression?: string;
  State?: RuleState;
  Description?: string;
  RoleArn?: string;
  Tags?: Tag[];
}
export interface RuleDescription {
  Name: string;
  Arn: string;
  EventBusName: string;
  EventPattern?: string;
  ScheduleExpression?: string;
  State: RuleState;
  Description?: string;
  RoleArn?: string;
  CreatedBy?: string;
  ManagedBy?: string;
}
export interface RuleRef {
  Name: string;
  EventBusName?: string;
}
export interface ListRulesRequest {
  EventBusName?: string;
  NamePrefix?: string;
  NextToken?: string;
  Limit?: number;
}

// ---- targets ----
export interface RetryPolicy {
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
}
export interface InputTransformer {
  InputPathsMap?: Record<string, string>;
  InputTemplate: string;
}
export interface HttpParameters {
  HeaderParameters?: Record<string, string>;
  QueryStringParameters?: Record<string, string>;
  PathParameterValues?: string[];
}
/**
 * A target. `Arn` chooses the kind:
 * - `arn:aws:events:<region>:<account>:event-bus/<name>`: another bus (the event is put there);
 * - `http://…` / `https://…`: an HTTP endpoint that receives the (transformed) payload as a POST body;
 * - `arn:aws:lambda:<region>:<account>:function:<name>` or `arn:reflow:handler:<name>`: an in-process handler
 *   registered with `bus.registerHandler(name, fn)`.
 * Any other ARN is accepted and stored (as EventBridge does), and deliveries to it fail until a handler for that
 * exact ARN is registered; they then follow the retry policy and dead-letter like any failure.
 */
export interface Target {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: InputTransformer;
  RetryPolicy?: RetryPolicy;
  DeadLetterConfig?: { Arn?: string };
  HttpParameters?: HttpParameters;
}
export interface PutTargetsRequest {
  Rule: string;
  EventBusName?: string;
  Targets: Target[];
}
export interface RemoveTargetsRequest {
  Rule: string;
  EventBusName?: string;
  Ids: string[];
  Force?: boolean;
}
export interface FailedTargetEntry {
  TargetId: string;
  ErrorCode: string;
  ErrorMessage: string;
}
export interface TargetsResponse {
  FailedEntryCount: number;
  FailedEntries: FailedTargetEntry[];
}
export interface ListTargetsByRuleRequest {
  Rule: string;
  EventBusName?: string;
  NextToken?: string;
  Limit?: number;
}
export interface ListRuleNamesByTargetRequest {
  TargetArn: string;
  EventBusName?: string;
  NextToken?: string;
  Limit?: number;
}

// ---- archives ----
export type ArchiveState = 'ENABLED' | 'DISABLED' | 'CREATING' | 'UPDATING' | 'CREATE_FAILED' | 'UPDATE_FAILED';
export interface CreateArchiveRequest {
  ArchiveName: string;
  EventSourceArn: string;
  Description?: string;
  EventPattern?: string;
  RetentionDays?: number;
}
export interface UpdateArchiveRequest {
  ArchiveName: string;
  Description?: string;
  EventPattern?: string;
  RetentionDays?: number;
}
export interface ArchiveDescription {
  ArchiveArn: string;
  ArchiveName: string;
  EventSourceArn: string;
  Description?: string;
  EventPattern?: string;
  State: ArchiveState;
  StateReason?: string;
  RetentionDays: number;
  SizeBytes: number;
  EventCount: number;
  CreationTime: Date;
}
export interface ListArchivesRequest {
  NamePrefix?: string;
  EventSourceArn?: string;
  State?: ArchiveState;
  NextToken?: string;
  Limit?: number;
}

// ---- replays ----
export type ReplayState = 'STARTING' | 'RUNNING' | 'CANCELLING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
export interface ReplayDestination {
  Arn: string;
  FilterArns?: string[];
}
export interface StartReplayRequest {
  ReplayName: string;
  Description?: string;
  EventSourceArn: string;
  EventStartTime: Date;
  EventEndTime: Date;
  Destination: ReplayDestination;
}
export interface ReplayDescription {
  ReplayName: string;
  ReplayArn: string;
  Description?: string;
  State: ReplayState;
  StateReason?: string;
  EventSourceArn: string;
  Destination: ReplayDestination;
  EventStartTime: Date;
  EventEndTime: Date;
  EventLastReplayedTime?: Date;
  ReplayStartTime: Date;
  ReplayEndTime?: Date;
  /** Reflow's addition: how far the replay is. */
  Progress?: ReplayProgress;
}
export interface ReplayProgress {
  EventsReplayed: number;
  EventsTotal: number;
}
export interface ListReplaysRequest {
  NamePrefix?: string;
  State?: ReplayState;
  EventSourceArn?: string;
  NextToken?: string;
  Limit?: number;
}

// ---- Reflow's additions ----
/** An in-process target. Throwing (or rejecting) counts as a failed attempt. */
export type EventHandler = (payload: unknown, context: DeliveryContext) => void | Promise<void>;
export interface HandlerOptions {
  /**
   * Deliveries to this handler that may run at once (1-64, default 1). They start in log order and each keeps its
   * own retries, but may finish in any order (as Lambda's asynchronous invocations): a handler that needs an order
   * (per key, say) keeps it itself. 1 delivers strictly one event after the other.
   */
  concurrency?: number;
}
export interface DeliveryContext {
  event: EventEnvelope;
  rule: string;
  eventBusName: string;
  targetId: string;
  attempt: number;
}
export interface DeadLetter {
  EventBusName: string;
  Rule: string;
  TargetId: string;
  TargetArn: string;
  DeadLetterArn?: string;
  Event: EventEnvelope;
  Attempts: number;
  LastError: string;
  Time: Date;
}
export interface ListDeadLettersRequest {
  EventBusName?: string;
  Rule?: string;
  NextToken?: string;
  Limit?: number;
}
export interface TailOptions {
  EventBusName?: string;
  EventPattern?: string;
  /** Start after this log position; default: only events accepted from now on. */
  After?: number;
}
export interface TailedEvent {
  Position: number;
  Event: EventEnvelope;
}
