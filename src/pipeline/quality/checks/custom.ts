/**
 * custom: a project's own function over the table. Whatever it does, the stage survives: a throw, a rejection or a
 * malformed outcome fails the check with the reason, and metrics that are not finite numbers are dropped.
 */
import type { CompiledCheckSpec } from '../validate.js';
import type { CheckOutcome, QualityTable } from '../types.js';
import { result, type RuntimeCheck, type ScanResult } from './check.js';

type Spec = Extract<CompiledCheckSpec, { type: 'custom' }>;

export class CustomRuntime implements RuntimeCheck {
  readonly type = 'custom' as const;
  readonly name: string;

  constructor(private readonly spec: Spec, private readonly table: (r: ScanResult) => QualityTable) {
    this.name = spec.name;
  }

  async evaluate(r: ScanResult) {
    let outcome: CheckOutcome;
    try {
      outcome = await this.spec.check(this.table(r), { name: this.name, ...(r.key === undefined ? {} : { key: r.key }) });
    } catch (err) {
      const message = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
      return result(this, false, `the check threw: ${message}`);
    }
    if (typeof outcome !== 'object' || outcome === null || typeof outcome.passed !== 'boolean') {
      return result(this, false, 'the check returned no { passed: boolean } outcome');
    }
    const reason = typeof outcome.reason === 'string' && outcome.reason !== '' ? outcome.reason : outcome.passed ? 'passed' : 'failed (the check gave no reason)';
    const metrics = typeof outcome.metrics === 'object' && outcome.metrics !== null ? outcome.metrics : undefined;
    return result(this, outcome.passed, reason, metrics);
  }
}
