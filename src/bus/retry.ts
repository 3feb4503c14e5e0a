/**
 * Retry policy for target delivery, as EventBridge defines it: up to MaximumRetryAttempts retries (default 185)
 * while the event is younger than MaximumEventAgeInSeconds (default 86,400), with exponential backoff and full
 * jitter between attempts (AWS Architecture Blog, "Exponential Backoff And Jitter").
 */
import type { RetryPolicy } from './types.js';

export const DEFAULT_MAX_RETRY_ATTEMPTS = 185;
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 86_400;

export interface CompiledRetryPolicy {
  maxRetryAttempts: number;
  maxEventAgeMs: number;
}

export function compileRetryPolicy(policy: RetryPolicy | undefined): CompiledRetryPolicy {
  return {
    maxRetryAttempts: policy?.MaximumRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS,
    maxEventAgeMs: (policy?.MaximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS) * 1000,
  };
}

/**
 * After `attempts` failed attempts of an event accepted at `ingestMs`: give up (dead letter) or retry?
 * `retryable` is false for failures no retry can fix (an HTTP 4xx other than 429, a missing handler is retryable
 * because it may be registered later).
 */
export function shouldGiveUp(policy: CompiledRetryPolicy, attempts: number, ingestMs: number, nowMs: number, retryable: boolean): boolean {
  if (!retryable) return true;
  if (attempts > policy.maxRetryAttempts) return true;
  return nowMs - ingestMs >= policy.maxEventAgeMs;
}

/** Delay before retry number `retry` (1-based): uniform in [0, min(cap, base * 2^(retry-1))]. */
export function backoffMs(retry: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(retry - 1, 30));
  return Math.floor(random() * ceiling);
}
