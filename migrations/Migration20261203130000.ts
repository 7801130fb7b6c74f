import { Migration } from '@mikro-orm/migrations';

/**
 * break-24: `issued_offer.redemption_notice`, what a RedeemOffer's answer said of a `lockId` it did
 * not use (its `notice`), kept so a repeat with the same transactionExternalId answers it as the
 * first did (the repeat answered null: the row, REDEEMED, no longer shows the lock). Null for every
 * row redeemed before (their repeats answer null, as they did).
 */
export class Migration20261203130000 extends Migration {
  override name = 'Migration20261203130000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "issued_offer" add "redemption_notice" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "issued_offer" drop column if exists "redemption_notice";`);
  }
}
