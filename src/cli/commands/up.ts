/** `reflow up`: the embedded platform and its HTTP API in this process, until SIGINT/SIGTERM. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createReflow } from '../../compose.js';
import { buildServer } from '../../server/index.js';
import { buildS3Server } from '../../server/s3/index.js';
import { action, CliError } from '../context.js';
import { intArg } from '../input.js';

interface UpOptions {
  dataDir: string;
  port: string;
  s3Port: string;
  host: string;
  account?: string;
  region?: string;
  log?: boolean;
  project?: string;
  storeEndpoint?: string;
  storeBucketPrefix?: string;
}

/** The S3-compatible service behind the store, when `--store-endpoint` (env REFLOW_STORE_ENDPOINT) names one. */
export function remoteStore(options: { storeEndpoint?: string; storeBucketPrefix?: string; region?: string }, env: NodeJS.ProcessEnv = process.env) {
  if (!options.storeEndpoint) return undefined;
  const store: NonNullable<Parameters<typeof createReflow>[0]['store']> & { kind: 's3' } = { kind: 's3', endpoint: options.storeEndpoint, region: env.REFLOW_STORE_REGION ?? options.region ?? 'us-east-1' };
  if (env.REFLOW_STORE_ACCESS_KEY_ID && env.REFLOW_STORE_SECRET_ACCESS_KEY) {
    store.credentials = { accessKeyId: env.REFLOW_STORE_ACCESS_KEY_ID, secretAccessKey: env.REFLOW_STORE_SECRET_ACCESS_KEY };
  }
  if (options.storeBucketPrefix) store.bucketPrefix = options.storeBucketPrefix;
  if (env.REFLOW_STORE_SCAN_INTERVAL_MS) store.scanIntervalMs = Number(env.REFLOW_STORE_SCAN_INTERVAL_MS);
  return store;
}

/** SigV4 is on when both REFLOW_ROOT_ACCESS_KEY_ID and REFLOW_ROOT_SECRET_ACCESS_KEY are set. */
export function rootCredentials(env: NodeJS.ProcessEnv = process.env): ((accessKeyId: string) => string | undefined) | undefined {
  const id = env.REFLOW_ROOT_ACCESS_KEY_ID;
  const secret = env.REFLOW_ROOT_SECRET_ACCESS_KEY;
  if (!id || !secret) return undefined;
  return (accessKeyId) => (accessKeyId === id ? secret : undefined);
}

/**
 * S3 clients always sign, so the S3 endpoint always checks signatures. Without root credentials in the environment
 * it accepts this documented development key pair, and says so when it starts.
 */
export const DEV_S3_CREDENTIALS = { accessKeyId: 'REFLOWDEVACCESSKEY01', secretAccessKey: 'reflow-dev-secret-change-me' } as const;

export function s3Credentials(env: NodeJS.ProcessEnv = process.env): { lookup: (accessKeyId: string) => string | undefined; accessKeyId: string; dev: boolean } {
  const root = rootCredentials(env);
  if (root) return { lookup: root, accessKeyId: env.REFLOW_ROOT_ACCESS_KEY_ID!, dev: false };
  const { accessKeyId, secretAccessKey } = DEV_S3_CREDENTIALS;
  return { lookup: (id) => (id === accessKeyId ? secretAccessKey : undefined), accessKeyId, dev: true };
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('run Reflow (embedded bus and store, HTTP API, S3 endpoint) in this process')
    .option('--data-dir <dir>', 'where the embedded adapters keep their files (env REFLOW_DATA_DIR)', process.env.REFLOW_DATA_DIR ?? './.reflow')
    .option('--port <n>', 'API port (env REFLOW_PORT; 0 picks a free one)', process.env.REFLOW_PORT ?? '7070')
    .option('--s3-port <n>', 'S3 endpoint port (env REFLOW_S3_PORT; 0 picks a free one)', process.env.REFLOW_S3_PORT ?? '7071')
    .option('--host <host>', 'API listen address (env REFLOW_HOST)', process.env.REFLOW_HOST ?? '127.0.0.1')
    .option('--account <id>', '12-digit account id in events and ARNs (env REFLOW_ACCOUNT)')
    .option('--region <region>', 'region in events and ARNs (env REFLOW_REGION)')
    .option('--project <dir>', 'run the data pipeline of this project (reflow.config.ts); it is applied at start (env REFLOW_PROJECT)', process.env.REFLOW_PROJECT)
    .option('--store-endpoint <url>', 'keep objects in this S3-compatible service instead of the data dir (env REFLOW_STORE_ENDPOINT; credentials REFLOW_STORE_ACCESS_KEY_ID / REFLOW_STORE_SECRET_ACCESS_KEY)', process.env.REFLOW_STORE_ENDPOINT)
    .option('--store-bucket-prefix <prefix>', 'prefix of the remote bucket names (env REFLOW_STORE_BUCKET_PREFIX)', process.env.REFLOW_STORE_BUCKET_PREFIX)
    .option('--log', 'log every request')
    .action(
      action(async (options: UpOptions) => {
        const port = intArg(options.port, '--port');
        if (port < 0 || port > 65535) throw new CliError('InvalidArgument', `--port ${port} is out of range`, 2);
        const s3Port = intArg(options.s3Port, '--s3-port');
        if (s3Port < 0 || s3Port > 65535) throw new CliError('InvalidArgument', `--s3-port ${s3Port} is out of range`, 2);
        const dataDir = resolve(options.dataDir);
        const config: Parameters<typeof createReflow>[0] = { dataDir };
        if (options.account) config.account = options.account;
        if (options.region) config.region = options.region;
        if (options.project) config.projectDir = resolve(options.project);
        const remote = remoteStore(options);
        if (remote) config.store = remote;
        const reflow = await createReflow(config);
        const credentials = rootCredentials();
        const serverOptions: Parameters<typeof buildServer>[0] = { bus: reflow.bus, logger: options.log === true };
        if (credentials) serverOptions.credentials = credentials;
        if (reflow.pipeline) serverOptions.pipeline = reflow.pipeline;
        const app = await buildServer(serverOptions);
        const s3 = s3Credentials();
        const s3App = await buildS3Server({ store: reflow.store, credentials: s3.lookup, logger: options.log === true, ...(options.region ? { region: options.region } : {}) });
        try {
          await app.listen({ port, host: options.host });
          await s3App.listen({ port: s3Port, host: options.host });
        } catch (err) {
          await s3App.close();
          await app.close();
          await reflow.close();
          throw err;
        }
        const host = options.host.includes(':') ? `[${options.host}]` : options.host;
        const portOf = (server: typeof app.server, fallback: number) => {
          const address = server.address();
          return typeof address === 'object' && address ? address.port : fallback;
        };
        process.stdout.write(
          `Reflow API listening on http://${host}:${portOf(app.server, port)} (data dir ${dataDir}, SigV4 ${credentials ? 'on' : 'off'})\n`,
        );
        process.stdout.write(`Reflow S3 endpoint listening on http://${host}:${portOf(s3App.server, s3Port)} (SigV4 with access key id ${s3.accessKeyId})\n`);
        if (reflow.pipeline && reflow.applied) {
          const project = reflow.pipeline.project()!;
          process.stdout.write(`Project ${project.name} (${project.dir}) applied:\n${reflow.applied.text}\n`);
          for (const r of reflow.applied.rebuilds) process.stdout.write(`  rebuild #${r.id} of dataset ${r.dataset}: ${r.staleAtStart} items → ${r.toTransformVersion}\n`);
        }
        if (s3.dev) {
          process.stdout.write(
            `  REFLOW_ROOT_ACCESS_KEY_ID / REFLOW_ROOT_SECRET_ACCESS_KEY are not set: S3 clients sign with the development key pair ` +
              `${DEV_S3_CREDENTIALS.accessKeyId} / ${DEV_S3_CREDENTIALS.secretAccessKey}\n`,
          );
        }

        let stopping = false;
        const stop = async (signal: string) => {
          if (stopping) return;
          stopping = true;
          process.stdout.write(`${signal}: shutting down\n`);
          try {
            // Reverse order of start: the S3 endpoint, the API, then the store and the bus.
            await s3App.close();
            await app.close();
            await reflow.close();
            process.exit(0);
          } catch (err) {
            process.stderr.write(`InternalException: shutdown failed: ${(err as Error).message}\n`);
            process.exit(1);
          }
        };
        process.once('SIGINT', () => void stop('SIGINT'));
        process.once('SIGTERM', () => void stop('SIGTERM'));
      }),
    );
}
