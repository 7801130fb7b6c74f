/**
 * How a sale earns: the economy rule's base points and whether a campaign applies. Pure functions
 * over cents and plain rows, unit-tested beside the HTTP suites.
 */
import { PermanentJobError } from '../jobs/runner.js';
import { itemKey, matchesAny } from '../transactions/pricing.js';
import type { SaleLine } from '../transactions/transaction.entity.js';
import type { EntityRow } from '../db/schema.js';
import { Rounding, type Campaign, type EconomyRule } from './rule.entity.js';

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

/** A currency's economy rule as earning reads it: every `economy_rule` column but `updatedAt`. */
export type EconomyRuleRow = Omit<EntityRow<EconomyRule>, 'updatedAt'>;

/** Rounds as the rule says, after settling float noise (2.9999999 is 3). */
export function roundPoints(raw: number, rounding: Rounding): number {
  const settled = Math.round(raw * 1e6) / 1e6;
  switch (rounding) {
    case Rounding.CEIL:
      return Math.ceil(settled);
    case Rounding.ROUND:
      return Math.round(settled);
    default:
      return Math.floor(settled);
  }
}

/**
 * Points per unit of money actually paid (each line after its share of the discount), times the
 * line's category multiplier, excluded SKUs earning nothing, times the customer's tier multiplier,
 * rounded once at the end. Throws AwardOutOfRangeError past MAX_AWARD_POINTS.
 */
export function economyPoints(rule: EconomyRuleRow, lines: SaleLine[], netTotals: number[], tierMultiplier: number): number {
  return checkedAward(Math.max(0, roundPoints(economyBase(rule, lines, netTotals) * tierMultiplier, rule.rounding)));
}

/**
 * The economy rule's points before the tier multiplier and rounding (economyPoints' `raw`): points
 * per unit of money paid per line (`netTotals`, cents), times the line's category multiplier,
 * excluded SKUs earning nothing. A sale earns in the rule's currency at some tier only when this
 * is above 0 (tier multipliers are not negative), which is what processing needs to know before
 * it reads the tier (it locks the accounts the tier depends on first).
 */
export function economyBase(rule: EconomyRuleRow, lines: SaleLine[], netTotals: number[]): number {
  const perUnit = Number(rule.pointsPerUnit);
  let raw = 0;
  lines.forEach((line, i) => {
    if (matchesAny(line.sku, rule.excludedSkus)) return;
    const category = line.category === null ? undefined : rule.categoryMultipliers.find((c) => itemKey(c.category) === itemKey(line.category!));
    raw += (netTotals[i] / 100) * perUnit * (category?.multiplier ?? 1);
  });
  return raw;
}

/**
 * A campaign as earning reads it: every `campaign` column but `createdAt`, with `multiplier` read
 * as a number (`multiplier::float8`: it multiplies points; the entity keeps the exact decimal).
 */
export type CampaignRow = Omit<EntityRow<Campaign>, 'createdAt' | 'multiplier'> & { multiplier: number | null };

export interface SaleFacts {
  lines: SaleLine[];
  /** What the customer paid, in cents, after discounts. */
  netTotal: number;
  channel: string | null;
  tierCode: string | null;
  segments: string[];
  /** No earlier processed sale for this customer. */
  firstPurchase: boolean;
  occurredAt: Date;
}

/** ISO day of the week in UTC: 1 = Monday … 7 = Sunday. */
export const isoDay = (at: Date) => ((at.getUTCDay() + 6) % 7) + 1;

/**
 * Whether the campaign can apply to the sale whatever the customer's tier: every other condition
 * holds (campaignApplies without the tiers). What processing knows before it takes the locks
 * under which it reads the tier (the campaign's budget and the accounts it may credit are locked
 * first).
 */
export function campaignMayApply(c: CampaignRow, f: Omit<SaleFacts, 'tierCode'>, minSpendCents: number | null): boolean {
  return campaignApplies({ ...c, tiers: [] }, { ...f, tierCode: null }, minSpendCents);
}

/** Every condition the campaign sets holds for the sale (conditions it does not set hold trivially). */
export function campaignApplies(c: CampaignRow, f: SaleFacts, minSpendCents: number | null): boolean {
  const at = f.occurredAt.getTime();
  if (at < new Date(c.startsAt).getTime() || at >= new Date(c.endsAt).getTime()) return false;
  if (minSpendCents !== null && f.netTotal < minSpendCents) return false;
  // SKUs, categories and channels compare as item keys (any case, any spacing), as offers do.
  if (c.skus.length && !f.lines.some((l) => matchesAny(l.sku, c.skus))) return false;
  if (c.categories.length && !f.lines.some((l) => matchesAny(l.category, c.categories))) return false;
  if (c.channels.length && !matchesAny(f.channel, c.channels)) return false;
  if (c.tiers.length && !(f.tierCode && c.tiers.includes(f.tierCode))) return false;
  if (c.segments.length && !f.segments.some((s) => c.segments.includes(s))) return false;
  if (c.firstPurchase && !f.firstPurchase) return false;
  if (c.daysOfWeek.length && !c.daysOfWeek.includes(isoDay(f.occurredAt))) return false;
  return true;
}
