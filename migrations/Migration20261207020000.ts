import { Migration } from '@mikro-orm/migrations';

/**
 * placement-50: the analytics of a window (`programStats`: points issued, spent and expired, the
 * active members; `topOffers`: purchases and redemptions) read the rows of the window by their
 * time, and no index had it, so a day's figures read every ledger entry, pending credit and sale
 * of the program: at 200,000 members (3 million entries, 2.6 million sales) the sequential scans
 * took ~2.7 of programStats' ~6 s on PostgreSQL 15 (bench/README.md, "placement-50").
 *
 * The times the rows are written at (`created_at`, a sale's `received_at`) follow the order the
 * rows are appended in, so a BRIN index (a few pages for millions of rows; a row appended at the
 * end touches it not at all until a vacuum summarizes that range, and a summarized range only
 * when the row widens its bounds) finds a window's blocks at almost no cost to
 * the writes on the sale and purchase paths. A returned sale's `reversed_at` and a redeemed
 * offer's `redeemed_at` are set later, out of that order, on few rows: partial B-trees. A clock
 * moved back (tests, a host's fault) only widens some ranges: BRIN answers are never wrong, only
 * read more blocks. `if not exists`, so an operator may build them first with `create index
 * concurrently` under these names and definitions (test/db/index-built-first.test.ts).
 */
export class Migration20261207020000 extends Migration {
  override name = 'Migration20261207020000';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "ledger_entry_created_brin" on "ledger_entry" using brin ("created_at");`);
    this.addSql(`create index if not exists "pending_credit_created_brin" on "pending_credit" using brin ("created_at");`);
    this.addSql(`create index if not exists "sales_transaction_received_brin" on "sales_transaction" using brin ("received_at");`);
    this.addSql(`create index if not exists "sales_transaction_reversed_idx" on "sales_transaction" ("reversed_at") where reversed_at is not null;`);
    this.addSql(`create index if not exists "offer_purchase_created_brin" on "offer_purchase" using brin ("created_at");`);
    this.addSql(`create index if not exists "issued_offer_redeemed_idx" on "issued_offer" ("redeemed_at") where redeemed_at is not null;`);
  }

  override down(): void | Promise<void> {
    for (const index of ['ledger_entry_created_brin', 'pending_credit_created_brin', 'sales_transaction_received_brin', 'sales_transaction_reversed_idx', 'offer_purchase_created_brin', 'issued_offer_redeemed_idx']) {
      this.addSql(`drop index if exists "${index}";`);
    }
  }
}
