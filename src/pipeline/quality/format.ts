/**
 * Numbers in reasons, written for the contributor who reads them: `18.2 %`, `-183.4 s`, `17,000 rows`. Fixed rules
 * (no locale), so a report is byte-identical wherever it is made.
 */

export function int(n: number): string {
  const s = Math.round(Math.abs(n)).toString();
  const grouped = s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${grouped}` : grouped;
}

/** Up to four significant digits below 1,000; whole numbers with separators above. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return int(x);
  if (x === 0) return '0';
  return String(Number(x.toPrecision(4)));
}

/** A ratio as a percentage: one decimal, or one significant digit for tiny non-zero shares. */
export function pct(ratio: number): string {
  const p = ratio * 100;
  if (p === 0 || p >= 0.1) return `${(Math.round(p * 10) / 10).toString()} %`;
  return `${Number(p.toPrecision(1))} %`;
}

/** A limit given as a ratio: `5 %`, `0.5 %`. */
export function pctLimit(ratio: number): string {
  return `${num(ratio * 100)} %`;
}

/** Milliseconds as seconds: `0.1 s`, `183.4 s`; `signed` adds a `+` to positive values. */
export function seconds(ms: number, signed = false): string {
  const s = ms / 1000;
  const text = Math.abs(s) >= 1000 ? int(s) : String(Number(s.toPrecision(Math.abs(s) >= 1 ? 5 : 3)));
  return `${signed && s > 0 ? '+' : ''}${text} s`;
}

export function bytes(n: number): string {
  return `${int(n)} bytes`;
}

/** An interval of values: `[20, 200]`, `[20, ∞)`, `(-∞, 200]`. */
export function bounds(min: number | null, max: number | null): string {
  return `${min === null ? '(-∞' : `[${num(min)}`}, ${max === null ? '∞)' : `${num(max)}]`}`;
}

/** Limits on a count, after a total: `within [1,000, 5,000]`, `(min 1,000)`, `(max 5,000)`. */
export function limits(min: number | null, max: number | null): string {
  if (min !== null && max !== null) return `within [${int(min)}, ${int(max)}]`;
  return min !== null ? `(min ${int(min)})` : `(max ${int(max!)})`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${int(n)} ${n === 1 ? one : many}`;
}

/** A cell as a reason quotes it: short, on one line. */
export function quote(text: string): string {
  const t = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return JSON.stringify(t);
}
