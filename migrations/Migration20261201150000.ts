import { Migration } from '@mikro-orm/migrations';

/**
 * Amounts of definitions that name no money yet take fils (money-12): an offer's `amount_off` and
 * `max_discount` and a campaign's `min_spend` hold up to 4 decimals ("0.125" KWD off), below
 * 10^12. `numeric` without a scale keeps each value's own, written with at least 2 decimals, so
 * stored amounts read as before ("2.00").
 */
export class Migration20261201150000 extends Migration {
  override name = 'Migration20261201150000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "offer_version" alter column "amount_off" type numeric using ("amount_off"::numeric), alter column "max_discount" type numeric using ("max_discount"::numeric);`);
    this.addSql(`alter table "campaign" alter column "min_spend" type numeric using ("min_spend"::numeric);`);
    this.addSql(
      `alter table "offer_version" add constraint "offer_version_money_range" check ((amount_off is null or (amount_off < 1000000000000 and scale(amount_off) <= 4)) and (max_discount is null or (max_discount < 1000000000000 and scale(max_discount) <= 4)));`,
    );
    this.addSql(`alter table "campaign" add constraint "campaign_min_spend_range" check (min_spend is null or (min_spend >= 0 and min_spend < 1000000000000 and scale(min_spend) <= 4));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "campaign" drop constraint if exists "campaign_min_spend_range";`);
    this.addSql(`alter table "offer_version" drop constraint if exists "offer_version_money_range";`);
    this.addSql(`alter table "campaign" alter column "min_spend" type numeric(14,2);`);
    this.addSql(`alter table "offer_version" alter column "amount_off" type numeric(14,2), alter column "max_discount" type numeric(14,2);`);
  }
}
