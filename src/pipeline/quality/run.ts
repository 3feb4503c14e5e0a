/**
 * `runQualityChecks(spec, file)`: one streaming pass over the file, then every check judged, into a report. Bad
 * data never throws: an unparseable file, a truncated one, a custom check that throws all end as failed checks with
 * their reasons. What throws is a bad spec (`InvalidConfiguration`, naming the field) and a file that cannot be
 * opened (`NotFound`, or `InternalException` with the I/O error as cause), which are the caller's to fix or retry.
 */
import { stat } from 'node:fs/promises';
import { ReflowError, wrapError } from '../../errors.js';
import { result, type RuntimeCheck, type ScanResult } from './checks/check.js';
import { CustomRuntime } from './checks/custom.js';
import { DuplicatesRuntime } from './checks/duplicates.js';
import { MissingRuntime } from './checks/missing.js';
import { RangeRuntime } from './checks/range.js';
import { SchemaRuntime } from './checks/schema.js';
import { SizeRuntime } from './checks/size.js';
import { TimeseriesRuntime } from './checks/timeseries.js';
import { int, plural } from './format.js';
import { formatFromKey, openReader, type ReaderOptions } from './readers/open.js';
import type { DefectLog, TableReader } from './readers/source.js';
import { TableScan } from './scan.js';
import { qualitySpecHash } from './spec-hash.js';
import { makeTable } from './table.js';
import type { CheckResult, ColumnMetrics, QualityFile, QualityFormat, QualityReport, QualitySpec } from './types.js';
import { compileQualitySpec, type CompiledQualitySpec } from './validate.js';

const FORMAT_NAMES: Record<QualityFormat, string> = { csv: 'CSV', ndjson: 'NDJSON', parquet: 'Parquet' };

export interface RunOptions {
  /** Reader tuning for tests (small chunks, forcing csv-parse). */
  reader?: ReaderOptions;
}

export async function runQualityChecks(spec: QualitySpec, file: QualityFile, options: RunOptions = {}): Promise<QualityReport> {
  const compiled = compileQualitySpec(spec, 'quality');
  const specHash = qualitySpecHash(spec);
  if (typeof file?.path !== 'string' || file.path === '') {
    throw new ReflowError('InvalidArgument', 'file.path must name a local file', { field: 'file.path' });
  }
  const bytes = file.size ?? (await fileSize(file.path));
  const named = formatFromKey(file.key ?? file.path);
  const format = compiled.format ?? named?.format ?? null;
  if (format === null) {
    const key = file.key ?? file.path;
    const reason = `cannot tell the format of '${key}': the spec names none and the key does not end in .csv, .tsv, .ndjson, .jsonl, .parquet or .pq`;
    return {
      passed: false,
      format: null,
      rows: 0,
      bytes,
      specHash,
      columns: {},
      checks: [{ name: 'format', type: 'format', passed: false, reason }],
    };
  }
  const missingValues = compiled.csv.missingValues.filter((v) => v.trim() !== '');
  const readerOptions: ReaderOptions = {
    ...options.reader,
    csv: { ...(compiled.csv.delimiter ?? named?.delimiter ? { delimiter: (compiled.csv.delimiter ?? named?.delimiter)! } : {}), ...options.reader?.csv },
  };
  const open = (): TableReader => openReader(format, file.path, readerOptions);

  const checks = instantiate(compiled, missingValues.length > 0 ? new Set(missingValues) : null);
  const reader = open();
  const scan = new TableScan(reader.textual, missingValues.length > 0 ? new Set(missingValues) : null);
  for (const check of checks) check.attach?.(scan);
  try {
    await scan.run(reader);
  } catch (err) {
    throw ioError(err, file.path);
  }

  const columns: Record<string, ColumnMetrics> = {};
  for (const stats of scan.columns) columns[stats.name] = stats.metrics(scan.rows);
  const scanned: ScanResult = {
    format,
    path: file.path,
    key: file.key,
    bytes,
    rows: scan.rows,
    columnNames: scan.columns.map((c) => c.name),
    columns,
    stats: scan.byName,
    defects: reader.defects,
    reread: open,
  };
  const results: CheckResult[] = [formatCheck(scanned, reader.defects)];
  for (const check of checks) {
    try {
      results.push(await check.evaluate(scanned));
    } catch (err) {
      throw ioError(err, file.path);
    }
  }
  const report: QualityReport = {
    passed: results.every((c) => c.passed),
    format,
    rows: scan.rows,
    bytes,
    specHash,
    columns,
    checks: results,
  };
  if (reader.defects.total > 0) report.defects = reader.defects.list;
  if (reader.defects.omitted > 0) report.defectsOmitted = reader.defects.omitted;
  return report;
}

/** The reasons of the failed checks, e.g. for the `Quality Check Failed` event and the alert. */
export function failureReasons(report: QualityReport): string[] {
  return report.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.reason}`);
}

function instantiate(compiled: CompiledQualitySpec, missingValues: Set<string> | null): RuntimeCheck[] {
  return compiled.checks.map((spec) => {
    switch (spec.type) {
      case 'schema':
        return new SchemaRuntime(spec);
      case 'range':
        return new RangeRuntime(spec);
      case 'missing':
        return new MissingRuntime(spec);
      case 'duplicates':
        return new DuplicatesRuntime(spec);
      case 'timeseries':
        return new TimeseriesRuntime(spec);
      case 'fileSize':
      case 'rowCount':
        return new SizeRuntime(spec);
      case 'custom':
        return new CustomRuntime(spec, (r) => makeTable(r, missingValues));
    }
  });
}

/** The implicit first check: the file reads as its format, with no defects. */
function formatCheck(r: ScanResult, defects: DefectLog): CheckResult {
  const check = { name: `format(${r.format})`, type: 'format' as const };
  const metrics = {
    defects: defects.total,
    truncated: defects.count('truncated'),
    raggedRows: defects.count('ragged-row'),
    malformedLines: defects.count('malformed-line'),
  };
  const name = FORMAT_NAMES[r.format];
  if (defects.total === 0) {
    return result(check, true, `valid ${name}, ${plural(r.columnNames.length, 'column')}, ${plural(r.rows, 'row')}`, metrics);
  }
  if (r.rows === 0 && defects.count('malformed-line') > 0 && defects.fatal === null) {
    return result(check, false, `not valid ${name}: no line is a JSON object (${defects.list[0]!.message})`, metrics);
  }
  // The fatal defect (if any) first: it is why the rest of the file went unread.
  const ordered = defects.fatal ? [defects.fatal, ...defects.list.filter((d) => d !== defects.fatal)] : defects.list;
  const shown = ordered.slice(0, 3).map((d) => d.message);
  const more = defects.total > shown.length ? `; ${int(defects.total - shown.length)} more (${plural(defects.total, 'defect')} in all)` : '';
  return result(check, false, shown.join('; ') + more, metrics);
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    throw ioError(err, path);
  }
}

function ioError(err: unknown, path: string): ReflowError {
  if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') {
    return new ReflowError('NotFound', `the file to check does not exist: ${path}`, { field: 'file.path', cause: err });
  }
  return wrapError(err, 'InternalException', `reading ${path} failed: ${(err as Error)?.message ?? String(err)}`);
}
