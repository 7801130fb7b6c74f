import { Redis } from 'ioredis';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, simpleShop } from '../support/program.js';
import { startOwnRedis, type OwnRedis } from '../support/redis.js';
import { subscribed, waitFor, type TestSocket } from '../support/ws.js';

type Balance = { balanceChanged: { eventId: string; available: number } };

/**
 * EVENT_FANOUT=redis (hostile pass 12): Redis pub/sub hands nothing to a subscriber while it
 * reconnects (Redis restarted, the connection killed, its output buffer over the limit). What the
 * reader published meanwhile still reaches the subscribers: their streams read the outbox again.
 */
describe('EVENT_FANOUT=redis when an instance’s Redis subscription drops', () => {
  let t: TestGateway;
  let redis: OwnRedis;
  let admin: Redis;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    redis = await startOwnRedis();
    admin = new Redis(redis.url);
    t = await startTestGateway({ REDIS_URL: redis.url, EVENT_FANOUT: 'redis', EVENT_POLL_MS: '10' });
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t.close();
    admin.disconnect();
    await redis.kill();
  });

  it('delivers what was published while the subscription was down, once and in order (it was lost)', async () => {
    await waitFor(() => t.gateway.relay.stats().reading, 10_000, 'the reader');
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const { socket, sub } = await subscribed<Balance>(t.url, t.gateway.events, customer.token, 'subscription { balanceChanged { eventId available } }');
    sockets.push(socket);
    const rounds = 5;
    for (let i = 0; i < rounds; i++) {
      // the pub/sub connection killed: ioredis reconnects after ~50 ms; the event is published sooner
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await adjust(t, customer.externalId, shop.currency, 1);
      await new Promise((r) => setTimeout(r, 300));
    }
    await adjust(t, customer.externalId, shop.currency, 1);
    const results = await sub.until(rounds + 1, 5_000).catch(() => sub.results);
    expect(results.map((r) => Number(r.data?.balanceChanged.eventId))).toEqual(Array.from({ length: rounds + 1 }, (_, i) => i + 1));
  });
});
