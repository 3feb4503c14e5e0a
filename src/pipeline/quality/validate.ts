/**
 * Validates a quality spec and compiles it into the strict shape the scan reads (defaults applied once, names
 * derived). Every bad value is refused with `InvalidConfiguration` naming the exact field, e.g.
 * `datasets.drives.quality.checks[2].maxRatio`, so `reflow plan` can point at the line to fix before anything runs.
 */
import { ReflowError } from '../../errors.js';
import type { ColumnType, CustomCheck, QualityFormat, QualitySpec } from './types.js';

export const FORMATS: readonly QualityFormat[] = ['csv', 'ndjson', 'parquet'];
export const COLUMN_TYPES: readonly ColumnType[] = ['number', 'integer', 'string', 'boolean', 'timestamp'];
const CHECK_TYPES = ['schema', 'range', 'missing', 'duplicates', 'timeseries', 'fileSize', 'rowCount', 'custom'] as const;

/** The compiled checks: every default filled in, every name set. */
export type CompiledCheckSpec =
  | { type: 'schema'; name: string; columns: Record<string, ColumnType>; required: string[]; allowExtra: boolean }
  | {
      type: 'range';
      name: string;
      column: string;
      min: number | null;
      max: number | null;
      statistic: 'value' | 'mean' | 'median';
      maxOutOfRangeRatio: number;
    }
  | { type: 'missing'; name: string; column: string | null; maxRatio: number | null; maxRun: number | null }
  | { type: 'duplicates'; name: string; columns: string[] | null; maxCount: number }
  | {
      type: 'timeseries';
      name: string;
      column: string;
      intervalMs: number | null;
      tolerance: number;
      maxGapMs: number | null;
      minRateHz: number | null;
      maxRateHz: number | null;
      monotonic: boolean;
    }
  | { type: 'fileSize' | 'rowCount'; name: string; min: number | null; max: number | null }
  | { type: 'custom'; name: string; check: CustomCheck['check'] };

export interface CompiledQualitySpec {
  format: QualityFormat | null;
  csv: { delimiter: string | null; missingValues: string[] };
  checks: CompiledCheckSpec[];
}

/** Checks a spec and returns it, typed; throws `InvalidConfiguration` naming the first bad field. */
export function validateQualitySpec(spec: unknown, field = 'quality'): QualitySpec {
  compileQualitySpec(spec, field);
  return spec as QualitySpec;
}

export function compileQualitySpec(spec: unknown, field = 'quality'): CompiledQualitySpec {
  const root = object(spec, field);
  allowKeys(root, ['format', 'csv', 'checks'], field);
  let format: QualityFormat | null = null;
  if (root.format !== undefined) format = oneOf(root.format, FORMATS, `${field}.format`);
  const csv: CompiledQualitySpec['csv'] = { delimiter: null, missingValues: [] };
  if (root.csv !== undefined) {
    const f = `${field}.csv`;
    const o = object(root.csv, f);
    allowKeys(o, ['delimiter', 'header', 'missingValues'], f);
    if (format !== null && format !== 'csv') fail(f, `${f} applies only to CSV, but the format is '${format}'`);
    if (o.delimiter !== undefined) {
      const d = o.delimiter;
      if (typeof d !== 'string' || d.length === 0 || d.length > 8 || /["\r\n]/.test(d)) {
        fail(`${f}.delimiter`, `${f}.delimiter must be 1 to 8 characters other than a quote or a line break, got ${show(d)}`);
      }
      csv.delimiter = d;
    }
    if (o.header !== undefined && o.header !== true) {
      fail(`${f}.header`, `${f}.header must be true: only CSV files with a header row are supported, got ${show(o.header)}`);
    }
    if (o.missingValues !== undefined) csv.missingValues = stringList(o.missingValues, `${f}.missingValues`, true);
  }
  if (root.checks === undefined) fail(`${field}.checks`, `${field}.checks is required (a list of checks; it may be empty)`);
  if (!Array.isArray(root.checks)) fail(`${field}.checks`, `${field}.checks must be a list, got ${show(root.checks)}`);
  const checks = root.checks.map((c, i) => compileCheck(c, `${field}.checks[${i}]`));

  const names = new Map<string, number>();
  checks.forEach((c, i) => {
    const first = names.get(c.name);
    if (first !== undefined) {
      fail(`${field}.checks[${i}].name`, `${field}.checks[${i}].name '${c.name}' is taken by checks[${first}]; give one of them another name`);
    }
    names.set(c.name, i);
  });
  const schemas = checks.flatMap((c, i) => (c.type === 'schema' ? [{ c, i }] : []));
  if (schemas.length > 1) fail(`${field}.checks[${schemas[1]!.i}]`, `${field}.checks[${schemas[1]!.i}] is a second schema check; declare one schema`);
  // A column a check names but the schema does not is almost always a typo; refuse it before anything runs.
  const schema = schemas[0]?.c;
  if (schema && schema.type === 'schema') {
    checks.forEach((c, i) => {
      for (const [column, path] of referencedColumns(c)) {
        if (!(column in schema.columns)) {
          const at = `${field}.checks[${i}]${path}`;
          fail(at, `${at} names column '${column}', which the schema (checks[${schemas[0]!.i}]) does not declare`);
        }
      }
    });
  }
  return { format, csv, checks };
}

function referencedColumns(c: CompiledCheckSpec): Array<[string, string]> {
  switch (c.type) {
    case 'range':
    case 'timeseries':
      return [[c.column, '.column']];
    case 'missing':
      return c.column === null ? [] : [[c.column, '.column']];
    case 'duplicates':
      return (c.columns ?? []).map((col, j) => [col, `.columns[${j}]`]);
    default:
      return [];
  }
}

function compileCheck(value: unknown, f: string): CompiledCheckSpec {
  const o = object(value, f);
  const type = o.type;
  if (typeof type !== 'string' || !(CHECK_TYPES as readonly string[]).includes(type)) {
    fail(`${f}.type`, `${f}.type must be one of ${CHECK_TYPES.join(', ')}, got ${show(type)}`);
  }
  let name: string | null = null;
  if (o.name !== undefined) {
    if (typeof o.name !== 'string' || o.name.trim() === '' || o.name.length > 200) {
      fail(`${f}.name`, `${f}.name must be a non-empty string of at most 200 characters, got ${show(o.name)}`);
    }
    name = o.name;
  }
  switch (type as (typeof CHECK_TYPES)[number]) {
    case 'schema': {
      allowKeys(o, ['type', 'name', 'columns', 'required', 'allowExtra'], f);
      const cols = object(o.columns, `${f}.columns`);
      const names = Object.keys(cols);
      if (names.length === 0) fail(`${f}.columns`, `${f}.columns must declare at least one column`);
      const columns: Record<string, ColumnType> = {};
      for (const col of names) {
        if (col === '') fail(`${f}.columns`, `${f}.columns has an empty column name`);
        columns[col] = oneOf(cols[col], COLUMN_TYPES, prop(`${f}.columns`, col));
      }
      let required = names;
      if (o.required !== undefined) {
        required = stringList(o.required, `${f}.required`, false);
        required.forEach((col, j) => {
          if (!(col in columns)) fail(`${f}.required[${j}]`, `${f}.required[${j}] names '${col}', which ${f}.columns does not declare`);
        });
      }
      const allowExtra = o.allowExtra === undefined ? false : bool(o.allowExtra, `${f}.allowExtra`);
      return { type: 'schema', name: name ?? 'schema', columns, required, allowExtra };
    }
    case 'range': {
      allowKeys(o, ['type', 'name', 'column', 'min', 'max', 'statistic', 'maxOutOfRangeRatio'], f);
      const column = columnName(o.column, `${f}.column`);
      const [min, max] = bounds(o, f, false);
      const statistic = o.statistic === undefined ? 'value' : oneOf(o.statistic, ['value', 'mean', 'median'] as const, `${f}.statistic`);
      let maxOutOfRangeRatio = 0;
      if (o.maxOutOfRangeRatio !== undefined) {
        if (statistic !== 'value') {
          fail(`${f}.maxOutOfRangeRatio`, `${f}.maxOutOfRangeRatio applies only to statistic 'value', not '${statistic}'`);
        }
        maxOutOfRangeRatio = ratio(o.maxOutOfRangeRatio, `${f}.maxOutOfRangeRatio`);
      }
      const derived = statistic === 'value' ? `range(${column})` : `range(${column}, ${statistic})`;
      return { type: 'range', name: name ?? derived, column, min, max, statistic, maxOutOfRangeRatio };
    }
    case 'missing': {
      allowKeys(o, ['type', 'name', 'column', 'maxRatio', 'maxRun'], f);
      const column = o.column === undefined ? null : columnName(o.column, `${f}.column`);
      const maxRatio = o.maxRatio === undefined ? null : ratio(o.maxRatio, `${f}.maxRatio`);
      const maxRun = o.maxRun === undefined ? null : count(o.maxRun, `${f}.maxRun`);
      if (maxRatio === null && maxRun === null) fail(`${f}.maxRatio`, `${f}.maxRatio (0..1) or ${f}.maxRun is required`);
      return { type: 'missing', name: name ?? (column === null ? 'missing' : `missing(${column})`), column, maxRatio, maxRun };
    }
    case 'duplicates': {
      allowKeys(o, ['type', 'name', 'columns', 'maxCount'], f);
      let columns: string[] | null = null;
      if (o.columns !== undefined) {
        columns = stringList(o.columns, `${f}.columns`, false);
        if (columns.length === 0) fail(`${f}.columns`, `${f}.columns must name at least one column (leave it out for all columns)`);
        columns.forEach((c, j) => {
          if (c === '') fail(`${f}.columns[${j}]`, `${f}.columns[${j}] is empty`);
          if (columns!.indexOf(c) !== j) fail(`${f}.columns[${j}]`, `${f}.columns[${j}] repeats '${c}'`);
        });
      }
      const maxCount = o.maxCount === undefined ? 0 : count(o.maxCount, `${f}.maxCount`);
      return { type: 'duplicates', name: name ?? (columns ? `duplicates(${columns.join(', ')})` : 'duplicates'), columns, maxCount };
    }
    case 'timeseries': {
      allowKeys(o, ['type', 'name', 'column', 'intervalMs', 'tolerance', 'maxGapMs', 'minRateHz', 'maxRateHz', 'monotonic'], f);
      const column = columnName(o.column, `${f}.column`);
      const intervalMs = o.intervalMs === undefined ? null : positive(o.intervalMs, `${f}.intervalMs`);
      let tolerance = 0.5;
      if (o.tolerance !== undefined) {
        tolerance = finite(o.tolerance, `${f}.tolerance`);
        if (tolerance < 0 || tolerance > 10) {
          fail(`${f}.tolerance`, `${f}.tolerance must be a fraction of the interval between 0 and 10, got ${tolerance}`);
        }
      }
      const maxGapMs = o.maxGapMs === undefined ? null : positive(o.maxGapMs, `${f}.maxGapMs`);
      if (maxGapMs !== null && intervalMs !== null && maxGapMs < intervalMs) {
        fail(`${f}.maxGapMs`, `${f}.maxGapMs (${maxGapMs}) is smaller than intervalMs (${intervalMs}): every step would be a gap`);
      }
      const minRateHz = o.minRateHz === undefined ? null : positive(o.minRateHz, `${f}.minRateHz`);
      const maxRateHz = o.maxRateHz === undefined ? null : positive(o.maxRateHz, `${f}.maxRateHz`);
      if (minRateHz !== null && maxRateHz !== null && minRateHz > maxRateHz) {
        fail(`${f}.minRateHz`, `${f}.minRateHz (${minRateHz}) is greater than maxRateHz (${maxRateHz})`);
      }
      const monotonic = o.monotonic === undefined ? true : bool(o.monotonic, `${f}.monotonic`);
      return {
        type: 'timeseries',
        name: name ?? `timeseries(${column})`,
        column,
        intervalMs,
        tolerance,
        maxGapMs,
        minRateHz,
        maxRateHz,
        monotonic,
      };
    }
    case 'fileSize':
    case 'rowCount': {
      allowKeys(o, ['type', 'name', 'min', 'max'], f);
      const [min, max] = bounds(o, f, true);
      return { type: type as 'fileSize' | 'rowCount', name: name ?? type, min, max };
    }
    case 'custom': {
      allowKeys(o, ['type', 'name', 'check'], f);
      if (name === null) fail(`${f}.name`, `${f}.name is required for a custom check`);
      if (typeof o.check !== 'function') {
        fail(`${f}.check`, `${f}.check must be a function (table, ctx) => { passed, reason?, metrics? }, got ${show(o.check)}`);
      }
      return { type: 'custom', name, check: o.check as CustomCheck['check'] };
    }
  }
}

/** min/max pair: at least one, finite (non-negative integers for counts), min <= max. */
function bounds(o: Record<string, unknown>, f: string, counts: boolean): [number | null, number | null] {
  const read = (key: 'min' | 'max') => (o[key] === undefined ? null : counts ? count(o[key], `${f}.${key}`) : finite(o[key], `${f}.${key}`));
  const min = read('min');
  const max = read('max');
  if (min === null && max === null) fail(`${f}.min`, `${f}.min or ${f}.max is required (min, max, or both)`);
  if (min !== null && max !== null && min > max) fail(`${f}.min`, `${f}.min (${min}) is greater than max (${max})`);
  return [min, max];
}

function object(value: unknown, f: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(f, `${f} must be an object, got ${show(value)}`);
  return value as Record<string, unknown>;
}

function allowKeys(o: Record<string, unknown>, allowed: string[], f: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) fail(prop(f, key), `${prop(f, key)} is not a known option here; known: ${allowed.join(', ')}`);
  }
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], f: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(f, `${f} must be one of ${allowed.join(', ')}, got ${show(value)}`);
  }
  return value as T;
}

function columnName(value: unknown, f: string): string {
  if (typeof value !== 'string' || value === '') fail(f, `${f} must name a column (a non-empty string), got ${show(value)}`);
  return value;
}

function stringList(value: unknown, f: string, allowEmptyStrings: boolean): string[] {
  if (!Array.isArray(value)) fail(f, `${f} must be a list of strings, got ${show(value)}`);
  value.forEach((v, j) => {
    if (typeof v !== 'string' || (!allowEmptyStrings && v === '')) fail(`${f}[${j}]`, `${f}[${j}] must be a non-empty string, got ${show(v)}`);
  });
  return [...(value as string[])];
}

function bool(value: unknown, f: string): boolean {
  if (typeof value !== 'boolean') fail(f, `${f} must be true or false, got ${show(value)}`);
  return value;
}

function finite(value: unknown, f: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(f, `${f} must be a finite number, got ${show(value)}`);
  return value;
}

function positive(value: unknown, f: string): number {
  const n = finite(value, f);
  if (n <= 0) fail(f, `${f} must be greater than 0, got ${n}`);
  return n;
}

function ratio(value: unknown, f: string): number {
  const n = finite(value, f);
  if (n < 0 || n > 1) fail(f, `${f} must be a ratio between 0 and 1 (0.05 = 5 %), got ${n}`);
  return n;
}

function count(value: unknown, f: string): number {
  const n = finite(value, f);
  if (!Number.isInteger(n) || n < 0) fail(f, `${f} must be a whole number >= 0, got ${n}`);
  return n;
}

/** `a.b` for identifier-like keys, `a["heart rate"]` otherwise, so the path stays unambiguous. */
function prop(f: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${f}.${key}` : `${f}[${JSON.stringify(key)}]`;
}

function show(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (value === undefined) return 'nothing';
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return String(value);
  }
}

function fail(field: string, message: string): never {
  throw new ReflowError('InvalidConfiguration', message, { field });
}
