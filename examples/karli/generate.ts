/**
 * Writes one acquisition round of KARLI-style driver-monitoring recordings and its manifest.
 *
 *   npx tsx examples/karli/generate.ts --seed 42 --round 1 --out /tmp/karli-r1
 *   npx tsx examples/karli/generate.ts --seed 42 --round 2 --out /tmp/karli-r2 --defects wrong-unit,truncated
 *   npx tsx examples/karli/generate.ts --seed 7 --tiny 10000 --rows 60 --out /tmp/karli-tiny
 */
import { parseArgs } from 'node:util';
import type { DefectRequest, RoundOptions } from './generator/index.js';
import { DEFECT_KINDS, generateRound, generateTinyFiles, isDefectKind, rowsForBytes } from './generator/index.js';

const USAGE = `usage: generate.ts --out DIR [--seed N] [--round N] [--sessions-per-driver N] [--rows N | --bytes N]
                   [--drivers-per-contributor N] [--contributors a,b] [--defects none|default|KIND[,KIND...]]
       generate.ts --out DIR --tiny COUNT [--seed N] [--rows N]
defect kinds: ${DEFECT_KINDS.join(', ')}`;

function fail(message: string): never {
  process.stderr.write(`generate: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) fail(`--${name} must be an integer, got "${text}"`);
  return Number(text);
}

function defectsOption(text: string | undefined): RoundOptions['defects'] {
  if (text === undefined || text === 'default' || text === 'none') return text ?? 'default';
  const kinds = text.split(',').map((k) => k.trim());
  const bad = kinds.filter((k) => !isDefectKind(k));
  if (bad.length > 0) fail(`--defects: unknown kind ${bad.join(', ')}`);
  return kinds.map((kind) => ({ kind }) as DefectRequest);
}

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        seed: { type: 'string' },
        round: { type: 'string' },
        out: { type: 'string' },
        'sessions-per-driver': { type: 'string' },
        rows: { type: 'string' },
        bytes: { type: 'string' },
        'drivers-per-contributor': { type: 'string' },
        contributors: { type: 'string' },
        defects: { type: 'string' },
        tiny: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const outDir = values.out ?? fail('--out DIR is required');
  const seed = integer('seed', values.seed) ?? 42;
  const bytes = integer('bytes', values.bytes);
  if (bytes !== undefined && values.rows !== undefined) fail('give --rows or --bytes, not both');
  const rows = bytes !== undefined ? rowsForBytes(bytes) : integer('rows', values.rows);
  const started = performance.now();
  try {
    if (values.tiny !== undefined) {
      const count = integer('tiny', values.tiny) ?? 0;
      const files = generateTinyFiles({ seed, count, rows: rows ?? 60, outDir });
      const total = files.reduce((sum, f) => sum + f.bytes, 0);
      const ms = (performance.now() - started).toFixed(0);
      process.stdout.write(`${files.length} tiny files, ${(total / files.length / 1024).toFixed(1)} KiB each on average, in ${outDir} (${ms} ms)\n`);
      return;
    }
    const { files } = generateRound({
      seed,
      round: integer('round', values.round) ?? 1,
      sessionsPerDriver: integer('sessions-per-driver', values['sessions-per-driver']),
      rows,
      driversPerContributor: integer('drivers-per-contributor', values['drivers-per-contributor']),
      contributors: values.contributors?.split(',').map((c) => c.trim()),
      defects: defectsOption(values.defects),
      outDir,
    });
    const ms = (performance.now() - started).toFixed(0);
    const total = files.reduce((sum, f) => sum + f.bytes, 0);
    const byContributor = new Map<string, { files: number; drivers: Set<string> }>();
    for (const f of files) {
      const entry = byContributor.get(f.contributor) ?? { files: 0, drivers: new Set<string>() };
      entry.files++;
      entry.drivers.add(f.driver);
      byContributor.set(f.contributor, entry);
    }
    const lines = [`seed ${seed}, round ${integer('round', values.round) ?? 1}: ${files.length} files, ${(total / 1024).toFixed(0)} KiB in ${outDir} (${ms} ms)`];
    for (const [name, entry] of byContributor) lines.push(`  ${name}: ${entry.drivers.size} drivers, ${entry.files} sessions`);
    const damaged = files.filter((f) => f.defects.length > 0);
    lines.push(damaged.length === 0 ? 'no defects' : `${damaged.length} files with defects (see manifest.json):`);
    for (const f of damaged) for (const d of f.defects) lines.push(`  ${f.key}  ${d.kind}: ${d.detail}`);
    process.stdout.write(lines.join('\n') + '\n');
  } catch (error) {
    fail((error as Error).message);
  }
}

main();
