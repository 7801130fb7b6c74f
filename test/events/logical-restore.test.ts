import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import pino from 'pino';
import { AdjustableClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { decodeCursor, readCommittedEvents } from '../../src/events/outbox.reader.js';
import { assertOutboxClock, rebaseOutbox } from '../../src/events/outbox.rebase.js';
import { dispatchWebhooks } from '../../src/webhooks/webhook.jobs.js';
import { createMigratedDatabase, TEST_JWT_SECRET, testPool } from '../support/gateway.js';

/**
 * A database dumped from one cluster and restored into another (pg_dump/pg_restore, the way to
 * another PostgreSQL major version): the outbox's `xid`s and the saved cursors count in the old
 * cluster's numbering, far ahead of the new one's. Simulated on a real database by writing them
 * `gap` transactions past its present. Without the repair, the webhook dispatcher passes by an
 * event committed before its first run and sends an old event again once the counter passes it;
 * the gateway now refuses to start on such a database, and `rebaseOutbox` (npm run outbox --
 * rebase) sends what the old dispatcher had not sent, once, and nothing it had.
 */
describe('an outbox restored from another cluster', () => {
  const clock = new AdjustableClock();
  const log = pino({ level: 'silent' });
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let orm: MikroORM;
  let pool: pg.Pool;
  let customer: string;
  const config = () => loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: database.url });

  beforeEach(async () => {
    database = await createMigratedDatabase();
    orm = await openOrm({ url: database.url, poolMax: 4 });
    pool = testPool({ connectionString: database.url, max: 4 });
    [{ id: customer }] = await sql<{ id: string }>(`insert into customer (external_id) values ('c1') returning id`);
    await sql(`insert into webhook_endpoint (url, event_types, secret, created_by, created_at) values ('http://127.0.0.1:9/hook', '{tier.changed}', 'whsec_dGVzdA==', 'test', now() - interval '1 day')`);
  });
  afterEach(async () => {
    await pool.end();
    await orm.close();
    await database.drop();
  });

  const sql = async <R>(text: string, values: unknown[] = []) => (await pool.query(text, values)).rows as R[];
  const dispatch = () => orm.em.fork().transactional((em) => dispatchWebhooks({ em, clock, config: config(), log } as Parameters<typeof dispatchWebhooks>[0]));
  const event = async (xid?: string) =>
    Number(
      (
        await sql<{ id: string }>(
          xid === undefined
            ? `insert into outbox_event (topic, customer_id, payload) values ('TIER_CHANGED', $1, '{"to":"GOLD"}') returning id`
            : `insert into outbox_event (topic, customer_id, payload, xid) values ('TIER_CHANGED', $1, '{"to":"GOLD"}', $2::xid8) returning id`,
          xid === undefined ? [customer] : [customer, xid],
        )
      )[0].id,
    );
  /** Deliveries per event of `ids`, in order (0 for none). */
  const deliveries = async (ids: number[]) => {
    const rows = await sql<{ event_id: string; n: string }>(`select event_id, count(*) as n from webhook_delivery where event_id = any($1::bigint[]) group by event_id`, [ids]);
    return ids.map((id) => Number(rows.find((r) => Number(r.event_id) === id)?.n ?? 0));
  };
  /** Takes `n` transaction numbers, each in a transaction of its own. */
  const burn = (n: number) => sql(`do $$ begin for i in 1..${n} loop perform pg_current_xact_id(); commit; end loop; end $$`);

  /**
   * What the restore leaves, `gap` transactions ahead of this cluster: the old dispatcher's cursor
   * at snapshot `old:old:` (a Redis relay's too), an event it had sent (xid old - 10; its
   * delivery pruned since) and one it had not (old + 5, committed after its last run).
   */
  const restoredFrom = async (gap: number) => {
    const [{ now }] = await sql<{ now: string }>(`select pg_snapshot_xmax(pg_current_snapshot())::text as now`);
    const old = BigInt(now) + BigInt(gap);
    const cursor = JSON.stringify({ from: `${old}:${old}:` });
    await sql(`insert into webhook_cursor (name, cursor) values ('webhooks', $1) on conflict (name) do update set cursor = excluded.cursor`, [cursor]);
    await sql(`insert into event_relay_cursor (name, cursor) values ('redis', $1)`, [cursor]);
    return { sent: await event(String(old - 10n)), unsent: await event(String(old + 5n)) };
  };

  it('before the repair, the dispatcher passes by a new event and sends an old one again (the fault this guards against)', async () => {
    const { sent, unsent } = await restoredFrom(1_000);
    const fresh = await event();
    await dispatch();
    expect(await deliveries([sent, unsent, fresh])).toEqual([0, 0, 0]); // fresh passed by: the first run moved the cursor past it
    await burn(1_020);
    await dispatch();
    expect(await deliveries([sent, unsent, fresh])).toEqual([1, 1, 0]); // sent: a second time; fresh: never
  });

  it('start-up\'s check refuses it, naming what is ahead and the repair; after the repair it passes', async () => {
    await restoredFrom(1_000_000);
    const check = () => assertOutboxClock(orm.em.fork().getKysely()).then(() => 'started', (error: Error) => `${error.name}: ${error.message}`);
    const refused = await check();
    expect(refused).toMatch(/^StartupError: The outbox holds transaction numbers this database has not reached \(webhook_cursor webhooks at \d+, event_relay_cursor redis at \d+, outbox_event at \d+; it is at \d+\)/);
    expect(refused).toContain('run `npm run outbox -- rebase` once');

    await orm.em.fork().transactional((em) => rebaseOutbox(em));
    expect(await check()).toBe('started');
  });

  it('a dispatcher stopped inside a window (a full batch): what it had read of the window stays read, the rest of the window is sent once', async () => {
    const [{ now }] = await sql<{ now: string }>(`select pg_snapshot_xmax(pg_current_snapshot())::text as now`);
    const old = BigInt(now) + 1_000_000n;
    // three events of one transaction old + 5, committed inside the window old → old + 10; the batch stopped after the first
    const window = [await event(String(old + 5n)), await event(String(old + 5n)), await event(String(old + 5n))];
    const [{ seq }] = await sql<{ seq: string }>(`select customer_seq::text as seq from outbox_event where id = $1`, [window[0]]);
    await sql(`insert into webhook_cursor (name, cursor) values ('webhooks', $1)`, [
      JSON.stringify({ from: `${old}:${old}:`, to: `${old + 10n}:${old + 10n}:`, after: [Number(customer), Number(seq)] }),
    ]);
    expect(await orm.em.fork().transactional((em) => rebaseOutbox(em))).toMatchObject({ read: 1, toDispatch: 2 });
    await dispatch();
    await dispatch();
    expect(await deliveries(window)).toEqual([0, 1, 1]);
  });

  it('after the repair, what the old dispatcher had not sent is sent once, what it had sent is not sent again, and new events are read', async () => {
    const { sent, unsent } = await restoredFrom(1_000);
    expect(await orm.em.fork().transactional((em) => rebaseOutbox(em))).toMatchObject({ read: 1, toDispatch: 1 });
    const fresh = await event();
    await dispatch();
    expect(await deliveries([sent, unsent, fresh])).toEqual([0, 1, 1]);
    await burn(1_020); // past every number the old cluster wrote
    const later = await event();
    await dispatch();
    await dispatch();
    expect(await deliveries([sent, unsent, fresh, later])).toEqual([0, 1, 1, 1]);

    // The Redis relay goes on from the repair: it reads what committed after it, nothing restored.
    const [{ cursor }] = await sql<{ cursor: string }>(`select cursor from event_relay_cursor where name = 'redis'`);
    const page = await readCommittedEvents(orm.em.fork().getKysely(), decodeCursor(cursor));
    expect(page.events.map((e) => e.rowId)).toEqual([fresh, later]);
    // and the prune may take the restored events the dispatcher has passed (xid visible in its cursor)
    const [{ passed }] = await sql<{ passed: string }>(
      `select count(*) as passed from outbox_event o, webhook_cursor c where c.name = 'webhooks' and pg_visible_in_snapshot(o.xid, (c.cursor::json->>'from')::pg_snapshot)`,
    );
    expect(Number(passed)).toBe(4);
  });
});
