import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx } from '../context.js';
import { idList, query, queryOne, sql } from '../db/sql.js';
import type { Page } from '../domain/page.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';
import { canonicalDecimal, claimIdempotencyKey, completeIdempotencyKey, requestFingerprint } from '../idempotency/idempotency.service.js';
import { LedgerEntryKind, LedgerSource } from './ledger-entry.entity.js';
import { postEntry } from './ledger.service.js';

export interface CurrencyRow {
  code: string;
  name: string;
  expiryDays: number | null;
  pointValue: string;
  moneyCurrency: string;
}

export interface BalanceRow {
  accountId: number;
  customerId: number;
  currencyCode: string;
  available: number;
  pending: number;
  lifetimeEarned: number;
}

export interface LedgerEntryRow {
  id: number;
  customerId: number;
  currencyCode: string;
  amount: number;
  kind: LedgerEntryKind;
  sourceType: LedgerSource;
  reason: string | null;
  balanceAfter: number;
  expiresAt: Date | null;
  createdAt: Date;
}

const CURRENCY_COLUMNS = sql`code, name, expiry_days as "expiryDays", point_value::text as "pointValue", money_currency as "moneyCurrency"`;

export async function allCurrencies(em: SqlEntityManager): Promise<CurrencyRow[]> {
  return query<CurrencyRow>(em, sql`select ${CURRENCY_COLUMNS} from point_currency order by code`);
}

export async function currenciesByCodes(em: SqlEntityManager, codes: readonly string[]): Promise<CurrencyRow[]> {
  return query<CurrencyRow>(em, sql`select ${CURRENCY_COLUMNS} from point_currency where code = any(${codes as string[]}::text[])`);
}

/**
 * Creates a point currency; recorded in the audit log. The code is the request's key: the same
 * request again answers the currency and changes nothing; another request for a code that exists
 * is ALREADY_EXISTS.
 */
export async function createCurrency(ctx: Ctx, data: CurrencyRow): Promise<CurrencyRow> {
  const now = ctx.clock.now();
  return ctx.em.transactional(async (em) => {
    const fingerprint = requestFingerprint({ ...data, pointValue: canonicalDecimal(data.pointValue) });
    const exists = { code: UserErrorCode.ALREADY_EXISTS, field: ['input', 'code'], message: `Currency ${data.code} already exists.` };
    const claim = await claimIdempotencyKey(em, 'create:currency', data.code, fingerprint, now, exists);
    if (claim.replay) return (await currenciesByCodes(em, [data.code]))[0];
    const [row] = await query<CurrencyRow>(
      em,
      sql`insert into point_currency (code, name, expiry_days, point_value, money_currency, created_at)
          values (${data.code}, ${data.name}, ${data.expiryDays}, ${data.pointValue}, ${data.moneyCurrency}, ${now})
          on conflict (code) do nothing returning ${CURRENCY_COLUMNS}`,
    );
    if (!row) throw refuse(UserErrorCode.ALREADY_EXISTS, `Currency ${data.code} already exists.`, ['input', 'code']);
    await recordAudit(em, { actor: actorOf(ctx.caller), action: 'createCurrency', target: `PointCurrency:${data.code}`, details: data, at: now });
    return row;
  });
}

/**
 * Every account of each customer as of `now`, in currency order: what is due and not yet written
 * down (expired credits, pending points whose day has come) already counts (SQL `point_account_at`).
 */
export async function balancesByCustomers(em: SqlEntityManager, customerIds: readonly number[], now: Date): Promise<BalanceRow[]> {
  return query<BalanceRow>(
    em,
    sql`select a.id as "accountId", a.customer_id as "customerId", a.currency_code as "currencyCode",
               n.available, n.pending, n.lifetime_earned as "lifetimeEarned"
          from point_account a cross join lateral point_account_at(a.id, ${now}) n
         where a.customer_id = any(${idList(customerIds)}) order by a.currency_code`,
  );
}

export interface ExpiringRow {
  accountId: number;
  amount: number;
  expiresAt: Date;
}

/**
 * Unconsumed points that expire within `days` of `now`, summed per expiry moment, soonest first, as
 * of `now` like the balance (`point_account_at`): written credits with points left that have not
 * expired by `now` (an expired remainder no job has written down yet is gone), plus pending credits
 * whose day has come but that no job has released yet, each with what the release leaves of it
 * (the part that repays debt, oldest pending first, is not left) and its expiry (`availableAt` +
 * the currency's `expiryDays`): the same rows `ledger_due` (SQL) and `settleAccount` write.
 */
export async function expiringByAccounts(em: SqlEntityManager, accountIds: readonly number[], now: Date, days: number): Promise<ExpiringRow[]> {
  return query<ExpiringRow>(
    em,
    sql`with due as (
          select p.account_id, p.amount, a.debt,
                 p.available_at + make_interval(days => c.expiry_days) as expires_at,
                 sum(p.amount) over (partition by p.account_id order by p.available_at, p.id) as running
            from pending_credit p join point_account a on a.id = p.account_id join point_currency c on c.code = a.currency_code
           where p.account_id = any(${idList(accountIds)}) and p.released_at is null and p.cancelled_at is null and p.available_at <= ${now}
        ),
        open as (
          select account_id, remaining, expires_at from ledger_entry
           where account_id = any(${idList(accountIds)}) and remaining > 0
          union all
          select account_id, amount - least(amount, greatest(debt - (running - amount), 0)), expires_at from due
        )
        select account_id as "accountId", sum(remaining)::bigint as amount, expires_at as "expiresAt"
          from open
         where remaining > 0 and expires_at > ${now} and expires_at <= ${now}::timestamptz + make_interval(days => ${days})
         group by account_id, expires_at order by expires_at`,
  );
}

const ENTRY_COLUMNS = sql`e.id, e.customer_id as "customerId", a.currency_code as "currencyCode", e.amount, e.kind,
  e.source_type as "sourceType", e.reason, e.balance_after as "balanceAfter", e.expires_at as "expiresAt", e.created_at as "createdAt"`;

/** A customer's ledger, newest first. */
export async function ledgerPage(em: SqlEntityManager, customerId: number, currency: string | null, page: Page): Promise<LedgerEntryRow[]> {
  const after = page.after?.[0] ?? null;
  return query<LedgerEntryRow>(
    em,
    sql`select ${ENTRY_COLUMNS} from ledger_entry e join point_account a on a.id = e.account_id
         where e.customer_id = ${customerId}
           and (${currency}::text is null or a.currency_code = ${currency})
           and (${after}::bigint is null or e.id < ${after})
         order by e.id desc limit ${page.limit + 1}`,
  );
}

export async function ledgerEntriesByIds(em: SqlEntityManager, ids: readonly number[]): Promise<LedgerEntryRow[]> {
  return query<LedgerEntryRow>(
    em,
    sql`select ${ENTRY_COLUMNS} from ledger_entry e join point_account a on a.id = e.account_id where e.id = any(${idList(ids)})`,
  );
}

export interface AdjustData {
  customerExternalId: string;
  currency: string;
  amount: number;
  reason: string;
  idempotencyKey: string;
  /** Counts towards lifetime points and tiers; unset: a credit does, a debit does not (contract). */
  qualifying?: boolean | null;
}

/**
 * A staff member credits or debits a customer's points, with a reason, once per idempotency key.
 * `qualifying` (unset: credits do, debits do not) says whether it moves lifetime points and the
 * tier: a qualifying debit lowers them (lifetime never below 0). A debit cannot take the balance
 * below zero (INSUFFICIENT_POINTS) and takes the oldest-expiring points; it is not a reversal by
 * reference (the contract has no way to name the entry it corrects). A credit that would pass
 * MAX_ACCOUNT_POINTS is refused (INVALID).
 */
export async function adjustPoints(ctx: Ctx, data: AdjustData): Promise<LedgerEntryRow> {
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  const entryId = await ctx.em.transactional(async (em) => {
    const customer = await queryOne<{ id: number }>(em, sql`select id from customer where external_id = ${data.customerExternalId}`);
    if (!customer) throw refuse(UserErrorCode.NOT_FOUND, 'No customer with this externalId.', ['input', 'customerExternalId']);
    const currency = await queryOne(em, sql`select 1 from point_currency where code = ${data.currency}`);
    if (!currency) throw refuse(UserErrorCode.NOT_FOUND, `No currency ${data.currency}.`, ['input', 'currency']);
    const qualifying = data.qualifying ?? data.amount > 0;
    // Everything the adjustment means but its key; `qualifying` as it takes effect, so unset and its default compare equal.
    const { idempotencyKey: _key, qualifying: _asSent, ...meaning } = data;
    const fingerprint = requestFingerprint({ ...meaning, qualifying });
    const claim = await claimIdempotencyKey<{ entryId: number }>(em, `adjust:${actor}`, data.idempotencyKey, fingerprint, now);
    if (claim.replay) return claim.result.entryId;
    const posted = await postEntry(em, {
      customerId: customer.id,
      currency: data.currency,
      amount: data.amount,
      kind: LedgerEntryKind.ADJUST,
      source: LedgerSource.STAFF,
      sourceId: actor,
      reason: data.reason,
      actor,
      qualifying,
      now,
    });
    await completeIdempotencyKey(em, `adjust:${actor}`, data.idempotencyKey, { entryId: posted.entryId });
    await recordAudit(em, {
      actor,
      action: 'adjustPoints',
      target: `Customer:${customer.id}`,
      reason: data.reason,
      details: { currency: data.currency, amount: data.amount, qualifying, entryId: posted.entryId },
      at: now,
    });
    return posted.entryId;
  });
  const [row] = await ledgerEntriesByIds(ctx.em, [entryId]);
  return row;
}
