import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { query, queryOne, sql } from '../db/sql.js';
import { recordEvent } from '../events/outbox.service.js';
import { LedgerEntryKind, type LedgerSource } from './ledger-entry.entity.js';
import { ensureAccount, postEntry } from './ledger.service.js';

export interface PendingData {
  customerId: number;
  currency: string;
  amount: number;
  source: LedgerSource;
  sourceId: string;
  reason: string;
  availableAt: Date;
  now: Date;
}

interface BalanceAfter {
  customerId: number;
  currency: string;
  available: number;
  pending: number;
  lifetimeEarned: number;
}

/** The account's state as the statement that changed it returned it (no second read). */
const BALANCE_AFTER = sql`a.customer_id as "customerId", a.currency_code as currency, a.available, a.pending, a.lifetime_earned as "lifetimeEarned"`;

async function balanceEvent(em: SqlEntityManager, { customerId, ...balance }: BalanceAfter, now: Date): Promise<void> {
  await recordEvent(em, 'BALANCE_CHANGED', customerId, balance, now);
}

/** Earns points that become spendable at `availableAt`; until then they show as `pending`. */
export async function addPending(em: SqlEntityManager, d: PendingData): Promise<number> {
  await ensureAccount(em, d.customerId, d.currency, d.now);
  const [row] = await query<BalanceAfter & { id: number }>(
    em,
    sql`with a as (
          update point_account a set pending = pending + ${d.amount}, version = version + 1, updated_at = ${d.now}
           where customer_id = ${d.customerId} and currency_code = ${d.currency} returning a.*
        ), p as (
          insert into pending_credit (account_id, customer_id, amount, kind, source_type, source_id, reason, qualifying, available_at, created_at)
          select a.id, ${d.customerId}, ${d.amount}, ${LedgerEntryKind.EARN}, ${d.source}, ${d.sourceId}, ${d.reason}, true, ${d.availableAt}, ${d.now} from a
          returning id
        )
        select p.id, ${BALANCE_AFTER} from p, a`,
  );
  const { id, ...balance } = row;
  await balanceEvent(em, balance, d.now);
  return id;
}

/** Cancels pending points not yet released; false when they already were (or were cancelled). */
export async function cancelPending(em: SqlEntityManager, pendingId: number, now: Date): Promise<boolean> {
  const row = await queryOne<BalanceAfter>(
    em,
    sql`with p as (
          update pending_credit set cancelled_at = ${now}
           where id = ${pendingId} and released_at is null and cancelled_at is null
          returning account_id, customer_id, amount
        )
        update point_account a set pending = a.pending - p.amount, version = a.version + 1, updated_at = ${now}
          from p where a.id = p.account_id
        returning ${BALANCE_AFTER}`,
  );
  if (row) await balanceEvent(em, row, now);
  return !!row;
}

/** Moves due pending points into the ledger (EARN, qualifying). Returns how many it released. */
export async function releaseDuePending(em: SqlEntityManager, now: Date, limit = 500): Promise<number> {
  const due = await query<{
    id: number;
    account_id: number;
    customer_id: number;
    currency: string;
    amount: number;
    source_type: LedgerSource;
    source_id: string | null;
    reason: string | null;
  }>(
    em,
    sql`select p.id, p.account_id, p.customer_id, a.currency_code as currency, p.amount, p.source_type, p.source_id, p.reason
          from pending_credit p join point_account a on a.id = p.account_id
         where p.released_at is null and p.cancelled_at is null and p.available_at <= ${now}
         order by p.available_at, p.id limit ${limit}
         for update of p skip locked`,
  );
  // Accounts in id order, as the other batch jobs take them: no deadlock between them.
  due.sort((x, y) => x.account_id - y.account_id || x.id - y.id);
  for (const p of due) {
    await query(em, sql`update point_account set pending = pending - ${p.amount} where customer_id = ${p.customer_id} and currency_code = ${p.currency}`);
    const posted = await postEntry(em, {
      customerId: p.customer_id,
      currency: p.currency,
      amount: p.amount,
      kind: LedgerEntryKind.EARN,
      source: p.source_type,
      sourceId: p.source_id,
      reason: p.reason,
      actor: 'system',
      qualifying: true,
      now,
    });
    await query(em, sql`update pending_credit set released_at = ${now}, ledger_entry_id = ${posted.entryId} where id = ${p.id}`);
  }
  return due.length;
}
