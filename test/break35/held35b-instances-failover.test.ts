import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startGatewayProcess, type GatewayProcess } from '../support/processes.js';
import { adjust, createCustomer, simpleShop } from '../support/program.js';
import { collect, openSocket, waitFor, type TestSocket } from '../support/ws.js';

type Balance = { balanceChanged: { eventId: string; available: number } };

/**
 * break35b-instances probe (held): EVENT_FANOUT=redis, three instances on one database: A (the test's
 * own, fan-out off, the writer), B (child, the first leader) and C, D (children, followers).
 * B is killed with SIGKILL while adjustments flow; subscribers on C and D must hear every balance once, in order.
 */
describe('EVENT_FANOUT=redis leader killed -9 under the deployment-scoped lock (break35b-instances)', () => {
  const prefix = `b35bfo${process.pid}`;
  const redisEnv = { REDIS_URL: 'redis://127.0.0.1:6379', EVENT_FANOUT: 'redis', RATE_LIMIT_KEY_PREFIX: prefix, EVENT_POLL_MS: '20' };
  let t: TestGateway;
  let b: GatewayProcess | undefined;
  let c: GatewayProcess | undefined;
  let d: GatewayProcess | undefined;
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
    b = await startGatewayProcess(t.databaseUrl, redisEnv);
    [c, d] = await Promise.all([startGatewayProcess(t.databaseUrl, redisEnv), startGatewayProcess(t.databaseUrl, redisEnv)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await Promise.all([b, c, d].map((p) => p?.terminate()));
    await t?.close();
  });

  it('every balance change reaches subscribers on the survivors exactly once, in order', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const subs = [c!, d!].map((p) => {
      const s = openSocket(p.url, customer.token);
      sockets.push(s);
      return collect<Balance>(s.client, 'subscription { balanceChanged { eventId available } }');
    });
    await waitFor(async () => (await c!.stats()).subscribers > 0 && (await d!.stats()).subscribers > 0, 10_000, 'subscribers');
    const n = 40;
    const expected: number[] = [];
    let total = 0;
    for (let i = 1; i <= n; i++) {
      total += i;
      expected.push(total);
      await adjust(t, customer.externalId, shop.currency, i);
      if (i === 12) b!.child.kill('SIGKILL');
    }
    await waitFor(() => subs.every((s) => s.results.length >= n), 20_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1_000));
    for (const s of subs) expect(s.results.map((r) => r.data?.balanceChanged.available)).toEqual(expected);
    const [{ cursor }] = await t.sql<{ cursor: string }>(`select count(*)::text as cursor from event_relay_cursor where name = 'redis:deployment'`);
    expect(cursor).toBe('1');
  }, 90_000);
});
