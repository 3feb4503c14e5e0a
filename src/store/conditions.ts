/**
 * S3's conditional-request rules (RFC 7232 as S3 applies them), shared by every adapter that evaluates them itself.
 * If-Match that holds overrides a failing If-Unmodified-Since; If-None-Match that fails (no match) overrides a
 * holding If-Modified-Since. Dates compare at second precision, as HTTP dates carry no more.
 */
import { ReflowError } from '../errors.js';
import type { Conditions } from './types.js';
import { bareEtag } from './validate.js';

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

function etagMatches(condition: string, etag: string): boolean {
  if (condition.trim() === '*') return true;
  const bare = bareEtag(etag);
  return condition.split(',').some((c) => bareEtag(c.trim().replace(/^W\//, '')) === bare);
}

/** Throws PreconditionFailed (412) or NotModified (304) when the conditions say the read must not go ahead. */
export function checkReadConditions(conditions: Conditions | undefined, etag: string, lastModified: Date, details: Record<string, unknown> = {}): void {
  if (!conditions) return;
  const { ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince } = conditions;
  if (ifMatch !== undefined && !etagMatches(ifMatch, etag)) {
    throw new ReflowError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { field: 'If-Match', details });
  }
  if (ifMatch === undefined && ifUnmodifiedSince !== undefined && seconds(lastModified) > seconds(ifUnmodifiedSince)) {
    throw new ReflowError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { field: 'If-Unmodified-Since', details });
  }
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, etag)) {
    throw new ReflowError('NotModified', 'Not Modified', { field: 'If-None-Match', details });
  }
  if (ifNoneMatch === undefined && ifModifiedSince !== undefined && seconds(lastModified) <= seconds(ifModifiedSince)) {
    throw new ReflowError('NotModified', 'Not Modified', { field: 'If-Modified-Since', details });
  }
}

/** Copy-source conditions: the same rules, but a failing none-match or modified-since is a 412, not a 304. */
export function checkCopySourceConditions(conditions: Conditions | undefined, etag: string, lastModified: Date): void {
  try {
    checkReadConditions(conditions, etag, lastModified);
  } catch (err) {
    if (err instanceof ReflowError && err.code === 'NotModified') {
      throw new ReflowError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { field: `x-amz-copy-source-${err.field?.toLowerCase()}` });
    }
    throw err;
  }
}

/** Conditional writes: `If-None-Match: *` refuses an existing object; `If-Match` needs the current ETag. */
export function checkWriteConditions(conditions: Pick<Conditions, 'ifMatch' | 'ifNoneMatch'> | undefined, current: { etag: string } | undefined): void {
  if (!conditions) return;
  if (conditions.ifNoneMatch !== undefined) {
    if (conditions.ifNoneMatch.trim() !== '*') {
      throw new ReflowError('NotImplemented', 'A header you provided implies functionality that is not implemented: If-None-Match other than *.', { field: 'If-None-Match' });
    }
    if (current) throw new ReflowError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { field: 'If-None-Match' });
  }
  if (conditions.ifMatch !== undefined) {
    if (!current) throw new ReflowError('NoSuchKey', 'The specified key does not exist.', { field: 'If-Match' });
    if (!etagMatches(conditions.ifMatch, current.etag)) {
      throw new ReflowError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { field: 'If-Match' });
    }
  }
}

/** Resolves a byte range against a size: the inclusive span, or InvalidRange (416). */
export function resolveRange(range: { start: number; end?: number } | { suffix: number }, size: number): { start: number; end: number } {
  const invalid = () => new ReflowError('InvalidRange', 'The requested range is not satisfiable', { field: 'Range', details: { size } });
  if ('suffix' in range) {
    if (!Number.isSafeInteger(range.suffix) || range.suffix <= 0 || size === 0) throw invalid();
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0 || start >= size) throw invalid();
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) throw invalid();
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}
