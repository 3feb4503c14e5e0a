/**
 * The KARLI example's data side: the seeded generator (determinism, defects exactly where the manifest says and
 * nowhere else) and the transforms (deterministic, v1 ≠ v2, the Python v3 equal to v2 and refusing bad input).
 * Defects are checked with deliberately simple parsing, the way a quality check would see the bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DefectKind, GeneratedFile, Manifest } from '../../examples/karli/generator/index.js';
import {
  COLUMNS,
  DEFECT_KINDS,
  HEADER,
  MEDIAN_SPEED_KMH,
  buildRound,
  buildSession,
  buildTinyFiles,
  generateRound,
  median,
  rowsForBytes,
} from '../../examples/karli/generator/index.js';
import cleanV1 from '../../examples/karli/transforms/clean-v1.js';
import cleanV2 from '../../examples/karli/transforms/clean-v2.js';
import type { TransformJob } from '../../examples/karli/transforms/job.js';
import { repoRoot } from '../helpers/conformance.js';

const ROOT = repoRoot();
const V3 = join(ROOT, 'examples', 'karli', 'transforms', 'clean_v3.py');
const CLI = join(ROOT, 'dist', 'examples', 'karli', 'generate.js');

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'karli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Shape {
  header: string;
  /** Data lines, the partial last line of a truncated file included. */
  lines: string[][];
  endsWithNewline: boolean;
  heartMissingRatio: number;
  otherMissingCells: number;
  medianSpeed: number;
  minStepMs: number;
  maxStepMs: number;
  narrowRows: number;
}

function shapeOf(text: string): Shape {
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  const header = all.shift() ?? '';
  const lines = all.map((l) => l.split(','));
  const full = lines.filter((cells) => cells.length === COLUMNS.length);
  let heartMissing = 0;
  let otherMissing = 0;
  for (const cells of full) {
    cells.forEach((cell, i) => {
      if (cell === '') i === 3 ? heartMissing++ : otherMissing++;
    });
  }
  let minStepMs = Infinity;
  let maxStepMs = -Infinity;
  for (let i = 1; i < full.length; i++) {
    const step = Date.parse(full[i]![0]!) - Date.parse(full[i - 1]![0]!);
    minStepMs = Math.min(minStepMs, step);
    maxStepMs = Math.max(maxStepMs, step);
  }
  return {
    header,
    lines,
    endsWithNewline: text.endsWith('\n'),
    heartMissingRatio: heartMissing / full.length,
    otherMissingCells: otherMissing,
    medianSpeed: median(full.map((c) => Number(c[1]))),
    minStepMs,
    maxStepMs,
    narrowRows: lines.length - full.length,
  };
}

/** The defect kinds the bytes show, judged without looking at the manifest. */
function detectedDefects(s: Shape): DefectKind[] {
  const found: DefectKind[] = [];
  if (s.heartMissingRatio >= 0.1) found.push('missing-heart-rate');
  if (s.medianSpeed < 35) found.push('wrong-unit');
  if (s.narrowRows > 0 || !s.endsWithNewline) found.push('truncated');
  if (s.minStepMs < 0) found.push('clock-jump');
  return found;
}

function assertCleanValues(file: GeneratedFile, s: Shape): void {
  assert.equal(s.header, HEADER, file.key);
  assert.equal(s.otherMissingCells, 0, `${file.key}: missing cells`);
  for (const cells of s.lines.filter((c) => c.length === COLUMNS.length)) {
    const [, speed, steering, heart, eye, drowsy] = cells.map(Number) as number[];
    assert.ok(speed! >= 0 && speed! <= 200, `${file.key}: speed ${speed}`);
    assert.ok(Math.abs(steering!) <= 180, `${file.key}: steering ${steering}`);
    if (cells[3] !== '') assert.ok(heart! >= 40 && heart! <= 180, `${file.key}: heart ${heart}`);
    assert.ok(eye! >= 0 && eye! <= 1, `${file.key}: eye ${eye}`);
    assert.ok(drowsy === 0 || drowsy === 1, `${file.key}: drowsy ${cells[5]}`);
  }
}

test('a round is byte-identical for the same seed and round, and differs for another seed or round', (t) => {
  const a = buildRound({ seed: 42, round: 1 });
  const b = buildRound({ seed: 42, round: 1 });
  assert.deepEqual(a.files, b.files);
  assert.equal(JSON.stringify(a.manifest), JSON.stringify(b.manifest));

  const other = buildRound({ seed: 43, round: 1 });
  assert.deepEqual(other.files.map((f) => f.key), a.files.map((f) => f.key), 'same layout');
  for (let i = 0; i < a.files.length; i++) assert.notEqual(other.files[i]!.sha256, a.files[i]!.sha256, a.files[i]!.key);

  const round2 = buildRound({ seed: 42, round: 2 });
  const keys1 = new Set(a.files.map((f) => f.key));
  assert.ok(round2.files.every((f) => !keys1.has(f.key) && /\/r2-s\d\d\.csv$/.test(f.key)), 'round 2 adds new sessions');
  assert.equal(round2.files.length, a.files.length);

  // The same bytes on disk, and a session built alone equals the same session inside the round.
  const dir = tempDir(t);
  const written = generateRound({ seed: 42, round: 1, outDir: dir });
  for (const f of written.files) assert.equal(readFileSync(join(dir, f.key), 'utf8'), a.files.find((x) => x.key === f.key)!.content);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest, a.manifest);
  const clean = a.files.find((f) => f.defects.length === 0)!;
  const alone = buildRound({ seed: 42, round: 1, defects: 'none' }).files.find((f) => f.key === clean.key)!;
  assert.equal(alone.content, clean.content, 'defects elsewhere do not change a clean file');
});

test('the layout: three contributors, their drivers, recordings/<contributor>/<driver>/<session>.csv of ~200 KB', () => {
  const { files, manifest } = buildRound({ seed: 42 });
  assert.deepEqual([...new Set(files.map((f) => f.contributor))], ['fleet-north', 'uni-lab', 'sim-partner']);
  for (const f of files) {
    assert.equal(f.key, `recordings/${f.contributor}/${f.driver}/${f.session}.csv`);
    assert.match(f.driver, /^d\d\d$/);
  }
  const clean = files.filter((f) => f.defects.length === 0);
  assert.ok(clean.every((f) => f.bytes >= 100_000 && f.bytes <= 300_000), 'clean files are 100-300 KB');
  for (const entry of manifest.files) {
    const file = files.find((f) => f.key === entry.key)!;
    assert.equal(entry.rows, shapeOf(file.content).lines.length - shapeOf(file.content).narrowRows, `${entry.key}: rows`);
    assert.equal(entry.bytes, Buffer.byteLength(file.content));
    assert.equal('content' in entry, false);
  }
});

test('every defect is in the file the manifest names, and nowhere else (3 seeds × 2 rounds)', () => {
  for (const seed of [1, 42, 20260105]) {
    for (const round of [1, 2]) {
      const { files } = buildRound({ seed, round });
      const kinds = files.flatMap((f) => f.defects.map((d) => d.kind)).sort();
      assert.deepEqual(kinds, [...DEFECT_KINDS].sort(), `seed ${seed} round ${round}: one file per kind by default`);
      for (const file of files) {
        const s = shapeOf(file.content);
        const expected = file.defects.map((d) => d.kind).sort();
        assert.deepEqual(detectedDefects(s).sort(), expected, `seed ${seed} ${file.key}: ${JSON.stringify(file.defects)}`);
        assertCleanValues(file, s);
        if (!expected.includes('missing-heart-rate')) assert.equal(s.heartMissingRatio, 0, `${file.key}: heart cells`);
        if (!expected.includes('wrong-unit')) {
          assert.ok(s.medianSpeed >= MEDIAN_SPEED_KMH[0] && s.medianSpeed <= MEDIAN_SPEED_KMH[1], `${file.key}: median ${s.medianSpeed}`);
        }
        if (expected.length === 0) {
          assert.equal(s.minStepMs, 100, `${file.key}: min step`);
          assert.equal(s.maxStepMs, 100, `${file.key}: max step`);
          assert.equal(file.rows, 4000);
        }
        for (const defect of file.defects) {
          assert.ok(defect.detail.length > 10, 'a detail a person can read');
          if (defect.kind === 'missing-heart-rate') assert.ok(s.heartMissingRatio >= 0.15 && s.heartMissingRatio <= 0.25);
          if (defect.kind === 'wrong-unit') assert.ok(s.medianSpeed <= MEDIAN_SPEED_KMH[1] / 3.6 + 0.01);
          if (defect.kind === 'truncated') {
            assert.equal(s.narrowRows, 1, 'one half row at the end');
            assert.ok(s.lines[s.lines.length - 1]!.length < COLUMNS.length);
            assert.ok(file.rows <= 0.4 * 4000, `far fewer rows: ${file.rows}`);
          }
          if (defect.kind === 'clock-jump') assert.ok(s.minStepMs <= -2 * 60_000 + 100, `jumps back minutes: ${s.minStepMs}`);
        }
      }
    }
  }
});

test('defect options: none, an explicit list, and bad options rejected naming the option', () => {
  assert.ok(buildRound({ seed: 5, defects: 'none' }).files.every((f) => f.defects.length === 0));
  const key = 'recordings/sim-partner/d02/r1-s01.csv';
  const { files } = buildRound({ seed: 5, defects: [{ kind: 'wrong-unit', key }, { kind: 'clock-jump', key }, { kind: 'truncated' }] });
  assert.deepEqual(files.find((f) => f.key === key)!.defects.map((d) => d.kind), ['wrong-unit', 'clock-jump']);
  assert.deepEqual(detectedDefects(shapeOf(files.find((f) => f.key === key)!.content)).sort(), ['clock-jump', 'wrong-unit']);
  assert.equal(files.filter((f) => f.defects.some((d) => d.kind === 'truncated')).length, 1);

  const bad: Array<[Parameters<typeof buildRound>[0], RegExp]> = [
    [{ seed: 1.5 }, /option seed/],
    [{ seed: 1, round: 0 }, /option round/],
    [{ seed: 1, rows: -1 }, /option rows/],
    [{ seed: 1, sessionsPerDriver: 0 }, /option sessionsPerDriver/],
    [{ seed: 1, contributors: ['nobody'] }, /unknown contributor "nobody"/],
    [{ seed: 1, defects: [{ kind: 'smudge' as DefectKind }] }, /option defects\[0\]\.kind/],
    [{ seed: 1, defects: [{ kind: 'truncated', key: 'recordings/x.csv' }] }, /option defects\[0\]\.key/],
    [{ seed: 1, defects: [{ kind: 'truncated', key }, { kind: 'wrong-unit', key }] }, /'truncated' cannot be combined/],
    [{ seed: 1, rows: 20 }, /at least 50 rows/],
  ];
  for (const [options, message] of bad) assert.throws(() => buildRound(options), message, JSON.stringify(options));
});

test('file sizes for benchmarks: a ~1 MB session and many ~3 KB clean files', () => {
  const big = buildSession({ seed: 42, contributor: 'fleet-north', driver: 'd01', session: 'bench-1mb', rows: rowsForBytes(1_000_000) });
  assert.ok(Math.abs(big.bytes - 1_000_000) < 50_000, `${big.bytes} bytes`);
  const tiny = buildTinyFiles({ seed: 7, count: 300 });
  assert.equal(new Set(tiny.map((f) => f.key)).size, 300);
  for (const f of tiny) {
    assert.ok(f.bytes > 2_500 && f.bytes < 3_500, `${f.key}: ${f.bytes} bytes`);
    const s = shapeOf(f.content);
    assert.deepEqual(detectedDefects(s), [], f.key);
    assert.equal(s.minStepMs, 100);
    assert.equal(s.maxStepMs, 100);
  }
  assert.deepEqual(buildTinyFiles({ seed: 7, count: 10, first: 290 }), tiny.slice(290), 'chunks give the same files');
});

test('generate.ts writes the round and its manifest, and rejects a bad argument with exit code 2', (t) => {
  assert.ok(existsSync(CLI), `${CLI} is built by tsc`);
  const dir = tempDir(t);
  const ok = spawnSync(process.execPath, [CLI, '--seed', '9', '--round', '2', '--out', dir, '--sessions-per-driver', '1', '--rows', '500'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /seed 9, round 2: 9 files/);
  assert.match(ok.stdout, /4 files with defects/);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  assert.deepEqual(manifest, buildRound({ seed: 9, round: 2, sessionsPerDriver: 1, rows: 500 }).manifest);
  const bad = spawnSync(process.execPath, [CLI, '--out', dir, '--defects', 'smudge'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--defects: unknown kind smudge/);
});

// ---- transforms ----

function job(inputs: string[], outputDir: string, params: Record<string, unknown> = {}): TransformJob & { logs: string[] } {
  const logs: string[] = [];
  return { inputs, outputDir, params, log: (m) => logs.push(m), jobId: 'test', attempt: 1, logs };
}

/** A clean file with `gaps` short heart-rate gaps of `length` rows blanked in place. */
function withShortGaps(content: string, gaps: number, length: number): string {
  const lines = content.split('\n');
  for (let g = 0; g < gaps; g++) {
    for (let k = 0; k < length; k++) {
      const i = 1 + 200 + g * 300 + k;
      const cells = lines[i]!.split(',');
      cells[3] = '';
      lines[i] = cells.join(',');
    }
  }
  return lines.join('\n');
}

test('clean-v1 and clean-v2 are deterministic, and v2 differs from v1 in a way that can be explained', async (t) => {
  const dir = tempDir(t);
  const { files } = buildRound({ seed: 42 });
  const clean = files.find((f) => f.defects.length === 0)!;
  const input = join(dir, 'clean.csv');
  writeFileSync(input, clean.content);

  const run = async (fn: typeof cleanV1, out: string, path = input, params = {}) => {
    const result = await fn(job([path], join(dir, out), params));
    return { text: readFileSync(join(dir, out, 'features.csv'), 'utf8'), metadata: result ? result.metadata : undefined };
  };
  const v1a = await run(cleanV1, 'v1a');
  const v1b = await run(cleanV1, 'v1b');
  const v2a = await run(cleanV2, 'v2a');
  const v2b = await run(cleanV2, 'v2b');
  assert.equal(v1a.text, v1b.text);
  assert.equal(v2a.text, v2b.text);
  assert.notEqual(v1a.text, v2a.text);
  assert.deepEqual(v1a.metadata, { windows: 400, droppedRows: 0 });
  assert.deepEqual(v2a.metadata, { windows: 399, droppedRows: 0, interpolatedRows: 0 });
  const v1Header = v1a.text.split('\n')[0]!.split(',');
  const v2Header = v2a.text.split('\n')[0]!.split(',');
  assert.deepEqual(v1Header, ['window_start', 'mean_speed_kmh', 'steering_std_deg', 'mean_heart_rate_bpm', 'perclos', 'label']);
  for (const column of v1Header) assert.ok(v2Header.includes(column), `v2 keeps ${column}`);
  for (const column of ['speed_std_kmh', 'steering_reversals_per_min']) assert.ok(v2Header.includes(column));
  // v2 windows overlap by half: consecutive window starts 1 s apart, each 2 s long.
  const v2rows = v2a.text.trim().split('\n').slice(1).map((l) => l.split(','));
  assert.equal(Date.parse(v2rows[1]![0]!) - Date.parse(v2rows[0]![0]!), 1000);
  assert.equal(Date.parse(v2rows[0]![1]!) - Date.parse(v2rows[0]![0]!), 2000);

  // Short heart-rate gaps: v1 drops the rows and loses windows, v2 interpolates and keeps them all.
  const gappy = join(dir, 'gappy.csv');
  writeFileSync(gappy, withShortGaps(clean.content, 8, 5));
  const g1 = await run(cleanV1, 'g1', gappy);
  const g2 = await run(cleanV2, 'g2', gappy);
  assert.deepEqual(g1.metadata, { windows: 396, droppedRows: 40 });
  assert.deepEqual(g2.metadata, { windows: 399, droppedRows: 0, interpolatedRows: 40 });

  // A long gap (the missing-heart-rate defect) is too long to fill: both drop it.
  const missing = files.find((f) => f.defects.some((d) => d.kind === 'missing-heart-rate'))!;
  const long = join(dir, 'long.csv');
  writeFileSync(long, missing.content);
  const gapRows = Math.round(shapeOf(missing.content).heartMissingRatio * 4000);
  assert.equal((await run(cleanV1, 'l1', long)).metadata?.['droppedRows'], gapRows);
  assert.equal((await run(cleanV2, 'l2', long)).metadata?.['droppedRows'], gapRows);
});

test('clean-v1 and clean-v2 reject a missing column and unknown parameters, naming them', async (t) => {
  const dir = tempDir(t);
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'timestamp,speed_kmh\n2026-01-05T00:00:00.000Z,50\n');
  for (const [name, fn] of [['clean-v1', cleanV1], ['clean-v2', cleanV2]] as const) {
    await assert.rejects(fn(job([bad], join(dir, name))), new RegExp(`${name}: .*bad\\.csv has no column "steering_angle_deg"`));
    assert.equal(existsSync(join(dir, name, 'features.csv')), false, 'nothing written');
    await assert.rejects(fn(job([bad], join(dir, name), { windowSize: 3 })), /unknown parameter "windowSize"/);
    await assert.rejects(fn(job([], join(dir, name))), /no input files/);
  }
  await assert.rejects(cleanV1(job([bad], dir, { windowRows: 0 })), /windowRows must be a positive integer/);
  await assert.rejects(cleanV2(job([bad], dir, { hopSeconds: 5 })), /hopSeconds must not exceed windowSeconds/);
});

const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
const pythonMissing = python.error !== undefined || python.status !== 0 ? 'python3 is not on PATH' : undefined;
if (pythonMissing && process.env.CI === 'true') test('python3 is available under CI', () => assert.fail(pythonMissing));

test('clean_v3.py (Python) gives byte-identical output to clean-v2 and honours the command contract', { skip: pythonMissing }, (t) => {
  const dir = tempDir(t);
  const { files } = buildRound({ seed: 11, rows: 1200 });
  const inputs = files.filter((f) => f.defects.length === 0).slice(0, 3).map((f, i) => {
    const path = join(dir, `in${i}.csv`);
    writeFileSync(path, i === 0 ? withShortGaps(f.content, 3, 4) : f.content);
    return path;
  });
  // Every input and parameter shape must match; the clock-jump file exercises segments, the truncated one a half row.
  for (const kind of ['clock-jump', 'truncated', 'missing-heart-rate'] as const) {
    const path = join(dir, `${kind}.csv`);
    writeFileSync(path, files.find((f) => f.defects.some((d) => d.kind === kind))!.content);
    inputs.push(path);
  }
  return (async () => {
    for (const params of [{}, { windowSeconds: 3, hopSeconds: 0.5, reversalGapDeg: 0.5, maxGapRows: 2 }]) {
      const ts = join(dir, `ts-${Object.keys(params).length}`);
      const py = join(dir, `py-${Object.keys(params).length}`);
      await cleanV2(job(inputs, ts, params));
      const args = [V3, ...inputs.flatMap((i) => ['--input', i]), '--output', py, '--params', JSON.stringify(params)];
      const result = spawnSync('python3', args, { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      if (Object.keys(params).length === 0) assert.match(result.stdout, /in0\.csv: 1200 rows, 0 dropped, 12 heart rates interpolated/);
      assert.equal(readFileSync(join(py, 'features.csv'), 'utf8'), readFileSync(join(ts, 'features.csv'), 'utf8'), JSON.stringify(params));
    }

    // The environment instead of arguments.
    const envOut = join(dir, 'env');
    const viaEnv = spawnSync('python3', [V3], {
      encoding: 'utf8',
      env: { ...process.env, REFLOW_INPUTS: JSON.stringify([inputs[1]]), REFLOW_OUTPUT_DIR: envOut, REFLOW_PARAMS: '{}' },
    });
    assert.equal(viaEnv.status, 0, viaEnv.stderr);
    assert.ok(existsSync(join(envOut, 'features.csv')));

    // Bad input: a non-zero exit, the reason on stderr, nothing written.
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'timestamp,speed_kmh\n2026-01-05T00:00:00.000Z,50\n');
    const cases: Array<[string[], RegExp]> = [
      [['--input', bad, '--output', join(dir, 'b1')], /bad\.csv has no column "steering_angle_deg"/],
      [['--input', join(dir, 'absent.csv'), '--output', join(dir, 'b2')], /cannot read .*absent\.csv/],
      [['--input', inputs[1]!, '--output', join(dir, 'b3'), '--params', '{"windowSize": 3}'], /unknown parameter "windowSize"/],
      [['--input', inputs[1]!, '--output', join(dir, 'b4'), '--params', '{oops'], /--params is not valid JSON/],
    ];
    for (const [i, [args, message]] of cases.entries()) {
      const result = spawnSync('python3', [V3, ...args], { encoding: 'utf8' });
      assert.equal(result.status, 1, `case ${i}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(existsSync(join(dir, `b${i + 1}`, 'features.csv')), false);
    }
    const usage = spawnSync('python3', [V3, '--input', bad], { encoding: 'utf8', env: { ...process.env, REFLOW_OUTPUT_DIR: '' } });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /--output DIR/);
  })();
});
