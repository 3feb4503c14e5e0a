/**
 * Quality checks: rows/s of `runQualityChecks` with the karli spec (schema, four ranges, missing, duplicates,
 * time series, row count) on a 1 MB and a 100 MB driver-monitoring CSV, against its peer, csv-parse alone over the
 * same file (what the brief names the physical limit of parsing), and a bare `split` of the same text (the limit of
 * reading quote-free CSV in JavaScript at all, which the checks' direct path approaches). Alternating
 * ours / csv-parse / split, at least 3 rounds; the 1 MB figure is the median of 25 runs per round, since that file is
 * the pipeline's latency case (upload → dataset version published, p50 ≤ 100 ms in all).
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { karliSpec, writeLargeKarliCsv } from '../src/pipeline/quality/fixtures.js';
import { runQualityChecks } from '../src/pipeline/quality/index.js';
import { describeSpread, fmt, spread, writeResult, type Spread } from './lib.js';

const ROUNDS = 3;
const SMALL_RUNS = 25;

async function csvParseAlone(path: string): Promise<number> {
  let rows = 0;
  await new Promise<void>((resolve, reject) => {
    const parser = parse({ relax_column_count: true });
    parser.on('data', () => rows++);
    parser.on('end', resolve);
    parser.on('error', reject);
    createReadStream(path).on('error', reject).pipe(parser);
  });
  return rows - 1; // the header
}

function bareSplit(path: string): number {
  let rows = 0;
  for (const line of readFileSync(path, 'utf8').split('\n')) if (line.length > 0 && line.split(',').length > 0) rows++;
  return rows - 1;
}

async function timed(f: () => Promise<number> | number): Promise<{ ms: number; rows: number }> {
  const t = performance.now();
  const rows = await f();
  return { ms: performance.now() - t, rows };
}

/** One figure per round: the median of `runs` timings, as rows/s and ms. */
async function measure(runs: number, f: () => Promise<number> | number): Promise<{ rowsPerS: number; ms: number }> {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const r = await timed(f);
    ms.push(r.ms);
    rows = r.rows;
  }
  const median = spread(ms).median;
  return { rowsPerS: (rows / median) * 1000, ms: median };
}

interface Case {
  label: string;
  bytes: number;
  rows: number;
  ours: Spread;
  oursMs: Spread;
  csvParse: Spread;
  csvParseMs: Spread;
  split: Spread;
  oursVsCsvParse: number;
}

async function runCase(label: string, path: string, runs: number): Promise<Case> {
  const spec = karliSpec();
  let rows = 0;
  const ours = async () => {
    const report = await runQualityChecks(spec, { path });
    rows = report.rows;
    return report.rows;
  };
  // Warm up all three, so the first round does not pay for compilation.
  await ours();
  await csvParseAlone(path);
  bareSplit(path);
  const o: Array<{ rowsPerS: number; ms: number }> = [];
  const p: Array<{ rowsPerS: number; ms: number }> = [];
  const s: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    o.push(await measure(runs, ours));
    p.push(await measure(runs, () => csvParseAlone(path)));
    s.push((await measure(runs, () => bareSplit(path))).rowsPerS);
  }
  const result: Case = {
    label,
    bytes: statSync(path).size,
    rows,
    ours: spread(o.map((x) => x.rowsPerS)),
    oursMs: spread(o.map((x) => x.ms)),
    csvParse: spread(p.map((x) => x.rowsPerS)),
    csvParseMs: spread(p.map((x) => x.ms)),
    split: spread(s),
    oursVsCsvParse: 0,
  };
  result.oursVsCsvParse = result.ours.median / result.csvParse.median;
  console.log(`${label} (${fmt(result.bytes / 1e6, 1)} MB, ${fmt(rows)} rows)`);
  console.log(`  runQualityChecks   ${describeSpread(result.ours, 'rows/s')}; ${describeSpread(result.oursMs, 'ms', 1)}`);
  console.log(`  csv-parse alone    ${describeSpread(result.csvParse, 'rows/s')}; ${describeSpread(result.csvParseMs, 'ms', 1)}`);
  console.log(`  bare split         ${describeSpread(result.split, 'rows/s')}`);
  console.log(`  checks / csv-parse ${fmt(result.oursVsCsvParse, 2)}x`);
  return result;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reflow-bench-quality-'));
  try {
    const small = join(dir, 'drive-1mb.csv');
    const large = join(dir, 'drive-100mb.csv');
    writeLargeKarliCsv(small, 1_000_000);
    writeLargeKarliCsv(large, 100_000_000);
    const cases = [await runCase('1 MB CSV', small, SMALL_RUNS), await runCase('100 MB CSV', large, 1)];
    const path = writeResult('quality', {
      inputs: {
        spec: 'karliSpec(): schema, 4 ranges, 2 missing, duplicates, timeseries, rowCount',
        rounds: ROUNDS,
        runsPerRoundSmall: SMALL_RUNS,
        runsPerRoundLarge: 1,
        peers: ['csv-parse alone (stream, relax_column_count)', 'readFileSync + split (reference, no checks)'],
      },
      cases,
      note: 'Measured on a shared, loaded machine unless stated otherwise; re-run on a quiet machine for final figures.',
    });
    console.log(`  -> ${path}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
