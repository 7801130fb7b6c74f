import { Redis } from 'ioredis';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, simpleShop } from '../support/program.js';
import { startOwnRedis, type OwnRedis } from '../support/redis.js';
import { pruneAt } from '../support/retention.js';
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

  /** A new customer with a live balance subscription on the gateway, once the instance reads the outbox. */
  async function balanceSubscriber() {
    await waitFor(() => t.gateway.relay.stats().reading, 10_000, 'the reader');
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const { socket, sub } = await subscribed<Balance>(t.url, t.gateway.events, customer.token, 'subscription { balanceChanged { eventId available } }');
    sockets.push(socket);
    return { shop, customer, sub };
  }

  it('delivers what was published while the subscription was down, once and in order (it was lost)', async () => {
    const { shop, customer, sub } = await balanceSubscriber();
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

  /**
   * The resync reads through the replay's gap check (relay-12): an event missed while the
   * subscription was down and pruned before the stream's outbox read is not skipped without a word.
   */
  it('ends the stream with EVENT_ID_EXPIRED when an event missed while the subscription was down is pruned before the resync reads it (not a silent gap)', async () => {
    const { shop, customer, sub } = await balanceSubscriber();
    await adjust(t, customer.externalId, shop.currency, 1);
    expect((await sub.until(1)).map((r) => r.data?.balanceChanged.eventId)).toEqual(['1']);

    // The subscription killed and kept from coming back (Redis takes no new connection) while 2 and
    // 3 are published: both missed. 2 was written half an hour inside the window; the prune an hour
    // on takes it (once the reader has published it: the prune waits for the relay's saved cursor).
    const connected = String(await admin.call('CLIENT', 'LIST')).trim().split('\n').length;
    await admin.call('CONFIG', 'SET', 'maxclients', String(connected - 1));
    try {
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await adjust(t, customer.externalId, shop.currency, 2);
      await adjust(t, customer.externalId, shop.currency, 3);
      const retentionMs = t.config.events.retentionHours * 3_600_000;
      await t.sql(
        `update outbox_event set created_at = now() - $2 * interval '1 millisecond' where customer_id = (select id from customer where external_id = $1) and customer_seq = 2`,
        [customer.externalId, retentionMs - 1_800_000],
      );
      const later = new Date(t.clock.now().getTime() + 3_600_000);
      await waitFor(async () => (await pruneAt(t, later)) === 1, 10_000, 'the prune of event 2');
      expect(sub.results.length).toBe(1);
    } finally {
      // the subscription comes back: the stream reads the outbox after 1
      await admin.call('CONFIG', 'SET', 'maxclients', '10000');
    }

    await waitFor(() => sub.done, 10_000, 'the stream to end').catch(() => undefined);
    const errors = (Array.isArray(sub.failure) ? sub.failure : []) as { message: string; extensions?: { code?: string } }[];
    expect({ ids: sub.results.map((r) => r.data?.balanceChanged.eventId), codes: errors.map((e) => e.extensions?.code) }).toEqual({ ids: ['1'], codes: ['EVENT_ID_EXPIRED'] });
    expect(errors[0].message).toContain('read the current state again');
  });

});
