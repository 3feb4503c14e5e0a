/**
 * `reflow plan` / `reflow apply` (Terraform's model): compare what the project defines with what runs — buckets,
 * the archive, rules and their targets, the transform version and checks each dataset is built with — list the
 * differences and the rebuilds they imply, then apply exactly that list.
 */
import { isReflowError } from '../../errors.js';
import type { EventBus } from '../../bus/port.js';
import type { ObjectStore } from '../../store/port.js';
import type { Catalog } from '../../catalog/port.js';
import type { CompiledProject } from './compile.js';
import { desiredResources, type DesiredRule, type DesiredTarget } from './resources.js';

export type ChangeAction = 'create' | 'update' | 'delete';

export interface PlanChange {
  resource: 'bucket' | 'archive' | 'rule' | 'transform' | 'checks';
  action: ChangeAction;
  name: string;
  /** One line for a person: what changes. */
  detail: string;
}

export interface PlannedRebuild {
  dataset: string;
  transform: string;
  fromTransformVersion?: string;
  toTransformVersion: string;
  fromSpecHash?: string;
  toSpecHash: string;
  /** Items of the current version that will be rebuilt. */
  items: number;
}

export interface Plan {
  project: string;
  changes: PlanChange[];
  rebuilds: PlannedRebuild[];
}

export interface PlanPorts {
  bus: EventBus;
  store: ObjectStore;
  catalog: Catalog;
}

/** What `reflow apply` recorded last, so a rule the project no longer defines is removed. */
export interface AppliedSnapshot {
  project: string;
  rules: string[];
  appliedMs: number;
}

const notFound = (err: unknown) => isReflowError(err) && (err.code === 'ResourceNotFoundException' || err.code === 'NoSuchBucket');

async function orUndefined<V>(work: Promise<V>): Promise<V | undefined> {
  try {
    return await work;
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

/** Patterns compare as parsed JSON with sorted keys, so formatting never shows up as a change. */
function canonical(json: string | undefined): string {
  if (json === undefined) return '';
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sort(x)])) : v;
  return JSON.stringify(sort(JSON.parse(json)));
}

const targetKey = (t: DesiredTarget) => JSON.stringify([t.Id, t.Arn, t.Input ?? null, t.InputPath ?? null, t.InputTransformer ?? null]);

async function planRule(bus: EventBus, eventBus: string, rule: DesiredRule): Promise<PlanChange | undefined> {
  const existing = await orUndefined(bus.describeRule({ Name: rule.name, EventBusName: eventBus }));
  const targetsText = rule.targets.map((t) => t.Arn.replace(/^arn:reflow:handler:/, '')).join(', ');
  if (!existing) return { resource: 'rule', action: 'create', name: rule.name, detail: `→ ${targetsText}` };
  const reasons: string[] = [];
  if (canonical(existing.EventPattern) !== canonical(rule.pattern)) reasons.push('pattern');
  if ((existing.State === 'ENABLED') !== rule.enabled) reasons.push(rule.enabled ? 'enable' : 'disable');
  if ((existing.Description ?? '') !== rule.description) reasons.push('description');
  const { Targets } = await bus.listTargetsByRule({ Rule: rule.name, EventBusName: eventBus });
  const have = new Set(Targets.map((t) => targetKey(t as DesiredTarget)));
  const want = new Set(rule.targets.map(targetKey));
  if (have.size !== want.size || [...want].some((k) => !have.has(k))) reasons.push('targets');
  return reasons.length ? { resource: 'rule', action: 'update', name: rule.name, detail: `${reasons.join(', ')} → ${targetsText}` } : undefined;
}

export async function planProject(project: CompiledProject, ports: PlanPorts): Promise<Plan> {
  const { bus, store, catalog } = ports;
  const changes: PlanChange[] = [];
  const desired = desiredResources(project);

  for (const bucket of project.buckets) {
    const info = await orUndefined(store.headBucket(bucket.name));
    const versioning = info ? await store.getBucketVersioning(bucket.name) : undefined;
    if (!info) changes.push({ resource: 'bucket', action: 'create', name: bucket.name, detail: `versioning ${bucket.versioning ? 'on' : 'off'}` });
    else if (bucket.versioning && versioning !== 'Enabled') changes.push({ resource: 'bucket', action: 'update', name: bucket.name, detail: 'versioning on' });
    else if (!bucket.versioning && versioning === 'Enabled') changes.push({ resource: 'bucket', action: 'update', name: bucket.name, detail: 'versioning suspended' });
  }

  const archive = await orUndefined(bus.describeArchive({ ArchiveName: desired.archive.name }));
  if (!archive) changes.push({ resource: 'archive', action: 'create', name: desired.archive.name, detail: 'keeps the source buckets\' object events for rebuilds' });
  else if (canonical(archive.EventPattern) !== canonical(desired.archive.pattern) || archive.RetentionDays !== desired.archive.retentionDays) {
    changes.push({ resource: 'archive', action: 'update', name: desired.archive.name, detail: 'pattern or retention' });
  }

  for (const rule of desired.rules) {
    const change = await planRule(bus, project.eventBus, rule);
    if (change) changes.push(change);
  }
  const snapshot = (await catalog.getAppliedProject()) as AppliedSnapshot | undefined;
  const wanted = new Set(desired.rules.map((r) => r.name));
  for (const name of snapshot?.rules ?? []) {
    if (wanted.has(name)) continue;
    if (await orUndefined(bus.describeRule({ Name: name, EventBusName: project.eventBus }))) {
      changes.push({ resource: 'rule', action: 'delete', name, detail: 'no longer in the project' });
    }
  }

  const rebuilds: PlannedRebuild[] = [];
  for (const dataset of project.datasets) {
    const current = await catalog.getPipeline(dataset.name);
    const version = await catalog.getVersion(dataset.name);
    const transformChanged = current?.transformVersion !== dataset.transformVersion;
    const checksChanged = current?.specHash !== dataset.specHash;
    if (transformChanged) {
      changes.push({
        resource: 'transform',
        action: current ? 'update' : 'create',
        name: dataset.transformName,
        detail: current ? `${current.transformVersion} → ${dataset.transformVersion}` : dataset.transformVersion,
      });
    }
    if (checksChanged && current) changes.push({ resource: 'checks', action: 'update', name: dataset.name, detail: `${current.specHash} → ${dataset.specHash}` });
    if ((transformChanged || checksChanged) && current && version && version.items > 0) {
      const rebuild: PlannedRebuild = {
        dataset: dataset.name,
        transform: dataset.transformName,
        fromTransformVersion: current.transformVersion,
        toTransformVersion: dataset.transformVersion,
        fromSpecHash: current.specHash,
        toSpecHash: dataset.specHash,
        items: version.items,
      };
      rebuilds.push(rebuild);
    }
  }
  return { project: project.name, changes, rebuilds };
}

const SIGN: Record<ChangeAction, string> = { create: '+', update: '~', delete: '-' };

/** The plan as a person reads it. */
export function renderPlan(plan: Plan): string {
  const lines = [`Reflow plan for project ${plan.project}`];
  if (plan.changes.length === 0) lines.push('  No changes: what runs matches the project.');
  for (const c of plan.changes) lines.push(`  ${SIGN[c.action]} ${c.resource} ${c.name}: ${c.detail}`);
  for (const r of plan.rebuilds) {
    const what =
      r.fromTransformVersion !== r.toTransformVersion
        ? `transform \`${r.transform}\` ${short(r.fromTransformVersion)} → ${short(r.toTransformVersion)}`
        : `checks of dataset \`${r.dataset}\` ${r.fromSpecHash?.slice(0, 8)} → ${r.toSpecHash.slice(0, 8)}`;
    lines.push(`  ${what}: ${r.items.toLocaleString('en-US')} items of dataset \`${r.dataset}\` will be rebuilt`);
  }
  const count = (a: ChangeAction) => plan.changes.filter((c) => c.action === a).length;
  lines.push(`Plan: ${count('create')} to add, ${count('update')} to change, ${count('delete')} to remove; ${plan.rebuilds.length} rebuild${plan.rebuilds.length === 1 ? '' : 's'}.`);
  return lines.join('\n');
}

/** `2+3f2a9c1d` reads as `3f2a`: the hash part is what tells two versions apart at a glance. */
function short(version: string | undefined): string {
  if (!version) return 'none';
  const hash = version.split('+')[1];
  return hash ? `${version.split('+')[0]}+${hash.slice(0, 4)}` : version;
}
