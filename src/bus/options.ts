/**
 * Bus options: loose public shape -> withDefaults() -> compile() into the strict shape the internals read
 * (Temporal's worker-options.ts is the model).
 */
import { ReflowError } from '../errors.js';

export interface EventBusOptions {
  /** 12-digit account id stamped on events and ARNs. */
  account?: string;
  region?: string;
  /** First retry delay; doubles per attempt with full jitter, capped by maxRetryDelayMs. */
  retryBaseDelayMs?: number;
  maxRetryDelayMs?: number;
  /** How long an HTTP target may take before the attempt counts as failed. */
  httpTimeoutMs?: number;
  /** Events replayed per transaction. */
  replayBatchSize?: number;
}

export interface CompiledEventBusOptions {
  account: string;
  region: string;
  retryBaseDelayMs: number;
  maxRetryDelayMs: number;
  httpTimeoutMs: number;
  replayBatchSize: number;
}

export const DEFAULT_ACCOUNT = '000000000000';
export const DEFAULT_REGION = 'us-east-1';

export function compileEventBusOptions(options: EventBusOptions = {}): CompiledEventBusOptions {
  const compiled: CompiledEventBusOptions = {
    account: options.account ?? process.env.REFLOW_ACCOUNT ?? DEFAULT_ACCOUNT,
    region: options.region ?? process.env.REFLOW_REGION ?? DEFAULT_REGION,
    retryBaseDelayMs: options.retryBaseDelayMs ?? 100,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 60_000,
    httpTimeoutMs: options.httpTimeoutMs ?? 5_000,
    replayBatchSize: options.replayBatchSize ?? 500,
  };
  if (!/^\d{12}$/.test(compiled.account)) {
    throw new ReflowError('InvalidConfiguration', `account must be 12 digits, got '${compiled.account}'`, { field: 'account' });
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(compiled.region)) {
    throw new ReflowError('InvalidConfiguration', `region '${compiled.region}' is not a region name`, { field: 'region' });
  }
  for (const key of ['retryBaseDelayMs', 'maxRetryDelayMs', 'httpTimeoutMs', 'replayBatchSize'] as const) {
    if (!Number.isFinite(compiled[key]) || compiled[key] <= 0) {
      throw new ReflowError('InvalidConfiguration', `${key} must be a positive number`, { field: key });
    }
  }
  return compiled;
}
