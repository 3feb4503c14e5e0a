import type { QualityFormat } from '../types.js';
import { CsvReader, type CsvReaderOptions } from './csv.js';
import { NdjsonReader } from './ndjson.js';
import { ParquetReader } from './parquet.js';
import type { TableReader } from './source.js';

export interface ReaderOptions {
  csv?: CsvReaderOptions;
  chunkSize?: number;
}

export function openReader(format: QualityFormat, path: string, options: ReaderOptions = {}): TableReader {
  switch (format) {
    case 'csv':
      return new CsvReader(path, { ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}), ...options.csv });
    case 'ndjson':
      return new NdjsonReader(path, options.chunkSize ? { chunkSize: options.chunkSize } : {});
    case 'parquet':
      return new ParquetReader(path);
  }
}

/** The format an object key names by its extension, or null. */
export function formatFromKey(key: string): { format: QualityFormat; delimiter?: string } | null {
  const lower = key.toLowerCase();
  if (lower.endsWith('.csv')) return { format: 'csv' };
  if (lower.endsWith('.tsv')) return { format: 'csv', delimiter: '\t' };
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return { format: 'ndjson' };
  if (lower.endsWith('.parquet') || lower.endsWith('.pq')) return { format: 'parquet' };
  return null;
}
