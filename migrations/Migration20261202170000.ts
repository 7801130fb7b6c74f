import { Migration } from '@mikro-orm/migrations';

/**
 * break2-18: a rolling-window tier's points (`qualifying_points_at`, and hostile-18's
 * `qualifying_points_until`) sum an account's qualifying entries by `created_at`, and the only
 * index they could use was `(account_id, id)`: every read fetched every entry the account ever had
 * and filtered it by date (1,000 entries fetched for a 7-day window of 70, per rolling tier; a sale
 * reads its customer's tier three times since hostile-18). This index serves both functions'
 * window, `created_at > from` (and `<= to`), with the amount included for an index-only scan.
 * Partial on `qualifying`, which both functions filter on: non-qualifying entries (expiries,
 * purchases, reversals) add nothing to it.
 */
export class Migration20261202170000 extends Migration {
  override name = 'Migration20261202170000';

  override up(): void | Promise<void> {
    this.addSql(`create index ledger_entry_qualifying_window_idx on ledger_entry (account_id, created_at) include (amount) where qualifying;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists ledger_entry_qualifying_window_idx;`);
  }
}
