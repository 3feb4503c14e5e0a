import type * as T from './types.js';

/**
 * The catalog port: lineage, dataset versions and staleness. The embedded adapter is SQLite; a PostgreSQL adapter
 * implements the same interface and runs the same conformance suite (`runCatalogConformance`).
 *
 * Every write is an idempotent upsert keyed by what it describes (an object version, a report under a spec, an item
 * under a transform version), because stages run at least once: a redelivered event or a replay never duplicates a
 * row. Publishing is one transaction: a reader sees the previous version or the next, never a mix.
 */
export interface Catalog {
  // ---- the pipeline each dataset is built with ----
  /** Sets the current transform version and checks of a dataset; every key built otherwise becomes stale. */
  setPipeline(dataset: string, pipeline: T.DatasetPipeline): Promise<{ stale: number }>;
  getPipeline(dataset: string): Promise<T.DatasetPipeline | undefined>;
  listDatasets(): Promise<string[]>;
  recordTransformVersion(record: T.TransformVersionRecord): Promise<void>;
  listTransformVersions(dataset: string): Promise<T.TransformVersionRecord[]>;

  // ---- raw data ----
  /** Records a version, delete marker or permanent deletion for a dataset; a repeat changes nothing. */
  recordObjectEvent(dataset: string, event: T.RawObjectEvent): Promise<{ recorded: boolean }>;
  getRawVersion(object: T.ObjectVersionRef): Promise<T.RawVersion | undefined>;
  /** Whether a version is no longer what the key needs: a newer passing version or a newer delete exists. */
  isSuperseded(dataset: string, object: T.ObjectVersionRef): Promise<boolean>;

  // ---- quality ----
  putQualityReport(report: T.StoredQualityReport): Promise<void>;
  getQualityReport(dataset: string, object: T.ObjectVersionRef, specHash: string): Promise<T.StoredQualityReport | undefined>;

  // ---- items and versions ----
  /** Upserts the item for (dataset, object version, transform version); the first record wins. */
  recordItem(item: T.DatasetItemInput): Promise<T.DatasetItem>;
  getItem(dataset: string, object: T.ObjectVersionRef, transformVersion: string): Promise<T.DatasetItem | undefined>;
  /** The transform failed for good on this version (or succeeded after all: `failed: false`). */
  recordBuildFailure(dataset: string, object: T.ObjectVersionRef, transformVersion: string, error: string | undefined): Promise<void>;
  /**
   * Publishes the next dataset version when nothing is stale and something changed, in one transaction; answers
   * undefined otherwise.
   */
  publishIfConsistent(dataset: string, nowMs?: number): Promise<T.DatasetVersion | undefined>;
  getVersion(dataset: string, version?: number): Promise<T.DatasetVersion | undefined>;
  listVersions(dataset: string): Promise<T.DatasetVersion[]>;
  /** The immutable manifest of a version, in key order; `split` filters. */
  manifest(dataset: string, version: number, options?: { split?: string }): Promise<T.ManifestEntry[]>;
  status(dataset: string): Promise<T.DatasetStatus>;

  // ---- lineage ----
  lineageOfObject(object: T.ObjectVersionRef): Promise<T.ObjectLineage | undefined>;
  lineageOfVersion(dataset: string, version: number): Promise<T.DatasetVersionLineage | undefined>;

  // ---- runs, alerts, rebuilds ----
  recordRunStep(
    run: Pick<T.RunRecord, 'runId' | 'dataset' | 'object'> & Partial<Pick<T.RunRecord, 'transformVersion' | 'status' | 'error' | 'publishedVersion'>>,
    step?: { name: T.RunStep; startMs: number; endMs: number; detail?: string },
  ): Promise<void>;
  getRun(runId: string): Promise<T.RunRecord | undefined>;
  listRuns(dataset: string, options?: { limit?: number; status?: T.RunRecord['status'] }): Promise<T.RunRecord[]>;
  /** Idempotent per (dataset, kind, object version, reasons). */
  recordAlert(alert: Omit<T.Alert, 'id'>): Promise<{ alert: T.Alert; created: boolean }>;
  listAlerts(options?: { dataset?: string; limit?: number }): Promise<T.Alert[]>;
  startRebuild(rebuild: Omit<T.Rebuild, 'id' | 'state' | 'startedMs'> & { startedMs?: number }): Promise<T.Rebuild>;
  updateRebuild(id: number, change: Partial<Pick<T.Rebuild, 'state' | 'replayName' | 'endedMs' | 'publishedVersion' | 'reason'>>): Promise<T.Rebuild>;
  /** The dataset's latest rebuild. */
  getRebuild(dataset: string): Promise<T.Rebuild | undefined>;

  // ---- what `reflow apply` last applied ----
  getAppliedProject(): Promise<unknown>;
  setAppliedProject(snapshot: unknown): Promise<void>;

  close(): Promise<void>;
}
