import { noteReplay } from '../idempotency/replays.js';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx } from '../context.js';
import { Customer, CustomerStatus } from '../customers/customer.entity.js';
import { customerStatusNow } from '../customers/status-lock.js';
import { columnsOf, db, type EntityRow, type Selected } from '../db/schema.js';
import { daysOf, idList, query, queryOne, sql } from '../db/sql.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';
import { named } from '../domain/text.js';
import { LedgerEntryKind, LedgerSource } from '../points/ledger-entry.entity.js';
import { accountFull, creditFits, creditSettled, lockAccounts, notBeforeWrites, settleAccount } from '../points/ledger.service.js';
import { partnerStillHolds, refuseIfRevoked } from '../partners/partner.service.js';
import { recomputeTier } from '../tiers/tier.service.js';
import { MAX_AWARD_POINTS } from '../rules/earning.js';
import { ruleVersionConflict } from '../rules/rule.service.js';
import { Activity, ActivityKind, ActivityRule } from './activity.entity.js';
import { birthdayYearAt, normaliseExternalId, normaliseReference, occurrenceOfReference, parseBirthDate } from './activity-limits.js';
import { byCurrency, type CurrencyPoints } from '../points/currency-points.js';

/** An activity rule as staff see it: `activity_rule` but who changed it and when it was created. */
export type ActivityRuleRow = Selected<typeof RULE_COLUMNS>;

const RULE_COLUMNS = columnsOf(ActivityRule, 'r', ['id', 'currencyCode', 'kind', 'points', 'capPerPeriod', 'periodDays', 'active', 'updatedAt', 'version']);

/** The rules with these ids (`null`: every rule), by kind then currency. */
export async function activityRulesByIds(em: SqlEntityManager, ids: readonly number[] | null): Promise<ActivityRuleRow[]> {
  return query(
    em,
    sql<ActivityRuleRow>`select ${RULE_COLUMNS} from activity_rule r
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
  /** The rule's version the set was made from (0: no rule yet); null or absent: whatever is current. */
  expectedVersion?: number | null;
}

/**
 * Creates or replaces the rule of one kind in one currency (every field as given); audit-logged.
 * The rule's `version` is 1 when created and one more at each set. `expectedVersion` is the version
 * the set was made from (0: no rule yet): when the rule is at another, VERSION_CONFLICT and nothing
 * written (break33, rules: a console form filled before another operator switched the rule off
 * switched it back on). Sets of one currency's rules queue on its row (FOR NO KEY UPDATE, as the
 * economy rule's: sales' and activities' foreign-key checks are not held), taken before the version is read, so of sets sent at once from one version,
 * a rule not yet created included, exactly one is written. Null or absent: the last set wins.
 */
export async function setActivityRule(ctx: Ctx, input: ActivityRuleData, reason: string | null = null): Promise<ActivityRuleRow> {
  const { expectedVersion, ...data } = input;
  if (data.periodDays != null && data.capPerPeriod == null) {
    throw refuse(UserErrorCode.INVALID, 'A period needs a cap: set capPerPeriod too.', ['input', 'periodDays']);
  }
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  return ctx.em.transactional(async (em) => {
    // every set takes the lock, a set without expectedVersion too: one between a checked set's read and its write would be overwritten unseen
    const currency = await db(em).selectFrom('PointCurrency').select('code').where('code', '=', data.currency).forNoKeyUpdate().executeTakeFirst();
    if (!currency) throw refuse(UserErrorCode.NOT_FOUND, `No currency ${named(data.currency)}.`, ['input', 'currency']);
    if (expectedVersion != null) {
      const current = (await queryOne(em, sql<{ version: number }>`select version from activity_rule where currency_code = ${data.currency} and kind = ${data.kind}`))?.version ?? 0;
      if (current !== expectedVersion) throw ruleVersionConflict(`The ${data.kind} rule of ${named(data.currency)}`, expectedVersion, current);
    }
    // SQL: an upsert that sets from `excluded` and tells an insert from an update by xmax.
    const [rule] = await query(
      em,
      sql<ActivityRuleRow & { inserted: boolean }>`insert into activity_rule as r (currency_code, kind, points, cap_per_period, period_days, active, updated_by, created_at, updated_at)
          values (${data.currency}, ${data.kind}, ${data.points}, ${data.capPerPeriod ?? null}, ${data.periodDays ?? null}, ${data.active ?? true},
                  ${actor}, ${now}, ${now})
          on conflict (currency_code, kind) do update set
            points = excluded.points, cap_per_period = excluded.cap_per_period, period_days = excluded.period_days,
            active = excluded.active, updated_by = excluded.updated_by, updated_at = excluded.updated_at, version = r.version + 1
          returning ${RULE_COLUMNS}, (xmax = 0) as inserted`,
    );
    // the input as sent: expectedVersion only when it was
    await recordAudit(em, { actor, action: 'setActivityRule', target: `ActivityRule:${rule.id}`, reason, details: expectedVersion != null ? input : data, at: now });
    const { inserted: _inserted, ...row } = rule;
    return row;
  });
}

export interface ActivityResult {
  /** All currencies added up (deprecated in the API: see pointsByCurrency). */
  pointsAwarded: number;
  /** Points per point currency (one per activity rule that awarded), by currency code; on a repeat, the first report's. */
  pointsByCurrency: CurrencyPoints[];
  /** The activity was reported before (a repeat of its reference): `pointsAwarded` is that first report's, nothing was written. */
  repeat?: true;
}

/**
 * A partner reports an activity of a customer it knows by the retailer's id. The reference is
 * normalised (`normaliseReference`; a referral's, the referred customer's externalId, only NFC and
 * trimmed: `normaliseExternalId`) before it counts; the kind's natural limit and the rules'
 * caps apply (`awardActivity`). A repeat is noted as a replay (`noteReplay`). A partner's report commits only while its key holds: one whose key
 * was revoked while it ran is CredentialRevoked (UNAUTHENTICATED), nothing written (edges-12).
 */
export async function recordActivity(ctx: Ctx, data: { customerExternalId: string; kind: ActivityKind; reference: string }): Promise<ActivityResult> {
  const now = ctx.clock.now();
  return ctx.em.transactional(async (em) => {
    const customer = await db(em).selectFrom('Customer').select(['id']).where('externalId', '=', data.customerExternalId).executeTakeFirst();
    if (!customer) throw refuse(UserErrorCode.NOT_FOUND, 'No customer with this externalId.', ['input', 'customerExternalId']);
    const partnerId = ctx.caller.kind === 'partner' ? ctx.caller.partnerId : null;
    const result = await awardActivity(em, { customerId: customer.id, kind: data.kind, reference: data.reference, actor: actorOf(ctx.caller), now, partnerId });
    // Answered from the first report's row: said outside the answer's data (replay-22).
    if (result.repeat) noteReplay(ctx);
    return result;
  });
}

export interface ActivityOccurrence {
  customerId: number;
  kind: ActivityKind;
  /** As reported; normalised here. */
  reference: string;
  actor: string;
  now: Date;
  /** When the activity happened, for the kinds whose limit depends on the day (BIRTHDAY); default `now`. */
  occurredAt?: Date;
  /** The partner whose key reports it (its write then commits only while the key holds: `partnerStillHolds`); absent for the program's own jobs. */
  partnerId?: number | null;
}

/** An active rule of the activity's kind and how much of its cap the customer used. */
type RuleInForce = Selected<typeof RULE_IN_FORCE_COLUMNS> & {
  /** Awards of this rule to the customer inside its current period (its whole life without one). */
  used: number;
};

const RULE_IN_FORCE_COLUMNS = columnsOf(ActivityRule, 'r', ['id', 'currencyCode', 'points', 'capPerPeriod']);

/** What one report counts against its kind's natural limit. */
type Occurrence = { occurrence: NonNullable<Activity['occurrence']>; referredCustomerId: EntityRow<Activity>['referredCustomerId'] };

const AWARDED = columnsOf(Activity, '', ['id', 'pointsAwarded']);

const lockKey = (key: string) => sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`;

/**
 * Awards every active rule of the activity's kind (one per currency), in the caller's transaction.
 * Limits, in order (docs/decisions.md, "Activities"):
 * - a repeat of a normalised reference (of the same year, for BIRTHDAY; naming the customer this referrer
 *   already referred, for REFERRAL, whose reference is an exact externalId) answers the first result and changes nothing;
 * - the kind's natural limit: BIRTHDAY only near the customer's birth date and once per year
 *   (NOT_ELIGIBLE, LIMIT_REACHED), SIGN_UP once ever (LIMIT_REACHED), REFERRAL once per referred
 *   customer, who must exist, not be the referrer, be ACTIVE and not have referred the referrer,
 *   directly or up the referral chain (NOT_FOUND, INVALID, NOT_ELIGIBLE, INVALID, LIMIT_REACHED), the
 *   other kinds once per reference;
 * - at most `capPerPeriod` awards per rule in the last `periodDays` days (CAP_REACHED);
 * - an account it credits stays within MAX_ACCOUNT_POINTS (INVALID), checked under the account
 *   locks before anything of the activity is written.
 * The customer must be ACTIVE (NOT_ELIGIBLE), as read under `customerStatusLock` after that lock
 * (`customerStatusNow`: one statement),
 * so a close that committed while the award waited is seen, and one that comes later waits for it.
 * A customer's activities of one kind are serialised by an advisory lock taken before anything is
 * read (referrals also take one program-wide lock, see `occurrenceOf`), so no limit can be beaten by requests that
 * arrive at once; unique constraints on (customer, kind, occurrence) and on the referred customer
 * back them.
 */
export async function awardActivity(em: SqlEntityManager, a: ActivityOccurrence): Promise<ActivityResult> {
  const referral = a.kind === ActivityKind.REFERRAL;
  // A referral names a customer by the retailer's id, which is exact (case and all): not case-folded.
  const reference = referral ? normaliseExternalId(a.reference) : normaliseReference(a.reference);
  if (reference.length === 0) throw refuse(UserErrorCode.INVALID, 'The reference must not be blank.', ['input', 'reference']);
  await query(em, lockKey(`activity:${a.customerId}:${a.kind}`));
  // The status as of now, not as the caller read it before waiting for the lock above (a batch of
  // the birthday job selects its customers first): held against status changes until commit. The
  // status lock and the read after it in one statement (customerStatusNow), with the birth date
  // (which no status change moves): edges-12, they were three statements.
  const customer = await queryOne<{ status: CustomerStatus | null } & Pick<EntityRow<Customer>, 'birthDate'>>(
    em,
    sql`select ${customerStatusNow(a.customerId)} as status, to_char(c.birth_date, 'YYYY-MM-DD') as "birthDate" from customer c where c.id = ${a.customerId}`,
  );
  const status = customer?.status;
  // A birthday's reference repeats within its year only: the same reference next year is next year's birthday.
  const birthday = a.kind === ActivityKind.BIRTHDAY ? birthdayYearOf(customer?.birthDate, a) : undefined;
  // A referral repeats when it names the customer this referrer already referred: two customers
  // whose ids differ only in case are two referrals (hostile-18: the second was answered as a
  // repeat of the first, with its points, and nothing was credited).
  const referred = referral ? await referredCustomerOf(em, a.reference) : null;
  const done = await queryOne(
    em,
    sql<Selected<typeof AWARDED>>`select ${AWARDED} from activity
         where customer_id = ${a.customerId} and kind = ${a.kind}
           and (case when ${referral}::boolean then referred_customer_id = ${referred?.id ?? null}::bigint else reference = ${reference} end)
           and (${birthday === undefined}::boolean or occurrence = ${String(birthday?.year)})
         order by id limit 1`,
  );
  if (done) {
    const firstAwards = await query<CurrencyPoints>(
      em,
      sql`select r.currency_code as currency, sum(w.points)::int as points
            from activity_award w join activity_rule r on r.id = w.rule_id
           where w.activity_id = ${done.id} group by r.currency_code order by r.currency_code`,
    );
    return { pointsAwarded: done.pointsAwarded, pointsByCurrency: firstAwards, repeat: true };
  }

  const rules = await query(
    em,
    sql<RuleInForce>`select ${RULE_IN_FORCE_COLUMNS},
               (select count(*) from activity_award w
                 where w.customer_id = ${a.customerId} and w.rule_id = r.id
                   and (r.period_days is null or w.created_at > ${a.now}::timestamptz - ${daysOf(sql`r.period_days`)}))::int as used
          from activity_rule r where r.kind = ${a.kind} and r.active order by r.currency_code`,
  );
  if (rules.length === 0) throw refuse(UserErrorCode.NOT_FOUND, `The program has no rule for ${a.kind} activities.`, ['input', 'kind']);
  if (status !== CustomerStatus.ACTIVE) throw refuse(UserErrorCode.NOT_ELIGIBLE, 'This account cannot earn points right now.', ['input', 'customerExternalId']);
  const { occurrence, referredCustomerId } = birthday ? birthdayOccurrence(birthday) : await occurrenceOf(em, a, reference, referred);
  const taken = await queryOne(
    em,
    sql`select 1 from activity
         where (customer_id = ${a.customerId} and kind = ${a.kind} and occurrence = ${occurrence})
            or (${referredCustomerId}::bigint is not null and referred_customer_id = ${referredCustomerId})`,
  );
  if (taken) throw refuse(UserErrorCode.LIMIT_REACHED, limitMessage(a.kind), ['input', 'reference']);
  const awarding = rules.filter((r) => r.capPerPeriod == null || r.used < r.capPerPeriod);
  if (awarding.length === 0) throw refuse(UserErrorCode.CAP_REACHED, `No more ${a.kind} points in this period.`, ['input', 'kind']);

  const pointsAwarded = awarding.reduce((sum, r) => sum + r.points, 0);
  // one number across currencies in the answer (an Int): refused, not committed and then unanswerable
  if (pointsAwarded > MAX_AWARD_POINTS) {
    throw refuse(UserErrorCode.INVALID, `This activity would award ${pointsAwarded} points, beyond the ${MAX_AWARD_POINTS} one activity may award.`, ['input', 'kind']);
  }
  // Every account the activity credits, before its first event (see lockAccount), each written
  // down once; the tier is placed once after all of its credits (below), as a sale places it: a
  // credit at a time (postEntry) told subscribers of a tier held only between two of them.
  const accounts = await lockAccounts(em, a.customerId, awarding.map((r) => r.currencyCode), a.now);
  // Dated no earlier than a write of these accounts committed while the activity waited (edges-12b).
  const now = notBeforeWrites(a.now, accounts.values());
  let released = false;
  for (const account of accounts.values()) released = (await settleAccount(em, account, now)).released || released;
  // Refused before anything of the activity is written: the birthday job goes on with its next
  // customer in the same transaction, and an activity recorded without its points would stand.
  // The write-down stands there too, so the tier its releases moved is stored before refusing
  // (else the stored tier lagged what readers see until the customer's next write).
  for (const rule of awarding) {
    if (!creditFits(accounts.get(rule.currencyCode)!, rule.points, true)) {
      if (released) await recomputeTier(em, a.customerId, now);
      throw accountFull(accounts.get(rule.currencyCode)!, rule.points, rule.points);
    }
  }
  // The activity's first write, after every lock it waited for: only while the reporting key
  // holds, so a report in flight when its key is revoked is refused once revokePartner has
  // answered (edges-12); the write-down above rolls back with it.
  const [activity] = await query<{ id: number }>(
    em,
    sql`insert into activity (customer_id, kind, reference, occurrence, referred_customer_id, points_awarded, actor, created_at)
        select ${a.customerId}, ${a.kind}, ${reference}, ${occurrence}, ${referredCustomerId}, ${pointsAwarded}, ${a.actor}, ${now}
         where ${partnerStillHolds(a.partnerId ?? null)} returning id`,
  );
  if (!activity) {
    await refuseIfRevoked(em, a.partnerId ?? null);
    throw new Error('an activity with no partner to check was not inserted');
  }
  for (const rule of awarding) {
    const posted = await creditSettled(em, accounts.get(rule.currencyCode)!, {
      amount: rule.points,
      kind: LedgerEntryKind.EARN,
      source: LedgerSource.ACTIVITY,
      sourceId: `Activity:${activity.id}`,
      reason: `${a.kind} ${reference}`,
      actor: a.actor,
      qualifying: true,
      now: now,
      // A birthday's points expire counted from the birthday, not from the job that paid them: a
      // day caught up after an outage (up to a week) gave its points that much longer a life than
      // the same birthday paid on time (break36, the same kind as break35 (expiry)). Partners'
      // reports and the other kinds: from now.
      expiryFrom: a.kind === ActivityKind.BIRTHDAY ? a.occurredAt : undefined,
    });
    await query(
      em,
      sql`insert into activity_award (activity_id, rule_id, customer_id, points, ledger_entry_id, created_at)
          values (${activity.id}, ${rule.id}, ${a.customerId}, ${rule.points}, ${posted.entryId}, ${now})`,
    );
  }
  // Qualifying points changed (the credits, and any release the write-down made): one placement.
  await recomputeTier(em, a.customerId, now);
  return { pointsAwarded, pointsByCurrency: byCurrency(awarding.map((r) => ({ currency: r.currencyCode, points: r.points }))) };
}

/** The year of the birthday the activity falls on, or why it falls on none (refused once the rules are known). */
type BirthdayYear = { year: number; refusal?: undefined } | { year?: undefined; refusal: string };

function birthdayYearOf(birthDateText: string | null | undefined, a: ActivityOccurrence): BirthdayYear {
  const birthDate = parseBirthDate(birthDateText);
  const year = birthDate ? birthdayYearAt(birthDate, a.occurredAt ?? a.now) : null;
  // One sentence whether or not a birth date is on file: partners may not read birth dates, and two
  // answers told any key with `activities:write` which members gave theirs (break36, authz).
  if (year === null) return { refusal: "Birthday points are earned on the customer's birthday (its UTC day, or the day either side), with their birth date on file." };
  return { year };
}

function birthdayOccurrence(birthday: BirthdayYear): Occurrence {
  if (birthday.year === undefined) throw refuse(UserErrorCode.NOT_ELIGIBLE, birthday.refusal, ['input', 'kind']);
  return { occurrence: String(birthday.year), referredCustomerId: null };
}

/**
 * The customer a referral's reference names: the id as the partner sent it, else normalised (NFC,
 * trimmed: how partners' spellings of one id meet); a retailer's ids are theirs, so one stored
 * decomposed or with spaces is found as stored, and ids are otherwise exact (case included).
 * Null: no such customer.
 */
async function referredCustomerOf(em: SqlEntityManager, raw: string): Promise<{ id: number } | null> {
  const found = await queryOne<{ id: number }>(
    em,
    sql`select id from customer where external_id = ${raw} or external_id = ${normaliseExternalId(raw)}
         order by external_id = ${raw} desc limit 1`,
  );
  return found ?? null;
}

/**
 * The occurrence a report counts against its kind's natural limit, or the refusal of a report that
 * cannot be one. `referred`: for a REFERRAL, the customer its reference names (`referredCustomerOf`).
 */
async function occurrenceOf(em: SqlEntityManager, a: ActivityOccurrence, reference: string, referred: { id: number } | null): Promise<Occurrence> {
  if (a.kind !== ActivityKind.REFERRAL) return { occurrence: occurrenceOfReference(a.kind, reference), referredCustomerId: null };
  if (!referred) throw refuse(UserErrorCode.NOT_FOUND, "A referral's reference is the referred customer's externalId, and there is no such customer.", ['input', 'reference']);
  if (referred.id === a.customerId) throw refuse(UserErrorCode.INVALID, 'A customer cannot refer themselves.', ['input', 'reference']);
  // Only a member brings a referral (break36, activities): a CLOSED or SUSPENDED account named as
  // referred earned its referrer the points and used up its one referral. Read under the referred
  // customer's status lock (customerStatusNow), so a close committing meanwhile is seen and none
  // commits before this award does.
  const referredStatus = await queryOne<{ status: CustomerStatus | null }>(em, sql`select ${customerStatusNow(referred.id)} as status`);
  if (referredStatus?.status !== CustomerStatus.ACTIVE) {
    throw refuse(UserErrorCode.NOT_ELIGIBLE, 'The referred customer is not an active member (closed or suspended): a referral of them earns nothing.', ['input', 'reference']);
  }
  // Every referral of the program is serialised: whether one closes a cycle depends on referrals of
  // other customers (A→B and B→A hold different per-customer locks), so the second of two that
  // would close one must see the first's row. Referrals are rare; one lock is the simple sound
  // answer (it also serialises the referrers of one referred customer).
  await query(em, lockKey('activity:referrals'));
  if (await refersUpTo(em, referred.id, a.customerId)) {
    throw refuse(
      UserErrorCode.INVALID,
      'The referred customer already referred this customer (directly or through the customers they referred): referrals cannot go round in a circle.',
      ['input', 'reference'],
    );
  }
  return { occurrence: `customer:${referred.id}`, referredCustomerId: referred.id };
}

/**
 * Whether `ancestorId` is above `customerId` in the referral tree: it referred the customer, or
 * the customer's referrer, and so on up (each customer is referred at most once, so the way up is
 * one chain). A referral of `ancestorId` by `customerId` would close a cycle: two customers each
 * earning for bringing in the other (docs/decisions.md, "Referral cycles"). `union`, not
 * `union all`: a cycle recorded before this check existed ends the walk instead of looping.
 */
async function refersUpTo(em: SqlEntityManager, ancestorId: number, customerId: number): Promise<boolean> {
  const found = await queryOne(
    em,
    sql<{ found: 1 }>`with recursive up(id) as (
          select ${customerId}::bigint
          union
          select r.customer_id from activity r join up on r.referred_customer_id = up.id
        )
        select 1 as found from up where id = ${ancestorId} limit 1`,
  );
  return found !== undefined;
}

function limitMessage(kind: ActivityKind): string {
  switch (kind) {
    case ActivityKind.BIRTHDAY:
      return 'Birthday points are earned once a year, and this year\'s were already awarded.';
    case ActivityKind.SIGN_UP:
      return 'Sign-up points are earned once per customer, and were already awarded.';
    case ActivityKind.REFERRAL:
      return 'This referred customer has already earned a referral.';
    default:
      return `This ${kind} was already recorded.`;
  }
}
