import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { columnsOf } from '../db/schema.js';
import { query, queryOne, sql } from '../db/sql.js';
import { PointAccount } from './account.entity.js';
import { recomputeTier } from '../tiers/tier.service.js';
import { ACCOUNT_KEYS, settleAccount, type AccountRow } from './ledger.service.js';

/** Accounts one write-down run takes by default (`LEDGER_JOB_BATCH`); a full batch enqueues the next run at once. */
export const WRITE_DOWN_BATCH = 500;

/**
 * The batch job behind expiry and pending release: writes down, for up to `batch` accounts with
 * something due at `now` (credits past expiry, pending credits past their day), exactly what
 * `settleAccount` writes when the account is next touched — nothing a reader does not already see
 * through `point_account_at`. The due accounts are found first without a lock, then each is
 * written down in a transaction of its own (`em.transactional`: the job's `em` is in none, so each
 * commits at once; a caller already in a transaction gets savepoints), locked there with SKIP
 * LOCKED: one a purchase holds right now writes itself down in that purchase, and runs on several
 * instances never wait on each other. So a member who spends, or a till returning their sale,
 * waits at most for their own account's write-down, never for the rest of the batch (break35,
 * expiry: the batch was locked in one statement and held to its commit, and a purchase in a batch
 * of 300 accounts with 15 expiries each waited for all of them, past a 1.5 s statement timeout).
 * In customer id order, as before (the order batches that lock many customers take them in).
 * Answers how many due accounts it found (`found`, at most `batch`) and how many of them it wrote
 * down (`taken`; the others a spender or another run held): the job runs again while it found a
 * full batch and took some (a concurrent run skipping the accounts this one holds finds fewer to
 * take, not fewer due). `stopping`
 * (the runner's stop): no further account is begun once it is aborted.
 */
export async function writeDownDueAccounts(em: SqlEntityManager, now: Date, batch = WRITE_DOWN_BATCH, stopping?: AbortSignal): Promise<{ found: number; taken: number }> {
  const due = await query<{ id: number }>(
    em,
    sql`select a.id from point_account a
         where a.id in (
           select account_id from (
             (select distinct account_id from ledger_entry where remaining > 0 and expires_at <= ${now} order by account_id limit ${batch})
             union
             (select distinct account_id from pending_credit
               where released_at is null and cancelled_at is null and available_at <= ${now} order by account_id limit ${batch})
           ) due order by account_id limit ${batch})
         order by a.customer_id, a.id`,
  );
  let taken = 0;
  for (const { id } of due) {
    if (stopping?.aborted) break;
    await em.transactional(async (tx) => {
      const account = await queryOne<AccountRow>(tx, sql`select ${DUE_ACCOUNT_COLUMNS} from point_account a where a.id = ${id} for update skip locked`);
      if (!account) return;
      taken += 1;
      if ((await settleAccount(tx, account, now)).released) await recomputeTier(tx, account.customerId, now);
    });
  }
  return { found: due.length, taken };
}

/** The whole row settleAccount works on, read by the statement that locks it. */
const DUE_ACCOUNT_COLUMNS = columnsOf(PointAccount, 'a', ACCOUNT_KEYS);
