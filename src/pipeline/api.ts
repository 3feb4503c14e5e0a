/**
 * What the pipeline offers the HTTP API, the CLI and the dashboard (through the one client). Read-only views come
 * from the catalog; plan, apply and rebuild act on the running pipeline.
 */
import type * as C from '../catalog/types.js';
import type { Plan } from './definition/plan.js';
import type { DatasetChange } from './definition/apply.js';

export interface ApplyOutcome {
  plan: Plan;
  /** Plan text as `reflow plan` prints it. */
  text: string;
  datasets: DatasetChange[];
  rebuilds: C.Rebuild[];
}

export interface PlanOutcome {
  plan: Plan;
  text: string;
}

export interface DatasetSummary extends C.DatasetStatus {
  /** Transform jobs of the dataset by state. */
  jobs: Record<string, number>;
  source: { bucket: string; prefix: string };
  load: { bucket: string; prefix: string; mode: string; splits: string[] };
  /** Replay progress of a running rebuild. */
  replay?: { state: string; replayed: number; total: number };
}

export interface DeadTransform {
  jobId: string;
  dataset?: string;
  error: string;
  attempts: number;
  log: string;
}

export interface PipelineApi {
  project(): { name: string; dir: string; datasets: string[] } | undefined;
  plan(): Promise<PlanOutcome>;
  apply(): Promise<ApplyOutcome>;
  datasets(): Promise<DatasetSummary[]>;
  dataset(name: string): Promise<DatasetSummary>;
  versions(dataset: string): Promise<C.DatasetVersion[]>;
  /** The manifest of a version (default the current one). */
  manifest(dataset: string, version?: number, split?: string): Promise<{ version: C.DatasetVersion; entries: C.ManifestEntry[] }>;
  lineageOfVersion(dataset: string, version: number): Promise<C.DatasetVersionLineage>;
  lineageOfObject(object: { bucket: string; key: string; versionId?: string }): Promise<C.ObjectLineage>;
  /** The quality report of an object version under the dataset's current checks (its metrics and histograms). */
  qualityReport(dataset: string, object: { bucket: string; key: string; versionId?: string }): Promise<C.StoredQualityReport>;
  alerts(options: { dataset?: string; limit?: number }): Promise<C.Alert[]>;
  runs(dataset: string, options: { status?: C.RunRecord['status']; limit?: number }): Promise<C.RunRecord[]>;
  rebuild(dataset: string): Promise<C.Rebuild | undefined>;
  cancelRebuild(dataset: string): Promise<C.Rebuild | undefined>;
  deadTransforms(limit?: number): Promise<DeadTransform[]>;
  /** Resolves once every accepted upload and event has gone through the stages and no transform job is active. */
  idle(timeoutMs?: number): Promise<void>;
}
