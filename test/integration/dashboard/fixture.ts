/**
 * A real Reflow with a small project for the dashboard: sensor readings from two contributors, checked (schema,
 * ranges, at least a few rows), copied by a one-file transform and split by site. The project lives in a fresh
 * directory under `<repo>/.reflow/` so its transform module resolves the repository's node_modules (tsx).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { createReflow, type Reflow } from '../../../src/compose.js';
import { buildServer, type ServerOptions } from '../../../src/server/index.js';
import { repoRoot } from '../../helpers/conformance.js';

export const RAW_BUCKET = 'sensors-raw';
export const DATASET = 'readings';

const CONFIG = `export default {
  name: 'dashdemo',
  description: 'Dashboard test project: sensor readings from two labs',
  buckets: { '${RAW_BUCKET}': {}, 'sensors-datasets': {} },
  datasets: {
    ${DATASET}: {
      description: 'Every clean reading file, split by site',
      source: { bucket: '${RAW_BUCKET}', prefix: 'uploads/', suffix: '.csv' },
      contributor: '^uploads/(?<contributor>[^/]+)/',
      quality: {
        format: 'csv',
        checks: [
          { type: 'schema', columns: { timestamp: 'timestamp', temperature_c: 'number', humidity: 'number' } },
          { type: 'range', column: 'temperature_c', min: -40, max: 60, name: 'temperature in °C' },
          { type: 'range', column: 'humidity', min: 0, max: 1 },
          { type: 'rowCount', min: 20, name: 'at least 20 rows' },
        ],
      },
      transform: { name: 'copy', version: 1, module: 'transforms/copy.ts' },
      load: { bucket: 'sensors-datasets', groupBy: '^uploads/[^/]+/(?<group>[^/]+)/', splits: { train: 0.6, test: 0.2, holdout: 0.2 } },
    },
  },
  workers: { concurrency: 1, idleTimeoutMs: 5000 },
};
`;

/**
 * The transform: copies its inputs. `marker` changes its bytes (and so its version) for a rebuild; with `gate` each
 * job waits until that file exists, so a test can look at a rebuild while it runs.
 */
export function transformSource(marker = 'first', gate?: string): string {
  return `// copy (${marker}): the dataset item is the raw file itself.
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
const GATE: string | undefined = ${gate === undefined ? 'undefined' : JSON.stringify(gate)};
export default async function copy(job: { inputs: string[]; outputDir: string }) {
  while (GATE !== undefined && !existsSync(GATE)) await new Promise((r) => setTimeout(r, 50));
  await mkdir(job.outputDir, { recursive: true });
  for (const input of job.inputs) await copyFile(input, join(job.outputDir, basename(input)));
  return { metadata: { files: job.inputs.length } };
}
`;
}

/** A reading file: `rows` rows 1 s apart, temperatures around `base` °C; `hot` puts one reading far out of range. */
export function readingsCsv(options: { rows?: number; base?: number; seed?: number; hot?: boolean } = {}): string {
  const rows = options.rows ?? 60;
  const base = options.base ?? 21;
  let s = options.seed ?? 1;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const start = Date.UTC(2026, 0, 5, 8, 0, 0);
  const lines = ['timestamp,temperature_c,humidity'];
  for (let i = 0; i < rows; i++) {
    const t = options.hot && i === Math.floor(rows / 2) ? 95.5 : base + 3 * Math.sin(i / 9) + (rand() - 0.5) * 2;
    lines.push(`${new Date(start + i * 1000).toISOString()},${t.toFixed(2)},${(0.35 + rand() * 0.3).toFixed(3)}`);
  }
  return lines.join('\n') + '\n';
}

export interface DashboardReflow {
  reflow: Reflow;
  app: FastifyInstance;
  /** http://127.0.0.1:PORT */
  endpoint: string;
  projectDir: string;
  put(key: string, body: string): Promise<void>;
  /** Waits until every upload so far went through checks, transforms and load. */
  settle(): Promise<void>;
  /** Rewrites the transform (a new version) and applies the project: a rebuild starts. */
  changeTransform(marker: string, gate?: string): Promise<void>;
  /** Stops the HTTP API only (the page's server goes away); close() still closes the rest. */
  stopServer(): Promise<void>;
  close(): Promise<void>;
}

export async function startDashboardReflow(options: { server?: Partial<ServerOptions>; withProject?: boolean } = {}): Promise<DashboardReflow> {
  const base = join(repoRoot(), '.reflow', `test-dashboard-${randomBytes(4).toString('hex')}`);
  const projectDir = join(base, 'project');
  mkdirSync(join(projectDir, 'transforms'), { recursive: true });
  writeFileSync(join(projectDir, 'reflow.config.ts'), CONFIG);
  writeFileSync(join(projectDir, 'transforms', 'copy.ts'), transformSource());
  const withProject = options.withProject !== false;
  const config: Parameters<typeof createReflow>[0] = { dataDir: join(base, 'data'), log: () => {} };
  if (withProject) config.projectDir = projectDir;
  let reflow: Reflow;
  try {
    reflow = await createReflow(config);
  } catch (err) {
    rmSync(base, { recursive: true, force: true });
    throw err;
  }
  const serverOptions: ServerOptions = { bus: reflow.bus, ...options.server };
  if (reflow.pipeline) serverOptions.pipeline = reflow.pipeline;
  const app = await buildServer(serverOptions);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  let serving = true;
  const stopServer = async () => {
    if (!serving) return;
    serving = false;
    await app.close();
  };
  return {
    reflow,
    app,
    endpoint,
    projectDir,
    async put(key, body) {
      await reflow.store.putObject(RAW_BUCKET, key, Readable.from([Buffer.from(body)]));
    },
    async settle() {
      await reflow.store.flushEvents();
      await reflow.pipeline?.idle();
    },
    async changeTransform(marker, gate) {
      writeFileSync(join(projectDir, 'transforms', 'copy.ts'), transformSource(marker, gate));
      await reflow.pipeline!.apply();
    },
    stopServer,
    async close() {
      await stopServer();
      await reflow.close();
      rmSync(base, { recursive: true, force: true });
    },
  };
}
