import { Migration } from '@mikro-orm/migrations';

/**
 * till-23:
 * - `issued_offer.released_lock_ran_out`: the lock recorded in `released_lock_*` (replay-22) ran
 *   out (its `lock_released_at` is the lock's end) rather than being released by its till. Written
 *   wherever a run-out lock is cleared or overwritten (the sweep, a redemption, a return's void,
 *   another basket's lock), so a later ReleaseOffer or RedeemOffer of that basket is told its lock
 *   ran out and when, not "no lock". Not null, false for every row recorded before (releases).
 * - `sales_transaction.lock_notice`: what the sale's answer said of a `lockId` it did not use
 *   (`SubmitTransactionPayload.notice`), kept so a repeat of the sale answers it byte for byte.
 */
export class Migration20261203100000 extends Migration {
  override name = 'Migration20261203100000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "issued_offer" add "released_lock_ran_out" boolean not null default false;`);
    this.addSql(`alter table "sales_transaction" add "lock_notice" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "issued_offer" drop column if exists "released_lock_ran_out";`);
    this.addSql(`alter table "sales_transaction" drop column if exists "lock_notice";`);
  }
}
