/**
 * Wildcard values: `*` matches any run of characters (empty included), `\*` is a literal star and `\\` a literal
 * backslash; any other escape and two stars in a row are refused, with event-ruler's messages (WildcardParser).
 * Its positions count UTF-8 bytes of the value inside its JSON quotes, so the first character is at pos 1.
 */

export interface Glob {
  /** Literal pieces between the stars, escapes resolved. */
  readonly parts: readonly string[];
  readonly leadingStar: boolean;
  readonly trailingStar: boolean;
}

/** Parses a wildcard value, or returns event-ruler's reason for refusing it. */
export function parseWildcard(value: string): Glob | string {
  const parts: string[] = [];
  let current = '';
  let bytePos = 1; // the opening quote is byte 0
  let leadingStar = false;
  let trailingStar = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '*') {
      if (value[i + 1] === '*') return `Consecutive wildcard characters at pos ${bytePos}`;
      if (i === 0) leadingStar = true;
      else parts.push(current);
      current = '';
      trailingStar = i === value.length - 1;
      bytePos += 1;
    } else if (c === '\\') {
      const next = value[i + 1];
      if (next !== '*' && next !== '\\') return `Invalid escape character at pos ${bytePos}`;
      current += next;
      i++;
      bytePos += 2;
    } else {
      current += c;
      bytePos += utf8Length(value, i);
      if (c >= '\ud800' && c <= '\udbff') {
        current += value[i + 1] ?? '';
        i++;
      }
    }
  }
  if (!trailingStar) parts.push(current);
  if (leadingStar && parts.length === 0) parts.push('');
  return { parts, leadingStar, trailingStar };
}

/** The literal text every match starts with ('' when the value starts with a star). */
export function literalPrefix(g: Glob): string {
  return g.leadingStar ? '' : g.parts[0]!;
}

/** The literal text every match ends with ('' when the value ends with a star). */
export function literalSuffix(g: Glob): string {
  return g.trailingStar ? '' : g.parts[g.parts.length - 1]!;
}

export function matchesGlob(g: Glob, s: string): boolean {
  const parts = g.parts;
  if (!g.leadingStar && !g.trailingStar && parts.length === 1) return s === parts[0];
  let from = 0;
  let first = 0;
  let last = parts.length - 1;
  if (!g.leadingStar) {
    if (!s.startsWith(parts[0]!)) return false;
    from = parts[0]!.length;
    first = 1;
  }
  let end = s.length;
  if (!g.trailingStar) {
    const tail = parts[last]!;
    if (end - from < tail.length || !s.endsWith(tail)) return false;
    end -= tail.length;
    last -= 1;
  }
  // Between fixed ends, each piece is taken at its leftmost place: with `*` as the only operator that is exact.
  for (let i = first; i <= last; i++) {
    const at = s.indexOf(parts[i]!, from);
    if (at < 0 || at + parts[i]!.length > end) return false;
    from = at + parts[i]!.length;
  }
  return true;
}

function utf8Length(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff) return 4;
  return 3;
}
