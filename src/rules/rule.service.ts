import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx } from '../context.js';
import { query, queryOne, sql } from '../db/sql.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';
import type { CampaignRow, EconomyRuleRow } from './earning.js';
import { Rounding } from './rule.entity.js';

const RULE_COLUMNS = sql`r.id, r.currency_code as "currencyCode", r.points_per_unit::text as "pointsPerUnit",
  r.category_multipliers as "categoryMultipliers", r.excluded_skus as "excludedSkus", r.rounding, r.pending_days as "pendingDays"`;

const CAMPAIGN_COLUMNS = sql`c.id, c.name, c.currency_code as "currencyCode", c.starts_at as "startsAt", c.ends_at as "endsAt",
  c.min_spend::text as "minSpend", c.skus, c.categories, c.channels, c.tiers, c.segments, c.first_purchase as "firstPurchase",
  c.days_of_week as "daysOfWeek", c.bonus_points as "bonusPoints", c.multiplier::float8 as multiplier, c.offer_id as "offerId",
  c.per_customer as "perCustomer", c.budget_points as "budgetPoints", c.points_awarded as "pointsAwarded"`;

async function requireCurrency(em: SqlEntityManager, code: string) {
  if (!(await queryOne(em, sql`select 1 from point_currency where code = ${code}`))) {
    throw refuse(UserErrorCode.NOT_FOUND, `No currency ${code}.`, ['input', 'currency']);
  }
}

export interface EconomyRuleData {
  currency: string;
  pointsPerUnit: string;
  categoryMultipliers?: { category: string; multiplier: number }[] | null;
  excludedSkus?: string[] | null;
  rounding?: Rounding | null;
  pendingDays?: number | null;
}

/** Sets the currency's economy rule (one per currency; setting it again replaces it). */
export async function setEconomyRule(ctx: Ctx, d: EconomyRuleData): Promise<EconomyRuleRow> {
  const now = ctx.clock.now();
  return ctx.em.transactional(async (em) => {
    await requireCurrency(em, d.currency);
    const [row] = await query<EconomyRuleRow>(
      em,
      sql`insert into economy_rule as r (currency_code, points_per_unit, category_multipliers, excluded_skus, rounding, pending_days, updated_at)
          values (${d.currency}, ${d.pointsPerUnit}, ${JSON.stringify(d.categoryMultipliers ?? [])}::jsonb, ${d.excludedSkus ?? []}::text[],
                  ${d.rounding ?? Rounding.FLOOR}, ${d.pendingDays ?? 0}, ${now})
          on conflict (currency_code) do update set points_per_unit = excluded.points_per_unit, category_multipliers = excluded.category_multipliers,
            excluded_skus = excluded.excluded_skus, rounding = excluded.rounding, pending_days = excluded.pending_days, updated_at = excluded.updated_at
          returning ${RULE_COLUMNS}`,
    );
    await recordAudit(em, { actor: actorOf(ctx.caller), action: 'setEconomyRule', target: `EconomyRule:${row.id}`, details: d, at: now });
    return row;
  });
}

/** The economy rules of the point currencies valued in `moneyCurrency` (what a sale in it earns). */
export async function economyRulesFor(em: SqlEntityManager, moneyCurrency: string): Promise<EconomyRuleRow[]> {
  return query<EconomyRuleRow>(
    em,
    sql`select ${RULE_COLUMNS} from economy_rule r join point_currency pc on pc.code = r.currency_code
         where pc.money_currency = ${moneyCurrency} order by r.currency_code`,
  );
}

/** Campaigns whose window holds `at`, for point currencies valued in `moneyCurrency`. */
export async function campaignsAt(em: SqlEntityManager, moneyCurrency: string, at: Date): Promise<CampaignRow[]> {
  return query<CampaignRow>(
    em,
    sql`select ${CAMPAIGN_COLUMNS} from campaign c join point_currency pc on pc.code = c.currency_code
         where pc.money_currency = ${moneyCurrency} and c.starts_at <= ${at} and c.ends_at > ${at} order by c.id`,
  );
}

export async function allCampaigns(em: SqlEntityManager): Promise<CampaignRow[]> {
  return query<CampaignRow>(em, sql`select ${CAMPAIGN_COLUMNS} from campaign c order by c.id desc limit 500`);
}

export async function campaignsByIds(em: SqlEntityManager, ids: readonly number[]): Promise<CampaignRow[]> {
  return query<CampaignRow>(em, sql`select ${CAMPAIGN_COLUMNS} from campaign c where c.id = any(${ids as number[]}::bigint[])`);
}

export interface CampaignData {
  name: string;
  currency: string;
  startsAt: Date;
  endsAt: Date;
  conditions?: {
    minSpend?: string | null;
    skus?: string[] | null;
    categories?: string[] | null;
    channels?: string[] | null;
    tiers?: string[] | null;
    segments?: string[] | null;
    firstPurchase?: boolean | null;
    daysOfWeek?: number[] | null;
  } | null;
  outcome?: { bonusPoints?: number | null; multiplier?: number | null; offerId?: number | null } | null;
  limits?: { perCustomer?: number | null; budgetPoints?: number | null } | null;
}

export async function createCampaign(ctx: Ctx, d: CampaignData): Promise<CampaignRow> {
  const c = d.conditions ?? {};
  const o = d.outcome ?? {};
  const l = d.limits ?? {};
  if (d.startsAt >= d.endsAt) throw refuse(UserErrorCode.INVALID, 'endsAt must be after startsAt.', ['input', 'endsAt']);
  if (o.bonusPoints == null && o.multiplier == null && o.offerId == null) {
    throw refuse(UserErrorCode.INVALID, 'A campaign needs an outcome: bonusPoints, multiplier or offerId.', ['input', 'outcome']);
  }
  const now = ctx.clock.now();
  return ctx.em.transactional(async (em) => {
    await requireCurrency(em, d.currency);
    if (o.offerId != null && !(await queryOne(em, sql`select 1 from offer where id = ${o.offerId}`))) {
      throw refuse(UserErrorCode.NOT_FOUND, 'No such offer.', ['input', 'outcome', 'offerId']);
    }
    const [row] = await query<{ id: number }>(
      em,
      sql`insert into campaign (name, currency_code, starts_at, ends_at, min_spend, skus, categories, channels, tiers, segments, first_purchase,
                                days_of_week, bonus_points, multiplier, offer_id, per_customer, budget_points, created_at)
          values (${d.name}, ${d.currency}, ${d.startsAt}, ${d.endsAt}, ${c.minSpend ?? null}, ${c.skus ?? []}::text[], ${c.categories ?? []}::text[],
                  ${c.channels ?? []}::text[], ${c.tiers ?? []}::text[], ${c.segments ?? []}::text[], ${c.firstPurchase ?? false},
                  ${c.daysOfWeek ?? []}::int[], ${o.bonusPoints ?? null}, ${o.multiplier ?? null}, ${o.offerId ?? null},
                  ${l.perCustomer ?? null}, ${l.budgetPoints ?? null}, ${now})
          returning id`,
    );
    await recordAudit(em, { actor: actorOf(ctx.caller), action: 'createCampaign', target: `Campaign:${row.id}`, details: d, at: now });
    return (await campaignsByIds(em, [row.id]))[0];
  });
}
