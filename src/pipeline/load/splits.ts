/**
 * Deterministic splits (shared/DESIGN.md invariant 6): an item's split follows from a hash of its grouping key, so
 * adding data never reshuffles earlier items, the same driver or session always lands in the same split across
 * versions and transform changes, and no group leaks across splits.
 */
import { createHash } from 'node:crypto';
import { ReflowError } from '../../errors.js';

export const DEFAULT_SPLITS: Readonly<Record<string, number>> = Object.freeze({ train: 0.8, test: 0.1, holdout: 0.1 });

/** Fractions summing to 1, in declaration order; each split owns a slice of [0, 1). */
export interface CompiledSplits {
  names: string[];
  upper: number[];
}

const NAME = /^[a-z][a-z0-9_-]{0,31}$/;

export function compileSplits(splits: Record<string, number> = DEFAULT_SPLITS, field = 'load.splits'): CompiledSplits {
  const entries = Object.entries(splits);
  if (entries.length === 0) throw new ReflowError('InvalidConfiguration', `${field} must name at least one split.`, { field });
  let total = 0;
  const names: string[] = [];
  const upper: number[] = [];
  for (const [name, fraction] of entries) {
    if (!NAME.test(name)) {
      throw new ReflowError('InvalidConfiguration', `${field}.${name}: a split name is 1-32 lowercase letters, digits, '_' or '-', starting with a letter.`, { field: `${field}.${name}` });
    }
    if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction <= 0 || fraction > 1) {
      throw new ReflowError('InvalidConfiguration', `${field}.${name} must be a fraction in (0, 1], got ${JSON.stringify(fraction)}.`, { field: `${field}.${name}` });
    }
    total += fraction;
    names.push(name);
    upper.push(total);
  }
  if (Math.abs(total - 1) > 1e-9) {
    throw new ReflowError('InvalidConfiguration', `${field} must sum to 1, got ${Number(total.toFixed(6))}.`, { field });
  }
  upper[upper.length - 1] = 1;
  return { names, upper };
}

/** A uniform number in [0, 1) from the dataset and the group key: 52 bits of SHA-256. */
export function groupPosition(dataset: string, groupKey: string): number {
  const digest = createHash('sha256').update(dataset).update('\0').update(groupKey).digest();
  return (digest.readUInt32BE(0) * 2 ** 20 + (digest.readUInt32BE(4) >>> 12)) / 2 ** 52;
}

export function assignSplit(splits: CompiledSplits, dataset: string, groupKey: string): string {
  const position = groupPosition(dataset, groupKey);
  const index = splits.upper.findIndex((bound) => position < bound);
  return splits.names[index < 0 ? splits.names.length - 1 : index]!;
}
