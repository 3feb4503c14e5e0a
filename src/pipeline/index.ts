/** The data pipeline's public surface: the project definition API, the running pipeline, and the API it serves. */
export { defineProject } from './definition/types.js';
export type * from './definition/types.js';
export { compileProject, type CompiledProject, type CompiledDataset } from './definition/compile.js';
export { loadProject, loadDefinition, findConfig } from './definition/load-project.js';
export { planProject, renderPlan, type Plan, type PlanChange, type PlannedRebuild } from './definition/plan.js';
export { desiredResources, ruleNames, archiveName, SOURCES, DETAIL_TYPES } from './definition/resources.js';
export { Pipeline, type PipelineOptions } from './pipeline.js';
export type * from './api.js';
export { assignSplit, compileSplits, DEFAULT_SPLITS } from './load/splits.js';
