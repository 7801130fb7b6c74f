import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { query, sql } from '../db/sql.js';
import { recordEvent } from '../events/outbox.service.js';
import { refuse, UserErrorCode } from '../graphql/errors.js';
import { recomputeTier } from '../tiers/tier.service.js';
import { LedgerEntryKind, LedgerSource } from './ledger-entry.entity.js';

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
  /** Credits only: counts towards lifetime earned and tier qualification. */
  qualifying?: boolean;
  now: Date;
}

export interface Posted {
  entryId: number;
  accountId: number;
  amount: number;
  kind: LedgerEntryKind;
  reason: string | null;
  balanceAfter: number;
  expiresAt: Date | null;
  createdAt: Date;
  /** The account after the posting. */
  balance: { accountId: number; customerId: number; currencyCode: string; available: number; pending: number; lifetimeEarned: number };
}

interface PostedRow {
  debt?: number;
  id: number;
  account_id: number;
  amount: number;
  kind: LedgerEntryKind;
  reason: string | null;
  balance_after: number;
  expires_at: Date | null;
  created_at: Date;
  pending: number;
  lifetime_earned: number;
  consumed?: number;
}

/**
 * The one way points move. Writes the ledger entry and updates the cached balance in the caller's
 * transaction, under the account's row lock, so the balance always equals the sum of the ledger
 * and never goes below zero (the database CHECKs back this up). Debits consume the unconsumed
 * remainder of credits oldest-expiring first. Refuses a debit the balance cannot pay with
 * INSUFFICIENT_POINTS (the caller's transaction then rolls back).
 */
export async function postEntry(em: SqlEntityManager, p: Posting): Promise<Posted> {
  if (!Number.isSafeInteger(p.amount) || p.amount === 0) throw new Error(`invalid ledger amount ${p.amount}`);
  const row = p.amount > 0 ? await credit(em, p) : await debit(em, p);
  const posted: Posted = {
    entryId: row.id,
    accountId: row.account_id,
    amount: row.amount,
    kind: row.kind,
    reason: row.reason,
    balanceAfter: row.balance_after,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    balance: { accountId: row.account_id, customerId: p.customerId, currencyCode: p.currency, available: row.balance_after, pending: row.pending, lifetimeEarned: row.lifetime_earned },
  };
  await recordEvent(
    em,
    'BALANCE_CHANGED',
    p.customerId,
    { currency: p.currency, ...posted.balance, change: { entryId: posted.entryId, amount: posted.amount, kind: posted.kind, reason: posted.reason } },
    p.now,
  );
  if (p.qualifying) await recomputeTier(em, p.customerId, p.now);
  if (row.debt && p.amount > 0) return repayDebt(em, p, Math.min(row.debt, p.amount), posted);
  return posted;
}

/**
 * A credit to an account that owes points (a reversal found them spent) pays the debt first: the
 * credit stays in the ledger as earned, followed by a REVERSAL for the part that repays.
 */
async function repayDebt(em: SqlEntityManager, p: Posting, amount: number, credit: Posted): Promise<Posted> {
  await query(em, sql`update point_account set debt = debt - ${amount} where id = ${credit.accountId} and debt >= ${amount}`);
  const repaid = await postEntry(em, {
    customerId: p.customerId,
    currency: p.currency,
    amount: -amount,
    kind: LedgerEntryKind.REVERSAL,
    source: p.source,
    sourceId: p.sourceId,
    reason: 'Repays points owed from a reversed sale',
    actor: 'system',
    now: p.now,
  });
  return { ...credit, balanceAfter: repaid.balanceAfter, balance: repaid.balance };
}

export interface ReversalResult {
  /** Points taken back from the balance. */
  taken: number;
  /** Points already spent: recorded as debt that later credits repay. */
  owed: number;
  entryId: number | null;
}

/**
 * Takes back `amount` earned points (a returned sale). The balance never goes below zero: what
 * is left of the balance is debited now (REVERSAL), the rest is owed (account debt) and repaid by
 * the next credits. Lifetime earned and the tier drop by the whole amount at once.
 */
export async function reverseCredit(
  em: SqlEntityManager,
  r: { customerId: number; currency: string; amount: number; source: LedgerSource; sourceId: string; reason: string; actor: string; now: Date },
): Promise<ReversalResult> {
  const [account] = await query<{ id: number; available: number }>(
    em,
    sql`update point_account set version = version + 1 where customer_id = ${r.customerId} and currency_code = ${r.currency} returning id, available`,
  );
  if (!account) throw new Error(`no point account for customer ${r.customerId} in ${r.currency}`);
  const taken = Math.min(account.available, r.amount);
  const owed = r.amount - taken;
  let entryId: number | null = null;
  if (taken > 0) {
    const posted = await postEntry(em, {
      customerId: r.customerId,
      currency: r.currency,
      amount: -taken,
      kind: LedgerEntryKind.REVERSAL,
      source: r.source,
      sourceId: r.sourceId,
      reason: r.reason,
      actor: r.actor,
      qualifying: true,
      now: r.now,
    });
    entryId = posted.entryId;
  }
  if (owed > 0) {
    await query(
      em,
      sql`update point_account set debt = debt + ${owed}, lifetime_earned = greatest(lifetime_earned - ${owed}, 0), updated_at = ${r.now}
           where id = ${account.id}`,
    );
    // Rolling-window tiers count ledger entries; the owed part has none, so record it for them.
    await query(
      em,
      sql`insert into qualifying_adjustment (account_id, customer_id, amount, reason, created_at)
          values (${account.id}, ${r.customerId}, ${-owed}, ${r.reason}, ${r.now})`,
    );
    await recomputeTier(em, r.customerId, r.now);
  }
  return { taken, owed, entryId };
}

async function credit(em: SqlEntityManager, p: Posting): Promise<PostedRow> {
  const statement = sql<PostedRow>`
    with a as (
      update point_account
         set available = available + ${p.amount},
             lifetime_earned = lifetime_earned + ${p.qualifying ? p.amount : 0},
             version = version + 1, updated_at = ${p.now}
       where customer_id = ${p.customerId} and currency_code = ${p.currency}
      returning id, available, pending, lifetime_earned, debt
    ), e as (
      insert into ledger_entry (account_id, customer_id, amount, kind, source_type, source_id, reason, actor,
                                balance_after, expires_at, remaining, qualifying, created_at)
      select a.id, ${p.customerId}, ${p.amount}, ${p.kind}, ${p.source}, ${p.sourceId ?? null}, ${p.reason ?? null}, ${p.actor},
             a.available, ${p.now}::timestamptz + make_interval(days => c.expiry_days), ${p.amount}, ${p.qualifying ?? false}, ${p.now}
        from a join point_currency c on c.code = ${p.currency}
      returning *
    )
    select e.id, e.account_id, e.amount, e.kind, e.reason, e.balance_after, e.expires_at, e.created_at, a.pending, a.lifetime_earned, a.debt
      from e, a`;
  let [row] = await query(em, statement);
  if (!row) {
    await ensureAccount(em, p.customerId, p.currency, p.now);
    [row] = await query(em, statement);
  }
  if (!row) throw new Error(`no point account for customer ${p.customerId} in ${p.currency}`);
  return row;
}

async function debit(em: SqlEntityManager, p: Posting): Promise<PostedRow> {
  const amount = -p.amount;
  // The conditional update takes the account's row lock and refuses an overdraft in one step.
  const [account] = await query<{ id: number; available: number; pending: number; lifetime_earned: number }>(
    em,
    sql`update point_account set available = available - ${amount}, version = version + 1, updated_at = ${p.now},
               lifetime_earned = greatest(lifetime_earned - ${p.qualifying ? amount : 0}, 0)
         where customer_id = ${p.customerId} and currency_code = ${p.currency} and available >= ${amount}
        returning id, available, pending, lifetime_earned`,
  );
  if (!account) {
    throw refuse(UserErrorCode.INSUFFICIENT_POINTS, `Not enough ${p.currency} points for this.`);
  }
  // Under that lock, consume open credits oldest-expiring first and write the debit.
  const [row] = await query<PostedRow>(
    em,
    sql`
    with open as (
      select id, remaining, sum(remaining) over (order by expires_at asc nulls last, id) as running
        from ledger_entry where account_id = ${account.id} and remaining > 0
    ), consumed as (
      update ledger_entry l set remaining = l.remaining - least(o.remaining, ${amount} - (o.running - o.remaining))
        from open o
       where l.id = o.id and o.running - o.remaining < ${amount}
      returning o.remaining - l.remaining as taken
    ), e as (
      insert into ledger_entry (account_id, customer_id, amount, kind, source_type, source_id, reason, actor,
                                balance_after, remaining, qualifying, created_at)
      values (${account.id}, ${p.customerId}, ${p.amount}, ${p.kind}, ${p.source}, ${p.sourceId ?? null}, ${p.reason ?? null}, ${p.actor},
              ${account.available}, 0, ${p.qualifying ?? false}, ${p.now})
      returning *
    )
    select e.id, e.account_id, e.amount, e.kind, e.reason, e.balance_after, e.expires_at, e.created_at,
           ${account.pending}::bigint as pending, ${account.lifetime_earned}::bigint as lifetime_earned,
           (select coalesce(sum(taken), 0) from consumed)::bigint as consumed
      from e`,
  );
  if (row.consumed !== amount) {
    // The balance and the open credits disagree: refuse to make it worse (rolls back).
    throw new Error(`ledger invariant broken on account ${account.id}: consumed ${row.consumed} of ${amount}`);
  }
  return row;
}

export async function ensureAccount(em: SqlEntityManager, customerId: number, currency: string, now: Date): Promise<void> {
  await query(
    em,
    sql`insert into point_account (customer_id, currency_code, created_at, updated_at) values (${customerId}, ${currency}, ${now}, ${now})
        on conflict (customer_id, currency_code) do nothing`,
  );
}
