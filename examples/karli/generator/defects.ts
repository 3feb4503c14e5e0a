/**
 * The defects real acquisitions have, each one a thing the quality checks must catch. A defect is planned from its
 * own random stream (seed, round, key, kind), so adding a defect to one file never changes another file's bytes.
 */
import type { Rng } from './prng.js';
import type { RenderEffects } from './render.js';
import { renderRow, timestampOf } from './render.js';
import type { SessionSignals } from './signals.js';
import { SAMPLE_MS, median } from './signals.js';

export const DEFECT_KINDS = ['missing-heart-rate', 'wrong-unit', 'truncated', 'clock-jump'] as const;
export type DefectKind = (typeof DEFECT_KINDS)[number];

export interface Defect {
  kind: DefectKind;
  detail: string;
}

export function isDefectKind(value: string): value is DefectKind {
  return (DEFECT_KINDS as readonly string[]).includes(value);
}

/** The smallest session every defect can be placed in and still be unmistakable. */
export const MIN_ROWS_FOR_DEFECTS = 50;

export function planDefect(
  kind: DefectKind,
  rng: Rng,
  signals: SessionSignals,
  startMs: number,
): { effects: RenderEffects; detail: string } {
  const rows = signals.speedKmh.length;
  switch (kind) {
    case 'missing-heart-rate': {
      // A loose chest strap: one long stretch, 15-25 % of the file, never at the very start or end.
      const length = Math.round(rows * rng.uniform(0.15, 0.25));
      const from = rng.int(Math.floor(rows * 0.1), Math.floor(rows * 0.9) - length);
      const percent = ((100 * length) / rows).toFixed(1);
      return {
        effects: { heartMissing: [from, from + length] },
        detail: `heart_rate_bpm is empty in data rows ${from + 1}-${from + length} (${length} of ${rows} rows, ${percent} %)`,
      };
    }
    case 'wrong-unit': {
      // A logger configured for m/s: the whole column is km/h ÷ 3.6 and still lies in the plausible 0..200 range.
      const kmh = median(signals.speedKmh);
      return {
        effects: { speedFactor: 1 / 3.6 },
        detail: `speed_kmh holds m/s for the whole file: median ${(kmh / 3.6).toFixed(1)} instead of ${kmh.toFixed(1)} km/h`,
      };
    }
    case 'truncated': {
      // An upload that stopped: 10-40 % of the rows, then half a row with no newline.
      const completeRows = Math.max(1, Math.round(rows * rng.uniform(0.1, 0.4)));
      const next = renderRow(signals, completeRows, timestampOf(completeRows, startMs, {}), {});
      // Cut before the last comma so the partial row always has fewer cells than the header.
      const lastComma = next.lastIndexOf(',');
      const partialChars = rng.int(5, lastComma - 1);
      return {
        effects: { truncate: { completeRows, partialChars } },
        detail: `file ends mid-row after ${completeRows} of ${rows} rows (${partialChars} characters of row ${completeRows + 1})`,
      };
    }
    case 'clock-jump': {
      // A logger that resynchronised its clock: from a row in the middle on, time is 2-8 minutes earlier.
      const atRow = rng.int(Math.floor(rows * 0.35), Math.floor(rows * 0.65));
      const minutes = rng.int(2, 8);
      const before = new Date(timestampOf(atRow - 1, startMs, {})).toISOString();
      const after = new Date(startMs + atRow * SAMPLE_MS - minutes * 60_000).toISOString();
      return {
        effects: { timeJump: { atRow, backMs: minutes * 60_000 } },
        detail: `timestamps jump back ${minutes} min at data row ${atRow + 1} (${before} -> ${after})`,
      };
    }
  }
}

/** Merges the effects of several defects on one file (each kind touches a different field). */
export function mergeEffects(all: RenderEffects[]): RenderEffects {
  return Object.assign({}, ...all) as RenderEffects;
}
