import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startGatewayProcess, type GatewayProcess } from '../support/processes.js';
import { startOldGateway, type OldGateway } from '../support/old-gateway.js';
import { adjust, createCustomer, simpleShop } from '../support/program.js';
import { collect, openSocket, waitFor, type TestSocket } from '../support/ws.js';

type Balance = { balanceChanged: { eventId: string; available: number } };
const OLD = process.env.BREAK35_OLD ?? 'd4ae9bd';

/**
 * break35b-instances probe (held): a real rolling upgrade with EVENT_FANOUT=redis: a d4ae9bd instance
 * leads (old lock, row `redis`, channel `<prefix>:events`), then this build's instances start (one
 * inherits the old cursor), the old one stops. Subscribers on each build hear each change once, in order.
 */
describe(`EVENT_FANOUT=redis rolling upgrade from ${OLD} (break35b-instances)`, () => {
  const env = { REDIS_URL: 'redis://127.0.0.1:6379', EVENT_FANOUT: 'redis', RATE_LIMIT_KEY_PREFIX: `b35brr${process.pid}`, EVENT_POLL_MS: '20' };
  let t: TestGateway;
  let old: OldGateway | undefined;
  let n1: GatewayProcess | undefined;
  let n2: GatewayProcess | undefined;
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
    old = await startOldGateway(OLD, t.databaseUrl, { ...env, TEST_LOG_LEVEL: 'error' });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await Promise.all([n1, n2].map((p) => p?.terminate()));
    await old?.terminate();
    await t?.close();
  });

  it('each build hears each change once across the switch', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const sub = (url: string) => {
      const s = openSocket(url, customer.token);
      sockets.push(s);
      return collect<Balance>(s.client, 'subscription { balanceChanged { eventId available } }');
    };
    const onOld = sub(old!.url);
    await new Promise((r) => setTimeout(r, 1_000));
    let total = 0;
    const all: number[] = [];
    const step = async (k: number) => {
      for (let i = 0; i < k; i++) {
        total += 1 + (all.length % 7);
        all.push(total);
        await adjust(t, customer.externalId, shop.currency, 1 + ((all.length - 1) % 7));
      }
    };
    await step(5);
    const [{ n: oldRows }] = await t.sql<{ n: number }>(`select count(*)::int as n from event_relay_cursor where name = 'redis'`);
    expect(oldRows).toBe(1);
    n1 = await startGatewayProcess(t.databaseUrl, env);
    const onNew1 = sub(n1.url);
    await waitFor(async () => (await n1!.stats()).subscribers > 0, 10_000);
    const fromNew = all.length;
    await step(10);
    n2 = await startGatewayProcess(t.databaseUrl, env);
    const onNew2 = sub(n2.url);
    await waitFor(async () => (await n2!.stats()).subscribers > 0, 10_000);
    const fromNew2 = all.length;
    await step(5);
    await waitFor(() => onOld.results.length >= 20, 10_000).catch(() => undefined);
    await old!.terminate();
    old = undefined;
    await step(10);
    await waitFor(() => onNew1.results.length >= 25, 10_000).catch(() => undefined);
    await n1.terminate(); // this build's leader leaves; n2 takes over
    n1 = undefined;
    await step(10);
    await waitFor(() => onNew2.results.length >= all.length - fromNew2, 15_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1_000));
    const got = (c: typeof onOld) => c.results.map((r) => r.data?.balanceChanged.available);
    expect(got(onOld)).toEqual(all.slice(0, 20));
    expect(got(onNew1)).toEqual(all.slice(fromNew, fromNew + 25));
    expect(got(onNew2)).toEqual(all.slice(fromNew2));
    const rows = await t.sql<{ name: string }>(`select name from event_relay_cursor order by name`);
    expect(rows.map((r) => r.name)).toEqual(['redis', 'redis:deployment']);
  }, 180_000);
});
