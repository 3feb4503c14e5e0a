import type * as T from './types.js';

/** A stream of things: close() stops it, `closed` resolves (with an Error if it ended badly) and never rejects. */
export interface Subscription<V> extends AsyncIterable<V> {
  close(): Promise<void>;
  readonly closed: Promise<void | Error>;
}

/**
 * The bus port. Every adapter (SQLite embedded, NATS JetStream scale-out) implements it and runs the one
 * conformance suite (`runEventBusConformance`). Member names follow EventBridge's JSON protocol; errors are
 * `ReflowError`s with EventBridge's codes (`ResourceNotFoundException`, `ValidationException`, …).
 */
export interface EventBus {
  /**
   * `options.trusted` is for Reflow's own producers, never for the API: they may use `aws.*` sources, and an entry
   * carrying its own `EventId` is appended at most once (a repeat answers success and changes nothing), which is
   * what lets the store's outbox relay retry after a crash without duplicating an event.
   */
  putEvents(request: T.PutEventsRequest, options?: T.PutEventsOptions): Promise<T.PutEventsResponse>;

  createEventBus(request: T.CreateEventBusRequest): Promise<{ EventBusArn: string; Description?: string }>;
  describeEventBus(request: { Name?: string }): Promise<T.EventBusDescription>;
  listEventBuses(request: T.ListEventBusesRequest): Promise<{ EventBuses: T.EventBusDescription[]; NextToken?: string }>;
  deleteEventBus(request: { Name: string }): Promise<void>;

  putRule(request: T.PutRuleRequest): Promise<{ RuleArn: string }>;
  describeRule(request: T.RuleRef): Promise<T.RuleDescription>;
  listRules(request: T.ListRulesRequest): Promise<{ Rules: T.RuleDescription[]; NextToken?: string }>;
  enableRule(request: T.RuleRef): Promise<void>;
  disableRule(request: T.RuleRef): Promise<void>;
  deleteRule(request: T.RuleRef & { Force?: boolean }): Promise<void>;

  putTargets(request: T.PutTargetsRequest): Promise<T.TargetsResponse>;
  removeTargets(request: T.RemoveTargetsRequest): Promise<T.TargetsResponse>;
  listTargetsByRule(request: T.ListTargetsByRuleRequest): Promise<{ Targets: T.Target[]; NextToken?: string }>;
  listRuleNamesByTarget(request: T.ListRuleNamesByTargetRequest): Promise<{ RuleNames: string[]; NextToken?: string }>;

  createArchive(request: T.CreateArchiveRequest): Promise<{ ArchiveArn: string; State: T.ArchiveState; CreationTime: Date }>;
  describeArchive(request: { ArchiveName: string }): Promise<T.ArchiveDescription>;
  listArchives(request: T.ListArchivesRequest): Promise<{ Archives: T.ArchiveDescription[]; NextToken?: string }>;
  updateArchive(request: T.UpdateArchiveRequest): Promise<{ ArchiveArn: string; State: T.ArchiveState; CreationTime: Date }>;
  deleteArchive(request: { ArchiveName: string }): Promise<void>;

  startReplay(request: T.StartReplayRequest): Promise<{ ReplayArn: string; State: T.ReplayState; ReplayStartTime: Date }>;
  describeReplay(request: { ReplayName: string }): Promise<T.ReplayDescription>;
  listReplays(request: T.ListReplaysRequest): Promise<{ Replays: T.ReplayDescription[]; NextToken?: string }>;
  cancelReplay(request: { ReplayName: string }): Promise<{ ReplayArn: string; State: T.ReplayState }>;

  // ---- Reflow's additions ----
  /** Registers an in-process target, addressed as `arn:reflow:handler:<name>` or a Lambda function ARN's name. */
  registerHandler(name: string, handler: T.EventHandler, options?: T.HandlerOptions): void;
  /** Events a target gave up on: the event, the last error and the attempt count. */
  listDeadLetters(request: T.ListDeadLettersRequest): Promise<{ DeadLetters: T.DeadLetter[]; NextToken?: string }>;
  /** Follows a bus's log (optionally through a pattern) from a position; for `reflow events tail`. */
  tail(options: T.TailOptions): Subscription<T.TailedEvent>;
  /** Resolves once every delivery accepted so far has reached its target or a dead letter (tests, shutdown). */
  drain(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}
