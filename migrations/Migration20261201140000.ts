import { Migration } from '@mikro-orm/migrations';

/**
 * `economy_rule.points_per_unit` takes 6 decimals (money-12): one point per 100,000 of a money of
 * large numbers (VND, IDR) is 0.00001, which `numeric(12,4)` could not hold. `numeric` without a
 * scale keeps each value's own, written with at least 4 decimals, so stored rules read as before.
 */
export class Migration20261201140000 extends Migration {
  override name = 'Migration20261201140000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "economy_rule" alter column "points_per_unit" type numeric using ("points_per_unit"::numeric);`);
    this.addSql(`alter table "economy_rule" add constraint "economy_rule_points_per_unit_range" check (points_per_unit < 100000000 and scale(points_per_unit) <= 6);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "economy_rule" drop constraint if exists "economy_rule_points_per_unit_range";`);
    this.addSql(`alter table "economy_rule" alter column "points_per_unit" type numeric(12,4);`);
  }
}
