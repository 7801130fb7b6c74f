import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { openOrm } from '../../src/db/orm.js';
import { createTestDatabase, testPool } from '../support/gateway.js';

const BEFORE = 'Migration20261205051000';

/**
 * held36c (migrations): Migration20261205060000 (partner bodies lose data.change.reason) and
 * Migration20261205061000 (job.tenant_key, filled for queued deliveries) on a database with odd
 * rows: a disabled endpoint's queued delivery, the program's endpoint, jobs with no deliveryId or
 * a deliveryId of nothing, done jobs, a change with a null reason or no change, other events; then
 * down and up again; and 20,000 queued deliveries.
 */
describe('held36c migrations: odd rows, down and up again', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let orm: MikroORM;
  let pool: pg.Pool;
  const sql = async <R>(text: string, values: unknown[] = []) => (await pool.query(text, values)).rows as R[];

  beforeAll(async () => {
    database = await createTestDatabase();
    orm = await openOrm({ url: database.url, poolMax: 4 });
    await orm.migrator.up({ to: BEFORE });
    pool = testPool({ connectionString: database.url, max: 4 });
  });
  afterAll(async () => {
    await pool.end();
    await orm.close();
    await database.drop();
  });

  it('rewrites only partner balance.changed reasons, gives queued partner deliveries their tenant, survives down and up', async () => {
    const [{ id: partnerId }] = await sql<{ id: string }>(
      `insert into partner (name, key_prefix, key_hash, scopes) values ('p', 'pk_p', 'hash-p', '{customers:read}') returning id`,
    );
    const [{ id: customerId }] = await sql<{ id: string }>(`insert into customer (external_id) values ('c-1') returning id`);
    const newEvent = async () =>
      (await sql<{ id: string }>(`insert into outbox_event (topic, customer_id, payload) values ('BALANCE_CHANGED', $1, '{}') returning id`, [customerId]))[0].id;
    const endpoint = async (partner: string | null, disabled: boolean) =>
      (
        await sql<{ id: string }>(
          `insert into webhook_endpoint (url, event_types, secret, created_by, partner_id, created_at, disabled_at)
           values ('http://127.0.0.1:9/h', '{balance.changed}', 'whsec_dGVzdA==', 'test', $1, now(), case when $2 then now() end) returning id`,
          [partner, disabled],
        )
      )[0].id;
    const live = await endpoint(partnerId, false);
    const disabled = await endpoint(partnerId, true);
    const program = await endpoint(null, false);
    const body = (reason: unknown, change = true) =>
      JSON.stringify({ type: 'balance.changed', timestamp: '2026-12-01T00:00:00.000Z', data: { eventId: '1', customer: { id: 'x', externalId: 'c-1' }, balance: { currency: 'S', available: 1, pending: 0, lifetimeEarned: 1 }, change: change ? { amount: 1, kind: 'ADJUST', reason } : null } });
    const delivery = async (endpointId: string, type: string, text: string) =>
      (await sql<{ id: string }>(`insert into webhook_delivery (endpoint_id, event_id, event_type, body) values ($1, $2, $3, $4) returning id`, [endpointId, await newEvent(), type, text]))[0].id;
    const d = {
      live: await delivery(live, 'balance.changed', body('staff note: "ü\\n"')),
      disabled: await delivery(disabled, 'balance.changed', body('other partner return')),
      program: await delivery(program, 'balance.changed', body('kept')),
      nullReason: await delivery(live, 'balance.changed', body(null)),
      noChange: await delivery(live, 'balance.changed', body('x', false)),
      tier: await delivery(live, 'tier.changed', '{"type":"tier.changed","data":{"reason":"kept"}}'),
    };
    const job = async (payload: string, status = 'PENDING') =>
      (await sql<{ id: string }>(`insert into job (kind, payload, run_at, max_attempts, status) values ('webhooks.deliver', $1::jsonb, now(), 3, $2) returning id`, [payload, status]))[0].id;
    const j = {
      live: await job(JSON.stringify({ deliveryId: Number(d.live) })),
      liveAsText: await job(JSON.stringify({ deliveryId: String(d.nullReason) })),
      disabled: await job(JSON.stringify({ deliveryId: Number(d.disabled) })),
      program: await job(JSON.stringify({ deliveryId: Number(d.program) })),
      none: await job('{}'),
      nothing: await job('{"deliveryId": 999999}'),
      odd: await job('{"deliveryId": "abc"}'),
      done: await job(JSON.stringify({ deliveryId: Number(d.tier) }), 'DONE'),
    };
    // many queued deliveries
    await sql(
      `with es as (insert into outbox_event (topic, customer_id, payload) select 'BALANCE_CHANGED', $2, '{}' from generate_series(1, 20000) returning id),
            ds as (insert into webhook_delivery (endpoint_id, event_id, event_type, body)
                   select $1, es.id, 'balance.changed', $3 from es returning id)
       insert into job (kind, payload, run_at, max_attempts) select 'webhooks.deliver', jsonb_build_object('deliveryId', id), now(), 3 from ds`,
      [live, customerId, body('bulk note')],
    );

    const check = async () => {
      const bodies = Object.fromEntries(
        await Promise.all(Object.entries(d).map(async ([k, id]) => [k, JSON.parse((await sql<{ body: string }>(`select body from webhook_delivery where id = $1`, [id]))[0].body)])),
      );
      const tenants = Object.fromEntries(
        await Promise.all(Object.entries(j).map(async ([k, id]) => [k, (await sql<{ t: string | null }>(`select tenant_key as t from job where id = $1`, [id]))[0].t])),
      );
      const [bulk] = await sql<{ untenanted: number; withReason: number }>(
        `select count(*) filter (where j.tenant_key is null)::int as untenanted,
                (select count(*) from webhook_delivery where body like '%bulk note%')::int as "withReason"
           from job j where j.kind = 'webhooks.deliver' and j.status = 'PENDING'`,
      );
      return { bodies, tenants, bulk };
    };
    await orm.migrator.up();
    const first = await check();
    const tenant = `webhook-partner:${partnerId}`;
    expect(first.bodies.live.data.change).toEqual({ amount: 1, kind: 'ADJUST' });
    expect(first.bodies.disabled.data.change).toEqual({ amount: 1, kind: 'ADJUST' });
    expect(first.bodies.program.data.change.reason).toBe('kept');
    expect(first.bodies.nullReason.data.change).toEqual({ amount: 1, kind: 'ADJUST' });
    expect(first.bodies.noChange.data.change).toBeNull();
    expect(first.bodies.tier.data.reason).toBe('kept');
    expect(first.tenants).toEqual({ live: tenant, liveAsText: tenant, disabled: tenant, program: null, none: null, nothing: null, odd: null, done: null });
    expect(first.bulk).toEqual({ untenanted: 4, withReason: 0 });

    await orm.migrator.down({ to: BEFORE });
    await orm.migrator.up();
    expect(await check()).toEqual(first);
  }, 120_000);
});
