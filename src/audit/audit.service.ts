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
