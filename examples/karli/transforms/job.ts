/**
 * The TypeScript transform contract, as the runner calls it: a module whose default export takes this job and writes
 * its outputs into `outputDir`. Imported with `import type` only, so each transform stays one file at run time and
 * its content hash covers all the code that runs.
 */
export interface TransformJob {
  /** Absolute paths of the input files (one raw recording per item in this example). */
  inputs: string[];
  /** An empty directory the transform writes its outputs into. */
  outputDir: string;
  params: Record<string, unknown>;
  log(message: string): void;
  jobId: string;
  attempt: number;
}

export type TransformResult = void | { metadata?: Record<string, unknown> };
