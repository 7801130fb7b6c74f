import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { BalanceChangedDocument } from '../generated/graphql.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, simpleShop } from '../support/program.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The event relay of an instance nobody listens to (no subscriber, no open socket): it moves its
 * cursor at most once a second (IDLE_CURSOR_MS) instead of on every poll, and a first subscriber
 * after a long idle still gets every event committed after it subscribed and none from before.
 */
describe('the event relay while idle', () => {
  let t: TestGateway;
  const clients: Client[] = [];

  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t.close();
  });

  it('runs about one statement a second on its connection while nobody listens (it ran one every poll)', async () => {
    // What an operator sees in pg_stat_activity: the relay's backend and when its last statement started.
    const lastStatement = async () =>
      (
        await t.sql<{ at: string }>(
          `select query_start::text as at from pg_stat_activity where application_name = 'reward-gateway event relay' and datname = current_database()`,
        )
      ).map((r) => r.at);
    expect(t.gateway.events.listenerCount()).toBe(0);
    expect(await lastStatement()).toHaveLength(1);
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      (await lastStatement()).forEach((at) => seen.add(at));
      await sleep(100);
    }
    // 3 s of sampling every 100 ms: one statement a second shows as 3–4 distinct start times;
    // one per 25 ms poll showed as one new start time per sample (~30).
    expect(seen.size).toBeLessThanOrEqual(5);
    expect(t.gateway.relay.stats().idleReads).toBeGreaterThanOrEqual(2);
  });

  it('gives a first subscriber after a long idle what commits after it subscribed, and nothing from before', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    // right after the idle relay moved its cursor, commit an event while nobody listens: the
    // relay reads it once a subscriber wants events (its cursor is older), and the subscriber's
    // stream drops it (it is before the subscription's start)
    const moves = t.gateway.relay.stats().idleReads;
    for (let waited = 0; t.gateway.relay.stats().idleReads === moves; waited += 5) {
      if (waited > 5_000) throw new Error('the idle relay never moved its cursor');
      await sleep(5);
    }
    const read = t.gateway.relay.stats().eventsRead;
    await adjust(t, customer.externalId, shop.currency, 7);
    const client = createClient({
      url: t.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${customer.token}` },
      retryAttempts: 0,
      lazy: true,
    });
    clients.push(client);
    const iterator = client.iterate<{ balanceChanged: { available: number; change: { amount: number } } }>({ query: BalanceChangedDocument.toString() });
    const first = iterator.next();
    for (let waited = 0; t.gateway.events.listenerCount() === 0; waited += 10) {
      if (waited > 10_000) throw new Error('the subscription never reached the server');
      await sleep(10);
    }
    await adjust(t, customer.externalId, shop.currency, 11);
    let timer: NodeJS.Timeout | undefined;
    const event = await Promise.race([first, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 5_000)))]).finally(() => clearTimeout(timer));
    expect(event?.value?.data?.balanceChanged).toMatchObject({ available: 18, change: { amount: 11 } });
    // both were read (the first from the older cursor) and only the second delivered
    expect(t.gateway.relay.stats().eventsRead - read).toBeGreaterThanOrEqual(2);
    await iterator.return?.();
  });
});
