import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, eventually, simpleShop } from '../support/program.js';
import { subscribed, waitFor, type TestSocket } from '../support/ws.js';

const RELAY = 'reward-gateway event relay';

type Balance = { balanceChanged: { eventId: string; available: number } };

/**
 * The event relay's connection lost (hostile pass 12): what commits while it is down and
 * reconnecting still reaches the subscribers it had, once, in order.
 */
describe('an event relay whose connection is lost', () => {
  let t: TestGateway;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t.close();
  });

  const relayBackends = () =>
    t.sql<{ pid: number; started: string }>(
      `select pid, backend_start::text as started from pg_stat_activity where application_name = $1 and datname = current_database()`,
      [RELAY],
    );

  it('delivers what committed while it reconnected (its cursor went to the present and passed it by)', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const { socket, sub } = await subscribed<Balance>(t.url, t.gateway.events, customer.token, 'subscription { balanceChanged { eventId available } }');
    sockets.push(socket);
    await adjust(t, customer.externalId, shop.currency, 1);
    await sub.until(1);

    const [old] = await relayBackends();
    await t.sql(`select pg_terminate_backend($1)`, [old.pid]);
    await eventually(async () => (await relayBackends()).length === 0);
    // committed while the relay has no connection (it tries again after 500 ms)
    await adjust(t, customer.externalId, shop.currency, 2);
    const [{ committed }] = await t.sql<{ committed: string }>(`select now()::text as committed`);
    const [again] = await eventually(async () => {
      const now = await relayBackends();
      return now.length === 1 && now[0].pid !== old.pid ? now : null;
    }, 15_000);
    // (what this test is about: the commit came before the relay was back)
    expect((await t.sql<{ before: boolean }>(`select $1::timestamptz < $2::timestamptz as before`, [committed, again.started]))[0].before).toBe(true);
    await adjust(t, customer.externalId, shop.currency, 4);
    const results = await sub.until(3, 5_000).catch(() => sub.results);
    expect(results.map((r) => r.data?.balanceChanged.available)).toEqual([1, 3, 7]);
    expect(results.map((r) => Number(r.data?.balanceChanged.eventId))).toEqual([1, 2, 3]);
    sub.stop();
  });
});
