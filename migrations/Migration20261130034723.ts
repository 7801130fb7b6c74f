import { Migration } from '@mikro-orm/migrations';

/** Trusted documents: documents by SHA-256 (manifests and APQ), and each client's list of operations. */
export class Migration20261130034723 extends Migration {

  override name = 'Migration20261130034723';

  override up(): void | Promise<void> {
    this.addSql(`create table "persisted_document" ("hash" text not null, "body" text not null, "created_at" timestamptz not null, primary key ("hash"));`);

    this.addSql(`create table "persisted_operation" ("id" bigserial primary key, "client" text not null, "hash" text not null, "name" text not null, "type" text not null, "field_types" jsonb not null, "created_by" text null, "created_at" timestamptz not null);`);
    this.addSql(`create index "persisted_operation_hash_idx" on "persisted_operation" ("hash");`);
    this.addSql(`alter table "persisted_operation" add constraint "persisted_operation_client_hash_unique" unique ("client", "hash");`);

    this.addSql(`alter table "persisted_operation" add constraint "persisted_operation_hash_foreign" foreign key ("hash") references "persisted_document" ("hash") on delete restrict;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "persisted_operation" cascade;`);
    this.addSql(`drop table if exists "persisted_document" cascade;`);
  }

}
