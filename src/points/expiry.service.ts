import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { columnsOf } from '../db/schema.js';
import { query, sql } from '../db/sql.js';
import { PointAccount } from './account.entity.js';
import { recomputeTier } from '../tiers/tier.service.js';
import { ACCOUNT_KEYS, settleAccount, type AccountRow } from './ledger.service.js';

/** Accounts one write-down run takes by default (`LEDGER_JOB_BATCH`); a full batch enqueues the next run at once. */
export const WRITE_DOWN_BATCH = 500;

/**
 * The batch job behind expiry and pending release: writes down, for up to `batch` accounts with
 * something due at `now` (credits past expiry, pending credits past their day), exactly what
 * `settleAccount` writes when the account is next touched — nothing a reader does not already see
 * through `point_account_at`. Accounts are taken in id order and locked with SKIP LOCKED (one a
 * purchase holds right now writes itself down in that purchase), so runs on several instances
 * never wait on each other or deadlock. They are then written down customer by customer in
 * customer id order: each write-down takes the customer's event stream row (its first event) and
 * then, placing the tier, the customer's row, and the other batches that lock many customers' rows
 * (the tier batch, the wallet sweep's events, birthdays) take them in customer id order too; in
 * account id order a customer who opened their account later came first, and the job deadlocked
 * with a tier batch or a wallet sweep holding the other customer. Returns how many accounts it
 * took: the caller runs again while that is a full batch.
 */
export async function writeDownDueAccounts(em: SqlEntityManager, now: Date, batch = WRITE_DOWN_BATCH): Promise<number> {
  const accounts = await query<AccountRow>(
    em,
    sql`select ${DUE_ACCOUNT_COLUMNS} from point_account a
         where a.id in (
           select account_id from (
             (select distinct account_id from ledger_entry where remaining > 0 and expires_at <= ${now} order by account_id limit ${batch})
             union
             (select distinct account_id from pending_credit
               where released_at is null and cancelled_at is null and available_at <= ${now} order by account_id limit ${batch})
           ) due order by account_id limit ${batch})
         order by a.customer_id, a.id
         for update skip locked`,
  );
  // On the rows just locked (edges-12: each was locked and read again, one statement per account).
  for (const account of accounts) {
    if ((await settleAccount(em, account, now)).released) await recomputeTier(em, account.customerId, now);
  }
  return accounts.length;
}

/** The whole row settleAccount works on, read by the statement that locks it. */
const DUE_ACCOUNT_COLUMNS = columnsOf(PointAccount, 'a', ACCOUNT_KEYS);
