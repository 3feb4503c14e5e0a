/**
 * What every reader gives the scan: column names, batches of rows (arrays aligned with the names), and the defects it
 * met. Readers never throw on bad data: a file that cannot be parsed, or not past some point, ends the batches with
 * a fatal defect, and the report fails with its reason. They do throw on I/O errors (a missing file), which are the
 * caller's to retry.
 */
import type { QualityDefect, QualityFormat } from '../types.js';

export interface TableReader {
  readonly format: QualityFormat;
  /** CSV cells are text to classify; NDJSON and Parquet values are typed. */
  readonly textual: boolean;
  /** Column names so far: fixed by a CSV header or a Parquet schema, grown as NDJSON keys first appear. */
  readonly columns: readonly string[];
  readonly defects: DefectLog;
  /** One batch per read chunk (CSV, NDJSON) or row group (Parquet). A row may be shorter than `columns`. */
  batches(): AsyncGenerator<unknown[][], void, undefined>;
}

export const MAX_LISTED_DEFECTS = 100;

export class DefectLog {
  readonly list: QualityDefect[] = [];
  omitted = 0;
  /** A defect after which nothing more could be read. */
  fatal: QualityDefect | null = null;
  private readonly counts = new Map<string, number>();

  add(defect: QualityDefect): void {
    this.counts.set(defect.kind, (this.counts.get(defect.kind) ?? 0) + 1);
    if (this.list.length < MAX_LISTED_DEFECTS) this.list.push(defect);
    else this.omitted++;
  }

  addFatal(defect: QualityDefect): void {
    this.fatal = defect;
    this.add(defect);
  }

  count(kind: QualityDefect['kind']): number {
    return this.counts.get(kind) ?? 0;
  }

  get total(): number {
    return this.list.length + this.omitted;
  }
}
