/**
 * Job queue options: loose public shape -> compileJobQueueOptions() -> the strict shape adapters read
 * (STYLE.md rule 8; Temporal's worker-options.ts).
 */
import { ReflowError } from '../../errors.js';
import { parseDuration, type Duration } from '../duration.js';

export interface JobQueueOptions {
  /** Attempts of a job that does not say (default 3). */
  defaultMaxAttempts?: number;
  /** Delay before the first retry (default 1 s); doubles per attempt with full jitter, capped by maxRetryDelay. */
  retryBaseDelay?: Duration;
  /** Default 5 min. */
  maxRetryDelay?: Duration;
}

export interface CompiledJobQueueOptions {
  defaultMaxAttempts: number;
  retryBaseDelayMs: number;
  maxRetryDelayMs: number;
}

export const DEFAULT_MAX_ATTEMPTS = 3;
export const MAX_ATTEMPTS_LIMIT = 1000;

export function compileJobQueueOptions(options: JobQueueOptions = {}): CompiledJobQueueOptions {
  const defaultMaxAttempts = options.defaultMaxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(defaultMaxAttempts) || defaultMaxAttempts < 1 || defaultMaxAttempts > MAX_ATTEMPTS_LIMIT) {
    throw new ReflowError('InvalidConfiguration', `defaultMaxAttempts must be an integer from 1 to ${MAX_ATTEMPTS_LIMIT}`, { field: 'defaultMaxAttempts' });
  }
  const compiled: CompiledJobQueueOptions = {
    defaultMaxAttempts,
    retryBaseDelayMs: parseDuration(options.retryBaseDelay ?? 1_000, 'retryBaseDelay', { allowZero: true }),
    maxRetryDelayMs: parseDuration(options.maxRetryDelay ?? 300_000, 'maxRetryDelay', { allowZero: true }),
  };
  if (compiled.maxRetryDelayMs < compiled.retryBaseDelayMs) {
    throw new ReflowError('InvalidConfiguration', 'maxRetryDelay must not be shorter than retryBaseDelay', { field: 'maxRetryDelay' });
  }
  return compiled;
}

/** Delay before retry number `retry` (1-based): uniform in [0, min(cap, base * 2^(retry-1))] ("full jitter"). */
export function retryDelayMs(retry: number, options: CompiledJobQueueOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxRetryDelayMs, options.retryBaseDelayMs * 2 ** Math.min(retry - 1, 30));
  return Math.floor(random() * ceiling);
}
