import { Migration } from '@mikro-orm/migrations';

/** Accounts per batch: each batch locks and rewrites at most this many rows in one statement. */
const BATCH = 10_000;

/**
 * The sum of an account's qualifying movements, from the ledger, for `point_account a`: its
 * qualifying entries (credits, qualifying debits) and its qualifying adjustments (the qualifying
 * credits of returned sales, taken back at their own dates). What `lifetime_earned -
 * lifetime_shortfall` must equal (test/support/invariants.ts, break-13). Pending points are not in
 * it: they count once released, as an entry (`point_account_at` adds those already due on top).
 * Fixed here, not imported: a migration must mean the same forever.
 */
const QUALIFYING_SUM = `(select coalesce(sum(e.amount), 0) from ledger_entry e where e.account_id = a.id and e.qualifying)
     + (select coalesce(sum(q.amount), 0) from qualifying_adjustment q where q.account_id = a.id)`;

/**
 * The statement that rewrites lifetime points from the ledger (`batch`: accounts per batch, BATCH
 * unless a test says): for every account whose `lifetime_earned - lifetime_shortfall` is not the
 * sum of its qualifying movements, lifetime
 * becomes max(0, the sum) and the shortfall max(0, −sum); an account that already agrees is not
 * written (not locked, its version and xmin unchanged), so a fresh or healthy database is left as
 * it is. In batches of `batch` accounts by id. Each batch first locks its accounts to be rewritten,
 * in id order (the order writers lock accounts in, `lockAccounts`), then recomputes them in a
 * statement of its own: under READ COMMITTED that statement sees everything a writer holding the
 * lock committed, so a gateway writing meanwhile cannot be half counted. (A writer keeps the
 * difference lifetime − shortfall moving with the ledger, so an account that agrees cannot start
 * to disagree while this runs.) `version` is raised as any write of the row does.
 */
export function backfillLifetimeSql(batch = BATCH): string {
  return `do $backfill$
declare
  after_id bigint := 0;
  upto bigint;
  broken bigint[];
begin
  loop
    select max(id) into upto from (select id from point_account where id > after_id order by id limit ${batch}) b;
    exit when upto is null;
    select array_agg(id) into broken from (
      select a.id from point_account a
       where a.id > after_id and a.id <= upto and a.lifetime_earned - a.lifetime_shortfall <> ${QUALIFYING_SUM}
       order by a.id for update) b;
    if broken is not null then
      update point_account a
         set lifetime_earned = greatest(s.total, 0), lifetime_shortfall = greatest(-s.total, 0), version = a.version + 1
        from (select a.id, ${QUALIFYING_SUM} as total from point_account a where a.id = any(broken)) s
       where a.id = s.id and a.lifetime_earned - a.lifetime_shortfall <> s.total;
    end if;
    after_id := upto;
  end loop;
end
$backfill$;`;
}

/**
 * backfill-13: Migration20261202000000 started every account with no lifetime shortfall, so an
 * account whose qualifying movements once dropped past 0 under the old clamp (+50 +50, a −60
 * qualifying adjustment, the first sale returned: 10 past 0, forgotten, then +50 read 50 lifetime
 * points where its ledger sums to 40) kept the figure its order gave it. This recomputes lifetime
 * points and their shortfall from the ledger for those accounts only (backfillLifetimeSql).
 * Tiers are not written here: readers compute a customer's tier from these points
 * (`customer_tier_at`) as soon as this commits, and the daily tier job (or the customer's next
 * change of points) writes the stored tier down with its TIER_CHANGED event
 * (docs/decisions.md, backfill-13).
 */
export class Migration20261202010000 extends Migration {
  override name = 'Migration20261202010000';

  override up(): void | Promise<void> {
    this.addSql(backfillLifetimeSql());
  }

  override down(): void | Promise<void> {
    // the clamped figures are not kept, and were wrong: nothing to undo
  }
}
