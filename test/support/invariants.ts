import type { TestGateway } from './gateway.js';

/** One row that breaks an invariant: which rule, and the id of the row (account, entry, sale, offer, listing). */
export interface BrokenInvariant {
  rule: string;
  row: string;
}

/**
 * SPEC §5 in SQL, for the suites that check it after concurrent or simulated work (the simulation,
 * the return races): a select of the rows that break it, none expected. Balance = ledger = open
 * credits, never negative (§5.1); pending = open pending credits; every debit allocated exactly and
 * every credit's spent part allocated exactly; debt = what reversals found owed less what credits
 * repaid; lifetime points less their shortfall = the qualifying entries and adjustments
 * (break-13); stock never below zero (§5.2); an offer redeemed at most once (§5.4); a reversed
 * sale has every award reversed and none of its offers live (§5.5); an account's entries dated in
 * the order they were written, which under the account's lock is the order they committed in
 * (edges-12b).
 */
export const INVARIANTS = `
  select 'balance = ledger = open credits, never negative (§5.1)' as rule, a.id::text as row
    from point_account a left join ledger_entry e on e.account_id = a.id
   group by a.id
  having a.available <> coalesce(sum(e.amount), 0) or a.available <> coalesce(sum(e.remaining), 0) or a.available < 0
  union all
  select 'pending = open pending credits', a.id::text from point_account a
   where a.pending <> (select coalesce(sum(p.amount), 0) from pending_credit p where p.account_id = a.id and p.released_at is null and p.cancelled_at is null)
  union all
  select 'a debit is allocated exactly', d.id::text from ledger_entry d
   where d.amount < 0 and -d.amount <> (select coalesce(sum(al.amount), 0) from ledger_allocation al where al.debit_id = d.id)
  union all
  select 'a credit''s spent part is allocated exactly', c.id::text from ledger_entry c
   where c.amount > 0 and c.amount - c.remaining <> (select coalesce(sum(al.amount), 0) from ledger_allocation al where al.credit_id = c.id)
  union all
  select 'no allocation without its debit and credit', al.id::text from ledger_allocation al
   where not exists (select 1 from ledger_entry d where d.id = al.debit_id and d.amount < 0)
      or not exists (select 1 from ledger_entry c where c.id = al.credit_id and c.amount > 0)
  union all
  select 'debt = owed less repaid', a.id::text from point_account a
   where a.debt <> (select coalesce(sum(r.owed), 0) from ledger_reversal r where r.account_id = a.id)
                 + (select coalesce(sum(e.amount), 0) from ledger_entry e where e.account_id = a.id and e.reason = 'Repays points owed from a reversed sale')
      or a.debt < 0
  union all
  select 'lifetime = qualifying movements, never below 0, in any order (break-13)', a.id::text from point_account a
   where a.lifetime_earned - a.lifetime_shortfall
         <> (select coalesce(sum(e.amount), 0) from ledger_entry e where e.account_id = a.id and e.qualifying)
          + (select coalesce(sum(q.amount), 0) from qualifying_adjustment q where q.account_id = a.id)
  union all
  select 'stock never below zero (§5.2)', id::text from listing where stock_remaining < 0
  union all
  select 'an offer redeemed at most once (§5.4)', issued_offer_id::text from transaction_offer group by issued_offer_id having count(*) > 1
  union all
  select 'a reversed sale has every award reversed, others none (§5.5)', s.id::text from sales_transaction s
   where exists (select 1 from transaction_award w where w.transaction_id = s.id and (w.reversed_at is null) = (s.status = 'REVERSED'))
  union all
  select 'an offer a reversed sale awarded is not live (§5.5)', io.id::text from issued_offer io
    join transaction_award w on w.issued_offer_id = io.id join sales_transaction s on s.id = w.transaction_id
   where s.status = 'REVERSED' and io.status in ('ISSUED', 'LOCKED') and (io.expires_at is null or io.expires_at > s.reversed_at)
  union all
  select 'an account''s entries are dated in the order they were written', e.id::text from (
    select id, created_at < max(created_at) over (partition by account_id order by id rows between unbounded preceding and 1 preceding) as earlier
      from ledger_entry
  ) e where e.earlier`;

/** The rows of the test gateway's database that break INVARIANTS (none expected). */
export function brokenInvariants(t: TestGateway): Promise<BrokenInvariant[]> {
  return t.sql<BrokenInvariant>(INVARIANTS);
}
