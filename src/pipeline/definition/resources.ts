/**
 * The bus resources a project runs on, derived from its definition. This is where a reader finds where data goes:
 * every stage is a rule whose target is that stage's handler, and stages never call each other.
 *
 *   aws.s3 Object Created in the source      → reflow-<ds>-extract   → handler reflow.extract/<ds>
 *   aws.s3 Object Deleted in the source      → reflow-<ds>-forget    → handler reflow.load/<ds>
 *   reflow.quality Quality Check Passed      → reflow-<ds>-transform → handler reflow.transform/<ds>
 *   reflow.transform Transform Completed|Failed → reflow-<ds>-load   → handler reflow.load/<ds>
 *   Quality Check Failed, Transform Failed   → reflow-<project>-monitoring → reflow.monitor + the project's webhooks
 *
 * The archive keeps the source buckets' object events forever; a rebuild replays it through the extract and forget
 * rules of the dataset being rebuilt.
 */
import type { CompiledDataset, CompiledProject } from './compile.js';

export const SOURCES = { quality: 'reflow.quality', transform: 'reflow.transform', datasets: 'reflow.datasets' } as const;

export const DETAIL_TYPES = {
  qualityPassed: 'Quality Check Passed',
  qualityFailed: 'Quality Check Failed',
  transformCompleted: 'Transform Completed',
  transformFailed: 'Transform Failed',
  versionPublished: 'Dataset Version Published',
} as const;

export const HANDLERS = {
  extract: (dataset: string) => `reflow.extract/${dataset}`,
  transform: (dataset: string) => `reflow.transform/${dataset}`,
  load: (dataset: string) => `reflow.load/${dataset}`,
  monitor: 'reflow.monitor',
} as const;

export const handlerArn = (name: string) => `arn:reflow:handler:${name}`;

export interface DesiredTarget {
  Id: string;
  Arn: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
}

export interface DesiredRule {
  name: string;
  description: string;
  pattern: string;
  enabled: boolean;
  targets: DesiredTarget[];
}

export interface DesiredArchive {
  name: string;
  pattern: string;
  retentionDays: number;
}

export interface DesiredResources {
  archive: DesiredArchive;
  rules: DesiredRule[];
}

export const ruleNames = (dataset: string) => ({
  extract: `reflow-${dataset}-extract`,
  forget: `reflow-${dataset}-forget`,
  transform: `reflow-${dataset}-transform`,
  load: `reflow-${dataset}-load`,
});

export const archiveName = (project: string) => `reflow-${project}-raw`;

const escapeWildcard = (text: string) => text.replace(/[\\*]/g, (c) => `\\${c}`);

/** The key condition for a source: prefix, suffix, both (a wildcard), or any key. */
function keyCondition(source: CompiledDataset['source']): unknown[] {
  if (source.suffix !== undefined) return [{ wildcard: `${escapeWildcard(source.prefix)}*${escapeWildcard(source.suffix)}` }];
  if (source.prefix) return [{ prefix: source.prefix }];
  return [{ exists: true }];
}

function objectEvents(dataset: CompiledDataset, detailType: string): string {
  return JSON.stringify({
    source: ['aws.s3'],
    'detail-type': [detailType],
    detail: { bucket: { name: [dataset.source.bucket] }, object: { key: keyCondition(dataset.source) } },
  });
}

function datasetRules(dataset: CompiledDataset): DesiredRule[] {
  const names = ruleNames(dataset.name);
  const target = (id: string, handler: string): DesiredTarget[] => [{ Id: id, Arn: handlerArn(handler) }];
  return [
    {
      name: names.extract,
      description: `New raw data for dataset ${dataset.name}: run its quality checks`,
      pattern: objectEvents(dataset, 'Object Created'),
      enabled: true,
      targets: target('extract', HANDLERS.extract(dataset.name)),
    },
    {
      name: names.forget,
      description: `Raw data of dataset ${dataset.name} deleted: it leaves the next version`,
      pattern: objectEvents(dataset, 'Object Deleted'),
      enabled: true,
      targets: target('load', HANDLERS.load(dataset.name)),
    },
    {
      name: names.transform,
      description: `Checked data of dataset ${dataset.name}: transform it`,
      pattern: JSON.stringify({ source: [SOURCES.quality], 'detail-type': [DETAIL_TYPES.qualityPassed], detail: { dataset: [dataset.name] } }),
      enabled: true,
      targets: target('transform', HANDLERS.transform(dataset.name)),
    },
    {
      name: names.load,
      description: `Transformed data of dataset ${dataset.name}: split it and publish the next version`,
      pattern: JSON.stringify({
        source: [SOURCES.transform],
        'detail-type': [DETAIL_TYPES.transformCompleted, DETAIL_TYPES.transformFailed],
        detail: { dataset: [dataset.name] },
      }),
      enabled: true,
      targets: target('load', HANDLERS.load(dataset.name)),
    },
  ];
}

function monitoringRule(project: CompiledProject): DesiredRule {
  return {
    name: `reflow-${project.name}-monitoring`,
    description: 'Bad data and failed transforms: keep an alert and tell the project\'s webhooks',
    pattern: JSON.stringify({
      source: [SOURCES.quality, SOURCES.transform],
      'detail-type': [DETAIL_TYPES.qualityFailed, DETAIL_TYPES.transformFailed],
      detail: { dataset: project.datasets.map((d) => d.name) },
    }),
    enabled: true,
    targets: [
      { Id: 'alerts', Arn: handlerArn(HANDLERS.monitor) },
      ...project.webhooks.map((url, i) => ({ Id: `webhook-${i + 1}`, Arn: url })),
    ],
  };
}

function customRule(rule: CompiledProject['rules'][number]): DesiredRule {
  return {
    name: rule.name,
    description: rule.description ?? '',
    pattern: rule.pattern,
    enabled: rule.enabled,
    targets: rule.targets.map((t) => {
      const target: DesiredTarget = { Id: t.id, Arn: t.arn };
      if (t.input !== undefined) target.Input = JSON.stringify(t.input);
      if (t.inputPath !== undefined) target.InputPath = t.inputPath;
      if (t.inputTransformer) {
        target.InputTransformer = { InputTemplate: t.inputTransformer.inputTemplate };
        if (t.inputTransformer.inputPathsMap) target.InputTransformer.InputPathsMap = t.inputTransformer.inputPathsMap;
      }
      return target;
    }),
  };
}

export function desiredResources(project: CompiledProject): DesiredResources {
  const buckets = [...new Set(project.datasets.map((d) => d.source.bucket))].sort();
  return {
    archive: {
      name: archiveName(project.name),
      pattern: JSON.stringify({ source: ['aws.s3'], 'detail-type': ['Object Created', 'Object Deleted'], detail: { bucket: { name: buckets } } }),
      retentionDays: 0,
    },
    rules: [...project.datasets.flatMap(datasetRules), monitoringRule(project), ...project.rules.map(customRule)],
  };
}
