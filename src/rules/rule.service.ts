import { named, segmentOf } from '../domain/text.js';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx } from '../context.js';
import type { RawBuilder } from 'kysely';
import { byDefault, castColumn, columnsOf, db, type Selected } from '../db/schema.js';
import { idList, query, queryOne, sql } from '../db/sql.js';
import { withCents } from '../domain/currency.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';
import { canonicalDecimal, createOnce, setsFingerprint } from '../idempotency/idempotency.service.js';
import { setOrder } from '../domain/lists.js';
import type { CampaignRow, CampaignTerms, EconomyRuleRow, EconomyRuleStaffRow } from './earning.js';
import { Campaign, EconomyRule, Rounding } from './rule.entity.js';
import { refuseUnknownTiers } from '../tiers/tier.service.js';
import { refuseAmountsFinerThanMoney } from '../offers/offer.service.js';
import { instantOf } from '../domain/instant.js';

const RULE_HEAD = columnsOf(EconomyRule, 'r', ['id', 'currencyCode']);
const RULE_PER_UNIT = castColumn(EconomyRule, 'r', 'pointsPerUnit', 'text');
const RULE_TAIL = columnsOf(EconomyRule, 'r', ['categoryMultipliers', 'excludedSkus', 'rounding', 'pendingDays']);

const CAMPAIGN_HEAD = columnsOf(Campaign, 'c', ['id', 'name', 'currencyCode', 'startsAt', 'endsAt', 'endedAt']);
const CAMPAIGN_MIN_SPEND = castColumn(Campaign, 'c', 'minSpend', 'text');
const CAMPAIGN_MIDDLE = columnsOf(Campaign, 'c', ['skus', 'categories', 'channels', 'tiers', 'segments', 'firstPurchase', 'daysOfWeek', 'bonusPoints']);
// A number, as earning multiplies with it (the entity keeps the exact decimal string).
const CAMPAIGN_MULTIPLIER = castColumn(Campaign, 'c', 'multiplier', 'float8');
const CAMPAIGN_TAIL = columnsOf(Campaign, 'c', ['offerId', 'perCustomer', 'budgetPoints']);

const RULE_COLUMNS: RawBuilder<EconomyRuleRow> = sql<
  Selected<typeof RULE_HEAD> & Selected<typeof RULE_PER_UNIT> & Selected<typeof RULE_TAIL>
>`${RULE_HEAD}, ${RULE_PER_UNIT}, ${RULE_TAIL}`;

const RULE_VERSION = columnsOf(EconomyRule, 'r', ['version']);

/** An economy rule (`r`) as staff read it: earning's columns and its version. */
const STAFF_RULE_COLUMNS: RawBuilder<EconomyRuleStaffRow> = sql<EconomyRuleRow & Selected<typeof RULE_VERSION>>`${RULE_COLUMNS}, ${RULE_VERSION}`;

/**
 * VERSION_CONFLICT for a set made from a rule (`expected`: its version, 0 for none) that is no
 * longer the current one (`current`: its version, 0 for none); the refusal names what is current.
 */
export function ruleVersionConflict(what: string, expected: number, current: number) {
  const made = expected === 0 ? 'when it had no rule' : `from version ${expected}`;
  const now = current === 0 ? 'it has no rule now' : `it is now version ${current}`;
  return refuse(
    UserErrorCode.VERSION_CONFLICT,
    `${what} was set by someone else since this was made ${made}: ${now}, and nothing was saved. Read it again and make the change on the current rule.`,
    ['input', 'expectedVersion'],
  );
}

/** A campaign's terms (`c`): what a sale's processing reads of it. */
const CAMPAIGN_TERMS: RawBuilder<CampaignTerms> = sql<
  Selected<typeof CAMPAIGN_HEAD> & Selected<typeof CAMPAIGN_MIN_SPEND> & Selected<typeof CAMPAIGN_MIDDLE> & Selected<typeof CAMPAIGN_MULTIPLIER> & Selected<typeof CAMPAIGN_TAIL>
>`${CAMPAIGN_HEAD}, ${CAMPAIGN_MIN_SPEND}, ${CAMPAIGN_MIDDLE}, ${CAMPAIGN_MULTIPLIER}, ${CAMPAIGN_TAIL}`;

/**
 * A campaign (`c`) as staff read it: its terms and what it has awarded, net of reversals: its row's
 * count plus, for one without a budget, its shards' (`CampaignCount`; never below 0, as returns
 * never took the count below 0 before the shards).
 */
const CAMPAIGN_COLUMNS: RawBuilder<CampaignRow> = sql<CampaignRow>`${CAMPAIGN_TERMS},
  greatest(c.points_awarded + coalesce((select sum(k.points) from campaign_count k where k.campaign_id = c.id), 0), 0)::int8 as "pointsAwarded"`;

/**
 * How many rows each campaign without a budget counts on (`CampaignCount.shard`): sales of
 * customers in different shards never wait on each other's count.
 */
export const CAMPAIGN_COUNT_SHARDS = 32;

/** The `campaign_count` row a customer's sales and returns count on. */
export function countShardOf(customerId: number): number {
  return customerId % CAMPAIGN_COUNT_SHARDS;
}

async function requireCurrency(em: SqlEntityManager, code: string, lock = false) {
  const read = db(em).selectFrom('PointCurrency').select('code').where('code', '=', code);
  if (!(await (lock ? read.forNoKeyUpdate() : read).executeTakeFirst())) {
    throw refuse(UserErrorCode.NOT_FOUND, `No currency ${named(code)}.`, ['input', 'currency']);
  }
}

export interface EconomyRuleData {
  currency: string;
  pointsPerUnit: string;
  categoryMultipliers?: { category: string; multiplier: number }[] | null;
  excludedSkus?: string[] | null;
  rounding?: Rounding | null;
  pendingDays?: number | null;
  /** The rule's version the set was made from (0: no rule yet); null or absent: whatever is current. */
  expectedVersion?: number | null;
}

/**
 * Sets the currency's economy rule (one per currency; setting it again replaces it) and records
 * it as a version in force from now (`economy_rule_version`), in one statement: sales that
 * happened before now keep earning by the version they happened under.
 * A version is never in force from before the currency's latest one (`valid_from` is the later of
 * now and that one's): the rule set last is the one in force from its setting on, also when it was
 * set on a clock behind the previous setter's (another instance within CLOCK_SKEW_MAX_MS, a clock
 * stepped back); otherwise the replaced rule took over again, for good, once the clock passed its
 * reading, while `economyRules` showed the new one (break-17). The currency's row is locked
 * (FOR NO KEY UPDATE: sales' foreign-key checks are not held) so that two settings of one
 * currency read each other's version in that order.
 * The rule's `version` is 1 when first set and one more at each set. `expectedVersion` (as HTTP's
 * If-Match) is the version the set was made from, 0 for "no rule yet": when the rule is at another,
 * VERSION_CONFLICT and nothing written (break33, rules: the console's form, filled before another
 * operator's set, wrote its values back over theirs). It is compared under the currency's lock, so
 * of sets sent at once from one version exactly one is written. Null or absent: the last set wins.
 * @throws NOT_FOUND (field `input.currency`) for a currency that does not exist
 */
export async function setEconomyRule(ctx: Ctx, d: EconomyRuleData, reason: string | null = null): Promise<EconomyRuleStaffRow> {
  const now = ctx.clock.now();
  const { expectedVersion, ...rule } = d;
  return ctx.em.transactional(async (em) => {
    await requireCurrency(em, d.currency, true);
    if (expectedVersion != null) {
      // read after the lock: under READ COMMITTED this statement sees the set that held it before
      const current = (await queryOne(em, sql<{ version: number }>`select version from economy_rule where currency_code = ${d.currency}`))?.version ?? 0;
      if (current !== expectedVersion) throw ruleVersionConflict(`The economy rule of ${named(d.currency)}`, expectedVersion, current);
    }
    const [row] = await query(
      em,
      sql<EconomyRuleStaffRow>`with r as (
          insert into economy_rule as r (currency_code, points_per_unit, category_multipliers, excluded_skus, rounding, pending_days, updated_at)
          values (${d.currency}, round(${d.pointsPerUnit}::numeric, greatest(4, scale(${d.pointsPerUnit}::numeric))), ${JSON.stringify(d.categoryMultipliers ?? [])}::jsonb, ${d.excludedSkus ?? []}::text[],
                  ${d.rounding ?? Rounding.FLOOR}, ${d.pendingDays ?? 0}, ${now})
          on conflict (currency_code) do update set points_per_unit = excluded.points_per_unit, category_multipliers = excluded.category_multipliers,
            excluded_skus = excluded.excluded_skus, rounding = excluded.rounding, pending_days = excluded.pending_days, updated_at = excluded.updated_at,
            version = r.version + 1
          returning *
        ), version as (
          insert into economy_rule_version (currency_code, points_per_unit, category_multipliers, excluded_skus, rounding, pending_days, valid_from)
          select currency_code, points_per_unit, category_multipliers, excluded_skus, rounding, pending_days,
                 greatest(updated_at, (select max(v.valid_from) from economy_rule_version v where v.currency_code = r.currency_code)) from r
        )
        select ${STAFF_RULE_COLUMNS} from r`,
    );
    // the input as sent: expectedVersion only when it was
    const details = expectedVersion != null ? d : rule;
    await recordAudit(em, { actor: actorOf(ctx.caller), action: 'setEconomyRule', target: `EconomyRule:${row.id}`, reason, details, at: now });
    return row;
  });
}

/**
 * The economy rules of the point currencies valued in `moneyCurrency` as they were at `at` (what a
 * sale in it that happened then earns), as an SQL expression: a JSON array of EconomyRuleRow, by
 * currency code (`[]` for none). Each is the currency's `economy_rule_version` in force at `at`:
 * the newest set at or before it (the later id of two set at one instant), else, for a sale before
 * the currency's first version, that first version (the rule the program first set; a migrated
 * database's first version is the rule it had then, in force for an unknown time before). `id` is
 * the currency's `economy_rule` id. A sale is read as of its time as campaigns are
 * (`campaignsAtJson`): processed late (a queue's backlog, a retry) or sent late by an offline till,
 * it earned by a rule set after it (hostile-17, econ-17).
 * An expression rather than a statement, so a sale's processing reads them in the statement that
 * reads its customer (one round trip instead of one per read; issue 12). Every column is JSON
 * as the driver would give it (numbers, text, arrays, the multipliers' jsonb), so the array parses
 * into EconomyRuleRow as it is.
 */
export function economyRulesJson(moneyCurrency: string, at: Date): RawBuilder<EconomyRuleRow[]> {
  return sql<EconomyRuleRow[]>`(select coalesce(json_agg(x order by x."currencyCode"), '[]') from (
      select ${RULE_COLUMNS} from economy_rule e join point_currency pc on pc.code = e.currency_code
        cross join lateral (
          select e.id, v.currency_code, v.points_per_unit, v.category_multipliers, v.excluded_skus, v.rounding, v.pending_days
            from economy_rule_version v where v.currency_code = e.currency_code
           order by v.valid_from <= ${at} desc,
                    case when v.valid_from <= ${at} then v.valid_from end desc,
                    case when v.valid_from > ${at} then v.valid_from end asc,
                    v.id desc
           limit 1) r
       where pc.money_currency = ${moneyCurrency}) x)`;
}

/**
 * Campaigns whose window holds `at`, for point currencies valued in `moneyCurrency`, as an SQL
 * expression: a JSON array of CampaignTerms by id (`[]` for none), read with its sale's customer (see
 * economyRulesJson). Its window's bounds arrive as ISO strings: `campaignsFromJson` makes them Dates.
 */
export function campaignsAtJson(moneyCurrency: string, at: Date): RawBuilder<CampaignJson[]> {
  return sql<CampaignJson[]>`(select coalesce(json_agg(x order by x.id), '[]') from (
      select ${CAMPAIGN_TERMS} from campaign c join point_currency pc on pc.code = c.currency_code
       where pc.money_currency = ${moneyCurrency} and c.starts_at <= ${at} and c.ends_at > ${at}) x)`;
}

/** CampaignTerms as JSON carries them: the window's bounds as ISO 8601 strings. */
export type CampaignJson = Omit<CampaignTerms, 'startsAt' | 'endsAt'> & { startsAt: string; endsAt: string };

/** The CampaignTerms of `campaignsAtJson`'s array, their window's bounds as Dates. */
export function campaignsFromJson(rows: readonly CampaignJson[]): CampaignTerms[] {
  return rows.map((c) => ({ ...c, startsAt: instantOf(c.startsAt), endsAt: instantOf(c.endsAt) }));
}

/**
 * Every campaign, newest first (staff), as `campaigns` says. It read the newest 500 only, silently:
 * an older campaign, still running and awarding points, was in no staff read at all (break37, API). Campaigns are made by staff one at a time, so the list stays
 * of a size a page shows.
 */
export async function allCampaigns(em: SqlEntityManager): Promise<CampaignRow[]> {
  return query(em, sql<CampaignRow>`select ${CAMPAIGN_COLUMNS} from campaign c order by c.id desc`);
}

/**
 * Every currency's economy rule (one per currency), by currency code (byte order): what `setEconomyRule` last
 * set. Currencies without one are left out (their sales earn nothing from the economy rule).
 */
export async function allEconomyRules(em: SqlEntityManager): Promise<EconomyRuleStaffRow[]> {
  return query(em, sql<EconomyRuleStaffRow>`select ${STAFF_RULE_COLUMNS} from economy_rule r order by r.currency_code collate "C"`);
}

/** Economy rules by id, as `economyRules` reads them (any order; unknown ids are left out): staff's node(id:) and nodes. */
export async function economyRulesByIds(em: SqlEntityManager, ids: readonly number[]): Promise<EconomyRuleStaffRow[]> {
  return query(em, sql<EconomyRuleStaffRow>`select ${STAFF_RULE_COLUMNS} from economy_rule r where r.id = any(${idList(ids)})`);
}

/** Campaigns by id (any order; unknown ids are left out). */
export async function campaignsByIds(em: SqlEntityManager, ids: readonly number[]): Promise<CampaignRow[]> {
  return query(em, sql<CampaignRow>`select ${CAMPAIGN_COLUMNS} from campaign c where c.id = any(${idList(ids)})`);
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

/** A campaign's conditions that are sets: each matches when the sale has any one of its entries. */
const CONDITION_SETS = ['skus', 'categories', 'channels', 'tiers', 'segments', 'daysOfWeek'] as const;

/**
 * Creates a campaign (staff), audit-logged. Refusals (nothing written): INVALID for an empty window
 * or no outcome; NOT_FOUND for an unknown currency, a condition tier the ladder does not have
 * (`refuseUnknownTiers`) or an unknown outcome offer. With `idempotencyKey` (the staff member's own;
 * see createOnce): the same key and campaign again answer the same campaign, as it is now, and
 * create nothing; another campaign under it is IDEMPOTENCY_KEY_REUSED.
 */
export async function createCampaign(ctx: Ctx, d: CampaignData, idempotencyKey?: string | null, reason: string | null = null): Promise<CampaignRow> {
  const c = d.conditions ?? {};
  const o = d.outcome ?? {};
  if (d.startsAt >= d.endsAt) throw refuse(UserErrorCode.INVALID, 'endsAt must be after startsAt.', ['input', 'endsAt']);
  if (o.bonusPoints == null && o.multiplier == null && o.offerId == null) {
    throw refuse(UserErrorCode.INVALID, 'A campaign needs an outcome: bonusPoints, multiplier or offerId.', ['input', 'outcome']);
  }
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  // its minimum spend in one spelling ("10.0" = "10"), its lists as sets (noticed-40); the rest as sent
  const fingerprint = () => {
    const sent = { ...d, conditions: { ...c, minSpend: c.minSpend == null ? null : canonicalDecimal(c.minSpend) } };
    const sets = Object.fromEntries(CONDITION_SETS.map((k) => [k, c[k] == null ? c[k] : setOrder<string | number>(c[k])]));
    return setsFingerprint({ ...sent, conditions: { ...sent.conditions, ...sets } }, sent);
  };
  return ctx.em.transactional(async (em) => {
    const { result } = await createOnce(ctx, em, `create-campaign:${actor}`, idempotencyKey, fingerprint, now, () => insertCampaign(em, d, { actor, reason }, now));
    return (await campaignsByIds(em, [result.id]))[0];
  });
}

/** createCampaign's effect: its checks against the program, the campaign and its audit entry. */
async function insertCampaign(em: SqlEntityManager, d: CampaignData, { actor, reason }: { actor: string; reason: string | null }, now: Date): Promise<{ id: number }> {
  const c = d.conditions ?? {};
  const o = d.outcome ?? {};
  const l = d.limits ?? {};
  await requireCurrency(em, d.currency);
  await refuseUnknownTiers(em, c.tiers, ['input', 'conditions', 'tiers']);
  if (o.offerId != null && !(await db(em).selectFrom('Offer').select('id').where('id', '=', o.offerId).executeTakeFirst())) {
    throw refuse(UserErrorCode.NOT_FOUND, 'No such offer.', ['input', 'outcome', 'offerId']);
  }
  if (o.offerId != null) {
    const money = await db(em).selectFrom('PointCurrency').select('moneyCurrency').where('code', '=', d.currency).executeTakeFirstOrThrow();
    await refuseAmountsFinerThanMoney(em, [o.offerId], money.moneyCurrency, () => ['input', 'outcome', 'offerId']);
  }
  const row = await db(em)
    .insertInto('Campaign')
    .values({
      id: byDefault,
      name: d.name,
      currency: d.currency,
      startsAt: d.startsAt,
      endsAt: d.endsAt,
      minSpend: c.minSpend == null ? null : withCents(c.minSpend),
      skus: c.skus ?? [],
      categories: c.categories ?? [],
      channels: c.channels ?? [],
      tiers: c.tiers ?? [],
      // stored as customers' tags are (NFC), so the exact comparison with them holds for what looks the same
      segments: (c.segments ?? []).map(segmentOf),
      firstPurchase: c.firstPurchase ?? false,
      daysOfWeek: c.daysOfWeek ?? [],
      bonusPoints: o.bonusPoints ?? null,
      // numeric from a JS number: the same text the driver would send for it
      multiplier: o.multiplier == null ? null : String(o.multiplier),
      offer: o.offerId ?? null,
      perCustomer: l.perCustomer ?? null,
      budgetPoints: l.budgetPoints ?? null,
      pointsAwarded: byDefault,
      createdAt: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await recordAudit(em, { actor, action: 'createCampaign', target: `Campaign:${row.id}`, reason, details: d, at: now });
  return { id: row.id };
}

/**
 * Ends a campaign now (operators), audit-logged with `reason`: its window's end (`endsAt`, not in the
 * window) becomes `now`, or its start for one that has not started (a window that holds no instant:
 * it never runs). Sales made before `now` still earn from it, also those a till sends later (a
 * sale's moment is its occurredAt, or its receipt if earlier); sales made from `now` do not. A sale
 * being processed as the end commits reads the campaign as it was when its statement began, as a
 * sale does an economy rule set at that moment (setEconomyRule): a sale made within that moment may
 * still earn from it. Points already awarded stay; a return takes back its own as ever.
 * A campaign that has ended already, by its end or by an operator's (`ended_at`), is answered as it
 * is, and nothing is written or logged: ending again is safe (a resend after a lost answer answers
 * the same), and an end is never moved earlier by a later request read on a clock behind the first's,
 * nor a cancelled campaign (its end its start, still ahead) ended again (break38b campaigns).
 * @throws NOT_FOUND (field `input.campaignId`) for no such campaign
 */
export async function endCampaign(ctx: Ctx, campaignId: number, reason: string | null): Promise<CampaignRow> {
  const now = ctx.clock.now();
  return ctx.em.transactional(async (em) => {
    const ended = await queryOne<{ endsAt: Date; before: Date }>(
      em,
      sql`with held as (select id, ends_at from campaign where id = ${campaignId} and ends_at > ${now} and ended_at is null for update)
          update campaign c set ends_at = greatest(c.starts_at, ${now}), ended_at = ${now} from held where c.id = held.id and c.ended_at is null
          returning c.ends_at as "endsAt", held.ends_at as before`,
    );
    const [row] = await campaignsByIds(em, [campaignId]);
    if (!row) throw refuse(UserErrorCode.NOT_FOUND, 'No such campaign.', ['input', 'campaignId']);
    if (ended) {
      const details = { endsAt: instantOf(ended.endsAt).toISOString(), endedBefore: instantOf(ended.before).toISOString() };
      await recordAudit(em, { actor: actorOf(ctx.caller), action: 'endCampaign', target: `Campaign:${campaignId}`, reason, details, at: now });
    }
    return row;
  });
}
