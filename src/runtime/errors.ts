/**
 * The runtime's error codes (declared in the one registry, src/errors.ts, with anchors in docs/errors.md). A failed
 * attempt records one of the first four in its log and in the dead letters; the rest answer operator calls.
 */
import type { ErrorCode } from '../errors.js';

export const RUNTIME_ERROR_CODES = [
  'TransformFailed',
  'TransformTimedOut',
  'TransformWroteNothing',
  'WorkerDied',
  'JobCancelled',
  'JobNotFound',
  'InvalidJobState',
] as const satisfies readonly ErrorCode[];

export type RuntimeErrorCode = (typeof RUNTIME_ERROR_CODES)[number];
