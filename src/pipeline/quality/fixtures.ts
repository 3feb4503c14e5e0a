/**
 * Test data for the quality checks: a seeded generator of driver-monitoring recordings like examples/karli (10 Hz
 * time series with speed, steering, heart rate, eye closure and a drowsiness label) with each defect a contributor
 * can upload, and writers for the same table as CSV, NDJSON and Parquet. For tests and the benchmark only.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Prng } from './sketches.js';
import type { QualityFormat, QualitySpec } from './types.js';

export const KARLI_COLUMNS = ['timestamp', 'speed_kmh', 'steering_angle_deg', 'heart_rate_bpm', 'eye_closure_ratio', 'drowsy'] as const;

export type Value = string | number | boolean | null;
export interface Table {
  columns: string[];
  rows: Value[][];
}

export interface KarliOptions {
  rows: number;
  seed?: number;
  /** Epoch ms of the first sample. */
  start?: number;
  /** Write timestamps as epoch ms instead of ISO 8601. */
  epochMs?: boolean;
  /** Heart rate missing (empty cells) for `length` rows from row `from` (1-based). */
  missingHeartRate?: { from: number; length: number };
  /** Speed written in m/s (values 3.6x smaller). */
  speedInMs?: boolean;
  /** Heart rate written in Hz (values 60x smaller). */
  heartRateInHz?: boolean;
  /** From row `row` on, the clock is off by `ms`. */
  clockJump?: { row: number; ms: number };
}

export function karliTable(o: KarliOptions): Table {
  const rng = new Prng(o.seed ?? 42);
  const start = o.start ?? Date.UTC(2026, 4, 4, 8, 0, 0);
  const rows: Value[][] = [];
  let speed = 60;
  let eye = 0.15;
  for (let i = 1; i <= o.rows; i++) {
    let t = start + (i - 1) * 100;
    if (o.clockJump && i >= o.clockJump.row) t += o.clockJump.ms;
    // Mean-reverting walks: realistic wobble, and a recording's median stays near 60 km/h whatever the seed.
    speed = Math.min(130, Math.max(25, speed + 0.02 * (60 - speed) + (rng.next() - 0.5) * 2));
    eye = Math.min(0.95, Math.max(0.02, eye + 0.01 * (0.2 - eye) + (rng.next() - 0.5) * 0.04));
    const hr = 62 + 10 * Math.sin(i / 900) + (rng.next() - 0.5) * 4;
    const missingHr = o.missingHeartRate && i >= o.missingHeartRate.from && i < o.missingHeartRate.from + o.missingHeartRate.length;
    rows.push([
      o.epochMs ? t : new Date(t).toISOString(),
      round(o.speedInMs ? speed / 3.6 : speed, 2),
      round(Math.sin(i / 37) * 25 + (rng.next() - 0.5) * 3, 2),
      missingHr ? null : round(o.heartRateInHz ? hr / 60 : hr, o.heartRateInHz ? 3 : 1),
      round(eye, 3),
      eye > 0.6 ? 1 : 0,
    ]);
  }
  return { columns: [...KARLI_COLUMNS], rows };
}

/** A spec a project would write for these recordings. */
export function karliSpec(): QualitySpec {
  return {
    checks: [
      {
        type: 'schema',
        columns: {
          timestamp: 'timestamp',
          speed_kmh: 'number',
          steering_angle_deg: 'number',
          heart_rate_bpm: 'number',
          eye_closure_ratio: 'number',
          drowsy: 'boolean',
        },
      },
      { type: 'range', column: 'speed_kmh', min: 20, max: 200, statistic: 'median' },
      { type: 'range', column: 'speed_kmh', min: 0, max: 250 },
      { type: 'range', column: 'heart_rate_bpm', min: 30, max: 220 },
      { type: 'range', column: 'eye_closure_ratio', min: 0, max: 1 },
      { type: 'missing', column: 'heart_rate_bpm', maxRatio: 0.05, maxRun: 100 },
      { type: 'missing', maxRatio: 0.2 },
      { type: 'duplicates' },
      { type: 'timeseries', column: 'timestamp', intervalMs: 100, minRateHz: 9, maxRateHz: 11 },
      { type: 'rowCount', min: 1000 },
    ],
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function csvText(t: Table, delimiter = ','): string {
  const cell = (v: Value) => {
    if (v === null) return '';
    const s = String(v);
    return /[",\r\n]/.test(s) || s.includes(delimiter) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [t.columns.map(cell).join(delimiter), ...t.rows.map((r) => r.map(cell).join(delimiter))].join('\n') + '\n';
}

export function ndjsonText(t: Table): string {
  return (
    t.rows
      .map((r) => {
        const o: Record<string, Value> = {};
        // Nulls written out, as pandas' to_json(orient='records', lines=True) does.
        t.columns.forEach((c, i) => {
          o[c] = r[i] ?? null;
        });
        return JSON.stringify(o);
      })
      .join('\n') + '\n'
  );
}

/** Parquet with one nullable column per table column: DOUBLE for numbers, BOOLEAN, STRING otherwise. */
export async function parquetBytes(t: Table, rowGroupSize = 1000): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const columnData = t.columns.map((name, i) => {
    const values = t.rows.map((r) => r[i] ?? null);
    const sample = values.find((v) => v !== null);
    const type = typeof sample === 'number' ? 'DOUBLE' : typeof sample === 'boolean' ? 'BOOLEAN' : 'STRING';
    return { name, data: values as never, type: type as 'DOUBLE' | 'BOOLEAN' | 'STRING', nullable: true };
  });
  return new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize }));
}

/** Writes the table in a format; returns the path. */
export async function writeTable(dir: string, name: string, format: QualityFormat, t: Table): Promise<string> {
  const path = join(dir, `${name}.${format}`);
  if (format === 'csv') writeFileSync(path, csvText(t));
  else if (format === 'ndjson') writeFileSync(path, ndjsonText(t));
  else writeFileSync(path, await parquetBytes(t));
  return path;
}

/**
 * Writes a karli-style CSV of at least `bytes` bytes, in 4 MiB pieces (memory stays flat however large the file).
 * Cheap per row (ISO prefixes are built once per second of recording), so 200 MB takes seconds. Returns the row count.
 * `clockJumpAtRow`: from that row on, the clock is 90 s behind (a defect to find at the end of a large file).
 */
export function writeLargeKarliCsv(path: string, bytes: number, clockJumpAtRow = 0): number {
  const fd = openSync(path, 'w');
  const rng = new Prng(5);
  let written = 0;
  let rows = 0;
  let prefixSecond = -1;
  let prefix = '';
  const start = Date.UTC(2026, 4, 4, 8, 0, 0);
  try {
    let piece = `${KARLI_COLUMNS.join(',')}\n`;
    while (written + piece.length < bytes) {
      for (let k = 0; k < 2_000 && written + piece.length < bytes; k++) {
        rows++;
        const t = start + (rows - 1) * 100 - (clockJumpAtRow > 0 && rows >= clockJumpAtRow ? 90_000 : 0);
        const second = Math.floor(t / 1000);
        if (second !== prefixSecond) {
          prefixSecond = second;
          prefix = new Date(second * 1000).toISOString().slice(0, 20);
        }
        const ms = t - second * 1000;
        const r = rng.next();
        piece += `${prefix}${ms < 100 ? (ms < 10 ? '00' : '0') : ''}${ms}Z,${(55 + r * 10).toFixed(2)},${((r - 0.5) * 40).toFixed(2)},${(60 + r * 15).toFixed(1)},${(r * 0.4).toFixed(3)},${r > 0.97 ? 1 : 0}\n`;
      }
      writeSync(fd, piece);
      written += Buffer.byteLength(piece);
      piece = '';
    }
    if (piece) writeSync(fd, piece);
  } finally {
    closeSync(fd);
  }
  return rows;
}
