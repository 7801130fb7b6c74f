import { Migration } from '@mikro-orm/migrations';

/**
 * `sales_transaction.offers_not_awarded` (offsale-12c): the offers a sale's campaigns would have
 * awarded but did not issue, and why (an offer past its fixed end; an amount finer than the sale's
 * money). Written by the processor's last statement; `[]` for every sale before (a constant
 * default: no table rewrite). Made with `npm run migration:create`, the hand-written objects it
 * lists as differences left out (test/db/migrations.test.ts).
 */
export class Migration20261201205736 extends Migration {
  override name = 'Migration20261201205736';

  override up(): void | Promise<void> {
    this.addSql(`alter table "sales_transaction" add "offers_not_awarded" jsonb not null default '[]';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "sales_transaction" drop column "offers_not_awarded";`);
  }
}
