import type { MikroORM } from "@mikro-orm/postgresql";
import pg from "pg";
import pino from "pino";
import { AdjustableClock } from "../../src/clock.js";
import { loadConfig } from "../../src/config.js";
import { openOrm } from "../../src/db/orm.js";
import { JOB_HANDLERS } from "../../src/jobs/registry.js";
import { JobRunner } from "../../src/jobs/runner.js";
import {
  createTestDatabase,
  TEST_JWT_SECRET,
  testPool,
} from "../support/gateway.js";

/** The last migration before the job tenant (Migration20261205061000): what an installation had when it upgraded. */
const BEFORE_TENANT = "Migration20261205051000";

/**
 * break36b (webhooks): WEBHOOK_PARTNER_CONCURRENCY was brought in for a partner whose endpoints hang
 * and hold every delivery loop. The installation that upgrades because of it has that partner's
 * deliveries queued already (jobs of `webhooks.deliver`, written with their endpoint's group and no
 * tenant). Migration20261205061000 adds `job.tenant_key` but leaves those rows null, so the claim
 * treats them as the program's (no partner bound): after the upgrade the hog's backlog still takes
 * one loop per endpoint, exactly what the mend was for, until every queued delivery has run out its
 * attempts. The migration should give the queued deliveries their endpoint's partner, as the
 * dispatcher, retries and replays now do (endpointTenant).
 */
describe("break36b webhooks: deliveries queued before the upgrade", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let orm: MikroORM;
  let pool: pg.Pool;
  const clock = new AdjustableClock();
  const config = loadConfig({ NODE_ENV: "test", JWT_SECRET: TEST_JWT_SECRET });
  const sql = async <R>(text: string, values: unknown[] = []) =>
    (await pool.query(text, values)).rows as R[];

  beforeAll(async () => {
    database = await createTestDatabase();
    orm = await openOrm({ url: database.url, poolMax: 4 });
    await orm.migrator.up({ to: BEFORE_TENANT });
    pool = testPool({ connectionString: database.url, max: 4 });
  });
  afterAll(async () => {
    await pool.end();
    await orm.close();
    await database.drop();
  });

  it("one partner's two endpoints: at most WEBHOOK_PARTNER_CONCURRENCY (1) of its queued deliveries claimed at once", async () => {
    const [{ id: partnerId }] = await sql<{ id: string }>(
      `insert into partner (name, key_prefix, key_hash, scopes) values ('hog', 'pk_hog', 'hash-hog', '{customers:read,webhooks:manage}') returning id`,
    );
    const [{ id: customerId }] = await sql<{ id: string }>(
      `insert into customer (external_id) values ('c-hog') returning id`,
    );
    const [{ id: eventId }] = await sql<{ id: string }>(
      `insert into outbox_event (topic, customer_id, payload) values ('TIER_CHANGED', $1, '{"to":"GOLD"}') returning id`,
      [customerId],
    );
    for (const n of [1, 2]) {
      const [{ id: endpointId }] = await sql<{ id: string }>(
        `insert into webhook_endpoint (url, event_types, secret, created_by, partner_id, created_at)
         values ($1, '{tier.changed}', 'whsec_dGVzdA==', 'test', $2, now() - interval '1 day') returning id`,
        [`http://127.0.0.1:9/hook-${n}`, partnerId],
      );
      const [{ id: deliveryId }] = await sql<{ id: string }>(
        `insert into webhook_delivery (endpoint_id, event_id, event_type, body) values ($1, $2, 'tier.changed', '{}') returning id`,
        [endpointId, eventId],
      );
      // as the build before the mend enqueued it (enqueueDelivery: the endpoint's group, no tenant)
      await sql(
        `insert into job (kind, payload, run_at, max_attempts, group_key) values ('webhooks.deliver', jsonb_build_object('deliveryId', $1::bigint), now() - interval '1 minute', 3, $2)`,
        [deliveryId, `webhook-endpoint:${endpointId}`],
      );
    }
    await orm.migrator.up(); // the upgrade

    const runner = new JobRunner(
      { orm, clock, config, log: pino({ level: "silent" }) },
      JOB_HANDLERS,
      { groupConcurrency: 1, tenantConcurrency: 1 },
    );
    const first = await runner.claim();
    const second = await runner.claim(); // another loop (or instance) while the first is in flight
    const tenants = await sql<{ tenant_key: string | null }>(
      `select tenant_key from job where kind = 'webhooks.deliver' order by id`,
    );
    expect({
      first: first?.kind,
      second: second?.kind ?? null,
      tenants: tenants.map((r) => r.tenant_key),
    }).toEqual({
      first: "webhooks.deliver",
      second: null,
      tenants: [`webhook-partner:${partnerId}`, `webhook-partner:${partnerId}`],
    });
  });
});
