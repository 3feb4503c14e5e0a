/**
 * A stable hash of a quality spec, so the pipeline can cache a report per (object version, spec hash) and knows to
 * re-check objects when the checks change. The hash covers the compiled spec (defaults filled in, so writing
 * `tolerance: 0.5` or leaving it out hashes the same), custom checks by their function source text, and the engine
 * version below, which changes whenever the checks' semantics change.
 *
 * A custom check is hashed by its source only: a change to a variable it closes over is not seen.
 */
import { createHash } from 'node:crypto';
import { compileQualitySpec } from './validate.js';

/** Bump when a check's verdict on the same file and spec can change (new semantics, a fixed bug). */
export const QUALITY_ENGINE_VERSION = 1;

export function qualitySpecHash(spec: unknown, field = 'quality'): string {
  const compiled = compileQualitySpec(spec, field);
  const text = canonical({ engine: QUALITY_ENGINE_VERSION, ...compiled });
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with sorted keys; functions become their source text. */
function canonical(value: unknown): string {
  if (typeof value === 'function') return JSON.stringify({ $function: value.toString() });
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
