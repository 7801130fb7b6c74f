import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { holdAnswers, holdConnect } from '../support/statements.js';
import { adjust, createCustomer, eventually, simpleShop } from '../support/program.js';
import { subscribed, waitFor, type TestSocket } from '../support/ws.js';

const RELAY = 'reward-gateway event relay';

type Balance = { balanceChanged: { eventId: string; available: number } };

/**
 * An event relay that loses its connection or lags (hostile pass 12): what commits while it is
 * down and reconnecting still reaches the subscribers it had, once, in order; and what it reads
 * late is judged by when it committed, not by when it was read.
 */
describe('an event relay that loses its connection or lags', () => {
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
    // The relay connects again 500 ms after it lost its connection; a loaded machine took longer than
    // that to commit the adjustment below, so the relay was back first and the test failed (or, had
    // it not checked, proved nothing). Its new connection waits until the commit.
    const reconnect = holdConnect(RELAY);
    let committed: string;
    try {
      await t.sql(`select pg_terminate_backend($1)`, [old.pid]);
      await eventually(async () => (await relayBackends()).length === 0);
      // committed while the relay has no connection
      await adjust(t, customer.externalId, shop.currency, 2);
      [{ committed }] = await t.sql<{ committed: string }>(`select now()::text as committed`);
    } finally {
      reconnect.release();
    }
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

  it('a close it reads late does not end a resumed subscription of the account reopened since', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 5); // event 1
    const upsert = `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code } } }`;
    // the relay's next read is slow to run: the close (event 2) and the reopen commit, and the
    // customer connects and resumes after event 1, before the relay reads the close
    const lagging = holdAnswers((text) => text.includes('with w as'), 'statement');
    await lagging.reached;
    ok(await t.gql(upsert, { input: { externalId: customer.externalId, status: 'CLOSED' } }, t.operatorToken));
    ok(await t.gql(upsert, { input: { externalId: customer.externalId, status: 'ACTIVE' } }, t.operatorToken));
    const token = await t.customerToken(customer.externalId);
    const { socket, sub } = await subscribed<Balance>(t.url, t.gateway.events, token, 'subscription($after: ID) { balanceChanged(after: $after) { eventId available } }', { after: '1' });
    sockets.push(socket);
    lagging.release();
    const read = t.gateway.relay.stats().eventsRead;
    await waitFor(() => t.gateway.relay.stats().eventsRead > read, 10_000, 'the relay to read the close');
    await adjust(t, customer.externalId, shop.currency, 2);
    const results = await sub.until(1, 5_000).catch(() => sub.results);
    expect({ done: sub.done, available: results.map((r) => r.data?.balanceChanged.available) }).toEqual({ done: false, available: [7] });
    expect(await Promise.race([socket.closed, new Promise((resolve) => setTimeout(() => resolve('open'), 200).unref())])).toBe('open');
  });
});
