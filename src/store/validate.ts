/** Checks on names that every adapter applies before touching storage, so bad input never changes anything. */
import { ReflowError } from '../errors.js';

/** S3's key limit, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function validateBucketName(name: unknown, field = 'Bucket'): asserts name is string {
  if (typeof name !== 'string' || !BUCKET_NAME.test(name) || name.includes('..') || IPV4.test(name)) {
    throw new ReflowError('InvalidBucketName', `The specified bucket is not valid: ${JSON.stringify(name)}.`, { field });
  }
}

/**
 * S3 accepts any UTF-8 key up to 1,024 bytes. Reflow also refuses NUL and `.`/`..` segments: keys become file paths
 * in every tool that downloads a bucket (aws s3 sync, rclone), where `..` escapes the target directory.
 */
export function validateKey(key: unknown, field = 'Key'): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new ReflowError('InvalidObjectName', 'The key must be a non-empty string.', { field });
  }
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new ReflowError('KeyTooLongError', `Your key is too long: ${Buffer.byteLength(key, 'utf8')} bytes, at most ${MAX_KEY_BYTES}.`, { field });
  }
  if (key.includes('\0')) {
    throw new ReflowError('InvalidObjectName', 'The key contains a NUL character.', { field });
  }
  // Lone surrogates cannot be encoded as UTF-8, so two different keys would be stored as the same bytes.
  if (/\p{Cs}/u.test(key)) {
    throw new ReflowError('InvalidObjectName', 'The key is not valid UTF-8.', { field });
  }
  for (const segment of key.split('/')) {
    if (segment === '..' || segment === '.') {
      throw new ReflowError('InvalidObjectName', `The key has a "${segment}" path segment: ${JSON.stringify(key)}.`, { field });
    }
  }
}

export function validateMaxKeys(value: number | undefined, field: string): number {
  if (value === undefined) return 1000;
  if (!Number.isInteger(value) || value < 0) {
    throw new ReflowError('InvalidArgument', `${field} must be an integer between 0 and 1000.`, { field });
  }
  return Math.min(value, 1000);
}

export function validatePartNumber(partNumber: unknown): asserts partNumber is number {
  if (typeof partNumber !== 'number' || !Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
    throw new ReflowError('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive.', { field: 'PartNumber' });
  }
}

/** `"abc"` and `abc` name the same ETag; S3 compares them without quotes. */
export function bareEtag(etag: string): string {
  return etag.startsWith('"') && etag.endsWith('"') && etag.length >= 2 ? etag.slice(1, -1) : etag;
}
