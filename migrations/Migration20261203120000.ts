import { Migration } from '@mikro-orm/migrations';

/**
 * till-24: `issued_offer_lock_end`, each basket's last lock on an issued offer that ended without a
 * redemption (released, or run out), one row per (offer, partner, lockId). `issued_offer`'s
 * `released_lock_*` keep only the code's last such lock: basket A's run-out lock, then basket B's
 * lock and release, left A's till told "This basket holds no lock on this offer." The trigger
 * `issued_offer_lock_end_keep` copies the row's record here whenever it changes (every statement
 * that records a lock writes those columns: the sweep, a redemption, a void, a release, another
 * basket's lock), so no writer can forget it. Rows recorded before are copied in.
 */
export class Migration20261203120000 extends Migration {
  override name = 'Migration20261203120000';

  override up(): void | Promise<void> {
    this.addSql(`create table "issued_offer_lock_end" ("issued_offer_id" bigint not null, "partner_id" bigint not null, "lock_id" text not null, "ended_at" timestamptz not null, "ran_out" boolean not null, primary key ("issued_offer_id", "partner_id", "lock_id"));`);
    this.addSql(`alter table "issued_offer_lock_end" add constraint "issued_offer_lock_end_issued_offer_id_foreign" foreign key ("issued_offer_id") references "issued_offer" ("id") on delete cascade;`);
    this.addSql(`alter table "issued_offer_lock_end" add constraint "issued_offer_lock_end_partner_id_foreign" foreign key ("partner_id") references "partner" ("id") on delete cascade;`);
    this.addSql(`create function issued_offer_lock_end_keep() returns trigger language plpgsql as $$
      begin
        insert into issued_offer_lock_end (issued_offer_id, partner_id, lock_id, ended_at, ran_out)
        values (new.id, new.released_lock_partner_id, new.released_lock_id, new.lock_released_at, new.released_lock_ran_out)
        on conflict (issued_offer_id, partner_id, lock_id) do update set ended_at = excluded.ended_at, ran_out = excluded.ran_out;
        return null;
      end $$;`);
    this.addSql(`create trigger issued_offer_lock_end_keep after update of released_lock_id, released_lock_partner_id, lock_released_at, released_lock_ran_out on issued_offer
      for each row when (new.released_lock_id is not null and new.released_lock_partner_id is not null and new.lock_released_at is not null
        and (old.released_lock_id, old.released_lock_partner_id, old.lock_released_at, old.released_lock_ran_out)
            is distinct from (new.released_lock_id, new.released_lock_partner_id, new.lock_released_at, new.released_lock_ran_out))
      execute function issued_offer_lock_end_keep();`);
    this.addSql(`insert into issued_offer_lock_end (issued_offer_id, partner_id, lock_id, ended_at, ran_out)
      select id, released_lock_partner_id, released_lock_id, lock_released_at, released_lock_ran_out from issued_offer
       where released_lock_id is not null and released_lock_partner_id is not null and lock_released_at is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists issued_offer_lock_end_keep on issued_offer;`);
    this.addSql(`drop function if exists issued_offer_lock_end_keep();`);
    this.addSql(`drop table if exists "issued_offer_lock_end" cascade;`);
  }
}
