/** Turns simulated signals into CSV text, applying whatever the defects changed on the way out. */
import type { SessionSignals } from './signals.js';
import { SAMPLE_MS } from './signals.js';

export const COLUMNS = ['timestamp', 'speed_kmh', 'steering_angle_deg', 'heart_rate_bpm', 'eye_closure_ratio', 'drowsy'] as const;
export const HEADER = COLUMNS.join(',');

/** What defects do to the rendering. Every field is optional; an empty object renders a clean file. */
export interface RenderEffects {
  /** Data rows [from, to) get an empty heart_rate_bpm cell. */
  heartMissing?: [number, number];
  /** Multiplies every speed (1 / 3.6 writes m/s into the km/h column). */
  speedFactor?: number;
  /** From data row `atRow` on, timestamps are `backMs` earlier. */
  timeJump?: { atRow: number; backMs: number };
  /** Keep `completeRows` data rows, then the first `partialChars` characters of the next row, and no newline. */
  truncate?: { completeRows: number; partialChars: number };
}

/** Fixed decimals without "-0.00" (a rounded tiny negative would otherwise print a minus sign). */
function fixed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return Number(text) === 0 ? (0).toFixed(digits) : text;
}

export function renderRow(signals: SessionSignals, i: number, timestampMs: number, effects: RenderEffects): string {
  const heartMissing = effects.heartMissing !== undefined && i >= effects.heartMissing[0] && i < effects.heartMissing[1];
  return [
    new Date(timestampMs).toISOString(),
    fixed(signals.speedKmh[i] * (effects.speedFactor ?? 1), 2),
    fixed(signals.steeringDeg[i], 2),
    heartMissing ? '' : fixed(signals.heartBpm[i], 1),
    fixed(signals.eyeClosure[i], 3),
    String(signals.drowsy[i]),
  ].join(',');
}

export function timestampOf(i: number, startMs: number, effects: RenderEffects): number {
  const jump = effects.timeJump;
  return startMs + i * SAMPLE_MS - (jump !== undefined && i >= jump.atRow ? jump.backMs : 0);
}

export function renderCsv(signals: SessionSignals, startMs: number, effects: RenderEffects): { text: string; rows: number } {
  const total = signals.speedKmh.length;
  const complete = effects.truncate ? Math.min(effects.truncate.completeRows, total) : total;
  const lines: string[] = [HEADER];
  for (let i = 0; i < complete; i++) lines.push(renderRow(signals, i, timestampOf(i, startMs, effects), effects));
  let text = lines.join('\n') + '\n';
  if (effects.truncate && complete < total) {
    const next = renderRow(signals, complete, timestampOf(complete, startMs, effects), effects);
    // Never past the last comma, so the partial row has fewer cells than the header whatever else changed it.
    text += next.slice(0, Math.min(effects.truncate.partialChars, next.lastIndexOf(',') - 1));
  }
  return { text, rows: complete };
}
