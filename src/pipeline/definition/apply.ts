/**
 * `reflow apply`: makes what runs match the project, idempotently (applying twice changes nothing the second time).
 * Order matters for consistency: buckets and the archive exist before any rule routes an event, rules before the
 * catalog learns the new pipeline, and the catalog's pipeline before a rebuild replays anything.
 */
import { isReflowError } from '../../errors.js';
import type { EventBus } from '../../bus/port.js';
import type { CompiledProject } from './compile.js';
import { desiredResources, type DesiredRule } from './resources.js';
import { planProject, type AppliedSnapshot, type Plan, type PlanPorts } from './plan.js';

export interface DatasetChange {
  dataset: string;
  fromTransformVersion?: string;
  toTransformVersion: string;
  fromSpecHash?: string;
  toSpecHash: string;
  /** Keys now stale: what a rebuild has to redo. */
  stale: number;
}

export interface ApplyResult {
  plan: Plan;
  datasets: DatasetChange[];
}

const exists = (err: unknown, ...codes: string[]) => isReflowError(err) && codes.includes(err.code);

async function applyRule(bus: EventBus, eventBus: string, rule: DesiredRule): Promise<void> {
  await bus.putRule({ Name: rule.name, EventBusName: eventBus, EventPattern: rule.pattern, State: rule.enabled ? 'ENABLED' : 'DISABLED', Description: rule.description });
  const { Targets } = await bus.listTargetsByRule({ Rule: rule.name, EventBusName: eventBus });
  const wanted = new Set(rule.targets.map((t) => t.Id));
  const extra = Targets.filter((t) => !wanted.has(t.Id)).map((t) => t.Id);
  if (extra.length) await bus.removeTargets({ Rule: rule.name, EventBusName: eventBus, Ids: extra });
  await bus.putTargets({ Rule: rule.name, EventBusName: eventBus, Targets: rule.targets });
}

async function removeRule(bus: EventBus, eventBus: string, name: string): Promise<void> {
  try {
    const { Targets } = await bus.listTargetsByRule({ Rule: name, EventBusName: eventBus });
    if (Targets.length) await bus.removeTargets({ Rule: name, EventBusName: eventBus, Ids: Targets.map((t) => t.Id) });
    await bus.deleteRule({ Name: name, EventBusName: eventBus });
  } catch (err) {
    if (!exists(err, 'ResourceNotFoundException')) throw err;
  }
}

export async function applyProject(project: CompiledProject, ports: PlanPorts): Promise<ApplyResult> {
  const { bus, store, catalog } = ports;
  const plan = await planProject(project, ports);

  for (const bucket of project.buckets) {
    try {
      await store.createBucket(bucket.name);
    } catch (err) {
      if (!exists(err, 'BucketAlreadyOwnedByYou', 'BucketAlreadyExists')) throw err;
    }
    const versioning = await store.getBucketVersioning(bucket.name);
    if (bucket.versioning && versioning !== 'Enabled') await store.putBucketVersioning(bucket.name, 'Enabled');
    if (!bucket.versioning && versioning === 'Enabled') await store.putBucketVersioning(bucket.name, 'Suspended');
  }

  if (project.eventBus !== 'default') {
    try {
      await bus.createEventBus({ Name: project.eventBus });
    } catch (err) {
      if (!exists(err, 'ResourceAlreadyExistsException')) throw err;
    }
  }
  const desired = desiredResources(project);
  const busArn = (await bus.describeEventBus({ Name: project.eventBus })).Arn;
  try {
    await bus.createArchive({ ArchiveName: desired.archive.name, EventSourceArn: busArn, EventPattern: desired.archive.pattern, RetentionDays: 0, Description: `object events of project ${project.name}'s sources, for rebuilds` });
  } catch (err) {
    if (!exists(err, 'ResourceAlreadyExistsException')) throw err;
    await bus.updateArchive({ ArchiveName: desired.archive.name, EventPattern: desired.archive.pattern, RetentionDays: 0 });
  }

  for (const rule of desired.rules) await applyRule(bus, project.eventBus, rule);
  const snapshot = (await catalog.getAppliedProject()) as AppliedSnapshot | undefined;
  const wanted = new Set(desired.rules.map((r) => r.name));
  for (const name of snapshot?.rules ?? []) if (!wanted.has(name)) await removeRule(bus, project.eventBus, name);

  const datasets: DatasetChange[] = [];
  for (const dataset of project.datasets) {
    const current = await catalog.getPipeline(dataset.name);
    if (current?.transformVersion === dataset.transformVersion && current.specHash === dataset.specHash) continue;
    await catalog.recordTransformVersion({
      dataset: dataset.name,
      transform: dataset.transformName,
      version: dataset.transformVersion,
      definition: dataset.transform,
      firstSeenMs: Date.now(),
    });
    const { stale } = await catalog.setPipeline(dataset.name, { transformVersion: dataset.transformVersion, specHash: dataset.specHash });
    const change: DatasetChange = { dataset: dataset.name, toTransformVersion: dataset.transformVersion, toSpecHash: dataset.specHash, stale };
    if (current) Object.assign(change, { fromTransformVersion: current.transformVersion, fromSpecHash: current.specHash });
    datasets.push(change);
  }
  const applied: AppliedSnapshot = { project: project.name, rules: desired.rules.map((r) => r.name), appliedMs: Date.now() };
  await catalog.setAppliedProject(applied);
  return { plan, datasets };
}
