/**
 * The table a custom check sees: the scan's metrics and samples, and `rows()`, which reads the file again in bounded
 * memory. CSV cells become numbers or booleans when their column's inferred type says so, text otherwise (so a code
 * column like "007" keeps its zeros); missing values are null.
 */
import type { ScanResult } from './checks/check.js';
import { rowsOf } from './readers/source.js';
import type { QualityTable, QualityValue } from './types.js';
import { MISSING, classifyText, classifyTyped, newCell } from './values.js';

export function makeTable(r: ScanResult, missingValues: Set<string> | null): QualityTable {
  return {
    format: r.format,
    path: r.path,
    ...(r.key === undefined ? {} : { key: r.key }),
    bytes: r.bytes,
    rowCount: r.rows,
    columnNames: [...r.columnNames],
    columns: r.columns,
    sample(column: string): number[] {
      const stats = r.stats.get(column);
      if (!stats) return [];
      const n = Math.min(stats.sample.seen, stats.sample.capacity);
      return Array.from(stats.sample.values.subarray(0, n));
    },
    rows: () => readRows(r, missingValues),
  };
}

async function* readRows(r: ScanResult, missingValues: Set<string> | null): AsyncGenerator<Record<string, QualityValue>> {
  const reader = r.reread();
  const cell = newCell();
  const convert = (name: string | undefined): ((v: string) => QualityValue) => {
    const type = name === undefined ? 'string' : r.columns[name]?.type;
    return (v: string) => {
      classifyText(v, cell, missingValues);
      if (cell.kind === MISSING) return null;
      if (type === 'integer' || type === 'number' || type === 'boolean') return type === 'boolean' ? cell.num === 1 : cell.num;
      return cell.text;
    };
  };
  let converters: Array<(v: string) => QualityValue> = [];
  for await (const batch of reader.batches()) {
    const names = reader.columns;
    if (reader.textual && converters.length !== names.length) converters = names.map((n) => convert(n));
    for (const values of rowsOf(batch)) {
      const row: Record<string, QualityValue> = {};
      for (let i = 0; i < names.length; i++) {
        const v = values[i];
        if (reader.textual) row[names[i]!] = v === undefined ? null : converters[i]!(v as string);
        else {
          classifyTyped(v, cell);
          row[names[i]!] = cell.kind === MISSING ? null : typeof v === 'bigint' ? Number(v) : (v as QualityValue);
        }
      }
      yield row;
    }
  }
}
