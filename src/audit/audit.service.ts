import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { query, sql } from '../db/sql.js';
import type { Page } from '../domain/page.js';

export interface AuditRow {
  id: number;
  actor: string;
  action: string;
  target: string;
  reason: string | null;
  details: unknown;
  at: Date;
}

/** Records a staff change; call it inside the transaction that makes the change. */
export async function recordAudit(
  em: SqlEntityManager,
  entry: { actor: string; action: string; target: string; reason?: string | null; details?: unknown; at: Date },
): Promise<void> {
  await query(
    em,
    sql`insert into audit_entry (actor, action, target, reason, details, at)
        values (${entry.actor}, ${entry.action}, ${entry.target}, ${entry.reason ?? null}, ${JSON.stringify(entry.details ?? null)}::jsonb, ${entry.at})`,
  );
}

/** Newest first. */
export async function auditPage(em: SqlEntityManager, page: Page): Promise<AuditRow[]> {
  const after = page.after?.[0] ?? null;
  return query<AuditRow>(
    em,
    sql`select id, actor, action, target, reason, details, at from audit_entry
        where (${after}::bigint is null or id < ${after}) order by id desc limit ${page.limit + 1}`,
  );
}
