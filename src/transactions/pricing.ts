/**
 * The arithmetic of a sale, in integer minor units of its money (cents, fils, yen: `minorDigits`):
 * line totals, offer discounts and how a discount is shared across lines. Pure functions, unit-tested beside the HTTP suites.
 */
import { keptResults } from '../domain/kept-results.js';
import { amountFitsMoney, decimalsOf, minorDigits } from '../domain/currency.js';
import { exactDecimal, roundHalfUp, times } from '../domain/decimal.js';
import { BLANK_GLYPHS, INVISIBLE_MARKS } from '../domain/text.js';
import type { OfferBenefitKind } from '../offers/offer.entity.js';
import type { OfferVersionRow } from '../offers/offer.service.js';
import type { SaleLine } from './transaction.entity.js';

/**
 * A money amount in the minor units of a money with `digits` decimals (`minorDigits`: 2 for EUR,
 * 3 for KWD, 0 for JPY): "4.50" → 450 at 2, "1.250" → 1250 at 3, "1000" and "1000.00" → 1000 at 0.
 * Decimals beyond the money's must be zeros (`exact`, the default: "10.5" at 0 throws; inputs are
 * refused before, `priceFinerThanMoney`), or are cut towards minus infinity (`floor`) or plus
 * infinity (`ceil`): a minimum spend of "1000.50" yen is met by 1001 yen and not by 1000.
 */
export function toMinor(decimal: string, digits: number, rounding: 'exact' | 'floor' | 'ceil' = 'exact'): number {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(decimal.trim());
  if (!m) throw new Error(`not a money amount: ${decimal}`);
  const fraction = m[3] ?? '';
  const kept = fraction.slice(0, digits).padEnd(digits, '0');
  const cut = /[1-9]/.test(fraction.slice(digits));
  if (cut && rounding === 'exact') throw new Error(`${decimal} has more decimals than its money (${digits})`);
  let minor = Number(m[2]) * 10 ** digits + Number(kept || '0');
  const negative = m[1] === '-';
  if (cut && rounding === (negative ? 'floor' : 'ceil')) minor += 1;
  return negative ? -minor : minor;
}

/** Minor units as the money amount they are, with the money's `digits` decimals: 450 → "4.50" at 2, 1250 → "1.250" at 3, 1000 → "1000" at 0. */
export function fromMinor(minor: number, digits: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  if (digits === 0) return `${sign}${abs}`;
  const unit = 10 ** digits;
  return `${sign}${Math.floor(abs / unit)}.${String(abs % unit).padStart(digits, '0')}`;
}

export const lineTotal = (line: SaleLine) => line.quantity * line.unitPrice;
export const saleTotal = (lines: SaleLine[]) => lines.reduce((sum, l) => sum + lineTotal(l), 0);

export interface Benefit {
  kind: OfferBenefitKind;
  percentOff: number | null;
  amountOff: string | null;
  freeSku: string | null;
  skus: string[];
  categories: string[];
  maxDiscount: string | null;
}

/**
 * The longest SKU or category a sale line carries (`TransactionLineInput`), and so the longest SKU,
 * category or channel an offer, campaign or economy rule can name: a longer one could never match.
 */
export const ITEM_KEY_MAX = 100;

/**
 * A SKU, category or channel as it is compared: Unicode NFKC, invisible marks left out
 * (`INVISIBLE_MARKS`: a zero-width space, soft hyphen or BOM from a POS catalogue or a copy-paste),
 * blank glyphs as spaces, runs of whitespace as one space, trimmed, case-folded (lower then upper
 * case, then NFC: `STRAẞE`, `straße` and `STRASSE` are one; upper case alone leaves `ẞ`). Tills and the
 * console spell the same thing differently (`pastry`, `PASTRY `, `PAS\u200bTRY`); what was typed
 * is stored and shown as typed, and only compared through this. Staff lists refuse two entries
 * with one key (`NoDuplicates(itemKey)`), so what reads the same is one entry there too.
 */
export const itemKey: (value: string) => string = keptResults((value: string) => itemKeyOf(value), 20_000);

// Item keys are kept by the string they were made of (`keptResults`, up to 20,000): each distinct
// SKU or category is normalised once, not at each comparison (break33's second hostile pass: 500
// lines against 20 offers made each line's key 20 times, 310 ms a sale of SKUs that NFKC expands,
// such as U+FDFA).

function itemKeyOf(value: string): string {
  const spaced = value.replace(INVISIBLE_MARKS, '').normalize('NFKC').replace(BLANK_GLYPHS, ' ').replace(/\p{White_Space}+/gu, ' ').trim();
  // Lower then upper case, then NFC again: a case fold, so `ẞ`, `ß` and `SS` are one, and the
  // `i` + U+0307 that lower-casing `İ` gives composes back to `İ`.
  return spaced.toLowerCase().toUpperCase().normalize('NFC');
}

/**
 * Whether `value` is one of `list`, compared as item keys. The list's keys are made once per list
 * (`keysOf`), so a sale's 500 lines against 20 offers naming 500 SKUs each cost a lookup a pair:
 * making them at every comparison was 5 million NFKC normalisations, 7–8 s of one CPU for one
 * sale at the input limits, the event loop blocked throughout and the sale's transaction open
 * (break33's hostile pass).
 */
export function matchesAny(value: string | null | undefined, list: readonly string[]): boolean {
  if (value == null || list.length === 0) return false;
  return keysOf(list).has(itemKey(value));
}

/** The item keys of a list, made once per list object (offers, rules and campaigns keep theirs for a request or a job). */
const listKeys = new WeakMap<readonly string[], ReadonlySet<string>>();
function keysOf(list: readonly string[]): ReadonlySet<string> {
  let keys = listKeys.get(list);
  if (!keys) listKeys.set(list, (keys = new Set(list.map(itemKey))));
  return keys;
}

/** Whether a line counts for a benefit limited to SKUs or categories (no limits: every line). */
function qualifies(line: SaleLine, b: Benefit): boolean {
  if (b.skus.length === 0 && b.categories.length === 0) return true;
  return matchesAny(line.sku, b.skus) || matchesAny(line.category, b.categories);
}

/**
 * Shares `amount` across the lines `weights` says, in proportion (largest remainder, so the shares
 * add up exactly and none exceeds its weight; equal remainders to the line `tie` puts first: the
 * earlier line unless given; priceBasket gives its lines' fixed order, as the leftover unit decided
 * which of two equal muffins a later free item took, and so whether an offer after it applied:
 * break33's hostile pass). Whole minor
 * units in, whole out; worked in integers (BigInt): float quotients ordered remainders that are
 * equal, or close near 2^53, otherwise than they are, so a leftover unit went to another line than
 * the exact rule gives (break32's property test against an exact reference).
 */
export function share(amount: number, weights: number[], tie: (i: number, j: number) => number = (i, j) => i - j): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0 || amount === 0) return weights.map(() => 0);
  const total = BigInt(sum);
  const products = weights.map((w) => BigInt(w) * BigInt(amount));
  const shares = products.map((p) => Number(p / total));
  let left = amount - shares.reduce((a, b) => a + b, 0);
  const order = products.map((p, i) => [p % total, i] as const).sort((a, b) => (a[0] === b[0] ? tie(a[1], b[1]) : a[0] > b[0] ? -1 : 1));
  for (const [, i] of order) {
    if (left-- <= 0) break;
    shares[i]++;
  }
  return shares;
}

export interface Priced {
  /** Minor units of the sale's money off the whole basket. */
  discount: number;
  /** Minor units each offer took off, in the order given. */
  perOffer: number[];
  /** What each line finally cost, in minor units: points are earned on these. */
  netLines: number[];
}

/**
 * The "X"s of the limited free items a sale has applied so far: one unit each, of a line the offer
 * qualifies, no two on one unit, and none a unit given free (a line has as many as its units no
 * free item took: `room`). Which line an X is on is never fixed: an offer's X moves to another
 * qualifying line whenever that lets a later offer count its own X or give its free unit (break33:
 * a first offer kept the first qualifying line, the latte, and a later "free muffin with a latte"
 * found none, where the coffee would have done for the first; scanned coffee first, both applied).
 * A bipartite matching of X's to units, grown by augmenting paths; a sale has at most 20 offers
 * and 500 lines (`SubmitTransactionInput`), so each step is a walk over at most 20 × 500 pairs.
 */
class CountedUnits {
  /** Per X, the lines its offer qualifies. */
  private readonly fits: boolean[][] = [];
  /** The line each X is on now. */
  private readonly on: number[] = [];
  private readonly load: number[];

  constructor(
    private readonly lineCount: number,
    private readonly room: (line: number) => number,
  ) {
    this.load = Array.from({ length: lineCount }, () => 0);
  }

  /** Counts one more X, of a line `fits` marks, moving earlier X's as need be; false (nothing changed) when the sale has no room for it. */
  add(fits: boolean[]): boolean {
    this.fits.push(fits);
    this.on.push(-1);
    if (this.place(this.fits.length - 1, new Uint8Array(this.lineCount))) return true;
    this.fits.pop();
    this.on.pop();
    return false;
  }

  /**
   * `freeable` as it would be with the units later free items need counted too: each one's free
   * unit (`free`: the lines of its free SKU) and, when limited, its X (`x`), as many offers as fit
   * whole; this matching is left as it is. A line freeable now but not there holds a unit some
   * later offer needs, whatever the earlier X's are moved to (break33's hostile passes: of two
   * muffins, the BAKERY one was given free, the only X a later "free coffee with a BAKERY item"
   * had; with only later X's counted, a HOT coffee was given free where an ICED one would do, and
   * the first offer's X moved onto the scone a later "free scone with a HOT drink" was to give).
   */
  freeableWith(later: readonly { free: boolean[]; x: boolean[] | null }[]): (Move | 'room' | null)[] {
    const copy = new CountedUnits(this.lineCount, this.room);
    copy.fits.push(...this.fits);
    copy.on.push(...this.on);
    copy.load.splice(0, copy.load.length, ...this.load);
    for (const { free, x } of later) if (copy.add(free) && x !== null && !copy.add(x)) copy.dropLast();
    return copy.freeable();
  }

  /** Lets go of the X added last (its offer took nothing off). */
  dropLast(): void {
    const line = this.on.pop()!;
    this.fits.pop();
    this.load[line]--;
  }

  /**
   * Per line, whether one of its units can be given free with every X still counted, and how:
   * 'room' (a unit no X is on), or an X on it that moves to another such line (an alternating path
   * of the matching); null when none can. Which lines can is the same whatever matching is held.
   */
  freeable(): (Move | 'room' | null)[] {
    const reach: (Move | 'room' | null)[] = Array.from({ length: this.lineCount }, (_, i) => (this.load[i] < this.room(i) ? 'room' : null));
    const queue = [...reach.keys()].filter((i) => reach[i] !== null);
    for (let q = 0; q < queue.length; q++) {
      const to = queue[q];
      this.on.forEach((line, x) => {
        if (reach[line] === null && this.fits[x][to]) {
          reach[line] = { x, to };
          queue.push(line);
        }
      });
    }
    return reach;
  }

  /** Leaves one unit of `line` to a free item (its `freeable` entry in `reach`): the X's in the way move along. */
  release(line: number, reach: (Move | 'room' | null)[]): void {
    for (let at = reach[line]; at !== null && at !== 'room'; at = reach[at.to]) this.assign(at.x, at.to);
  }

  private assign(x: number, line: number): void {
    if (this.on[x] >= 0) this.load[this.on[x]]--;
    this.on[x] = line;
    this.load[line]++;
  }

  /** An augmenting path for X `x`: a line of its with room, or one whose X's can move elsewhere. */
  private place(x: number, seen: Uint8Array): boolean {
    for (let line = 0; line < this.lineCount; line++) {
      if (!this.fits[x][line] || seen[line]) continue;
      seen[line] = 1;
      const moved = this.load[line] < this.room(line) || this.on.some((at, other) => at === line && this.place(other, seen));
      if (moved) {
        this.assign(x, line);
        return true;
      }
    }
    return false;
  }
}

/** An X that moves to line `to` to leave a unit of its line free. */
interface Move {
  x: number;
  to: number;
}

/**
 * Applies offers to a basket, one after the other, each on what the previous ones left:
 * - PERCENT_OFF: that share of the qualifying lines;
 * - AMOUNT_OFF: the amount, up to the qualifying lines' total;
 * - FREE_ITEM: one unit of `freeSku` when the basket has it — and, when the offer is limited to
 *   SKUs or categories, also something else from those ("buy a coffee, get a muffin"). Each unit
 *   plays one part in a sale: a unit one offer gave free or counted as its "X" is neither given nor
 *   counted by a later offer, so two "buy a coffee, get a muffin" need two coffees (and two muffins),
 *   and two "buy a muffin, get a muffin" four muffins. Which unit is an offer's "X" is not fixed
 *   when it applies: the X's of the sale's free items are matched to units over the whole sale
 *   (`CountedUnits`), so a later free item applies whenever some choice of the earlier ones' X's
 *   leaves it a free unit and an X; an earlier offer, once applied, keeps an X whatever comes after
 *   (break33: each X was the first qualifying line, a unit of the free SKU last, and so "a free
 *   muffin with a coffee or a latte" then "a free muffin with a latte" applied both or refused the
 *   second as the till scanned the coffee or the latte first; the X is never shown, so which line
 *   it is on only decides what later offers can take). The free unit is on the line of
 *   `freeSku` whose unit, given free, leaves every X counted and is worth least; of those worth
 *   the same, one no later free item needs, as its free unit or its X (`freeableWith`), then by what pricing
 *   reads of a line (SKU, category, quantity, unit price, what it has left), never by where the till
 *   scanned it (break33: "the first of equals" gave the scanned-first muffin free, a PASTRY one a
 *   later "free coffee with a pastry" needed). The free unit is chosen when its offer applies and
 *   not moved after: a later offer can still find no unit where another free unit of an earlier
 *   offer would have left it one, the same in every scan order. It is worth what one unit of that line has left
 *   after the earlier offers: the line's net, less what units a capped free item took part of still
 *   pay, over the units no free item took, rounded up to the minor unit so the unit costs nothing.
 *   After 50 % off two muffins a free muffin takes 1.40, not 2.80; after "a free muffin, up to
 *   1.00" a second free muffin takes 2.80, not 4.60 (break32b, break32d, break32f).
 * `maxDiscount` caps each. Each discount is taken off the lines it was earned on, so a free
 * muffin lowers the muffin line, not the coffee. `lines` are in minor units of a money with
 * `digits` decimals (`minorDigits`), and so is the answer; an amount off or a cap finer than that
 * money (2.50 off in yen) counts down to it, and `applicability` refuses such an offer first.
 * The answer does not depend on the order of `lines`: ties, in `share`'s leftover minor unit as in
 * the free unit, go by a fixed order of what pricing reads of a line (break33's hostile pass: the
 * leftover cent went to the line scanned first, which decided which muffin was free and so whether
 * a later offer applied). A "buy X" counts a unit bought whatever a percent or amount off took off
 * it; only a unit a free item gave plays its part (docs/decisions.md, "break33 (pricing)").
 */
export function priceBasket(lines: SaleLine[], benefits: Benefit[], digits: number): Priced {
  const minor = (amount: string) => toMinor(amount, digits, 'floor');
  const net = lines.map(lineTotal);
  const fits = benefits.map((b) => lines.map((l) => qualifies(l, b)));
  const isLimitedFree = (b: Benefit) => b.kind === 'FREE_ITEM' && (b.skus.length > 0 || b.categories.length > 0);
  // Units of each line a free item took off, wholly or up to its cap, and what those units still
  // pay (a unit capped at 1.00 of its 2.80 pays 1.80): a free unit is worth what one of the line's
  // other units has left, the rest of the line's net spread over them (break32). A unit plays one
  // part once (break31: one coffee bought two free muffins): a unit given free is no offer's X.
  const touched = lines.map(() => 0);
  const aside = lines.map(() => 0);
  const counted = new CountedUnits(lines.length, (i) => lines[i].quantity - touched[i]);
  // What pricing reads of line i, in a fixed order: ties between lines are broken by it, never by
  // where the till scanned them; lines equal in all of it are interchangeable (break33).
  const skuKeys = lines.map((l) => itemKey(l.sku));
  const categoryKeys = lines.map((l) => (l.category === null ? '' : itemKey(l.category)));
  const lineOrder = (i: number) => [skuKeys[i], lines[i].category === null ? 0 : 1, categoryKeys[i], lines[i].quantity, lines[i].unitPrice, net[i], touched[i], aside[i]];
  const byLine = (i: number, j: number) => (before(lineOrder(i), lineOrder(j)) ? -1 : before(lineOrder(j), lineOrder(i)) ? 1 : i - j);
  const perOffer: number[] = [];
  benefits.forEach((b, k) => {
    const eligible = lines.map((_, i) => (fits[k][i] ? net[i] : 0));
    let taken: number[];
    if (b.kind === 'FREE_ITEM') {
      const limited = isLimitedFree(b);
      // this offer's X counted beside the earlier ones' (they move as need be), then the lines that
      // can give a unit free with every X still counted (break32b: each line of the free SKU is
      // tried, a PASTRY muffin as the X of a plain one)
      const hasX = !limited || counted.add(fits[k]);
      const reach = hasX ? counted.freeable() : [];
      const freeKey = b.freeSku === null ? null : itemKey(b.freeSku);
      const candidates = [...lines.keys()].filter((i) => reach[i] != null && net[i] > 0 && skuKeys[i] === freeKey);
      // What a free unit of line f is worth now: the line's net, less what units a capped free item
      // took part of still pay, over the units no free item took, rounded up so the unit is wholly
      // free (break32b, break32d).
      const worth = (f: number) => {
        const uniform = net[f] - aside[f];
        return Math.min(uniform, Math.ceil(uniform / (lines[f].quantity - touched[f])));
      };
      // Whether giving a unit of line f free would take a unit a later free item needs, its free
      // unit or its X (1), or not (0): the lines still freeable with those counted (`freeableWith`).
      const later = benefits.flatMap((l, j) => {
        if (j <= k || l.kind !== 'FREE_ITEM' || l.freeSku === null) return [];
        const key = itemKey(l.freeSku);
        return [{ free: lines.map((_, i) => skuKeys[i] === key && net[i] > 0), x: isLimitedFree(l) ? fits[j] : null }];
      });
      const keptLater = later.length > 0 && candidates.length > 1 ? counted.freeableWith(later) : null;
      const takesLater = (f: number) => (keptLater && keptLater[f] == null ? 1 : 0);
      // A unit no later offer needs is free before one it needs (break33's hostile pass: a
      // one-cent difference left by `share`, or the count of later offers that could use a line,
      // gave away the only X a later offer had); then the unit worth least, as tills give the
      // cheaper item free (break32f; an earlier percent or amount off lowered every unit of the
      // line, so it is worth its share of what is left: break32b, break32d); then a fixed order of
      // what pricing reads of a line (`lineOrder`), so the scan order never decides (break33).
      const rank = (f: number) => [worth(f), takesLater(f), ...lineOrder(f)] as const;
      let free = -1;
      let best: ReturnType<typeof rank> | null = null;
      for (const f of candidates) {
        const r = rank(f);
        if (r[0] > 0 && (best === null || before(r, best))) [free, best] = [f, r];
      }
      const value = best === null ? 0 : best[0];
      const capped = b.maxDiscount !== null ? Math.min(value, minor(b.maxDiscount)) : value;
      if (capped > 0) {
        counted.release(free, reach);
        touched[free]++;
        aside[free] += value - capped;
      } else if (limited && hasX) counted.dropLast();
      taken = lines.map((_, i) => (i === free ? capped : 0));
    } else {
      const eligibleTotal = eligible.reduce((a, c) => a + c, 0);
      // percent of minor units to the minor unit, half up, exactly: in floats 0.35 % of 11000 cents (38.5) came to 38
      let amount =
        b.kind === 'PERCENT_OFF'
          ? roundHalfUp(times(times(exactDecimal(eligibleTotal), exactDecimal(b.percentOff ?? 0)), { n: 1n, scale: 2 }))
          : Math.min(minor(b.amountOff ?? '0'), eligibleTotal);
      if (b.maxDiscount !== null) amount = Math.min(amount, minor(b.maxDiscount));
      taken = share(Math.max(0, amount), eligible, byLine);
      // what capped units still pay goes down with their line, in proportion (in integers: net × aside may pass 2^53)
      taken.forEach((t, i) => {
        if (t > 0 && aside[i] > 0) aside[i] = Number((BigInt(aside[i]) * BigInt(net[i] - t)) / BigInt(net[i]));
      });
    }
    taken.forEach((t, i) => (net[i] -= t));
    perOffer.push(taken.reduce((a, c) => a + c, 0));
  });
  return { discount: perOffer.reduce((a, c) => a + c, 0), perOffer, netLines: net };
}

/** Whether rank `a` comes before `b`, comparing entry by entry. */
function before(a: readonly (number | string)[], b: readonly (number | string)[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/** Why an offer does not apply to a basket, or null when it does. */
export type NotApplicable = 'CHANNEL' | 'CURRENCY' | 'NOTHING_TO_DISCOUNT' | 'BASKET_BELOW_AMOUNT';

export interface OfferTerms extends Benefit {
  /** Channels the offer may be used in (empty: any). */
  channels: string[];
  /**
   * The ISO 4217 money the benefit's amounts (`amountOff`, `maxDiscount`) are in: the issued
   * offer's, its program's money (null: not known).
   */
  moneyCurrency: string | null;
}

/**
 * Whether a benefit is worth an amount of money, and so means something only in one money: an
 * AMOUNT_OFF, or any benefit with a `maxDiscount`. Percent off without a cap and a free item
 * are the same in every money.
 */
export function hasMoneyValue(b: Pick<Benefit, 'kind' | 'maxDiscount'>): boolean {
  return b.kind === 'AMOUNT_OFF' || b.maxDiscount !== null;
}

/**
 * Whether a benefit's money amounts (`amountOff`, `maxDiscount`) are whole minor units of the
 * sale's money: "2.50 off" is not an amount of yen, and cutting it to ¥2 or raising it to ¥3
 * would decide for the program or the customer what the offer never said.
 */
export function amountsFit(o: Pick<Benefit, 'amountOff' | 'maxDiscount'>, saleCurrency: string): boolean {
  return [o.amountOff, o.maxDiscount].every((amount) => amount === null || amountFitsMoney(amount, saleCurrency));
}

/**
 * Whether an offer's benefit may be applied to a sale in `saleCurrency` (ISO 4217, capitals, as
 * the sale's input takes it; the offer's money is stored the same way, so codes compare as they
 * are): always when it has no money value (`hasMoneyValue`), else only when its money is the
 * sale's and its amounts are whole minor units of it (`amountsFit`). An offer whose money is not known (null) and that has a money value applies nowhere:
 * "2.00 off" in an unknown money could be ¥2 or €2 (docs/decisions.md, "An offer's money is its
 * program's").
 */
export function currencyFits(o: Pick<OfferTerms, 'kind' | 'amountOff' | 'maxDiscount' | 'moneyCurrency'>, saleCurrency: string): boolean {
  return !hasMoneyValue(o) || (o.moneyCurrency === saleCurrency && amountsFit(o, saleCurrency));
}

/**
 * Which of `offers` (applied in that order, as `priceBasket` does) do not apply to the basket of
 * `sale` (its channel, and its ISO 4217 `currency`):
 * - the offer names channels and the sale's channel (compared as item keys) is not one of them
 *   (a sale with no channel matches no restricted offer);
 * - its benefit has a money value (an amount off, a maximum discount) in another money than the
 *   sale's, or in none known (`currencyFits`);
 * - it takes nothing off: no qualifying line, the free item not in the basket (or, for "buy X get
 *   Y", no X), or what earlier offers left of the qualifying lines is nothing;
 * - an AMOUNT_OFF whose qualifying lines come to less than its amount (capped by `maxDiscount`):
 *   the customer would lose part of what they paid points for, so they keep the offer instead.
 * Returns, per offer, null (applies) or the reason; `priced` is the basket as priced.
 */
export function applicability(
  lines: SaleLine[],
  sale: { channel: string | null; currency: string },
  offers: OfferTerms[],
): { priced: Priced; refused: (NotApplicable | null)[] } {
  const digits = minorDigits(sale.currency);
  const priced = priceBasket(lines, offers, digits);
  const refused = offers.map((o, i): NotApplicable | null => {
    if (o.channels.length > 0 && !matchesAny(sale.channel, o.channels)) return 'CHANNEL';
    if (!currencyFits(o, sale.currency)) return 'CURRENCY';
    if (priced.perOffer[i] <= 0) return 'NOTHING_TO_DISCOUNT';
    if (o.kind === 'AMOUNT_OFF') {
      const amount = toMinor(o.amountOff ?? '0', digits);
      const full = o.maxDiscount !== null ? Math.min(amount, toMinor(o.maxDiscount, digits)) : amount;
      if (priced.perOffer[i] < full) return 'BASKET_BELOW_AMOUNT';
    }
    return null;
  });
  return { priced, refused };
}

/** What a till is told when an offer does not apply (CURRENCY names the two moneys: `notApplicableMessage`). */
export const NOT_APPLICABLE_MESSAGE: Record<Exclude<NotApplicable, 'CURRENCY'>, string> = {
  CHANNEL: 'This offer cannot be used in this channel.',
  NOTHING_TO_DISCOUNT: 'This offer does not apply to anything in this basket.',
  BASKET_BELOW_AMOUNT: 'The items this offer applies to come to less than its amount.',
};

/**
 * What a till is told when offer `o` does not apply, for `reason`, to a sale in `saleCurrency`;
 * for CURRENCY: "This offer's amount is in EUR; this sale is in JPY." (or that its money is not
 * known). An offer with no amount off (a percent off or free item with a cap) is named by what holds
 * the money, "This offer's maximum discount is in EUR; …": "amount" sent a till looking for an
 * amount on a "20% off" offer (newcomer-19).
 */
export function notApplicableMessage(reason: NotApplicable, o: Pick<OfferTerms, 'moneyCurrency' | 'amountOff'>, saleCurrency: string): string {
  if (reason !== 'CURRENCY') return NOT_APPLICABLE_MESSAGE[reason];
  const what = o.amountOff === null ? 'maximum discount' : 'amount';
  if (o.moneyCurrency === saleCurrency) return `This offer's ${what} is finer than ${saleCurrency} can be paid in (it has ${decimalsOf(saleCurrency)}), so it cannot be used on this sale.`;
  return o.moneyCurrency === null
    ? `This offer's ${what} is in no known currency, so it cannot be used on a sale in ${saleCurrency}.`
    : `This offer's ${what} is in ${o.moneyCurrency}; this sale is in ${saleCurrency}.`;
}

/** An offer version's benefit, as pricing reads it. */
export function benefitOf(o: OfferVersionRow): Benefit {
  return { kind: o.benefitKind, percentOff: o.percentOff, amountOff: o.amountOff, freeSku: o.freeSku, skus: o.skus, categories: o.categories, maxDiscount: o.maxDiscount };
}

/** An issued offer's terms: its version's benefit and channels, and the money it was issued in. */
export function termsOf(o: OfferVersionRow, moneyCurrency: string | null): OfferTerms {
  return { ...benefitOf(o), channels: o.channels, moneyCurrency };
}
