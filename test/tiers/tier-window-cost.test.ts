import pg from 'pg';
import { requestFingerprint } from '../../src/idempotency/fingerprint.js';
import { ledgerViolations, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, createTier, earningProgram } from '../support/program.js';
import { rowsRead } from '../support/statements.js';

const DAY = 86_400_000;

/** The actor the test gateway's operator token acts as (`actorOf` of its staff caller). */
const OPERATOR = 'staff:staff-op';

/** One staff adjustment of +1 point, qualifying by default (`adjust(t, externalId, currency, 1, key)`), sent at `at`. */
interface Adjustment {
  customerId: number;
  externalId: string;
  key: string;
  at: Date;
}

/**
 * Writes `adjustments` with SQL on `client` (in the caller's transaction), as adjustPoints writes
 * them sent one after another in that order, the clock at each one's `at` (ids, balances and event
 * numbers follow the order): the point account (made at its first one), the ledger entry (ADJUST,
 * STAFF, +1, qualifying, never expiring: `currency`'s `expiryDays` must be null, and no tier may
 * be reached), the idempotency record and its answer, the audit entry, and the BALANCE_CHANGED event
 * (numbered by the outbox's own trigger). For a long history a test needs as data, not as its
 * subject: 1,500 adjustments through the API took 11–31 s, this takes well under one. The test
 * checks it against the API's rows for a sample (`writtenSince`).
 */
async function writeAdjustments(client: pg.Client, currency: string, adjustments: Adjustment[]): Promise<void> {
  const column = <K extends keyof Adjustment>(key: K) => adjustments.map((a) => a[key]);
  const fingerprints = adjustments.map((a) => requestFingerprint({ customerExternalId: a.externalId, currency, amount: 1, reason: 'test', qualifying: true }));
  await client.query(
    `insert into point_account (customer_id, currency_code, created_at, updated_at)
     select customer_id, $2, min(at), min(at) from unnest($1::bigint[], $3::timestamptz[]) with ordinality p(customer_id, at, ord)
      group by customer_id order by min(ord)
     on conflict (customer_id, currency_code) do nothing`,
    [column('customerId'), currency, column('at')],
  );
  await client.query(
    `with plan as (
       select p.*, a.id as account_id,
              a.available + row_number() over (partition by a.id order by p.ord) as available_after,
              a.lifetime_earned + row_number() over (partition by a.id order by p.ord) as lifetime_after
         from unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[]) with ordinality p(customer_id, key, at, fingerprint, ord)
         join point_account a on a.customer_id = p.customer_id and a.currency_code = $5
     ), e as (
       insert into ledger_entry (account_id, customer_id, amount, kind, source_type, source_id, reason, actor,
                                 balance_after, expires_at, remaining, qualifying, created_at)
       select account_id, customer_id, 1, 'ADJUST', 'STAFF', $6, 'test', $6, available_after, null, 1, true, at from plan order by ord
       returning id, account_id, balance_after
     ), written as (
       select plan.*, e.id as entry_id from plan join e on e.account_id = plan.account_id and e.balance_after = plan.available_after
     ), claimed as (
       insert into idempotency_record (scope, key, fingerprint, result, created_at)
       select 'adjust:' || $6, key, fingerprint, jsonb_build_object('entryId', entry_id), at from written
     ), audited as (
       insert into audit_entry (actor, action, target, reason, details, at)
       select $6, 'adjustPoints', 'Customer:' || customer_id, 'test',
              jsonb_build_object('currency', $5::text, 'amount', 1, 'qualifying', true, 'entryId', entry_id), at
         from written order by ord
     ), events as (
       insert into outbox_event (topic, customer_id, payload, created_at)
       select 'BALANCE_CHANGED', customer_id,
              jsonb_build_object('currency', $5::text, 'accountId', account_id, 'customerId', customer_id, 'currencyCode', $5::text,
                                 'available', available_after, 'pending', 0, 'lifetimeEarned', lifetime_after,
                                 'change', jsonb_build_object('entryId', entry_id, 'amount', 1, 'kind', 'ADJUST', 'reason', 'test')),
              at
         from written order by ord
     )
     update point_account a
        set available = a.available + n.count, lifetime_earned = a.lifetime_earned + n.count, version = a.version + n.count,
            updated_at = greatest(a.updated_at, n.last)
       from (select account_id, count(*)::int as count, max(at) as last from plan group by account_id) n
      where a.id = n.account_id`,
    [column('customerId'), column('key'), column('at'), fingerprints, currency, OPERATOR],
  );
}

/** The largest ids of the tables adjustments add to, before a writer's (`writtenSince`). */
interface Marks {
  entry: number;
  audit: number;
  event: number;
}

async function marks(client: pg.Client): Promise<Marks> {
  const { rows } = await client.query<Marks>(
    `select (select coalesce(max(id), 0) from ledger_entry)::int as entry, (select coalesce(max(id), 0) from audit_entry)::int as audit,
            (select coalesce(max(id), 0) from outbox_event)::int as event`,
  );
  return rows[0];
}

/**
 * What adjustments wrote after `since`, and the accounts and event streams in `currency`, with
 * what two writers of the same adjustments may differ in left out: ids (an entry is its position
 * among those written, and the audit entry, the idempotency answer and the event name it so; an
 * account is its customer's in the currency, and the entry and the event say whether it is), the
 * event's transaction id, and the idempotency record's date past its entry's (the API's is the
 * request's start plus its transaction's time so far: said as whether it is within a second).
 */
async function writtenSince(client: pg.Client, currency: string, since: Marks) {
  const rows = async (text: string, params: unknown[]) => (await client.query(text, params)).rows;
  const position = `(select id, row_number() over (order by id) as n from ledger_entry where id > $1) p`;
  return {
    entries: await rows(
      `select p.n, e.account_id = a.id as own_account, e.customer_id, e.amount, e.kind, e.source_type, e.source_id, e.reason, e.actor, e.balance_after,
              e.expires_at, e.remaining, e.qualifying, e.created_at
         from ledger_entry e join ${position} using (id) join point_account a on a.customer_id = e.customer_id and a.currency_code = $2 order by e.id`,
      [since.entry, currency],
    ),
    audit: await rows(
      `select a.actor, a.action, a.target, a.reason, a.details - 'entryId' as details, p.n as entry, a.at
         from audit_entry a join ${position} on p.id = (a.details->>'entryId')::bigint where a.id > $2 order by a.id`,
      [since.entry, since.audit],
    ),
    idempotency: await rows(
      `select r.scope, r.key, r.fingerprint, p.n as entry, r.created_at >= e.created_at and r.created_at < e.created_at + interval '1 second' as dated
         from idempotency_record r join ${position} on p.id = (r.result->>'entryId')::bigint join ledger_entry e on e.id = p.id order by p.n`,
      [since.entry],
    ),
    events: await rows(
      `select o.topic, o.customer_id, (o.payload #- '{change,entryId}') - 'accountId' as payload, (o.payload->>'accountId')::bigint = a.id as own_account,
              p.n as entry, o.created_at, o.customer_seq
         from outbox_event o join ${position} on p.id = (o.payload->'change'->>'entryId')::bigint
         join point_account a on a.customer_id = o.customer_id and a.currency_code = $3
        where o.id > $2 order by o.id`,
      [since.entry, since.event, currency],
    ),
    accounts: await rows(
      `select customer_id, currency_code, available, pending, lifetime_earned, version, created_at, updated_at, debt, lifetime_shortfall
         from point_account where currency_code = $1 order by customer_id`,
      [currency],
    ),
    streams: await rows(`select * from event_stream where customer_id in (select customer_id from point_account where currency_code = $1) order by customer_id`, [currency]),
  };
}

/**
 * break2-18: a rolling-window tier's points are read by `customer_tier_at` (every tier read, each
 * sale's tier placement) and, since hostile-18, by `customer_tier_until` too (each sale's tier at
 * its moment). Both summed the window's qualifying entries through the account's (account_id, id)
 * index, so every read fetched every entry the account ever had and filtered by date: a customer
 * with 1,000 entries over 100 days had 1,000 rows fetched for a 7-day window of 70, per rolling
 * tier, three times per sale. Counted with PostgreSQL's own per-transaction statistics
 * (`pg_stat_xact_user_tables`: rows fetched from `ledger_entry`), not time.
 */
describe("a rolling tier's window over a long history", () => {
  let t: TestGateway;
  let client: pg.Client;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await t.close();
  });

  const ledgerRowsRead = (call: string, params: unknown[]) => rowsRead(client, 'ledger_entry', call, params);

  it('reads the entries of the window, not every entry of the account (customer_tier_at and customer_tier_until)', async () => {
    t.clock.freeze();
    const { currency } = await earningProgram(t, 'LONG', { expiryDays: null });
    await createTier(t, { currency, code: `W_${currency}`, rank: 7, threshold: 1_000_000, windowDays: 7, multiplier: 2 });
    const customer = await createCustomer(t, currency);
    // the program's other customers, 50 with 10 entries each (the table's statistics a program has)
    const others = await Promise.all(Array.from({ length: 50 }, () => createCustomer(t, currency)));
    // the customer's 1,000 qualifying entries, ten a day for 100 days, and on every tenth day one
    // for each of the others: staff adjustments of a point
    const ids = new Map((await t.sql<{ id: string; external_id: string }>('select id, external_id from customer')).map((c) => [c.external_id, Number(c.id)]));
    const start = t.clock.now().getTime();
    const adjustments = (day: number): Adjustment[] =>
      [...Array.from({ length: 10 }, () => customer), ...(day % 10 === 0 ? others : [])].map((c, i) => ({
        customerId: ids.get(c.externalId)!,
        externalId: c.externalId,
        key: `adj-${day}-${i}`,
        at: new Date(start + day * DAY),
      }));
    // The first day written both ways, which must write the same: with SQL in a transaction rolled
    // back, then through the API; the other 99 days with SQL.
    const since = await marks(client);
    await client.query('begin');
    let bySql: Awaited<ReturnType<typeof writtenSince>>;
    try {
      await writeAdjustments(client, currency, adjustments(0));
      bySql = await writtenSince(client, currency, since);
    } finally {
      await client.query('rollback');
    }
    for (const a of adjustments(0)) await adjust(t, a.externalId, currency, 1, a.key);
    expect(await writtenSince(client, currency, since)).toEqual(bySql);
    expect(bySql.entries).toHaveLength(60);
    await client.query('begin');
    await writeAdjustments(client, currency, Array.from({ length: 99 }, (_, d) => adjustments(d + 1)).flat());
    await client.query('commit');
    t.clock.advance(100 * DAY);
    const [{ id, entries }] = await t.sql<{ id: string; entries: number }>(
      `select c.id, count(e.id)::int as entries from customer c join ledger_entry e on e.customer_id = c.id where c.external_id = $1 group by c.id`,
      [customer.externalId],
    );
    expect(entries).toBe(1000);
    await t.sql('analyze ledger_entry'); // autovacuum's statistics, as a production table has them
    const now = t.clock.now();
    const reads: Record<string, number[]> = {};
    for (const fn of ['customer_tier_at', 'customer_tier_until']) {
      // eight calls: PL/pgSQL's plans for the first five are custom, then generic; both are held
      reads[fn] = [];
      for (let i = 0; i < 8; i++) reads[fn].push(await ledgerRowsRead(`select ${fn}($1, $2)`, [id, now]));
    }
    // the window's entries (7 days: 70), not the account's 1,000, on every call
    const over = (fn: string) => reads[fn].filter((n) => n > 140);
    expect({ at: over('customer_tier_at'), until: over('customer_tier_until') }).toEqual({ at: [], until: [] });
    expect(await ledgerViolations(t)).toEqual([]);
  }, 120_000);
});
