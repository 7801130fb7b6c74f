import { Migration } from '@mikro-orm/migrations';

/** `qualifying_points_until` as Migration20261205030000 wrote it: the body `down` restores. */
const QUALIFYING_POINTS_UNTIL_BEFORE = `create or replace function qualifying_points_until(p_customer_id bigint, p_currency text, p_window_days int, p_at timestamptz)
returns bigint language plpgsql stable as $$
begin
  if p_window_days is null then
    if not qualifying_drop_after(p_customer_id, p_currency, p_at) then
      return qualifying_points_at(p_customer_id, p_currency, null, p_at);
    end if;
    return greatest(
      coalesce((select sum(e.amount) from ledger_entry e join point_account a on a.id = e.account_id
                 where a.customer_id = p_customer_id and a.currency_code = p_currency and e.qualifying and e.created_at <= p_at), 0)
    + coalesce((select sum(q.amount) from qualifying_adjustment q join point_account a on a.id = q.account_id
                 where a.customer_id = p_customer_id and a.currency_code = p_currency and q.recorded_at <= p_at and q.created_at <= p_at), 0)
    + coalesce((select sum(d.amount) from point_account a cross join lateral ledger_due(a.id, p_at) d
                 where a.customer_id = p_customer_id and a.currency_code = p_currency and d.qualifying), 0), 0)::bigint;
  end if;
  return greatest(
    coalesce((select sum(e.amount) from ledger_entry e join point_account a on a.id = e.account_id
               where a.customer_id = p_customer_id and a.currency_code = p_currency and e.qualifying
                 and e.created_at > p_at - interval '24 hours' * p_window_days and e.created_at <= p_at), 0)
  + coalesce((select sum(q.amount) from qualifying_adjustment q join point_account a on a.id = q.account_id
               where a.customer_id = p_customer_id and a.currency_code = p_currency and q.recorded_at <= p_at
                 and q.created_at > p_at - interval '24 hours' * p_window_days and q.created_at <= p_at), 0)
  + coalesce((select sum(d.amount) from point_account a cross join lateral ledger_due(a.id, p_at) d
               where a.customer_id = p_customer_id and a.currency_code = p_currency and d.qualifying
                 and d.at > p_at - interval '24 hours' * p_window_days), 0), 0)::bigint;
end
$$;`;

/**
 * break34 (time), the queue of two: a sale's tier at its moment counts the credits of sales made by
 * then whose jobs wrote them after it.
 *
 * A credit is dated when its sale's job writes it. A sale made while its customer was GOLD only
 * through an earlier sale still in the queue (a queue of two: sale 1 made before sale 2, processed
 * after sale 2's moment) reached GOLD through "the tier now" only, which a return of an even
 * earlier sale, recorded before sale 2's job, took away: sale 2 earned ×2 or ×1 by when its job ran
 * (break34's second hostile pass). Now:
 * - `transaction_award.counts_from` is when a points award counts towards tiers had its sale been
 *   processed at once: the sale's moment plus the pending days of the economy rule in force then
 *   (processing's `releaseAtOf`, written by processing; null for offers and for awards written
 *   before this migration, which count as before);
 * - `qualifying_points_until(…, p_at)` adds the qualifying credits written after `p_at` whose award
 *   counts from `p_at` or earlier (within the window for a rolling tier), in both of its reads;
 * - `transaction_award_late_credit_idx` finds a customer's awards written after a moment (few: the
 *   queue's lag) without reading their others.
 */
export class Migration20261205040000 extends Migration {
  override name = 'Migration20261205040000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "transaction_award" add "counts_from" timestamptz null;`);
    this.addSql(`create index transaction_award_late_credit_idx on transaction_award (customer_id, created_at) where counts_from is not null and ledger_entry_id is not null;`);
    this.addSql(`create or replace function qualifying_points_until(p_customer_id bigint, p_currency text, p_window_days int, p_at timestamptz)
returns bigint language plpgsql stable as $$
begin
  if p_window_days is null then
    if not qualifying_drop_after(p_customer_id, p_currency, p_at) then
      return qualifying_points_at(p_customer_id, p_currency, null, p_at);
    end if;
    return greatest(
      coalesce((select sum(e.amount) from ledger_entry e join point_account a on a.id = e.account_id
                 where a.customer_id = p_customer_id and a.currency_code = p_currency and e.qualifying and e.created_at <= p_at), 0)
    + coalesce((select sum(q.amount) from qualifying_adjustment q join point_account a on a.id = q.account_id
                 where a.customer_id = p_customer_id and a.currency_code = p_currency and q.recorded_at <= p_at and q.created_at <= p_at), 0)
    + coalesce((select sum(e.amount) from transaction_award w join ledger_entry e on e.id = w.ledger_entry_id join point_account a on a.id = e.account_id
                 where w.customer_id = p_customer_id and w.counts_from is not null and w.ledger_entry_id is not null
                   and w.created_at > p_at and w.counts_from <= p_at
                   and a.currency_code = p_currency and e.qualifying and e.created_at > p_at), 0)
    + coalesce((select sum(d.amount) from point_account a cross join lateral ledger_due(a.id, p_at) d
                 where a.customer_id = p_customer_id and a.currency_code = p_currency and d.qualifying), 0), 0)::bigint;
  end if;
  return greatest(
    coalesce((select sum(e.amount) from ledger_entry e join point_account a on a.id = e.account_id
               where a.customer_id = p_customer_id and a.currency_code = p_currency and e.qualifying
                 and e.created_at > p_at - interval '24 hours' * p_window_days and e.created_at <= p_at), 0)
  + coalesce((select sum(q.amount) from qualifying_adjustment q join point_account a on a.id = q.account_id
               where a.customer_id = p_customer_id and a.currency_code = p_currency and q.recorded_at <= p_at
                 and q.created_at > p_at - interval '24 hours' * p_window_days and q.created_at <= p_at), 0)
  + coalesce((select sum(e.amount) from transaction_award w join ledger_entry e on e.id = w.ledger_entry_id join point_account a on a.id = e.account_id
               where w.customer_id = p_customer_id and w.counts_from is not null and w.ledger_entry_id is not null
                 and w.created_at > p_at and w.counts_from <= p_at and w.counts_from > p_at - interval '24 hours' * p_window_days
                 and a.currency_code = p_currency and e.qualifying and e.created_at > p_at), 0)
  + coalesce((select sum(d.amount) from point_account a cross join lateral ledger_due(a.id, p_at) d
               where a.customer_id = p_customer_id and a.currency_code = p_currency and d.qualifying
                 and d.at > p_at - interval '24 hours' * p_window_days), 0), 0)::bigint;
end
$$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(QUALIFYING_POINTS_UNTIL_BEFORE);
    this.addSql(`drop index if exists transaction_award_late_credit_idx;`);
    this.addSql(`alter table "transaction_award" drop column "counts_from";`);
  }
}
