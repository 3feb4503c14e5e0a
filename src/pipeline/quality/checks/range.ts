/**
 * range: every value (default) or the column's mean / median within [min, max]. When the bulk of a column is off by
 * a common unit factor (m/s for km/h, Hz for per minute, a ratio for a percentage), the reason says so.
 */
import type { CellObserver } from '../columns.js';
import { bounds, int, num, pct, pctLimit } from '../format.js';
import type { TableScan } from '../scan.js';
import type { CompiledCheckSpec } from '../validate.js';
import { MISSING, STRING, type Cell } from '../values.js';
import { absent, result, type RuntimeCheck, type ScanResult } from './check.js';

type Spec = Extract<CompiledCheckSpec, { type: 'range' }>;

class BoundsObserver implements CellObserver {
  checked = 0;
  below = 0;
  above = 0;
  nonNumeric = 0;
  firstRow = 0;
  firstValue = 0;
  constructor(private readonly min: number, private readonly max: number) {}
  cell(row: number, cell: Cell): void {
    if (cell.kind === MISSING) return;
    if (cell.kind === STRING) {
      this.nonNumeric++;
      return;
    }
    this.checked++;
    const x = cell.num;
    if (x < this.min) this.below++;
    else if (x > this.max) this.above++;
    else return;
    if (this.below + this.above === 1) {
      this.firstRow = row;
      this.firstValue = x;
    }
  }
}

/** Common unit slips, tried in this order; the first factor that brings the value into range is named. */
const UNIT_FACTORS: Array<[number, string]> = [
  [3.6, '×3.6'],
  [1 / 3.6, '÷3.6'],
  [60, '×60'],
  [1 / 60, '÷60'],
  [100, '×100'],
  [1 / 100, '÷100'],
  [1000, '×1000'],
  [1 / 1000, '÷1000'],
  [1.609344, '×1.609'],
  [1 / 1.609344, '÷1.609'],
];

export function unitHint(value: number | null, min: number | null, max: number | null): string {
  // Against a one-sided limit every shrinking (or growing) factor fits, which says nothing.
  if (value === null || value === 0 || min === null || max === null) return '';
  for (const [factor, label] of UNIT_FACTORS) {
    const x = value * factor;
    if (x >= min && x <= max) return ` — wrong unit? (${label} would fit)`;
  }
  return '';
}

export class RangeRuntime implements RuntimeCheck {
  readonly type = 'range' as const;
  readonly name: string;
  private observer: BoundsObserver | null = null;

  constructor(private readonly spec: Spec) {
    this.name = spec.name;
  }

  attach(scan: TableScan): void {
    if (this.spec.statistic !== 'value') return;
    this.observer = new BoundsObserver(this.spec.min ?? -Infinity, this.spec.max ?? Infinity);
    scan.observeColumn(this.spec.column, this.observer);
  }

  evaluate(r: ScanResult) {
    const { column, min, max, statistic } = this.spec;
    const metrics = r.columns[column];
    if (!metrics) return absent(this, column, r);
    const range = bounds(min, max);
    if (statistic !== 'value') {
      const value = metrics[statistic];
      if (value === null) return result(this, false, `${column}: no numeric values, so no ${statistic}`);
      const inside = (min === null || value >= min) && (max === null || value <= max);
      const m = { [statistic]: value };
      if (inside) return result(this, true, `${column}: ${statistic} ${num(value)} within ${range}`, m);
      return result(this, false, `${column}: ${statistic} ${num(value)} outside expected ${range}${unitHint(value, min, max)}`, m);
    }
    const o = this.observer!;
    const out = o.below + o.above;
    const ratio = o.checked === 0 ? 0 : out / o.checked;
    const m = { checked: o.checked, outOfRange: out, below: o.below, above: o.above, outOfRangeRatio: ratio, nonNumeric: o.nonNumeric };
    const ignored = o.nonNumeric > 0 ? `; ${int(o.nonNumeric)} non-numeric values not checked` : '';
    if (o.checked === 0) return result(this, false, `${column}: no numeric values to check against ${range}${ignored}`, m);
    if (ratio <= this.spec.maxOutOfRangeRatio) {
      const text = out === 0 ? `all ${int(o.checked)} values within ${range}` : `${pct(ratio)} of values outside ${range} (max ${pctLimit(this.spec.maxOutOfRangeRatio)})`;
      return result(this, true, `${column}: ${text}${ignored}`, m);
    }
    const allowed = this.spec.maxOutOfRangeRatio > 0 ? `, max ${pctLimit(this.spec.maxOutOfRangeRatio)}` : '';
    // When most values are out, the distribution is shifted, not spiked: say where its middle is.
    const shifted = ratio > 0.5 ? `; median ${num(metrics.median!)}${unitHint(metrics.median, min, max)}` : '';
    return result(
      this,
      false,
      `${column}: ${int(out)} of ${int(o.checked)} values (${pct(ratio)}${allowed}) outside ${range}, first ${num(o.firstValue)} at row ${int(o.firstRow)}; min ${num(metrics.min!)}, max ${num(metrics.max!)}${shifted}${ignored}`,
      m,
    );
  }
}
