/**
 * The paging rules S3's listings share: keys in UTF-8 byte order, a delimiter that folds keys into common prefixes,
 * a marker after which a page starts. Adapters feed rows in key order; this decides what a page holds.
 */

/**
 * The smallest string greater than every string that starts with `prefix`: its last code point plus one. UTF-8
 * preserves code point order, so this bound holds for SQLite's byte-wise TEXT comparison too.
 */
export function prefixSuccessor(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length) {
    const last = points.pop()!.codePointAt(0)!;
    if (last >= 0x10ffff) continue;
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
    return points.join('') + String.fromCodePoint(next);
  }
  return undefined;
}

/** The common prefix `key` folds into under `prefix` + `delimiter`, or undefined when it lists as itself. */
export function commonPrefixOf(key: string, prefix: string, delimiter: string | undefined): string | undefined {
  if (!delimiter) return undefined;
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}

/** Opaque continuation tokens: the last key or prefix a page ended on. */
export function encodeToken(after: string): string {
  return Buffer.from(JSON.stringify({ a: after }), 'utf8').toString('base64url');
}

export function decodeToken(token: string): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { a?: unknown };
    return typeof parsed.a === 'string' ? parsed.a : undefined;
  } catch {
    return undefined;
  }
}
