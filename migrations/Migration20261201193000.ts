import { Migration } from '@mikro-orm/migrations';

/**
 * `reward_store.money_digits` (Migration20261201190000) read its point currency's money without a
 * lock (break-12i): a store inserted, or moved to a currency, while another transaction changed that
 * currency's `money_currency` read the money committed before the change, and the change's own
 * trigger (`point_currency_money_digits`) ran on a snapshot without the new store, so the store kept
 * the old money's digits for good: its member page hid listings the purchase sells, or showed ones
 * it refuses. The store's trigger now reads the currency row `for share`: it waits for a change in
 * flight and reads the money it commits (READ COMMITTED re-reads the locked row), and a change that
 * comes after waits for the store's write, whose row its trigger then sees. The foreign key's own
 * `for key share` does not conflict with an update of `money_currency`, so it did not serialize them.
 */
export class Migration20261201193000 extends Migration {
  override name = 'Migration20261201193000';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function reward_store_money_digits() returns trigger language plpgsql as $$
      declare
        digits smallint;
      begin
        select money_digits(pc.money_currency) into digits from point_currency pc where pc.code = new.currency_code for share;
        new.money_digits := coalesce(digits, 2);
        return new;
      end $$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create or replace function reward_store_money_digits() returns trigger language plpgsql as $$
      begin
        new.money_digits := coalesce((select money_digits(pc.money_currency) from point_currency pc where pc.code = new.currency_code), 2);
        return new;
      end $$;`);
  }
}
