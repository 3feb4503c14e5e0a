/**
 * Randomized consistency under crashes: seeded schedules of uploads (valid and invalid), overwrites, deletes,
 * transform version changes and SIGKILL restarts of a real `reflow up --project` process, with operations in flight
 * when the kill lands. Whenever the pipeline is quiet, the published dataset must equal exactly what the current
 * transform gives on the latest valid raw versions — ground truth read back from the store, not from a model —
 * with no duplicate and no missing item, every item of the current transform version, and lineage agreeing.
 *
 * REFLOW_CONSISTENCY_SEEDS / REFLOW_CONSISTENCY_STEPS size it (default 4 × 60 = 240 operations).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createClient, type ReflowClient } from '../../../src/client/index.js';
import { repoRoot } from '../../helpers/conformance.js';
import { testProject, type TestProject } from '../../helpers/project.js';
import { mulberry32 } from '../../../examples/karli/generator/prng.js';

const CREDENTIALS = { accessKeyId: 'CONSISTENCYKEY000001', secretAccessKey: 'consistency-secret' };
const SEEDS = Number(process.env.REFLOW_CONSISTENCY_SEEDS ?? 4);
const STEPS = Number(process.env.REFLOW_CONSISTENCY_STEPS ?? 60);
const KEYS = ['in/a/1.csv', 'in/a/2.csv', 'in/b/1.csv', 'in/b/2.csv', 'in/c/1.csv', 'in/c/2.csv', 'in/d/1.csv', 'in/e/1.csv'];

const transformSource = (marker: string) => `
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
export default async function (job: { inputs: string[]; outputDir: string }) {
  const text = await readFile(job.inputs[0]!, 'utf8');
  await writeFile(join(job.outputDir, 'out.csv'), text + '# ${marker}\\n');
}
`;

function configFor(version: number): string {
  return `{
    name: 'chaos',
    buckets: { raw: {}, out: {} },
    datasets: {
      items: {
        source: { bucket: 'raw', prefix: 'in/' },
        quality: { format: 'csv', checks: [{ type: 'schema', columns: { id: 'integer', value: 'number' } }, { type: 'range', column: 'value', min: 0, max: 100 }] },
        transform: { name: 'copy', version: ${version}, module: 'transform.ts' },
        load: { bucket: 'out', groupBy: '^in/(?<group>[^/]+)/' },
      },
    },
    workers: { concurrency: 2, idleTimeoutMs: 2000 },
  }`;
}

const isValid = (text: string) => text.split('\n').slice(1).filter(Boolean).every((line) => Number(line.split(',')[1]) <= 100);

class Server {
  child!: ChildProcess;
  api!: ReflowClient;
  s3!: S3Client;
  restarts = 0;
  /** The end of the server's stderr across restarts, shown when a check fails. */
  log = '';

  constructor(private readonly project: TestProject) {}

  async start(): Promise<void> {
    const main = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
    this.child = spawn(process.execPath, [main, 'up', '--project', this.project.dir, '--data-dir', this.project.dataDir, '--port', '0', '--s3-port', '0'], {
      env: { ...process.env, REFLOW_ROOT_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, REFLOW_ROOT_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    this.child.stderr!.on('data', (d) => {
      err = (err + d).slice(-4000);
      this.log = (this.log + d).slice(-20_000);
    });
    this.child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && signal !== 'SIGTERM') this.log += `\n[reflow up exited on its own: code ${code}, signal ${signal}]\n`;
    });
    const ports = await new Promise<{ api: string; s3: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reflow up did not start: ${out}\n${err}`)), 60_000);
      this.child.stdout!.on('data', (d) => {
        out += d;
        const api = /Reflow API listening on (http:\/\/[\d.:]+)/.exec(out)?.[1];
        const s3 = /Reflow S3 endpoint listening on (http:\/\/[\d.:]+)/.exec(out)?.[1];
        if (api && s3 && /applied:/.test(out)) {
          clearTimeout(timer);
          resolve({ api, s3 });
        }
      });
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`reflow up exited with ${code}: ${out}\n${err}`));
      });
    });
    this.api = createClient({ endpoint: ports.api, credentials: CREDENTIALS, maxAttempts: 1 });
    this.s3 = new S3Client({ endpoint: ports.s3, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS, maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED' });
  }

  async kill(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
    this.s3.destroy();
    this.restarts++;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
    this.s3.destroy();
  }
}

async function readAll(body: unknown): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Every version and delete marker in S3's order (by key, newest first). One entry per page keeps the interleaving
 * of versions and markers, which a page's two arrays (Versions, DeleteMarkers) would lose.
 */
async function listInOrder(s3: S3Client): Promise<Array<{ key: string; versionId: string; marker: boolean }>> {
  const out: Array<{ key: string; versionId: string; marker: boolean }> = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: 'raw', Prefix: 'in/', MaxKeys: 1, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    for (const v of page.Versions ?? []) out.push({ key: v.Key!, versionId: v.VersionId!, marker: false });
    for (const m of page.DeleteMarkers ?? []) out.push({ key: m.Key!, versionId: m.VersionId!, marker: true });
    if (!page.IsTruncated) return out;
    keyMarker = page.NextKeyMarker;
    versionIdMarker = page.NextVersionIdMarker;
  }
}

/** The truth, from the store: each key's newest version after its newest delete marker that passes the checks. */
async function expected(s3: S3Client): Promise<Map<string, { versionId: string; text: string }>> {
  const truth = new Map<string, { versionId: string; text: string }>();
  const done = new Set<string>();
  for (const v of await listInOrder(s3)) {
    if (done.has(v.key)) continue;
    if (v.marker) {
      done.add(v.key);
      continue;
    }
    const text = await readAll((await s3.send(new GetObjectCommand({ Bucket: 'raw', Key: v.key, VersionId: v.versionId }))).Body);
    if (isValid(text)) {
      truth.set(v.key, { versionId: v.versionId, text });
      done.add(v.key);
    }
  }
  return truth;
}

async function verify(server: Server, marker: string, where: string): Promise<number> {
  await server.api.pipeline.idle(120_000);
  const status = await server.api.pipeline.dataset('items');
  assert.equal(status.stale, 0, `${where}: nothing stale once quiet (${JSON.stringify(status)})`);
  assert.equal(status.unpublished, 0, `${where}: every change published once quiet`);
  const truth = await expected(server.s3);
  if (status.currentVersion === 0) {
    assert.equal(truth.size, 0, `${where}: no version although valid data exists`);
    return 0;
  }
  const { version, entries } = await server.api.pipeline.manifest('items');
  assert.equal(version.transformVersion, status.pipeline!.transformVersion, `${where}: the current version is of the current transform`);
  const keys = entries.map((e) => e.object.key);
  assert.equal(new Set(keys).size, keys.length, `${where}: no duplicate items`);
  if (JSON.stringify([...keys].sort()) !== JSON.stringify([...truth.keys()].sort())) {
    // What the store and the catalog each say about the keys that differ, for the failure message.
    const differing = [...new Set([...keys, ...truth.keys()])].filter((k) => keys.includes(k) !== truth.has(k));
    const listing = (await listInOrder(server.s3)).filter((v) => differing.includes(v.key));
    const lineages = await Promise.all(listing.filter((v) => !v.marker).map((v) => server.api.pipeline.lineageOfObject({ bucket: 'raw', key: v.key, versionId: v.versionId }).catch((e: Error) => e.message)));
    const runs = (await server.api.pipeline.runs('items', { limit: 1000 })).filter((r) => differing.includes(r.object.key));
    process.stdout.write(`# DIAGNOSTIC ${where}: ${JSON.stringify({ differing, listing, lineages, runs, status }, null, 1)}\n`);
  }
  assert.deepEqual([...keys].sort(), [...truth.keys()].sort(), `${where}: exactly the keys with a valid latest version`);
  for (const entry of entries) {
    const want = truth.get(entry.object.key)!;
    assert.equal(entry.object.versionId, want.versionId, `${where}: ${entry.object.key} is built from its latest valid version`);
    assert.equal(entry.transformVersion, version.transformVersion, `${where}: one transform version`);
    const output = entry.outputs[0]!;
    const got = await readAll((await server.s3.send(new GetObjectCommand({ Bucket: output.bucket, Key: output.key, ...(output.versionId ? { VersionId: output.versionId } : {}) }))).Body);
    assert.equal(got, `${want.text}# ${marker}\n`, `${where}: ${entry.object.key}'s output is what the current transform gives`);
    const lineage = await server.api.pipeline.lineageOfObject(entry.object);
    assert.ok(
      lineage.items.some((i) => i.transformVersion === entry.transformVersion && i.inVersions.some((r) => r.from <= version.version && (r.to === undefined || r.to > version.version))),
      `${where}: lineage of ${entry.object.key} leads to version ${version.version}`,
    );
  }
  return entries.length;
}

for (let s = 0; s < SEEDS; s++) {
  const seed = 1000 + s;
  test(`consistency under random uploads, deletes, transform changes and SIGKILL (seed ${seed}, ${STEPS} operations)`, { timeout: 600_000 }, async () => {
    const random = mulberry32(seed);
    const pick = <V>(items: V[]) => items[Math.floor(random() * items.length)]!;
    const project = testProject();
    let transformVersion = 1;
    let marker = `T${seed}-1`;
    project.write('transform.ts', transformSource(marker));
    project.config(configFor(transformVersion));
    const server = new Server(project);
    await server.start();
    const inFlight = new Set<Promise<unknown>>();
    const track = (p: Promise<unknown>) => {
      const settled = p.catch(() => undefined).finally(() => inFlight.delete(settled));
      inFlight.add(settled);
    };
    const counts = { uploads: 0, invalid: 0, deletes: 0, transforms: 0, kills: 0, checks: 0 };
    try {
      for (let step = 0; step < STEPS; step++) {
        const roll = random();
        if (roll < 0.5) {
          const valid = random() < 0.8;
          const rows = 1 + Math.floor(random() * 5);
          const text = `id,value\n${Array.from({ length: rows }, (_, i) => `${i},${valid ? Math.floor(random() * 100) : 500 + i}`).join('\n')}\n`;
          counts.uploads++;
          if (!valid) counts.invalid++;
          track(server.s3.send(new PutObjectCommand({ Bucket: 'raw', Key: pick(KEYS), Body: text })));
        } else if (roll < 0.62) {
          counts.deletes++;
          track(server.s3.send(new DeleteObjectCommand({ Bucket: 'raw', Key: pick(KEYS) })));
        } else if (roll < 0.7) {
          transformVersion++;
          marker = `T${seed}-${transformVersion}`;
          project.write('transform.ts', transformSource(marker));
          project.config(configFor(transformVersion));
          counts.transforms++;
          track(server.api.pipeline.apply());
        } else if (roll < 0.78) {
          // Kill with whatever is in flight: uploads half sent, an apply half done, jobs running.
          await new Promise((r) => setTimeout(r, Math.floor(random() * 40)));
          await server.kill();
          counts.kills++;
          await Promise.all(inFlight);
          await server.start();
        } else {
          await new Promise((r) => setTimeout(r, Math.floor(random() * 60)));
        }
        if (inFlight.size >= 4) await Promise.race(inFlight);
        if (step % 20 === 19) {
          await Promise.all(inFlight);
          // An apply that a kill interrupted is applied again by the restart; make sure the last one took effect.
          await server.api.pipeline.apply();
          await verify(server, marker, `seed ${seed} step ${step}`);
          counts.checks++;
        }
      }
      await Promise.all(inFlight);
      await server.api.pipeline.apply();
      const items = await verify(server, marker, `seed ${seed} end`);
      counts.checks++;
      process.stdout.write(`# consistency seed ${seed}: ${JSON.stringify(counts)}, ${items} items at the end, ${server.restarts} restarts\n`);
      assert.ok(counts.kills > 0 && counts.transforms > 0 && counts.deletes > 0, `the schedule exercised every kind of operation: ${JSON.stringify(counts)}`);
    } catch (err) {
      process.stdout.write(`# reflow up stderr (end):\n${server.log.split('\n').map((l) => `#   ${l}`).join('\n')}\n`);
      throw err;
    } finally {
      await Promise.all(inFlight);
      await server.stop();
      if (process.env.REFLOW_KEEP_CHAOS) process.stdout.write(`# kept ${project.dir}\n`);
      else project.remove();
    }
  });
}
