/**
 * What every reader gives the scan: column names, batches of rows (arrays aligned with the names), and the defects it
 * met. Readers never throw on bad data: a file that cannot be parsed, or not past some point, ends the batches with
 * a fatal defect, and the report fails with its reason. They do throw on I/O errors (a missing file), which are the
 * caller's to retry.
 */
import { open } from 'node:fs/promises';
import type { QualityDefect, QualityFormat } from '../types.js';

export interface TableReader {
  readonly format: QualityFormat;
  /** CSV cells are text to classify; NDJSON and Parquet values are typed. */
  readonly textual: boolean;
  /** Column names so far: fixed by a CSV header or a Parquet schema, grown as NDJSON keys first appear. */
  readonly columns: readonly string[];
  readonly defects: DefectLog;
  /** One batch per read chunk (CSV, NDJSON) or row group (Parquet). A row may be shorter than `columns`. */
  batches(): AsyncGenerator<Batch, void, undefined>;
}

/**
 * Rows of CSV text that were never cut into strings: row r's fields are `text[starts[f], ends[f])` for f from
 * `rowStart[r]` to `rowStart[r + 1]`. Cutting 120,000 cells out of a 1 MB file cost more than classifying them.
 */
export class TextBatch {
  // Typed arrays, not pushes onto JS arrays: the offsets of a 1 MB file took 6.6 ms as arrays, 2.5 ms like this.
  starts: Int32Array;
  ends: Int32Array;
  rowStart: Int32Array;
  fields = 0;
  length = 0;

  constructor(readonly text: string) {
    const guess = Math.max(256, text.length >> 3);
    this.starts = new Int32Array(guess);
    this.ends = new Int32Array(guess);
    this.rowStart = new Int32Array(Math.max(64, guess >> 2));
  }

  field(start: number, end: number): void {
    if (this.fields === this.starts.length) {
      this.starts = grown(this.starts);
      this.ends = grown(this.ends);
    }
    this.starts[this.fields] = start;
    this.ends[this.fields++] = end;
  }

  /** Ends the row whose fields were added since the last call. */
  endRow(): void {
    if (this.length + 1 >= this.rowStart.length) this.rowStart = grown(this.rowStart);
    this.rowStart[++this.length] = this.fields;
  }

  /** Drops the fields added since the last row ended (a header, a cut last row). */
  dropRow(): void {
    this.fields = this.rowStart[this.length]!;
  }

  /** Row r as strings (for the rare readers that want them). */
  row(r: number): string[] {
    const out: string[] = [];
    for (let f = this.rowStart[r]!; f < this.rowStart[r + 1]!; f++) out.push(this.text.slice(this.starts[f], this.ends[f]));
    return out;
  }

  /** The fields since the last row ended, as strings. */
  pending(): string[] {
    const out: string[] = [];
    for (let f = this.rowStart[this.length]!; f < this.fields; f++) out.push(this.text.slice(this.starts[f], this.ends[f]));
    return out;
  }
}

function grown(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** Rows as arrays of values, or CSV text with field offsets. */
export type Batch = unknown[][] | TextBatch;

export function rowsOf(batch: Batch): unknown[][] {
  if (Array.isArray(batch)) return batch;
  return Array.from({ length: batch.length }, (_, r) => batch.row(r));
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

/**
 * The file in fresh chunks of `size` bytes (the last one shorter). Plain `FileHandle.read`: a read stream's machinery
 * cost ~0.5 ms of a 1 MB check. Each chunk is its own buffer, since csv-parse may keep a reference to the previous one.
 */
export async function* readChunks(path: string, size: number): AsyncGenerator<Buffer, void, undefined> {
  const file = await open(path, 'r');
  try {
    for (;;) {
      const chunk = Buffer.allocUnsafe(size);
      const { bytesRead } = await file.read(chunk, 0, size, null);
      if (bytesRead === 0) return;
      yield bytesRead === size ? chunk : chunk.subarray(0, bytesRead);
      if (bytesRead < size) return;
    }
  } finally {
    await file.close();
  }
}
