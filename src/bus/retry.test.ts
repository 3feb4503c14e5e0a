import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, compileRetryPolicy, shouldGiveUp } from './retry.js';

test('defaults follow EventBridge: 185 retries within 24 hours', () => {
  assert.deepEqual(compileRetryPolicy(undefined), { maxRetryAttempts: 185, maxEventAgeMs: 86_400_000 });
  assert.deepEqual(compileRetryPolicy({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 }), { maxRetryAttempts: 0, maxEventAgeMs: 60_000 });
});

test('gives up after the last retry, when the event is too old, or when the failure is not retryable', () => {
  const policy = compileRetryPolicy({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 });
  assert.equal(shouldGiveUp(policy, 1, 0, 1000, true), false); // first attempt failed, two retries left
  assert.equal(shouldGiveUp(policy, 3, 0, 1000, true), true); // the original attempt plus two retries failed
  assert.equal(shouldGiveUp(policy, 1, 0, 60_000, true), true);
  assert.equal(shouldGiveUp(policy, 1, 0, 1000, false), true);
});

test('backoff grows exponentially under a cap, with full jitter', () => {
  assert.equal(backoffMs(1, 100, 10_000, () => 0.999999), 99);
  assert.equal(backoffMs(4, 100, 10_000, () => 0.5), 400);
  assert.equal(backoffMs(40, 100, 10_000, () => 0.5), 5_000);
  assert.equal(backoffMs(3, 100, 10_000, () => 0), 0);
});
