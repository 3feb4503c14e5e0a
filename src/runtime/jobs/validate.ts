/**
 * Enqueue requests are checked before anything is stored, each error naming its field; adapters share this so
 * every adapter refuses the same requests with the same codes.
 */
import { ReflowError } from '../../errors.js';
import { describe } from '../duration.js';
import type { EnqueueRequest } from './port.js';
import { MAX_ATTEMPTS_LIMIT, type CompiledJobQueueOptions } from './options.js';

export const MAX_JOB_ID_LENGTH = 512;
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

export interface CheckedRequest {
  id: string;
  kind: string;
  payloadJson: string;
  maxAttempts: number;
  timeoutMs: number | null;
}

export function checkEnqueueRequest(request: EnqueueRequest, options: CompiledJobQueueOptions, at = ''): CheckedRequest {
  const f = (name: string) => (at ? `${at}.${name}` : name);
  const bad = (name: string, message: string): never => {
    throw new ReflowError('InvalidArgument', `${f(name)} ${message}`, { field: f(name) });
  };
  if (request === null || typeof request !== 'object') bad('', 'must be an object');
  const { id, kind, payload, maxAttempts, timeoutMs } = request;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_JOB_ID_LENGTH || id.includes('\0')) {
    bad('id', `must be a non-empty string of at most ${MAX_JOB_ID_LENGTH} characters, got ${describe(id)}`);
  }
  if (typeof kind !== 'string' || !/^[A-Za-z][A-Za-z0-9._-]{0,63}$/.test(kind)) {
    bad('kind', `must be a name of letters, digits, '.', '_' or '-' (at most 64), got ${describe(kind)}`);
  }
  let payloadJson: string | undefined;
  try {
    payloadJson = JSON.stringify(payload);
  } catch (err) {
    bad('payload', `is not JSON-serialisable: ${(err as Error).message}`);
  }
  if (payloadJson === undefined) bad('payload', 'is missing or not a JSON value');
  if (Buffer.byteLength(payloadJson!) > MAX_PAYLOAD_BYTES) bad('payload', `is larger than ${MAX_PAYLOAD_BYTES} bytes of JSON`);
  const attempts = maxAttempts ?? options.defaultMaxAttempts;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > MAX_ATTEMPTS_LIMIT) {
    bad('maxAttempts', `must be an integer from 1 to ${MAX_ATTEMPTS_LIMIT}, got ${describe(maxAttempts)}`);
  }
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > 2 ** 31 - 1)) {
    bad('timeoutMs', `must be a positive integer number of milliseconds (or absent: no time limit), got ${describe(timeoutMs)}`);
  }
  return { id, kind, payloadJson: payloadJson!, maxAttempts: attempts, timeoutMs: timeoutMs ?? null };
}
