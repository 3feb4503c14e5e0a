/**
 * A real Reflow for tests: a SqliteEventBus in a fresh temporary directory behind buildServer, listening on an
 * ephemeral port, with the real AWS SDK (and Reflow's client) pointed at it. No mocks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SqliteEventBus } from '../../src/bus/sqlite/index.js';
import { buildServer, type ServerOptions } from '../../src/server/index.js';
import { createClient, type Credentials, type ReflowClient } from '../../src/client/index.js';

export const TEST_ACCOUNT = '111122223333';
export const TEST_REGION = 'us-east-1';
export const TEST_CREDENTIALS: Credentials = { accessKeyId: 'AKIDREFLOWTEST', secretAccessKey: 'reflow-test-secret' };

export interface TestReflow {
  bus: SqliteEventBus;
  app: FastifyInstance;
  endpoint: string;
  dataDir: string;
  /** The AWS SDK against this server (no retries, so each call is one request). */
  sdk(options?: { credentials?: Credentials; region?: string }): EventBridgeClient;
  client(options?: { credentials?: Credentials }): ReflowClient;
  close(): Promise<void>;
}

export interface TestReflowOptions {
  /** Turn SigV4 verification on with these credentials. */
  auth?: Credentials;
  /** Fast retries so failing targets reach their dead letter quickly. */
  retryBaseDelayMs?: number;
  maxRetryDelayMs?: number;
  server?: Partial<ServerOptions>;
  /** Skip listening (app.inject() only). */
  listen?: boolean;
}

export async function startReflow(options: TestReflowOptions = {}): Promise<TestReflow> {
  const dataDir = mkdtempSync(join(tmpdir(), 'reflow-test-'));
  const bus = SqliteEventBus.open({
    path: join(dataDir, 'bus.db'),
    account: TEST_ACCOUNT,
    region: TEST_REGION,
    retryBaseDelayMs: options.retryBaseDelayMs ?? 5,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 50,
    httpTimeoutMs: 2_000,
  });
  const serverOptions: ServerOptions = { bus, ...options.server };
  if (options.auth) {
    const { accessKeyId, secretAccessKey } = options.auth;
    serverOptions.credentials = (id) => (id === accessKeyId ? secretAccessKey : undefined);
  }
  const app = await buildServer(serverOptions);
  let endpoint = 'http://127.0.0.1:0';
  if (options.listen !== false) {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  } else {
    await app.ready();
  }
  const clients: Array<{ destroy(): void }> = [];
  return {
    bus,
    app,
    endpoint,
    dataDir,
    sdk(sdkOptions = {}) {
      const sdk = new EventBridgeClient({
        endpoint,
        region: sdkOptions.region ?? TEST_REGION,
        credentials: sdkOptions.credentials ?? options.auth ?? { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      });
      clients.push(sdk);
      return sdk;
    },
    client(clientOptions = {}) {
      const credentials = clientOptions.credentials ?? options.auth;
      const client = createClient({ endpoint, maxAttempts: 1, ...(credentials ? { credentials } : {}) });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.destroy();
      await app.close();
      await bus.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
