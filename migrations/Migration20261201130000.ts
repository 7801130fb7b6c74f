import { Migration } from '@mikro-orm/migrations';

/**
 * Days of the week and the till's own day (money-12).
 *
 * - `campaign.days_of_week` was created `text[]` while the entity (and every reader) says
 *   `integer[]`: its values came back as strings ("2"), which no ISO day number (2) equals, so a
 *   campaign for some days of the week applied on none of them. Now `integer[]`.
 * - `sales_transaction.occurred_offset_minutes`: the UTC offset the till wrote `occurredAt` with
 *   (`+09:00` is 540; `Z` is 0), so a campaign's days of the week are the days of the till that
 *   sold. Rows from before have 0: their days were UTC days.
 */
export class Migration20261201130000 extends Migration {
  override name = 'Migration20261201130000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "campaign" alter column "days_of_week" drop default;`);
    this.addSql(`alter table "campaign" alter column "days_of_week" type integer[] using ("days_of_week"::integer[]);`);
    this.addSql(`alter table "campaign" alter column "days_of_week" set default '{}';`);
    this.addSql(`alter table "sales_transaction" add column "occurred_offset_minutes" smallint not null default 0;`);
    this.addSql(
      `alter table "sales_transaction" add constraint "sales_transaction_occurred_offset" check (occurred_offset_minutes >= -1080 and occurred_offset_minutes <= 1080);`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "sales_transaction" drop constraint if exists "sales_transaction_occurred_offset";`);
    this.addSql(`alter table "sales_transaction" drop column "occurred_offset_minutes";`);
    this.addSql(`alter table "campaign" alter column "days_of_week" drop default;`);
    this.addSql(`alter table "campaign" alter column "days_of_week" type text[] using ("days_of_week"::text[]);`);
    this.addSql(`alter table "campaign" alter column "days_of_week" set default '{}';`);
  }
}
