import pino from 'pino';
import { pruneEvents } from '../../src/events/retention.job.js';
import { AdjustPointsDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';
import { adjust, createCustomer, simpleShop, unique } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';
import { subscribed, waitFor, type TestSocket } from '../support/ws.js';

type Balance = { balanceChanged: { eventId: string; available: number } };
const BALANCE = `subscription { balanceChanged { eventId available } }`;

/**
 * The prune and a PostgreSQL relay's cursor (dates-12c). An event is dated when its writer starts
 * (its clock read before its locks); a transaction that commits long after (here: one held at its
 * account's lock while the clock moves past the retention) wrote an event that was at once past
 * the cutoff. The prune took it as soon as the webhook dispatcher had passed it, while this
 * instance's relay, whose cursor is in memory and holds nothing back, had not read it yet: the
 * live subscriber never got it, and nothing told them (their stream went from 2 to 4). And a relay
 * that could not read for longer than the retention, which no prune can wait for, passed what was
 * pruned meanwhile as silently: its streams now read the outbox again, so a gap is EVENT_ID_EXPIRED.
 */
describe('the prune keeps an event a live relay has not read', () => {
  let t: TestGateway;
  const sockets: TestSocket[] = [];
  const hours = (h: number) => h * 3_600_000;

  beforeAll(async () => {
    t = await startTestGateway({ WS_SESSION_RECHECK_MS: '600000' }, { jobs: 'manual' });
  });
  afterEach(() => t.clock.reset());
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t.close();
  });

  /** The hourly prune at the test clock's now, the webhook dispatcher having passed everything committed. */
  const prune = async () => {
    await t.sql(
      `insert into webhook_cursor (name, cursor) values ('webhooks', json_build_object('from', pg_current_snapshot()::text)::text)
       on conflict (name) do update set cursor = excluded.cursor`,
    );
    return (await t.orm.em.fork().transactional((em) => pruneEvents({ em, clock: t.clock, config: t.config, log: pino({ level: 'silent' }) }))).events;
  };

  /** A customer with 5 points subscribed live to their balance on this instance, who got their +1 (eventId 2). */
  const liveSubscriber = async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 5);
    const { socket, sub } = await subscribed<Balance>(t.url, t.gateway.events, customer.token, BALANCE);
    sockets.push(socket);
    await adjust(t, customer.externalId, shop.currency, 1);
    expect((await sub.until(1)).map((r) => r.data?.balanceChanged)).toEqual([{ eventId: '2', available: 6 }]);
    return { shop, customer, sub };
  };

  it('a write held open past the retention commits; the dispatcher passes it and the prune runs before the relay reads: the subscriber still gets it', async () => {
    const { shop, customer, sub } = await liveSubscriber();

    t.clock.freeze();
    await prune(); // the hourly run, as any hour of the week before
    // an adjustment reads its clock, then waits for the account (a transaction holding it)
    const lock = await holdLocks(t, 'select 1 from point_account where customer_id = (select id from customer where external_id = $1) for update', [customer.externalId]);
    const adjusting = t.gql(
      AdjustPointsDocument,
      { input: { customerExternalId: customer.externalId, currency: shop.currency, amount: 2, reason: 'late', idempotencyKey: unique('adj') } },
      t.operatorToken,
    );
    let relayRead: ReturnType<typeof holdAnswers> | undefined;
    try {
      await lock.blocking(1);
      t.clock.advance(hours(t.config.events.retentionHours + 1));
      // this instance's relay is about to read the outbox (its next poll); it reads once the prune is done
      relayRead = holdAnswers((text) => text.includes('not pg_visible_in_snapshot(o.xid, w.f)'), 'statement');
      await relayRead.reached;
      await lock.commit();
      expect(ok(await adjusting).adjustPoints.userErrors).toEqual([]);
      await prune();
    } finally {
      relayRead?.release();
      await lock.end();
    }
    await adjust(t, customer.externalId, shop.currency, 3);
    await waitFor(() => sub.results.some((r) => r.data?.balanceChanged.eventId === '4'), 10_000, 'the event after').catch(() => undefined);
    expect(sub.results.map((r) => r.data?.balanceChanged)).toEqual([
      { eventId: '2', available: 6 },
      { eventId: '3', available: 8 },
      { eventId: '4', available: 11 },
    ]);
  });

  it('a relay that could not read for longer than the retention: its live subscriber is told EVENT_ID_EXPIRED, not left with a gap', async () => {
    const { shop, customer, sub } = await liveSubscriber();

    t.clock.freeze();
    // the relay's next read is stuck (held before it runs) for longer than the retention
    const relayRead = holdAnswers((text) => text.includes('not pg_visible_in_snapshot(o.xid, w.f)'), 'statement');
    try {
      await relayRead.reached;
      await adjust(t, customer.externalId, shop.currency, 2); // eventId 3, which it has not read
      await prune(); // the hourly run: 3 has committed
      t.clock.advance(hours(t.config.events.retentionHours + 1));
      expect(await prune()).toBeGreaterThan(0); // a retention on: 3 is past it, and the dispatcher passed it
    } finally {
      relayRead.release();
    }
    await waitFor(() => sub.done, 5_000, 'the stream to end').catch(() => undefined);
    await adjust(t, customer.externalId, shop.currency, 3); // eventId 4
    await waitFor(() => sub.results.length > 1, 2_000, 'another event').catch(() => undefined);
    const codes = Array.isArray(sub.failure) ? (sub.failure as { extensions?: { code?: string } }[]).map((e) => e.extensions?.code) : [];
    expect({ ids: sub.results.map((r) => r.data?.balanceChanged.eventId), codes }).toEqual({ ids: ['2'], codes: ['EVENT_ID_EXPIRED'] });
  });

  it('an event is pruned once it committed a retention ago and the readers passed it', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 5);
    t.clock.freeze();
    await prune();
    const kept = () => t.sql(`select 1 from outbox_event where customer_id = (select id from customer where external_id = $1)`, [customer.externalId]);
    expect(await kept()).toHaveLength(1);
    // the hourly runs of the week after: it committed before the first of them
    for (let hour = 1; hour <= t.config.events.retentionHours + 1; hour += 24) {
      t.clock.advance(hours(24));
      await prune();
    }
    expect(await kept()).toHaveLength(0);
  });
});
