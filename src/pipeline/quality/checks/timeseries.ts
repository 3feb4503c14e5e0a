/**
 * timeseries: the steps between consecutive timestamps. Backward steps are clock jumps, repeats are duplicated
 * samples, steps over the gap limit are gaps (or clock jumps forward when they are far larger than a step), and the
 * sampling rate is 1 / median step. Without `intervalMs`, the expected step is the median of the first 1,024 steps
 * (buffered, then judged like the rest), so one pass suffices and a defect early in a file cannot set the norm.
 */
import { select, type CellObserver } from '../columns.js';
import { int, num, plural, quote, seconds } from '../format.js';
import type { TableScan } from '../scan.js';
import { Reservoir } from '../sketches.js';
import type { CompiledCheckSpec } from '../validate.js';
import { BOOLEAN, MISSING, STRING, cellText, type Cell } from '../values.js';
import { absent, result, type RuntimeCheck, type ScanResult } from './check.js';

type Spec = Extract<CompiledCheckSpec, { type: 'timeseries' }>;

const WARMUP = 1024;
/** A forward step this many expected steps long reads as a clock jump rather than a few lost samples. */
const JUMP_FACTOR = 10;

class StepObserver implements CellObserver {
  samples = 0;
  invalid = 0;
  firstInvalidRow = 0;
  firstInvalidText = '';
  first = NaN;
  last = NaN;
  private prev = NaN;
  interval: number | null;
  gapLimit = Infinity;
  private warmup: { steps: number[]; rows: number[] } | null;

  steps = 0;
  backward = 0;
  worstBackward = 0;
  worstBackwardRow = 0;
  repeats = 0;
  firstRepeatRow = 0;
  gaps = 0;
  worstGap = 0;
  worstGapRow = 0;
  irregular = 0;
  readonly positive = new Reservoir(10_000, 0x7157);

  constructor(private readonly spec: Spec) {
    this.interval = spec.intervalMs;
    this.warmup = spec.intervalMs === null ? { steps: [], rows: [] } : null;
    if (this.interval !== null) this.setLimit();
  }

  cell(row: number, cell: Cell): void {
    const kind = cell.kind;
    if (kind === MISSING) return;
    if (kind === STRING || kind === BOOLEAN) {
      if (this.invalid++ === 0) {
        this.firstInvalidRow = row;
        this.firstInvalidText = cellText(cell);
      }
      return;
    }
    const t = cell.num;
    if (this.samples++ === 0) this.first = t;
    this.last = t;
    const prev = this.prev;
    this.prev = t;
    if (prev !== prev) return;
    const step = t - prev;
    const w = this.warmup;
    if (w === null) return this.judge(step, row);
    w.steps.push(step);
    w.rows.push(row);
    if (w.steps.length === WARMUP) this.endWarmup();
  }

  /** Fixes the expected step from the buffered steps and judges them. */
  endWarmup(): void {
    const w = this.warmup;
    if (w === null) return;
    this.warmup = null;
    const positive = w.steps.filter((s) => s > 0).sort((a, b) => a - b);
    if (positive.length > 0) {
      this.interval = positive[Math.floor((positive.length - 1) / 2)]!;
      this.setLimit();
    } else if (this.spec.maxGapMs !== null) {
      this.gapLimit = this.spec.maxGapMs;
    }
    for (let i = 0; i < w.steps.length; i++) this.judge(w.steps[i]!, w.rows[i]!);
  }

  private setLimit(): void {
    this.gapLimit = this.spec.maxGapMs ?? this.interval! * (1 + this.spec.tolerance);
  }

  private judge(step: number, row: number): void {
    this.steps++;
    if (step < 0) {
      if (step < this.worstBackward) {
        this.worstBackward = step;
        this.worstBackwardRow = row;
      }
      this.backward++;
      return;
    }
    if (step === 0) {
      if (this.repeats++ === 0) this.firstRepeatRow = row;
      return;
    }
    this.positive.add(step);
    if (step > this.gapLimit) {
      this.gaps++;
      if (step > this.worstGap) {
        this.worstGap = step;
        this.worstGapRow = row;
      }
    }
    const interval = this.interval;
    if (interval !== null && Math.abs(step - interval) > this.spec.tolerance * interval) this.irregular++;
  }
}

export class TimeseriesRuntime implements RuntimeCheck {
  readonly type = 'timeseries' as const;
  readonly name: string;
  private readonly observer: StepObserver;

  constructor(private readonly spec: Spec) {
    this.name = spec.name;
    this.observer = new StepObserver(spec);
  }

  attach(scan: TableScan): void {
    scan.observeColumn(this.spec.column, this.observer);
  }

  evaluate(r: ScanResult) {
    const { column, monotonic, minRateHz, maxRateHz } = this.spec;
    const stats = r.stats.get(column);
    if (!stats) return absent(this, column, r);
    const o = this.observer;
    o.endWarmup();
    const sample = o.positive.copy();
    const medianStep = sample.length > 0 ? select(sample, Math.floor((sample.length - 1) / 2), 0, sample.length) : NaN;
    const rateHz = medianStep > 0 ? 1000 / medianStep : NaN;
    const expected = o.interval;
    const metrics = {
      samples: o.samples,
      steps: o.steps,
      expectedStepMs: expected ?? NaN,
      medianStepMs: medianStep,
      rateHz,
      spanMs: o.last - o.first,
      gaps: o.gaps,
      largestGapMs: o.worstGap,
      backwardSteps: o.backward,
      largestBackwardMs: o.worstBackward,
      repeatedTimestamps: o.repeats,
      irregularSteps: o.irregular,
      missing: stats.missing,
      invalid: o.invalid,
    };
    const problems: string[] = [];
    const steps = expected === null ? '' : ` (expected ${seconds(expected)} steps)`;
    if (o.invalid > 0) {
      problems.push(`${o.invalid === 1 ? '1 value is not a timestamp' : `${int(o.invalid)} values are not timestamps`}, first ${quote(o.firstInvalidText)} at row ${int(o.firstInvalidRow)}`);
    }
    if (stats.missing > 0) {
      problems.push(`${plural(stats.missing, 'row has', 'rows have')} no timestamp, longest run ${int(stats.longestRun)} from row ${int(stats.longestRunStart)}`);
    }
    if (o.samples < 2) {
      problems.push(`${o.samples === 0 ? 'no timestamps' : 'only one timestamp'}, so no steps to check`);
      return result(this, false, `${column}: ${problems.join('; ')}`, metrics);
    }
    if (monotonic && o.backward > 0) {
      const more = o.backward > 1 ? `; ${plural(o.backward, 'backward step')} in all` : '';
      problems.push(`clock jump of ${seconds(o.worstBackward)} at row ${int(o.worstBackwardRow)}${steps}${more}`);
    }
    if (monotonic && o.repeats > 0) {
      problems.push(`timestamp repeats at row ${int(o.firstRepeatRow)}${o.repeats > 1 ? ` (${plural(o.repeats, 'repeated timestamp')} in all)` : ''}`);
    }
    if (o.gaps > 0) {
      const more = o.gaps > 1 ? `; ${plural(o.gaps, 'gap')} in all` : '';
      const jump = expected === null || o.worstGap >= JUMP_FACTOR * expected;
      const what = jump ? `clock jump of ${seconds(o.worstGap, true)}` : `gap of ${seconds(o.worstGap)}`;
      const limit = this.spec.maxGapMs !== null || expected === null ? ` (max ${seconds(o.gapLimit)})` : steps;
      problems.push(`${what} at row ${int(o.worstGapRow)}${limit}${more}`);
    }
    const rate = `${num(rateHz)} Hz (median step ${seconds(medianStep)})`;
    if (minRateHz !== null && !(rateHz >= minRateHz)) problems.push(`sampling rate ${rate} below ${num(minRateHz)} Hz`);
    if (maxRateHz !== null && !(rateHz <= maxRateHz)) problems.push(`sampling rate ${rate} above ${num(maxRateHz)} Hz`);
    if (problems.length > 0) return result(this, false, `${column}: ${problems.join('; ')}`, metrics);
    const quirks = !monotonic && o.backward + o.repeats > 0 ? `, ${plural(o.backward + o.repeats, 'non-increasing step')} (allowed)` : ', no gaps or backward jumps';
    return result(this, true, `${column}: ${plural(o.samples, 'sample')} at ${rate}${quirks}`, metrics);
  }
}
