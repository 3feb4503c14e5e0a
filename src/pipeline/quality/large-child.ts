/**
 * Child process of large.test.ts: runs the checks on one file under tight V8 heap limits (set by the parent) and
 * prints the report's essentials and the peak RSS growth as JSON. A scan whose memory followed the file size would
 * die here with an out-of-memory error instead.
 */
import { karliSpec } from './fixtures.js';
import { runQualityChecks } from './index.js';
import type { QualitySpec } from './types.js';

const [path, mode] = process.argv.slice(2);
const spec: QualitySpec =
  mode === 'duplicates' ? { checks: [{ type: 'duplicates' }] } : { checks: karliSpec().checks.filter((c) => c.type !== 'duplicates') };
const base = process.memoryUsage().rss;
let peak = base;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
const report = await runQualityChecks(spec, { path: path! });
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
process.stdout.write(
  JSON.stringify({
    rows: report.rows,
    bytes: report.bytes,
    growthBytes: peak - base,
    checks: report.checks.map((c) => ({ name: c.name, passed: c.passed, reason: c.reason, metrics: c.metrics })),
  }),
);
