/**
 * Where the recorded behaviour of the systems Reflow is compatible with lives (../shared/conformance beside the
 * repository, or REFLOW_CONFORMANCE_DIR), and how a suite behaves when it is missing: CI fails, elsewhere the suite
 * is skipped with a loud reason. The files are read in place, never copied into the repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One recorded EventBridge API answer (see ../shared/conformance/eventbridge-api.md). */
export interface RecordedCase {
  name: string;
  operation: string;
  setup?: Array<{ operation: string; request: any; region?: string }>;
  request: any;
  expect: any;
  source?: string;
  notes?: string;
  topic?: string;
  region?: string;
}

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'reflow') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the reflow package root');
    dir = parent;
  }
}

export function conformanceFile(name: string): string {
  return join(process.env.REFLOW_CONFORMANCE_DIR ?? join(repoRoot(), '..', 'shared', 'conformance'), name);
}

/** The file's parsed JSON, or undefined when it is absent (after failing the run under CI=true). */
export function loadConformance<T>(name: string): T | undefined {
  const path = conformanceFile(name);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as T;
  const reason = `conformance data not found at ${path}`;
  if (process.env.CI === 'true') {
    test(`conformance data ${name} is present`, () => assert.fail(`${reason}; CI must run the conformance suites`));
  } else {
    console.warn(`\n*** SKIPPING suites that need ${name}: ${reason} ***\n`);
    test(`conformance data ${name}`, (t) => t.skip(`${reason} (set CI=true to make this a failure)`));
  }
  return undefined;
}

export const loadRecordedApiCases = () => loadConformance<RecordedCase[]>('eventbridge-api.json');
