import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx } from '../context.js';
import { CustomerStatus } from '../customers/customer.entity.js';
import { idList, query, queryOne, sql } from '../db/sql.js';
import { refuse, UserErrorCode } from '../graphql/errors.js';
import { LedgerEntryKind, LedgerSource } from '../points/ledger-entry.entity.js';
import { postEntry } from '../points/ledger.service.js';
import { MAX_AWARD_POINTS } from '../rules/earning.js';
import { ActivityKind } from './activity.entity.js';

export interface ActivityRuleRow {
  id: number;
  currencyCode: string;
  kind: ActivityKind;
  points: number;
  capPerPeriod: number | null;
  periodDays: number | null;
  active: boolean;
  updatedAt: Date;
}

const RULE_COLUMNS = sql`r.id, r.currency_code as "currencyCode", r.kind, r.points, r.cap_per_period as "capPerPeriod",
  r.period_days as "periodDays", r.active, r.updated_at as "updatedAt"`;

export async function activityRulesByIds(em: SqlEntityManager, ids: readonly number[] | null): Promise<ActivityRuleRow[]> {
  return query<ActivityRuleRow>(
    em,
    sql`select ${RULE_COLUMNS} from activity_rule r
         where (${ids === null}::boolean or r.id = any(${idList(ids ?? [])})) order by r.kind, r.currency_code`,
  );
}

export interface ActivityRuleData {
  currency: string;
  kind: ActivityKind;
  points: number;
  capPerPeriod?: number | null;
  periodDays?: number | null;
  active?: boolean | null;
}

/** Creates or replaces the rule of one kind in one currency (every field as given); audit-logged. */
export async function setActivityRule(ctx: Ctx, data: ActivityRuleData): Promise<ActivityRuleRow> {
  if (data.periodDays != null && data.capPerPeriod == null) {
    throw refuse(UserErrorCode.INVALID, 'A period needs a cap: set capPerPeriod too.', ['input', 'periodDays']);
  }
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  return ctx.em.transactional(async (em) => {
    const currency = await queryOne(em, sql`select 1 from point_currency where code = ${data.currency}`);
    if (!currency) throw refuse(UserErrorCode.NOT_FOUND, `No currency ${data.currency}.`, ['input', 'currency']);
    const [rule] = await query<ActivityRuleRow & { inserted: boolean }>(
      em,
      sql`insert into activity_rule as r (currency_code, kind, points, cap_per_period, period_days, active, updated_by, created_at, updated_at)
          values (${data.currency}, ${data.kind}, ${data.points}, ${data.capPerPeriod ?? null}, ${data.periodDays ?? null}, ${data.active ?? true},
                  ${actor}, ${now}, ${now})
          on conflict (currency_code, kind) do update set
            points = excluded.points, cap_per_period = excluded.cap_per_period, period_days = excluded.period_days,
            active = excluded.active, updated_by = excluded.updated_by, updated_at = excluded.updated_at
          returning ${RULE_COLUMNS}, (xmax = 0) as inserted`,
    );
    await recordAudit(em, { actor, action: 'setActivityRule', target: `ActivityRule:${rule.id}`, details: data, at: now });
    const { inserted: _inserted, ...row } = rule;
    return row;
  });
}

export interface ActivityResult {
  pointsAwarded: number;
}

/** A partner reports an activity of a customer it knows by the retailer's id. */
export async function recordActivity(ctx: Ctx, data: { customerExternalId: string; kind: ActivityKind; reference: string }): Promise<ActivityResult> {
  const now = ctx.clock.now();
  return ctx.em.transactional(async (em) => {
    const customer = await queryOne<{ id: number; status: CustomerStatus }>(
      em,
      sql`select id, status from customer where external_id = ${data.customerExternalId}`,
    );
    if (!customer) throw refuse(UserErrorCode.NOT_FOUND, 'No customer with this externalId.', ['input', 'customerExternalId']);
    return awardActivity(em, { customerId: customer.id, status: customer.status, kind: data.kind, reference: data.reference, actor: actorOf(ctx.caller), now });
  });
}

export interface ActivityOccurrence {
  customerId: number;
  status: CustomerStatus;
  kind: ActivityKind;
  reference: string;
  actor: string;
  now: Date;
}

interface RuleInForce {
  id: number;
  currencyCode: string;
  points: number;
  capPerPeriod: number | null;
  /** Awards of this rule to the customer inside its current period (its whole life without one). */
  used: number;
}

/**
 * Awards every active rule of the activity's kind (one per currency), in the caller's transaction:
 * once per (customer, kind, reference) — a repeat answers the first result and changes nothing —
 * and at most `capPerPeriod` times per rule in the last `periodDays` days. A customer's activities
 * of one kind are serialised by an advisory lock, so neither rule can be beaten by requests that
 * arrive at once; the unique (customer, kind, reference) constraint backs the first.
 */
export async function awardActivity(em: SqlEntityManager, a: ActivityOccurrence): Promise<ActivityResult> {
  await query(em, sql`select pg_advisory_xact_lock(hashtextextended(${`activity:${a.customerId}:${a.kind}`}, 0))`);
  const done = await queryOne<{ pointsAwarded: number }>(
    em,
    sql`select points_awarded as "pointsAwarded" from activity where customer_id = ${a.customerId} and kind = ${a.kind} and reference = ${a.reference}`,
  );
  if (done) return { pointsAwarded: done.pointsAwarded };

  const rules = await query<RuleInForce>(
    em,
    sql`select r.id, r.currency_code as "currencyCode", r.points, r.cap_per_period as "capPerPeriod",
               (select count(*) from activity_award w
                 where w.customer_id = ${a.customerId} and w.rule_id = r.id
                   and (r.period_days is null or w.created_at > ${a.now}::timestamptz - make_interval(days => r.period_days)))::int as used
          from activity_rule r where r.kind = ${a.kind} and r.active order by r.currency_code`,
  );
  if (rules.length === 0) throw refuse(UserErrorCode.NOT_FOUND, `The program has no rule for ${a.kind} activities.`, ['input', 'kind']);
  if (a.status !== CustomerStatus.ACTIVE) throw refuse(UserErrorCode.NOT_ELIGIBLE, 'This account cannot earn points right now.', ['input', 'customerExternalId']);
  const awarding = rules.filter((r) => r.capPerPeriod == null || r.used < r.capPerPeriod);
  if (awarding.length === 0) throw refuse(UserErrorCode.CAP_REACHED, `No more ${a.kind} points in this period.`, ['input', 'kind']);

  const pointsAwarded = awarding.reduce((sum, r) => sum + r.points, 0);
  // one number across currencies in the answer (an Int): refused, not committed and then unanswerable
  if (pointsAwarded > MAX_AWARD_POINTS) {
    throw refuse(UserErrorCode.INVALID, `This activity would award ${pointsAwarded} points, beyond the ${MAX_AWARD_POINTS} one activity may award.`, ['input', 'kind']);
  }
  const [activity] = await query<{ id: number }>(
    em,
    sql`insert into activity (customer_id, kind, reference, points_awarded, actor, created_at)
        values (${a.customerId}, ${a.kind}, ${a.reference}, ${pointsAwarded}, ${a.actor}, ${a.now}) returning id`,
  );
  for (const rule of awarding) {
    const posted = await postEntry(em, {
      customerId: a.customerId,
      currency: rule.currencyCode,
      amount: rule.points,
      kind: LedgerEntryKind.EARN,
      source: LedgerSource.ACTIVITY,
      sourceId: `Activity:${activity.id}`,
      reason: `${a.kind} ${a.reference}`,
      actor: a.actor,
      qualifying: true,
      now: a.now,
    });
    await query(
      em,
      sql`insert into activity_award (activity_id, rule_id, customer_id, points, ledger_entry_id, created_at)
          values (${activity.id}, ${rule.id}, ${a.customerId}, ${rule.points}, ${posted.entryId}, ${a.now})`,
    );
  }
  return { pointsAwarded };
}
