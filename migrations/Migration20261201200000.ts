import { Migration } from '@mikro-orm/migrations';

/**
 * `offer_version.money_digits_needed`: the fewest decimals a money must have for the version's
 * `amount_off` and `max_discount` to be amounts of it (PostgreSQL's `min_scale`, 0 when both are
 * null), stored with the row. An offer version never changes once written, so this is computed once.
 * The member's store page shows a listing only when its offer fits the store's money
 * (offsale-12b); it tested that with two `trunc` of numerics per listing, which cost ×1.19 of the
 * page's PostgreSQL CPU in a same-run A/B (bench/README.md, "Issue 12 (twelfth session)"). Now it
 * is one comparison of small integers: `ov.money_digits_needed <= s.money_digits`. Not an entity
 * column: nothing writes it, and nothing but that filter reads it.
 */
export class Migration20261201200000 extends Migration {
  override name = 'Migration20261201200000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "offer_version" add column "money_digits_needed" smallint
      generated always as (greatest(coalesce(min_scale(amount_off), 0), coalesce(min_scale(max_discount), 0))::smallint) stored;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "offer_version" drop column if exists "money_digits_needed";`);
  }
}
