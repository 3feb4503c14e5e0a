/**
 * The data pipeline's commands, all through the running server (`reflow up --project DIR`):
 *   reflow plan | apply                         what differs from what runs, and applying it
 *   reflow datasets status [NAME] | versions NAME | manifest NAME[@VERSION] | rebuild NAME [--cancel] [--wait]
 *   reflow lineage s3://BUCKET/KEY?versionId=V | DATASET@VERSION
 *   reflow alerts [--dataset D] | runs DATASET [--status S]
 * Output is JSON unless a human-readable form is the point (plan, status); `--json` gives JSON there too.
 */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import type { PipelineClient } from '../../client/index.js';
import type { DatasetSummary } from '../../pipeline/api.js';
import { action, clientFor, CliError, printJson, withEndpoint, type EndpointOptions } from '../context.js';
import { intArg } from '../input.js';

interface JsonOption extends EndpointOptions {
  json?: boolean;
}

const pipelineOf = (options: EndpointOptions): PipelineClient => clientFor(options).pipeline;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `s3://bucket/key?versionId=v` (or `bucket/key@v`) → an object version; `dataset@3` → a dataset version. */
export function parseLineageTarget(text: string): { object: { bucket: string; key: string; versionId?: string } } | { dataset: string; version: number } {
  const s3 = /^s3:\/\/([^/]+)\/(.+?)(?:\?versionId=(.+))?$/.exec(text);
  if (s3) return { object: s3[3] ? { bucket: s3[1]!, key: decodeURIComponent(s3[2]!), versionId: s3[3] } : { bucket: s3[1]!, key: decodeURIComponent(s3[2]!) } };
  const dataset = /^([a-z][a-z0-9-]*)@(\d+)$/.exec(text);
  if (dataset) return { dataset: dataset[1]!, version: Number(dataset[2]) };
  throw new CliError('InvalidArgument', `'${text}' is neither an object version (s3://BUCKET/KEY?versionId=V) nor a dataset version (DATASET@N)`, 2);
}

export function renderStatus(d: DatasetSummary): string {
  const lines = [`dataset ${d.dataset}: version ${d.currentVersion || 'none yet'}${d.currentTransformVersion ? ` (transform ${d.currentTransformVersion})` : ''}`];
  lines.push(`  source s3://${d.source.bucket}/${d.source.prefix} → s3://${d.load.bucket}/${d.load.prefix} (${d.load.mode}: ${d.load.splits.join(', ')})`);
  if (d.pipeline) lines.push(`  pipeline: transform ${d.pipeline.transformVersion}, checks ${d.pipeline.specHash.slice(0, 8)}`);
  lines.push(`  keys ${d.keys}: ${d.stale} stale, ${d.pending} pending, ${d.rejected} rejected by checks, ${d.unpublished} changes not yet published`);
  const perVersion = Object.entries(d.itemsByTransformVersion).map(([v, n]) => `${v}: ${n}`).join(', ');
  lines.push(`  items per transform version: ${perVersion || 'none'}`);
  const jobs = Object.entries(d.jobs).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ');
  if (jobs) lines.push(`  transform jobs: ${jobs}`);
  if (d.rebuild) {
    const r = d.rebuild;
    const progress = d.replay ? `, replay ${d.replay.replayed}/${d.replay.total} events (${d.replay.state})` : '';
    lines.push(`  rebuild #${r.id} ${r.state}: ${r.fromTransformVersion ?? 'none'} → ${r.toTransformVersion}, ${r.staleAtStart} items${progress}${r.reason ? ` — ${r.reason}` : ''}`);
  }
  return lines.join('\n');
}

async function watchRebuild(pipeline: PipelineClient, dataset: string): Promise<DatasetSummary> {
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `rebuild ${dataset} [{bar}] {value}/{total} items | {state}`, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  try {
    for (;;) {
      const status = await pipeline.dataset(dataset);
      const rebuild = status.rebuild;
      const total = rebuild?.staleAtStart ?? 0;
      const done = Math.max(0, total - status.stale);
      if (!started) bar.start(total, done, { state: rebuild?.state ?? 'none' });
      else bar.update(done, { state: rebuild?.state ?? 'none' });
      started = true;
      if (!rebuild || rebuild.state !== 'RUNNING') return status;
      await sleep(250);
    }
  } finally {
    if (started) bar.stop();
  }
}

export function registerPipeline(program: Command): void {
  withEndpoint(program.command('plan').description('show what differs between the project and what runs, and the rebuilds it implies').option('--json', 'print JSON')).action(
    action(async (options: JsonOption) => {
      const outcome = await pipelineOf(options).plan();
      if (options.json) printJson(outcome.plan);
      else process.stdout.write(`${outcome.text}\n`);
    }),
  );
  withEndpoint(program.command('apply').description('make what runs match the project; changed transforms start rebuilds').option('--json', 'print JSON')).action(
    action(async (options: JsonOption) => {
      const outcome = await pipelineOf(options).apply();
      if (options.json) return printJson(outcome);
      process.stdout.write(`${outcome.text}\n`);
      for (const r of outcome.rebuilds) process.stdout.write(`rebuild #${r.id} of dataset ${r.dataset} started: ${r.staleAtStart} items → ${r.toTransformVersion}\n`);
      process.stdout.write('Applied.\n');
    }),
  );

  const datasets = program.command('datasets').description('datasets: status, versions, manifests, rebuilds');
  withEndpoint(datasets.command('status [name]').description('items per transform version, stale items, the current consistent version').option('--json', 'print JSON')).action(
    action(async (name: string | undefined, options: JsonOption) => {
      const pipeline = pipelineOf(options);
      const list = name ? [await pipeline.dataset(name)] : await pipeline.datasets();
      if (options.json) return printJson(name ? list[0] : list);
      process.stdout.write(`${list.map(renderStatus).join('\n\n')}\n`);
    }),
  );
  withEndpoint(datasets.command('versions <name>').description('the published versions of a dataset')).action(
    action(async (name: string, options: EndpointOptions) => printJson(await pipelineOf(options).versions(name))),
  );
  withEndpoint(datasets.command('manifest <dataset[@version]>').description('the items of a version (default: the current one)').option('--split <split>', 'only this split')).action(
    action(async (target: string, options: EndpointOptions & { split?: string }) => {
      const [name, at] = target.split('@');
      const version = at === undefined ? undefined : intArg(at, 'version');
      printJson(await pipelineOf(options).manifest(name!, version, options.split));
    }),
  );
  withEndpoint(
    datasets
      .command('rebuild <name>')
      .description('rebuild the stale items of a dataset (after a cancelled or failed rebuild), or cancel a running one')
      .option('--cancel', 'cancel the running rebuild')
      .option('--wait', 'show progress until the rebuild ends'),
  ).action(
    action(async (name: string, options: EndpointOptions & { cancel?: boolean; wait?: boolean }) => {
      const pipeline = pipelineOf(options);
      const rebuild = options.cancel ? await pipeline.cancelRebuild(name) : await pipeline.rebuild(name);
      if (!rebuild && !options.cancel) {
        process.stderr.write(`dataset ${name}: nothing is stale, nothing to rebuild\n`);
        return printJson({ rebuild: null });
      }
      if (!options.wait || options.cancel) return printJson({ rebuild });
      const status = await watchRebuild(pipeline, name);
      printJson(status.rebuild ?? null);
      if (status.rebuild?.state === 'FAILED') process.exitCode = 1;
    }),
  );

  withEndpoint(program.command('lineage <target>').description('lineage of an object version (s3://B/K?versionId=V) or a dataset version (DATASET@N)')).action(
    action(async (target: string, options: EndpointOptions) => {
      const parsed = parseLineageTarget(target);
      const pipeline = pipelineOf(options);
      printJson('object' in parsed ? await pipeline.lineageOfObject(parsed.object) : await pipeline.lineageOfVersion(parsed.dataset, parsed.version));
    }),
  );
  withEndpoint(program.command('alerts').description('bad data and failed transforms, newest first').option('--dataset <name>', 'one dataset').option('--limit <n>', 'at most n')).action(
    action(async (options: EndpointOptions & { dataset?: string; limit?: string }) => {
      const query: { dataset?: string; limit?: number } = {};
      if (options.dataset) query.dataset = options.dataset;
      if (options.limit) query.limit = intArg(options.limit, '--limit');
      printJson(await pipelineOf(options).alerts(query));
    }),
  );
  withEndpoint(program.command('runs <dataset>').description('runs of a dataset with per-step timings').option('--status <status>', 'running|succeeded|failed|rejected|skipped').option('--limit <n>', 'at most n')).action(
    action(async (dataset: string, options: EndpointOptions & { status?: string; limit?: string }) => {
      const query: { status?: string; limit?: number } = {};
      if (options.status) query.status = options.status;
      if (options.limit) query.limit = intArg(options.limit, '--limit');
      printJson(await pipelineOf(options).runs(dataset, query));
    }),
  );
  withEndpoint(program.command('transforms-dead').description('transform jobs that failed for good, with their logs')).action(
    action(async (options: EndpointOptions) => printJson(await pipelineOf(options).deadTransforms())),
  );
}
