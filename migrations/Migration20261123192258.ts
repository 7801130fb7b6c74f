import { Migration } from '@mikro-orm/migrations';

/** Partners (API keys) and the PostgreSQL job queue. */
export class Migration20261123192258 extends Migration {
  override name = 'Migration20261123192258';

  override up(): void | Promise<void> {
    this.addSql(`create table "job" ("id" bigserial primary key, "kind" text not null, "payload" jsonb not null, "status" text not null default 'PENDING', "attempts" int not null default 0, "max_attempts" int not null default 5, "run_at" timestamptz not null, "locked_until" timestamptz null, "locked_by" text null, "last_error" text null, "unique_key" text null, "created_at" timestamptz not null default now(), "finished_at" timestamptz null);`);
    this.addSql(`alter table "job" add constraint "job_unique_key_unique" unique ("unique_key");`);
    this.addSql(`create index job_due_idx on job (run_at, id) where status in ('PENDING', 'RUNNING');`);
    this.addSql(`alter table "job" add constraint "job_attempts_range" check (attempts >= 0 and max_attempts >= 1);`);
    this.addSql(`alter table "job" add constraint "job_status_check" check ("status" in ('PENDING', 'RUNNING', 'DONE', 'FAILED'));`);

    this.addSql(`create table "partner" ("id" bigserial primary key, "name" text not null, "key_prefix" text not null, "key_hash" text not null, "scopes" text[] not null, "revoked_at" timestamptz null, "created_by" text null, "created_at" timestamptz not null default now());`);
    this.addSql(`alter table "partner" add constraint "partner_key_hash_unique" unique ("key_hash");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "job" cascade;`);
    this.addSql(`drop table if exists "partner" cascade;`);
  }
}
