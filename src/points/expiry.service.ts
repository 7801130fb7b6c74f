import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { query, queryOne, sql } from '../db/sql.js';
import { LedgerEntryKind, LedgerSource } from './ledger-entry.entity.js';
import { postEntry } from './ledger.service.js';

/**
 * Writes an EXPIRE entry for every account holding credits past their expiry, for exactly the
 * unspent part of those credits. Accounts are taken in id order, as every batch job takes them, so
 * batch jobs on several instances cannot deadlock each other. Debits consume the soonest-expiring credits first, and expired
 * credits are the soonest-expiring, so the EXPIRE entry consumes precisely them. The amount is
 * read again under the account's lock, so two runs at once cannot expire the same points twice.
 */
export async function expirePoints(em: SqlEntityManager, now: Date, limit = 500): Promise<number> {
  const accounts = await query<{ id: number }>(
    em,
    sql`select distinct account_id as id from ledger_entry where remaining > 0 and expires_at <= ${now} order by account_id limit ${limit}`,
  );
  let expired = 0;
  for (const { id } of accounts) {
    const account = await queryOne<{ customer_id: number; currency_code: string }>(
      em,
      sql`select customer_id, currency_code from point_account where id = ${id} for update`,
    );
    const due = await queryOne<{ amount: number }>(
      em,
      sql`select coalesce(sum(remaining), 0)::bigint as amount from ledger_entry where account_id = ${id} and remaining > 0 and expires_at <= ${now}`,
    );
    if (!account || !due?.amount) continue;
    await postEntry(em, {
      customerId: account.customer_id,
      currency: account.currency_code,
      amount: -due.amount,
      kind: LedgerEntryKind.EXPIRE,
      source: LedgerSource.EXPIRY,
      reason: 'Points expired',
      actor: 'system',
      now,
    });
    expired++;
  }
  return expired;
}
