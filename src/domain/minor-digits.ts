/**
 * ISO 4217's minor unit of each money, in a module of its own: the apps import it (web/src/shared/
 * money.ts) without currency.ts's set of ISO codes, which is built from the runtime's ICU data at
 * load and which the apps never read (review-31).
 */

/**
 * ISO 4217's minor unit of the currencies whose amounts do not have two decimals (the standard's
 * "minor unit" column, list one, amendment 178): yen and won have none, the dinars of Bahrain,
 * Iraq, Jordan, Kuwait, Libya and Tunisia and the Omani rial three, the Chilean and Uruguayan
 * units of account four. Taken from the standard, not from the runtime's ICU data, which follows
 * CLDR's display habits (CLDR shows HUF, IDR and COP without decimals, and IQD with none, while
 * ISO 4217 and the tills that price in them keep 2, 2, 2 and 3).
 */
const MINOR_DIGITS: ReadonlyMap<string, number> = new Map([
  ...['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'].map((c) => [c, 0] as const),
  ...['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'].map((c) => [c, 3] as const),
  ...['CLF', 'UYW'].map((c) => [c, 4] as const),
]);

/**
 * The moneys whose decimals are not two, by their decimals (MINOR_DIGITS grouped: 0 → JPY…, 3 →
 * KWD…, 4 → CLF, UYW): for a statement that reads a money's decimals in SQL (`amountsFitMoneySql`).
 */
export function moneysByDigits(): ReadonlyMap<number, readonly string[]> {
  const byDigits = new Map<number, string[]>();
  for (const [code, digits] of MINOR_DIGITS) byDigits.set(digits, [...(byDigits.get(digits) ?? []), code]);
  return byDigits;
}

/** The most decimals any money takes (`minorDigits`): the scale money is checked and stored at. */
export const MAX_MINOR_DIGITS = 4;

/**
 * How many decimals an amount of money `code` (an ISO 4217 code, as `isIsoCurrency` takes it) has:
 * ISO 4217's minor unit, 0 for JPY, 3 for KWD, 2 for EUR and every currency the standard gives two.
 */
export function minorDigits(code: string): number {
  return MINOR_DIGITS.get(code) ?? 2;
}
