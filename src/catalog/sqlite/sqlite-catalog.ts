/**
 * The embedded catalog: better-sqlite3 in WAL mode. Each write runs in its own savepoint (a crash or a failure keeps
 * all of one or none of it); the writes of one turn of the event loop commit together (the shared GroupCommit), and
 * each is answered only after that commit.
 *
 * Each key of a dataset keeps its computed state (`dataset_keys`: candidate, published, stale, dirty), refreshed
 * whenever something about the key changes, so deciding whether a version can be published reads two small
 * indexes instead of the whole dataset.
 */
import type Database from 'better-sqlite3';
import { ReflowError, wrapError } from '../../errors.js';
import type { Catalog } from '../port.js';
import type * as T from '../types.js';
import { computeKeyState, sequencerOrder, type KeyVersion } from '../key-state.js';
import { GroupCommit } from '../../sqlite/group-commit.js';
import { openWalDatabase } from '../../sqlite/open.js';
import { DDL, SCHEMA_VERSION } from './schema.js';

export interface SqliteCatalogOptions {
  /** Database file, or `:memory:`. */
  path: string;
}

interface RawRow {
  rid: number;
  bucket: string;
  key: string;
  version_id: string;
  sequencer: string;
  kind: 'created' | 'marker';
  purged: number;
  etag: string | null;
  size: number | null;
  contributor: string | null;
  time_ms: number;
}

interface ItemRow {
  iid: number;
  dataset: string;
  rid: number;
  transform_version: string;
  spec_hash: string;
  outputs: string;
  split: string;
  group_key: string;
  metadata: string | null;
  job_id: string | null;
  built_ms: number;
}

interface KeyRow {
  dataset: string;
  bucket: string;
  key: string;
  candidate: number | null;
  published: number | null;
  stale: number;
  dirty: number;
}

interface VersionRow {
  dataset: string;
  version: number;
  transform_version: string;
  spec_hash: string;
  items: number;
  splits: string;
  added: number;
  removed: number;
  published_ms: number;
}

const json = (value: unknown) => JSON.stringify(value ?? null);
const parse = <V>(text: string | null): V => (text === null ? (undefined as V) : (JSON.parse(text) as V));

export class SqliteCatalog implements Catalog {
  private readonly db: Database.Database;
  private readonly s: ReturnType<typeof prepare>;
  /** The writes of one turn of the event loop, committed together (see write()). */
  private readonly commits: GroupCommit;

  static open(options: SqliteCatalogOptions): SqliteCatalog {
    return new SqliteCatalog(options);
  }

  private constructor(options: SqliteCatalogOptions) {
    this.db = openWalDatabase(options.path, { what: 'catalog', ddl: DDL, schemaVersion: SCHEMA_VERSION });
    this.s = prepare(this.db);
    this.commits = new GroupCommit(this.db, undefined);
  }

  // ------------------------------------------------------------------ pipelines

  setPipeline(dataset: string, pipeline: T.DatasetPipeline): Promise<{ stale: number }> {
    return this.write(() => {
      this.s.upsertDataset.run(dataset, pipeline.transformVersion, pipeline.specHash, Date.now());
      for (const row of this.s.keysOf.all(dataset) as KeyRow[]) this.refreshKey(dataset, row.bucket, row.key);
      return { stale: (this.s.countStale.get(dataset) as { n: number }).n };
    });
  }

  getPipeline(dataset: string): Promise<T.DatasetPipeline | undefined> {
    return this.read(() => {
      return this.pipelineOf(dataset);
    });
  }

  listDatasets(): Promise<string[]> {
    return this.read(() => {
      return (this.s.listDatasets.all() as Array<{ name: string }>).map((r) => r.name);
    });
  }

  recordTransformVersion(record: T.TransformVersionRecord): Promise<void> {
    return this.write(() => {
      this.s.insertTransformVersion.run(record.dataset, record.version, record.transform, json(record.definition), record.firstSeenMs);
    });
  }

  listTransformVersions(dataset: string): Promise<T.TransformVersionRecord[]> {
    return this.read(() => {
      return (this.s.listTransformVersions.all(dataset) as Array<{ dataset: string; version: string; transform: string; definition: string; first_seen_ms: number }>).map((r) => ({
        dataset: r.dataset,
        version: r.version,
        transform: r.transform,
        definition: parse(r.definition),
        firstSeenMs: r.first_seen_ms,
      }));
    });
  }

  // ------------------------------------------------------------------ raw data

  recordObjectEvent(dataset: string, event: T.RawObjectEvent): Promise<{ recorded: boolean }> {
    return this.write(() => {
      let recorded: boolean;
      if (event.kind === 'purged') {
        const existing = this.s.rawByRef.get(event.bucket, event.key, event.versionId) as RawRow | undefined;
        if (existing?.purged) recorded = false;
        else if (existing) recorded = this.s.purge.run(existing.rid).changes > 0;
        else recorded = this.insertRaw({ ...event, kind: 'created' }, 1);
      } else {
        recorded = this.insertRaw(event, 0);
      }
      this.s.ensureKey.run(dataset, event.bucket, event.key);
      this.refreshKey(dataset, event.bucket, event.key);
      return { recorded };
    });
  }

  private insertRaw(event: T.RawObjectEvent, purged: number): boolean {
    return (
      this.s.insertRaw.run(
        event.bucket,
        event.key,
        event.versionId,
        event.sequencer,
        event.kind,
        purged,
        event.etag ?? null,
        event.size ?? null,
        event.contributor ?? null,
        event.timeMs,
      ).changes > 0
    );
  }

  getRawVersion(object: T.ObjectVersionRef): Promise<T.RawVersion | undefined> {
    return this.read(() => {
      const row = this.s.rawByRef.get(object.bucket, object.key, object.versionId) as RawRow | undefined;
      return row && toRaw(row);
    });
  }

  isSuperseded(dataset: string, object: T.ObjectVersionRef): Promise<boolean> {
    return this.read(() => {
      const pipeline = this.pipelineOf(dataset);
      const self = this.s.rawByRef.get(object.bucket, object.key, object.versionId) as RawRow | undefined;
      if (!self) return false;
      if (self.purged) return true;
      const order = sequencerOrder(self.sequencer);
      for (const row of this.s.rawOfKey.all(object.bucket, object.key) as RawRow[]) {
        if (row.purged || row.rid === self.rid || sequencerOrder(row.sequencer) <= order) continue;
        if (row.kind === 'marker') return true;
        if (pipeline && this.verdict(dataset, row.rid, pipeline.specHash) === 'pass') return true;
      }
      return false;
    });
  }

  // ------------------------------------------------------------------ quality

  putQualityReport(report: T.StoredQualityReport): Promise<void> {
    return this.write(() => {
      const rid = this.ridOf(report.object, 'putQualityReport');
      this.s.upsertReport.run(
        report.dataset,
        rid,
        report.specHash,
        report.passed ? 1 : 0,
        json(report.reasons),
        json(report.report),
        report.contributor ?? null,
        report.timeMs,
      );
      this.s.ensureKey.run(report.dataset, report.object.bucket, report.object.key);
      this.refreshKey(report.dataset, report.object.bucket, report.object.key);
    });
  }

  getQualityReport(dataset: string, object: T.ObjectVersionRef, specHash: string): Promise<T.StoredQualityReport | undefined> {
    return this.read(() => {
      const raw = this.s.rawByRef.get(object.bucket, object.key, object.versionId) as RawRow | undefined;
      if (!raw) return undefined;
      const row = this.s.getReport.get(dataset, raw.rid, specHash) as ReportRow | undefined;
      return row && toReport(row, raw);
    });
  }

  // ------------------------------------------------------------------ items

  recordItem(item: T.DatasetItemInput): Promise<T.DatasetItem> {
    return this.write(() => {
      const rid = this.ridOf(item.object, 'recordItem');
      this.s.insertItem.run(
        item.dataset,
        rid,
        item.transformVersion,
        item.specHash,
        json(item.outputs),
        item.split,
        item.groupKey,
        item.metadata === undefined ? null : json(item.metadata),
        item.jobId ?? null,
        item.builtMs,
      );
      this.s.clearFailure.run(item.dataset, rid, item.transformVersion);
      this.s.ensureKey.run(item.dataset, item.object.bucket, item.object.key);
      this.refreshKey(item.dataset, item.object.bucket, item.object.key);
      const row = this.s.itemByRid.get(item.dataset, rid, item.transformVersion) as ItemRow;
      return this.toItem(row);
    });
  }

  getItem(dataset: string, object: T.ObjectVersionRef, transformVersion: string): Promise<T.DatasetItem | undefined> {
    return this.read(() => {
      const raw = this.s.rawByRef.get(object.bucket, object.key, object.versionId) as RawRow | undefined;
      if (!raw) return undefined;
      const row = this.s.itemByRid.get(dataset, raw.rid, transformVersion) as ItemRow | undefined;
      return row && this.toItem(row);
    });
  }

  recordBuildFailure(dataset: string, object: T.ObjectVersionRef, transformVersion: string, error: string | undefined): Promise<void> {
    return this.write(() => {
      const rid = this.ridOf(object, 'recordBuildFailure');
      if (error === undefined) this.s.clearFailure.run(dataset, rid, transformVersion);
      else this.s.upsertFailure.run(dataset, rid, transformVersion, error, Date.now());
      this.s.ensureKey.run(dataset, object.bucket, object.key);
      this.refreshKey(dataset, object.bucket, object.key);
    });
  }

  // ------------------------------------------------------------------ versions

  publishIfConsistent(dataset: string, nowMs = Date.now()): Promise<T.DatasetVersion | undefined> {
    return this.write(() => {
      const pipeline = this.pipelineOf(dataset);
      if (!pipeline) return undefined;
      // Asked after every item of a rebuild while thousands are stale: one index entry, not a count of them all.
      if (this.s.anyStale.get(dataset) !== undefined) return undefined;
      const dirty = this.s.dirtyKeys.all(dataset) as KeyRow[];
      if (dirty.length === 0) return undefined;
      const previous = this.s.latestVersion.get(dataset) as VersionRow | undefined;
      const version = (previous?.version ?? 0) + 1;
      const splits: Record<string, number> = previous ? parse(previous.splits) : {};
      let added = 0;
      let removed = 0;
      for (const key of dirty) {
        if (key.published !== null) {
          this.s.closeMembership.run(version, dataset, key.published);
          const split = (this.s.itemSplit.get(key.published) as { split: string }).split;
          splits[split] = (splits[split] ?? 0) - 1;
          removed++;
        }
        if (key.candidate !== null) {
          this.s.openMembership.run(dataset, key.candidate, version);
          const split = (this.s.itemSplit.get(key.candidate) as { split: string }).split;
          splits[split] = (splits[split] ?? 0) + 1;
          added++;
        }
        this.s.markPublished.run(key.candidate, dataset, key.bucket, key.key);
      }
      for (const [split, n] of Object.entries(splits)) if (n <= 0) delete splits[split];
      const items = (previous?.items ?? 0) + added - removed;
      this.s.insertVersion.run(dataset, version, pipeline.transformVersion, pipeline.specHash, items, json(splits), added, removed, nowMs);
      this.s.setCurrentVersion.run(version, dataset);
      return toVersion(this.s.getVersion.get(dataset, version) as VersionRow);
    });
  }

  getVersion(dataset: string, version?: number): Promise<T.DatasetVersion | undefined> {
    return this.read(() => {
      const row = (version === undefined ? this.s.latestVersion.get(dataset) : this.s.getVersion.get(dataset, version)) as VersionRow | undefined;
      return row && toVersion(row);
    });
  }

  listVersions(dataset: string): Promise<T.DatasetVersion[]> {
    return this.read(() => {
      return (this.s.listVersions.all(dataset) as VersionRow[]).map(toVersion);
    });
  }

  manifest(dataset: string, version: number, options: { split?: string } = {}): Promise<T.ManifestEntry[]> {
    return this.read(() => {
      const rows = this.s.manifest.all(dataset, version, version) as Array<ItemRow & RawRow>;
      return rows.filter((r) => options.split === undefined || r.split === options.split).map((r) => toEntry(r));
    });
  }

  status(dataset: string): Promise<T.DatasetStatus> {
    return this.read(() => {
      const pipeline = this.pipelineOf(dataset);
      const counts = this.s.keyCounts.get(dataset) as { keys: number; stale: number; pending: number; rejected: number; dirty: number };
      const latest = this.s.latestVersion.get(dataset) as VersionRow | undefined;
      const itemsByTransformVersion: Record<string, number> = {};
      for (const row of this.s.itemsByTransform.all(dataset) as Array<{ transform_version: string; n: number }>) {
        itemsByTransformVersion[row.transform_version] = row.n;
      }
      const status: T.DatasetStatus = {
        dataset,
        pipeline,
        currentVersion: latest?.version ?? 0,
        keys: counts.keys ?? 0,
        stale: counts.stale ?? 0,
        pending: counts.pending ?? 0,
        rejected: counts.rejected ?? 0,
        unpublished: counts.dirty ?? 0,
        itemsByTransformVersion,
      };
      if (latest) status.currentTransformVersion = latest.transform_version;
      const rebuild = this.s.latestRebuild.get(dataset) as RebuildRow | undefined;
      if (rebuild) status.rebuild = toRebuild(rebuild);
      return status;
    });
  }

  // ------------------------------------------------------------------ lineage

  lineageOfObject(object: T.ObjectVersionRef): Promise<T.ObjectLineage | undefined> {
    return this.read(() => {
      const raw = this.s.rawByRef.get(object.bucket, object.key, object.versionId) as RawRow | undefined;
      if (!raw) return undefined;
      const reports = (this.s.reportsOfRid.all(raw.rid) as ReportRow[]).map((r) => toReport(r, raw));
      const items = (this.s.itemsOfRid.all(raw.rid) as ItemRow[]).map((row) => ({
        ...this.toItem(row),
        inVersions: (this.s.membershipOf.all(row.dataset, row.iid) as Array<{ from_v: number; to_v: number | null }>).map((m) =>
          m.to_v === null ? { from: m.from_v } : { from: m.from_v, to: m.to_v },
        ),
      }));
      return { object: toRaw(raw), reports, items };
    });
  }

  lineageOfVersion(dataset: string, version: number): Promise<T.DatasetVersionLineage | undefined> {
    return this.read(() => {
      const row = this.s.getVersion.get(dataset, version) as VersionRow | undefined;
      if (!row) return undefined;
      const rows = this.s.manifest.all(dataset, version, version) as Array<ItemRow & RawRow>;
      const transformVersions: Record<string, number> = {};
      const entries = rows.map((r) => {
        transformVersions[r.transform_version] = (transformVersions[r.transform_version] ?? 0) + 1;
        const entry: T.ManifestEntry & { contributor?: string; sequencer: string } = { ...toEntry(r), sequencer: r.sequencer };
        if (r.contributor !== null) entry.contributor = r.contributor;
        return entry;
      });
      return { version: toVersion(row), transformVersions, entries };
    });
  }

  // ------------------------------------------------------------------ runs, alerts, rebuilds

  recordRunStep(
    run: Pick<T.RunRecord, 'runId' | 'dataset' | 'object'> & Partial<Pick<T.RunRecord, 'transformVersion' | 'status' | 'error' | 'publishedVersion'>>,
    step?: { name: T.RunStep; startMs: number; endMs: number; detail?: string },
  ): Promise<void> {
    return this.write(() => {
      const rid = this.ridOf(run.object, 'recordRunStep');
      const existing = this.s.getRun.get(run.runId) as RunRow | undefined;
      const steps: T.RunRecord['steps'] = existing ? parse(existing.steps) : {};
      if (step) steps[step.name] = step.detail === undefined ? { startMs: step.startMs, endMs: step.endMs } : { startMs: step.startMs, endMs: step.endMs, detail: step.detail };
      this.s.upsertRun.run(
        run.runId,
        run.dataset,
        rid,
        run.transformVersion ?? existing?.transform_version ?? null,
        run.status ?? existing?.status ?? 'running',
        json(steps),
        run.error ?? existing?.error ?? null,
        run.publishedVersion ?? existing?.published_version ?? null,
        Date.now(),
      );
    });
  }

  getRun(runId: string): Promise<T.RunRecord | undefined> {
    return this.read(() => {
      const row = this.s.getRun.get(runId) as RunRow | undefined;
      return row && this.toRun(row);
    });
  }

  listRuns(dataset: string, options: { limit?: number; status?: T.RunRecord['status'] } = {}): Promise<T.RunRecord[]> {
    return this.read(() => {
      const rows = this.s.listRuns.all(dataset, options.status ?? null, options.status ?? null, options.limit ?? 100) as RunRow[];
      return rows.map((r) => this.toRun(r));
    });
  }

  recordAlert(alert: Omit<T.Alert, 'id'>): Promise<{ alert: T.Alert; created: boolean }> {
    return this.write(() => {
      const rid = this.ridOf(alert.object, 'recordAlert');
      const reasons = json(alert.reasons);
      const created = this.s.insertAlert.run(alert.dataset, alert.kind, rid, alert.contributor ?? null, reasons, alert.timeMs).changes > 0;
      const row = this.s.alertByKey.get(alert.dataset, alert.kind, rid, reasons) as AlertRow;
      return { alert: this.toAlert(row), created };
    });
  }

  listAlerts(options: { dataset?: string; limit?: number } = {}): Promise<T.Alert[]> {
    return this.read(() => {
      const rows = this.s.listAlerts.all(options.dataset ?? null, options.dataset ?? null, options.limit ?? 100) as AlertRow[];
      return rows.map((r) => this.toAlert(r));
    });
  }

  startRebuild(rebuild: Omit<T.Rebuild, 'id' | 'state' | 'startedMs'> & { startedMs?: number }): Promise<T.Rebuild> {
    return this.write(() => {
      const { lastInsertRowid } = this.s.insertRebuild.run(
        rebuild.dataset,
        rebuild.fromTransformVersion ?? null,
        rebuild.toTransformVersion,
        rebuild.specHash,
        rebuild.replayName ?? null,
        rebuild.staleAtStart,
        rebuild.startedMs ?? Date.now(),
      );
      return toRebuild(this.s.getRebuildById.get(lastInsertRowid) as RebuildRow);
    });
  }

  updateRebuild(id: number, change: Partial<Pick<T.Rebuild, 'state' | 'replayName' | 'endedMs' | 'publishedVersion' | 'reason'>>): Promise<T.Rebuild> {
    return this.write(() => {
      const row = this.s.getRebuildById.get(id) as RebuildRow | undefined;
      if (!row) throw new ReflowError('NotFound', `Rebuild ${id} does not exist.`, { field: 'id' });
      this.s.updateRebuild.run(
        change.state ?? row.state,
        change.replayName ?? row.replay_name,
        change.endedMs ?? row.ended_ms,
        change.publishedVersion ?? row.published_version,
        change.reason ?? row.reason,
        id,
      );
      return toRebuild(this.s.getRebuildById.get(id) as RebuildRow);
    });
  }

  getRebuild(dataset: string): Promise<T.Rebuild | undefined> {
    return this.read(() => {
      const row = this.s.latestRebuild.get(dataset) as RebuildRow | undefined;
      return row && toRebuild(row);
    });
  }

  getAppliedProject(): Promise<unknown> {
    return this.read(() => {
      const row = this.s.getProject.get('applied') as { json: string } | undefined;
      return row ? parse(row.json) : undefined;
    });
  }

  setAppliedProject(snapshot: unknown): Promise<void> {
    return this.write(() => {
      this.s.setProject.run('applied', json(snapshot));
    });
  }

  async close(): Promise<void> {
    // Writes still queued commit first (the queue is answered in order, so a last empty write waits for them all).
    if (this.db.open) await this.commits.submit(() => undefined).catch(() => undefined);
    if (this.db.open) this.db.close();
  }

  // ------------------------------------------------------------------ internals

  /**
   * A write joins the next shared transaction (GroupCommit: the writes of one turn of the event loop, each in its
   * own savepoint, so a failing call undoes only itself) and is answered once that transaction committed. A rebuild
   * makes many small writes from concurrent stages: one commit for all of them is what keeps up, and nothing is
   * acknowledged before it is durable. Reads see what is committed.
   */
  private write<R>(work: () => R): Promise<R> {
    if (!this.db.open) return Promise.reject(new ReflowError('InternalException', 'the catalog is closed'));
    return this.commits.submit(work).catch((err: unknown) => {
      throw wrapError(err, 'InternalException');
    });
  }

  private read<R>(work: () => R): Promise<R> {
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(wrapError(err, 'InternalException'));
    }
  }

  private pipelineOf(dataset: string): T.DatasetPipeline | undefined {
    const row = this.s.getDataset.get(dataset) as { transform_version: string; spec_hash: string } | undefined;
    return row && { transformVersion: row.transform_version, specHash: row.spec_hash };
  }

  private ridOf(object: T.ObjectVersionRef, operation: string): number {
    const row = this.s.rawByRef.get(object.bucket, object.key, object.versionId) as { rid: number } | undefined;
    if (!row) {
      throw new ReflowError('NotFound', `${operation}: object version s3://${object.bucket}/${object.key}?versionId=${object.versionId} is not in the catalog.`, {
        field: 'object',
      });
    }
    return row.rid;
  }

  private verdict(dataset: string, rid: number, specHash: string): 'pass' | 'fail' | undefined {
    const row = this.s.verdict.get(dataset, rid, specHash) as { passed: number } | undefined;
    return row === undefined ? undefined : row.passed ? 'pass' : 'fail';
  }

  /** Recomputes one key's state under the dataset's current pipeline (inside the caller's transaction). */
  private refreshKey(dataset: string, bucket: string, key: string): void {
    const pipeline = this.pipelineOf(dataset);
    const row = this.s.getKey.get(dataset, bucket, key) as KeyRow;
    const versions: KeyVersion[] = (this.s.rawOfKey.all(bucket, key) as RawRow[])
      .filter((r) => !r.purged)
      .map((r) => ({ rid: r.rid, sequencer: r.sequencer, kind: r.kind }));
    const state = computeKeyState({
      versions,
      verdict: (rid) => (pipeline ? this.verdict(dataset, rid, pipeline.specHash) : undefined),
      item: (rid) => (pipeline ? (this.s.itemIdByRid.get(dataset, rid, pipeline.transformVersion) as { iid: number } | undefined)?.iid : undefined),
      buildFailed: (rid) => (pipeline ? this.s.getFailure.get(dataset, rid, pipeline.transformVersion) !== undefined : false),
      published: row.published ?? undefined,
    });
    const flag = (b: boolean) => (b ? 1 : 0);
    this.s.updateKey.run(
      state.candidate ?? null,
      flag(state.pending),
      flag(state.rejected),
      flag(state.absent),
      flag(state.failed),
      flag(state.stale),
      flag(state.dirty),
      dataset,
      bucket,
      key,
    );
  }

  private toItem(row: ItemRow): T.DatasetItem {
    const raw = this.s.rawByRid.get(row.rid) as RawRow;
    const item: T.DatasetItem = {
      itemId: row.iid,
      dataset: row.dataset,
      object: { bucket: raw.bucket, key: raw.key, versionId: raw.version_id },
      transformVersion: row.transform_version,
      specHash: row.spec_hash,
      outputs: parse(row.outputs),
      split: row.split,
      groupKey: row.group_key,
      builtMs: row.built_ms,
    };
    if (row.metadata !== null) item.metadata = parse(row.metadata);
    if (row.job_id !== null) item.jobId = row.job_id;
    return item;
  }

  private toRun(row: RunRow): T.RunRecord {
    const raw = this.s.rawByRid.get(row.rid) as RawRow;
    const run: T.RunRecord = {
      runId: row.run_id,
      dataset: row.dataset,
      object: { bucket: raw.bucket, key: raw.key, versionId: raw.version_id },
      status: row.status as T.RunRecord['status'],
      steps: parse(row.steps),
      updatedMs: row.updated_ms,
    };
    if (row.transform_version !== null) run.transformVersion = row.transform_version;
    if (row.error !== null) run.error = row.error;
    if (row.published_version !== null) run.publishedVersion = row.published_version;
    return run;
  }

  private toAlert(row: AlertRow): T.Alert {
    const raw = this.s.rawByRid.get(row.rid) as RawRow;
    const alert: T.Alert = {
      id: row.id,
      dataset: row.dataset,
      kind: row.kind as T.Alert['kind'],
      object: { bucket: raw.bucket, key: raw.key, versionId: raw.version_id },
      reasons: parse(row.reasons),
      timeMs: row.time_ms,
    };
    if (row.contributor !== null) alert.contributor = row.contributor;
    return alert;
  }
}

interface ReportRow {
  dataset: string;
  rid: number;
  spec_hash: string;
  passed: number;
  reasons: string;
  report: string;
  contributor: string | null;
  time_ms: number;
}

interface RunRow {
  run_id: string;
  dataset: string;
  rid: number;
  transform_version: string | null;
  status: string;
  steps: string;
  error: string | null;
  published_version: number | null;
  updated_ms: number;
}

interface AlertRow {
  id: number;
  dataset: string;
  kind: string;
  rid: number;
  contributor: string | null;
  reasons: string;
  time_ms: number;
}

interface RebuildRow {
  id: number;
  dataset: string;
  from_tv: string | null;
  to_tv: string;
  spec_hash: string;
  replay_name: string | null;
  state: T.RebuildState;
  stale_at_start: number;
  started_ms: number;
  ended_ms: number | null;
  published_version: number | null;
  reason: string | null;
}

function toRaw(row: RawRow): T.RawVersion {
  const raw: T.RawVersion = {
    bucket: row.bucket,
    key: row.key,
    versionId: row.version_id,
    sequencer: row.sequencer,
    kind: row.kind,
    purged: row.purged === 1,
    timeMs: row.time_ms,
  };
  if (row.etag !== null) raw.etag = row.etag;
  if (row.size !== null) raw.size = row.size;
  if (row.contributor !== null) raw.contributor = row.contributor;
  return raw;
}

function toReport(row: ReportRow, raw: RawRow): T.StoredQualityReport {
  const report: T.StoredQualityReport = {
    dataset: row.dataset,
    object: { bucket: raw.bucket, key: raw.key, versionId: raw.version_id },
    specHash: row.spec_hash,
    passed: row.passed === 1,
    reasons: parse(row.reasons),
    report: parse(row.report),
    timeMs: row.time_ms,
  };
  if (row.contributor !== null) report.contributor = row.contributor;
  return report;
}

function toVersion(row: VersionRow): T.DatasetVersion {
  return {
    dataset: row.dataset,
    version: row.version,
    transformVersion: row.transform_version,
    specHash: row.spec_hash,
    items: row.items,
    splits: parse(row.splits),
    added: row.added,
    removed: row.removed,
    publishedMs: row.published_ms,
  };
}

function toEntry(row: ItemRow & RawRow): T.ManifestEntry {
  return {
    itemId: row.iid,
    object: { bucket: row.bucket, key: row.key, versionId: row.version_id },
    transformVersion: row.transform_version,
    split: row.split,
    groupKey: row.group_key,
    outputs: parse(row.outputs),
  };
}

function toRebuild(row: RebuildRow): T.Rebuild {
  const rebuild: T.Rebuild = {
    id: row.id,
    dataset: row.dataset,
    toTransformVersion: row.to_tv,
    specHash: row.spec_hash,
    state: row.state,
    staleAtStart: row.stale_at_start,
    startedMs: row.started_ms,
  };
  if (row.from_tv !== null) rebuild.fromTransformVersion = row.from_tv;
  if (row.replay_name !== null) rebuild.replayName = row.replay_name;
  if (row.ended_ms !== null) rebuild.endedMs = row.ended_ms;
  if (row.published_version !== null) rebuild.publishedVersion = row.published_version;
  if (row.reason !== null) rebuild.reason = row.reason;
  return rebuild;
}

function prepare(db: Database.Database) {
  const p = (sql: string) => db.prepare(sql);
  return {
    upsertDataset: p(
      `INSERT INTO datasets (name, transform_version, spec_hash, updated_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET transform_version = excluded.transform_version, spec_hash = excluded.spec_hash, updated_ms = excluded.updated_ms`,
    ),
    getDataset: p('SELECT transform_version, spec_hash FROM datasets WHERE name = ?'),
    listDatasets: p('SELECT name FROM datasets ORDER BY name'),
    setCurrentVersion: p('UPDATE datasets SET current_version = ? WHERE name = ?'),
    insertTransformVersion: p('INSERT OR IGNORE INTO transform_versions (dataset, version, transform, definition, first_seen_ms) VALUES (?, ?, ?, ?, ?)'),
    listTransformVersions: p('SELECT * FROM transform_versions WHERE dataset = ? ORDER BY first_seen_ms, version'),

    insertRaw: p(
      `INSERT OR IGNORE INTO raw_versions (bucket, key, version_id, sequencer, kind, purged, etag, size, contributor, time_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    purge: p('UPDATE raw_versions SET purged = 1 WHERE rid = ? AND purged = 0'),
    rawByRef: p('SELECT * FROM raw_versions WHERE bucket = ? AND key = ? AND version_id = ?'),
    rawByRid: p('SELECT * FROM raw_versions WHERE rid = ?'),
    rawOfKey: p('SELECT * FROM raw_versions WHERE bucket = ? AND key = ?'),

    ensureKey: p('INSERT OR IGNORE INTO dataset_keys (dataset, bucket, key) VALUES (?, ?, ?)'),
    getKey: p('SELECT * FROM dataset_keys WHERE dataset = ? AND bucket = ? AND key = ?'),
    keysOf: p('SELECT * FROM dataset_keys WHERE dataset = ?'),
    updateKey: p(
      `UPDATE dataset_keys SET candidate = ?, pending = ?, rejected = ?, absent = ?, failed = ?, stale = ?, dirty = ?
       WHERE dataset = ? AND bucket = ? AND key = ?`,
    ),
    countStale: p('SELECT count(*) AS n FROM dataset_keys WHERE dataset = ? AND stale = 1'),
    anyStale: p('SELECT 1 FROM dataset_keys WHERE dataset = ? AND stale = 1 LIMIT 1'),
    dirtyKeys: p('SELECT * FROM dataset_keys WHERE dataset = ? AND dirty = 1 ORDER BY bucket, key'),
    markPublished: p('UPDATE dataset_keys SET published = ?, dirty = 0, stale = 0 WHERE dataset = ? AND bucket = ? AND key = ?'),
    keyCounts: p(
      `SELECT sum(absent = 0) AS keys, sum(stale) AS stale, sum(pending) AS pending, sum(rejected) AS rejected, sum(dirty) AS dirty
       FROM dataset_keys WHERE dataset = ?`,
    ),

    upsertReport: p(
      `INSERT INTO quality_reports (dataset, rid, spec_hash, passed, reasons, report, contributor, time_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (dataset, rid, spec_hash) DO UPDATE SET passed = excluded.passed, reasons = excluded.reasons, report = excluded.report,
         contributor = excluded.contributor, time_ms = excluded.time_ms`,
    ),
    getReport: p('SELECT * FROM quality_reports WHERE dataset = ? AND rid = ? AND spec_hash = ?'),
    verdict: p('SELECT passed FROM quality_reports WHERE dataset = ? AND rid = ? AND spec_hash = ?'),
    reportsOfRid: p('SELECT * FROM quality_reports WHERE rid = ? ORDER BY dataset, time_ms'),

    insertItem: p(
      `INSERT OR IGNORE INTO items (dataset, rid, transform_version, spec_hash, outputs, split, group_key, metadata, job_id, built_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    itemByRid: p('SELECT * FROM items WHERE dataset = ? AND rid = ? AND transform_version = ?'),
    itemIdByRid: p('SELECT iid FROM items WHERE dataset = ? AND rid = ? AND transform_version = ?'),
    itemsOfRid: p('SELECT * FROM items WHERE rid = ? ORDER BY dataset, iid'),
    itemSplit: p('SELECT split FROM items WHERE iid = ?'),
    itemsByTransform: p('SELECT transform_version, count(*) AS n FROM items WHERE dataset = ? GROUP BY transform_version ORDER BY transform_version'),

    upsertFailure: p(
      `INSERT INTO build_failures (dataset, rid, transform_version, error, time_ms) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (dataset, rid, transform_version) DO UPDATE SET error = excluded.error, time_ms = excluded.time_ms`,
    ),
    clearFailure: p('DELETE FROM build_failures WHERE dataset = ? AND rid = ? AND transform_version = ?'),
    getFailure: p('SELECT 1 FROM build_failures WHERE dataset = ? AND rid = ? AND transform_version = ?'),

    latestVersion: p('SELECT * FROM dataset_versions WHERE dataset = ? ORDER BY version DESC LIMIT 1'),
    getVersion: p('SELECT * FROM dataset_versions WHERE dataset = ? AND version = ?'),
    listVersions: p('SELECT * FROM dataset_versions WHERE dataset = ? ORDER BY version'),
    insertVersion: p(
      `INSERT INTO dataset_versions (dataset, version, transform_version, spec_hash, items, splits, added, removed, published_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    closeMembership: p('UPDATE version_items SET to_v = ? WHERE dataset = ? AND iid = ? AND to_v IS NULL'),
    openMembership: p('INSERT INTO version_items (dataset, iid, from_v) VALUES (?, ?, ?)'),
    membershipOf: p('SELECT from_v, to_v FROM version_items WHERE dataset = ? AND iid = ? ORDER BY from_v'),
    manifest: p(
      `SELECT i.*, r.bucket, r.key, r.version_id, r.sequencer, r.contributor
       FROM version_items m JOIN items i ON i.iid = m.iid JOIN raw_versions r ON r.rid = i.rid
       WHERE m.dataset = ? AND m.from_v <= ? AND (m.to_v IS NULL OR m.to_v > ?)
       ORDER BY r.bucket, r.key`,
    ),

    getRun: p('SELECT * FROM runs WHERE run_id = ?'),
    upsertRun: p(
      `INSERT INTO runs (run_id, dataset, rid, transform_version, status, steps, error, published_version, updated_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id) DO UPDATE SET transform_version = excluded.transform_version, status = excluded.status,
         steps = excluded.steps, error = excluded.error, published_version = excluded.published_version, updated_ms = excluded.updated_ms`,
    ),
    listRuns: p('SELECT * FROM runs WHERE dataset = ? AND (? IS NULL OR status = ?) ORDER BY updated_ms DESC LIMIT ?'),

    insertAlert: p('INSERT OR IGNORE INTO alerts (dataset, kind, rid, contributor, reasons, time_ms) VALUES (?, ?, ?, ?, ?, ?)'),
    alertByKey: p('SELECT * FROM alerts WHERE dataset = ? AND kind = ? AND rid = ? AND reasons = ?'),
    listAlerts: p('SELECT * FROM alerts WHERE (? IS NULL OR dataset = ?) ORDER BY id DESC LIMIT ?'),

    insertRebuild: p(
      `INSERT INTO rebuilds (dataset, from_tv, to_tv, spec_hash, replay_name, state, stale_at_start, started_ms)
       VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, ?)`,
    ),
    getRebuildById: p('SELECT * FROM rebuilds WHERE id = ?'),
    latestRebuild: p('SELECT * FROM rebuilds WHERE dataset = ? ORDER BY id DESC LIMIT 1'),
    updateRebuild: p('UPDATE rebuilds SET state = ?, replay_name = ?, ended_ms = ?, published_version = ?, reason = ? WHERE id = ?'),

    getProject: p('SELECT json FROM project WHERE key = ?'),
    setProject: p(
      'INSERT INTO project (key, json) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET json = excluded.json',
    ),
  };
}
