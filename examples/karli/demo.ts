/**
 * The KARLI scenario end to end, on a fresh embedded Reflow (`npm run demo`; also run as a test):
 *   (A) three contributors upload round 1 through the S3 endpoint → quality reports → the first dataset versions
 *   (B) the transform changes to v2 → `reflow plan` shows the rebuild → apply → the archived uploads are replayed,
 *       rebuilt beside the current version, and the dataset switches atomically to a consistent v2 generation
 *   (C) a new acquisition round arrives and joins the dataset
 *   (D) a bad upload is rejected: an alert names the file, the contributor and the reason; the dataset is unchanged
 * It works on a copy of the example under `.reflow/` (so editing the transform never touches the repository).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createReflow, type Reflow } from '../../src/compose.js';
import { buildS3Server } from '../../src/server/s3/index.js';
import type { Alert, DatasetVersion } from '../../src/catalog/types.js';
import { buildRound, buildSession, type GeneratedFile } from './generator/index.js';

const DATASET = 'drives';
const RAW = 'karli-raw';
const CREDENTIALS = { accessKeyId: 'KARLIDEMOACCESSKEY01', secretAccessKey: 'karli-demo-secret' };

export interface DemoOptions {
  seed?: number;
  /** Where a line of the narration goes (default stdout). */
  say?: (line: string) => void;
  /** Keep the data directory afterwards (default: removed). */
  keep?: boolean;
  workers?: { concurrency?: number; idleTimeoutMs?: number };
}

export interface StepSummary {
  uploads: number;
  passed: number;
  rejected: Array<{ key: string; contributor?: string; reasons: string[] }>;
  version: number;
  items: number;
  transformVersion: string;
  splits: Record<string, number>;
}

export interface DemoSummary {
  dataDir: string;
  a: StepSummary;
  b: {
    plan: string;
    from: string;
    to: string;
    rebuilt: number;
    /** The version readers saw right after apply, while the rebuild ran. */
    versionDuringRebuild: number;
    versionAfter: number;
    /** The first version of the new generation: every item in it was built by the new transform. */
    switchVersion: number;
    itemsPerTransformVersion: Record<string, number>;
    rebuildState: string;
  };
  c: StepSummary;
  d: { key: string; contributor?: string; reasons: string[]; versionBefore: number; versionAfter: number };
  versions: DatasetVersion[];
}

const repoRoot = () => {
  // Compiled to dist/examples/karli/, or run from examples/karli/ by tsx.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'reflow') return dir;
    } catch {
      // keep walking up
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the reflow repository root');
};

async function quiet(reflow: Reflow): Promise<void> {
  await reflow.store.flushEvents();
  await reflow.pipeline!.idle(120_000);
}

async function summarize(reflow: Reflow, files: GeneratedFile[], since: number): Promise<StepSummary> {
  const keys = new Set(files.map((f) => f.key));
  const alerts = (await reflow.pipeline!.alerts({ dataset: DATASET, limit: 1000 })).filter((a: Alert) => a.id > since && keys.has(a.object.key));
  const version = (await reflow.catalog.getVersion(DATASET))!;
  const rejected = alerts.map((a) => (a.contributor === undefined ? { key: a.object.key, reasons: a.reasons } : { key: a.object.key, contributor: a.contributor, reasons: a.reasons }));
  return {
    uploads: files.length,
    passed: files.length - new Set(rejected.map((r) => r.key)).size,
    rejected,
    version: version.version,
    items: version.items,
    transformVersion: version.transformVersion,
    splits: version.splits,
  };
}

const lastAlertId = async (reflow: Reflow) => (await reflow.pipeline!.alerts({ limit: 1 }))[0]?.id ?? 0;

export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const say = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const seed = options.seed ?? 42;
  const root = repoRoot();
  mkdirSync(join(root, '.reflow'), { recursive: true });
  // Two levels under the repository, like examples/karli: the project's imports and node_modules resolve the same.
  const dataDir = mkdtempSync(join(root, '.reflow', 'demo-'));
  const projectDir = join(dataDir, 'project');
  cpSync(join(root, 'examples', 'karli'), projectDir, { recursive: true, filter: (src) => !/manifest\.json$|\.test\.ts$/.test(src) });
  const configPath = join(projectDir, 'reflow.config.ts');
  writeFileSync(configPath, readFileSync(configPath, 'utf8').replace("'../../src/", `'${resolve(root, 'src')}/`));

  const config: Parameters<typeof createReflow>[0] = { dataDir: join(dataDir, 'data'), projectDir, log: () => undefined };
  if (options.workers) config.workers = options.workers;
  const reflow = await createReflow(config);
  const s3App = await buildS3Server({ store: reflow.store, credentials: (id) => (id === CREDENTIALS.accessKeyId ? CREDENTIALS.secretAccessKey : undefined) });
  const address = await s3App.listen({ port: 0, host: '127.0.0.1' });
  const s3 = new S3Client({ endpoint: address, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const upload = async (files: GeneratedFile[]) => {
    for (const file of files) await s3.send(new PutObjectCommand({ Bucket: RAW, Key: file.key, Body: file.content, ContentType: 'text/csv' }));
  };

  try {
    say(`Reflow is up (data in ${dataDir}); project karli applied, S3 endpoint ${address}`);

    // (A) first uploads → quality reports → dataset versions
    const round1 = buildRound({ seed, round: 1 }).files;
    let since = await lastAlertId(reflow);
    await upload(round1);
    await quiet(reflow);
    const a = await summarize(reflow, round1, since);
    say(`(A) round 1: ${a.uploads} recordings uploaded by 3 contributors; ${a.passed} passed their checks, ${a.rejected.length} rejected:`);
    for (const r of a.rejected) say(`      ✗ ${r.key} (${r.contributor}): ${r.reasons.join('; ')}`);
    say(`    dataset ${DATASET} is at version ${a.version}: ${a.items} items, transform ${a.transformVersion}, splits ${JSON.stringify(a.splits)}`);

    // (B) transform v2 → plan → apply → rebuild → consistent v2
    writeFileSync(configPath, readFileSync(configPath, 'utf8').replace("version: 1, module: 'transforms/clean-v1.ts'", "version: 2, module: 'transforms/clean-v2.ts'"));
    const planned = await reflow.pipeline!.plan();
    say(`(B) the transform changes to clean v2; reflow plan says:`);
    for (const line of planned.text.split('\n')) say(`      ${line}`);
    const applied = await reflow.pipeline!.apply();
    const during = (await reflow.catalog.getVersion(DATASET))!;
    await quiet(reflow);
    const status = await reflow.pipeline!.dataset(DATASET);
    const after = (await reflow.catalog.getVersion(DATASET))!;
    const rebuild = status.rebuild!;
    const b = {
      plan: planned.text,
      from: rebuild.fromTransformVersion ?? '',
      to: rebuild.toTransformVersion,
      rebuilt: applied.rebuilds[0]?.staleAtStart ?? 0,
      versionDuringRebuild: during.version,
      versionAfter: after.version,
      switchVersion: rebuild.publishedVersion ?? 0,
      itemsPerTransformVersion: status.itemsByTransformVersion,
      rebuildState: rebuild.state,
    };
    say(`    applied: ${b.rebuilt} items replayed from the archive and rebuilt beside version ${b.versionDuringRebuild}, which readers kept seeing meanwhile`);
    say(`    rebuild ${b.rebuildState}: version ${b.switchVersion} is the first built entirely by ${b.to}; items per transform version ${JSON.stringify(b.itemsPerTransformVersion)}`);

    // (C) a new acquisition round
    const round2 = buildRound({ seed, round: 2 }).files;
    since = await lastAlertId(reflow);
    await upload(round2);
    await quiet(reflow);
    const c = await summarize(reflow, round2, since);
    say(`(C) round 2: ${c.uploads} more recordings; ${c.passed} passed, ${c.rejected.length} rejected; dataset ${DATASET} is at version ${c.version}: ${c.items} items (${c.transformVersion})`);

    // (D) a bad upload: rejected with an alert, the dataset unchanged
    const versionBefore = (await reflow.catalog.getVersion(DATASET))!.version;
    const bad = buildSession({ seed, round: 3, contributor: 'sim-partner', driver: 'd01', session: 'r3-s01', defects: ['wrong-unit'] });
    since = await lastAlertId(reflow);
    await upload([bad]);
    await quiet(reflow);
    const alert = (await reflow.pipeline!.alerts({ dataset: DATASET })).find((x) => x.id > since && x.object.key === bad.key);
    const versionAfter = (await reflow.catalog.getVersion(DATASET))!.version;
    const d = { key: bad.key, reasons: alert?.reasons ?? [], versionBefore, versionAfter, ...(alert?.contributor ? { contributor: alert.contributor } : {}) };
    say(`(D) a bad upload: ${d.key} from ${d.contributor ?? '?'} → alert: ${d.reasons.join('; ') || 'NONE'}; dataset version ${d.versionBefore} → ${d.versionAfter}`);

    const versions = await reflow.pipeline!.versions(DATASET);
    say('');
    for (const line of versionHistory(versions)) say(line);
    return { dataDir, a, b, c, d, versions };
  } finally {
    s3.destroy();
    await s3App.close();
    await reflow.close();
    if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The version history in a few lines: consecutive versions of one transform that each add or replace items read
 * as one range; a version that swaps items wholesale (a rebuild's atomic switch) gets a line of its own.
 */
export function versionHistory(versions: DatasetVersion[]): string[] {
  const lines: string[] = [];
  let i = 0;
  while (i < versions.length) {
    const first = versions[i]!;
    if (first.removed > 1 || (first.removed > 0 && first.added === first.removed && first.version > 1)) {
      lines.push(`version ${first.version}: ${first.items} items, transform ${first.transformVersion} (+${first.added} −${first.removed}: a rebuild switched atomically)`);
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < versions.length && versions[j + 1]!.transformVersion === first.transformVersion && versions[j + 1]!.removed <= 1) j++;
    const last = versions[j]!;
    const span = i === j ? `version ${first.version}` : `versions ${first.version}–${last.version}`;
    lines.push(`${span}: ${first.items} → ${last.items} items, transform ${first.transformVersion}, splits ${JSON.stringify(last.splits)}`);
    i = j + 1;
  }
  return lines;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runDemo({ keep: process.argv.includes('--keep') }).catch((err: unknown) => {
    process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
