import { Migration } from '@mikro-orm/migrations';

/** Qualifying points a return takes back beyond the balance (owed): rolling tiers count them. */
export class Migration20261123203055 extends Migration {

  override name = 'Migration20261123203055';

  override up(): void | Promise<void> {
    this.addSql(`create table "qualifying_adjustment" ("id" bigserial primary key, "account_id" bigint not null, "customer_id" bigint not null, "amount" bigint not null, "reason" text null, "created_at" timestamptz not null);`);
    this.addSql(`create index "qualifying_adjustment_account_idx" on "qualifying_adjustment" ("account_id", "created_at");`);

    this.addSql(`alter table "qualifying_adjustment" add constraint "qualifying_adjustment_account_id_foreign" foreign key ("account_id") references "point_account" ("id") on delete restrict;`);
    this.addSql(`alter table "qualifying_adjustment" add constraint "qualifying_adjustment_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete restrict;`);
    this.addSql(`alter table "qualifying_adjustment" add constraint "qualifying_adjustment_amount_not_zero" check (amount <> 0);`);

  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "qualifying_adjustment" cascade;`);

  }

}
