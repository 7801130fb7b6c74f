import { Migration } from '@mikro-orm/migrations';

/** The wallet at the till: who holds a lock, who redeemed an offer and in which sale; sweeper indexes. */
export class Migration20261123193108 extends Migration {
  override name = 'Migration20261123193108';

  override up(): void | Promise<void> {
    this.addSql(`alter table "issued_offer" add "lock_partner_id" bigint null, add "redeemed_by_partner_id" bigint null, add "redemption_ref" text null;`);
    this.addSql(`alter table "issued_offer" add constraint "issued_offer_lock_partner_id_foreign" foreign key ("lock_partner_id") references "partner" ("id") on delete restrict;`);
    this.addSql(`alter table "issued_offer" add constraint "issued_offer_redeemed_by_partner_id_foreign" foreign key ("redeemed_by_partner_id") references "partner" ("id") on delete restrict;`);
    this.addSql(`create index issued_offer_expiry_idx on issued_offer (expires_at) where status in ('ISSUED', 'LOCKED') and expires_at is not null;`);
    this.addSql(`create index issued_offer_lock_expiry_idx on issued_offer (lock_expires_at) where status = 'LOCKED';`);
    this.addSql(`alter table "issued_offer" add constraint "issued_offer_lock_holder_shape" check ((lock_id is null) = (lock_partner_id is null));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "issued_offer" drop constraint "issued_offer_lock_partner_id_foreign";`);
    this.addSql(`alter table "issued_offer" drop constraint "issued_offer_redeemed_by_partner_id_foreign";`);
    this.addSql(`drop index "issued_offer_expiry_idx";`);
    this.addSql(`drop index "issued_offer_lock_expiry_idx";`);
    this.addSql(`alter table "issued_offer" drop constraint "issued_offer_lock_holder_shape";`);
    this.addSql(`alter table "issued_offer" drop column "lock_partner_id", drop column "redeemed_by_partner_id", drop column "redemption_ref";`);
  }
}
