/** fileSize (bytes) and rowCount: totals within [min, max]. A file far smaller than usual is often a cut upload. */
import { bytes, int, limits, plural } from '../format.js';
import type { CompiledCheckSpec } from '../validate.js';
import { result, type RuntimeCheck, type ScanResult } from './check.js';

type Spec = Extract<CompiledCheckSpec, { type: 'fileSize' | 'rowCount' }>;

export class SizeRuntime implements RuntimeCheck {
  readonly type: 'fileSize' | 'rowCount';
  readonly name: string;

  constructor(private readonly spec: Spec) {
    this.type = spec.type;
    this.name = spec.name;
  }

  evaluate(r: ScanResult) {
    const { min, max } = this.spec;
    const value = this.type === 'fileSize' ? r.bytes : r.rows;
    const text = this.type === 'fileSize' ? bytes(value) : plural(value, 'row');
    const metrics: Record<string, number> = { [this.type === 'fileSize' ? 'bytes' : 'rows']: value };
    if (min !== null && value < min) {
      const share = min > 0 ? `, ${Math.round((value / min) * 100)} % of the minimum` : '';
      return result(this, false, `${text}, expected at least ${int(min)}${share}${this.type === 'rowCount' && r.defects.count('truncated') > 0 ? ' (the file is truncated)' : ''}`, metrics);
    }
    if (max !== null && value > max) return result(this, false, `${text}, expected at most ${int(max)}`, metrics);
    return result(this, true, `${text} ${limits(min, max)}`, metrics);
  }
}
