/**
 * Numeric limits of the pattern language. EventBridge documents numeric matching for values between -5.0e9 and
 * +5.0e9 with six digits after the decimal point; event-ruler refuses operands outside that (ComparableNumber) and
 * never matches event numbers outside it numerically. Inside the limits, plain double comparison agrees with
 * event-ruler's fixed-point encoding, so matching compares doubles.
 */

const NUMERIC_LIMIT = 5e9;
const MAX_DECIMALS = 6;

/** The reason an operand of `numeric` or a numeric `anything-but` is refused, or null. Wording from event-ruler. */
export function numericOperandError(n: number): string | null {
  if (decimalPlaces(n) > MAX_DECIMALS) return 'Only values upto 6 decimals are supported';
  if (n < -NUMERIC_LIMIT || n > NUMERIC_LIMIT) return 'Value must be between -5.0E9 and 5.0E9, inclusive';
  return null;
}

/** Whether an event number can take part in numeric comparison at all. */
export function inNumericLimits(n: number): boolean {
  return n >= -NUMERIC_LIMIT && n <= NUMERIC_LIMIT;
}

/** Digits after the decimal point in the shortest decimal form of `n` ("1e-7" has 7, "1.5e-3" has 4). */
export function decimalPlaces(n: number): number {
  const text = String(Math.abs(n));
  const e = text.indexOf('e');
  const mantissa = e < 0 ? text : text.slice(0, e);
  const exponent = e < 0 ? 0 : Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const fraction = dot < 0 ? 0 : mantissa.length - dot - 1;
  return Math.max(0, fraction - exponent);
}
