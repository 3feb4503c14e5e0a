/**
 * duplicates: rows (or their values in some columns) that repeat an earlier row, found by 16-byte digests. The scan
 * keeps only the digests; when it finds a repeat, a second pass over the rows before it finds the row it repeats,
 * so the reason can name both without the first pass keeping row numbers.
 */
import { int, plural } from '../format.js';
import { rowsOf, type TableReader, type TextBatch } from '../readers/source.js';
import type { RowObserver, TableScan } from '../scan.js';
import { DigestSet, RowHasher } from '../sketches.js';
import type { CompiledCheckSpec } from '../validate.js';
import { stableText } from '../values.js';
import { absent, result, type RuntimeCheck, type ScanResult } from './check.js';

type Spec = Extract<CompiledCheckSpec, { type: 'duplicates' }>;

/** Digests rows the same way in both passes. */
class RowDigester {
  private readonly hasher = new RowHasher();
  private indices: number[] = [];
  private width = -1;

  constructor(private readonly columns: string[] | null, private readonly lookup: () => Map<string, number>) {}

  digest(values: readonly unknown[], width: number, textual: boolean): Uint32Array {
    if (width !== this.width) this.resolve(width);
    const h = this.hasher;
    h.reset();
    const idx = this.indices;
    let n = idx.length;
    // Trailing cells without a value do not count, so a row read before a new NDJSON key appeared (narrower) and
    // the same row read after it digest alike.
    if (this.columns === null) while (n > 0 && values[n - 1] == null) n--;
    for (let k = 0; k < n; k++) {
      const i = idx[k]!;
      const v = i < 0 ? undefined : values[i];
      if (textual) {
        if (v === undefined) h.addMissing();
        else h.addString(v as string);
      } else {
        addTyped(h, v);
      }
    }
    return h.finish();
  }

  /** The same digest for a CSV row given as offsets (`addRange` digests exactly as `addString`). */
  digestText(batch: TextBatch, first: number, count: number, width: number): Uint32Array {
    if (width !== this.width) this.resolve(width);
    const h = this.hasher;
    h.reset();
    const idx = this.indices;
    const n = this.columns === null ? Math.min(count, idx.length) : idx.length;
    const { text, starts, ends } = batch;
    for (let k = 0; k < n; k++) {
      const i = idx[k]!;
      if (i < 0 || i >= count) h.addMissing();
      else h.addRange(text, starts[first + i]!, ends[first + i]!);
    }
    return h.finish();
  }

  private resolve(width: number): void {
    // NDJSON grows columns as they appear; resolve names again whenever the width changes.
    this.width = width;
    const map = this.lookup();
    this.indices = this.columns === null ? Array.from({ length: width }, (_, i) => i) : this.columns.map((c) => map.get(c) ?? -1);
  }
}

function addTyped(h: RowHasher, v: unknown): void {
  switch (typeof v) {
    case 'number':
      if (v !== v) h.addMissing();
      else h.addNumber(v + 0);
      return;
    case 'string':
      h.addString(v);
      return;
    case 'boolean':
      h.addTag(v ? 1 : 0);
      return;
    case 'bigint':
      h.addTag(2);
      h.addString(v.toString());
      return;
    case 'object':
      if (v === null) h.addMissing();
      else if (v instanceof Date) {
        h.addTag(3);
        h.addNumber(v.getTime());
      } else {
        h.addTag(4);
        h.addString(stableText(v));
      }
      return;
    default:
      h.addMissing();
  }
}

export class DuplicatesRuntime implements RuntimeCheck, RowObserver {
  readonly type = 'duplicates' as const;
  readonly name: string;
  private readonly seen = new DigestSet();
  private digester: RowDigester | null = null;
  private duplicates = 0;
  private firstRow = 0;
  private readonly firstDigest = new Uint32Array(4);

  constructor(private readonly spec: Spec) {
    this.name = spec.name;
  }

  attach(scan: TableScan): void {
    this.digester = new RowDigester(this.spec.columns, () => new Map(scan.columns.map((c) => [c.name, c.index])));
    scan.observeRows(this);
  }

  row(row: number, values: readonly unknown[], width: number, textual: boolean): void {
    this.saw(row, this.digester!.digest(values, width, textual));
  }

  textRow(row: number, batch: TextBatch, first: number, count: number, width: number): void {
    this.saw(row, this.digester!.digestText(batch, first, count, width));
  }

  private saw(row: number, d: Uint32Array): void {
    if (this.seen.add(d)) return;
    if (this.duplicates++ === 0) {
      this.firstRow = row;
      this.firstDigest.set(d);
    }
  }

  async evaluate(r: ScanResult) {
    const missingColumns = (this.spec.columns ?? []).filter((c) => !r.stats.has(c));
    if (missingColumns.length > 0) return absent(this, missingColumns[0]!, r);
    const on = this.spec.columns ? ` in columns ${this.spec.columns.join(', ')}` : '';
    const metrics = { duplicates: this.duplicates, distinctRows: this.seen.size };
    if (this.duplicates <= this.spec.maxCount) {
      const text = this.duplicates === 0 ? `no duplicate rows${on}` : `${plural(this.duplicates, 'duplicate row')}${on} (max ${int(this.spec.maxCount)})`;
      return result(this, true, text, metrics);
    }
    const original = await this.findOriginal(r.reread());
    const which = original === null ? `row ${int(this.firstRow)} repeats an earlier row` : `row ${int(this.firstRow)} repeats row ${int(original)}`;
    return result(this, false, `${plural(this.duplicates, 'duplicate row')}${on} (max ${int(this.spec.maxCount)}); first: ${which}`, metrics);
  }

  /** The first row whose digest is the first duplicate's: read again only up to that duplicate. */
  private async findOriginal(reader: TableReader): Promise<number | null> {
    const digester = new RowDigester(this.spec.columns, () => new Map(reader.columns.map((c, i) => [c, i])));
    const want = this.firstDigest;
    let row = 0;
    for await (const batch of reader.batches()) {
      const width = reader.columns.length;
      for (const values of rowsOf(batch)) {
        if (++row >= this.firstRow) return null;
        const d = digester.digest(values, width, reader.textual);
        if (d[0] === want[0] && d[1] === want[1] && d[2] === want[2] && d[3] === want[3]) return row;
      }
    }
    return null;
  }
}
