/**
 * The embedded bus: EventBridge's buses, rules, targets, archives and replays over one SQLite database (WAL).
 *
 * PutEvents validates, routes (one shared matcher per bus) and then, in ONE transaction, appends each event to the
 * log, queues it for every matched target and files it in every matching archive. Only after the commit does it
 * answer, so an acknowledged event survives SIGKILL with its deliveries and archive entries; dispatchers then deliver
 * each target's queue in log order (at least once) and a restart resumes from the queues.
 *
 * Where the time goes, and what keeps it down: the append is multi-row INSERTs (log-writer.ts), WAL checkpoints run on
 * a worker thread (checkpointer.ts), archive counters are written once a second (archive-counters.ts), and an
 * in-process target gets the event object routing already parsed (handoff.ts).
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ReflowError, wrapError } from '../../errors.js';
import type { EventBus, Subscription } from '../port.js';
import type * as T from '../types.js';
import { compileEventBusOptions, type CompiledEventBusOptions, type EventBusOptions } from '../options.js';
import { archiveArn, busArn, busNameOf, parseEventsArn, parseRuleArn, replayArn, ruleArn, type Region } from '../arn.js';
import { BusRouting, routedTarget, type RoutedTarget } from '../routing.js';
import { TargetDispatcher, type DispatchQueue, type QueuedEvent } from '../dispatcher.js';
import { DeliveryError, invokeTarget } from '../delivery.js';
import { backoffMs } from '../retry.js';
import { page } from '../paging.js';
import { alreadyExists, archiveNotFound, busNotFound, limitExceeded, replayNotFound, ruleNotFound } from '../messages.js';
import { prepareEntry, validatePutEventsRequest, withReplayName } from '../../events/entry.js';
import { renderTargetInput, validateTarget, UndeliverableInputError } from '../input-transform.js';
import * as validate from '../validate.js';
import { checkPattern } from '../../events/pattern/index.js';
import { DDL, SCHEMA_VERSION } from './schema.js';
import { LogTail } from './log-tail.js';
import { appended, LogWriter, type Appended, type AppendResult } from './log-writer.js';
import { ArchiveCounters } from './archive-counters.js';
import { EnvelopeHandoff } from './handoff.js';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, WalCheckpointer } from './checkpointer.js';
import { ReplayRunner, type ReplayHost, type ReplayRow } from './replay-runner.js';

export interface SqliteEventBusOptions extends EventBusOptions {
  /** Database file, or ':memory:' (tests only: nothing survives). */
  path: string;
  /**
   * EventBridge accepts at most 10 entries per PutEvents; in-process callers that batch more (the pipeline, the
   * benchmarks) may raise it. The HTTP API always keeps EventBridge's limit.
   */
  maxEntriesPerRequest?: number;
  /**
   * EventBridge refuses `aws.*` sources from callers (NotAuthorizedForSourceException). Reflow's own producers (the
   * store emits `aws.s3`-shaped events) run with this set; events forwarded bus to bus always keep their source.
   */
  allowAwsSources?: boolean;
  /** 'process' (default): survives SIGKILL of this process (WAL, synchronous=NORMAL). 'power': also power loss (FULL). */
  durability?: 'process' | 'power';
}

const MAX_TARGETS_PER_RULE = 5;
const DAY_MS = 86_400_000;
/** The log keeps delivered, unarchived events this long, for `tail --after` and inspection. */
const LOG_RETENTION_MS = DAY_MS;
const PURGE_EVERY_MS = 3_600_000;
const ACK_FLUSH_MS = 10;
const COUNTERS_FLUSH_MS = 1_000;
const MAX_ACTIVE_REPLAYS = 10;
/**
 * Ids of events trusted producers put with their own EventId (the store's outbox relay). A relay that crashed after
 * the bus committed but before it deleted its outbox row puts the same event again; this table turns that into a
 * no-op, so each object version gets exactly one event. Kept as long as the log keeps delivered events.
 */
const EVENT_IDS_DDL = `CREATE TABLE IF NOT EXISTS event_ids (id TEXT PRIMARY KEY, ms INTEGER NOT NULL) WITHOUT ROWID;`;

interface RuleRow {
  bus: string;
  name: string;
  pattern: string | null;
  schedule: string | null;
  state: T.RuleState;
  description: string | null;
  role_arn: string | null;
}

interface ArchiveRow {
  aid: number;
  name: string;
  bus: string;
  pattern: string | null;
  description: string | null;
  retention_days: number;
  state: T.ArchiveState;
  created_ms: number;
  event_count: number;
  size_bytes: number;
}

export class SqliteEventBus implements EventBus {
  private readonly db: Database.Database;
  private readonly options: CompiledEventBusOptions & { maxEntries: number; allowAwsSources: boolean };
  private readonly region: Region;
  private readonly routing = new Map<string, BusRouting>();
  private readonly dispatchers = new Map<number, TargetDispatcher>();
  private readonly handlers = new Map<string, T.EventHandler>();
  private readonly handlerConcurrency = new Map<string, number>();
  private readonly runners = new Map<string, ReplayRunner>();
  private readonly tails = new Set<LogTail>();
  private readonly stmt: ReturnType<typeof prepare>;
  private readonly log: LogWriter;
  private readonly appendTx: (items: Appended[]) => AppendResult;
  private readonly counters: ArchiveCounters;
  private readonly handoff = new EnvelopeHandoff();
  private countersTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private checkpointer: WalCheckpointer | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private readonly acks = new Map<number, number>();
  private ackTimer: NodeJS.Timeout | undefined;

  static open(options: SqliteEventBusOptions): SqliteEventBus {
    return new SqliteEventBus(options);
  }

  private constructor(options: SqliteEventBusOptions) {
    const compiled = compileEventBusOptions(options);
    this.options = { ...compiled, maxEntries: options.maxEntriesPerRequest ?? 10, allowAwsSources: options.allowAwsSources ?? false };
    this.region = { region: compiled.region, account: compiled.account };
    try {
      if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
      this.db = new Database(options.path);
      this.db.pragma('journal_mode = WAL');
      const synchronous = options.durability === 'power' ? 'FULL' : 'NORMAL';
      this.db.pragma(`synchronous = ${synchronous}`);
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(DDL);
      this.db.exec(EVENT_IDS_DDL);
      this.db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
      ArchiveCounters.migrate(this.db);
      if (options.path !== ':memory:') {
        this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
        this.checkpointer = WalCheckpointer.start(options.path, { synchronous });
      }
    } catch (err) {
      throw wrapError(err, 'InternalException', `cannot open bus database ${options.path}: ${(err as Error).message}`);
    }
    this.stmt = prepare(this.db);
    this.log = new LogWriter(this.db);
    this.counters = new ArchiveCounters(this.db);
    this.counters.reconcile();
    this.invokeEnv.httpTimeoutMs = compiled.httpTimeoutMs;
    this.appendTx = this.db.transaction((items: Appended[]) => this.log.append(items));
    this.ensureDefaultBus();
    this.loadRouting();
    for (const dispatcher of this.dispatchers.values()) dispatcher.wake();
    this.resumeReplays();
    this.purge();
    this.purgeTimer = setInterval(() => this.purge(), PURGE_EVERY_MS).unref();
  }

  /**
   * Drops archived events past their archive's retention (0 keeps them forever, as EventBridge), then log rows that
   * no archive keeps, no target still owes, and that are older than the log's own retention.
   */
  purge(nowMs = Date.now()): void {
    if (this.closed) return;
    // The decrements below apply to stored counts, so those must be complete first (in their own transaction: a
    // purge that failed would otherwise take the flushed counts down with it).
    this.counters.flush();
    this.db.transaction(() => {
      for (const archive of this.stmt.listArchives.all() as ArchiveRow[]) {
        if (archive.retention_days <= 0) continue;
        const expired = this.stmt.expiredArchived.get(archive.aid, nowMs - archive.retention_days * DAY_MS) as { n: number; bytes: number | null };
        if (expired.n === 0) continue;
        this.stmt.deleteExpiredArchived.run({ aid: archive.aid, cutoff: nowMs - archive.retention_days * DAY_MS });
        this.stmt.countArchived.run(-expired.n, -(expired.bytes ?? 0), archive.aid);
      }
      this.stmt.purgeLog.run(nowMs - LOG_RETENTION_MS);
      this.db.prepare('DELETE FROM event_ids WHERE ms < ?').run(nowMs - LOG_RETENTION_MS);
    })();
  }

  // ---------------------------------------------------------------- events

  async putEvents(request: T.PutEventsRequest, options?: T.PutEventsOptions): Promise<T.PutEventsResponse> {
    this.assertOpen();
    validatePutEventsRequest(request ?? {}, { maxEntries: this.options.maxEntries });
    const trusted = options?.trusted === true;
    return this.accept(request.Entries as Array<T.PutEventsRequestEntry & { EventId?: string }>, trusted || this.options.allowAwsSources, trusted);
  }

  /** Validates, routes and appends entries; per-entry failures are answered, not thrown (as EventBridge does). */
  private accept(entries: Array<T.PutEventsRequestEntry & { EventId?: string }>, trusted = this.options.allowAwsSources, dedupe = false): T.PutEventsResponse {
    const nowMs = Date.now();
    const checks = { allowAwsSources: trusted, generatedId: false };
    const generated = { allowAwsSources: trusted, generatedId: true };
    const results: T.PutEventsResultEntry[] = new Array(entries.length);
    const items: Appended[] = [];
    let failed = 0;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const given = entry.EventId;
      const id = given ?? randomUUID();
      const prepared = prepareEntry(entry, this.region, id, nowMs, given === undefined ? generated : checks);
      if ('ErrorCode' in prepared) {
        results[i] = prepared;
        failed++;
        continue;
      }
      const bus = busNameOf(entry.EventBusName);
      const routing = this.routing.get(bus);
      if (!routing) {
        results[i] = { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
        failed++;
        continue;
      }
      const tids = routing.routeTids(prepared.envelope);
      items.push(
        appended(
          bus,
          prepared.json,
          nowMs,
          prepared.size,
          null,
          tids,
          routing.archivesFor(prepared.envelope),
          tids.length === 1 ? prepared.envelope : undefined,
          dedupe ? given : undefined,
        ),
      );
      results[i] = { EventId: id };
    }
    if (items.length) this.commit(items);
    return { FailedEntryCount: failed, Entries: results };
  }

  /** Appends in one transaction, then wakes whoever waits on those queues and logs. */
  private commit(items: Appended[]): void {
    let result: AppendResult;
    try {
      result = this.appendTx(items);
    } catch (err) {
      throw wrapError(err, 'InternalException', `could not store events: ${(err as Error).message}`);
    }
    this.committed(result);
    this.wakeFor(items);
  }

  /** After a commit: counts its archive rows, written out within a second (see ArchiveCounters). */
  private committed(result: AppendResult): void {
    this.counters.add(result.archives, result.lastSeq);
    this.countersTimer ??= setTimeout(() => {
      this.countersTimer = undefined;
      if (!this.closed) this.counters.flush();
    }, COUNTERS_FLUSH_MS).unref();
  }

  private wakeFor(items: readonly Appended[]): void {
    for (const item of items) {
      if (item.envelope !== undefined && item.seq !== undefined) this.handoff.offer(item.seq, item.tids[0]!, item.envelope);
      for (const tid of item.tids) this.dispatchers.get(tid)?.wake();
    }
    if (this.tails.size) for (const tail of this.tails) tail.wake();
  }

  // ---------------------------------------------------------------- buses

  async createEventBus(request: T.CreateEventBusRequest): Promise<{ EventBusArn: string; Description?: string }> {
    this.assertOpen();
    validate.validateCreateEventBus(request);
    const name = request.Name;
    if (this.routing.has(name)) throw alreadyExists('Event bus', name, 'Name');
    const now = Date.now();
    this.stmt.insertBus.run(name, request.Description ?? null, now, now);
    this.routing.set(name, new BusRouting());
    const arn = busArn(this.region, name);
    return request.Description === undefined ? { EventBusArn: arn } : { EventBusArn: arn, Description: request.Description };
  }

  async describeEventBus(request: { Name?: string }): Promise<T.EventBusDescription> {
    this.assertOpen();
    const name = busNameOf(request?.Name);
    const row = this.stmt.getBus.get(name) as BusRow | undefined;
    if (!row) throw busNotFound(name);
    return this.toBusDescription(row);
  }

  async listEventBuses(request: T.ListEventBusesRequest): Promise<{ EventBuses: T.EventBusDescription[]; NextToken?: string }> {
    this.assertOpen();
    validate.validateListLimit(request?.Limit);
    const rows = (this.stmt.listBuses.all() as BusRow[]).filter((b) => !request?.NamePrefix || b.name.startsWith(request.NamePrefix));
    const { items, next } = page(rows, (b) => b.name, request?.Limit, request?.NextToken);
    return withToken({ EventBuses: items.map((b) => this.toBusDescription(b)) }, next);
  }

  async deleteEventBus(request: { Name: string }): Promise<void> {
    this.assertOpen();
    const name = busNameOf(request?.Name);
    if (name === 'default') throw new ReflowError('ValidationException', 'Cannot delete event bus default.', { field: 'Name' });
    const routing = this.routing.get(name);
    if (!routing) return; // EventBridge answers a delete of a missing bus with success
    for (const target of routing.allTargets()) this.dropDispatcher(target.tid);
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM pending WHERE tid IN (SELECT tid FROM targets WHERE bus = ?)').run(name);
      this.db.prepare('DELETE FROM targets WHERE bus = ?').run(name);
      this.db.prepare('DELETE FROM rules WHERE bus = ?').run(name);
      this.db.prepare('DELETE FROM buses WHERE name = ?').run(name);
    })();
    this.routing.delete(name);
  }

  private toBusDescription(row: BusRow): T.EventBusDescription {
    const out: T.EventBusDescription = {
      Name: row.name,
      Arn: busArn(this.region, row.name),
      CreationTime: new Date(row.created_ms),
      LastModifiedTime: new Date(row.modified_ms),
    };
    if (row.description !== null) out.Description = row.description;
    return out;
  }

  // ---------------------------------------------------------------- rules

  async putRule(request: T.PutRuleRequest): Promise<{ RuleArn: string }> {
    this.assertOpen();
    validate.validatePutRule(request);
    const bus = busNameOf(request.EventBusName);
    const routing = this.busRouting(bus);
    if (request.ScheduleExpression !== undefined) {
      throw new ReflowError(
        'ValidationException',
        'ScheduleExpression is not supported yet: schedules arrive with workflows. Use EventPattern.',
        { field: 'ScheduleExpression' },
      );
    }
    if (request.EventPattern === undefined) {
      throw new ReflowError('ValidationException', 'Parameter(s) EventPattern or ScheduleExpression must be specified.', { field: 'EventPattern' });
    }
    throwIfInvalidPattern(request.EventPattern);
    const existing = this.stmt.getRule.get(bus, request.Name) as RuleRow | undefined;
    const state = request.State ?? existing?.state ?? 'ENABLED';
    this.stmt.upsertRule.run(bus, request.Name, request.EventPattern, state, request.Description ?? null, request.RoleArn ?? null, Date.now());
    const arn = ruleArn(this.region, bus, request.Name);
    routing.setRule(request.Name, arn, request.EventPattern, state === 'ENABLED');
    return { RuleArn: arn };
  }

  async describeRule(request: T.RuleRef): Promise<T.RuleDescription> {
    this.assertOpen();
    const bus = busNameOf(request?.EventBusName);
    this.busRouting(bus);
    const row = this.stmt.getRule.get(bus, request?.Name) as RuleRow | undefined;
    if (!row) throw ruleNotFound(String(request?.Name), bus);
    return { ...this.toRuleDescription(row), CreatedBy: this.region.account };
  }

  async listRules(request: T.ListRulesRequest): Promise<{ Rules: T.RuleDescription[]; NextToken?: string }> {
    this.assertOpen();
    validate.validateListLimit(request?.Limit);
    const bus = busNameOf(request?.EventBusName);
    this.busRouting(bus);
    const rows = (this.stmt.listRules.all(bus) as RuleRow[]).filter((r) => !request?.NamePrefix || r.name.startsWith(request.NamePrefix));
    const { items, next } = page(rows, (r) => r.name, request?.Limit, request?.NextToken);
    return withToken({ Rules: items.map((r) => this.toRuleDescription(r)) }, next);
  }

  async enableRule(request: T.RuleRef): Promise<void> {
    this.setRuleState(request, 'ENABLED');
  }

  async disableRule(request: T.RuleRef): Promise<void> {
    this.setRuleState(request, 'DISABLED');
  }

  private setRuleState(request: T.RuleRef, state: T.RuleState): void {
    this.assertOpen();
    const bus = busNameOf(request?.EventBusName);
    const routing = this.busRouting(bus);
    const row = this.stmt.getRule.get(bus, request?.Name) as RuleRow | undefined;
    if (!row) throw ruleNotFound(String(request?.Name), bus);
    this.stmt.setRuleState.run(state, bus, row.name);
    routing.setRule(row.name, ruleArn(this.region, bus, row.name), row.pattern ?? undefined, state === 'ENABLED');
  }

  async deleteRule(request: T.RuleRef & { Force?: boolean }): Promise<void> {
    this.assertOpen();
    const bus = busNameOf(request?.EventBusName);
    const routing = this.busRouting(bus);
    const row = this.stmt.getRule.get(bus, request?.Name) as RuleRow | undefined;
    if (!row) return; // as EventBridge: deleting a missing rule succeeds
    if (routing.targetsOf(row.name).length > 0) {
      throw new ReflowError('ValidationException', "Rule can't be deleted since it has targets.", { field: 'Name' });
    }
    this.stmt.deleteRule.run(bus, row.name);
    routing.deleteRule(row.name);
  }

  private toRuleDescription(row: RuleRow): T.RuleDescription {
    const out: T.RuleDescription = {
      Name: row.name,
      Arn: ruleArn(this.region, row.bus, row.name),
      EventBusName: row.bus,
      State: row.state,
    };
    if (row.pattern !== null) out.EventPattern = row.pattern;
    if (row.schedule !== null) out.ScheduleExpression = row.schedule;
    if (row.description !== null) out.Description = row.description;
    if (row.role_arn !== null) out.RoleArn = row.role_arn;
    return out;
  }

  // ---------------------------------------------------------------- targets

  async putTargets(request: T.PutTargetsRequest): Promise<T.TargetsResponse> {
    this.assertOpen();
    validate.validatePutTargets(request);
    request.Targets.forEach((target, index) => validateTarget(target, index));
    const bus = busNameOf(request.EventBusName);
    const routing = this.busRouting(bus);
    const rule = this.stmt.getRule.get(bus, request.Rule) as RuleRow | undefined;
    if (!rule) throw ruleNotFound(request.Rule, bus);
    const current = routing.targetsOf(rule.name);
    const ids = new Set([...current.map((t) => t.target.Id), ...request.Targets.map((t) => t.Id)]);
    if (ids.size > MAX_TARGETS_PER_RULE) throw limitExceeded('Targets');

    const arn = ruleArn(this.region, bus, rule.name);
    const updated = new Map(current.map((t) => [t.target.Id, t]));
    this.db.transaction(() => {
      for (const target of request.Targets) {
        const spec = JSON.stringify(target);
        const tid = Number((this.stmt.upsertTarget.get(bus, rule.name, target.Id, target.Arn, spec) as { tid: number }).tid);
        updated.set(target.Id, routedTarget(tid, bus, rule.name, arn, target));
      }
    })();
    routing.setTargets(rule.name, [...updated.values()]);
    for (const route of updated.values()) this.ensureDispatcher(route);
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  async removeTargets(request: T.RemoveTargetsRequest): Promise<T.TargetsResponse> {
    this.assertOpen();
    validate.validateRemoveTargets(request);
    const bus = busNameOf(request.EventBusName);
    const routing = this.busRouting(bus);
    const rule = this.stmt.getRule.get(bus, request.Rule) as RuleRow | undefined;
    if (!rule) throw ruleNotFound(request.Rule, bus);
    const remove = new Set(request.Ids);
    const current = routing.targetsOf(rule.name);
    const gone = current.filter((t) => remove.has(t.target.Id));
    // Undelivered events of a removed target are dropped with it, as in EventBridge.
    this.db.transaction(() => {
      for (const t of gone) {
        this.stmt.deletePendingOf.run(t.tid);
        this.stmt.deleteTarget.run(t.tid);
      }
    })();
    for (const t of gone) this.dropDispatcher(t.tid);
    routing.setTargets(rule.name, current.filter((t) => !remove.has(t.target.Id)));
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  async listTargetsByRule(request: T.ListTargetsByRuleRequest): Promise<{ Targets: T.Target[]; NextToken?: string }> {
    this.assertOpen();
    validate.validateListLimit(request?.Limit);
    const bus = busNameOf(request?.EventBusName);
    const routing = this.busRouting(bus);
    const rule = this.stmt.getRule.get(bus, request?.Rule) as RuleRow | undefined;
    if (!rule) throw ruleNotFound(String(request?.Rule), bus);
    // EventBridge lists targets in the order they were added; tids grow in that order.
    const targets = [...routing.targetsOf(rule.name)].sort((a, b) => a.tid - b.tid);
    const { items, next } = page(targets, (t) => String(t.tid).padStart(16, '0'), request.Limit, request.NextToken);
    return withToken({ Targets: items.map((t) => t.target) }, next);
  }

  async listRuleNamesByTarget(request: T.ListRuleNamesByTargetRequest): Promise<{ RuleNames: string[]; NextToken?: string }> {
    this.assertOpen();
    validate.validateListLimit(request?.Limit);
    const bus = busNameOf(request?.EventBusName);
    this.busRouting(bus);
    const names = (this.stmt.rulesByTarget.all(bus, request?.TargetArn) as Array<{ rule: string }>).map((r) => r.rule);
    const { items, next } = page(names, (n) => n, request.Limit, request.NextToken);
    return withToken({ RuleNames: items }, next);
  }

  // ---------------------------------------------------------------- archives

  async createArchive(request: T.CreateArchiveRequest): Promise<{ ArchiveArn: string; State: T.ArchiveState; CreationTime: Date }> {
    this.assertOpen();
    validate.validateCreateArchive(request);
    const bus = this.busOfArn(request.EventSourceArn, 'EventSourceArn');
    const routing = this.busRouting(bus);
    if (this.stmt.getArchive.get(request.ArchiveName)) throw alreadyExists('Archive', request.ArchiveName, 'ArchiveName');
    if (request.EventPattern !== undefined) throwIfInvalidPattern(request.EventPattern);
    const now = Date.now();
    const aid = Number(
      this.stmt.insertArchive.run(request.ArchiveName, bus, request.EventPattern ?? null, request.Description ?? null, request.RetentionDays ?? 0, now)
        .lastInsertRowid,
    );
    routing.setArchive(aid, request.EventPattern);
    return { ArchiveArn: archiveArn(this.region, request.ArchiveName), State: 'ENABLED', CreationTime: new Date(now) };
  }

  async describeArchive(request: { ArchiveName: string }): Promise<T.ArchiveDescription> {
    this.assertOpen();
    const row = this.stmt.getArchive.get(request?.ArchiveName) as ArchiveRow | undefined;
    if (!row) throw archiveNotFound(String(request?.ArchiveName));
    return this.toArchiveDescription(row);
  }

  async listArchives(request: T.ListArchivesRequest): Promise<{ Archives: T.ArchiveDescription[]; NextToken?: string }> {
    this.assertOpen();
    validate.validateListLimit(request?.Limit);
    let bus: string | undefined;
    if (request?.EventSourceArn) {
      bus = this.busOfArn(request.EventSourceArn, 'EventSourceArn');
      this.busRouting(bus);
    }
    const rows = (this.stmt.listArchives.all() as ArchiveRow[]).filter(
      (a) =>
        (!request?.NamePrefix || a.name.startsWith(request.NamePrefix)) &&
        (!bus || a.bus === bus) &&
        (!request?.State || a.state === request.State),
    );
    const { items, next } = page(rows, (a) => a.name, request?.Limit, request?.NextToken);
    // List entries carry fewer members than DescribeArchive, as EventBridge answers.
    const archives = items.map((row) => {
      const { ArchiveArn: _a, Description: _d, EventPattern: _p, ...summary } = this.toArchiveDescription(row);
      return summary as T.ArchiveDescription;
    });
    return withToken({ Archives: archives }, next);
  }

  async updateArchive(request: T.UpdateArchiveRequest): Promise<{ ArchiveArn: string; State: T.ArchiveState; CreationTime: Date }> {
    this.assertOpen();
    validate.validateUpdateArchive(request);
    const row = this.stmt.getArchive.get(request.ArchiveName) as ArchiveRow | undefined;
    if (!row) throw archiveNotFound(request.ArchiveName);
    if (request.EventPattern !== undefined) throwIfInvalidPattern(request.EventPattern);
    const pattern = request.EventPattern ?? row.pattern;
    this.stmt.updateArchive.run(pattern, request.Description ?? row.description, request.RetentionDays ?? row.retention_days, row.aid);
    this.routing.get(row.bus)?.setArchive(row.aid, pattern ?? undefined);
    return { ArchiveArn: archiveArn(this.region, row.name), State: row.state, CreationTime: new Date(row.created_ms) };
  }

  async deleteArchive(request: { ArchiveName: string }): Promise<void> {
    this.assertOpen();
    const row = this.stmt.getArchive.get(request?.ArchiveName) as ArchiveRow | undefined;
    if (!row) throw archiveNotFound(String(request?.ArchiveName));
    this.db.transaction(() => {
      this.stmt.deleteArchived.run(row.aid);
      this.stmt.deleteArchive.run(row.aid);
    })();
    this.counters.forget(row.aid);
    this.routing.get(row.bus)?.deleteArchive(row.aid);
  }

  private toArchiveDescription(row: ArchiveRow): T.ArchiveDescription {
    const out: T.ArchiveDescription = {
      ArchiveArn: archiveArn(this.region, row.name),
      ArchiveName: row.name,
      EventSourceArn: busArn(this.region, row.bus),
      State: row.state,
      RetentionDays: row.retention_days,
      SizeBytes: row.size_bytes + this.counters.pending(row.aid).bytes,
      EventCount: row.event_count + this.counters.pending(row.aid).count,
      CreationTime: new Date(row.created_ms),
    };
    if (row.description !== null) out.Description = row.description;
    if (row.pattern !== null) out.EventPattern = row.pattern;
    return out;
  }

  // ---------------------------------------------------------------- replays

  async startReplay(request: T.StartReplayRequest): Promise<{ ReplayArn: string; State: T.ReplayState; ReplayStartTime: Date }> {
    this.assertOpen();
    validate.validateStartReplay(request);
    const archiveName = parseEventsArn(request.EventSourceArn)?.name ?? request.EventSourceArn;
    const archive = this.stmt.getArchive.get(archiveName) as ArchiveRow | undefined;
    if (!archive) {
      throw new ReflowError('ValidationException', `Parameter EventSourceArn is not valid. Reason: Archive ${archiveName} does not exist.`, {
        field: 'EventSourceArn',
      });
    }
    const destination = this.busOfArn(request.Destination.Arn, 'Destination.Arn');
    this.busRouting(destination);
    if (destination !== archive.bus) {
      throw new ReflowError('ValidationException', 'Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.', {
        field: 'Destination.Arn',
      });
    }
    for (const filter of request.Destination.FilterArns ?? []) {
      const rule = parseRuleArn(filter);
      if (!rule || rule.bus !== destination) {
        throw new ReflowError('ValidationException', `Parameter Destination.FilterArns is not valid. Reason: ${filter} is not a rule of event bus ${destination}.`, {
          field: 'Destination.FilterArns',
        });
      }
    }
    if (this.stmt.getReplay.get(request.ReplayName)) throw alreadyExists('Replay', request.ReplayName, 'ReplayName');
    const active = (this.stmt.countActiveReplays.get() as { n: number }).n;
    if (active >= MAX_ACTIVE_REPLAYS) throw limitExceeded('ReplayName');

    const startMs = request.EventStartTime.getTime();
    const endMs = request.EventEndTime.getTime();
    const total = (this.stmt.countReplayable.get(archive.aid, startMs, endMs) as { n: number }).n;
    const now = Date.now();
    this.stmt.insertReplay.run(
      request.ReplayName,
      request.Description ?? null,
      archive.name,
      archive.aid,
      request.EventSourceArn,
      startMs,
      endMs,
      JSON.stringify(request.Destination),
      now,
      total,
    );
    this.launchReplay(request.ReplayName);
    return { ReplayArn: replayArn(this.region, request.ReplayName), State: 'STARTING', ReplayStartTime: new Date(now) };
  }

  async describeReplay(request: { ReplayName: string }): Promise<T.ReplayDescription> {
    this.assertOpen();
    const row = this.stmt.getReplay.get(request?.ReplayName) as ReplayRow | undefined;
    if (!row) throw replayNotFound(String(request?.ReplayName));
    return this.toReplayDescription(row, true);
  }

  async listReplays(request: T.ListReplaysRequest): Promise<{ Replays: T.ReplayDescription[]; NextToken?: string }> {
    this.assertOpen();
    validate.validateListLimit(request?.Limit);
    const rows = (this.stmt.listReplays.all() as ReplayRow[]).filter(
      (r) =>
        (!request?.NamePrefix || r.name.startsWith(request.NamePrefix)) &&
        (!request?.State || r.state === request.State) &&
        (!request?.EventSourceArn || r.source_arn === request.EventSourceArn),
    );
    const { items, next } = page(rows, (r) => r.name, request?.Limit, request?.NextToken);
    return withToken({ Replays: items.map((r) => this.toReplayDescription(r, false)) }, next);
  }

  async cancelReplay(request: { ReplayName: string }): Promise<{ ReplayArn: string; State: T.ReplayState }> {
    this.assertOpen();
    const row = this.stmt.getReplay.get(request?.ReplayName) as ReplayRow | undefined;
    if (!row) throw replayNotFound(String(request?.ReplayName));
    if (row.state !== 'STARTING' && row.state !== 'RUNNING') {
      throw new ReflowError('IllegalStatusException', `Replay ${row.name} is not in a valid state for this operation.`, { field: 'ReplayName' });
    }
    this.stmt.setReplayState.run('CANCELLING', null, null, row.name);
    this.runners.get(row.name)?.cancel();
    return { ReplayArn: replayArn(this.region, row.name), State: 'CANCELLING' };
  }

  private toReplayDescription(row: ReplayRow, full: boolean): T.ReplayDescription {
    const out: T.ReplayDescription = {
      ReplayName: row.name,
      ReplayArn: replayArn(this.region, row.name),
      State: row.state,
      EventSourceArn: row.source_arn,
      Destination: JSON.parse(row.destination) as T.ReplayDestination,
      EventStartTime: new Date(row.start_ms),
      EventEndTime: new Date(row.end_ms),
      ReplayStartTime: new Date(row.replay_start_ms),
    };
    if (row.description !== null) out.Description = row.description;
    if (row.state_reason !== null) out.StateReason = row.state_reason;
    if (row.last_replayed_ms !== null) out.EventLastReplayedTime = new Date(row.last_replayed_ms);
    if (row.replay_end_ms !== null) out.ReplayEndTime = new Date(row.replay_end_ms);
    if (full) {
      out.Progress = { EventsReplayed: row.replayed, EventsTotal: Math.max(row.total, row.replayed) };
      return out;
    }
    // List entries carry fewer members than DescribeReplay, as EventBridge answers.
    const { ReplayArn: _a, Destination: _d, Description: _s, ...summary } = out;
    return summary as T.ReplayDescription;
  }

  private resumeReplays(): void {
    for (const row of this.stmt.listReplays.all() as ReplayRow[]) {
      if (row.state === 'CANCELLING') this.stmt.setReplayState.run('CANCELLED', null, Date.now(), row.name);
      else if (row.state === 'STARTING' || row.state === 'RUNNING') this.launchReplay(row.name);
    }
  }

  private launchReplay(name: string): void {
    const runner = new ReplayRunner(this.replayHost, name, this.options.replayBatchSize);
    this.runners.set(name, runner);
    void runner.run().finally(() => this.runners.delete(name));
  }

  private readonly replayHost: ReplayHost = {
    load: (name) => this.stmt.getReplay.get(name) as ReplayRow | undefined,
    setState: (name, state, reason) =>
      this.stmt.setReplayState.run(state, reason ?? null, state === 'RUNNING' ? null : Date.now(), name),
    nextBatch: (row, limit) => this.stmt.replayBatch.all(row.aid, row.cursor_seq, row.start_ms, row.end_ms, limit) as Array<{ seq: number; ingest_ms: number; json: string }>,
    append: (row, batch) => this.appendReplayed(row, batch),
  };

  /** Routes one batch of archived events to the destination rules and commits it with the replay's cursor. */
  private appendReplayed(row: ReplayRow, batch: Array<{ seq: number; ingest_ms: number; json: string }>): void {
    const destination = JSON.parse(row.destination) as T.ReplayDestination;
    const bus = this.busOfArn(destination.Arn, 'Destination.Arn');
    const routing = this.busRouting(bus);
    const only = destination.FilterArns?.length
      ? new Set(destination.FilterArns.map((arn) => parseRuleArn(arn)?.rule).filter((n): n is string => !!n))
      : undefined;
    const now = Date.now();
    const items: Appended[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const archived = batch[i]!;
      const original = JSON.parse(archived.json) as T.EventEnvelope;
      // A replayed copy gets its own id, as EventBridge gives it (recorded), and carries the replay's name.
      const id = randomUUID();
      const json = withReplayName(archived.json, original, row.name, id);
      const envelope = replayedEnvelope(original, id, row.name);
      const tids = routing.routeTids(envelope, only);
      items[i] = appended(bus, json, now, 0, row.name, tids, NO_ARCHIVES, tids.length === 1 ? envelope : undefined, undefined);
    }
    const last = batch[batch.length - 1]!;
    const result = this.db.transaction(() => {
      const appended = this.log.append(items);
      this.stmt.advanceReplay.run(last.seq, batch.length, last.ingest_ms, row.name);
      return appended;
    })();
    this.committed(result);
    this.wakeFor(items);
  }

  // ---------------------------------------------------------------- Reflow's additions

  registerHandler(name: string, handler: T.EventHandler, options: T.HandlerOptions = {}): void {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
      throw new ReflowError('ValidationException', 'concurrency must be an integer from 1 to 64.', { field: 'concurrency' });
    }
    this.handlers.set(name, handler);
    this.handlerConcurrency.set(name, concurrency);
    // Deliveries that were waiting for this handler can go now.
    for (const dispatcher of this.dispatchers.values()) dispatcher.wake();
  }

  async listDeadLetters(request: T.ListDeadLettersRequest): Promise<{ DeadLetters: T.DeadLetter[]; NextToken?: string }> {
    this.assertOpen();
    const limit = request?.Limit && request.Limit > 0 ? Math.min(request.Limit, 1000) : 100;
    const after = request?.NextToken ? Number(Buffer.from(request.NextToken, 'base64url').toString()) : 0;
    if (!Number.isInteger(after)) throw new ReflowError('ValidationException', 'The NextToken provided is invalid.', { field: 'NextToken' });
    const rows = this.stmt.listDeadLetters.all({ after, bus: request?.EventBusName ?? null, rule: request?.Rule ?? null, limit: limit + 1 }) as DeadLetterRow[];
    const more = rows.length > limit;
    const items = rows.slice(0, limit).map((r) => {
      const letter: T.DeadLetter = {
        EventBusName: r.bus,
        Rule: r.rule,
        TargetId: r.target_id,
        TargetArn: r.target_arn,
        Event: JSON.parse(r.json) as T.EventEnvelope,
        Attempts: r.attempts,
        LastError: r.last_error,
        Time: new Date(r.time_ms),
      };
      if (r.dlq_arn) letter.DeadLetterArn = r.dlq_arn;
      return letter;
    });
    const next = more ? Buffer.from(String(rows[limit - 1]!.id)).toString('base64url') : undefined;
    return withToken({ DeadLetters: items }, next);
  }

  tail(options: T.TailOptions): Subscription<T.TailedEvent> {
    this.assertOpen();
    const bus = busNameOf(options?.EventBusName);
    this.busRouting(bus);
    if (options?.EventPattern !== undefined) throwIfInvalidPattern(options.EventPattern);
    const start = options?.After ?? (this.stmt.maxSeq.get() as { seq: number | null }).seq ?? 0;
    const tail = new LogTail(
      (after, limit) => this.stmt.tailBatch.all(bus, after, limit) as Array<{ seq: number; json: string }>,
      start,
      options?.EventPattern,
      () => this.tails.delete(tail),
    );
    this.tails.add(tail);
    tail.wake();
    return tail;
  }

  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.flushAcks();
      const replaying = this.runners.size > 0;
      const pending = (this.stmt.countPendingLive.get() as { n: number }).n;
      const busy = [...this.dispatchers.values()].some((d) => !d.idle);
      if (!replaying && pending === 0 && !busy) return;
      if (Date.now() > deadline) {
        throw new ReflowError('InternalException', `drain timed out: ${pending} deliveries pending, ${this.runners.size} replays running`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.purgeTimer);
    for (const runner of this.runners.values()) runner.stop();
    for (const dispatcher of this.dispatchers.values()) dispatcher.stop();
    await Promise.all([...this.dispatchers.values()].map((d) => d.whenIdle()));
    await Promise.all([...this.runners.values()].map((r) => r.stopped));
    for (const tail of [...this.tails]) await tail.close();
    this.flushAcks();
    clearTimeout(this.countersTimer);
    this.counters.flush();
    await this.checkpointer?.close();
    this.db.close();
  }

  // ---------------------------------------------------------------- delivery

  private readonly queue: DispatchQueue = {
    head: (tid, after, limit) => {
      // A batch whose every event waits in the handoff, for a target that takes the parsed event as it is, needs no
      // JSON: read only the queue positions, and the text later if a retry or a dead letter asks for it.
      const route = this.dispatchers.get(tid)?.route;
      if (route !== undefined && takesEnvelopeAsIs(route)) {
        const rows = this.stmt.headPositions.all(tid, after, limit) as Array<{ seq: number; attempts: number; ingestMs: number }>;
        if (rows.every((r) => this.handoff.has(tid, r.seq))) return rows.map((r) => this.lazyQueued(r));
      }
      return this.stmt.head.all(tid, after, limit) as QueuedEvent[];
    },
    ack: (tid, seq) => {
      // Acknowledgements are coalesced into one transaction every ACK_FLUSH_MS: a commit per delivered event would
      // cost as much as accepting it. A crash before the flush redelivers those events (at least once, as promised).
      this.acks.set(tid, seq);
      this.ackTimer ??= setTimeout(() => this.flushAcks(), ACK_FLUSH_MS);
    },
    recordAttempts: (tid, seq, attempts) => {
      this.stmt.recordAttempts.run(attempts, tid, seq);
    },
    deadLetter: (route, event, attempts, error) => {
      this.db.transaction(() => {
        this.stmt.insertDeadLetter.run(
          route.bus,
          route.rule,
          route.target.Id,
          route.target.Arn,
          route.target.DeadLetterConfig?.Arn ?? null,
          event.seq,
          event.json,
          attempts,
          error,
          Date.now(),
        );
        this.stmt.deletePending.run(route.tid, event.seq);
      })();
    },
    deliver: async (route, event, attempt) => {
      const handedOff = this.handoff.take(route.tid, event.seq);
      if (handedOff !== undefined && takesEnvelopeAsIs(route)) {
        // The handler gets the object; the JSON text is not needed (and not read).
        const context = () => ({ event: handedOff, rule: route.rule, eventBusName: route.bus, targetId: route.target.Id, attempt });
        await invokeTarget(this.invokeEnv, route.target, route.kind, '', context, handedOff);
        return;
      }
      const target = route.target;
      const constant = target.Input !== undefined && target.Input !== null;
      const transformed = constant || (target.InputPath !== undefined && target.InputPath !== null) || !!target.InputTransformer;
      // HTTP endpoints and other buses take the text; only in-process handlers and transformations need the object.
      const inProcess = route.kind.kind === 'handler' || route.kind.kind === 'other';
      const envelope = handedOff ?? (inProcess || (transformed && !constant) ? (JSON.parse(event.json) as T.EventEnvelope) : undefined);
      let payload: string;
      try {
        payload = envelope === undefined ? (constant ? target.Input! : event.json) : renderTargetInput(target, envelope, event.json, {
          ruleArn: route.ruleArn,
          ruleName: route.rule,
          ingestionTime: new Date(event.ingestMs),
        });
      } catch (err) {
        // EventBridge delivers nothing when the input cannot be rendered; retrying renders the same, so the event goes
        // straight to the dead letters with the reason.
        if (err instanceof UndeliverableInputError) throw new DeliveryError(`input transformation: ${err.message}`, false, { cause: err });
        throw err;
      }
      const untransformed = payload === event.json;
      await invokeTarget(
        this.invokeEnv,
        route.target,
        route.kind,
        payload,
        () => ({ event: envelope ?? (JSON.parse(event.json) as T.EventEnvelope), rule: route.rule, eventBusName: route.bus, targetId: route.target.Id, attempt }),
        untransformed ? envelope : undefined,
      );
    },
    retryDelayMs: (retry) => backoffMs(retry, this.options.retryBaseDelayMs, this.options.maxRetryDelayMs),
    concurrencyOf: (route) => (route.kind.kind === 'handler' ? (this.handlerConcurrency.get(route.kind.name) ?? 1) : 1),
  };

  private readonly invokeEnv = {
    handlers: this.handlers,
    httpTimeoutMs: 0, // set in the constructor, once the options are compiled
    forward: async (bus: string, eventJson: string) => {
      const event = JSON.parse(eventJson) as T.EventEnvelope;
      const result = this.accept([
        {
          EventBusName: bus,
          Source: event.source,
          DetailType: event['detail-type'],
          Detail: JSON.stringify(event.detail),
          Resources: event.resources,
          Time: event.time,
          EventId: event.id,
        },
      ], true);
      const failure = result.Entries[0];
      if (failure?.ErrorCode) throw new Error(`${failure.ErrorCode}: ${failure.ErrorMessage}`);
    },
  };

  /** A queued event whose JSON is read only if something asks for it. */
  private lazyQueued(row: { seq: number; attempts: number; ingestMs: number }): QueuedEvent {
    const stmt = this.stmt.eventJson;
    let json: string | undefined;
    return {
      seq: row.seq,
      attempts: row.attempts,
      ingestMs: row.ingestMs,
      get json(): string {
        if (json === undefined) {
          const found = stmt.get(row.seq) as { json: string } | undefined;
          // The log keeps every row some queue still holds (purgeLog), so this would be a bug, not a race.
          if (found === undefined) throw new ReflowError('InternalException', `event ${row.seq} is queued but not in the log`);
          json = found.json;
        }
        return json;
      },
    };
  }

  private flushAcks(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.acks.size === 0) return;
    const acks = [...this.acks];
    this.acks.clear();
    this.db.transaction(() => {
      for (const [tid, seq] of acks) this.stmt.ack.run(tid, seq);
    })();
  }

  private ensureDispatcher(route: RoutedTarget): void {
    const existing = this.dispatchers.get(route.tid);
    if (existing) {
      existing.route = route;
      existing.wake();
      return;
    }
    const dispatcher = new TargetDispatcher(this.queue, route);
    this.dispatchers.set(route.tid, dispatcher);
    dispatcher.wake();
  }

  private dropDispatcher(tid: number): void {
    this.dispatchers.get(tid)?.stop();
    this.dispatchers.delete(tid);
  }

  // ---------------------------------------------------------------- loading

  private ensureDefaultBus(): void {
    const now = Date.now();
    this.stmt.insertBusIfMissing.run('default', null, now, now);
  }

  private loadRouting(): void {
    for (const bus of this.stmt.listBuses.all() as BusRow[]) this.routing.set(bus.name, new BusRouting());
    for (const rule of this.db.prepare('SELECT * FROM rules').all() as RuleRow[]) {
      this.routing.get(rule.bus)?.setRule(rule.name, ruleArn(this.region, rule.bus, rule.name), rule.pattern ?? undefined, rule.state === 'ENABLED');
    }
    const byRule = new Map<string, RoutedTarget[]>();
    for (const row of this.db.prepare('SELECT tid, bus, rule, spec FROM targets ORDER BY tid').all() as Array<{ tid: number; bus: string; rule: string; spec: string }>) {
      const route = routedTarget(row.tid, row.bus, row.rule, ruleArn(this.region, row.bus, row.rule), JSON.parse(row.spec) as T.Target);
      const key = `${row.bus}\u0000${row.rule}`;
      byRule.set(key, [...(byRule.get(key) ?? []), route]);
      this.dispatchers.set(row.tid, new TargetDispatcher(this.queue, route));
    }
    for (const [key, routes] of byRule) {
      const [bus, rule] = key.split('\u0000') as [string, string];
      this.routing.get(bus)?.setTargets(rule, routes);
    }
    for (const archive of this.stmt.listArchives.all() as ArchiveRow[]) {
      this.routing.get(archive.bus)?.setArchive(archive.aid, archive.pattern ?? undefined);
    }
  }

  // ---------------------------------------------------------------- helpers

  private busRouting(bus: string): BusRouting {
    const routing = this.routing.get(bus);
    if (!routing) throw busNotFound(bus);
    return routing;
  }

  private busOfArn(arn: string, field: string): string {
    const parsed = parseEventsArn(arn);
    if (!parsed || parsed.type !== 'event-bus') {
      throw new ReflowError('ValidationException', `Parameter ${field} is not valid. Reason: Provided Arn is not in correct format.`, { field });
    }
    return parsed.name;
  }

  private assertOpen(): void {
    if (this.closed) throw new ReflowError('InternalException', 'the event bus is closed');
  }
}

interface BusRow {
  name: string;
  description: string | null;
  created_ms: number;
  modified_ms: number;
}

interface DeadLetterRow {
  id: number;
  bus: string;
  rule: string;
  target_id: string;
  target_arn: string;
  dlq_arn: string | null;
  json: string;
  attempts: number;
  last_error: string;
  time_ms: number;
}

const NO_ARCHIVES: readonly number[] = Object.freeze([]);

/** An in-process target without Input/InputPath/InputTransformer: it receives the event object itself. */
function takesEnvelopeAsIs(route: RoutedTarget): boolean {
  const t = route.target;
  const inProcess = route.kind.kind === 'handler' || route.kind.kind === 'other';
  return inProcess && (t.Input === undefined || t.Input === null) && (t.InputPath === undefined || t.InputPath === null) && !t.InputTransformer;
}

/** What JSON.parse of the replayed copy's JSON gives (same keys, same order), built from the archived event's. */
function replayedEnvelope(original: T.EventEnvelope, id: string, replayName: string): T.EventEnvelope {
  return {
    version: original.version,
    id,
    'detail-type': original['detail-type'],
    source: original.source,
    account: original.account,
    time: original.time,
    region: original.region,
    'replay-name': replayName,
    resources: original.resources,
    detail: original.detail,
  };
}

/** The bus answers pattern errors as EventBridge's API does: InvalidEventPatternException. */
function throwIfInvalidPattern(pattern: string): void {
  const error = checkPattern(pattern);
  if (error) throw new ReflowError('InvalidEventPatternException', error.message, { field: error.field ?? 'EventPattern', cause: error });
}

function withToken<R extends object>(result: R, next: string | undefined): R & { NextToken?: string } {
  return next === undefined ? result : { ...result, NextToken: next };
}

function prepare(db: Database.Database) {
  return {
    countArchived: db.prepare('UPDATE archives SET event_count = event_count + ?, size_bytes = size_bytes + ? WHERE aid = ?'),
    maxSeq: db.prepare('SELECT MAX(seq) AS seq FROM events'),

    insertBus: db.prepare('INSERT INTO buses (name, description, created_ms, modified_ms) VALUES (?, ?, ?, ?)'),
    insertBusIfMissing: db.prepare('INSERT OR IGNORE INTO buses (name, description, created_ms, modified_ms) VALUES (?, ?, ?, ?)'),
    getBus: db.prepare('SELECT * FROM buses WHERE name = ?'),
    listBuses: db.prepare('SELECT * FROM buses ORDER BY name'),

    getRule: db.prepare('SELECT * FROM rules WHERE bus = ? AND name = ?'),
    listRules: db.prepare('SELECT * FROM rules WHERE bus = ? ORDER BY name'),
    upsertRule: db.prepare(
      `INSERT INTO rules (bus, name, pattern, schedule, state, description, role_arn, created_ms) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)
       ON CONFLICT (bus, name) DO UPDATE SET pattern = excluded.pattern, state = excluded.state,
         description = excluded.description, role_arn = excluded.role_arn`,
    ),
    setRuleState: db.prepare('UPDATE rules SET state = ? WHERE bus = ? AND name = ?'),
    deleteRule: db.prepare('DELETE FROM rules WHERE bus = ? AND name = ?'),
    rulesByTarget: db.prepare('SELECT DISTINCT rule FROM targets WHERE bus = ? AND arn = ? ORDER BY rule'),

    upsertTarget: db.prepare(
      `INSERT INTO targets (bus, rule, id, arn, spec) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (bus, rule, id) DO UPDATE SET arn = excluded.arn, spec = excluded.spec RETURNING tid`,
    ),
    deleteTarget: db.prepare('DELETE FROM targets WHERE tid = ?'),

    head: db.prepare(
      `SELECT p.seq AS seq, p.attempts AS attempts, e.ingest_ms AS ingestMs, e.json AS json
       FROM pending p JOIN events e ON e.seq = p.seq WHERE p.tid = ? AND p.seq > ? ORDER BY p.seq LIMIT ?`,
    ),
    headPositions: db.prepare(
      `SELECT p.seq AS seq, p.attempts AS attempts, e.ingest_ms AS ingestMs
       FROM pending p JOIN events e ON e.seq = p.seq WHERE p.tid = ? AND p.seq > ? ORDER BY p.seq LIMIT ?`,
    ),
    eventJson: db.prepare('SELECT json FROM events WHERE seq = ?'),
    ack: db.prepare('DELETE FROM pending WHERE tid = ? AND seq <= ?'),
    recordAttempts: db.prepare('UPDATE pending SET attempts = ? WHERE tid = ? AND seq = ?'),
    deletePending: db.prepare('DELETE FROM pending WHERE tid = ? AND seq = ?'),
    deletePendingOf: db.prepare('DELETE FROM pending WHERE tid = ?'),
    countPendingLive: db.prepare('SELECT COUNT(*) AS n FROM pending WHERE tid IN (SELECT tid FROM targets)'),
    insertDeadLetter: db.prepare(
      `INSERT INTO dead_letters (bus, rule, target_id, target_arn, dlq_arn, seq, json, attempts, last_error, time_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    listDeadLetters: db.prepare(
      `SELECT * FROM dead_letters WHERE id > @after AND (@bus IS NULL OR bus = @bus) AND (@rule IS NULL OR rule = @rule)
       ORDER BY id LIMIT @limit`,
    ),

    getArchive: db.prepare('SELECT * FROM archives WHERE name = ?'),
    listArchives: db.prepare('SELECT * FROM archives ORDER BY name'),
    insertArchive: db.prepare(
      `INSERT INTO archives (name, bus, pattern, description, retention_days, state, created_ms) VALUES (?, ?, ?, ?, ?, 'ENABLED', ?)`,
    ),
    updateArchive: db.prepare('UPDATE archives SET pattern = ?, description = ?, retention_days = ? WHERE aid = ?'),
    deleteArchive: db.prepare('DELETE FROM archives WHERE aid = ?'),
    deleteArchived: db.prepare('DELETE FROM archive_events WHERE aid = ?'),

    getReplay: db.prepare('SELECT * FROM replays WHERE name = ?'),
    listReplays: db.prepare('SELECT * FROM replays ORDER BY name'),
    countActiveReplays: db.prepare(`SELECT COUNT(*) AS n FROM replays WHERE state IN ('STARTING', 'RUNNING')`),
    insertReplay: db.prepare(
      `INSERT INTO replays (name, description, archive, aid, source_arn, start_ms, end_ms, destination, state, replay_start_ms, total)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'STARTING', ?, ?)`,
    ),
    setReplayState: db.prepare('UPDATE replays SET state = ?, state_reason = ?, replay_end_ms = ? WHERE name = ?'),
    advanceReplay: db.prepare(
      'UPDATE replays SET cursor_seq = ?, replayed = replayed + ?, last_replayed_ms = ? WHERE name = ?',
    ),
    countReplayable: db.prepare(
      `SELECT COUNT(*) AS n FROM archive_events a JOIN events e ON e.seq = a.seq WHERE a.aid = ? AND e.ingest_ms >= ? AND e.ingest_ms < ?`,
    ),
    replayBatch: db.prepare(
      `SELECT e.seq AS seq, e.ingest_ms AS ingest_ms, e.json AS json FROM archive_events a JOIN events e ON e.seq = a.seq
       WHERE a.aid = ? AND a.seq > ? AND e.ingest_ms >= ? AND e.ingest_ms < ? ORDER BY a.seq LIMIT ?`,
    ),
    expiredArchived: db.prepare(
      'SELECT COUNT(*) AS n, SUM(e.size) AS bytes FROM archive_events a JOIN events e ON e.seq = a.seq WHERE a.aid = ? AND e.ingest_ms < ?',
    ),
    deleteExpiredArchived: db.prepare(
      'DELETE FROM archive_events WHERE aid = @aid AND seq IN (SELECT seq FROM events WHERE ingest_ms < @cutoff)',
    ),
    purgeLog: db.prepare(
      `DELETE FROM events WHERE ingest_ms < ?
       AND seq < (SELECT COALESCE(MIN(seq), 9223372036854775807) FROM pending)
       -- the newest row stays, so log positions are never reused after a restart (new rowids are max + 1)
       AND seq < (SELECT MAX(seq) FROM events)
       AND NOT EXISTS (SELECT 1 FROM archives r JOIN archive_events a ON a.aid = r.aid AND a.seq = events.seq)`,
    ),
    tailBatch: db.prepare('SELECT seq, json FROM events WHERE bus = ? AND seq > ? ORDER BY seq LIMIT ?'),
  };
}
