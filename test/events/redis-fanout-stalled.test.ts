import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, simpleShop, unique } from '../support/program.js';
import { startOwnRedis, type OwnRedis } from '../support/redis.js';
import { collect, openSocket, waitFor, type TestSocket } from '../support/ws.js';

type Balance = { balanceChanged: { available: number } };
const BALANCE = `subscription { balanceChanged { available } }`;

/**
 * EVENT_FANOUT=redis with a Redis that stops answering while its connections stay open (SIGSTOP:
 * a network partition, a Redis stuck on a slow command). Hostile pass: the relay's Redis commands
 * had no time limit, so the outbox reader's PUBLISH, and on shutdown its QUIT, waited for as long as
 * Redis was stopped: the gateway could not stop. Now a command fails after a second: the reader
 * gives the page up (not its cursor) and reads it again, and subscribers get each event once when
 * Redis answers again (docs/decisions.md, "A database that stalls").
 */
describe('event fan-out through a Redis that stops answering', () => {
  let redis: OwnRedis;
  let t: TestGateway;
  let socket: TestSocket | undefined;
  let closed = false;

  beforeAll(async () => {
    redis = await startOwnRedis();
    t = await startTestGateway({ REDIS_URL: redis.url, EVENT_FANOUT: 'redis', RATE_LIMIT_STORE: 'postgres', RATE_LIMIT_KEY_PREFIX: unique('fo'), EVENT_POLL_MS: '10' });
  });
  afterAll(async () => {
    await socket?.dispose();
    await redis.kill();
    if (!closed) await t.close().catch(() => undefined);
  });

  it('delivers each event once after Redis answers again, and the gateway stops while Redis is stopped', async () => {
    await waitFor(() => t.gateway.relay.stats().reading, 15_000, 'the relay to read the outbox');
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    socket = openSocket(t.url, customer.token);
    const sub = collect<Balance>(socket.client, BALANCE);
    await waitFor(() => t.gateway.events.listenerCount() === 1, 5_000, 'the subscription');
    await adjust(t, customer.externalId, shop.currency, 10);
    expect((await sub.until(1)).map((r) => r.data!.balanceChanged.available)).toEqual([10]);

    redis.stall();
    await adjust(t, customer.externalId, shop.currency, 20); // committed; its event waits for Redis
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // past the relay's command bound
    redis.resume();
    expect((await sub.until(2)).map((r) => r.data!.balanceChanged.available)).toEqual([10, 30]);
    await adjust(t, customer.externalId, shop.currency, 5);
    expect((await sub.until(3))[2].data!.balanceChanged.available).toBe(35);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sub.results).toHaveLength(3);

    redis.stall();
    await socket.dispose();
    socket = undefined;
    closed = true;
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      t.close().then(() => 'stopped'),
      new Promise((resolve) => (timer = setTimeout(() => resolve('still stopping after 30 s'), 30_000))),
    ]);
    clearTimeout(timer);
    expect(stopped).toBe('stopped');
  });
});
