/**
 * S3 adapter options: a loose public shape, compiled once into the strict one the internals read (Temporal's
 * worker-options.ts is the model). Bad configuration fails here with InvalidConfiguration naming the field.
 */
import { tmpdir } from 'node:os';
import { ReflowError } from '../../errors.js';
import type { EventBus } from '../../bus/port.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3ScanOptions {
  /** The scanner's SQLite state file (what it has already emitted); ':memory:' keeps nothing across restarts. */
  statePath: string;
  /** Milliseconds between scans (default 60 s); 0 scans only when `scanNow()` is called. */
  intervalMs?: number;
  /** Port bucket names to scan (default: every remote bucket under the bucket prefix). */
  buckets?: string[];
}

export interface S3ObjectStoreOptions {
  /** Where object events go. */
  bus: EventBus;
  /** The bus the events are put on (default `default`). */
  eventBusName?: string;
  /** The S3 service, e.g. `http://127.0.0.1:7480` (default: AWS S3 for the region). */
  endpoint?: string;
  /** Default `us-east-1`. */
  region?: string;
  /** Default: the SDK's provider chain (environment, profile, instance role). */
  credentials?: S3Credentials;
  /** Path-style addressing (`endpoint/bucket/key`), which MinIO, Ceph RGW and moto want. Default true with an endpoint. */
  forcePathStyle?: boolean;
  /** Remote bucket = prefix + port bucket, so several deployments can share one service (default none). */
  bucketPrefix?: string;
  /** `detail.requester` of events when the caller names none (default `000000000000`). */
  account?: string;
  /** Bodies up to this size are spooled in memory, larger ones in a temporary file (default 8 MiB). */
  memoryBufferBytes?: number;
  /** Where larger bodies are spooled (default the OS temporary directory). */
  spoolDir?: string;
  /** Part size for objects above S3's 5 GiB single-PUT limit (default 64 MiB, grown to fit 10,000 parts). */
  partSize?: number;
  /** Parts or HEAD requests in flight at once (default 4). */
  concurrency?: number;
  /** SDK retry attempts per request (default 3). */
  maxAttempts?: number;
  /** Names the remote service in event ids (default the endpoint), so two services sharing a bus never collide. */
  storeId?: string;
  /** The change scanner (changes made behind Reflow's back); off unless given. */
  scan?: S3ScanOptions;
  /** Problems that do not fail a call (an event the bus refused and that will be retried); default console.warn. */
  onError?: (err: unknown) => void;
}

export interface CompiledS3Options {
  bus: EventBus;
  eventBusName: string;
  endpoint: string | undefined;
  region: string;
  credentials: S3Credentials | undefined;
  forcePathStyle: boolean;
  bucketPrefix: string;
  account: string;
  memoryBufferBytes: number;
  spoolDir: string;
  partSize: number;
  concurrency: number;
  maxAttempts: number;
  storeId: string;
  scan: { statePath: string; intervalMs: number; buckets: string[] | undefined } | undefined;
  onError: (err: unknown) => void;
}

const MiB = 1024 * 1024;

export function compileS3Options(o: S3ObjectStoreOptions): CompiledS3Options {
  const bad = (field: string, why: string) => new ReflowError('InvalidConfiguration', `${field} ${why}`, { field });
  if (!o || typeof o.bus?.putEvents !== 'function') throw bad('bus', 'must be an EventBus');
  if (o.endpoint !== undefined && !/^https?:\/\/[^/]+/.test(o.endpoint)) throw bad('endpoint', `must be an http(s) URL, got '${o.endpoint}'`);
  const prefix = o.bucketPrefix ?? '';
  if (prefix !== '' && !/^[a-z0-9][a-z0-9.-]*$/.test(prefix)) throw bad('bucketPrefix', 'may hold lower-case letters, digits, dots and hyphens, starting with a letter or digit');
  const positive = (field: string, v: number | undefined, dflt: number, min = 1) => {
    const value = v ?? dflt;
    if (!Number.isSafeInteger(value) || value < min) throw bad(field, `must be an integer of at least ${min}`);
    return value;
  };
  const scan = o.scan;
  if (scan !== undefined && (typeof scan.statePath !== 'string' || scan.statePath === '')) throw bad('scan.statePath', 'must name a file');
  const intervalMs = scan?.intervalMs ?? 60_000;
  if (!Number.isFinite(intervalMs) || intervalMs < 0) throw bad('scan.intervalMs', 'must be 0 or more');
  return {
    bus: o.bus,
    eventBusName: o.eventBusName ?? 'default',
    endpoint: o.endpoint,
    region: o.region ?? 'us-east-1',
    credentials: o.credentials,
    forcePathStyle: o.forcePathStyle ?? o.endpoint !== undefined,
    bucketPrefix: prefix,
    account: o.account ?? '000000000000',
    memoryBufferBytes: positive('memoryBufferBytes', o.memoryBufferBytes, 8 * MiB, 0),
    spoolDir: o.spoolDir ?? tmpdir(),
    // S3: every part but the last at least 5 MiB, at most 5 GiB.
    partSize: Math.min(5 * 1024 * MiB, positive('partSize', o.partSize, 64 * MiB, 5 * MiB)),
    concurrency: positive('concurrency', o.concurrency, 4),
    maxAttempts: positive('maxAttempts', o.maxAttempts, 3),
    storeId: o.storeId ?? o.endpoint ?? `aws:${o.region ?? 'us-east-1'}`,
    scan: scan === undefined ? undefined : { statePath: scan.statePath, intervalMs, buckets: scan.buckets },
    // eslint-disable-next-line no-console
    onError: o.onError ?? ((err) => console.warn(`reflow s3 store: ${(err as Error)?.message ?? String(err)}`)),
  };
}
