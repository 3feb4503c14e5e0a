/**
 * What a transform wrote: every regular file under its output directory, with size and SHA-256, in path order.
 * Runs in the worker (module transforms) or in the pool (commands). A symbolic link is refused: a transform's
 * output must be its own bytes, not a pointer to a file elsewhere on the host.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OutputFile {
  /** Relative to the output directory, with '/'. */
  path: string;
  size: number;
  sha256: string;
}

export class OutputError extends Error {}

export function listOutputs(outputDir: string): OutputFile[] {
  const out: OutputFile[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(rel ? join(outputDir, rel) : outputDir, { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) {
        const bytes = readFileSync(join(outputDir, child));
        out.push({ path: child, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
      } else if (entry.isSymbolicLink()) {
        throw new OutputError(`output ${child} is a symbolic link; a transform must write regular files`);
      }
    }
  };
  walk('');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
