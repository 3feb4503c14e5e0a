/**
 * Data-quality checks for tabular data (CSV, NDJSON, Parquet): a declarative spec, one streaming pass, and a report
 * with metrics per column and a verdict with its reason per check. Pure domain code: the pipeline stage that calls
 * it owns the bus, the store and the catalog.
 */
export { runQualityChecks, failureReasons, type RunOptions } from './run.js';
export { validateQualitySpec } from './validate.js';
export { qualitySpecHash, QUALITY_ENGINE_VERSION } from './spec-hash.js';
export type {
  QualityFormat,
  ColumnType,
  InferredType,
  CsvOptions,
  QualitySpec,
  QualityCheck,
  SchemaCheck,
  RangeCheck,
  MissingCheck,
  DuplicatesCheck,
  TimeseriesCheck,
  FileSizeCheck,
  RowCountCheck,
  CustomCheck,
  CheckOutcome,
  QualityCheckContext,
  QualityTable,
  QualityValue,
  QualityFile,
  QualityReport,
  ColumnMetrics,
  Histogram,
  CheckResult,
  CheckType,
  QualityDefect,
  DefectKind,
} from './types.js';
