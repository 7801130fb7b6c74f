import { Migration } from '@mikro-orm/migrations';

/**
 * till-25: `issued_offer_lock_end` loses the rows no till's answer can read any more. Once an offer
 * is REDEEMED (final: nothing makes a redeemed offer live again), its redeeming partner's till is
 * answered from the redemption on every request about the code (a release: "Your till already
 * redeemed this offer code at …"; a lock or redemption: the same, or the replay), so that
 * partner's rows for the offer (its baskets' released and run-out locks) are never read again. The
 * trigger `issued_offer_lock_end_redeemed` deletes them in the redemption's own statement (also the
 * run-out lock the redemption itself clears, which `issued_offer_lock_end_keep` has just copied:
 * the triggers fire in name order, `keep` first), and the rows already there are deleted here.
 * Other partners' rows stay (their releases are still told of their own baskets' locks), as do the
 * rows of offers that expired or were voided, and `issued_offer.released_lock_*`, which the row's
 * readers read first (docs/decisions.md, till-25). down() drops the trigger; the rows deleted were
 * never read, so none is put back.
 */
export class Migration20261203140000 extends Migration {
  override name = 'Migration20261203140000';

  override up(): void | Promise<void> {
    this.addSql(`create function issued_offer_lock_end_redeemed() returns trigger language plpgsql as $$
      begin
        delete from issued_offer_lock_end where issued_offer_id = new.id and partner_id = new.redeemed_by_partner_id;
        return null;
      end $$;`);
    this.addSql(`create trigger issued_offer_lock_end_redeemed after update of status on issued_offer
      for each row when (new.status = 'REDEEMED' and old.status <> 'REDEEMED' and new.redeemed_by_partner_id is not null)
      execute function issued_offer_lock_end_redeemed();`);
    this.addSql(`delete from issued_offer_lock_end e using issued_offer io
      where io.id = e.issued_offer_id and io.status = 'REDEEMED' and e.partner_id = io.redeemed_by_partner_id;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists issued_offer_lock_end_redeemed on issued_offer;`);
    this.addSql(`drop function if exists issued_offer_lock_end_redeemed();`);
  }
}
