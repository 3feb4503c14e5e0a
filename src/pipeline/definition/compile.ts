/**
 * Checking a project definition and compiling it into the strict shape the pipeline reads. Everything is checked
 * before anything changes: an invalid definition is refused with `InvalidConfiguration` naming the field
 * (`datasets.drives.load.splits.train`), and `reflow apply` never starts on one.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { ReflowError, isReflowError } from '../../errors.js';
import { checkPattern } from '../../events/pattern/index.js';
import { qualitySpecHash, validateQualitySpec, type QualitySpec } from '../quality/index.js';
import { transformVersion, validateTransformDefinition, type CompiledTransform } from '../../runtime/index.js';
import { compileSplits, type CompiledSplits } from '../load/splits.js';
import type { CustomRuleDefinition, DatasetDefinition, ObjectFacts, ProjectDefinition } from './types.js';

export interface CompiledDataset {
  name: string;
  source: { bucket: string; prefix: string; suffix?: string };
  contributorOf(object: ObjectFacts): string | undefined;
  quality: QualitySpec | undefined;
  specHash: string;
  transform: CompiledTransform;
  transformName: string;
  /** `<declared>+<content hash>` of the code as it is on disk now. */
  transformVersion: string;
  load: {
    bucket: string;
    prefix: string;
    mode: 'training' | 'inference';
    splits: CompiledSplits;
    groupOf(item: { key: string; contributor?: string }): string;
  };
}

export interface CompiledRule {
  name: string;
  description?: string;
  pattern: string;
  enabled: boolean;
  targets: CustomRuleDefinition['targets'];
}

export interface CompiledProject {
  name: string;
  dir: string;
  description?: string;
  eventBus: string;
  buckets: Array<{ name: string; versioning: boolean }>;
  datasets: CompiledDataset[];
  rules: CompiledRule[];
  webhooks: string[];
  workers: { concurrency?: number; idleTimeoutMs?: number };
}

const PROJECT_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const DATASET_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const invalid = (field: string, message: string) => new ReflowError('InvalidConfiguration', `${field}: ${message}`, { field });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Typos are the commonest mistake in a config file: an unknown key is an error, not silently ignored. */
function allowKeys(value: Record<string, unknown>, field: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw invalid(field ? `${field}.${key}` : key, `unknown setting (expected one of ${allowed.join(', ')})`);
  }
}

function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (!isObject(value)) throw invalid(field, `must be an object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  return value;
}

function requireString(value: unknown, field: string, pattern?: RegExp, what?: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(field, 'must be a non-empty string');
  if (pattern && !pattern.test(value)) throw invalid(field, `'${value}' is not ${what ?? `a valid name (${pattern.source})`}`);
  return value;
}

function optionalInt(value: unknown, field: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw invalid(field, `must be an integer >= ${min}`);
  return value;
}

/** A regular expression over the key with a named group (or the first group); the whole match otherwise. */
function keyExtractor(spec: string | RegExp, group: string, field: string): (key: string) => string | undefined {
  let re: RegExp;
  try {
    re = typeof spec === 'string' ? new RegExp(spec) : spec;
  } catch (err) {
    throw invalid(field, `not a valid regular expression: ${(err as Error).message}`);
  }
  return (key) => {
    const m = re.exec(key);
    if (!m) return undefined;
    return m.groups?.[group] ?? m[1] ?? m[0];
  };
}

export async function compileProject(definition: unknown, projectDir: string): Promise<CompiledProject> {
  const project = requireObject(definition, 'project');
  allowKeys(project, '', ['name', 'description', 'eventBus', 'buckets', 'datasets', 'rules', 'alerts', 'workers']);
  const name = requireString(project.name, 'name', PROJECT_NAME, 'a project name: lowercase letters, digits and -, starting with a letter, at most 40');
  const eventBus = project.eventBus === undefined ? 'default' : requireString(project.eventBus, 'eventBus', /^[.\-_A-Za-z0-9]{1,256}$/);
  const dir = resolve(projectDir);

  const buckets = compileBuckets(project.buckets);
  const datasetsField = requireObject(project.datasets, 'datasets');
  if (Object.keys(datasetsField).length === 0) throw invalid('datasets', 'must declare at least one dataset');
  const datasets: CompiledDataset[] = [];
  for (const [datasetName, value] of Object.entries(datasetsField)) {
    datasets.push(await compileDataset(datasetName, value, dir, buckets));
  }
  const rules = compileRules(project.rules, name);
  const webhooks = compileAlerts(project.alerts);
  const workers = compileWorkers(project.workers);
  const compiled: CompiledProject = { name, dir, eventBus, buckets, datasets, rules, webhooks, workers };
  if (typeof project.description === 'string') compiled.description = project.description;
  return compiled;
}

function compileBuckets(value: unknown): CompiledProject['buckets'] {
  if (value === undefined) return [];
  const buckets = requireObject(value, 'buckets');
  return Object.entries(buckets).map(([bucket, spec]) => {
    const field = `buckets.${bucket}`;
    requireString(bucket, field, BUCKET_NAME, 'a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)');
    const definition = requireObject(spec ?? {}, field);
    allowKeys(definition, field, ['versioning']);
    if (definition.versioning !== undefined && typeof definition.versioning !== 'boolean') throw invalid(`${field}.versioning`, 'must be true or false');
    return { name: bucket, versioning: definition.versioning !== false };
  });
}

async function compileDataset(name: string, value: unknown, dir: string, buckets: CompiledProject['buckets']): Promise<CompiledDataset> {
  const field = `datasets.${name}`;
  requireString(name, field, DATASET_NAME, 'a dataset name: lowercase letters, digits and -, starting with a letter, at most 40');
  const dataset = requireObject(value, field) as Partial<DatasetDefinition> & Record<string, unknown>;
  allowKeys(dataset, field, ['description', 'source', 'contributor', 'quality', 'transform', 'load']);

  const source = requireObject(dataset.source, `${field}.source`);
  allowKeys(source, `${field}.source`, ['bucket', 'prefix', 'suffix']);
  const sourceBucket = requireString(source.bucket, `${field}.source.bucket`, BUCKET_NAME, 'a valid S3 bucket name');
  const declared = buckets.find((b) => b.name === sourceBucket);
  if (declared && !declared.versioning) {
    throw invalid(`buckets.${sourceBucket}.versioning`, `must stay on: dataset ${name} is built from this bucket, and rebuilding needs every raw version`);
  }
  const prefix = source.prefix === undefined ? '' : typeof source.prefix === 'string' ? source.prefix : (() => { throw invalid(`${field}.source.prefix`, 'must be a string'); })();
  const compiledSource: CompiledDataset['source'] = { bucket: sourceBucket, prefix };
  if (source.suffix !== undefined) compiledSource.suffix = requireString(source.suffix, `${field}.source.suffix`);

  const contributorOf = compileContributor(dataset.contributor, `${field}.contributor`);

  let quality: QualitySpec | undefined;
  if (dataset.quality !== undefined) {
    validateQualitySpec(dataset.quality, `${field}.quality`);
    quality = dataset.quality;
  }
  const specHash = quality ? qualitySpecHash(quality) : 'none';

  if (dataset.transform === undefined) throw invalid(`${field}.transform`, 'is required');
  const transform = validateTransformDefinition(dataset.transform, `${field}.transform`, dir);
  let version: string;
  try {
    version = transformVersion(transform, dir);
  } catch (err) {
    if (isReflowError(err)) throw err;
    throw invalid(`${field}.transform`, `cannot read its files: ${(err as Error).message}`);
  }

  const load = compileLoad(dataset.load, `${field}.load`, name, sourceBucket, prefix);
  return {
    name,
    source: compiledSource,
    contributorOf,
    quality,
    specHash,
    transform,
    transformName: transform.name ?? name,
    transformVersion: version,
    load,
  };
}

function compileContributor(value: DatasetDefinition['contributor'] | undefined, field: string): CompiledDataset['contributorOf'] {
  if (value === undefined) return (object) => object.requester;
  if (typeof value === 'function') return (object) => value(object) ?? object.requester;
  if (typeof value === 'string' || value instanceof RegExp) {
    const extract = keyExtractor(value, 'contributor', field);
    return (object) => extract(object.key) ?? object.requester;
  }
  throw invalid(field, 'must be a regular expression (string or RegExp) or a function');
}

function compileLoad(value: unknown, field: string, dataset: string, sourceBucket: string, sourcePrefix: string): CompiledDataset['load'] {
  const load = requireObject(value, field);
  allowKeys(load, field, ['bucket', 'prefix', 'mode', 'splits', 'groupBy']);
  const bucket = requireString(load.bucket, `${field}.bucket`, BUCKET_NAME, 'a valid S3 bucket name');
  const prefix = load.prefix === undefined ? `${dataset}/` : requireString(load.prefix, `${field}.prefix`);
  if (bucket === sourceBucket && (sourcePrefix === '' || prefix.startsWith(sourcePrefix))) {
    throw invalid(`${field}.prefix`, `outputs under s3://${bucket}/${prefix} would land inside the dataset's own source and feed back into it`);
  }
  const mode = load.mode ?? 'training';
  if (mode !== 'training' && mode !== 'inference') throw invalid(`${field}.mode`, `must be 'training' or 'inference', got ${JSON.stringify(mode)}`);
  if (mode === 'inference' && load.splits !== undefined) throw invalid(`${field}.splits`, "an inference dataset has no splits (every item is in split 'inference')");
  const splits = mode === 'inference' ? compileSplits({ inference: 1 }, `${field}.splits`) : compileSplits((load.splits as Record<string, number> | undefined) ?? undefined, `${field}.splits`);
  const groupBy = load.groupBy as DatasetDefinition['load']['groupBy'];
  let groupOf: CompiledDataset['load']['groupOf'];
  if (groupBy === undefined) groupOf = (item) => item.key;
  else if (typeof groupBy === 'function') groupOf = (item) => String(groupBy(item));
  else if (typeof groupBy === 'string' || groupBy instanceof RegExp) {
    const extract = keyExtractor(groupBy, 'group', `${field}.groupBy`);
    groupOf = (item) => extract(item.key) ?? item.key;
  } else throw invalid(`${field}.groupBy`, 'must be a regular expression (string or RegExp) or a function');
  return { bucket, prefix, mode, splits, groupOf };
}

function compileRules(value: unknown, project: string): CompiledRule[] {
  if (value === undefined) return [];
  const rules = requireObject(value, 'rules');
  return Object.entries(rules).map(([name, spec]) => {
    const field = `rules.${name}`;
    requireString(name, field, RULE_NAME, 'a rule name (1-64 letters, digits, . - _)');
    if (name.startsWith('reflow-')) throw invalid(field, "names starting with 'reflow-' are the pipeline's own");
    const rule = requireObject(spec, field);
    allowKeys(rule, field, ['description', 'pattern', 'enabled', 'targets']);
    const problem = checkPattern(requireObject(rule.pattern, `${field}.pattern`));
    if (problem) {
      throw new ReflowError('InvalidConfiguration', `${field}.pattern: ${problem.message}`, { field: problem.field ? `${field}.pattern.${problem.field}` : `${field}.pattern`, cause: problem });
    }
    if (rule.enabled !== undefined && typeof rule.enabled !== 'boolean') throw invalid(`${field}.enabled`, 'must be true or false');
    if (!Array.isArray(rule.targets) || rule.targets.length === 0 || rule.targets.length > 5) throw invalid(`${field}.targets`, 'must list 1 to 5 targets');
    rule.targets.forEach((target: unknown, i: number) => {
      const t = requireObject(target, `${field}.targets[${i}]`);
      allowKeys(t, `${field}.targets[${i}]`, ['id', 'arn', 'input', 'inputPath', 'inputTransformer']);
      requireString(t.id, `${field}.targets[${i}].id`, /^[.\-_A-Za-z0-9]{1,64}$/);
      requireString(t.arn, `${field}.targets[${i}].arn`);
    });
    const compiled: CompiledRule = { name, pattern: JSON.stringify(rule.pattern), enabled: rule.enabled !== false, targets: rule.targets as CompiledRule['targets'] };
    if (typeof rule.description === 'string') compiled.description = rule.description;
    void project;
    return compiled;
  });
}

function compileAlerts(value: unknown): string[] {
  if (value === undefined) return [];
  const alerts = requireObject(value, 'alerts');
  allowKeys(alerts, 'alerts', ['webhooks']);
  if (alerts.webhooks === undefined) return [];
  if (!Array.isArray(alerts.webhooks) || alerts.webhooks.length > 4) throw invalid('alerts.webhooks', 'must be a list of at most 4 URLs');
  return alerts.webhooks.map((url: unknown, i: number) => {
    const text = requireString(url, `alerts.webhooks[${i}]`);
    if (!/^https?:\/\/[^\s]+$/i.test(text)) throw invalid(`alerts.webhooks[${i}]`, `'${text}' is not an http(s) URL`);
    return text;
  });
}

function compileWorkers(value: unknown): CompiledProject['workers'] {
  if (value === undefined) return {};
  const workers = requireObject(value, 'workers');
  allowKeys(workers, 'workers', ['concurrency', 'idleTimeoutMs']);
  const compiled: CompiledProject['workers'] = {};
  const concurrency = optionalInt(workers.concurrency, 'workers.concurrency', 1);
  const idle = optionalInt(workers.idleTimeoutMs, 'workers.idleTimeoutMs', 0);
  if (concurrency !== undefined) compiled.concurrency = concurrency;
  if (idle !== undefined) compiled.idleTimeoutMs = idle;
  return compiled;
}

/** A stable fingerprint of what a dataset is built with, for the applied snapshot. */
export function datasetFingerprint(dataset: CompiledDataset): string {
  return createHash('sha256').update(JSON.stringify([dataset.source, dataset.specHash, dataset.transformVersion, dataset.load.bucket, dataset.load.prefix, dataset.load.splits])).digest('hex').slice(0, 12);
}
