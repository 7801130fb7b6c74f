import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { columnsOf, type EntityRow } from '../db/schema.js';
import { query, queryOne, sql } from '../db/sql.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';
import { recordEvent } from '../events/outbox.service.js';
import { PointAccount } from './account.entity.js';
import { LedgerEntryKind, type LedgerSource } from './ledger-entry.entity.js';
import { ensureAccount, MAX_ACCOUNT_POINTS } from './ledger.service.js';

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

/**
 * The account's state as the statement that changed it returned it (no second read), in the
 * BALANCE_CHANGED payload's order: its currency code as `currency`, then the amounts in points.
 */
const BALANCE_AFTER = sql<BalanceAfter>`${columnsOf(PointAccount, 'a', ['customerId'])}, a.currency_code as currency, ${columnsOf(PointAccount, 'a', ['available', 'pending', 'lifetimeEarned'])}`;

type BalanceAfter = Pick<EntityRow<PointAccount>, 'customerId' | 'available' | 'pending' | 'lifetimeEarned'> & { currency: EntityRow<PointAccount>['currencyCode'] };

async function balanceEvent(em: SqlEntityManager, { customerId, ...balance }: BalanceAfter, now: Date): Promise<void> {
  await recordEvent(em, 'BALANCE_CHANGED', customerId, balance, now);
}

/**
 * Earns points that become spendable at `availableAt`; until then they show as `pending`. They
 * are released lazily (see `settleAccount`) from that second on. Refuses with INVALID when the
 * account's amounts would pass MAX_ACCOUNT_POINTS once released.
 */
export async function addPending(em: SqlEntityManager, d: PendingData): Promise<number> {
  await ensureAccount(em, d.customerId, d.currency, d.now);
  const [row] = await query<BalanceAfter & { id: number }>(
    em,
    sql`with a as (
          update point_account a set pending = pending + ${d.amount}, version = version + 1, updated_at = ${d.now}
           where customer_id = ${d.customerId} and currency_code = ${d.currency}
             and available + pending + ${d.amount} <= ${MAX_ACCOUNT_POINTS} and lifetime_earned + pending + ${d.amount} <= ${MAX_ACCOUNT_POINTS}
          returning a.*
        ), p as (
          insert into pending_credit (account_id, customer_id, amount, kind, source_type, source_id, reason, qualifying, available_at, created_at)
          select a.id, ${d.customerId}, ${d.amount}, ${LedgerEntryKind.EARN}, ${d.source}, ${d.sourceId}, ${d.reason}, true, ${d.availableAt}, ${d.now} from a
          returning id
        )
        select p.id, ${BALANCE_AFTER} from p, a`,
  );
  if (!row) throw refuse(UserErrorCode.INVALID, `This would take the customer's ${d.currency} points past ${MAX_ACCOUNT_POINTS}, the most an account can hold.`);
  const { id, ...balance } = row;
  await balanceEvent(em, balance, d.now);
  return id;
}

/**
 * Cancels pending points not yet released; false when they already were (or were cancelled).
 * The caller writes the account down first (`writeDownAccount`), so points already due are
 * released, and reversed by reference, rather than cancelled.
 */
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
