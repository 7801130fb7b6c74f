/** Money and decimals as the apps show them: exactly as the API answers them, in ISO 4217's decimals. */
import { minorDigits } from '../../../src/domain/minor-digits.js';
import { decimalText, exactDecimal, times } from '../../../src/domain/decimal.js';

/**
 * An amount of money in `currency` (ISO 4217) with the standard's decimals (`minorDigits`: 3 for
 * IQD, 2 for HUF, 0 for JPY), as the API answers amounts, rounded half up past them: "IQD 12.345",
 * "HUF 1.50". Intl's own currency digits follow CLDR's display habits (IQD and HUF without
 * decimals) and showed a liability the API answers as "12.345" as "IQD 12" (break31). A decimal
 * string is formatted exactly, not through a float.
 */
export const formatMoney = (amount: string | number, currency: string, roundingMode: 'halfExpand' | 'ceil' = 'halfExpand') => {
  const digits = minorDigits(currency);
  const options = { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits, roundingMode } as Intl.NumberFormatOptions;
  return new Intl.NumberFormat('en-GB', options).format(exactly(amount));
};
/**
 * A minimum amount of money as a till must reach it: rounded UP to `currency`'s decimals, as sales
 * are judged against a campaign's `minSpend` ("2.991" EUR is €3.00; "1000.4" JPY ¥1,001: break38b
 * campaigns, where the half-up "€2.99" named a spend that earns nothing).
 */
export const formatMinimumMoney = (amount: string | number, currency: string) => formatMoney(amount, currency, 'ceil');
/** A decimal as the API answers it ("0.00001", "1250.50"), exactly, grouped, without trailing zeros: "0.00001", "1,250.5". */
export const formatDecimal = (value: string | number) => new Intl.NumberFormat('en-GB', { maximumFractionDigits: 20 }).format(exactly(value));
/** A decimal string for Intl as it is (Intl formats it exactly); a number as it is. */
const exactly = (value: string | number) => (typeof value === 'string' ? (value.trim() as Intl.StringNumericLiteral) : value);
/**
 * `decimal` (a decimal string such as a point value, "0.01") times a whole number of points, exactly,
 * as a decimal string ("0.01" × 150 = "1.50"): a float product strayed past a half (0.005 × 3 =
 * 0.015000000000000001) and rounded the other way.
 */
export function timesWhole(decimal: string, whole: number): string {
  return decimalText(times(exactDecimal(decimal), exactDecimal(whole)));
}
