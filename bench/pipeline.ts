/**
 * The pipeline's two benchmarks, each against its peer measured in the same run, alternating, >= 3 rounds:
 *
 * - latency: upload of a 1 MB CSV (the KARLI checks, a trivial copy transform) → `Dataset Version Published`,
 *   against the same physical work done bare in one process: write the file with fsync, run the same checks, copy it
 *   with fsync. The difference is what the event-driven platform costs (bus hops, catalog, job queue, worker IPC).
 * - rebuild: 10,000 small recordings rebuilt after a transform version change, against the same transform module
 *   in a bare loop over the same files on both cores (two plain child processes, each half the files).
 *
 * BENCH_ROUNDS, BENCH_LATENCY_UPLOADS, BENCH_REBUILD_ITEMS size it; BENCH_PIPELINE=latency|rebuild runs one half.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { createReflow, type Reflow } from '../src/compose.js';
import { runQualityChecks, type QualitySpec } from '../src/pipeline/quality/index.js';
import { buildSession, buildTinyFiles, rowsForBytes } from '../examples/karli/generator/index.js';
import { describeSpread, fmt, percentile, spread, writeResult, type Spread } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LATENCY_UPLOADS = Number(process.env.BENCH_LATENCY_UPLOADS ?? 20);
const REBUILD_ITEMS = Number(process.env.BENCH_REBUILD_ITEMS ?? 10_000);

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');

const CHECKS: QualitySpec = {
  format: 'csv',
  checks: [
    { type: 'schema', columns: { timestamp: 'timestamp', speed_kmh: 'number', steering_angle_deg: 'number', heart_rate_bpm: 'number', eye_closure_ratio: 'number', drowsy: 'integer' } },
    { type: 'missing', column: 'heart_rate_bpm', maxRatio: 0.05 },
    { type: 'range', column: 'speed_kmh', statistic: 'median', min: 35, max: 200 },
    { type: 'timeseries', column: 'timestamp', intervalMs: 100 },
  ],
};

const COPY = `
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
export default async function (job: { inputs: string[]; outputDir: string }) {
  await copyFile(job.inputs[0]!, join(job.outputDir, 'out.csv'));
}
`;

/** Small and CPU-bound: parse the CSV, per-column mean and standard deviation, one summary row. */
const FEATURES = (marker: string) => `
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
export async function features(text: string): Promise<string> {
  const lines = text.trim().split('\\n');
  const header = lines[0]!.split(',');
  const sums = new Float64Array(header.length);
  const squares = new Float64Array(header.length);
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i]!.split(',');
    for (let c = 1; c < cells.length; c++) {
      const x = Number(cells[c]);
      sums[c] += x;
      squares[c] += x * x;
    }
  }
  const n = lines.length - 1;
  const cols = header.slice(1).map((name, i) => {
    const mean = sums[i + 1]! / n;
    return name + '=' + mean.toFixed(3) + '±' + Math.sqrt(Math.max(0, squares[i + 1]! / n - mean * mean)).toFixed(3);
  });
  return cols.join(',') + '\\n# ${marker}\\n';
}
export default async function (job: { inputs: string[]; outputDir: string }) {
  await writeFile(join(job.outputDir, 'features.txt'), await features(await readFile(job.inputs[0]!, 'utf8')));
}
`;

function benchProject(transformFile: string, transformSource: string, checks: QualitySpec, version = 1): { dir: string; base: string; write(version: number, source: string): void } {
  mkdirSync(join(root, '.reflow'), { recursive: true });
  const base = mkdtempSync(join(root, '.reflow', 'bench-'));
  const dir = join(base, 'project');
  mkdirSync(dir, { recursive: true });
  const write = (v: number, source: string) => {
    writeFileSync(join(dir, transformFile), source);
    writeFileSync(
      join(dir, 'reflow.config.ts'),
      `import { defineProject } from '${join(root, 'src', 'pipeline', 'definition', 'types.js')}';
export default defineProject({
  name: 'bench',
  buckets: { raw: {}, out: {} },
  datasets: { items: {
    source: { bucket: 'raw', prefix: 'recordings/' },
    quality: ${JSON.stringify(checks)},
    transform: { name: 'work', version: ${v}, module: '${transformFile}' },
    load: { bucket: 'out', groupBy: '^recordings/(?<group>[^/]+/[^/]+)/' },
  } },
  workers: { concurrency: 2, idleTimeoutMs: 600000 },
});
`,
    );
  };
  write(version, transformSource);
  return { dir, base, write };
}

async function put(reflow: Reflow, key: string, content: string): Promise<void> {
  await reflow.store.putObject('raw', key, Readable.from([Buffer.from(content)]), { contentLength: Buffer.byteLength(content) });
}

// ------------------------------------------------------------------ latency

async function latencyOurs(reflow: Reflow, round: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_UPLOADS; i++) {
    const file = buildSession({ seed: 7, round: 1, contributor: 'fleet-north', driver: 'd01', session: `lat-${round}-${i}`, rows: rowsForBytes(1_000_000) });
    const published = nextPublished(reflow);
    const started = performance.now();
    await put(reflow, file.key, file.content);
    await published;
    samples.push(performance.now() - started);
  }
  return samples;
}

let waiting: Array<() => void> = [];
function nextPublished(_reflow: Reflow): Promise<void> {
  return new Promise((resolve) => waiting.push(resolve));
}

async function latencyPeer(dir: string, round: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_UPLOADS; i++) {
    const file = buildSession({ seed: 7, round: 1, contributor: 'fleet-north', driver: 'd01', session: `peer-${round}-${i}`, rows: rowsForBytes(1_000_000) });
    const started = performance.now();
    const path = join(dir, `${round}-${i}.csv`);
    await durableWrite(path, Buffer.from(file.content));
    const report = await runQualityChecks(CHECKS, { path, key: file.key });
    if (!report.passed) throw new Error('peer: the recording did not pass');
    await durableWrite(`${path}.out`, readFileSync(path));
    samples.push(performance.now() - started);
  }
  return samples;
}

async function durableWrite(path: string, data: Buffer): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.write(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function runLatency(): Promise<void> {
  const project = benchProject('copy.ts', COPY, CHECKS);
  const reflow = await createReflow({ dataDir: join(project.base, 'data'), projectDir: project.dir, log: () => undefined });
  const peerDir = join(project.base, 'peer');
  mkdirSync(peerDir, { recursive: true });
  reflow.bus.registerHandler('bench-published', () => {
    for (const resolve of waiting.splice(0)) resolve();
  });
  await reflow.bus.putRule({ Name: 'bench-published', EventPattern: JSON.stringify({ source: ['reflow.datasets'], 'detail-type': ['Dataset Version Published'] }) });
  await reflow.bus.putTargets({ Rule: 'bench-published', Targets: [{ Id: 'h', Arn: 'arn:reflow:handler:bench-published' }] });
  try {
    await latencyOurs(reflow, -1); // warm the workers and the caches
    const ours = { p50: [] as number[], p99: [] as number[] };
    const peer = { p50: [] as number[], p99: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      const a = (await latencyOurs(reflow, round)).sort((x, y) => x - y);
      ours.p50.push(percentile(a, 50));
      ours.p99.push(percentile(a, 99));
      const b = (await latencyPeer(peerDir, round)).sort((x, y) => x - y);
      peer.p50.push(percentile(b, 50));
      peer.p99.push(percentile(b, 99));
    }
    const result = { ours: { p50: spread(ours.p50), p99: spread(ours.p99) }, peer: { p50: spread(peer.p50), p99: spread(peer.p99) } };
    console.log(`upload → Dataset Version Published, 1 MB CSV, ${LATENCY_UPLOADS} uploads × ${ROUNDS} rounds`);
    console.log(`  Reflow p50 ${describeSpread(result.ours.p50, 'ms', 1)}, p99 ${describeSpread(result.ours.p99, 'ms', 1)}`);
    console.log(`  bare   p50 ${describeSpread(result.peer.p50, 'ms', 1)}, p99 ${describeSpread(result.peer.p99, 'ms', 1)}`);
    console.log(`  overhead of the platform at p50: ${fmt(result.ours.p50.median - result.peer.p50.median, 1)} ms (target p50 <= 100 ms, p99 <= 500 ms)`);
    writeResult('pipeline-latency', {
      setup: 'in-process putObject of a 1 MB KARLI CSV (4 checks, copy transform on the worker pool) until the Dataset Version Published event reaches an in-process target',
      baseline: 'bare: write the file with fsync, run the same checks, copy it with fsync, in one process',
      uploadsPerRound: LATENCY_UPLOADS,
      targets: { p50Ms: 100, p99Ms: 500 },
      ...result,
      met: { p50: result.ours.p50.median <= 100, p99: result.ours.p99.median <= 500 },
    });
  } finally {
    await reflow.close();
    rmSync(project.base, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ rebuild

const TINY_CHECKS: QualitySpec = { format: 'csv', checks: [{ type: 'rowCount', min: 1 }] };

async function rebuildOurs(reflow: Reflow, project: ReturnType<typeof benchProject>, version: number): Promise<number> {
  project.write(version, FEATURES(`v${version}`));
  const started = performance.now();
  const applied = await reflow.pipeline!.apply();
  const rebuild = applied.rebuilds[0];
  if (!rebuild) throw new Error('no rebuild started');
  for (;;) {
    const state = await reflow.catalog.getRebuild('items');
    if (state?.state === 'COMPLETED') break;
    if (state?.state !== 'RUNNING') throw new Error(`rebuild ended ${state?.state}: ${state?.reason}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  const version_ = await reflow.catalog.getVersion('items');
  if (version_?.items !== REBUILD_ITEMS || !version_.transformVersion.startsWith(`${version}+`)) throw new Error(`rebuild published ${JSON.stringify(version_)}`);
  return REBUILD_ITEMS / seconds;
}

async function rebuildPeer(modulePath: string, files: string[], outDir: string): Promise<number> {
  const halves = [files.filter((_, i) => i % 2 === 0), files.filter((_, i) => i % 2 === 1)];
  const script = `
    const { features } = await import(${JSON.stringify(modulePath)});
    const { readFile, writeFile } = await import('node:fs/promises');
    const files = JSON.parse(await readFile(process.argv[1], 'utf8'));
    for (const f of files) await writeFile(${JSON.stringify(outDir)} + '/' + f.split('/').pop() + '.out', await features(await readFile(f, 'utf8')));`;
  // The file lists go in files: 5,000 paths are more than one argument may hold (E2BIG).
  const lists = halves.map((half, i) => {
    const list = join(outDir, `..`, `half-${i}.json`);
    writeFileSync(list, JSON.stringify(half));
    return list;
  });
  const started = performance.now();
  await Promise.all(
    lists.map(
      (list) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, list], { stdio: ['ignore', 'inherit', 'inherit'], cwd: root });
          child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bare loop exited with ${code}`))));
        }),
    ),
  );
  return files.length / ((performance.now() - started) / 1000);
}

async function runRebuild(): Promise<void> {
  const project = benchProject('work.ts', FEATURES('v1'), TINY_CHECKS);
  const reflow = await createReflow({ dataDir: join(project.base, 'data'), projectDir: project.dir, log: () => undefined });
  const peerIn = join(project.base, 'peer-in');
  const peerOut = join(project.base, 'peer-out');
  mkdirSync(peerIn, { recursive: true });
  mkdirSync(peerOut, { recursive: true });
  try {
    const files = buildTinyFiles({ seed: 3, count: REBUILD_ITEMS });
    const peerFiles: string[] = [];
    const ingestStarted = performance.now();
    for (const [i, file] of files.entries()) {
      await put(reflow, file.key, file.content);
      const path = join(peerIn, `${i}.csv`);
      writeFileSync(path, file.content);
      peerFiles.push(path);
    }
    await reflow.pipeline!.idle(600_000);
    const ingest = REBUILD_ITEMS / ((performance.now() - ingestStarted) / 1000);
    const first = await reflow.catalog.getVersion('items');
    if (first?.items !== REBUILD_ITEMS) throw new Error(`ingest published ${JSON.stringify(first)}`);
    console.log(`ingest of ${fmt(REBUILD_ITEMS)} recordings of ~3 KB through the whole pipeline: ${fmt(ingest)} items/s`);

    const ours: number[] = [];
    const peer: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ours.push(await rebuildOurs(reflow, project, round + 2));
      peer.push(await rebuildPeer(join(project.dir, 'work.ts'), peerFiles, peerOut));
    }
    const o: Spread = spread(ours);
    const p: Spread = spread(peer);
    const ratio = o.median / p.median;
    console.log(`rebuild of ${fmt(REBUILD_ITEMS)} items after a transform version change`);
    console.log(`  Reflow    ${describeSpread(o, 'items/s')}`);
    console.log(`  bare loop ${describeSpread(p, 'items/s')} (same module, same files, two processes)`);
    console.log(`  ratio ${fmt(ratio * 100, 1)} % (targets: >= 80 % of the bare loop, >= 2,000 items/s)`);
    writeResult('pipeline-rebuild', {
      items: REBUILD_ITEMS,
      setup: 'apply of a new transform version until the rebuild is COMPLETED: archive replay → extract (cached reports) → transform jobs on 2 workers → outputs into the store → load → one atomic publish',
      baseline: 'the same transform module in a bare loop over the same files, split over two plain node processes, outputs written to local files',
      ingestItemsPerSecond: ingest,
      ours: o,
      peer: p,
      ratio,
      targets: { ratio: 0.8, itemsPerSecond: 2000 },
      met: { ratio: ratio >= 0.8, itemsPerSecond: o.median >= 2000 },
    });
  } finally {
    await reflow.close();
    rmSync(project.base, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  // BENCH_PIPELINE=latency|rebuild runs one half (profiling); a partial run still writes its own result.
  const only = process.env.BENCH_PIPELINE;
  if (only !== 'rebuild') await runLatency();
  if (only !== 'latency') await runRebuild();
}
