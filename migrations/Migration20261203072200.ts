import { Migration } from '@mikro-orm/migrations';

/**
 * replay-22: an issued offer keeps the last lock a till released (`released_lock_id`, its partner
 * `released_lock_partner_id`, `lock_released_at`), so a `releaseOffer` sent again after its answer
 * was lost is told, to that partner only, that the lock was released and when, instead of "This
 * basket holds no lock on this offer." (the code stays LOCK_NOT_HELD). Nullable, no backfill: a
 * release before this migration was not recorded, and its repeat keeps the old sentence.
 */
export class Migration20261203072200 extends Migration {
  override name = 'Migration20261203072200';

  override up(): void | Promise<void> {
    this.addSql(`alter table "issued_offer" add "released_lock_id" text null, add "released_lock_partner_id" bigint null, add "lock_released_at" timestamptz null;`);
    this.addSql(`alter table "issued_offer" add constraint "issued_offer_released_lock_partner_id_foreign" foreign key ("released_lock_partner_id") references "partner" ("id") on delete restrict;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "issued_offer" drop constraint if exists "issued_offer_released_lock_partner_id_foreign";`);
    this.addSql(`alter table "issued_offer" drop column if exists "released_lock_id", drop column if exists "released_lock_partner_id", drop column if exists "lock_released_at";`);
  }
}
