/**
 * What one cell holds: its kind (a bit, so a column's kinds combine into a mask) and its numeric value. This runs for
 * every cell of every file, so it avoids regular expressions and allocation on the common paths (numbers, ISO
 * timestamps); a 1 MB CSV is ~120,000 cells and the whole scan has a budget of a few milliseconds.
 */

export const MISSING = 0;
export const INTEGER = 1;
export const NUMBER = 2;
export const BOOLEAN = 4;
export const TIMESTAMP = 8;
export const STRING = 16;

/** Scratch output of the classifiers, reused for every cell. */
export interface Cell {
  kind: number;
  /** The number (epoch ms for timestamps, 0/1 for booleans); NaN for strings and missing values. */
  num: number;
  /** The text to hash for a string value (the cell itself, or JSON for a nested value); '' when not kept. */
  text: string;
  /** A number or timestamp read in place: its text is `src.slice(start, end)`, cut only if a reason quotes it. */
  src: string;
  start: number;
  end: number;
}

export function newCell(): Cell {
  return { kind: MISSING, num: NaN, text: '', src: '', start: 0, end: 0 };
}

/** The cell as text, for a reason that quotes it. */
export function cellText(cell: Cell): string {
  if (cell.text !== '') return cell.text;
  if (cell.src !== '') return cell.src.slice(cell.start, cell.end);
  return String(cell.num);
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * A CSV cell given as `text[start, end)` (the direct CSV path never cuts cells into strings). Plain decimals of up to
 * 15 digits and ISO timestamps are read from the character codes; anything else is cut out and goes through
 * `classifyText`, so both give the same answer for every cell.
 */
export function classifyRange(text: string, start: number, end: number, cell: Cell, missing: Set<string> | null): void {
  while (start < end && text.charCodeAt(start) <= 32) start++;
  while (end > start && text.charCodeAt(end - 1) <= 32) end--;
  if (start === end) return setMissing(cell);
  if (missing === null) {
    const c0 = text.charCodeAt(start);
    if ((c0 >= 48 && c0 <= 57) || c0 === 45 || c0 === 46) {
      const n = parseDecimal(text, start, end);
      if (n === n) {
        cell.kind = Number.isInteger(n) ? INTEGER : NUMBER;
        cell.num = n + 0;
        cell.text = '';
        cell.src = text;
        cell.start = start;
        cell.end = end;
        return;
      }
      if (c0 >= 48 && c0 <= 57 && end - start >= 10 && text.charCodeAt(start + 4) === 45) {
        const t = parseIsoTimestamp(text, start, end);
        if (t === t) {
          cell.kind = TIMESTAMP;
          cell.num = t;
          cell.text = '';
          cell.src = text;
          cell.start = start;
          cell.end = end;
          return;
        }
      }
    }
  }
  classifyText(text.slice(start, end), cell, missing);
}

/**
 * `[-]digits[.digits]` with at most 15 digits, else NaN (the caller falls back to `+s`). Exact: the digits form an
 * integer below 2^53 and 10^k (k <= 22) is exact too, so one IEEE division rounds correctly, as `+s` does (Clinger's
 * fast path).
 */
function parseDecimal(s: string, i: number, end: number): number {
  let negative = false;
  if (s.charCodeAt(i) === 45) {
    negative = true;
    i++;
  }
  let m = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < end; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c >= 0 && c <= 9) {
      m = m * 10 + c;
      if (++digits > 15) return NaN;
      if (fraction >= 0) fraction++;
    } else if (c === -2 && fraction < 0) {
      fraction = 0;
    } else {
      return NaN;
    }
  }
  if (digits === 0) return NaN;
  const v = fraction > 0 ? m / POW10[fraction]! : m;
  return negative ? -v : v;
}

/** `0x`, `0b`, `0o`: `+s` reads them, but in data they are text. */
const RADIX_PREFIX = new Set([120, 98, 111]);

/** A CSV cell. Blank cells and the spec's `missingValues` are missing. */
export function classifyText(s: string, cell: Cell, missing: Set<string> | null): void {
  cell.src = '';
  const len = s.length;
  if (len === 0) return setMissing(cell);
  // `+' 1'` is 1 and `+' '` is 0, so cells with surrounding blanks are trimmed before anything else reads them.
  if (s.charCodeAt(0) <= 32 || s.charCodeAt(len - 1) <= 32) {
    s = s.trim();
    if (s.length === 0) return setMissing(cell);
  }
  if (missing !== null && missing.has(s)) return setMissing(cell);
  const c0 = s.charCodeAt(0);
  // Numbers start with a digit, a sign or a dot; `+s` is V8's own (fast) decimal parser. It also reads hex (0x1f)
  // and 'Infinity', which the finiteness test and the first-character test keep out.
  if ((c0 >= 48 && c0 <= 57) || c0 === 45 || c0 === 43 || c0 === 46) {
    const n = +s;
    if (n === n) {
      if (n - n === 0 && !(c0 === 48 && len > 1 && RADIX_PREFIX.has(s.charCodeAt(1) | 32))) {
        cell.kind = Number.isInteger(n) ? INTEGER : NUMBER;
        cell.num = n + 0; // -0 → 0, so 0 and -0 hash alike
        cell.text = s;
        return;
      }
    } else if (c0 >= 48 && c0 <= 57) {
      const t = parseIsoTimestamp(s);
      if (t === t) {
        cell.kind = TIMESTAMP;
        cell.num = t;
        cell.text = s;
        return;
      }
    }
  } else if (len === 4 || len === 5) {
    const lower = s.toLowerCase();
    if (lower === 'true' || lower === 'false') {
      cell.kind = BOOLEAN;
      cell.num = lower === 'true' ? 1 : 0;
      cell.text = lower;
      return;
    }
  }
  cell.kind = STRING;
  cell.num = NaN;
  cell.text = s;
}

/** A typed value (NDJSON, Parquet). JSON strings are not read as numbers: in a typed format, "12" is text. */
export function classifyTyped(v: unknown, cell: Cell): void {
  cell.src = '';
  switch (typeof v) {
    case 'number':
      if (v !== v) return setMissing(cell); // Parquet writes a missing float as NaN
      if (v - v !== 0) return setString(cell, String(v));
      cell.kind = Number.isInteger(v) ? INTEGER : NUMBER;
      cell.num = v + 0;
      cell.text = '';
      return;
    case 'string': {
      if (v.length === 0) return setMissing(cell);
      const c0 = v.charCodeAt(0);
      if (c0 >= 48 && c0 <= 57) {
        const t = parseIsoTimestamp(v);
        if (t === t) {
          cell.kind = TIMESTAMP;
          cell.num = t;
          cell.text = v;
          return;
        }
      }
      return setString(cell, v);
    }
    case 'boolean':
      cell.kind = BOOLEAN;
      cell.num = v ? 1 : 0;
      cell.text = v ? 'true' : 'false';
      return;
    case 'bigint': {
      // Parquet INT64; beyond 2^53 the number loses precision but keeps its magnitude, which is what metrics need.
      cell.kind = INTEGER;
      cell.num = Number(v);
      cell.text = '';
      return;
    }
    case 'undefined':
      return setMissing(cell);
    case 'object': {
      if (v === null) return setMissing(cell);
      if (v instanceof Date) {
        const t = v.getTime();
        if (t === t) {
          cell.kind = TIMESTAMP;
          cell.num = t;
          cell.text = '';
          return;
        }
        return setString(cell, 'Invalid Date');
      }
      return setString(cell, stableText(v));
    }
    default:
      return setString(cell, String(v));
  }
}

function setMissing(cell: Cell): void {
  cell.src = '';
  cell.kind = MISSING;
  cell.num = NaN;
  cell.text = '';
}

function setString(cell: Cell, text: string): void {
  cell.kind = STRING;
  cell.num = NaN;
  cell.text = text;
}

/** JSON for nested values; bigints (Parquet) as decimal text, bytes as hex. */
export function stableText(v: object): string {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
  } catch {
    return String(v);
  }
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * ISO 8601 / RFC 3339 calendar dates and date-times: `YYYY-MM-DD`, then optionally `T` or a space, `HH:MM`,
 * `:SS`, a fraction (`.` or `,`), and `Z` or an offset `±HH[:MM]`. Without an offset the time is read as UTC (not the
 * machine's zone, as `Date.parse` does), so a report never depends on where it ran. Returns epoch ms, or NaN.
 */
export function parseIsoTimestamp(s: string, from = 0, to = s.length): number {
  const len = to;
  if (to - from < 10 || s.charCodeAt(from + 4) !== 45 || s.charCodeAt(from + 7) !== 45) return NaN;
  const year = digits(s, from, 4, len);
  const month = digits(s, from + 5, 2, len);
  const day = digits(s, from + 8, 2, len);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]!) return NaN;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return NaN;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let ms = 0;
  let offsetMin = 0;
  let i = from + 10;
  if (i < len) {
    const sep = s.charCodeAt(i);
    if (sep !== 84 && sep !== 116 && sep !== 32) return NaN; // T, t, space
    hour = digits(s, i + 1, 2, len);
    if (hour < 0 || hour > 23 || s.charCodeAt(i + 3) !== 58) return NaN;
    minute = digits(s, i + 4, 2, len);
    if (minute < 0 || minute > 59) return NaN;
    i += 6;
    if (i < len && s.charCodeAt(i) === 58) {
      second = digits(s, i + 1, 2, len);
      if (second < 0 || second > 60) return NaN; // 60: a leap second, which Date.UTC rolls into the next minute
      i += 3;
      if (i < len && (s.charCodeAt(i) === 46 || s.charCodeAt(i) === 44)) {
        let scale = 100;
        let j = i + 1;
        for (; j < len; j++) {
          const c = s.charCodeAt(j) - 48;
          if (c < 0 || c > 9) break;
          ms += c * scale;
          scale /= 10;
        }
        if (j === i + 1) return NaN;
        i = j;
      }
    }
    if (i < len) {
      const z = s.charCodeAt(i);
      if ((z === 90 || z === 122) && i + 1 === len) {
        i++;
      } else if (z === 43 || z === 45) {
        const oh = digits(s, i + 1, 2, len);
        if (oh < 0 || oh > 23) return NaN;
        let om = 0;
        let end = i + 3;
        if (end < len) {
          if (s.charCodeAt(end) === 58) end++;
          om = digits(s, end, 2, len);
          if (om < 0 || om > 59) return NaN;
          end += 2;
        }
        if (end !== len) return NaN;
        offsetMin = (z === 43 ? 1 : -1) * (oh * 60 + om);
        i = end;
      } else {
        return NaN;
      }
    }
  }
  if (i !== len) return NaN;
  return daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute - offsetMin) * 60 + second) * 1000 + ms;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil): plain integer arithmetic,
 * several times cheaper than `Date.UTC` for the one timestamp per row of a time series.
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** `n` decimal digits at `at` (all before `limit`) as a number, or -1. */
function digits(s: string, at: number, n: number, limit: number): number {
  if (at + n > limit) return -1;
  let v = 0;
  for (let k = at; k < at + n; k++) {
    const c = s.charCodeAt(k) - 48;
    if (!(c >= 0 && c <= 9)) return -1; // also catches NaN past the end
    v = v * 10 + c;
  }
  return v;
}
