import { named } from '../domain/text.js';
import type { RequestCtx } from './context.js';
import { badInput } from './errors.js';
import { refuseBlankArgument } from './validation.js';

/**
 * An optional point-currency code that filters what a query or subscription reads
 * (`pointHistory(currency:)`, `balanceChanged(currency:)`): absent or null reads every currency;
 * blank text is BAD_USER_INPUT "<argument> must not be blank (…)"; a code no currency has (codes
 * are compared exactly: `stars` is not `STARS`) is BAD_USER_INPUT "No currency NOPE.", both naming
 * the argument in `extensions.field`, rather than an empty answer that reads as "no points yet"
 * (docs/decisions.md, "Currency filters"). Answers the code, or null for no filter.
 */
export async function currencyFilterArgument(ctx: Pick<RequestCtx, 'loaders'>, code: string | null | undefined, argument = 'currency'): Promise<string | null> {
  if (code === undefined || code === null) return null;
  refuseBlankArgument(code, argument);
  if (!(await ctx.loaders.currency.load(code))) throw badInput(`No currency ${named(code)}.`, argument);
  return code;
}
