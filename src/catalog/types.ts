/**
 * What the catalog records: raw object versions as the store's events announced them, quality reports, transform
 * versions, dataset items (raw version → transform version → output objects, split), dataset versions as immutable
 * manifests, runs with per-step timings, alerts and rebuilds. Plain JSON-able shapes; no driver types.
 */

/** One raw object version or delete marker, as an `Object Created` / `Object Deleted` event described it. */
export interface RawObjectEvent {
  bucket: string;
  key: string;
  versionId: string;
  /** S3's per-key order (hex); compared after left-padding, so any store's sequencers order correctly. */
  sequencer: string;
  /**
   * `created` a version; `marker` a delete marker (the key reads as absent); `purged` the version `versionId` was
   * permanently deleted (S3's "Permanently Deleted"), which may bring an older version back.
   */
  kind: 'created' | 'marker' | 'purged';
  etag?: string;
  size?: number;
  contributor?: string;
  timeMs: number;
  eventId?: string;
}

export interface RawVersion {
  bucket: string;
  key: string;
  versionId: string;
  sequencer: string;
  kind: 'created' | 'marker';
  purged: boolean;
  etag?: string;
  size?: number;
  contributor?: string;
  timeMs: number;
}

export interface ObjectVersionRef {
  bucket: string;
  key: string;
  versionId: string;
}

/** A quality report as the extract stage stored it (the report body is the quality module's JSON). */
export interface StoredQualityReport {
  dataset: string;
  object: ObjectVersionRef;
  specHash: string;
  passed: boolean;
  /** One line per failed check: what a contributor reads in the alert. */
  reasons: string[];
  report: unknown;
  contributor?: string;
  timeMs: number;
}

export interface TransformVersionRecord {
  dataset: string;
  transform: string;
  /** `<declared>+<content hash>`: the code that ran. */
  version: string;
  definition: unknown;
  firstSeenMs: number;
}

export interface OutputObject {
  bucket: string;
  key: string;
  versionId?: string;
  etag?: string;
  sha256: string;
  size: number;
}

export interface DatasetItemInput {
  dataset: string;
  object: ObjectVersionRef;
  transformVersion: string;
  specHash: string;
  outputs: OutputObject[];
  split: string;
  groupKey: string;
  metadata?: Record<string, unknown>;
  jobId?: string;
  builtMs: number;
}

export interface DatasetItem extends DatasetItemInput {
  itemId: number;
}

/** The pipeline a dataset is built with now: items of other versions are stale. */
export interface DatasetPipeline {
  transformVersion: string;
  specHash: string;
}

export interface DatasetVersion {
  dataset: string;
  version: number;
  transformVersion: string;
  specHash: string;
  items: number;
  splits: Record<string, number>;
  added: number;
  removed: number;
  publishedMs: number;
}

export interface ManifestEntry {
  itemId: number;
  object: ObjectVersionRef;
  transformVersion: string;
  split: string;
  groupKey: string;
  outputs: OutputObject[];
}

export interface DatasetStatus {
  dataset: string;
  pipeline: DatasetPipeline | undefined;
  /** The last consistent version readers see (0: none yet). */
  currentVersion: number;
  currentTransformVersion?: string;
  /** Keys whose raw data is live (not deleted). */
  keys: number;
  /** Keys in the current version built by another pipeline and not rebuilt yet. */
  stale: number;
  /** Keys waiting for a check or a transform of their newest version. */
  pending: number;
  /** Keys whose newest version failed its checks (kept out of the dataset). */
  rejected: number;
  /** Changes the next version will carry once nothing is stale. */
  unpublished: number;
  /** Items per transform version across all keys' recorded items. */
  itemsByTransformVersion: Record<string, number>;
  rebuild?: Rebuild;
}

export type RebuildState = 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';

export interface Rebuild {
  id: number;
  dataset: string;
  fromTransformVersion?: string;
  toTransformVersion: string;
  specHash: string;
  replayName?: string;
  state: RebuildState;
  staleAtStart: number;
  startedMs: number;
  endedMs?: number;
  publishedVersion?: number;
  reason?: string;
}

export interface Alert {
  id: number;
  dataset: string;
  kind: 'quality-failed' | 'transform-failed';
  object: ObjectVersionRef;
  contributor?: string;
  reasons: string[];
  timeMs: number;
}

export type RunStep = 'quality' | 'transform' | 'load';

export interface RunRecord {
  runId: string;
  dataset: string;
  object: ObjectVersionRef;
  transformVersion?: string;
  status: 'running' | 'succeeded' | 'failed' | 'rejected' | 'skipped';
  steps: Partial<Record<RunStep, { startMs: number; endMs: number; detail?: string }>>;
  error?: string;
  publishedVersion?: number;
  updatedMs: number;
}

/** Everything known about one raw object version, downstream. */
export interface ObjectLineage {
  object: RawVersion;
  reports: StoredQualityReport[];
  items: Array<DatasetItem & { inVersions: Array<{ from: number; to?: number }> }>;
}

/** Everything one dataset version is made of, upstream. */
export interface DatasetVersionLineage {
  version: DatasetVersion;
  transformVersions: Record<string, number>;
  entries: Array<ManifestEntry & { contributor?: string; sequencer: string }>;
}
