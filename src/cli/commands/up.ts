/** `reflow up`: the embedded platform and its HTTP API in this process, until SIGINT/SIGTERM. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createReflow } from '../../compose.js';
import { buildServer } from '../../server/index.js';
import { action, CliError } from '../context.js';
import { intArg } from '../input.js';

interface UpOptions {
  dataDir: string;
  port: string;
  host: string;
  account?: string;
  region?: string;
  log?: boolean;
}

/** SigV4 is on when both REFLOW_ROOT_ACCESS_KEY_ID and REFLOW_ROOT_SECRET_ACCESS_KEY are set. */
export function rootCredentials(env: NodeJS.ProcessEnv = process.env): ((accessKeyId: string) => string | undefined) | undefined {
  const id = env.REFLOW_ROOT_ACCESS_KEY_ID;
  const secret = env.REFLOW_ROOT_SECRET_ACCESS_KEY;
  if (!id || !secret) return undefined;
  return (accessKeyId) => (accessKeyId === id ? secret : undefined);
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('run Reflow (embedded bus + HTTP API) in this process')
    .option('--data-dir <dir>', 'where the embedded adapters keep their files (env REFLOW_DATA_DIR)', process.env.REFLOW_DATA_DIR ?? './.reflow')
    .option('--port <n>', 'API port (env REFLOW_PORT; 0 picks a free one)', process.env.REFLOW_PORT ?? '7070')
    .option('--host <host>', 'API listen address (env REFLOW_HOST)', process.env.REFLOW_HOST ?? '127.0.0.1')
    .option('--account <id>', '12-digit account id in events and ARNs (env REFLOW_ACCOUNT)')
    .option('--region <region>', 'region in events and ARNs (env REFLOW_REGION)')
    .option('--log', 'log every request')
    .action(
      action(async (options: UpOptions) => {
        const port = intArg(options.port, '--port');
        if (port < 0 || port > 65535) throw new CliError('InvalidArgument', `--port ${port} is out of range`, 2);
        const dataDir = resolve(options.dataDir);
        const config: Parameters<typeof createReflow>[0] = { dataDir };
        if (options.account) config.account = options.account;
        if (options.region) config.region = options.region;
        const reflow = await createReflow(config);
        const credentials = rootCredentials();
        const serverOptions: Parameters<typeof buildServer>[0] = { bus: reflow.bus, logger: options.log === true };
        if (credentials) serverOptions.credentials = credentials;
        const app = await buildServer(serverOptions);
        try {
          await app.listen({ port, host: options.host });
        } catch (err) {
          await reflow.close();
          throw err;
        }
        const address = app.server.address();
        const actualPort = typeof address === 'object' && address ? address.port : port;
        const host = options.host.includes(':') ? `[${options.host}]` : options.host;
        process.stdout.write(
          `Reflow API listening on http://${host}:${actualPort} (data dir ${dataDir}, SigV4 ${credentials ? 'on' : 'off'})\n`,
        );

        let stopping = false;
        const stop = async (signal: string) => {
          if (stopping) return;
          stopping = true;
          process.stdout.write(`${signal}: shutting down\n`);
          try {
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
