/**
 * How a sale earns: the economy rule's base points and whether a campaign applies. Pure functions
 * over minor units of money and plain rows, unit-tested beside the HTTP suites.
 */
import { PermanentJobError } from '../jobs/runner.js';
import { itemKey, matchesAny } from '../transactions/pricing.js';
import type { SaleLine } from '../transactions/transaction.entity.js';
import type { EntityRow } from '../db/schema.js';
import { Rounding, type Campaign, type EconomyRule } from './rule.entity.js';
import { exactDecimal, plus, times, type ExactDecimal } from '../domain/decimal.js';
import { instantOf } from '../domain/instant.js';

export { exactDecimal, type ExactDecimal } from '../domain/decimal.js';

/**
 * The most points one sale may award (in one award, and in all of them together): the bound of
 * every points amount a client may send (`MAX_POINTS`), so a sale's answer (`pointsAwarded`, an
 * `Int`) and the balance it lands in stay within GraphQL `Int`.
 */
export const MAX_AWARD_POINTS = 1_000_000_000;

/** A sale whose rules would award more than MAX_AWARD_POINTS: it fails for good, awarding nothing. */
export class AwardOutOfRangeError extends PermanentJobError {
  constructor(points: number) {
    super(`The sale would award ${Number.isFinite(points) ? points : 'more'} points, beyond the ${MAX_AWARD_POINTS} one sale may award.`);
  }
}

/** `points` when it is a whole number of points one sale may award; AwardOutOfRangeError otherwise. */
export function checkedAward(points: number): number {
  if (!Number.isSafeInteger(points) || points < 0 || points > MAX_AWARD_POINTS) throw new AwardOutOfRangeError(points);
  return points;
}

/** A currency's economy rule as earning reads it: every `economy_rule` column but `updatedAt` and `version` (staff's, see EconomyRuleStaffRow). */
export type EconomyRuleRow = Omit<EntityRow<EconomyRule>, 'updatedAt' | 'version'>;

/** A currency's economy rule as staff read and set it: earning's columns and the rule's `version`. */
export type EconomyRuleStaffRow = EconomyRuleRow & Pick<EntityRow<EconomyRule>, 'version'>;

const ZERO: ExactDecimal = { n: 0n, scale: 0 };

/**
 * Rounds an exact amount of points to whole points as the rule says: FLOOR and CEIL towards minus
 * and plus infinity, ROUND half up (2.5 is 3). A number is taken as the decimal it prints as.
 */
export function roundPoints(raw: ExactDecimal | number, rounding: Rounding): number {
  const { n, scale } = typeof raw === 'number' ? exactDecimal(raw) : raw;
  const unit = 10n ** BigInt(scale);
  const floor = n >= 0n ? n / unit : -((-n + unit - 1n) / unit);
  const rest = n - floor * unit; // 0 <= rest < unit
  let points = floor;
  if (rounding === Rounding.CEIL && rest > 0n) points += 1n;
  if (rounding === Rounding.ROUND && rest * 2n >= unit) points += 1n;
  return Number(points);
}

/**
 * Points per unit of money actually paid (each line after its share of the discount), times the
 * line's category multiplier, excluded SKUs earning nothing, times the customer's tier multiplier,
 * computed exactly (ExactDecimal) and rounded once at the end. Throws AwardOutOfRangeError past
 * MAX_AWARD_POINTS.
 */
export function economyPoints(rule: EconomyRuleRow, lines: SaleLine[], netTotals: number[], tierMultiplier: number, digits: number): number {
  return checkedAward(Math.max(0, roundPoints(times(economyBase(rule, lines, netTotals, digits), exactDecimal(tierMultiplier)), rule.rounding)));
}

/**
 * The economy rule's points before the tier multiplier and rounding, exactly (economyPoints'
 * product without the tier): points per unit of money paid per line (`netTotals`, minor units of a money with `digits` decimals:
 * cents, fils, yen), times
 * the line's category multiplier, excluded SKUs earning nothing. A sale earns in the rule's
 * currency at some tier only when this is above 0 (tier multipliers are not negative), which is
 * what processing needs to know before it reads the tier (it locks the accounts the tier depends
 * on first).
 */
export function economyBase(rule: EconomyRuleRow, lines: SaleLine[], netTotals: number[], digits: number): ExactDecimal {
  const perUnit = exactDecimal(rule.pointsPerUnit);
  // cents paid per category multiplier (a sale has few), then Σ cents × multiplier exactly
  const centsByMultiplier = new Map<number, bigint>();
  lines.forEach((line, i) => {
    if (matchesAny(line.sku, rule.excludedSkus)) return;
    const category = line.category === null ? undefined : rule.categoryMultipliers.find((c) => itemKey(c.category) === itemKey(line.category!));
    const multiplier = category?.multiplier ?? 1;
    centsByMultiplier.set(multiplier, (centsByMultiplier.get(multiplier) ?? 0n) + BigInt(netTotals[i]));
  });
  let paid = ZERO;
  for (const [multiplier, cents] of centsByMultiplier) paid = plus(paid, times({ n: cents, scale: 0 }, exactDecimal(multiplier)));
  return times(times(paid, { n: 1n, scale: digits }), perUnit); // minor units → money units
}

/**
 * What a campaign's multiplier adds to a sale's base points: base × (multiplier − 1), exactly,
 * rounded as the currency's rule says; never below 0 (a multiplier under 1 takes nothing away).
 */
export function multiplierPoints(base: number, multiplier: number, rounding: Rounding): number {
  const m = exactDecimal(multiplier);
  const extra = times(exactDecimal(base), { n: m.n - 10n ** BigInt(m.scale), scale: m.scale });
  return Math.max(0, roundPoints(extra, rounding));
}

/**
 * A campaign as earning reads it: every `campaign` column but `createdAt`, with `multiplier` read
 * as a number (`multiplier::float8`: it multiplies points; the entity keeps the exact decimal).
 */
export type CampaignRow = Omit<EntityRow<Campaign>, 'createdAt' | 'multiplier'> & { multiplier: number | null };

/** A campaign's terms, what a sale's earning reads: a CampaignRow without its running count. */
export type CampaignTerms = Omit<CampaignRow, 'pointsAwarded'>;

export interface SaleFacts {
  lines: SaleLine[];
  /** What the customer paid, in minor units of the sale's money, after discounts. */
  netTotal: number;
  channel: string | null;
  tierCode: string | null;
  segments: string[];
  /** No earlier processed sale for this customer. */
  firstPurchase: boolean;
  occurredAt: Date;
  /** The UTC offset the till wrote its time with, in minutes east of UTC (0: UTC): where its day of the week is read. */
  offsetMinutes?: number;
}

/** ISO day of the week, 1 = Monday … 7 = Sunday, at `offsetMinutes` east of UTC (default: in UTC). */
export const isoDay = (at: Date, offsetMinutes = 0) => ((new Date(at.getTime() + offsetMinutes * 60_000).getUTCDay() + 6) % 7) + 1;

/**
 * Whether the campaign can apply to the sale whatever the customer's tier: every other condition
 * holds (campaignApplies without the tiers). What processing knows before it takes the locks
 * under which it reads the tier (the campaign's budget and the accounts it may credit are locked
 * first).
 */
export function campaignMayApply(c: CampaignTerms, f: Omit<SaleFacts, 'tierCode'>, minSpendCents: number | null): boolean {
  return campaignApplies({ ...c, tiers: [] }, { ...f, tierCode: null }, minSpendCents);
}

/** Every condition the campaign sets holds for the sale (conditions it does not set hold trivially). */
export function campaignApplies(c: CampaignTerms, f: SaleFacts, minSpendCents: number | null): boolean {
  const at = f.occurredAt.getTime();
  if (at < instantOf(c.startsAt).getTime() || at >= instantOf(c.endsAt).getTime()) return false;
  if (minSpendCents !== null && f.netTotal < minSpendCents) return false;
  // SKUs, categories and channels compare as item keys (any case, any spacing), as offers do.
  if (c.skus.length && !f.lines.some((l) => matchesAny(l.sku, c.skus))) return false;
  if (c.categories.length && !f.lines.some((l) => matchesAny(l.category, c.categories))) return false;
  if (c.channels.length && !matchesAny(f.channel, c.channels)) return false;
  if (c.tiers.length && !(f.tierCode && c.tiers.includes(f.tierCode))) return false;
  if (c.segments.length && !f.segments.some((s) => c.segments.includes(s))) return false;
  if (c.firstPurchase && !f.firstPurchase) return false;
  // the till's weekday: a Tuesday-only campaign is Tuesday in the shop, not in Greenwich (money-12)
  if (c.daysOfWeek.length && !c.daysOfWeek.includes(isoDay(f.occurredAt, f.offsetMinutes))) return false;
  return true;
}
