/**
 * One pass over a table: every cell is classified once and fed to its column's metrics and to the observers the
 * checks registered (range bounds, schema types, time steps, row digests). Checks that need only totals read the
 * metrics afterwards; none keeps rows.
 */
import { ColumnStats, type CellObserver } from './columns.js';
import { TextBatch, type Batch, type TableReader } from './readers/source.js';
import { MISSING, classifyRange, classifyText, classifyTyped, newCell } from './values.js';

/** A check's view of whole rows (the duplicates check). `textual`: cells are CSV text. */
export interface RowObserver {
  row(row: number, values: readonly unknown[], width: number, textual: boolean): void;
  /** A CSV row given as offsets: fields `first .. first + count - 1` of the batch. */
  textRow(row: number, batch: TextBatch, first: number, count: number, width: number): void;
}

export class TableScan {
  readonly columns: ColumnStats[] = [];
  readonly byName = new Map<string, ColumnStats>();
  rows = 0;
  private readonly cellObservers = new Map<string, CellObserver[]>();
  private readonly rowObservers: RowObserver[] = [];
  private readonly cell = newCell();

  constructor(private readonly textual: boolean, private readonly missingValues: Set<string> | null) {}

  observeColumn(column: string, observer: CellObserver): void {
    const list = this.cellObservers.get(column) ?? [];
    list.push(observer);
    this.cellObservers.set(column, list);
    const stats = this.byName.get(column);
    if (stats) stats.observers = list;
  }

  observeRows(observer: RowObserver): void {
    this.rowObservers.push(observer);
  }

  async run(reader: TableReader): Promise<void> {
    for await (const batch of reader.batches()) this.ingest(batch, reader.columns);
    // Columns the header or schema names but no row reached (a header-only CSV) still get metrics.
    this.addColumns(reader.columns);
  }

  ingest(batch: Batch, names: readonly string[]): void {
    this.addColumns(names);
    const columns = this.columns;
    const width = columns.length;
    const cell = this.cell;
    const rowObservers = this.rowObservers;
    const missing = this.missingValues;
    if (batch instanceof TextBatch) {
      const { text, starts, ends, rowStart } = batch;
      for (let b = 0; b < batch.length; b++) {
        const row = ++this.rows;
        const first = rowStart[b]!;
        const count = rowStart[b + 1]! - first;
        for (let i = 0; i < width; i++) {
          if (i < count) {
            classifyRange(text, starts[first + i]!, ends[first + i]!, cell, missing);
          } else {
            cell.kind = MISSING;
            cell.num = NaN;
          }
          columns[i]!.add(row, cell);
        }
        for (let o = 0; o < rowObservers.length; o++) rowObservers[o]!.textRow(row, batch, first, count, width);
      }
    } else if (this.textual) {
      for (let b = 0; b < batch.length; b++) {
        const values = batch[b]!;
        const row = ++this.rows;
        for (let i = 0; i < width; i++) {
          const v = values[i] as string | undefined;
          if (v === undefined) {
            cell.kind = MISSING;
            cell.num = NaN;
          } else {
            classifyText(v, cell, missing);
          }
          columns[i]!.add(row, cell);
        }
        for (let o = 0; o < rowObservers.length; o++) rowObservers[o]!.row(row, values, width, true);
      }
    } else {
      for (let b = 0; b < batch.length; b++) {
        const values = batch[b]!;
        const row = ++this.rows;
        for (let i = 0; i < width; i++) {
          classifyTyped(values[i], cell);
          columns[i]!.add(row, cell);
        }
        for (let o = 0; o < rowObservers.length; o++) rowObservers[o]!.row(row, values, width, false);
      }
    }
  }

  private addColumns(names: readonly string[]): void {
    while (this.columns.length < names.length) {
      const name = names[this.columns.length]!;
      const stats = new ColumnStats(name, this.columns.length, this.rows + 1);
      stats.observers = this.cellObservers.get(name) ?? null;
      this.columns.push(stats);
      this.byName.set(name, stats);
    }
  }
}
