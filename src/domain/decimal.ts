/**
 * Exact decimal arithmetic for money and points (BigInt), so that no binary floating point error
 * decides a cent or a point: earning (`src/rules/earning.ts`) and offer discounts
 * (`src/transactions/pricing.ts`).
 */

/**
 * An exact decimal number, `n × 10^-scale`. Earning multiplies money by decimals (points per unit,
 * category, tier and campaign multipliers) and rounds once; in binary floating point a product
 * such as 0.01 × 133.3333 × 1.5 = 1.9999995 came out near enough to 2 that the old noise
 * settling (to 6 decimals) floored it to 2 instead of 1.
 */
export interface ExactDecimal {
  n: bigint;
  scale: number;
}

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

/**
 * `value` as the decimal it is written as: a decimal string ("133.3333"), or a number read as the
 * shortest decimal that prints it (`1.15` is 1.15, not the binary fraction nearest it; `1e-7`
 * is 0.0000001), which is what a client sent and a `numeric` column holds. Throws on anything else
 * (NaN, Infinity).
 */
export function exactDecimal(value: number | string): ExactDecimal {
  const m = DECIMAL_TEXT.exec(typeof value === 'number' ? String(value) : value.trim());
  if (!m) throw new RangeError(`not a finite decimal: ${value}`);
  const fraction = m[3] ?? '';
  const exponent = Number(m[4] ?? 0);
  let n = BigInt(`${m[1]}${m[2]}${fraction}`);
  let scale = fraction.length - exponent;
  if (scale < 0) {
    n *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { n, scale };
}

/** a × b, exactly. */
export function times(a: ExactDecimal, b: ExactDecimal): ExactDecimal {
  return { n: a.n * b.n, scale: a.scale + b.scale };
}

/** a + b, exactly. */
export function plus(a: ExactDecimal, b: ExactDecimal): ExactDecimal {
  const scale = Math.max(a.scale, b.scale);
  return { n: a.n * 10n ** BigInt(scale - a.scale) + b.n * 10n ** BigInt(scale - b.scale), scale };
}

/**
 * `a` as a whole number, half up (2.5 is 3, −2.5 is −2): how money is rounded to the cent.
 */
export function roundHalfUp(a: ExactDecimal): number {
  const unit = 10n ** BigInt(a.scale);
  const doubled = a.n * 2n + unit;
  const twice = unit * 2n;
  return Number(doubled >= 0n ? doubled / twice : -((-doubled + twice - 1n) / twice));
}

/**
 * `value` (a decimal string, as PostgreSQL prints a `numeric`) rounded to `digits` decimals, half
 * away from zero as PostgreSQL's `round(numeric, d)` does, and written with exactly that many:
 * ("0.0385", 3) → "0.039", ("12.5", 0) → "13", ("7", 2) → "7.00". Exact (BigInt) at any size. For
 * money in the decimals of its currency (`minorDigits`).
 */
export function roundedTo(value: string, digits: number): string {
  const { n, scale } = exactDecimal(value);
  const negative = n < 0n;
  let units = negative ? -n : n;
  if (scale > digits) {
    const cut = 10n ** BigInt(scale - digits);
    const rest = units % cut;
    units = units / cut + (rest * 2n >= cut ? 1n : 0n);
  } else {
    units *= 10n ** BigInt(digits - scale);
  }
  return decimalText({ n: negative ? -units : units, scale: digits });
}

/** `a` written out with exactly its scale's decimals: { n: 150n, scale: 2 } → "1.50", { n: -75n, scale: 2 } → "-0.75", { n: 14n, scale: 0 } → "14". */
export function decimalText({ n, scale }: ExactDecimal): string {
  const text = (n < 0n ? -n : n).toString().padStart(scale + 1, '0');
  const whole = scale === 0 ? text : `${text.slice(0, -scale)}.${text.slice(-scale)}`;
  return n < 0n ? `-${whole}` : whole;
}
