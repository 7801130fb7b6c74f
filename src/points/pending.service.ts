import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { columnsOf, type EntityRow } from '../db/schema.js';
import { query, queryOne, sql } from '../db/sql.js';
import { recordEvent } from '../events/outbox.service.js';
import { PointAccount } from './account.entity.js';
import { LedgerEntryKind, type LedgerSource } from './ledger-entry.entity.js';
import { accountFull, MAX_ACCOUNT_POINTS, type AccountRow } from './ledger.service.js';

/** Pending points to add (`amount` > 0), for `addPending`. */
export interface PendingData {
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
 * are released lazily (see `settleAccount`) from that second on. Like `creditSettled`, on an
 * account the caller has locked (`lockAccounts`) and written down at `d.now` (`settleAccount`)
 * earlier in its transaction: the maximum below is checked against the cached balance, which
 * still counts points that expired until they are written down, so an earn would otherwise be
 * refused for points the customer no longer has. `account` is updated to the state after.
 * Refuses with INVALID when the account's amounts would pass MAX_ACCOUNT_POINTS once released.
 * Returns the pending credit's id.
 */
export async function addPending(em: SqlEntityManager, account: AccountRow, d: PendingData): Promise<number> {
  const [row] = await query<BalanceAfter & { id: number }>(
    em,
    sql`with a as (
          update point_account a set pending = pending + ${d.amount}, version = version + 1, updated_at = greatest(updated_at, ${d.now})
           where id = ${account.id}
             and available + pending + ${d.amount} <= ${MAX_ACCOUNT_POINTS} and lifetime_earned + pending + ${d.amount} <= ${MAX_ACCOUNT_POINTS}
          returning a.*
        ), p as (
          insert into pending_credit (account_id, customer_id, amount, kind, source_type, source_id, reason, qualifying, available_at, created_at)
          select a.id, a.customer_id, ${d.amount}, ${LedgerEntryKind.EARN}, ${d.source}, ${d.sourceId}, ${d.reason}, true, ${d.availableAt}, ${d.now} from a
          returning id
        )
        select p.id, ${BALANCE_AFTER} from p, a`,
  );
  if (!row) throw accountFull(account, d.amount, d.amount);
  const { id, ...balance } = row;
  Object.assign(account, { pending: balance.pending } satisfies Partial<AccountRow>);
  await balanceEvent(em, balance, d.now);
  return id;
}

/**
 * Cancels pending points not yet released; false when they already were (or were cancelled).
 * The caller writes the account down first (`settleAccount` on the locked row), so points already due are
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
        update point_account a set pending = a.pending - p.amount, version = a.version + 1, updated_at = greatest(a.updated_at, ${now})
          from p where a.id = p.account_id
        returning ${BALANCE_AFTER}`,
  );
  if (row) await balanceEvent(em, row, now);
  return !!row;
}
