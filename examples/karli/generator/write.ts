/** Puts generated files on disk under an output directory, keys becoming relative paths. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { GeneratedFile, Manifest, RoundOptions, TinyFilesOptions } from './round.js';
import { buildRound, buildTinyFiles } from './round.js';

export function writeFiles(outDir: string, files: readonly GeneratedFile[]): void {
  const made = new Set<string>();
  for (const file of files) {
    const path = join(outDir, file.key);
    const dir = dirname(path);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(path, file.content);
  }
}

/** buildRound() + the files and `manifest.json` written under `outDir`. */
export function generateRound(options: RoundOptions & { outDir: string }): { files: GeneratedFile[]; manifest: Manifest } {
  if (typeof options.outDir !== 'string' || options.outDir === '') throw new RangeError('option outDir must be a directory path');
  const result = buildRound(options);
  writeFiles(options.outDir, result.files);
  writeFileSync(join(options.outDir, 'manifest.json'), JSON.stringify(result.manifest, null, 2) + '\n');
  return result;
}

/** buildTinyFiles() written under `outDir` (no manifest: tiny files are all clean). */
export function generateTinyFiles(options: TinyFilesOptions & { outDir: string }): GeneratedFile[] {
  const files = buildTinyFiles(options);
  writeFiles(options.outDir, files);
  return files;
}
