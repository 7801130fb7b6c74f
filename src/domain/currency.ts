/** Money currencies: which codes the gateway takes as a sale's or a program's money. */
import { minorDigits } from './minor-digits.js';

export { MAX_MINOR_DIGITS, minorDigits, moneysByDigits } from './minor-digits.js';

/**
 * ISO 4217 codes in use that Node 24's ICU data does not list yet: VED, the Venezuelan digital
 * bolívar (ISO 4217 amendment 170, 2021). ICU lags the standard both ways: codes it still lists
 * after ISO withdrew them (HRK, CUC…) are taken, as a program configured with one keeps working.
 */
const ISO_NOT_YET_IN_ICU = ['VED'];

/**
 * The ISO 4217 codes of currencies in use, as the runtime's ICU data knows them, plus ISO_NOT_YET_IN_ICU
 * (`Intl.supportedValuesOf('currency')`: EUR, USD, JPY…; not the "no currency" XXX, the testing
 * code XTS, precious metals or withdrawn codes such as DEM).
 */
const ISO_CURRENCIES: ReadonlySet<string> = new Set([...Intl.supportedValuesOf('currency'), ...ISO_NOT_YET_IN_ICU]);

/** Whether `code` is an ISO 4217 currency code in use, written as the standard writes it (three capitals). */
export function isIsoCurrency(code: string): boolean {
  return ISO_CURRENCIES.has(code);
}

/**
 * Every code `isIsoCurrency` takes: what the database's frozen `iso_money_digits(text)`
 * (Migration20261201210000, read by `issued_offer_unpayable_idx`) is compared with in its test.
 */
export function isoCurrencyCodes(): readonly string[] {
  return [...ISO_CURRENCIES];
}

/** "none", "one decimal", "3 decimals": how a message names a money's decimals. */
export function decimalsOf(code: string): string {
  const digits = minorDigits(code);
  return digits === 0 ? 'no decimals' : digits === 1 ? 'one decimal' : `${digits} decimals`;
}

/**
 * Whether a decimal amount (`"2.50"`) has no digit but 0 past its first `digits` decimals: "1000.00"
 * fits 0, "10.5" does not; "1.250" fits 3 and 2, "1.2505" neither.
 */
export function fitsDigits(amount: string, digits: number): boolean {
  const fraction = /\.(\d+)$/.exec(amount.trim())?.[1] ?? '';
  return !/[1-9]/.test(fraction.slice(digits));
}

/**
 * Whether a decimal amount (`"2.50"`) is a whole number of minor units of money `code`: no digit
 * but 0 past its decimals (`minorDigits`). "2.50" fits EUR and KWD, not JPY; "1000.00" fits JPY.
 */
export function amountFitsMoney(amount: string, code: string): boolean {
  return fitsDigits(amount, minorDigits(code));
}

/**
 * A money amount as it is stored for a definition that names no money yet (an offer's amount off,
 * a campaign's minimum spend): with at least two decimals ("2" → "2.00", "2.5" → "2.50") and any
 * more it was written with ("0.125" stays), so amounts set before fils were taken read as before.
 */
export function withCents(amount: string): string {
  const [units, fraction = ''] = amount.trim().split('.');
  return `${units}.${fraction.padEnd(2, '0')}`;
}
