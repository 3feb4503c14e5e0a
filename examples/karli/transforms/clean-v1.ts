/**
 * clean v1: the first, simple feature extraction.
 * Drops every row with a missing or unreadable value, cuts the remaining rows into consecutive windows of 10 rows
 * (1 s at 10 Hz) and writes one feature row per window to features.csv. A trailing partial window is left out.
 * Known weakness, fixed in v2: a dropped row is simply skipped, so a window next to a gap spans more than 1 s, and a
 * single missing heart-rate cell costs the whole row.
 *
 * Self-contained on purpose: the transform's version is a hash of its file, so no runtime code is shared with v2.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { TransformJob, TransformResult } from './job.js';

const REQUIRED = ['timestamp', 'speed_kmh', 'steering_angle_deg', 'heart_rate_bpm', 'eye_closure_ratio', 'drowsy'] as const;
const OUTPUT_COLUMNS = ['window_start', 'mean_speed_kmh', 'steering_std_deg', 'mean_heart_rate_bpm', 'perclos', 'label'];

interface Row {
  timeMs: number;
  speed: number;
  steering: number;
  heart: number;
  eye: number;
  drowsy: number;
}

function windowRowsParam(params: Record<string, unknown>): number {
  for (const name of Object.keys(params)) {
    if (name !== 'windowRows') throw new Error(`clean-v1: unknown parameter "${name}" (known: windowRows)`);
  }
  const value = params['windowRows'] ?? 10;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`clean-v1: parameter windowRows must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A number or NaN; an empty cell is missing, not zero. */
function num(cell: string | undefined): number {
  return cell === undefined || cell.trim() === '' ? Number.NaN : Number(cell);
}

function readRows(text: string, input: string): { rows: Row[]; dropped: number } {
  const records = parse(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
  const header = records[0];
  if (header === undefined) throw new Error(`clean-v1: ${input} is empty (no header row)`);
  const index = REQUIRED.map((column) => {
    const at = header.indexOf(column);
    if (at < 0) throw new Error(`clean-v1: ${input} has no column "${column}" (header: ${header.join(',')})`);
    return at;
  });
  const [t, s, a, h, e, d] = index as [number, number, number, number, number, number];
  const rows: Row[] = [];
  let dropped = 0;
  for (let r = 1; r < records.length; r++) {
    const cells = records[r]!;
    const row = {
      timeMs: cells[t] ? Date.parse(cells[t]) : Number.NaN,
      speed: num(cells[s]),
      steering: num(cells[a]),
      heart: num(cells[h]),
      eye: num(cells[e]),
      drowsy: num(cells[d]),
    };
    if ([row.timeMs, row.speed, row.steering, row.heart, row.eye, row.drowsy].every(Number.isFinite)) rows.push(row);
    else dropped++;
  }
  return { rows, dropped };
}

function fixed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return Number(text) === 0 ? (0).toFixed(digits) : text;
}

function featureLine(w: Row[]): string {
  const n = w.length;
  let speed = 0, steering = 0, heart = 0, eye = 0, drowsy = 0;
  for (const r of w) {
    speed += r.speed;
    steering += r.steering;
    heart += r.heart;
    eye += r.eye;
    drowsy += r.drowsy;
  }
  const steeringMean = steering / n;
  let squares = 0;
  for (const r of w) squares += (r.steering - steeringMean) * (r.steering - steeringMean);
  return [
    new Date(w[0]!.timeMs).toISOString(),
    fixed(speed / n, 2),
    fixed(Math.sqrt(squares / n), 3),
    fixed(heart / n, 2),
    fixed(eye / n, 4),
    // Majority vote; a tie counts as drowsy, because missing a drowsy second costs more than a false alarm.
    2 * drowsy >= n ? '1' : '0',
  ].join(',');
}

export default async function cleanV1(job: TransformJob): Promise<TransformResult> {
  const windowRows = windowRowsParam(job.params);
  if (job.inputs.length === 0) throw new Error('clean-v1: no input files');
  const lines = [OUTPUT_COLUMNS.join(',')];
  let droppedRows = 0;
  for (const input of job.inputs) {
    const { rows, dropped } = readRows(await readFile(input, 'utf8'), input);
    droppedRows += dropped;
    const before = lines.length;
    for (let i = 0; i + windowRows <= rows.length; i += windowRows) lines.push(featureLine(rows.slice(i, i + windowRows)));
    job.log(`${input}: ${rows.length + dropped} rows, ${dropped} dropped, ${lines.length - before} windows`);
  }
  await mkdir(job.outputDir, { recursive: true });
  await writeFile(join(job.outputDir, 'features.csv'), lines.join('\n') + '\n');
  return { metadata: { windows: lines.length - 1, droppedRows } };
}
