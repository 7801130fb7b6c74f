import { Migration } from '@mikro-orm/migrations';

/**
 * `customer.tier_placed_at`: the instant the stored tier was last evaluated at. Placements
 * evaluate at the later of their own `now` and this instant, so the tier batch (whose `now` is
 * read when it runs, and may wait on other customers' locks) or a sale that read its `now` before
 * waiting cannot move a customer back to the tier of an earlier instant after a later placement
 * committed (docs/decisions.md, "Tier placements never go back in time"). Null until the next
 * placement: evaluated at the placement's own `now`, as before.
 */
export class Migration20261130180000 extends Migration {

  override name = 'Migration20261130180000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "customer" add column "tier_placed_at" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "customer" drop column "tier_placed_at";`);
  }

}
