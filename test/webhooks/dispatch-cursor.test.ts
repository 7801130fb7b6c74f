import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import pino from 'pino';
import { AdjustableClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { pruneEvents } from '../../src/events/retention.job.js';
import { dispatchWebhooks } from '../../src/webhooks/webhook.jobs.js';
import { createTestDatabase, TEST_JWT_SECRET, testPool } from '../support/gateway.js';
import { committedLongAgo } from '../support/retention.js';

/** A migration from before the webhook cursor became an `OutboxCursor` (Migration20261130130000). */
const BEFORE = 'Migration20261130070000';
/** The last migration before the cursor's conversion (Migration20261130130000): `down` to it gives the old form, whatever came after. */
const BEFORE_CONVERSION = 'Migration20261130120000';
/**
 * The last migration a transaction that wrote events may stay open across: the next one alters
 * `event_stream` (dates-12c), which waits, as any ALTER TABLE does, for the transactions holding
 * its rows (the held one here, which the test commits only after the migration).
 */
const BEFORE_EVENT_STREAM_ALTER = 'Migration20261201060000';

/**
 * The webhook dispatcher's cursor, on a database of its own. An installation whose dispatcher ran
 * with the old (horizon, last event id) cursor goes on from where it stood after
 * Migration20261130130000: every event it had not dispatched is dispatched once, none it had
 * dispatched is sent again, also when its delivery has since been pruned. A backlog larger than a
 * batch is read over several runs, each event once.
 */
describe('webhook dispatcher cursor', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let orm: MikroORM;
  let pool: pg.Pool;
  const clock = new AdjustableClock();
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET });
  const customers: string[] = [];
  let endpointId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    orm = await openOrm({ url: database.url, poolMax: 4 });
    await orm.migrator.up({ to: BEFORE });
    pool = testPool({ connectionString: database.url, max: 4 });
    for (const name of ['c1', 'c2', 'c3']) customers.push((await sql<{ id: string }>(`insert into customer (external_id) values ($1) returning id`, [name]))[0].id);
    [{ id: endpointId }] = await sql<{ id: string }>(
      `insert into webhook_endpoint (url, event_types, secret, created_by, created_at) values ('http://127.0.0.1:9/hook', '{tier.changed}', 'whsec_dGVzdA==', 'test', now() - interval '1 day') returning id`,
    );
  });
  afterAll(async () => {
    await pool.end();
    await orm.close();
    await database.drop();
  });

  const sql = async <R>(text: string, values: unknown[] = []) => (await pool.query(text, values)).rows as R[];
  /** One committed transaction writing a TIER_CHANGED event for each of `owners` (indexes into `customers`); its xid and the events' ids. */
  const transaction = async (owners: number[], client?: pg.PoolClient) => {
    const c = client ?? (await pool.connect());
    try {
      if (!client) await c.query('begin');
      const ids: number[] = [];
      for (const owner of owners) {
        ids.push(Number((await c.query(`insert into outbox_event (topic, customer_id, payload) values ('TIER_CHANGED', $1, '{"to":"GOLD"}') returning id`, [customers[owner]])).rows[0].id));
      }
      const xid = (await c.query<{ xid: string }>(`select pg_current_xact_id()::text as xid`)).rows[0].xid;
      if (!client) await c.query('commit');
      return { xid, ids };
    } finally {
      if (!client) c.release();
    }
  };
  /** What the old dispatcher left: its cursor, and a delivery for each event it had dispatched. */
  const oldDispatcherStoppedAt = async (horizon: string, lastEventId: number, dispatched: number[]) => {
    await sql(`insert into webhook_cursor (name, horizon, last_event_id) values ('webhooks', $1::xid8, $2) on conflict (name) do update set horizon = excluded.horizon, last_event_id = excluded.last_event_id`, [horizon, lastEventId]);
    for (const eventId of dispatched) {
      await sql(`insert into webhook_delivery (endpoint_id, event_id, event_type, body, status, finished_at) values ($1, $2, 'tier.changed', '{}', 'DELIVERED', now())`, [endpointId, eventId]);
    }
  };
  const jobContext = (c = config) => ({ em: orm.em.fork(), clock, config: c, log: pino({ level: 'silent' }) });
  const dispatch = (c = config) => orm.em.fork().transactional((em) => dispatchWebhooks({ ...jobContext(c), em }));
  /** Deliveries per event, and the send jobs enqueued, for `ids`. */
  const deliveriesOf = async (ids: number[]) => {
    const rows = await sql<{ event_id: string; n: string; jobs: string }>(
      `select d.event_id, count(*) as n, (select count(*) from job j where j.kind = 'webhooks.deliver' and (j.payload->>'deliveryId')::bigint = any(array_agg(d.id))) as jobs
         from webhook_delivery d where d.event_id = any($1::bigint[]) group by d.event_id order by d.event_id`,
      [ids],
    );
    return rows.map((r) => ({ eventId: Number(r.event_id), deliveries: Number(r.n), sendJobs: Number(r.jobs) }));
  };
  const once = (ids: number[]) => ids.map((eventId) => ({ eventId, deliveries: 1, sendJobs: 1 }));
  const already = (ids: number[]) => ids.map((eventId) => ({ eventId, deliveries: 1, sendJobs: 0 }));

  it('a cursor a full batch left inside a transaction: that transaction\'s dispatched events are read again but not sent again; nothing else is read again, nothing is lost', async () => {
    const a = await transaction([0, 1]);
    const b = await transaction([0, 1, 2]);
    const c = await transaction([2]);
    // A transaction running across the migration (it took its id before the migration ran).
    const d = await pool.connect();
    try {
      await d.query('begin');
      const held = await transaction([1], d);
      // The old dispatcher had read a full batch ending at b's second event; a's deliveries were pruned since.
      await oldDispatcherStoppedAt(b.xid, b.ids[1], [...a.ids, b.ids[0], b.ids[1]]);
      await sql(`delete from webhook_delivery where event_id = any($1::bigint[])`, [a.ids]);

      await orm.migrator.up({ to: BEFORE_EVENT_STREAM_ALTER });
      // this build's dispatcher enqueues deliveries with a group (Migration20261202020000, webhook-14)
      await sql(`alter table job add column if not exists group_key text`);
      // and a tenant (Migration20261205061000, break36)
      await sql(`alter table job add column if not exists tenant_key text`);
      // and judges an endpoint's events by the snapshot of its registration (Migration20261205141000, break38; null: by time, as here)
      await sql(`alter table webhook_endpoint add column if not exists receives_from text, add column if not exists removed_windows jsonb not null default '[]'`);
      expect(await sql(`select cursor from webhook_cursor`)).toEqual([{ cursor: `{"from":"${b.xid}:${b.xid}:"}` }]);

      expect(await dispatch()).toBe(2);
      expect(await deliveriesOf([...a.ids, ...b.ids, ...c.ids, ...held.ids])).toEqual([...already(b.ids.slice(0, 2)), ...once([b.ids[2], ...c.ids])]);
      await d.query('commit');
      await orm.migrator.up();
      expect(await dispatch()).toBe(1);
      expect(await dispatch()).toBe(0);
      expect(await deliveriesOf([...a.ids, ...b.ids, ...c.ids, ...held.ids])).toEqual([...already(b.ids.slice(0, 2)), ...once([b.ids[2], ...c.ids, ...held.ids])]);
    } finally {
      d.release();
    }
  });

  it('a cursor at the end of a transaction, or at a horizon with no event read there, reads nothing again, also when the deliveries are gone', async () => {
    for (const stop of ['end of a transaction', 'a horizon'] as const) {
      await orm.migrator.down({ to: BEFORE_CONVERSION }); // back to the old form (what it converts to is read again and deduplicated)
      const e = await transaction([0, 1]);
      const f = await transaction([2]);
      const g = await transaction([0]);
      if (stop === 'end of a transaction') await oldDispatcherStoppedAt(f.xid, f.ids[0], [...e.ids, ...f.ids]);
      else await oldDispatcherStoppedAt(g.xid, 0, [...e.ids, ...f.ids]);
      // their deliveries were finished and pruned: only the cursor says they were sent
      await sql(`delete from webhook_delivery where event_id = any($1::bigint[])`, [[...e.ids, ...f.ids]]);

      await orm.migrator.up();
      const next = stop === 'end of a transaction' ? BigInt(f.xid) + 1n : BigInt(g.xid);
      expect(await sql(`select cursor from webhook_cursor`)).toEqual([{ cursor: `{"from":"${next}:${next}:"}` }]);
      expect(await dispatch()).toBe(1);
      expect(await dispatch()).toBe(0);
      expect(await deliveriesOf([...e.ids, ...f.ids, ...g.ids])).toEqual(once(g.ids));
    }
  });

  it('the migration while a dispatcher of the old version is mid-run converts the cursor that run leaves, not the one before it', async () => {
    await orm.migrator.down({ to: BEFORE_CONVERSION }); // the old form
    const e = await transaction([0, 2]);
    await oldDispatcherStoppedAt(e.xid, 0, []); // before the old run: e not dispatched
    const old = await pool.connect();
    try {
      await old.query('begin');
      await old.query(`select horizon from webhook_cursor where name = 'webhooks' for update`);
      const migrating = orm.migrator.up();
      for (;;) {
        const [{ n }] = await sql<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
        if (Number(n) === 1) break;
        await new Promise((r) => setImmediate(r));
      }
      // The old run dispatches e (a full batch ending at e's last event) and moves its cursor.
      for (const id of e.ids) await old.query(`insert into webhook_delivery (endpoint_id, event_id, event_type, body, status, finished_at) values ($1, $2, 'tier.changed', '{}', 'DELIVERED', now())`, [endpointId, id]);
      await old.query(`update webhook_cursor set horizon = $1::xid8, last_event_id = $2 where name = 'webhooks'`, [e.xid, e.ids.at(-1)]);
      await old.query('commit');
      await migrating;
    } finally {
      old.release();
    }
    await sql(`delete from webhook_delivery where event_id = any($1::bigint[])`, [e.ids]); // finished and pruned since
    expect(await sql(`select cursor from webhook_cursor`)).toEqual([{ cursor: `{"from":"${BigInt(e.xid) + 1n}:${BigInt(e.xid) + 1n}:"}` }]);
    expect(await dispatch()).toBe(0);
    expect(await deliveriesOf(e.ids)).toEqual([]);
  });

  it('two dispatchers at once, a transaction held open across them with events in savepoints, pruning with the clock days ahead meanwhile: each committed event once', async () => {
    const batchOfTwo = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, WEBHOOK_DISPATCH_BATCH: '2', EVENT_RETENTION_HOURS: '1' });
    await orm.migrator.up();
    while ((await dispatch()) > 0);
    const d = await pool.connect();
    const committed: number[] = [];
    let rolledBack: number[] = [];
    try {
      // Begun before the runs, committed after some of them: one event before a savepoint, one in
      // a savepoint rolled back, one in a savepoint released.
      await d.query('begin');
      const held = [...(await transaction([1], d)).ids];
      await d.query('savepoint a');
      rolledBack = (await transaction([2], d)).ids;
      await d.query('rollback to savepoint a');
      await d.query('savepoint b');
      held.push(...(await transaction([0], d)).ids);
      await d.query('release savepoint b');
      // (customers 0 and 1's events wait for the held transaction: it holds their event streams)
      for (let i = 0; i < 7; i++) committed.push(...(await transaction([2])).ids);

      const prune = async () => {
        await committedLongAgo(sql, batchOfTwo.events.retentionHours, clock.now());
        return orm.em.fork().transactional((em) => pruneEvents({ ...jobContext(batchOfTwo), em }));
      };
      clock.advance(10 * 86_400_000); // every event is past the retention
      try {
        for (let round = 0; round < 2; round++) await Promise.all([dispatch(batchOfTwo), dispatch(batchOfTwo), prune()]);
        await d.query('commit');
        committed.push(...held);
        for (const owner of [0, 1, 2]) committed.push(...(await transaction([owner])).ids);
        for (;;) {
          const [a, b] = await Promise.all([dispatch(batchOfTwo), dispatch(batchOfTwo), prune()]);
          if (a + b === 0) break;
        }
      } finally {
        clock.reset();
      }
    } finally {
      d.release();
    }
    expect(await deliveriesOf([...committed, ...rolledBack])).toEqual(once([...committed].sort((x, y) => x - y)));
  });

  it('reads a backlog larger than a batch over several runs, each event once; pruning meanwhile removes none it has not read', async () => {
    const batchOfTwo = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, WEBHOOK_DISPATCH_BATCH: '2', EVENT_RETENTION_HOURS: '1' });
    while ((await dispatch()) > 0);
    const backlog: number[] = [];
    for (const owner of [0, 1, 2, 0, 1]) backlog.push(...(await transaction([owner])).ids);
    await sql(`update outbox_event set created_at = now() - interval '3 hours' where id = any($1::bigint[])`, [backlog]); // past the retention
    const chained = async () => Number((await sql<{ n: string }>(`select count(*) as n from job where kind = 'webhooks.dispatch'`))[0].n);
    const chainedBefore = await chained();

    expect(await dispatch(batchOfTwo)).toBe(2);
    const [{ cursor }] = await sql<{ cursor: string }>(`select cursor from webhook_cursor`);
    expect(JSON.parse(cursor)).toEqual({ from: expect.any(String), to: expect.any(String), after: [expect.any(Number), expect.any(Number)] });
    expect(await chained()).toBe(chainedBefore + 1); // a full batch enqueues the next run at once
    await committedLongAgo(sql, batchOfTwo.events.retentionHours, clock.now());
    await orm.em.fork().transactional((em) => pruneEvents({ ...jobContext(batchOfTwo), em }));
    const read = (await sql<{ event_id: string }>(`select event_id from webhook_delivery where event_id = any($1::bigint[])`, [backlog])).map((r) => Number(r.event_id));
    const left = (await sql<{ id: string }>(`select id from outbox_event where id = any($1::bigint[])`, [backlog])).map((r) => Number(r.id));
    expect(left).toEqual(expect.arrayContaining(backlog.filter((id) => !read.includes(id))));

    expect(await dispatch(batchOfTwo)).toBe(2);
    expect(await dispatch(batchOfTwo)).toBe(1);
    expect(await dispatch(batchOfTwo)).toBe(0);
    expect(JSON.parse((await sql<{ cursor: string }>(`select cursor from webhook_cursor`))[0].cursor)).toEqual({ from: expect.any(String) });
    expect(await deliveriesOf(backlog)).toEqual(once(backlog));
  });
});
