import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { db, type EntityRow } from '../db/schema.js';
import { query, sql } from '../db/sql.js';
import type { RawBuilder } from 'kysely';
import type { Page } from '../domain/page.js';
import { CustomerStatus } from '../customers/customer.entity.js';
import type { AuditEntry } from './audit-entry.entity.js';

/** One audit entry as the API reads it: the columns of `audit_entry` (`details` the JSON recorded with it) but `customer_id`, which only the log's filter reads. */
export type AuditRow = Omit<EntityRow<AuditEntry>, 'customerId'>;

/**
 * Records a staff change; call it inside the transaction that makes the change. `customerId`: the
 * customer who owns what `target` names when that is not the customer row itself (a wallet
 * offer), so the log about that customer holds the entry (audit-47); leave it out otherwise.
 */
export async function recordAudit(
  em: SqlEntityManager,
  entry: Pick<AuditRow, 'actor' | 'action' | 'target' | 'at'> & Partial<Pick<EntityRow<AuditEntry>, 'reason' | 'details' | 'customerId'>>,
): Promise<void> {
  // SQL, not the builder: the class-inferred DB type requires `id` on insert (no Generated<> for a serial key).
  await query(
    em,
    sql`insert into audit_entry (actor, action, target, customer_id, reason, details, at)
        values (${entry.actor}, ${entry.action}, ${entry.target}, ${entry.customerId ?? null}, ${entry.reason ?? null}, ${JSON.stringify(entry.details ?? null)}::jsonb, ${entry.at})`,
  );
}

/** Audit entries by id (any order; unknown ids are left out): staff's node(id:) and nodes. */
export async function auditEntriesByIds(em: SqlEntityManager, ids: readonly number[]): Promise<AuditRow[]> {
  if (!ids.length) return [];
  return db(em)
    .selectFrom('AuditEntry')
    .select(['id', 'actor', 'action', 'target', 'reason', 'details', 'at'])
    .where('id', 'in', [...ids])
    .$narrowType<Pick<AuditRow, 'reason'>>()
    .execute();
}

/**
 * The status an audit entry of a customer's write sent: the input's `status`, or ACTIVE for a
 * creation that named none (the column's default). SQL over `audit_entry e`; the expression of
 * `audit_entry_customer_status_idx`, which the statements below must repeat exactly to use it.
 */
const SENT_STATUS = sql<string>`coalesce(e.details->>'status', 'ACTIVE')`;

/** The writes that gave a customer a status: every creation, and the updates whose input named one (`audit_entry_customer_status_idx`'s predicate). */
const SETS_STATUS = sql<boolean>`(e.action = 'createCustomer' or (e.action = 'updateCustomer' and e.details->>'status' is not null))`;

/**
 * For each customer of `customers` (`{ id, status }`: a customer row's id and its status as read),
 * the audit entry of the write that gave them that status: of the operators' `upsertCustomer`
 * writes that set a status (every creation, ACTIVE when it named none; the updates whose input
 * named one), the first of the latest run that sent the current one. A later write sending the
 * same status again (a sync re-sending what is stored) is not the one that set it, and its
 * reason, often none, does not replace the first's.
 *
 * Order is the entries' ids: each write to a customer writes the customer's row (or, a creation,
 * its unique external id) before its audit entry, in one transaction, so a second write waits for
 * the first's commit before it draws its id. (The clock, which operators and tests move, is not
 * the order.) Answers one row per customer and status that has such an entry (`customerId`,
 * `status` as asked, `entry`), in no order: none for a customer written without an audit entry
 * (inserted other than through `upsertCustomer`, e.g. by SQL), or whose status changed after it
 * was read and before this statement. Three index probes per customer on
 * `audit_entry_customer_status_idx` (the latest entry of each other status, then the first of the
 * current one after it), however many writes the customer has had. Database errors are passed on.
 */
export async function statusChangesOf(
  em: SqlEntityManager,
  customers: readonly { id: number; status: string }[],
): Promise<{ customerId: number; status: string; entry: AuditRow }[]> {
  if (!customers.length) return [];
  const statuses = Object.values(CustomerStatus);
  const rows = await query(
    em,
    sql<AuditRow & { customerId: string; current: string }>`select c.id as "customerId", c.status as current, e.id, e.actor, e.action, e.target, e.reason, e.details, e.at
          from unnest(${customers.map((c) => c.id)}::bigint[], ${customers.map((c) => c.status)}::text[]) as c(id, status)
          -- the latest write that sent another status: the current one was set after it
          cross join lateral (
            select max(last.id) as id
              from unnest(${statuses}::text[]) as other(status)
              cross join lateral (
                select e.id from audit_entry e
                 where e.target = 'Customer:' || c.id and ${SETS_STATUS} and ${SENT_STATUS} = other.status
                 order by e.id desc limit 1
              ) last
             where other.status <> c.status
          ) before
          cross join lateral (
            select e.* from audit_entry e
             where e.target = 'Customer:' || c.id and ${SETS_STATUS} and ${SENT_STATUS} = c.status and e.id > coalesce(before.id, 0)
             order by e.id limit 1
          ) e`,
  );
  return rows.map(({ customerId, current, ...entry }) => ({ customerId: Number(customerId), status: current, entry: { ...entry, id: Number(entry.id) } }));
}

/**
 * Which entries a page of the audit log holds (audit-46): each field given narrows it to the
 * entries that have exactly that value (`target` as recorded, `Offer:12`; `actor` as recorded,
 * `staff:<sub>`; `action`, a mutation's name such as `updateCustomer`). `customer` (a customer's
 * id) keeps the changes to that customer: those whose target is the customer (`Customer:12`) and
 * those about something they own, such as a wallet offer (`customer_id`, audit-47). `from` and
 * `to` keep the changes made in [from, to) by the gateway's clock when each was made (`at`,
 * audit-49); either given orders the page by that time. `reason` keeps the changes whose reason
 * holds that text, case and accents aside (both by `search_key`; audit-49b). None: every entry.
 */
export type AuditFilter = { target?: string; customer?: number; actor?: string; action?: string; from?: Date; to?: Date; reason?: string };

/** How many of the newest entries with a reason a reason search checks before it reads older ones by the reasons' index (auditPage). */
const REASON_SCAN = 2_000;

/**
 * `reason`'s condition: the entry's reason key holds the text's key (trimmed) anywhere, its `%`,
 * `_` and backslash matching themselves; read by `audit_entry_reason_key_idx` (a trigram index of
 * `search_key(reason)` where reason is not null, which the condition repeats so the planner may
 * use it).
 */
const reasonHolds = (text: string) =>
  sql<boolean>`(reason is not null and search_key(reason) like '%' || replace(replace(replace(btrim(search_key(${text}::text)), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')`;

/**
 * Newest first: up to `page.limit + 1` entries after the cursor (the extra one tells a next page
 * exists) that `filter` keeps. One statement; each filter alone reads its index
 * (`audit_entry_target_idx`, `audit_entry_actor_idx`, `audit_entry_action_idx`: value, then id,
 * Migration20261206170000), and an actor with an action `audit_entry_actor_action_idx`
 * (Migration20261206180200), backwards from the cursor, however many entries the filter passes
 * over. With `target`, the object's own entries (few) are read and the others' filtered out.
 * With `customer`, two such reads, each backwards from the cursor and stopping at a page: the
 * customer's own entries (`audit_entry_target_idx`) and those about what they own
 * (`audit_entry_customer_idx`, Migration20261206190000), merged newest first (audit-47). One
 * read with `target = … or customer_id = …` could follow neither index's order, and on a long log
 * the planner walked the primary key from the newest entry instead, past every other customer's
 * (a review measured 2,000,030 entries read for one page of a customer with a thousand).
 *
 * With `from` or `to` (audit-49) the order is the entries' time, then id (`at desc, id desc`),
 * and the cursor's entry is the place in that order: the entries before it in time, or at its
 * time with a lower id. The order is the time's because an index of the time can then be read
 * backwards from the window's end and stop at a page: `audit_entry_at_idx` (at, id,
 * Migration20261207010000), or with a filter the index of its value then the time
 * (`audit_entry_target_at_idx`, `…_customer_at_idx`, `…_actor_at_idx`, `…_action_at_idx`,
 * `…_actor_action_at_idx`, Migration20261207010100), so a value whose entries all lie outside
 * the window (a new hire's) is not found by reading the window through;
 * in id order a window far back read every later entry first, since nothing ties an entry's id to
 * its time (the clock is the gateway's, which operators and tests move, and concurrent changes
 * take ids in commit order). Without a time filter the order stays the ids' (the order changes
 * were committed in), so the indexes above keep serving it. A cursor naming no entry (none is
 * ever deleted; a forged one) reads nothing in time order.
 */
export async function auditPage(em: SqlEntityManager, page: Page, filter: AuditFilter = {}): Promise<AuditRow[]> {
  const after = page.after?.[0] ?? null;
  const byTime = filter.from !== undefined || filter.to !== undefined;
  // the page's order: by time then id with a window, else by id
  const key = byTime ? sql`(at, id)` : sql`id`;
  type Where = Pick<AuditFilter, 'target'> & { customerId?: number };
  // The entries of `where` that the filters keep after the cursor, a page of them in the page's
  // order; `limit`: that many instead; `anyReason`: every entry with a reason instead of those
  // holding the search; `beyond`: one condition more; `unordered`: all of them, in no order.
  const read = (where: Where, options: { limit?: number; anyReason?: true; beyond?: RawBuilder<boolean>; unordered?: true } = {}) =>
    db(em)
      .selectFrom('AuditEntry')
      .select(['id', 'actor', 'action', 'target', 'reason', 'details', 'at'])
      .$if(after !== null && !byTime, (qb) => qb.where('id', '<', after!))
      .$if(after !== null && byTime, (qb) => qb.where(sql<boolean>`(at, id) < (select c.at, c.id from audit_entry c where c.id = ${after})`))
      .$if(options.beyond !== undefined, (qb) => qb.where(options.beyond!))
      .$if(filter.from !== undefined, (qb) => qb.where('at', '>=', filter.from!))
      .$if(filter.to !== undefined, (qb) => qb.where('at', '<', filter.to!))
      .$if(where.target !== undefined, (qb) => qb.where('target', '=', where.target!))
      .$if(where.customerId !== undefined, (qb) => qb.where('customerId', '=', where.customerId!))
      .$if(filter.actor !== undefined, (qb) => qb.where('actor', '=', filter.actor!))
      .$if(filter.action !== undefined, (qb) => qb.where('action', '=', filter.action!))
      .$if(filter.reason !== undefined && !options.anyReason, (qb) => qb.where(reasonHolds(filter.reason!)))
      .$if(options.anyReason === true, (qb) => qb.where('reason', 'is not', null))
      .$if(byTime && !options.unordered, (qb) => qb.orderBy('at', 'desc'))
      .$if(!options.unordered, (qb) => qb.orderBy('id', 'desc').limit(options.limit ?? page.limit + 1))
      .$narrowType<Pick<AuditRow, 'reason'>>(); // a nullable column reads as null, never undefined
  /**
   * One read of `where` with the reason search (audit-49b). The reasons' trigram index finds
   * every entry holding the words, in no order: for a common word ("goodwill" in half the log)
   * the planner fetched and sorted all of them for a page (50,002 entries, 628 ms). So first the
   * newest REASON_SCAN entries with a reason that the other filters keep, read in the page's order
   * (`audit_entry_reasoned_idx` or `…_reasoned_at_idx`, or the filters' own indexes), and the
   * reason checked on those; only when they hold less than a page (a rarer word) are the older
   * ones read: those the index finds with the same filters beyond the last of the newest, all of
   * them (`found`, materialized: a planner left free to read them in the page's order instead
   * walked the whole log for a short word it guessed common, 5 s on 2 million entries), then
   * sorted for the page. Both in one statement; the older read runs only when needed (its
   * conditions are one-time filters of the statement).
   */
  const branch = (where: Where) => {
    if (filter.reason === undefined) return read(where);
    const newest = read(where, { limit: REASON_SCAN, anyReason: true });
    const last = byTime ? sql`(select r.at, r.id from newest r order by r.at, r.id limit 1)` : sql`(select min(r.id) from newest r)`;
    const found = read(where, { beyond: sql<boolean>`${key} < ${last}`, unordered: true });
    return sql<AuditRow>`(with newest as materialized (${newest}), hits as (select * from newest where ${reasonHolds(filter.reason)}),
      found as materialized (select f.id, f.at from (${found}) f where (select count(*) from newest) = ${REASON_SCAN} and (select count(*) from hits) <= ${page.limit})
      select * from hits
      union all
      (select e.id, e.actor, e.action, e.target, e.reason, e.details, e.at from audit_entry e
        where e.id in (select id from found order by ${byTime ? sql`at desc, id desc` : sql`id desc`} limit ${page.limit + 1})))`;
  };
  if (filter.customer === undefined && filter.reason === undefined) return read({ target: filter.target }).execute();
  const branches = filter.customer === undefined ? [branch({ target: filter.target })] : [branch({ target: `Customer:${filter.customer}` }), branch({ customerId: filter.customer })];
  return db(em)
    .selectFrom(sql<AuditRow>`(${sql.join(branches.map((b) => sql`(${b})`), sql` union all `)})`.as('e'))
    .selectAll()
    .$if(byTime, (qb) => qb.orderBy('at', 'desc'))
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute() as Promise<AuditRow[]>;
}
