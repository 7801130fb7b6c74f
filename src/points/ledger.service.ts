import { DEBT_REPAYMENT_REASON } from './ledger-description.js';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { RawBuilder } from 'kysely';
import { columnsOf, type EntityRow, type Selected } from '../db/schema.js';
import { daysOf, query, queryOne, sql } from '../db/sql.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';
import { recordEvent } from '../events/outbox.service.js';
import { recomputeTier } from '../tiers/tier.service.js';
import { PointAccount } from './account.entity.js';
import { LedgerEntry, LedgerEntryKind, LedgerSource } from './ledger-entry.entity.js';
import { PendingCredit } from './pending-credit.entity.js';
import { instantOf } from '../domain/instant.js';

/**
 * The most points any per-customer amount may reach (available + pending, lifetime earned +
 * pending, debt, and so every `balanceAfter`): GraphQL `Int`, 2^31 − 1 (contract, issue 7 §5).
 */
export const MAX_ACCOUNT_POINTS = 2_147_483_647;

export interface Posting {
  customerId: number;
  currency: string;
  /** Signed: credits are positive, debits negative. Never zero. */
  amount: number;
  kind: LedgerEntryKind;
  source: LedgerSource;
  sourceId?: string | null;
  reason?: string | null;
  actor: string;
  /**
   * Counts towards lifetime earned and tier qualification: a credit raises them, a debit lowers
   * them (never below 0).
   */
  qualifying?: boolean;
  now: Date;
  /**
   * The input path a refusal of this debit names (INSUFFICIENT_POINTS' `field`): what the caller
   * spends on (`["input","listingId"]`, `["input","amount"]`). Default: none.
   */
  refusalField?: string[];
  /**
   * A credit's: the moment its expiry is counted from, when that is not the moment it is written
   * (`now`): a sale's points count from when they became spendable had its job run at once
   * (processing's `expiryFromOf`, break35, expiry). The credit expires the currency's
   * `expiryDays` after it, but never at or before it is written: at the earliest 1 ms after
   * (entries are dated in the order they are written, so an EXPIRE cannot precede its credit).
   */
  expiryFrom?: Date;
}

/**
 * An account's balance as a posting leaves it (amounts in points): `PointAccount` columns, with its
 * id as `accountId`.
 */
export type AccountBalance = { accountId: PointAccount['id'] } & Pick<
  EntityRow<PointAccount>,
  'customerId' | 'currencyCode' | 'available' | 'pending' | 'lifetimeEarned'
>;

/**
 * A written ledger entry (`LedgerEntry` columns; its id as `entryId`) and the account after it.
 * Amounts in points, signed like the entry.
 */
export type Posted = { entryId: LedgerEntry['id'] } & Pick<
  EntityRow<LedgerEntry>,
  'accountId' | 'amount' | 'kind' | 'reason' | 'balanceAfter' | 'expiresAt' | 'createdAt'
> & {
  /** The account after the posting. */
  balance: AccountBalance;
};

/** An account row as locked for a write; amounts in points. */
export type AccountRow = Selected<typeof ACCOUNT_COLUMNS>;

/**
 * The keys of an AccountRow, for a caller that takes the account's lock in a statement of its own.
 * `updatedAt` is the instant of the account's latest dated write (never earlier than any of its
 * entries' `createdAt`): see `notBeforeWrites`.
 */
export const ACCOUNT_KEYS = ['id', 'customerId', 'currencyCode', 'available', 'pending', 'lifetimeEarned', 'debt', 'updatedAt'] as const;
const ACCOUNT_COLUMNS = columnsOf(PointAccount, '', ACCOUNT_KEYS);

/** What the writing statement returns: the entry, the account's totals after it, and how much of the credits it consumed. */
type PostedRow = Selected<typeof POSTED_ENTRY_COLUMNS> & Selected<typeof POSTED_ACCOUNT_COLUMNS> & { consumed: number };

const POSTED_ENTRY_COLUMNS = columnsOf(LedgerEntry, 'e', ['id', 'accountId', 'amount', 'kind', 'reason', 'balanceAfter', 'expiresAt', 'createdAt']);
/** Read from the `a` CTE: the `returning` of the account update, so `point_account`'s column names. */
const POSTED_ACCOUNT_COLUMNS = columnsOf(PointAccount, 'a', ['pending', 'lifetimeEarned', 'debt', 'updatedAt']);

/** What a released pending credit brings to its EARN entry. */
const RELEASED_COLUMNS = columnsOf(PendingCredit, '', ['amount', 'sourceType', 'sourceId', 'reason', 'qualifying']);

/** A credit a reversal by reference undoes, with the points of it that expired (allocated to EXPIRE debits). */
const REVERSED_CREDIT_COLUMNS = columnsOf(LedgerEntry, 'e', ['id', 'amount', 'remaining', 'qualifying', 'createdAt']);

/**
 * The account's totals after a reversal's change (debt, lifetime), with its balances: the caller's
 * row may be older than a write of its own since it was locked (a pending credit cancelled).
 */
const REVERSAL_ACCOUNT_COLUMNS = columnsOf(PointAccount, '', ['available', 'pending', 'debt', 'lifetimeEarned', 'updatedAt']);

/** Points a debit takes from one credit entry (> 0): one `ledger_allocation` row. */
type Take = { id: LedgerEntry['id']; amount: number };

/** One entry to write on a locked, written-down account. */
interface Write {
  amount: number;
  kind: LedgerEntryKind;
  source: LedgerSource | string;
  sourceId: string | null;
  reason: string | null;
  actor: string;
  qualifying: boolean;
  /**
   * When the entry happened: now, or for a write-down the moment it fell due. Written no earlier
   * than the account's latest write (`updated_at`, see notBeforeWrites): a writer whose `now` was
   * read before it waited for the account's lock is dated after what committed meanwhile.
   */
  at: Date;
  /** Debits: the credits it takes from and how much of each (their sum is -amount). */
  consume?: Take[];
  /** Credits released from pending: the points that leave `pending`. */
  fromPending?: number;
  /** Change to the account's debt (a debt repayment lowers it). */
  debtDelta?: number;
  /** A credit's: see Posting.expiryFrom (default: the entry's own date). */
  expiryFrom?: Date;
}

/**
 * The one way points move. Under the account's row lock, first writes down what has fallen due
 * on the account (see `settleAccount`), then writes the entry and updates the cached balance, in
 * the caller's transaction, so the balance always equals the sum of the ledger, never goes below
 * zero and never spends a credit past its expiry. Debits consume the open remainder of credits
 * oldest-expiring first (recorded in `ledger_allocation`); a credit to an account that owes
 * points repays the debt from itself first.
 *
 * Refusals (the caller's transaction then rolls back, nothing written):
 * INSUFFICIENT_POINTS when a debit exceeds the balance as of `now`; INVALID when a credit would
 * take a per-customer amount past MAX_ACCOUNT_POINTS.
 */
export async function postEntry(em: SqlEntityManager, p: Posting): Promise<Posted> {
  if (!Number.isSafeInteger(p.amount) || p.amount === 0) throw new Error(`invalid ledger amount ${p.amount}`);
  const w: Write = {
    amount: p.amount,
    kind: p.kind,
    source: p.source,
    sourceId: p.sourceId ?? null,
    reason: p.reason ?? null,
    actor: p.actor,
    qualifying: p.qualifying ?? false,
    at: p.now,
  };
  const locked = await lockAccount(em, p.customerId, p.currency, p.now);
  // Its time as of the lock: never before a write that committed while it waited (edges-12b).
  const now = notBeforeWrites(p.now, [locked]);
  if (p.amount < 0) {
    const debited = await debit(em, locked, { ...p, amount: -p.amount, now });
    if (p.qualifying || debited.released) await recomputeTier(em, p.customerId, now);
    return debited.posted;
  }
  const settled = await settleAccount(em, locked, now);
  const posted = await creditWithRepayment(em, settled.account, { ...w, at: now }, now);
  if (p.qualifying || settled.released) await recomputeTier(em, p.customerId, now);
  return posted;
}

/**
 * The instant a write that read `now` before it waited for its locks is dated at, once it holds
 * them: the latest of `now` and each locked account's latest write (`updatedAt`, which every ledger
 * write moves to at least its entry's date under the row lock). So per account the ledger's order
 * by `createdAt` is the order its writes committed in, as tier placements never go back before a
 * committed placement (docs/decisions.md, "Writes are dated after the writes they waited for").
 */
export function notBeforeWrites(now: Date, accounts: Iterable<Pick<AccountRow, 'updatedAt'>>): Date {
  let latest = now;
  for (const a of accounts) {
    // A row read with raw SQL carries the timestamp as the driver gives it (text): read as a Date.
    const written = instantOf(a.updatedAt);
    if (written.getTime() > latest.getTime()) latest = written;
  }
  return latest;
}

/** A credit of `creditSettled`'s: `amount` is the points earned (> 0). */
export type Credit = Omit<Posting, 'customerId' | 'currency'>;

/**
 * A credit (`c.amount` > 0) written as postEntry writes it (the entry, its BALANCE_CHANGED event,
 * and the repayment of any debt from the credit itself), on an account the caller has locked
 * (`lockAccounts`) and written down at `c.now` (`settleAccount`) earlier in its transaction. For a
 * caller that credits several times in one transaction (a sale's awards): postEntry would lock
 * the account again and look for what is due again on every credit, although under the lock
 * nothing more falls due at the same moment (credits expire after they are written, never at
 * the same moment: see Posting.expiryFrom; and a pending credit is written only when its release is after the writer's `now`:
 * see awardPoints in src/transactions/processor.ts). Neither does it re-place the customer's tier: the caller
 * calls `recomputeTier` once after its last credit when any was qualifying (or the write-down
 * released points). `account` is updated to the state after the credit.
 *
 * Refusals (the caller's transaction then rolls back): INVALID when the credit would take a
 * per-customer amount past MAX_ACCOUNT_POINTS.
 */
export async function creditSettled(em: SqlEntityManager, account: AccountRow, c: Credit): Promise<Posted> {
  if (!Number.isSafeInteger(c.amount) || c.amount <= 0) throw new Error(`invalid credit ${c.amount}`);
  return creditWithRepayment(
    em,
    account,
    { amount: c.amount, kind: c.kind, source: c.source, sourceId: c.sourceId ?? null, reason: c.reason ?? null, actor: c.actor, qualifying: c.qualifying ?? false, at: c.now, expiryFrom: c.expiryFrom },
    c.now,
  );
}

/**
 * Whether a credit of `amount` (> 0; `qualifying`: it counts towards lifetime points) fits the
 * account as it stands (locked and written down by the caller): the bounds `write` checks, so a
 * caller that must refuse before writing anything of its own can ask first (see awardActivity).
 * Per-customer amounts stay within MAX_ACCOUNT_POINTS (they are GraphQL Ints).
 */
export function creditFits(account: AccountRow, amount: number, qualifying: boolean): boolean {
  return (
    account.available + account.pending + amount <= MAX_ACCOUNT_POINTS &&
    account.lifetimeEarned + account.pending + (qualifying ? amount : 0) <= MAX_ACCOUNT_POINTS
  );
}

/**
 * The refusal of a debit larger than the account's balance in `currencyCode` (INSUFFICIENT_POINTS):
 * `missing` is how many points the balance as of now lacks (the debit less the balance, above 0),
 * said in the message because the contract's userError is `{ code field message }` and has no
 * place of its own for it ("Not enough STARS points for this: 40 more needed."); `field` is the
 * input it is about (the listing bought, the amount taken), as every other userError names one.
 */
export function insufficientPoints(currencyCode: string, missing: number, field?: string[]) {
  return refuse(UserErrorCode.INSUFFICIENT_POINTS, `Not enough ${currencyCode} points for this: ${missing} more needed.`, field);
}

/**
 * The refusal (INVALID) of a credit that would take `account` (as the caller read it, locked) past
 * MAX_ACCOUNT_POINTS, naming the bound it passes: `amount` is what the credit adds to available +
 * pending, `lifetimeAmount` what it adds to lifetimeEarned + pending (0 for a credit that does not
 * count towards lifetime points). The balance's bound says "the most an account can hold"; the
 * lifetime bound says so, and that points not counting towards lifetime points still fit (break-12j:
 * both said "the most an account can hold" to a customer whose balance was 0).
 */
export function accountFull(account: Pick<AccountRow, 'currencyCode' | 'available' | 'pending' | 'lifetimeEarned'>, amount: number, lifetimeAmount: number) {
  const balanceFits = account.available + account.pending + amount <= MAX_ACCOUNT_POINTS;
  const lifetimeFits = account.lifetimeEarned + account.pending + lifetimeAmount <= MAX_ACCOUNT_POINTS;
  if (balanceFits && !lifetimeFits) {
    return refuse(
      UserErrorCode.INVALID,
      `This would take the customer's lifetime ${account.currencyCode} points (lifetimeEarned, with pending points) past ${MAX_ACCOUNT_POINTS}, the most an account can count; points that do not count towards lifetime points and tiers (an adjustment with qualifying: false) still fit.`,
    );
  }
  return refuse(UserErrorCode.INVALID, `This would take the customer's ${account.currencyCode} points past ${MAX_ACCOUNT_POINTS}, the most an account can hold.`);
}

/** A debit of `postEntry`'s: `amount` is the points taken (> 0). */
export type Debit = Omit<Posting, 'customerId' | 'currency'>;

/**
 * What a debit statement adds for its caller, as SQL fragments spliced into it (see
 * debitStatement): `ctes` (`, name as (…)` each), `events` (`union all select <ord> as ord,
 * '<TOPIC>' as topic, <jsonb> as payload from …`, ord ≥ 2), `columns` (`, expr as "name"`) and
 * `joins` (`left join name on true`) of the final select. Each CTE must read `a` (the account
 * after the debit) or `e` (the entry) so that it writes nothing when the debit is not written.
 * `precondition`: `refused`, a text SQL expression, null when the debit may be written, else a
 * reason: nothing is written and `debit` throws `refusal(reason)` (a purchase's listing removed,
 * or the customer no longer eligible, while the purchase waited for the account lock). It is
 * evaluated first, and only when nothing is due on the account. It reads the statement's
 * snapshot; a row the rest of the statement will update and a concurrent writer may change (a
 * listing's stock) must be read with a row lock (`for no key update of …`), so the condition is
 * checked on the row's last committed version, the one the update will change.
 */
export interface DebitExtension {
  /**
   * CTEs placed before the debit's own (`name as (…), ` each, the last with its comma), for a
   * caller that reads what the debit needs in the same statement (see DebitAccount).
   */
  head?: RawBuilder<unknown>;
  precondition?: { refused: RawBuilder<unknown>; refusal: (reason: string) => Error };
  ctes?: RawBuilder<unknown>;
  events?: RawBuilder<unknown>;
  columns?: RawBuilder<unknown>;
  joins?: RawBuilder<unknown>;
}

/**
 * The account a debit statement writes: its id and currency as values, or as SQL expressions over
 * the extension's `head` CTEs (a caller that finds the account in the same statement).
 */
export type DebitAccount = { id: number | RawBuilder<unknown>; customerId: number; currencyCode: string | RawBuilder<unknown> };

/** A Debit for debitStatement: `amount` (> 0) and `reason` values or SQL expressions over the extension's `head` CTEs. */
export type DebitInStatement = Omit<Debit, 'amount' | 'reason'> & { amount: number | RawBuilder<unknown>; reason?: string | null | RawBuilder<unknown> };

/** A debit statement's answer: the entry and the account after, all null when it wrote nothing. */
type DebitRow = { due: boolean; refused: string | null; consumed: number } & { [K in keyof PostedRow]: PostedRow[K] | null };

/**
 * The SET clauses that move an account's lifetime points by `delta` (signed, whole points):
 * `lifetime_earned` is the sum of its qualifying movements, never below 0, and
 * `lifetime_shortfall` what a drop took past 0 (a qualifying debit or a returned sale's credit
 * larger than what is left), which later qualifying credits make up before lifetime points grow
 * again. So lifetime points are max(0, sum of qualifying movements) whatever their order, as a
 * rolling-window tier counts them (`qualifying_points_at`). Before break-13 the drop past 0 was
 * forgotten: 100 earned, −60 qualifying, the 50-point sale returned, 50 earned again read 50
 * lifetime points (a 50-point lifetime tier) where the sum, and a 3650-day window, read 40.
 * Both right-hand sides read the row as it was (one UPDATE), so either column may come first.
 */
function lifetimeMoves(delta: number): RawBuilder<unknown> {
  return sql`lifetime_earned = greatest(lifetime_earned - lifetime_shortfall + ${delta}::bigint, 0),
             lifetime_shortfall = greatest(lifetime_shortfall - lifetime_earned - ${delta}::bigint, 0)`;
}

/**
 * One statement that takes `d.amount` points (> 0) from an account whose row lock the caller holds,
 * everything postEntry does for a debit in one round trip: unless something on the account is
 * due (then `due` is true and nothing is written, see settleAccount), and unless the balance is
 * short (nothing written, the entry's columns null), it lowers the cached balance, consumes the
 * open credits oldest-expiring first (never-expiring last, ties by age; `ledger_allocation`
 * rows), writes the entry and records its BALANCE_CHANGED event (ord 1, before the extension's
 * events) in the outbox. CTE names the extension may read: `a` (point_account's returning: id,
 * available, pending, lifetime_earned, debt, updated_at) and `e` (the ledger_entry written, every
 * column). The entry and every event are dated `a.updated_at` (the debit's `now`, never before the
 * account's latest write): an extension dates what it writes with it too, one date per write.
 * The reads run on the statement's snapshot, which is current because the account lock was
 * taken by an earlier statement of the transaction and every ledger write holds it. A caller that
 * takes the lock in the statement itself (the extension's `head`, before `due`) must make the
 * precondition refuse unless the locked row is the snapshot's (its `version`, which every ledger
 * write bumps under the lock): the purchase's PURCHASE_ALONE.
 */
export function debitStatement<X extends object = object>(account: DebitAccount, d: DebitInStatement, more: DebitExtension = {}): RawBuilder<DebitRow & X> {
  const lifetimeDrop = d.qualifying ? d.amount : 0;
  return sql`
    with ${more.head ?? sql``} due as materialized (
      -- The precondition only when nothing is due: a statement that writes nothing (the caller
      -- writes the account down and runs it again) takes no lock the precondition may take.
      select d.due, case when d.due then null else (${more.precondition?.refused ?? sql`null`})::text end as refused from (
        select exists (select 1 from ledger_entry where account_id = ${account.id} and remaining > 0 and expires_at <= ${d.now})
            or exists (select 1 from pending_credit where account_id = ${account.id} and released_at is null and cancelled_at is null and available_at <= ${d.now}) as due
      ) d
    ), a as (
      update point_account
         set available = available - ${d.amount}, ${lifetimeMoves(-lifetimeDrop)},
             version = version + 1, updated_at = greatest(updated_at, ${d.now})
       where id = ${account.id} and available >= ${d.amount} and not (select due from due) and (select refused from due) is null
      returning id, available, pending, lifetime_earned, debt, updated_at
    ), take as (
      select o.id, least(o.remaining, ${d.amount} - (o.running - o.remaining))::bigint as amount from (
        select id, remaining, sum(remaining) over (order by expires_at asc nulls last, id) as running
          from ledger_entry where account_id = ${account.id} and remaining > 0
      ) o where o.running - o.remaining < ${d.amount} and exists (select 1 from a)
    ), consumed as (
      update ledger_entry l set remaining = l.remaining - t.amount from take t
       where l.id = t.id and l.remaining >= t.amount
      returning l.id, t.amount
    ), e as (
      insert into ledger_entry (account_id, customer_id, amount, kind, source_type, source_id, reason, actor,
                                balance_after, expires_at, remaining, qualifying, created_at)
      select a.id, ${account.customerId}, -(${d.amount}::bigint), ${d.kind}, ${d.source}, ${d.sourceId ?? null}, ${d.reason ?? null}, ${d.actor},
             a.available, null, 0, ${d.qualifying ?? false}, a.updated_at
        from a
      returning *
    ), allocated as (
      insert into ledger_allocation (account_id, customer_id, debit_id, credit_id, amount)
      select e.account_id, e.customer_id, e.id, consumed.id, consumed.amount from e, consumed
    )${more.ctes ?? sql``}, events as (
      insert into outbox_event (topic, customer_id, payload, created_at)
      select x.topic, ${account.customerId}, x.payload, (select updated_at from a) from (
        select 1 as ord, 'BALANCE_CHANGED' as topic,
               jsonb_build_object('currency', ${account.currencyCode}::text, 'accountId', a.id, 'customerId', ${account.customerId}::bigint,
                                  'currencyCode', ${account.currencyCode}::text, 'available', a.available, 'pending', a.pending,
                                  'lifetimeEarned', a.lifetime_earned,
                                  'change', jsonb_build_object('entryId', e.id, 'amount', e.amount, 'kind', e.kind, 'reason', e.reason)) as payload
          from a, e
        ${more.events ?? sql``}
      ) x order by x.ord
    )
    select (select due from due) as due, (select refused from due) as refused, ${POSTED_ENTRY_COLUMNS}, ${POSTED_ACCOUNT_COLUMNS},
           (select coalesce(sum(amount), 0) from consumed)::bigint as consumed${more.columns ?? sql``}
      from (select 1) one left join e on true left join a on true ${more.joins ?? sql``}`;
}

/**
 * Runs debitStatement (with the caller's extension) on a locked account: when the statement
 * finds something due, writes it down (settleAccount) and runs it again. Answers the posting, the
 * whole row (the extension's columns included) and whether the write-down released pending points
 * (the caller re-places the tier then).
 *
 * Refusals (the caller's transaction then rolls back): the extension's `precondition.refusal(reason)`
 * when its condition gives a reason; INSUFFICIENT_POINTS when the balance as of `now` is short. Throws (an invariant error, rolled back) when the open credits do not cover the
 * balance.
 */
export async function debit<X extends object = object>(
  em: SqlEntityManager,
  account: AccountRow,
  d: Debit,
  more?: DebitExtension,
): Promise<{ posted: Posted; row: DebitRow & X; released: boolean }> {
  if (!Number.isSafeInteger(d.amount) || d.amount <= 0) throw new Error(`invalid debit ${d.amount}`);
  let released = false;
  // the locked account as the statement that decides reads it (after a write-down, if one was due)
  let current = account;
  let row = await queryOne(em, debitStatement<X>(account, d, more));
  if (row?.due) {
    const settled = await settleAccount(em, account, d.now);
    released = settled.released;
    current = settled.account;
    row = await queryOne(em, debitStatement<X>(settled.account, d, more));
    if (row?.due) throw new Error(`ledger: account ${account.id} still has points due after its write-down`);
  }
  if (row?.refused != null) throw more!.precondition!.refusal(row.refused);
  if (!row || row.id == null) throw insufficientPoints(account.currencyCode, d.amount - current.available, d.refusalField);
  if (row.consumed !== d.amount) {
    // The balance and the open credits disagree: refuse to make it worse (rolls back).
    throw new Error(`ledger invariant broken on account ${account.id}: consumed ${row.consumed} of ${d.amount}`);
  }
  const entry = row as DebitRow & PostedRow;
  Object.assign(account, {
    available: entry.balanceAfter,
    pending: entry.pending,
    lifetimeEarned: entry.lifetimeEarned,
    debt: entry.debt,
    updatedAt: entry.updatedAt,
  } satisfies Partial<AccountRow>);
  return { posted: postedOf(account, entry), row, released };
}

/**
 * Takes the account's row lock (creating the account if it has none yet) and reads it.
 *
 * Lock order: a customer's account rows before that customer's `event_stream` row, which every
 * event recorded for them takes (the outbox trigger) and holds to commit. A transaction that
 * writes several of one customer's accounts therefore locks them all first (`lockAccounts`):
 * locking the second after an event of the first waits, holding the stream, on whoever holds the
 * second account and is about to record its own event — a deadlock.
 */
export async function lockAccount(em: SqlEntityManager, customerId: number, currency: string, now: Date): Promise<AccountRow> {
  const select = sql<AccountRow>`select ${ACCOUNT_COLUMNS} from point_account where customer_id = ${customerId} and currency_code = ${currency} for update`;
  let account = await queryOne(em, select);
  if (!account) {
    await ensureAccount(em, customerId, currency, now);
    account = await queryOne(em, select);
  }
  if (!account) throw new Error(`no point account for customer ${customerId} in ${currency}`);
  return account;
}

/**
 * The lazy write-down: on a locked account, writes what fell due up to `now` and is not written
 * yet, one event at a time in the order it fell due (an expiry before a release at the same
 * instant): the unspent remainder of credits whose `expiresAt` has come (an EXPIRE entry per
 * expiry instant, dated that instant), and pending credits whose `availableAt` has come (an EARN
 * dated that moment, expiring the currency's days after it, repaying any debt from itself first).
 * A release dated in the past may itself have expired by now: the loop then expires it too.
 * Exactly what `ledger_due` (SQL) shows readers before it is written. Returns the account after,
 * and whether any points were released (qualifying points changed).
 *
 * `alsoRead`: an SQL expression (a scalar subquery) the caller needs evaluated under the account's
 * lock and before anything is written down, sent with the first look for what is due rather than
 * as a statement of its own (a sale's tier, sale-19: every statement costs the gateway and
 * PostgreSQL CPU of its own). Its value is answered as `alsoRead` (undefined without one).
 */
export async function settleAccount<R = never>(
  em: SqlEntityManager,
  account: AccountRow,
  now: Date,
  alsoRead?: RawBuilder<R>,
): Promise<{ account: AccountRow; released: boolean; alsoRead?: R | null }> {
  let released = false;
  let read: { alsoRead?: R | null } = {};
  for (;;) {
    const due = sql`(select 'EXPIRE' as kind, expires_at as at, null::bigint as pending_id from ledger_entry
              where account_id = ${account.id} and remaining > 0 and expires_at <= ${now} order by expires_at limit 1)
            union all
            (select 'RELEASE', available_at, id from pending_credit
              where account_id = ${account.id} and released_at is null and cancelled_at is null and available_at <= ${now}
              order by available_at, id limit 1)`;
    type Due = { kind: 'EXPIRE' | 'RELEASE' | null; at: Date; pending_id: PendingCredit['id'] | null; alsoRead?: R | null };
    const next = await queryOne<Due>(
      em,
      alsoRead
        ? // one row whether or not anything is due (kind null when nothing is), carrying the read
          sql`select * from (
            ${due}
          ) due right join (select ${alsoRead} as "alsoRead") r on true order by at, kind limit 1`
        : sql`select * from (
            ${due}
          ) due order by at, kind limit 1`,
    );
    if (alsoRead) {
      read = { alsoRead: next?.alsoRead ?? null };
      alsoRead = undefined;
    }
    if (!next || next.kind === null) return { account, released, ...read };
    if (next.kind === 'EXPIRE') {
      const consume = await query<Take>(
        em,
        sql`select id, remaining as amount from ledger_entry where account_id = ${account.id} and remaining > 0 and expires_at = ${next.at} order by id`,
      );
      const amount = consume.reduce((sum, c) => sum + c.amount, 0);
      await write(
        em,
        account,
        {
          amount: -amount,
          kind: LedgerEntryKind.EXPIRE,
          source: LedgerSource.EXPIRY,
          sourceId: null,
          reason: 'Points expired',
          actor: 'system',
          qualifying: false,
          at: next.at,
          consume,
        },
        now,
      );
    } else {
      const pending = await queryOne<Selected<typeof RELEASED_COLUMNS>>(
        em,
        sql`update pending_credit set released_at = ${next.at}
             where id = ${next.pending_id} and released_at is null and cancelled_at is null
            returning ${RELEASED_COLUMNS}`,
      );
      if (!pending) continue;
      const posted = await creditWithRepayment(
        em,
        account,
        {
          amount: pending.amount,
          kind: LedgerEntryKind.EARN,
          source: pending.sourceType,
          sourceId: pending.sourceId,
          reason: pending.reason,
          actor: 'system',
          qualifying: pending.qualifying,
          at: next.at,
          fromPending: pending.amount,
        },
        now,
      );
      await query(em, sql`update pending_credit set ledger_entry_id = ${posted.entryId} where id = ${next.pending_id}`);
      released = true;
    }
  }
}

/**
 * Writes a credit; when the account owes points (a reversal found them spent), the credit repays
 * the debt from itself: the credit stays in the ledger as earned, followed by a REVERSAL that
 * takes the repaid part from this very credit (not from older points that would expire anyway,
 * which would let a debt run out with them).
 */
async function creditWithRepayment(em: SqlEntityManager, account: AccountRow, w: Write, now: Date): Promise<Posted> {
  const credit = await write(em, account, w, now);
  const posted = postedOf(account, credit);
  // A credit whose expiry had passed before it was written (a sale's job later than its points'
  // life: Posting.expiryFrom, clamped to 1 ms after the credit) repays nothing: processed on time,
  // those points would have expired unused and the debt would still stand (break35b, expiry).
  if (lapsedOnArrival(credit)) return posted;
  const repay = Math.min(credit.debt, w.amount);
  if (repay <= 0) return posted;
  const repaid = await write(
    em,
    account,
    {
      amount: -repay,
      kind: LedgerEntryKind.REVERSAL,
      source: w.source,
      sourceId: w.sourceId,
      reason: DEBT_REPAYMENT_REASON,
      actor: 'system',
      qualifying: false,
      at: w.at,
      consume: [{ id: credit.id, amount: repay }],
      debtDelta: -repay,
    },
    now,
  );
  const after = postedOf(account, repaid);
  return { ...posted, balanceAfter: after.balanceAfter, balance: after.balance };
}

/**
 * The one statement that writes an entry: updates the cached account (balance, pending, lifetime,
 * debt), inserts the entry and, for a debit, lowers the remainder of the credits it consumes and
 * records each in `ledger_allocation`, and records the entry's BALANCE_CHANGED event (the balance
 * after it and the change, dated `now`; the payload postedOf's `balance` with the currency and the
 * change, as debitStatement writes it) in the outbox. One statement rather than the write and
 * then the event: every statement costs the gateway and PostgreSQL CPU of its own (issue 12,
 * bench:till). Mutates `account` to the state after. A credit that would take a per-customer
 * amount past MAX_ACCOUNT_POINTS is refused (INVALID), and nothing is written.
 */
async function write(em: SqlEntityManager, account: AccountRow, w: Write, now: Date): Promise<PostedRow> {
  const isCredit = w.amount > 0;
  const lifetimeDelta = w.qualifying ? w.amount : 0;
  const fromPending = w.fromPending ?? 0;
  const consume = w.consume ?? [];
  const [row] = await query<PostedRow>(
    em,
    sql`
    with a as (
      update point_account
         set available = available + ${w.amount}, pending = pending - ${fromPending},
             ${lifetimeMoves(lifetimeDelta)}, debt = debt + ${w.debtDelta ?? 0},
             version = version + 1, updated_at = greatest(updated_at, ${w.at})
       where id = ${account.id} and available + ${w.amount} >= 0
         and available + pending + ${w.amount - fromPending} <= ${MAX_ACCOUNT_POINTS}
         and lifetime_earned + pending + ${lifetimeDelta - fromPending} <= ${MAX_ACCOUNT_POINTS}
      returning id, available, pending, lifetime_earned, debt, updated_at
    ), take as (
      select * from unnest(${consume.map((c) => c.id)}::bigint[], ${consume.map((c) => c.amount)}::bigint[]) as t(id, amount)
    ), consumed as (
      update ledger_entry l set remaining = l.remaining - t.amount
        from take t, a
       where l.id = t.id and l.account_id = a.id and l.remaining >= t.amount
      returning l.id, t.amount
    ), e as (
      insert into ledger_entry (account_id, customer_id, amount, kind, source_type, source_id, reason, actor,
                                balance_after, expires_at, remaining, qualifying, created_at)
      select a.id, ${account.customerId}, ${w.amount}, ${w.kind}, ${w.source}, ${w.sourceId}, ${w.reason}, ${w.actor}, a.available,
             case when ${isCredit} and c.expiry_days is not null
                  then greatest(coalesce(${w.expiryFrom ?? null}::timestamptz, a.updated_at) + ${daysOf(sql`c.expiry_days`)}, a.updated_at + interval '1 millisecond') end,
             ${isCredit ? w.amount : 0}, ${w.qualifying}, a.updated_at
        from a join point_currency c on c.code = ${account.currencyCode}
      returning *
    ), allocated as (
      insert into ledger_allocation (account_id, customer_id, debit_id, credit_id, amount)
      select e.account_id, e.customer_id, e.id, consumed.id, consumed.amount from e, consumed
    ), event as (
      insert into outbox_event (topic, customer_id, payload, created_at)
      select 'BALANCE_CHANGED', ${account.customerId},
             jsonb_build_object('currency', ${account.currencyCode}::text, 'accountId', a.id, 'customerId', ${account.customerId}::bigint,
                                'currencyCode', ${account.currencyCode}::text, 'available', a.available, 'pending', a.pending,
                                'lifetimeEarned', a.lifetime_earned,
                                'change', jsonb_build_object('entryId', e.id, 'amount', e.amount, 'kind', e.kind, 'reason', e.reason)),
             ${now}
        from a, e
    )
    select ${POSTED_ENTRY_COLUMNS}, ${POSTED_ACCOUNT_COLUMNS}, (select coalesce(sum(amount), 0) from consumed)::bigint as consumed
      from e, a`,
  );
  if (!row) {
    if (isCredit) throw accountFull(account, w.amount - fromPending, lifetimeDelta - fromPending);
    throw new Error(`ledger invariant broken on account ${account.id}: a debit of ${-w.amount} found the balance short`);
  }
  if (!isCredit && row.consumed !== -w.amount) {
    // The balance and the open credits disagree: refuse to make it worse (rolls back).
    throw new Error(`ledger invariant broken on account ${account.id}: consumed ${row.consumed} of ${-w.amount}`);
  }
  Object.assign(account, {
    available: row.balanceAfter,
    pending: row.pending,
    lifetimeEarned: row.lifetimeEarned,
    debt: row.debt,
    updatedAt: row.updatedAt,
  } satisfies Partial<AccountRow>);
  return row;
}

/** Whether a credit was written expiring 1 ms after itself: the clamp of Posting.expiryFrom, for points whose expiry had passed before they were written. */
function lapsedOnArrival(credit: Pick<PostedRow, 'expiresAt' | 'createdAt'>): boolean {
  return credit.expiresAt !== null && instantOf(credit.expiresAt).getTime() - instantOf(credit.createdAt).getTime() <= 1;
}

/** A written entry's row as a Posted (the BALANCE_CHANGED payload's shape, with the entry). */
function postedOf(account: AccountRow, row: PostedRow): Posted {
  return {
    entryId: row.id,
    accountId: row.accountId,
    amount: row.amount,
    kind: row.kind,
    reason: row.reason,
    balanceAfter: row.balanceAfter,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    balance: {
      accountId: row.accountId,
      customerId: account.customerId,
      currencyCode: account.currencyCode,
      available: row.balanceAfter,
      pending: row.pending,
      lifetimeEarned: row.lifetimeEarned,
    },
  };
}

export interface ReversalResult {
  /** Points taken back from the reversed credits' open remainder (one REVERSAL entry). */
  taken: number;
  /** Points of the reversed credits already spent: added to the account's debt, repaid by later credits. */
  owed: number;
  /** Points of the reversed credits that had already expired: gone, taken from nothing else. */
  expired: number;
  /** The REVERSAL entry, null when nothing of the credits was open. */
  entryId: number | null;
}

/**
 * Reverses credit entries by reference (a returned sale's points, its released pending points),
 * each at most once (`ledger_reversal`, unique per credit; a credit already reversed is skipped).
 * After writing down what is due, for each credit: its open remainder is taken back (a REVERSAL
 * entry consuming exactly those credits), what of it was spent becomes debt, and what of it
 * expired is gone — other points are never taken in its place. Lifetime earned drops by the whole
 * amount of the qualifying credits, and rolling-window tiers get a `qualifying_adjustment` dated
 * at each credit's own moment, so every window that counted the credit stops counting it, and
 * recorded at `r.now`, so a tier read at a moment before the return (a sale made then and
 * processed after it) does not see it (break34, time).
 * On `account`, which the caller locked (`lockAccounts`) and wrote down at `r.now`
 * (`settleAccount`) earlier in its transaction, as `creditSettled` takes it: a return of several
 * awards locks and writes down each account once (edges-12). `account` is updated to the state after.
 * Does not re-place the customer's tier: the caller calls `recomputeTier` once after its last
 * reversal (a return of a sale with several awards would otherwise tell subscribers of tiers the
 * customer holds only between two of its statements, C -> B -> A for one return).
 * Refuses with INVALID when the debt would pass MAX_ACCOUNT_POINTS.
 */
export async function reverseCredits(
  em: SqlEntityManager,
  account: AccountRow,
  r: { entryIds: number[]; source: LedgerSource; sourceId: string; reason: string; actor: string; now: Date },
): Promise<ReversalResult> {
  const result: ReversalResult = { taken: 0, owed: 0, expired: 0, entryId: null };
  if (r.entryIds.length === 0) return result;
  const credits = await query<Selected<typeof REVERSED_CREDIT_COLUMNS> & { expired: number }>(
    em,
    sql`select ${REVERSED_CREDIT_COLUMNS},
               coalesce(sum(al.amount) filter (where d.kind = 'EXPIRE'), 0)::bigint as expired
          from ledger_entry e
          left join ledger_allocation al on al.credit_id = e.id
          left join ledger_entry d on d.id = al.debit_id
         where e.id = any(${r.entryIds}::bigint[]) and e.account_id = ${account.id} and e.amount > 0
           and not exists (select 1 from ledger_reversal x where x.credit_id = e.id)
         group by e.id order by e.id`,
  );
  if (credits.length === 0) return result;
  const owedOf = (c: (typeof credits)[number]) => c.amount - c.remaining - c.expired;
  result.taken = credits.reduce((s, c) => s + c.remaining, 0);
  result.expired = credits.reduce((s, c) => s + c.expired, 0);
  result.owed = credits.reduce((s, c) => s + owedOf(c), 0);
  const lifetimeDrop = credits.filter((c) => c.qualifying).reduce((s, c) => s + c.amount, 0);

  const changed = await queryOne<Selected<typeof REVERSAL_ACCOUNT_COLUMNS>>(
    em,
    sql`update point_account set debt = debt + ${result.owed}, ${lifetimeMoves(-lifetimeDrop)},
               version = version + 1, updated_at = greatest(updated_at, ${r.now})
         where id = ${account.id} and debt + ${result.owed} <= ${MAX_ACCOUNT_POINTS}
        returning ${REVERSAL_ACCOUNT_COLUMNS}`,
  );
  if (!changed) throw refuse(UserErrorCode.INVALID, `This would take the points the customer owes past ${MAX_ACCOUNT_POINTS}.`);
  Object.assign(account, changed);

  let posted: Posted | null = null;
  if (result.taken > 0) {
    const row = await write(
      em,
      account,
      {
        amount: -result.taken,
        kind: LedgerEntryKind.REVERSAL,
        source: r.source,
        sourceId: r.sourceId,
        reason: r.reason,
        actor: r.actor,
        qualifying: false,
        at: r.now,
        consume: credits.filter((c) => c.remaining > 0).map((c) => ({ id: c.id, amount: c.remaining })),
      },
      r.now,
    );
    posted = postedOf(account, row);
    result.entryId = row.id;
  } else {
    await recordEvent(
      em,
      'BALANCE_CHANGED',
      account.customerId,
      {
        currency: account.currencyCode,
        accountId: account.id,
        customerId: account.customerId,
        currencyCode: account.currencyCode,
        available: account.available,
        pending: account.pending,
        lifetimeEarned: account.lifetimeEarned,
      },
      r.now,
    );
  }
  for (const c of credits) {
    if (c.qualifying) {
      await query(
        em,
        sql`insert into qualifying_adjustment (account_id, customer_id, amount, reason, created_at, recorded_at)
            values (${account.id}, ${account.customerId}, ${-c.amount}, ${r.reason}, ${c.createdAt}, ${r.now})`,
      );
    }
    await query(
      em,
      sql`insert into ledger_reversal (account_id, customer_id, credit_id, reversal_entry_id, taken, owed, expired, reason, created_at)
          values (${account.id}, ${account.customerId}, ${c.id}, ${posted?.entryId ?? null}, ${c.remaining}, ${owedOf(c)}, ${c.expired}, ${r.reason}, ${r.now})`,
    );
  }
  return result;
}

/**
 * Locks one customer's accounts in `currencies` (creating the missing ones), in currency code
 * order, before a transaction that writes several of them records any event (see lockAccount).
 * Answers the locked rows by currency code (for `settleAccount` and `creditSettled`).
 */
export async function lockAccounts(em: SqlEntityManager, customerId: number, currencies: Iterable<string>, now: Date): Promise<Map<string, AccountRow>> {
  const locked = new Map<string, AccountRow>();
  for (const currency of [...new Set(currencies)].sort()) locked.set(currency, await lockAccount(em, customerId, currency, now));
  return locked;
}

export async function ensureAccount(em: SqlEntityManager, customerId: number, currency: string, now: Date): Promise<void> {
  await query(
    em,
    sql`insert into point_account (customer_id, currency_code, created_at, updated_at) values (${customerId}, ${currency}, ${now}, ${now})
        on conflict (customer_id, currency_code) do nothing`,
  );
}
