import { Migration } from '@mikro-orm/migrations';

/** Rate-limit counters every gateway instance shares (rate-limiter-flexible on PostgreSQL). */
export class Migration20261130043929 extends Migration {

  override name = 'Migration20261130043929';

  override up(): void | Promise<void> {
    this.addSql(`create table "rate_limit_bucket" ("key" varchar(255) not null, "points" int not null default 0, "expire" bigint null, primary key ("key"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "rate_limit_bucket" cascade;`);
  }

}
