/** schema: required columns present, no unexpected ones (unless allowed), every value of the declared type. */
import type { CellObserver } from '../columns.js';
import { int, plural, quote } from '../format.js';
import type { TableScan } from '../scan.js';
import type { ColumnType } from '../types.js';
import type { CompiledCheckSpec } from '../validate.js';
import { BOOLEAN, INTEGER, MISSING, NUMBER, TIMESTAMP, cellText, type Cell } from '../values.js';
import { result, type RuntimeCheck, type ScanResult } from './check.js';

type Spec = Extract<CompiledCheckSpec, { type: 'schema' }>;

/** Whether a cell fits a declared type. Booleans may be written 0/1; timestamps may be epoch milliseconds. */
export function fits(type: ColumnType, cell: Cell): boolean {
  const k = cell.kind;
  switch (type) {
    case 'string':
      return true;
    case 'number':
      return k === INTEGER || k === NUMBER;
    case 'integer':
      return k === INTEGER;
    case 'boolean':
      return k === BOOLEAN || (k === INTEGER && (cell.num === 0 || cell.num === 1));
    case 'timestamp':
      return k === TIMESTAMP || k === INTEGER || k === NUMBER;
  }
}

class TypeObserver implements CellObserver {
  invalid = 0;
  firstRow = 0;
  firstText = '';
  constructor(private readonly type: ColumnType) {}
  cell(row: number, cell: Cell): void {
    if (cell.kind === MISSING || fits(this.type, cell)) return;
    if (this.invalid++ === 0) {
      this.firstRow = row;
      this.firstText = cellText(cell);
    }
  }
}

export class SchemaRuntime implements RuntimeCheck {
  readonly type = 'schema' as const;
  readonly name: string;
  private readonly observers = new Map<string, TypeObserver>();

  constructor(private readonly spec: Spec) {
    this.name = spec.name;
  }

  attach(scan: TableScan): void {
    for (const [column, type] of Object.entries(this.spec.columns)) {
      if (type === 'string') continue;
      const observer = new TypeObserver(type);
      this.observers.set(column, observer);
      scan.observeColumn(column, observer);
    }
  }

  evaluate(r: ScanResult) {
    const present = new Set(r.columnNames);
    const missing = this.spec.required.filter((c) => !present.has(c));
    const extra = this.spec.allowExtra ? [] : r.columnNames.filter((c) => !(c in this.spec.columns));
    const problems: string[] = [];
    if (missing.length > 0) problems.push(`missing ${missing.length === 1 ? 'column' : 'columns'} ${missing.join(', ')}`);
    if (extra.length > 0) problems.push(`unexpected ${extra.length === 1 ? 'column' : 'columns'} ${extra.map((c) => `'${c}'`).join(', ')}`);
    let invalidValues = 0;
    for (const [column, observer] of this.observers) {
      if (observer.invalid === 0) continue;
      invalidValues += observer.invalid;
      problems.push(
        `column ${column}: ${plural(observer.invalid, 'value is', 'values are')} not ${this.spec.columns[column]}, first ${quote(observer.firstText)} at row ${int(observer.firstRow)}`,
      );
    }
    const metrics = { missingColumns: missing.length, extraColumns: extra.length, invalidValues };
    if (problems.length > 0) return result(this, false, problems.join('; '), metrics);
    const declared = Object.keys(this.spec.columns);
    const absentOptional = declared.filter((c) => !present.has(c));
    const summary =
      absentOptional.length === 0
        ? `${plural(declared.length, 'declared column')} present with the declared types`
        : `${int(declared.length - absentOptional.length)} of ${int(declared.length)} declared columns present (optional ${absentOptional.join(', ')} absent), with the declared types`;
    return result(this, true, summary, metrics);
  }
}
