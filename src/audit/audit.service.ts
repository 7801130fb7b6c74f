import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { db, type EntityRow } from '../db/schema.js';
import { query, sql } from '../db/sql.js';
import type { Page } from '../domain/page.js';
import type { AuditEntry } from './audit-entry.entity.js';

/** One audit entry: every column of `audit_entry` (`details` the JSON recorded with it). */
export type AuditRow = EntityRow<AuditEntry>;

/** Records a staff change; call it inside the transaction that makes the change. */
export async function recordAudit(
  em: SqlEntityManager,
  entry: Pick<AuditRow, 'actor' | 'action' | 'target' | 'at'> & Partial<Pick<AuditRow, 'reason' | 'details'>>,
): Promise<void> {
  // SQL, not the builder: the class-inferred DB type requires `id` on insert (no Generated<> for a serial key).
  await query(
    em,
    sql`insert into audit_entry (actor, action, target, reason, details, at)
        values (${entry.actor}, ${entry.action}, ${entry.target}, ${entry.reason ?? null}, ${JSON.stringify(entry.details ?? null)}::jsonb, ${entry.at})`,
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
 * For each customer of `customers` (`{ id, status }`, the status as read), the audit entry of the
 * write that gave them that status: of the writes that sent a status (an `upsertCustomer` whose
 * input named one, by staff or a partner), the first of the latest run that sent the current one.
 * A later write sending the same status again (a sync re-sending what is stored) is not the one
 * that set it, and its reason, often none, does not replace the first's. Keyed by customer id; a
 * customer no write sent a status to (ACTIVE since it was created without one) has none. Writes
 * to one customer's status take its status lock (customer.service.ts), so their ids are in the
 * order they were made. One statement, on `audit_entry_status_idx`. Answers one row per customer
 * and status that has an entry (`customerId`, `status` as asked, `entry`), in no order.
 */
export async function statusChangesOf(
  em: SqlEntityManager,
  customers: readonly { id: number; status: string }[],
): Promise<{ customerId: number; status: string; entry: AuditRow }[]> {
  if (!customers.length) return [];
  const rows = await query(
    em,
    sql<AuditRow & { customerId: string; current: string }>`with c as (
          select * from unnest(${customers.map((c) => c.id)}::bigint[], ${customers.map((c) => c.status)}::text[]) as c(id, status)
        ), sent as (
          select c.id as customer_id, c.status as current, e.*
            from c join audit_entry e on e.target = 'Customer:' || c.id and e.details->>'status' is not null
                and e.action in ('createCustomer', 'updateCustomer')
        ), other as (
          -- the latest write that sent another status: the current one was set after it
          select customer_id, current, max(id) as id from sent where details->>'status' <> current group by customer_id, current
        )
        select distinct on (s.customer_id, s.current) s.customer_id as "customerId", s.current, s.id, s.actor, s.action, s.target, s.reason, s.details, s.at
          from sent s left join other o on o.customer_id = s.customer_id and o.current = s.current
         where s.details->>'status' = s.current and (o.id is null or s.id > o.id)
         order by s.customer_id, s.current, s.id`,
  );
  return rows.map(({ customerId, current, ...entry }) => ({ customerId: Number(customerId), status: current, entry: { ...entry, id: Number(entry.id) } }));
}

/** Newest first: up to `page.limit + 1` entries after the cursor (the extra one tells a next page exists). */
export async function auditPage(em: SqlEntityManager, page: Page): Promise<AuditRow[]> {
  const after = page.after?.[0] ?? null;
  return db(em)
    .selectFrom('AuditEntry')
    .select(['id', 'actor', 'action', 'target', 'reason', 'details', 'at'])
    .$if(after !== null, (qb) => qb.where('id', '<', after!))
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .$narrowType<Pick<AuditRow, 'reason'>>() // a nullable column reads as null, never undefined
    .execute();
}
