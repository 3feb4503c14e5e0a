/**
 * The public shapes of data-quality checks: the declarative spec a project writes, the table a custom check sees, and
 * the report the pipeline stores in the catalog. Everything in a report is plain JSON (numbers, strings, booleans,
 * null), so the catalog can store it as is and the dashboard can draw from it.
 */

export type QualityFormat = 'csv' | 'ndjson' | 'parquet';

/** The types a schema can declare for a column. `timestamp` accepts ISO 8601 text and epoch milliseconds. */
export type ColumnType = 'number' | 'integer' | 'string' | 'boolean' | 'timestamp';

/** What the scan infers from the values; `empty` when a column has no value at all. */
export type InferredType = ColumnType | 'empty';

export interface CsvOptions {
  /** Field delimiter; default `,` (`\t` for keys ending in `.tsv`). */
  delimiter?: string;
  /** The first row names the columns. Only files with a header row are supported. */
  header?: true;
  /** Cell texts that mean "no value", besides the empty (or blank) cell, e.g. `['NA', 'NaN']`. */
  missingValues?: string[];
}

export interface QualitySpec {
  /** Default: from the object key's extension (`.csv`, `.tsv`, `.ndjson`, `.jsonl`, `.parquet`, `.pq`). */
  format?: QualityFormat;
  csv?: CsvOptions;
  checks: QualityCheck[];
}

interface CheckBase {
  /** Names the check in the report; default derived from the check, e.g. `range(speed_kmh)`. Unique per spec. */
  name?: string;
}

export interface SchemaCheck extends CheckBase {
  type: 'schema';
  columns: Record<string, ColumnType>;
  /** Columns that must be present; default every column listed in `columns`. */
  required?: string[];
  /** Whether columns not listed in `columns` may appear; default false. */
  allowExtra?: boolean;
}

export interface RangeCheck extends CheckBase {
  type: 'range';
  column: string;
  min?: number;
  max?: number;
  /** `value` (default): every non-missing value must be in range; `mean` / `median`: that statistic must be. */
  statistic?: 'value' | 'mean' | 'median';
  /** With `statistic: 'value'`: the share of values allowed outside the range (0..1); default 0. */
  maxOutOfRangeRatio?: number;
}

export interface MissingCheck extends CheckBase {
  type: 'missing';
  /** Default: every column of the file. */
  column?: string;
  /** Largest allowed share of missing values (0..1). */
  maxRatio?: number;
  /** Longest allowed run of consecutive rows without a value. */
  maxRun?: number;
}

export interface DuplicatesCheck extends CheckBase {
  type: 'duplicates';
  /** Rows are compared on these columns; default all columns. */
  columns?: string[];
  /** Most rows allowed to repeat an earlier row; default 0. */
  maxCount?: number;
}

export interface TimeseriesCheck extends CheckBase {
  type: 'timeseries';
  /** The time column: ISO 8601 text or epoch milliseconds. */
  column: string;
  /** The expected step between samples; default: the median of the first 1,024 steps. */
  intervalMs?: number;
  /** How far (as a fraction of the interval) a step may stray before it counts as a gap; default 0.5. */
  tolerance?: number;
  /** Longest allowed step; default `intervalMs * (1 + tolerance)`. */
  maxGapMs?: number;
  minRateHz?: number;
  maxRateHz?: number;
  /** Timestamps must strictly increase (no backward clock jumps, no repeats); default true. */
  monotonic?: boolean;
}

export interface FileSizeCheck extends CheckBase {
  type: 'fileSize';
  /** Bytes. */
  min?: number;
  max?: number;
}

export interface RowCountCheck extends CheckBase {
  type: 'rowCount';
  min?: number;
  max?: number;
}

export interface CheckOutcome {
  passed: boolean;
  reason?: string;
  metrics?: Record<string, number>;
}

export interface QualityCheckContext {
  /** The check's name, as in the report. */
  name: string;
  /** The object key, when the caller gave one. */
  key?: string;
}

export interface CustomCheck {
  type: 'custom';
  name: string;
  /** Runs after the scan. A check that throws (or rejects) fails with the error as its reason. */
  check: (table: QualityTable, ctx: QualityCheckContext) => CheckOutcome | Promise<CheckOutcome>;
}

export type QualityCheck =
  | SchemaCheck
  | RangeCheck
  | MissingCheck
  | DuplicatesCheck
  | TimeseriesCheck
  | FileSizeCheck
  | RowCountCheck
  | CustomCheck;

export type CheckType = QualityCheck['type'] | 'format';

/** A value as a custom check's `rows()` gives it: CSV cells are converted by the column's inferred type. */
export type QualityValue = string | number | boolean | null | object;

/** What a custom check sees: the scan's metrics, a sample per column, and a fresh streaming read of the rows. */
export interface QualityTable {
  readonly format: QualityFormat;
  readonly path: string;
  readonly key?: string;
  readonly bytes: number;
  readonly rowCount: number;
  readonly columnNames: readonly string[];
  readonly columns: Readonly<Record<string, ColumnMetrics>>;
  /** The column's numeric values (all of them up to 10,000, else a uniform sample of 10,000); [] for none. */
  sample(column: string): number[];
  /** Reads the file again, row by row, in bounded memory. Missing values are null. */
  rows(): AsyncIterable<Record<string, QualityValue>>;
}

export interface QualityFile {
  /** A local file holding the object's bytes. */
  path: string;
  /** The object key; names the format by its extension when the spec does not. */
  key?: string;
  /** The object's size in bytes, when known (else the file's size). */
  size?: number;
}

export interface Histogram {
  /** `counts.length + 1` bin edges, from the column's min to its max. */
  edges: number[];
  counts: number[];
}

export interface ColumnMetrics {
  type: InferredType;
  /** Values present. */
  count: number;
  missing: number;
  missingRatio: number;
  longestMissingRun: number;
  /** The row (1-based) where the longest run of missing values starts; null when nothing is missing. */
  longestMissingRunStart: number | null;
  /** Distinct values (a HyperLogLog estimate, within a few percent). */
  distinct: number;
  /** Numeric statistics (timestamps in epoch ms, booleans as 0/1); null for a column without numeric values. */
  min: number | null;
  max: number | null;
  mean: number | null;
  stddev: number | null;
  /** Quantiles and the histogram come from a uniform sample of 10,000 values when a column has more. */
  median: number | null;
  p05: number | null;
  p95: number | null;
  histogram: Histogram | null;
}

export interface CheckResult {
  name: string;
  type: CheckType;
  passed: boolean;
  /** Why it failed, or a short summary of what passed. */
  reason: string;
  metrics?: Record<string, number>;
}

export type DefectKind =
  | 'unreadable' // the file cannot be parsed at all (or not past this point)
  | 'truncated' // the file ends in the middle of a row
  | 'ragged-row' // a CSV row with too few or too many fields
  | 'malformed-line' // an NDJSON line that is not a JSON object
  | 'encoding' // bytes that are not UTF-8
  | 'header' // a CSV header with empty or repeated names, or the wrong delimiter
  | 'empty'; // no bytes (or no header) at all

export interface QualityDefect {
  kind: DefectKind;
  message: string;
  /** The data row (1-based, header not counted), when the defect belongs to one. */
  row?: number;
  /** The line of the file (1-based), when known. */
  line?: number;
}

export interface QualityReport {
  /** Every check passed and the file had no defects. */
  passed: boolean;
  /** null when the format could not be told from the spec or the key. */
  format: QualityFormat | null;
  /** Data rows read (a truncated last row is not counted). */
  rows: number;
  bytes: number;
  /** `qualitySpecHash(spec)`, so a stored report says which checks made it. */
  specHash: string;
  columns: Record<string, ColumnMetrics>;
  /** The implicit `format` check first, then the spec's checks in order. */
  checks: CheckResult[];
  /** Problems reading the file (at most 100 listed); present only when there are any. */
  defects?: QualityDefect[];
  /** How many defects were found beyond those listed. */
  defectsOmitted?: number;
}
