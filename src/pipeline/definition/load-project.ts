/**
 * Loading `reflow.config.ts` (or `.js`/`.mjs`) from a project directory. TypeScript loads through tsx without a
 * build step, afresh on every call, so `reflow plan` after an edit sees the edit.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { ReflowError } from '../../errors.js';
import { compileProject, type CompiledProject } from './compile.js';

export const CONFIG_FILES = ['reflow.config.ts', 'reflow.config.mts', 'reflow.config.js', 'reflow.config.mjs'];

export function findConfig(projectDir: string): string {
  for (const name of CONFIG_FILES) {
    const path = join(resolve(projectDir), name);
    if (existsSync(path)) return path;
  }
  throw new ReflowError('InvalidConfiguration', `no project definition in ${resolve(projectDir)} (expected one of ${CONFIG_FILES.join(', ')})`, { field: 'project' });
}

export async function loadDefinition(projectDir: string): Promise<unknown> {
  const path = findConfig(projectDir);
  let module: { default?: unknown };
  try {
    module = (await tsImport(pathToFileURL(path).href, import.meta.url)) as { default?: unknown };
  } catch (err) {
    throw new ReflowError('InvalidConfiguration', `${path} could not be loaded: ${(err as Error).message}`, { field: 'project', cause: err });
  }
  // A config outside an ESM package loads as CommonJS: its default export arrives one level down.
  let definition = module.default;
  const inner = definition as { default?: unknown; __esModule?: unknown } | undefined;
  if (inner && typeof inner === 'object' && 'default' in inner && Object.keys(inner).every((k) => k === 'default' || k === '__esModule')) definition = inner.default;
  if (definition === undefined) {
    throw new ReflowError('InvalidConfiguration', `${path} has no default export (export default defineProject({...}))`, { field: 'project' });
  }
  return definition;
}

export async function loadProject(projectDir: string): Promise<CompiledProject> {
  return compileProject(await loadDefinition(projectDir), projectDir);
}
