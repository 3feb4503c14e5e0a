/**
 * Loose durations as the public options take them (Temporal's `'5s'`): a number is milliseconds, a string is a
 * number with a unit (`500ms`, `90s`, `5m`, `2h`, `1d`). Compiled once into milliseconds.
 */
import { ReflowError } from '../errors.js';

export type Duration = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of `value`; throws InvalidConfiguration naming `field` unless it is a positive, finite duration. */
export function parseDuration(value: unknown, field: string, { allowZero = false } = {}): number {
  let ms: number | undefined;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
    if (match) ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  if (ms === undefined || !Number.isFinite(ms) || ms < 0 || (!allowZero && ms === 0) || ms > 2 ** 31 - 1) {
    throw new ReflowError(
      'InvalidConfiguration',
      `${field} must be a ${allowZero ? 'non-negative' : 'positive'} duration (milliseconds, or a string such as '90s', '5m', '2h'), got ${describe(value)}`,
      { field },
    );
  }
  // setTimeout's limit is 2^31-1 ms (~24.8 days); a longer timeout would fire at once.
  return Math.round(ms);
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
