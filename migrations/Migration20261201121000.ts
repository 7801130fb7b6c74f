import { Migration } from '@mikro-orm/migrations';

/**
 * Sales in the decimals of their money (money-12): `total` and `discount` of a sale and of each
 * offer applied to it take 3 decimals for KWD, BHD, OMR, TND, JOD… and none for JPY, KRW…
 * (`minorDigits`, src/domain/currency.ts). `numeric` without a scale keeps each value's own ("12.50",
 * "1.250", "1000"), so every stored value reads as before. `money_scale` says in which minor unit a
 * sale's lines (`lines[].unitPrice`) are: rows stored before are in cents (2), whatever the money.
 */
export class Migration20261201121000 extends Migration {
  override name = 'Migration20261201121000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "sales_transaction" add column "money_scale" smallint not null default 2;`);
    this.addSql(`alter table "sales_transaction" alter column "total" type numeric using ("total"::numeric), alter column "discount" type numeric using ("discount"::numeric);`);
    this.addSql(`alter table "transaction_offer" alter column "discount" type numeric using ("discount"::numeric);`);
    this.addSql(`alter table "sales_transaction" add constraint "sales_transaction_money_scale" check (money_scale >= 0 and money_scale <= 4);`);
    this.addSql(
      `alter table "sales_transaction" add constraint "sales_transaction_money_range" check (total >= 0 and total < 1000000000000 and discount >= 0 and discount <= total);`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "sales_transaction" drop constraint if exists "sales_transaction_money_range";`);
    this.addSql(`alter table "sales_transaction" drop constraint if exists "sales_transaction_money_scale";`);
    this.addSql(`alter table "transaction_offer" alter column "discount" type numeric(14,2);`);
    this.addSql(`alter table "sales_transaction" alter column "total" type numeric(14,2), alter column "discount" type numeric(14,2);`);
    this.addSql(`alter table "sales_transaction" drop column "money_scale";`);
  }
}
