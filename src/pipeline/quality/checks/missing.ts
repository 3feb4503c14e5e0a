/** missing: the share of rows without a value, and the longest run of them, per column or for every column. */
import type { ColumnStats } from '../columns.js';
import { int, pct, pctLimit } from '../format.js';
import type { CompiledCheckSpec } from '../validate.js';
import { absent, result, type RuntimeCheck, type ScanResult } from './check.js';

type Spec = Extract<CompiledCheckSpec, { type: 'missing' }>;

export class MissingRuntime implements RuntimeCheck {
  readonly type = 'missing' as const;
  readonly name: string;

  constructor(private readonly spec: Spec) {
    this.name = spec.name;
  }

  evaluate(r: ScanResult) {
    const { column, maxRatio, maxRun } = this.spec;
    if (column !== null && !r.stats.has(column)) return absent(this, column, r);
    const targets = column === null ? [...r.stats.values()] : [r.stats.get(column)!];
    if (targets.length === 0) return result(this, false, 'the file has no columns');
    const failing: string[] = [];
    let worst: ColumnStats = targets[0]!;
    for (const s of targets) {
      if (s.missing > worst.missing) worst = s;
      const ratio = r.rows === 0 ? 0 : s.missing / r.rows;
      const ratioBad = maxRatio !== null && ratio > maxRatio;
      const runBad = maxRun !== null && s.longestRun > maxRun;
      if (ratioBad || runBad) failing.push(this.describe(s, ratio, runBad));
    }
    const worstRatio = r.rows === 0 ? 0 : worst.missing / r.rows;
    const metrics: Record<string, number> =
      column === null
        ? { columns: targets.length, failingColumns: failing.length, worstMissingRatio: worstRatio, longestMissingRun: Math.max(...targets.map((s) => s.longestRun)) }
        : { missing: worst.missing, missingRatio: worstRatio, longestMissingRun: worst.longestRun };
    if (failing.length > 0) return result(this, false, failing.join('; '), metrics);
    const limit = maxRatio !== null ? ` (max ${pctLimit(maxRatio)})` : '';
    if (column !== null) {
      const run = maxRun !== null ? `, longest run ${int(worst.longestRun)} rows (max ${int(maxRun)})` : '';
      return result(this, true, `column ${column}: ${pct(worstRatio)} missing${limit}${run}`, metrics);
    }
    const top = worst.missing === 0 ? 'none missing' : `at most ${pct(worstRatio)} missing (${worst.name})`;
    return result(this, true, `${int(targets.length)} columns, ${top}${limit}`, metrics);
  }

  private describe(s: ColumnStats, ratio: number, runBad: boolean): string {
    const { maxRatio, maxRun } = this.spec;
    const limit = maxRatio !== null ? ` (max ${pctLimit(maxRatio)})` : '';
    const run = s.longestRun > 0 ? `, longest run ${int(s.longestRun)} rows from row ${int(s.longestRunStart)}${runBad ? ` (max ${int(maxRun!)})` : ''}` : '';
    return `column ${s.name}: ${pct(ratio)} missing${limit}${run}`;
  }
}
