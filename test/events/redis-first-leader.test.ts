import pino from 'pino';
import { startGateway, type Gateway } from '../../src/http/server.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, simpleShop } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';
import { subscribed, waitFor, type TestSocket } from '../support/ws.js';

type Balance = { balanceChanged: { eventId: string; available: number } };

/**
 * EVENT_FANOUT=redis (relay-12): the first leader a database ever has saves where it starts at
 * once. It saved its cursor only after a page it published, so one that died before reading any
 * left nothing, and its successor started at the present: what committed in between reached no
 * subscriber.
 */
describe('EVENT_FANOUT=redis: the first leader ever dies before publishing anything', () => {
  let t: TestGateway;
  let other: Gateway | undefined;
  const sockets: TestSocket[] = [];
  const env = { REDIS_URL: 'redis://127.0.0.1:6379', EVENT_FANOUT: 'redis', RATE_LIMIT_KEY_PREFIX: `rgfirst${process.pid}${Date.now() % 100000}`, EVENT_POLL_MS: '10' };

  beforeAll(async () => {
    t = await startTestGateway(env);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await other?.close();
    await t.close();
  });

  it('its successor publishes what committed after the first leader started (it started at the present and lost it)', async () => {
    await waitFor(() => t.gateway.relay.stats().reading, 10_000, 'the first leader');
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    // The subscriber is on a second instance, a follower that tries to lead every second: its next
    // attempt is held before it runs, while the leader dies and a change commits.
    other = await startGateway({ config: t.config, orm: t.orm, databaseUrl: t.databaseUrl, clock: t.clock, log: pino({ level: 'silent' }) }, 0, '127.0.0.1');
    expect(other.relay.stats().reading).toBe(false);
    const { socket, sub } = await subscribed<Balance>(other.url, other.events, customer.token, 'subscription { balanceChanged { eventId available } }');
    sockets.push(socket);
    const attempt = holdAnswers((text) => text.includes('pg_try_advisory_lock'), 'statement');
    await attempt.reached;
    // the leader dies (its connection, and so its lock, with it) having published nothing
    await t.gateway.relay.stop();
    expect(t.gateway.relay.stats().pagesRead).toBe(0);
    await adjust(t, customer.externalId, shop.currency, 7);
    attempt.release();
    await waitFor(() => other!.relay.stats().reading, 10_000, 'the take-over');
    await adjust(t, customer.externalId, shop.currency, 11);
    const results = await sub.until(2, 5_000).catch(() => sub.results);
    expect(results.map((r) => r.data?.balanceChanged.available)).toEqual([7, 18]);
  });
});
