import type { RawBuilder } from 'kysely';
import { sql } from '../db/sql.js';

/** The prefix of a customer's status lock key (`customer-status:<id>`, hashed by `hashtextextended`). */
export const CUSTOMER_STATUS_LOCK = 'customer-status:';

/**
 * The lock that orders a customer's status changes and the awards that check the status (activities,
 * and a sale's processing, which takes it by `CUSTOMER_STATUS_LOCK` in its first statement): an award
 * takes it shared (awards of one customer do not wait for each other) and then reads the status,
 * a status change takes it exclusive before writing the status. So an award either commits before
 * the change, or reads the status the change left: never awards on a status read before a close
 * committed. A transaction-level advisory lock on `customer-status:<id>`.
 */
export function customerStatusLock(customerId: number, mode: 'award' | 'change') {
  const key = `${CUSTOMER_STATUS_LOCK}${customerId}`;
  return mode === 'award' ? sql`select pg_advisory_xact_lock_shared(hashtextextended(${key}, 0))` : sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`;
}

/**
 * The customer's status (`'ACTIVE'`, …; null: no such customer) as a SQL text expression that first
 * takes `customerStatusLock(customer, 'award')` and then reads the status on a snapshot of its own
 * (`customer_status_locked`, Migration20261201030000): a status change committed while the
 * statement waited is seen, and none commits before the caller's transaction ends. For spends
 * (purchases, gift claims, a till's lock or redemption), whose status read at authentication may be
 * older than a suspension that committed while they waited for the account or the offer (hostile
 * pass 10), and for activities' awards (the lock and the read after it in one statement, edges-12).
 * Take it before the account's row lock, as awards do, so status changes, awards and spends queue
 * in one order.
 */
export function customerStatusNow(customerId: RawBuilder<unknown> | number) {
  return sql<string | null>`customer_status_locked(${customerId})`;
}
