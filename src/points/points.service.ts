import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx } from '../context.js';
import { columnsOf, db, type EntityRow, type Selected } from '../db/schema.js';
import { daysOf, idList, query, sql } from '../db/sql.js';
import { isIsoCurrency } from '../domain/currency.js';
import type { Page } from '../domain/page.js';
import { refuse, UserErrorCode, UserErrorException } from '../domain/refusals.js';
import { named } from '../domain/text.js';
import { noteReplay } from '../idempotency/replays.js';
import { canonicalDecimal, claimIdempotencyKey, completeIdempotencyKey, requestFingerprint } from '../idempotency/idempotency.service.js';
import { PointAccount } from './account.entity.js';
import { PointCurrency } from './currency.entity.js';
import { LedgerEntry, LedgerEntryKind, LedgerSource } from './ledger-entry.entity.js';
import { postEntry, type AccountBalance } from './ledger.service.js';
import { instantOf } from '../domain/instant.js';

/** A point currency as the API shows it: `point_currency` but its creation time; `pointValue` is a decimal string. */
export type CurrencyRow = Pick<EntityRow<PointCurrency>, (typeof CURRENCY_KEYS)[number]>;

/** The columns of a CurrencyRow. */
export const CURRENCY_KEYS = ['code', 'name', 'expiryDays', 'pointValue', 'moneyCurrency'] as const;

/**
 * A customer's account in one currency as of a moment (`point_account_at`), amounts in points:
 * `PointAccount` columns with its id as `accountId`, the same shape a posting answers.
 * `afterEntryId`: set on a balance answered as it was right after that ledger entry (a purchase's
 * or gift claim's, fresh or repeated: "the balance right after this purchase"), so what the
 * balance's other fields read (`expiringSoon`) is read as of that entry too, not as of the read
 * (break37 money: a repeat said 70 available with 270 expiring).
 */
export type BalanceRow = AccountBalance & { afterEntryId?: LedgerEntry['id'] };

/** One ledger entry as the API shows it: `LedgerEntry` columns and its account's currency. */
export type LedgerEntryRow = Selected<typeof ENTRY_COLUMNS> & Selected<typeof ENTRY_CURRENCY>;

// numeric comes back from pg as its text, so the derived select list answers `pointValue` as the
// decimal string the `::text` cast gave before.
const CURRENCY_COLUMNS = columnsOf(PointCurrency, '', CURRENCY_KEYS);

/** Every currency, by code. */
export async function allCurrencies(em: SqlEntityManager): Promise<CurrencyRow[]> {
  return query(em, sql<CurrencyRow>`select ${CURRENCY_COLUMNS} from point_currency order by code`);
}

/**
 * Point currencies whose money is not an ISO 4217 code in use (`isIsoCurrency`): set up before the
 * gateway checked money codes (an invented "ABC", a withdrawn "DEM"). A sale must name an ISO
 * money, so such a currency can no longer earn; start-up (main.ts) warns about each one, naming the
 * remedy (docs/decisions.md, "The input edge").
 */
export async function currenciesOutsideIso(em: SqlEntityManager): Promise<CurrencyRow[]> {
  return (await allCurrencies(em)).filter((c) => !isIsoCurrency(c.moneyCurrency));
}

/** Currencies by code (any order; unknown codes are left out), for the `currency` loader. */
export async function currenciesByCodes(em: SqlEntityManager, codes: readonly string[]): Promise<CurrencyRow[]> {
  return query(em, sql<CurrencyRow>`select ${CURRENCY_COLUMNS} from point_currency where code = any(${codes as string[]}::text[])`);
}

/**
 * createCurrency's refusal of a code another currency has (`error`, ALREADY_EXISTS), naming that
 * currency: its name and what a point is worth (edges-28: "Currency STARS already exists." did not
 * say whether it was the one meant, with the same value, or another). Any other error, or a
 * currency that cannot be read, is answered as it is.
 */
async function currencyCodeTaken(em: SqlEntityManager, code: string, error: unknown): Promise<unknown> {
  if (!(error instanceof UserErrorException) || error.code !== UserErrorCode.ALREADY_EXISTS) return error;
  const held = await db(em).selectFrom('PointCurrency').select(['name', 'pointValue', 'moneyCurrency']).where('code', '=', code).executeTakeFirst();
  if (!held) return error;
  return refuse(UserErrorCode.ALREADY_EXISTS, `Currency ${code} already exists: “${held.name}”, a point worth ${canonicalDecimal(String(held.pointValue))} ${held.moneyCurrency}. Choose another code.`, ['input', 'code']);
}

/**
 * Creates a point currency; recorded in the audit log. The code is the request's key: the same
 * request again answers the currency and changes nothing; another request for a code that exists
 * is ALREADY_EXISTS.
 */
export async function createCurrency(ctx: Ctx, data: CurrencyRow, reason: string | null = null): Promise<CurrencyRow> {
  const now = ctx.clock.now();
  return ctx.em.transactional(async (em) => {
    const fingerprint = requestFingerprint({ ...data, pointValue: canonicalDecimal(data.pointValue) });
    const exists = { code: UserErrorCode.ALREADY_EXISTS, field: ['input', 'code'], message: `Currency ${data.code} already exists.` };
    const claim = await claimIdempotencyKey(em, 'create:currency', data.code, fingerprint, now, exists).catch(async (error: unknown) => {
      throw await currencyCodeTaken(em, data.code, error);
    });
    if (claim.replay) {
      noteReplay(ctx);
      return (await currenciesByCodes(em, [data.code]))[0];
    }
    const row = await db(em)
      .insertInto('PointCurrency')
      .values({ code: data.code, name: data.name, expiryDays: data.expiryDays, pointValue: data.pointValue, moneyCurrency: data.moneyCurrency, createdAt: now })
      .onConflict((oc) => oc.column('code').doNothing())
      .returning(CURRENCY_KEYS)
      .$narrowType<Pick<CurrencyRow, 'expiryDays'>>() // a nullable column reads as null, never undefined
      .executeTakeFirst();
    if (!row) throw await currencyCodeTaken(em, data.code, refuse(UserErrorCode.ALREADY_EXISTS, `Currency ${data.code} already exists.`, ['input', 'code']));
    await recordAudit(em, { actor: actorOf(ctx.caller), action: 'createCurrency', target: `PointCurrency:${data.code}`, reason, details: data, at: now });
    return row;
  });
}

/**
 * Every account of each customer as of `now`, in currency order: what is due and not yet written
 * down (expired credits, pending points whose day has come) already counts (SQL `point_account_at`).
 */
export async function balancesByCustomers(em: SqlEntityManager, customerIds: readonly number[], now: Date): Promise<BalanceRow[]> {
  return query(
    em,
    sql<BalanceRow>`select a.id as "accountId", ${BALANCE_OWNER}, ${BALANCE_AMOUNTS}
          from point_account a cross join lateral point_account_at(a.id, ${now}) n
         where a.customer_id = any(${idList(customerIds)}) order by a.currency_code`,
  );
}

/**
 * The balance as of `now` (as balancesByCustomers reads it) of the account ledger entry `entryId`
 * was posted to: what a purchase or gift claim answered past its key's retention shows (edges-21),
 * the balance right after it being no longer kept.
 */
export async function balanceOfEntryAccount(em: SqlEntityManager, entryId: number, now: Date): Promise<AccountBalance> {
  const [row] = await query(
    em,
    sql<AccountBalance>`select a.id as "accountId", ${BALANCE_OWNER}, ${BALANCE_AMOUNTS}
          from ledger_entry e join point_account a on a.id = e.account_id cross join lateral point_account_at(a.id, ${now}) n
         where e.id = ${entryId}`,
  );
  return row;
}

const BALANCE_OWNER = columnsOf(PointAccount, 'a', ['customerId', 'currencyCode']);
/** From `point_account_at`, whose columns are named like the account's. */
const BALANCE_AMOUNTS = columnsOf(PointAccount, 'n', ['available', 'pending', 'lifetimeEarned']);

/** Points of one account that expire at one moment: a sum over credits, so only the keys are entity columns. */
export type ExpiringRow = {
  accountId: LedgerEntry['account']['id'];
  /** Points, > 0. */
  amount: number;
  expiresAt: NonNullable<LedgerEntry['expiresAt']>;
};

/**
 * Unconsumed points that expire within `days` of `now`, summed per expiry moment, soonest first, as
 * of `now` like the balance (`point_account_at`): written credits with points left that have not
 * expired by `now` (an expired remainder no job has written down yet is gone), plus pending credits
 * whose day has come but that no job has released yet, each with what the release leaves of it
 * (the part that repays debt, oldest pending first, is not left) and its expiry (`availableAt` +
 * the currency's `expiryDays`): the same rows `ledger_due` (SQL) and `settleAccount` write.
 */
export async function expiringByAccounts(em: SqlEntityManager, accountIds: readonly number[], now: Date, days: number): Promise<ExpiringRow[]> {
  return query(
    em,
    sql<ExpiringRow>`with due as (
          select p.account_id, p.amount, a.debt,
                 p.available_at + ${daysOf(sql`c.expiry_days`)} as expires_at,
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
         where remaining > 0 and expires_at > ${now} and expires_at <= ${now}::timestamptz + ${daysOf(days)}
         group by account_id, expires_at order by expires_at`,
  );
}

/** Points that expire soon as of right after one ledger entry: ExpiringRow keyed by that entry. */
export type ExpiringAfterRow = ExpiringRow & { entryId: LedgerEntry['id'] };

/**
 * What `expiringByAccounts` answered right after each of `entryIds` was written, at its own moment
 * (`created_at`), within `days` of it, soonest first: for the balance a purchase or gift claim
 * answers, fresh or repeated (BalanceRow.afterEntryId). Rebuilt from the ledger rather than stored:
 * a credit's remainder then is its amount less what debits up to that entry took from it
 * (`ledger_allocation`; every debit, write-down and repayment records one), over the credits of the
 * account up to that entry. Entries of one account are numbered in the order they committed (each
 * is written under the account's row lock). Due pending points are not added: a purchase or claim
 * writes down and releases what is due before its debit, so right after it nothing due is pending.
 * Unknown ids answer no rows.
 */
export async function expiringAfterEntries(em: SqlEntityManager, entryIds: readonly number[], days: number): Promise<ExpiringAfterRow[]> {
  return query(
    em,
    sql<ExpiringAfterRow>`select s.id as "entryId", s.account_id as "accountId", sum(c.amount - coalesce(t.taken, 0))::bigint as amount, c.expires_at as "expiresAt"
          from ledger_entry s
          join ledger_entry c on c.account_id = s.account_id and c.id <= s.id and c.amount > 0
                             and c.expires_at > s.created_at and c.expires_at <= s.created_at + ${daysOf(days)}
          cross join lateral (select sum(al.amount) as taken from ledger_allocation al where al.credit_id = c.id and al.debit_id <= s.id) t
         where s.id = any(${idList(entryIds)})
         group by s.id, s.account_id, c.expires_at
        having sum(c.amount - coalesce(t.taken, 0)) > 0
         order by c.expires_at`,
  );
}

const ENTRY_COLUMNS = columnsOf(LedgerEntry, 'e', ['id', 'customerId', 'amount', 'kind', 'sourceType', 'reason', 'balanceAfter', 'expiresAt', 'createdAt']);
const ENTRY_CURRENCY = columnsOf(PointAccount, 'a', ['currencyCode']);

/**
 * A page of each customer's ledger, newest first, optionally of one currency: up to
 * `page.limit + 1` entries per customer (after `page.after`, the same for each), every customer's
 * together in one statement, in the order of `customerIds` (split them by `customerId`). The
 * `ledgers` loader's read: Customer.pointHistory of a list of customers was one statement per
 * customer (n1-28).
 */
export async function ledgerPages(em: SqlEntityManager, customerIds: readonly number[], currency: string | null, page: Page): Promise<LedgerEntryRow[]> {
  const after = page.after?.[0] ?? null;
  return query(
    em,
    sql<LedgerEntryRow>`select l.* from unnest(${idList(customerIds)}) with ordinality as u(customer_id, n)
         cross join lateral (
           select ${ENTRY_COLUMNS}, ${ENTRY_CURRENCY} from ledger_entry e join point_account a on a.id = e.account_id
            where e.customer_id = u.customer_id
              and (${currency}::text is null or a.currency_code = ${currency})
              and (${after}::bigint is null or e.id < ${after})
            order by e.id desc limit ${page.limit + 1}) l
         order by u.n, l.id desc`,
  );
}

/** Ledger entries by id (any order; unknown ids are left out), for the `ledgerEntry` loader. */
export async function ledgerEntriesByIds(em: SqlEntityManager, ids: readonly number[]): Promise<LedgerEntryRow[]> {
  return query(
    em,
    sql<LedgerEntryRow>`select ${ENTRY_COLUMNS}, ${ENTRY_CURRENCY} from ledger_entry e join point_account a on a.id = e.account_id where e.id = any(${idList(ids)})`,
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
    const customer = await db(em).selectFrom('Customer').select('id').where('externalId', '=', data.customerExternalId).executeTakeFirst();
    if (!customer) throw refuse(UserErrorCode.NOT_FOUND, 'No customer with this externalId.', ['input', 'customerExternalId']);
    const currency = await db(em).selectFrom('PointCurrency').select('code').where('code', '=', data.currency).executeTakeFirst();
    if (!currency) throw refuse(UserErrorCode.NOT_FOUND, `No currency ${named(data.currency)}.`, ['input', 'currency']);
    const qualifying = data.qualifying ?? data.amount > 0;
    // Everything the adjustment means but its key; `qualifying` as it takes effect, so unset and its default compare equal.
    const { idempotencyKey: _key, qualifying: _asSent, ...meaning } = data;
    const fingerprint = requestFingerprint({ ...meaning, qualifying });
    const claim = await claimIdempotencyKey<{ entryId: number }>(em, `adjust:${actor}`, data.idempotencyKey, fingerprint, now);
    if (claim.replay) {
      noteReplay(ctx);
      return claim.result.entryId;
    }
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
      refusalField: ['input', 'amount'],
    });
    await completeIdempotencyKey(em, `adjust:${actor}`, data.idempotencyKey, { entryId: posted.entryId });
    await recordAudit(em, {
      actor,
      action: 'adjustPoints',
      target: `Customer:${customer.id}`,
      reason: data.reason,
      details: { currency: data.currency, amount: data.amount, qualifying, entryId: posted.entryId },
      // the entry's date: never before a write that committed on the account while this one waited
      at: instantOf(posted.createdAt),
    });
    return posted.entryId;
  });
  const [row] = await ledgerEntriesByIds(ctx.em, [entryId]);
  return row;
}
