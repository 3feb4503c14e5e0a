/**
 * Shared by the real-client tests: Reflow's S3 endpoint in this process on a free port, over the local adapter
 * (FsObjectStore) and a real SQLite bus in a temporary data directory, laid out as `reflow up` lays it out; and the
 * rule for a missing client (fail under CI=true, skip loudly elsewhere).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SqliteEventBus } from '../../../src/bus/sqlite/index.js';
import type { EventEnvelope } from '../../../src/bus/types.js';
import { buildS3Server } from '../../../src/server/s3/index.js';
import { FsObjectStore } from '../../../src/store/local/index.js';
import type { ObjectStore } from '../../../src/store/port.js';

export const ACCESS_KEY_ID = 'AKIAREFLOWTEST000001';
export const SECRET_ACCESS_KEY = 'reflow/test/secret/key/0123456789abcdefghij';

export interface RunningEndpoint {
  url: string;
  port: number;
  store: ObjectStore;
  app: FastifyInstance;
  dataDir: string;
  /** Which store backs it: `fs` (the local adapter). */
  storeKind: string;
  /** The bus the store's object events go to. */
  bus: SqliteEventBus;
  /** Object events (`source: aws.s3`) on the bus so far, after the store's outbox has been flushed. */
  objectEvents(): Promise<EventEnvelope[]>;
  close(): Promise<void>;
}

export async function startEndpoint(options: { maxObjectSize?: number; now?: () => Date } = {}): Promise<RunningEndpoint> {
  const dataDir = mkdtempSync(join(tmpdir(), 'reflow-s3-'));
  const bus = SqliteEventBus.open({ path: join(dataDir, 'bus.db') });
  const storeOptions: Parameters<typeof FsObjectStore.open>[0] = { dir: join(dataDir, 'store'), bus };
  if (options.maxObjectSize !== undefined) storeOptions.maxObjectSize = options.maxObjectSize;
  const store = await FsObjectStore.open(storeOptions);
  const serverOptions: Parameters<typeof buildS3Server>[0] = {
    store,
    credentials: (id) => (id === ACCESS_KEY_ID ? SECRET_ACCESS_KEY : undefined),
  };
  if (options.maxObjectSize !== undefined) serverOptions.maxObjectSize = options.maxObjectSize;
  if (options.now !== undefined) serverOptions.now = options.now;
  const app = await buildS3Server(serverOptions);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    store,
    app,
    dataDir,
    storeKind: 'fs',
    bus,
    objectEvents: async () => {
      await store.flushEvents();
      return (await logEvents(bus)).filter((e) => e.source === 'aws.s3');
    },
    async close() {
      await app.close();
      await store.close();
      await bus.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every event on a bus's log, read through the bus's own tail from the first position up to a sentinel. */
export async function logEvents(bus: SqliteEventBus, EventBusName = 'default'): Promise<EventEnvelope[]> {
  await bus.putEvents({ Entries: [{ Source: 'reflow.test.sentinel', DetailType: 'End of log', Detail: '{}', EventBusName }] });
  const out: EventEnvelope[] = [];
  for await (const item of bus.tail({ After: 0, EventBusName })) {
    if (item.Event.source === 'reflow.test.sentinel') break;
    out.push(item.Event);
  }
  return out;
}

/** Why a client cannot run here, or undefined when it can. Under CI=true a missing client is a failure, not a skip. */
export function missingClient(command: string, args: string[], env?: NodeJS.ProcessEnv): string | undefined {
  const r = spawnSync(command, args, { encoding: 'utf8', env: env ?? process.env, timeout: 30_000 });
  if (r.status === 0) return undefined;
  const reason = `${command} ${args.join(' ')} is not usable here: ${r.error?.message ?? r.stderr?.trim().split('\n').at(-1) ?? `exit ${r.status}`}`;
  if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: .ci/run installs it)`);
  console.warn(`SKIPPING: ${reason}`);
  return reason;
}

/** Environment for aws-cli and boto3 pointed at the endpoint. */
export function awsEnv(endpoint: RunningEndpoint, home: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: endpoint.url,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    HOME: home,
  };
}
