/**
 * Test projects: a reflow.config.ts and its transforms in a fresh directory under the repository's `.reflow/`
 * (ignored by git), so the project's imports (`csv-parse`, Reflow's own source) resolve as they do for the example.
 * `createReflow()` runs the real embedded platform over it; nothing is mocked.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { createReflow, type Reflow } from '../../src/compose.js';
import { repoRoot } from './conformance.js';

export interface TestProject {
  dir: string;
  dataDir: string;
  /** Writes (or rewrites) a file of the project. */
  write(path: string, content: string): void;
  /** Writes reflow.config.ts from the body of a `defineProject({...})` call. */
  config(body: string): void;
  remove(): void;
}

export function testProject(files: Record<string, string> = {}): TestProject {
  const root = repoRoot();
  mkdirSync(join(root, '.reflow'), { recursive: true });
  const base = mkdtempSync(join(root, '.reflow', 'test-'));
  const dir = join(base, 'project');
  const project: TestProject = {
    dir,
    dataDir: join(base, 'data'),
    write(path, content) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    },
    config(body) {
      project.write('reflow.config.ts', `import { defineProject } from '${join(root, 'src', 'pipeline', 'definition', 'types.js')}';\nexport default defineProject(${body});\n`);
    },
    remove() {
      rmSync(base, { recursive: true, force: true });
    },
  };
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) project.write(path, content);
  return project;
}

/** A transform module that copies its input and appends a marker line (so versions give different bytes). */
export const copyTransform = (marker: string) => `
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
export default async function (job: { inputs: string[]; outputDir: string; log(m: string): void }) {
  const text = await readFile(job.inputs[0]!, 'utf8');
  await writeFile(join(job.outputDir, 'out.csv'), text + '# ${marker}\\n');
  job.log('copied ' + text.length + ' characters');
}
`;

/** A small project: bucket `raw` (versioned) → dataset `items` (prefix `in/`, a schema check) → bucket `out`. */
export function simpleConfig(transform: string, extra = '', maxValue = 100): string {
  return `{
    name: 'test',
    buckets: { raw: {}, out: {} },
    datasets: {
      items: {
        source: { bucket: 'raw', prefix: 'in/' },
        contributor: '^in/(?<contributor>[^/]+)/',
        quality: { format: 'csv', checks: [{ type: 'schema', columns: { id: 'integer', value: 'number' } }, { type: 'range', column: 'value', min: 0, max: ${maxValue} }] },
        transform: ${transform},
        load: { bucket: 'out', groupBy: '^in/(?<group>[^/]+)/' },
      },
    },
    ${extra}
  }`;
}

export async function startProject(project: TestProject, options: { concurrency?: number } = {}): Promise<Reflow> {
  return createReflow({ dataDir: project.dataDir, projectDir: project.dir, log: () => undefined, workers: { concurrency: options.concurrency ?? 2, idleTimeoutMs: 5_000 } });
}

export async function putText(reflow: Reflow, bucket: string, key: string, text: string) {
  return reflow.store.putObject(bucket, key, Readable.from([Buffer.from(text)]), { contentLength: Buffer.byteLength(text) });
}

export async function quiet(reflow: Reflow, timeoutMs = 60_000): Promise<void> {
  await reflow.store.flushEvents(timeoutMs);
  await reflow.pipeline!.idle(timeoutMs);
}

export const goodCsv = (n: number, value = 5) => `id,value\n${Array.from({ length: n }, (_, i) => `${i + 1},${value}`).join('\n')}\n`;

/** Runs `body` against a fresh project started with `config` (its transforms in `files`), then stops and removes it. */
export async function withProject(files: Record<string, string>, config: string, body: (reflow: Reflow, project: TestProject) => Promise<void>): Promise<void> {
  const project = testProject(files);
  project.config(config);
  const reflow = await startProject(project);
  try {
    await body(reflow, project);
  } finally {
    await reflow.close();
    project.remove();
  }
}

/** An object's bytes as text. */
export async function readText(reflow: Reflow, bucket: string, key: string, versionId?: string): Promise<string> {
  const { body } = await reflow.store.getObject(bucket, key, versionId === undefined ? {} : { versionId });
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
