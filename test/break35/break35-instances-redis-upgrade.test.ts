import pg from 'pg';
import pino from 'pino';
import { startGateway, type Gateway } from '../../src/http/server.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, simpleShop } from '../support/program.js';
import { waitFor } from '../support/ws.js';

/**
 * break35-instances, the fix's upgrade path: since the fan-out channel carries the deployment's id,
 * this build's Redis relay has a leader lock and a cursor row of its own
 * (`reward_gateway_event_relay:deployment`, `redis:deployment`), apart from the builds before
 * (`reward_gateway_event_relay`, `redis`), which publish on `<prefix>:events`. During a rolling
 * upgrade an old leader holding the old lock does not keep this build's instances from having a
 * leader (they would hear nothing), and this build's first leader starts where the old one had
 * published to, so what committed meanwhile is published on the new channel too.
 */
describe('EVENT_FANOUT=redis across the upgrade to deployment-scoped channels (break35-instances)', () => {
  const env = { REDIS_URL: 'redis://127.0.0.1:6379', EVENT_FANOUT: 'redis', RATE_LIMIT_KEY_PREFIX: `b35up${process.pid}`, EVENT_POLL_MS: '20' };
  let t: TestGateway;
  let other: Gateway | undefined;
  let oldLeader: pg.Client | undefined;
  beforeAll(async () => {
    t = await startTestGateway(env, { jobs: 'manual' });
  }, 60_000);
  afterAll(async () => {
    await other?.close();
    await oldLeader?.end();
    await t?.close();
  });

  it("leads beside an older build's leader and starts from the older build's cursor", async () => {
    await waitFor(() => t.gateway.relay.stats().reading, 10_000, 'the first leader');
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    // As the database stood before the upgrade: the older build's leader holds its lock and its
    // cursor row, and this build's row is not there yet.
    await t.gateway.relay.stop();
    const [{ cursor }] = await t.sql<{ cursor: string }>(`select cursor from event_relay_cursor where name = 'redis:deployment'`);
    await t.sql(`delete from event_relay_cursor where name = 'redis:deployment'`);
    await t.sql(`insert into event_relay_cursor (name, cursor) values ('redis', $1)`, [cursor]);
    oldLeader = new pg.Client({ connectionString: t.databaseUrl });
    await oldLeader.connect();
    await oldLeader.query(`select pg_advisory_lock(hashtext('reward_gateway_event_relay'))`);
    // committed after the older build's leader last published
    await adjust(t, customer.externalId, shop.currency, 7);

    other = await startGateway({ config: t.config, orm: t.orm, databaseUrl: t.databaseUrl, clock: t.clock, log: pino({ level: 'silent' }) }, 0, '127.0.0.1');
    await waitFor(() => other!.relay.stats().reading, 10_000, 'a leader of this build beside the old one');
    await waitFor(() => other!.relay.stats().eventsRead >= 1, 5_000, 'the event committed before it led, read from the inherited cursor');
    expect((await t.sql(`select name from event_relay_cursor order by name`)).map((r) => (r as { name: string }).name)).toEqual(['redis', 'redis:deployment']);
  });
});
