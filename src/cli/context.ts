/**
 * What every command shares: the endpoint option, the client built from it, JSON output, and error reporting
 * (`<code>: <message>` on stderr, exit code 1; 2 for input the command itself rejects, like an invalid pattern).
 */
import type { Command } from 'commander';
import { createClient, type Credentials, type ReflowClient } from '../client/index.js';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:7070';

export interface EndpointOptions {
  endpoint: string;
  region?: string;
}

/** Adds --endpoint (env REFLOW_ENDPOINT) and --region to a command that talks to a server. */
export function withEndpoint(command: Command): Command {
  return command
    .option('--endpoint <url>', 'Reflow API endpoint (env REFLOW_ENDPOINT)', process.env.REFLOW_ENDPOINT ?? DEFAULT_ENDPOINT)
    .option('--region <region>', 'signing region (env REFLOW_REGION)', process.env.REFLOW_REGION ?? 'us-east-1');
}

/** Credentials from the environment: REFLOW_ROOT_ACCESS_KEY_ID/REFLOW_ROOT_SECRET_ACCESS_KEY, else AWS_*. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const id = env.REFLOW_ROOT_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID;
  const secret = env.REFLOW_ROOT_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY;
  if (!id || !secret) return undefined;
  const credentials: Credentials = { accessKeyId: id, secretAccessKey: secret };
  if (!env.REFLOW_ROOT_ACCESS_KEY_ID && env.AWS_SESSION_TOKEN) credentials.sessionToken = env.AWS_SESSION_TOKEN;
  return credentials;
}

export function clientFor(options: EndpointOptions): ReflowClient {
  const clientOptions: Parameters<typeof createClient>[0] = { endpoint: options.endpoint, maxAttempts: 1 };
  if (options.region) clientOptions.region = options.region;
  const credentials = credentialsFromEnv();
  if (credentials) clientOptions.credentials = credentials;
  return createClient(clientOptions);
}

/** Prints a result as JSON on stdout (without the SDK's $metadata). */
export function printJson(value: unknown): void {
  if (value !== null && typeof value === 'object' && '$metadata' in value) {
    const { $metadata: _ignored, ...rest } = value as Record<string, unknown>;
    value = rest;
  }
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** An error the command reports with its own exit code (2: the input itself is invalid). */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

function describeError(err: unknown): { code: string; message: string; exitCode: number } {
  if (err instanceof CliError) return { code: err.code, message: err.message, exitCode: err.exitCode };
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } } | undefined;
  const network = e?.code ?? e?.cause?.code;
  if (network === 'ECONNREFUSED' || network === 'ENOTFOUND' || network === 'ECONNRESET') {
    return { code: 'ConnectionError', message: `cannot reach the Reflow API (${network}); is \`reflow up\` running?`, exitCode: 1 };
  }
  // SDK errors carry the code in `name`; ReflowError/ReflowClientError in `code` too.
  const code = (typeof e?.code === 'string' && /^[A-Z]/.test(e.code) ? e.code : undefined) ?? e?.name ?? 'Error';
  return { code, message: e?.message ?? String(err), exitCode: 1 };
}

export function reportError(err: unknown): void {
  const { code, message, exitCode } = describeError(err);
  process.stderr.write(`${code}: ${message}\n`);
  process.exitCode = exitCode;
}

/** Wraps a command action: errors are reported, never thrown at commander. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      reportError(err);
    }
  };
}
