/**
 * The runtime area: N tiny CPU-bound transform jobs (parse a ~3 KB CSV, write a transformed CSV) through the durable
 * queue and the worker pool on both cores, against the same transform function in a bare loop over the same files
 * split across 2 plain child processes (the peer: the most the machine does with no queue, no leases, no IPC).
 *
 * Ours is timed from the first enqueue (one `enqueue` call per job, as the pipeline's bus handler makes them) to the
 * last settlement acknowledged; workers are warm (a warm-up batch runs first), since a rebuild finds them running.
 * Outputs are kept in both (the bare loop leaves its files too), so neither pays for deleting them.
 * Result: bench/results/runtime-jobs.json.
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJobRuntime, validateTransformDefinition, type JobRuntime } from '../src/runtime/index.js';
import { SqliteJobQueue } from '../src/runtime/jobs/sqlite/index.js';
import { alternate, describeSpread, fmt, writeResult } from './lib.js';

const N = Number(process.env.REFLOW_BENCH_RUNTIME_N ?? 10_000);
const ROUNDS = Number(process.env.REFLOW_BENCH_RUNTIME_ROUNDS ?? 3);
const WARMUP = 500;
const CONCURRENCY = 2;

/** The transform both sides run: a plain .mjs module, so the bare loop loads it exactly as a worker does. */
const TRANSFORM = `
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
export default async function (job) {
  const lines = readFileSync(job.inputs[0], 'utf8').trim().split('\\n');
  const header = lines[0].split(',');
  const rows = [];
  for (let i = 1; i < lines.length; i++) rows.push(lines[i].split(',').map(Number));
  const col = header.indexOf('speed');
  let sum = 0, sq = 0;
  for (const r of rows) { sum += r[col]; sq += r[col] * r[col]; }
  const mean = sum / rows.length;
  const sd = Math.sqrt(Math.max(sq / rows.length - mean * mean, 1e-9));
  const out = [header.concat('speed_z', 'speed_mean5').join(',')];
  for (let i = 0; i < rows.length; i++) {
    let m = 0, k = 0;
    for (let j = Math.max(0, i - 4); j <= i; j++) { m += rows[j][col]; k++; }
    out.push(rows[i].concat(((rows[i][col] - mean) / sd).toFixed(4), (m / k).toFixed(3)).join(','));
  }
  writeFileSync(join(job.outputDir, 'out.csv'), out.join('\\n') + '\\n');
}
`;

/** The peer's child: the same function over its share of the files, each into its own output directory. */
const BARE_CHILD = `
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
const { default: transform } = await import(process.argv[2]);
const [outRoot, from, to, inputsDir] = process.argv.slice(3);
for (let i = Number(from); i < Number(to); i++) {
  const outputDir = join(outRoot, String(i));
  mkdirSync(outputDir);
  await transform({ inputs: [join(inputsDir, i + '.csv')], outputDir, params: {}, log() {}, jobId: String(i), attempt: 1 });
}
process.send('done');
`;

function csv(seed: number): string {
  let x = seed * 2654435761 % 2 ** 32;
  const rnd = () => ((x = (x * 1664525 + 1013904223) % 2 ** 32) / 2 ** 32);
  const lines = ['timestamp,speed,steering,heart_rate,eye_closure,label'];
  for (let i = 0; i < 85; i++) {
    lines.push([1_700_000_000 + i, (60 + rnd() * 40).toFixed(2), (rnd() * 30 - 15).toFixed(2), (60 + rnd() * 30).toFixed(1), rnd().toFixed(3), rnd() > 0.8 ? 1 : 0].join(','));
  }
  return lines.join('\n') + '\n';
}

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'reflow-bench-runtime-'));
  try {
    const project = join(root, 'project');
    const inputs = join(root, 'inputs');
    mkdirSync(project);
    mkdirSync(inputs);
    writeFileSync(join(project, 'transform.mjs'), TRANSFORM);
    writeFileSync(join(root, 'bare-child.mjs'), BARE_CHILD);
    let bytes = 0;
    for (let i = 0; i < N; i++) {
      const text = csv(i + 1);
      bytes += text.length;
      writeFileSync(join(inputs, `${i}.csv`), text);
    }
    console.log(`runtime: ${fmt(N)} jobs, inputs ${fmt(bytes / N)} bytes each, concurrency ${CONCURRENCY}, ${ROUNDS} rounds`);

    const transform = validateTransformDefinition({ module: 'transform.mjs', version: 1 }, 'transform', project);
    const queue = SqliteJobQueue.open({ path: join(root, 'jobs.db') });
    let acknowledged = 0;
    let wanted = Infinity;
    let allDone: () => void = () => undefined;
    const runtime: JobRuntime = createJobRuntime({
      queue,
      workDir: join(root, 'work'),
      concurrency: CONCURRENCY,
      keepOutputs: true,
      onSettled: (job) => {
        if (job.state !== 'succeeded') throw new Error(`job ${job.id} ${job.state}: ${job.error?.message}`);
        if (++acknowledged === wanted) allDone();
      },
    });
    let round = 0;
    /** CPU the coordinating process (queue, pool, notifier) spends per job: the part that competes with the workers. */
    const mainCpuUsPerJob: number[] = [];
    const ours = async (count: number): Promise<number> => {
      const prefix = `r${round++}`;
      acknowledged = 0;
      wanted = count;
      const done = new Promise<void>((r) => (allDone = r));
      const cpu = process.cpuUsage();
      const start = performance.now();
      for (let i = 0; i < count; i++) {
        await runtime.enqueueTransform({ id: `${prefix}-${i}`, projectDir: project, transform, inputs: [join(inputs, `${i % N}.csv`)] });
      }
      await done;
      const seconds = (performance.now() - start) / 1000;
      const used = process.cpuUsage(cpu);
      mainCpuUsPerJob.push((used.user + used.system) / count);
      // The last acknowledgements are written in the next turn; wait so the next round starts clean.
      while ((await queue.activeCounts()).unnotified > 0) await new Promise((r) => setTimeout(r, 5));
      return count / seconds;
    };
    let bareRound = 0;
    const bare = async (): Promise<number> => {
      const out = join(root, `bare-${bareRound++}`);
      mkdirSync(out);
      const start = performance.now();
      const half = Math.ceil(N / CONCURRENCY);
      await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, k) => {
          const child = fork(join(root, 'bare-child.mjs'), [join(project, 'transform.mjs'), out, String(k * half), String(Math.min(N, (k + 1) * half)), inputs]);
          return new Promise<void>((resolve, reject) => {
            child.once('message', () => resolve());
            child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bare child exited ${code}`))));
          });
        }),
      );
      return N / ((performance.now() - start) / 1000);
    };

    const warm = await ours(WARMUP);
    console.log(`  warm-up: ${fmt(WARMUP)} jobs at ${fmt(warm)} jobs/s (workers started: ${runtime.pool!.stats().workersStarted})`);
    const result = await alternate(ROUNDS, () => ours(N), bare);
    const ratio = result.ours.median / result.peer.median;
    const stats = runtime.pool!.stats();
    console.log(`  queue + pool: ${describeSpread(result.ours, 'jobs/s')}`);
    console.log(`  bare loop, 2 child processes: ${describeSpread(result.peer, 'items/s')}`);
    const mainCpu = mainCpuUsPerJob.slice(1);
    console.log(`  coordinating process CPU: ${mainCpu.map((u) => fmt(u)).join(', ')} µs per job`);
    console.log(`  ratio: ${fmt(ratio * 100, 1)} % of the bare loop (targets later, for the pipeline: >= 80 %, >= 2,000 items/s)`);
    await runtime.close({ grace: 0 });
    await queue.close();
    const path = writeResult('runtime-jobs', {
      inputs: { jobs: N, rounds: ROUNDS, warmup: WARMUP, concurrency: CONCURRENCY, inputBytes: Math.round(bytes / N), enqueue: 'one enqueue() call per job', outputs: 'kept on both sides' },
      ours: { unit: 'jobs/s, first enqueue to last settlement acknowledged', ...result.ours },
      peer: { unit: 'items/s, same function, bare loop in 2 child processes', ...result.peer },
      ratio,
      coordinatorCpuMicrosPerJob: mainCpu,
      pool: { workersStarted: stats.workersStarted, workersStopped: stats.workersStopped, peakRunning: stats.peakRunning },
      note: 'measured on a shared 2-core machine with other work running; re-run on a quiet machine for final figures',
    });
    console.log(`  -> ${path}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
