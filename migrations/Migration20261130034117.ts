import { Migration } from '@mikro-orm/migrations';

/** A staff replacement names the used-up offer it replaces; each offer is replaced at most once. */
export class Migration20261130034117 extends Migration {

  override name = 'Migration20261130034117';

  override up(): void | Promise<void> {
    this.addSql(`alter table "issued_offer" add "replaces_id" bigint null;`);
    this.addSql(`alter table "issued_offer" add constraint "issued_offer_replaces_id_foreign" foreign key ("replaces_id") references "issued_offer" ("id") on delete restrict;`);
    this.addSql(`alter table "issued_offer" add constraint "issued_offer_replaces_id_unique" unique ("replaces_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "issued_offer" drop constraint "issued_offer_replaces_id_foreign";`);
    this.addSql(`alter table "issued_offer" drop constraint "issued_offer_replaces_id_unique";`);
    this.addSql(`alter table "issued_offer" drop column "replaces_id";`);
  }

}
