import type pg from 'pg';
import { dispatcherDatabasePerBlock } from '../support/dispatcher-database.js';

/**
 * held38e (live): the removal windows' prune (pruneRemovalWindows) against a dispatcher that pages one
 * event at a time (WEBHOOK_DISPATCH_BATCH=1: every run leaves the cursor mid-window, `to`/`after`),
 * removals and enables between its runs, and a transaction begun before a removal that commits inside
 * its window while the dispatcher is behind. Every live event is dispatched once, no event of a removed
 * time is, and the windows are dropped once read past.
 */
describe('held38e-live: removal windows pruned while the dispatcher pages through them', () => {
  const db = dispatcherDatabasePerBlock({ env: { WEBHOOK_DISPATCH_BATCH: '1' }, poolMax: 6 });
  const { sql, dispatch } = db;
  let customerId = '';
  let endpointId = '';
  const event = async (mark: string, session: { query: pg.Pool['query'] } = db.pool) =>
    (await session.query(`insert into outbox_event (topic, customer_id, payload) values ('TIER_CHANGED', $1, $2) returning id`, [customerId, { to: 'GOLD', mark }])).rows[0].id as string;
  // as removeEndpoint and enableWebhookEndpoint write them
  const remove = () =>
    sql(`update webhook_endpoint e set disabled_at = now(), removed_windows = e.removed_windows || jsonb_build_array(jsonb_build_object('from', pg_current_snapshot()::text, 'to', null)) where id = $1 and disabled_at is null`, [endpointId]);
  const enable = () =>
    sql(
      `update webhook_endpoint e set disabled_at = null, generation = e.generation + 1,
         removed_windows = jsonb_set(e.removed_windows, array[(jsonb_array_length(e.removed_windows) - 1)::text, 'to'], to_jsonb(pg_current_snapshot()::text))
       where id = $1 and disabled_at is not null`,
      [endpointId],
    );
  const sentMarks = async () =>
    (await sql<{ mark: string }>(`select o.payload->>'mark' as mark from webhook_delivery d join outbox_event o on o.id = d.event_id where d.endpoint_id = $1 order by 1`, [endpointId])).map((r) => r.mark);

  it('sends each live event once and no removed-time event', async () => {
    [{ id: customerId }] = await sql<{ id: string }>(`insert into customer (external_id) values ('h1') returning id`);
    [{ id: endpointId }] = await sql<{ id: string }>(
      `insert into webhook_endpoint (url, event_types, secret, created_by, created_at, receives_from)
       values ('http://127.0.0.1:9/hook', '{tier.changed}', 'whsec_dGVzdA==', 'test', now(), pg_current_snapshot()::text) returning id`,
    );
    expect(await dispatch()).toBe(0);

    const long = await db.pool.connect();
    try {
      await long.query('begin');
      await long.query('select pg_current_xact_id()'); // its xid taken before the first removal
      await event('live-1');
      await event('live-2');
      await remove();
      await event('removed-1');
      await long.query(`insert into outbox_event (topic, customer_id, payload) values ('TIER_CHANGED', $1, '{"to":"GOLD","mark":"removed-long"}')`, [customerId]);
      await long.query('commit'); // inside the first window
      await event('removed-2');
      await enable();
      await event('live-3');
      // the dispatcher pages one event a run; removals and enables between its runs
      for (let round = 0; round < 6; round++) {
        await dispatch();
        await remove();
        await event(`removed-r${round}`);
        await enable();
        await event(`live-r${round}`);
      }
      for (let i = 0; i < 60; i++) await dispatch();
    } finally {
      long.release();
    }
    const marks = await sentMarks();
    expect(marks.filter((m) => m.startsWith('removed'))).toEqual([]);
    expect(marks).toEqual(['live-1', 'live-2', 'live-3', 'live-r0', 'live-r1', 'live-r2', 'live-r3', 'live-r4', 'live-r5']);
    // read past: the windows are dropped after a run that read events. Snapshots are the whole
    // cluster's, so another database's open transaction (a test beside this one) may hold the
    // cursor's xmin back: every window the cursor had read past when the run began is gone,
    // whatever that leaves.
    await event('live-end');
    const [{ from }] = await sql<{ from: string }>(`select cursor::jsonb->>'from' as from from webhook_cursor`);
    await dispatch(); // reads live-end, then prunes by the cursor it began with
    const [row] = await sql<{ readPast: number; kept: number }>(
      `select count(*) filter (where w->>'to' is not null and pg_snapshot_xmax((w->>'to')::pg_snapshot) <= pg_snapshot_xmin($2::pg_snapshot))::int as "readPast",
              count(w)::int as kept
         from webhook_endpoint e left join lateral jsonb_array_elements(e.removed_windows) w on true
        where e.id = $1`,
      [endpointId, from],
    );
    expect(row.readPast).toBe(0);
    expect(row.kept).toBeLessThanOrEqual(7);
  });
});
