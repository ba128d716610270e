/**
 * Exact money arithmetic (docs/adr/0061): amounts are integers of micro-units (1 EUR = 1 000 000
 * micros) held as `bigint`, never floats. Decimal strings are parsed and printed digit by digit.
 */

export const MICROS = 1_000_000n;
const AMOUNT_RE = /^(\d{1,12})(?:\.(\d{1,6}))?$/;

/**
 * A decimal amount ("2.5", "0.000125") as micro-units, or undefined when it is not a non-negative
 * decimal with at most 6 decimals and 12 integer digits.
 *
 * @example
 * parseMicros('2.50') // 2500000n
 */
export function parseMicros(amount: string): bigint | undefined {
  const m = AMOUNT_RE.exec(amount.trim());
  if (!m) return undefined;
  return BigInt(m[1]!) * MICROS + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/** Micro-units as a decimal string with 6 decimals: 2500000n → "2.500000". */
export function formatMicros(micros: bigint): string {
  const neg = micros < 0n;
  const a = neg ? -micros : micros;
  return `${neg ? '-' : ''}${a / MICROS}.${(a % MICROS).toString().padStart(6, '0')}`;
}

/** Prices of one model per million tokens, in micro-units. */
export interface TokenPrice {
  inputMicrosPerMtok: bigint;
  outputMicrosPerMtok: bigint;
  /** Null: cached input tokens cost as much as input tokens. */
  cachedInputMicrosPerMtok: bigint | null;
}

/**
 * The cost of a run in micro-units: tokens × price per million, summed, then rounded UP once to a
 * whole micro-unit (a run never costs less than its tokens). Monotone in every token count, so the
 * cost of a worst case bounds the cost of any smaller run.
 */
export function costMicros(p: TokenPrice, t: { input: bigint | number; output: bigint | number; cachedInput?: bigint | number }): bigint {
  const cached = BigInt(t.cachedInput ?? 0);
  const input = BigInt(t.input) - cached;
  const num = input * p.inputMicrosPerMtok + cached * (p.cachedInputMicrosPerMtok ?? p.inputMicrosPerMtok) + BigInt(t.output) * p.outputMicrosPerMtok;
  return (num + 999_999n) / 1_000_000n;
}
