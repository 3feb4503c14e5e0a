/** For siblings and tests; not part of the public contract. */
export { compileQualitySpec, type CompiledQualitySpec, type CompiledCheckSpec } from './validate.js';
export { openReader, formatFromKey, type ReaderOptions } from './readers/open.js';
export { CsvReader, type CsvReaderOptions } from './readers/csv.js';
export { NdjsonReader } from './readers/ndjson.js';
export { ParquetReader } from './readers/parquet.js';
export type { TableReader } from './readers/source.js';
export { parseIsoTimestamp, classifyText, classifyTyped } from './values.js';
