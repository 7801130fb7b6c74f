import { segmentOf } from '../domain/text.js';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx } from '../context.js';
import { castColumn, columnsOf, type EntityRow } from '../db/schema.js';
import { idList, query, sql, statement } from '../db/sql.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';
import { recordSessionEnd } from '../events/outbox.service.js';
import { recomputeTier } from '../tiers/tier.service.js';
import { Customer, CustomerStatus } from './customer.entity.js';
import { customerStatusLock } from './status-lock.js';

/**
 * A customer: every column of `customer` (`tierId` the tier last written down; `birthDate` as
 * `YYYY-MM-DD`, `attributes` the stored JSON object).
 */
export type CustomerRow = EntityRow<Customer>;

/** Every column of `customer c` as a CustomerRow (birth_date is read as text: a `date` is a calendar day, not an instant). */
export const CUSTOMER_COLUMNS = sql<CustomerRow>`${columnsOf(Customer, 'c', ['id', 'externalId', 'email', 'name'])}, ${castColumn(Customer, 'c', 'birthDate', 'text')},
  ${columnsOf(Customer, 'c', ['status', 'tierId', 'segments', 'attributes', 'createdAt', 'updatedAt', 'version'])}`;

/** Customers by id (any order; unknown ids are left out), for the `customer` loader. */
export async function customersByIds(em: SqlEntityManager, ids: readonly number[]): Promise<CustomerRow[]> {
  return query(em, sql<CustomerRow>`select ${CUSTOMER_COLUMNS} from customer c where c.id = any(${idList(ids)})`);
}

// Every signed-in request reads its customer: the text is built once.
const BY_EXTERNAL_ID = statement((externalId: string) => sql<CustomerRow>`select ${CUSTOMER_COLUMNS} from customer c where c.external_id = ${externalId}`);

/** The customer a retailer knows by `externalId`, if any (how a customer token and partners name one). */
export async function customerByExternalId(em: SqlEntityManager, externalId: string): Promise<CustomerRow | undefined> {
  return (await BY_EXTERNAL_ID.run(em, externalId))[0];
}

export interface UpsertCustomerData {
  externalId: string;
  email?: string | null;
  name?: string | null;
  birthDate?: string | null;
  status?: CustomerStatus | null;
  segments?: string[] | null;
  attributes?: Record<string, unknown> | null;
  /** The `version` the write was made from; 0: made when no such customer existed. Null or absent: no check. */
  expectedVersion?: number | null;
}

/**
 * VERSION_CONFLICT for an upsert made from a customer's version `expected` (0: none existed) when
 * it is at `current` (0: none exists); the refusal names what is current.
 */
function customerVersionConflict(expected: number, current: number) {
  const made = expected === 0 ? 'made when no customer had this externalId' : `made from version ${expected}`;
  const now = current === 0 ? 'no customer has it now' : `the customer is now version ${current}`;
  return refuse(
    UserErrorCode.VERSION_CONFLICT,
    `This customer was written by someone else since this change was ${made}: ${now}, and nothing was saved. Read the customer again and make the change on the current version.`,
    ['input', 'expectedVersion'],
  );
}

/** UTC+14 (Kiribati's Line Islands): the time zone whose calendar day begins first. */
const LATEST_UTC_OFFSET_MS = 14 * 3_600_000;

/**
 * Creates the customer, or updates the fields the input names (an omitted field keeps its value).
 * `segments` is a set of tags: one sent twice is kept once, in the order first sent, and the same
 * tags sent in another order change nothing (noticed-40: a sync that sent them reordered raised the
 * version and staled every other writer's read) (customer data
 * arrives from CRM and marketing syncs, where a repeated tag means the same; docs/decisions.md),
 * each stored as `segmentOf` spells it (NFC), so two spellings that look the same are one tag.
 * INVALID when `birthDate` is after today in every time zone.
 * One statement, so two upserts of the same externalId at once cannot both insert.
 * Each update that changes a value adds one to the customer's `version` (1 at creation) and sets
 * `updatedAt`; one that changes nothing keeps both. `expectedVersion` (optimistic
 * concurrency, as HTTP's If-Match; break34): the version the change was made from, 0 for "create
 * only"; when the customer is at another version (or, for a number above 0, does not exist),
 * VERSION_CONFLICT on ["input","expectedVersion"] naming the current one, and nothing is written
 * (no status change, no session end, no audit entry). The comparison is the upsert's own
 * `on conflict ... do update ... where`, which PostgreSQL checks under the row's lock: of several
 * writes made from one version exactly one is written.
 */
export async function upsertCustomer(ctx: Ctx, data: UpsertCustomerData, reason: string | null = null): Promise<CustomerRow> {
  const now = ctx.clock.now();
  // A birth date is a local calendar day: refused only once it is after today in every time zone
  // (the latest is UTC+14), or the birthday job would pay a customer before they were born.
  const latestToday = new Date(now.getTime() + LATEST_UTC_OFFSET_MS).toISOString().slice(0, 10);
  if (data.birthDate && data.birthDate > latestToday) {
    throw refuse(UserErrorCode.INVALID, 'birthDate is in the future.', ['input', 'birthDate']);
  }
  const has = (key: keyof UpsertCustomerData) => data[key] !== undefined;
  const segments = data.segments == null ? data.segments : [...new Set(data.segments.map(segmentOf))];
  const expected = data.expectedVersion ?? null;
  // Each column as the update leaves it: the sent value when the input names the field, else the stored one.
  const kept = {
    email: sql`case when ${has('email')} then excluded.email else c.email end`,
    name: sql`case when ${has('name')} then excluded.name else c.name end`,
    birthDate: sql`case when ${has('birthDate')} then excluded.birth_date else c.birth_date end`,
    status: sql`case when ${data.status != null} then excluded.status else c.status end`,
    // a set: the same tags in another order are no change (noticed-40), and keep the stored order
    segments: sql`case when ${segments != null} and not (excluded.segments @> c.segments and c.segments @> excluded.segments) then excluded.segments else c.segments end`,
    attributes: sql`case when ${data.attributes != null} then excluded.attributes else c.attributes end`,
  };
  const changed = sql`(${kept.email}, ${kept.name}, ${kept.birthDate}, ${kept.status}, ${kept.segments}, ${kept.attributes})
      is distinct from (c.email, c.name, c.birth_date, c.status, c.segments, c.attributes)`;
  return ctx.em.transactional(async (em) => {
    const closing = data.status === CustomerStatus.CLOSED;
    let closedFirst = false;
    if (data.status != null) {
      // A status change waits for awards in flight that read the old status, and later ones read the new one.
      const [existing] = await query<{ id: number }>(em, sql`select id from customer where external_id = ${data.externalId}`);
      if (existing) await query(em, customerStatusLock(existing.id, 'change'));
      // Its sockets close on every instance as the relays read this (src/http/ws.ts). Recorded before
      // the customer's row is written: the event takes the customer's stream, and every writer of a
      // customer takes the stream before the row (the tier batch holds the stream while it writes the
      // tier); a close that took the row first deadlocked with it (hostile pass 10).
      if (existing && closing) {
        await recordSessionEnd(em, { customerId: existing.id }, now);
        closedFirst = true;
      }
    }
    const [row] = await query(
      em,
      sql<CustomerRow & { inserted: boolean }>`insert into customer as c (external_id, email, name, birth_date, status, segments, attributes, created_at, updated_at)
          select ${data.externalId}::text, ${data.email ?? null}::text, ${data.name ?? null}::text, ${data.birthDate ?? null}::date,
                 ${data.status ?? CustomerStatus.ACTIVE}::text, ${segments ?? []}::text[], ${JSON.stringify(data.attributes ?? {})}::jsonb, ${now}::timestamptz, ${now}::timestamptz
           -- a version above 0 is an update: no row to insert unless the customer exists (then it conflicts, and the version is compared below, under the row's lock)
           where ${expected}::int is null or ${expected}::int = 0 or exists (select 1 from customer e where e.external_id = ${data.externalId})
          on conflict (external_id) do update set
            email = ${kept.email}, name = ${kept.name}, birth_date = ${kept.birthDate}, status = ${kept.status},
            segments = ${kept.segments}, attributes = ${kept.attributes},
            -- a write that changes no value keeps the version (a sync re-sending what is stored does not
            -- stale every other writer's read) and the time of the last change
            updated_at = case when ${changed} then excluded.updated_at else c.updated_at end,
            version = c.version + case when ${changed} then 1 else 0 end
          where ${expected}::int is null or c.version = ${expected}::int
          returning ${CUSTOMER_COLUMNS}, (xmax = 0) as inserted`,
    );
    // No row: the customer exists at another version than the one this was made from, or (a version
    // above 0) none exists; the throw rolls back any status lock's work.
    if (!row) throw customerVersionConflict(expected ?? 0, (await customerByExternalId(em, data.externalId))?.version ?? 0);
    if (row.inserted) await recomputeTier(em, row.id, now);
    // A customer created CLOSED (no row to take before): the same event, after the insert.
    if (closing && !closedFirst) await recordSessionEnd(em, { customerId: row.id }, now);
    await recordAudit(em, {
      actor: actorOf(ctx.caller),
      action: row.inserted ? 'createCustomer' : 'updateCustomer',
      target: `Customer:${row.id}`,
      reason,
      details: data,
      at: now,
    });
    const { inserted: _inserted, ...customer } = row;
    return row.inserted ? ((await customersByIds(em, [row.id]))[0] ?? customer) : customer;
  });
}
