/**
 * A check at run time: it may register observers on the scan before it starts, then judges the scan's result. One
 * instance per run (observers keep state), made from the compiled spec by `instantiate()`.
 */
import type { ColumnStats } from '../columns.js';
import type { DefectLog, TableReader } from '../readers/source.js';
import type { TableScan } from '../scan.js';
import type { CheckResult, CheckType, ColumnMetrics, QualityFormat } from '../types.js';

export interface ScanResult {
  format: QualityFormat;
  path: string;
  key: string | undefined;
  bytes: number;
  rows: number;
  columnNames: string[];
  columns: Record<string, ColumnMetrics>;
  stats: Map<string, ColumnStats>;
  defects: DefectLog;
  /** A fresh reader over the same file, for a check that needs a second pass. */
  reread(): TableReader;
}

export interface RuntimeCheck {
  readonly name: string;
  readonly type: CheckType;
  attach?(scan: TableScan): void;
  evaluate(result: ScanResult): CheckResult | Promise<CheckResult>;
}

export function result(
  check: { name: string; type: CheckType },
  passed: boolean,
  reason: string,
  metrics?: Record<string, number>,
): CheckResult {
  const out: CheckResult = { name: check.name, type: check.type, passed, reason };
  if (metrics !== undefined) {
    // Reports are JSON: a NaN or Infinity metric would turn into null there, so it is left out here instead.
    const clean: Record<string, number> = {};
    for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number' && Number.isFinite(v)) clean[k] = v;
    out.metrics = clean;
  }
  return out;
}

export function absent(check: { name: string; type: CheckType }, column: string, result_: ScanResult): CheckResult {
  const names = result_.columnNames;
  const listed = names.slice(0, 12).map((c) => `'${c}'`).join(', ') + (names.length > 12 ? `, ... (${names.length} in all)` : '');
  const known = names.length === 0 ? 'the file has no columns' : `the file has ${listed}`;
  return result(check, false, `column ${column} is absent (${known})`);
}
