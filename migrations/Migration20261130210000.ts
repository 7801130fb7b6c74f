import { Migration } from '@mikro-orm/migrations';

/**
 * `customer_balance_at(customer, currency, at)`: the customer's `available` and `lifetime_earned`
 * in one currency as of `at` (`point_account_at` of their account; both null without one), what a
 * store's minimum-balance and minimum-lifetime rules compare (`customerQualifies`).
 *
 * Why a PL/pgSQL function: those rules read `point_account_at` in a subquery each, and a SQL
 * function in FROM is inlined, so every statement that checks eligibility carried two copies of
 * its plan (~60 plan nodes: the write-down's window, sorts, appends). PostgreSQL sets up every
 * node of a plan on each execution, run or not, and most stores have no such rule: setting them
 * up was ~8 % of the backend's CPU per purchase (issue 12, sixth session, bench/README.md). A call
 * is one node, run only when the store has the rule; PL/pgSQL keeps its query's plan per session.
 * STABLE, so it reads the calling statement's snapshot, as the subqueries did: same answers.
 */
export class Migration20261130210000 extends Migration {
  override name = 'Migration20261130210000';

  override up(): void | Promise<void> {
    this.addSql(`create function customer_balance_at(p_customer_id bigint, p_currency text, p_at timestamptz, out available bigint, out lifetime_earned bigint)
language plpgsql stable as $$
begin
  select n.available, n.lifetime_earned into available, lifetime_earned
    from point_account a cross join lateral point_account_at(a.id, p_at) n
   where a.customer_id = p_customer_id and a.currency_code = p_currency;
end
$$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop function if exists customer_balance_at(bigint, text, timestamptz);`);
  }
}
