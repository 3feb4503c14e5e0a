/**
 * Checks that a value survives JSON unchanged (parameters travel as `--params JSON`, over IPC and into SQLite):
 * plain objects, arrays, strings, finite numbers, booleans and null, without cycles.
 */
import { ReflowError, type ErrorCode } from '../errors.js';

export function assertJsonValue(value: unknown, field: string, code: ErrorCode = 'InvalidConfiguration'): void {
  const fail = (path: string, why: string): never => {
    throw new ReflowError(code, `${path} ${why}; parameters must be JSON values`, { field: path });
  };
  const seen = new Set<object>();
  const walk = (v: unknown, path: string): void => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) fail(path, `is ${v}, which JSON cannot carry`);
      return;
    }
    if (typeof v !== 'object') fail(path, `is a ${typeof v}`);
    const o = v as object;
    if (seen.has(o)) fail(path, 'refers back to itself (a cycle)');
    seen.add(o);
    if (Array.isArray(o)) o.forEach((item, i) => walk(item, `${path}[${i}]`));
    else {
      const proto = Object.getPrototypeOf(o);
      if (proto !== Object.prototype && proto !== null) fail(path, `is a ${o.constructor?.name ?? 'non-plain object'}, not a plain object`);
      for (const [k, item] of Object.entries(o)) walk(item, `${path}.${k}`);
    }
    seen.delete(o);
  };
  walk(value, field);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
