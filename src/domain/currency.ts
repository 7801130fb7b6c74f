/** Money currencies: which codes the gateway takes as a sale's or a program's money. */

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
