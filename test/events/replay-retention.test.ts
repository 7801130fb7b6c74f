import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, simpleShop } from '../support/program.js';
import { pruneAt } from '../support/retention.js';
import { holdAnswers } from '../support/statements.js';
import { collect, openSocket, waitFor, type TestSocket } from '../support/ws.js';

type Balance = { balanceChanged: { eventId: string; available: number } };
const BALANCE = `subscription($after: ID) { balanceChanged(after: $after) { eventId available } }`;
/**
 * What EVENT_ID_EXPIRED tells the client to do: the order that misses nothing (live-22; "subscribe
 * without `after`" started at the gateway's head and lost a change committed after the client's read).
 */
const EXPIRED_ADVICE = 'read `lastEventId`, then read the current state again, then subscribe with `after` set to that lastEventId (what changed after it is replayed)';

/**
 * Resuming at the retention's edge (relay-12): a subscriber that resumes gets every event after its
 * position, or EVENT_ID_EXPIRED; never a silent gap. The resume point's check reads only the event
 * right after it, and the replay read what was still kept: an event pruned between the two reads,
 * or one past the first pruned before (the prune takes any rows past the cutoff, and a
 * transaction that started earlier commits later), was skipped without a word.
 */
describe('resuming while the prune removes what the replay is to read', () => {
  let t: TestGateway;
  const sockets: TestSocket[] = [];
  const hours = (h: number) => h * 3_600_000;

  beforeAll(async () => {
    // no sweep within a test: a socket is closed by nothing but the test
    t = await startTestGateway({ WS_SESSION_RECHECK_MS: '600000' });
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t.close();
  });

  /** A customer with four balance events (positions 1–4, 1, 2, 3, 4 points), who saw the first. */
  async function customerWithFourEvents() {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    for (const amount of [1, 2, 3, 4]) await adjust(t, customer.externalId, shop.currency, amount);
    const seqs = (
      await t.sql<{ seq: string }>(`select customer_seq as seq from outbox_event where customer_id = (select id from customer where external_id = $1) order by customer_seq`, [customer.externalId])
    ).map((r) => Number(r.seq));
    expect(seqs).toEqual([1, 2, 3, 4]);
    const writtenAgo = (seq: number, ms: number) =>
      t.sql(`update outbox_event set created_at = now() - $3 * interval '1 millisecond' where customer_id = (select id from customer where external_id = $1) and customer_seq = $2`, [
        customer.externalId,
        seq,
        ms,
      ]);
    const socket = openSocket(t.url, customer.token);
    sockets.push(socket);
    await waitFor(() => t.gateway.sockets.sessionCount() > 0, 10_000, 'the socket');
    return { shop, customer, socket, writtenAgo };
  }

  const prune = (now: Date) => pruneAt(t, now);

  /** What the subscriber sees: the events delivered, and the error codes the subscription ended with. */
  async function outcome(sub: ReturnType<typeof collect<Balance>>) {
    // (nothing at all, within 5 s, is an answer too: the stream went on live)
    await waitFor(() => sub.done || sub.results.length > 0, 5_000, 'an answer').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    const errors = Array.isArray(sub.failure) ? (sub.failure as { message: string; extensions?: { code?: string } }[]) : [];
    if (errors.length) expect(errors[0].message).toContain(EXPIRED_ADVICE);
    return { ids: sub.results.map((r) => r.data?.balanceChanged.eventId), codes: errors.map((e) => e.extensions?.code) };
  }

  /**
   * Resumes after 1 while `aged` (written half an hour inside the window: the check passes) are
   * pruned between the check and the replay (the prune an hour on takes them): what the subscriber sees.
   */
  async function resumeWhilePruning(aged: number[]) {
    const retention = hours(t.config.events.retentionHours);
    const { socket, writtenAgo } = await customerWithFourEvents();
    for (const seq of aged) await writtenAgo(seq, retention - hours(0.5));
    const check = holdAnswers((text) => text.includes('as next_at'));
    const sub = collect<Balance>(socket.client, BALANCE, { after: '1' });
    await check.reached;
    expect(await prune(new Date(t.clock.now().getTime() + hours(1)))).toBe(aged.length);
    check.release();
    return outcome(sub);
  }

  it('answers EVENT_ID_EXPIRED when the events after the resume point are pruned between its check and the replay (2 and 3 were skipped)', async () => {
    expect(await resumeWhilePruning([2, 3])).toEqual({ ids: [], codes: ['EVENT_ID_EXPIRED'] });
    // and the stream ended with it: no listener left for the relay to read for
    await waitFor(() => t.gateway.events.listenerCount() === 0, 5_000, 'the stream to go');
  });

  it('answers EVENT_ID_EXPIRED when everything after the resume point is pruned between its check and the replay (the stream went on live, silent)', async () => {
    expect(await resumeWhilePruning([2, 3, 4])).toEqual({ ids: [], codes: ['EVENT_ID_EXPIRED'] });
  });

  it('answers EVENT_ID_EXPIRED when an event past the one after the resume point was pruned (3 was skipped)', async () => {
    const { socket, writtenAgo } = await customerWithFourEvents();
    // 3's transaction began before the cutoff and committed after 2's, which began after it
    await writtenAgo(3, hours(t.config.events.retentionHours + 1));
    expect(await prune(t.clock.now())).toBe(1);
    const sub = collect<Balance>(socket.client, BALANCE, { after: '1' });
    expect(await outcome(sub)).toEqual({ ids: [], codes: ['EVENT_ID_EXPIRED'] });
  });

  it('still replays every event after the resume point when none was pruned, then goes on live', async () => {
    const { shop, customer, socket } = await customerWithFourEvents();
    const sub = collect<Balance>(socket.client, BALANCE, { after: '1' });
    expect((await sub.until(3)).map((r) => r.data?.balanceChanged.eventId)).toEqual(['2', '3', '4']);
    await adjust(t, customer.externalId, shop.currency, 5);
    expect((await sub.until(4))[3].data?.balanceChanged).toEqual({ eventId: '5', available: 15 });
  });

  /**
   * `after: "0"` (before the first event) is resuming from the start: every event of the customer's
   * from their first, then live; EVENT_ID_EXPIRED once the first is no longer kept, rather than a
   * replay from the oldest event still kept (which would be a gap the subscriber cannot see).
   */
  it('after "0" replays every event from the customer\'s first, then goes on live', async () => {
    const { shop, customer, socket } = await customerWithFourEvents();
    const sub = collect<Balance>(socket.client, BALANCE, { after: '0' });
    expect((await sub.until(4)).map((r) => r.data?.balanceChanged)).toEqual([
      { eventId: '1', available: 1 },
      { eventId: '2', available: 3 },
      { eventId: '3', available: 6 },
      { eventId: '4', available: 10 },
    ]);
    await adjust(t, customer.externalId, shop.currency, 5);
    expect((await sub.until(5))[4].data?.balanceChanged).toEqual({ eventId: '5', available: 15 });
  });

  it('after "0" from a customer with no event yet goes on live', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const socket = openSocket(t.url, customer.token);
    sockets.push(socket);
    const before = t.gateway.events.listenerCount();
    const sub = collect<Balance>(socket.client, BALANCE, { after: '0' });
    await waitFor(() => t.gateway.events.listenerCount() > before, 10_000, 'the subscription');
    await adjust(t, customer.externalId, shop.currency, 7);
    expect((await sub.until(1)).map((r) => r.data?.balanceChanged)).toEqual([{ eventId: '1', available: 7 }]);
  });

  it('after "0" answers EVENT_ID_EXPIRED once the customer\'s first event was pruned (not the kept ones from 2 on)', async () => {
    const { socket, writtenAgo } = await customerWithFourEvents();
    await writtenAgo(1, hours(t.config.events.retentionHours + 1));
    expect(await prune(t.clock.now())).toBe(1);
    const sub = collect<Balance>(socket.client, BALANCE, { after: '0' });
    // (refused by the resume point's check, the error comes as the subscription's one result; from the replay, as its end)
    await waitFor(() => sub.done, 5_000, 'the subscription to end');
    const failed = Array.isArray(sub.failure) ? [{ errors: sub.failure }] : [];
    const errors = [...sub.results, ...failed].flatMap((r) => (r.errors ?? []) as { message: string; extensions?: { code?: string } }[]);
    expect({ events: sub.results.filter((r) => r.data).length, codes: errors.map((e) => e.extensions?.code) }).toEqual({ events: 0, codes: ['EVENT_ID_EXPIRED'] });
    expect(errors[0].message).toContain(EXPIRED_ADVICE);
    // (0 names no event: the message says what is gone, the customer's first event, and why)
    expect(errors[0].message).toBe(
      `Your first event is no longer kept (events are kept for replay for ${t.config.events.retentionHours} hours), so a replay from \`after: "0"\` would start with a gap: ${EXPIRED_ADVICE}.`,
    );
  });

  it('answers EVENT_ID_EXPIRED when the prune removes events of a later replay page while the subscriber reads the first (they were skipped)', async () => {
    const retention = hours(t.config.events.retentionHours);
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    // 150 balance events (positions 1–150), as the ledger would announce them
    await t.sql(
      `insert into outbox_event (topic, customer_id, payload)
       select 'BALANCE_CHANGED', c.id, jsonb_build_object('currency', $2::text, 'available', g, 'pending', 0, 'lifetimeEarned', g) from customer c, generate_series(1, 150) g where c.external_id = $1`,
      [customer.externalId, shop.currency],
    );
    // 120–130 were written inside the window at the check, and are past it at the next prune
    await t.sql(
      `update outbox_event set created_at = now() - $2 * interval '1 millisecond' where customer_id = (select id from customer where external_id = $1) and customer_seq between 120 and 130`,
      [customer.externalId, retention - hours(0.5)],
    );
    const socket = openSocket(t.url, customer.token);
    sockets.push(socket);
    // the second replay page's read is held before it runs: the first page is being delivered
    let pages = 0;
    const secondPage = holdAnswers((text) => text.includes('order by customer_seq limit') && ++pages === 2, 'statement');
    const sub = collect<Balance>(socket.client, BALANCE, { after: '0' });
    await secondPage.reached;
    expect(await prune(new Date(t.clock.now().getTime() + hours(1)))).toBe(11);
    secondPage.release();
    await waitFor(() => sub.done || sub.results.length >= 139, 10_000, 'the replay').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    const ids = sub.results.map((r) => Number(r.data?.balanceChanged.eventId));
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect((sub.failure as { extensions?: { code?: string } }[] | undefined)?.map((e) => e.extensions?.code)).toEqual(['EVENT_ID_EXPIRED']);
  });
});
