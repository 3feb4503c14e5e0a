/** NextToken paging over name-ordered listings, as EventBridge pages ListRules, ListArchives, … */
import { ReflowError } from '../errors.js';

export const DEFAULT_PAGE = 100;

export function page<T>(items: T[], key: (item: T) => string, limit: number | undefined, nextToken: string | undefined): { items: T[]; next?: string } {
  let start = 0;
  if (nextToken) {
    const after = decodeToken(nextToken);
    start = items.findIndex((item) => key(item) > after);
    if (start < 0) start = items.length;
  }
  const size = limit && limit > 0 ? limit : DEFAULT_PAGE;
  const slice = items.slice(start, start + size);
  const more = start + size < items.length;
  return more ? { items: slice, next: encodeToken(key(slice[slice.length - 1]!)) } : { items: slice };
}

function encodeToken(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through
  }
  throw new ReflowError('ValidationException', 'The NextToken provided is invalid.', { field: 'NextToken' });
}
