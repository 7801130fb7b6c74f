import { BalanceChangedDocument } from '../generated/graphql.js';
import { dataOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, simpleShop } from '../support/program.js';
import { collect, openSocket, waitFor, type TestSocket } from '../support/ws.js';

const UPSERT = `mutation UpsertCustomerSockets($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { version status } userErrors { code } } }`;
type Payload = { upsertCustomer: { customer: { version: number; status: string } | null; userErrors: { code: string }[] } };

/**
 * break34 hostile (held): a close refused VERSION_CONFLICT records its CUSTOMER_CLOSED event before
 * the version is compared (the close takes the customer's stream before the row), so only the
 * rollback keeps it from the relays. Checked where the member would see it: their live socket,
 * on the relay (event) path and the periodic re-check (100 ms here), stays open and keeps
 * streaming after a stale close and a create-only close are refused; the close made from the
 * current version then ends it (4403).
 */
describe('break34 hostile: a refused close leaves the member connected', () => {
  let t: TestGateway;
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    t = await startTestGateway({ WS_SESSION_RECHECK_MS: '100' });
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t.close();
  });
  const upsert = async (input: Record<string, unknown>) => dataOf(await t.gql<Payload, { input: Record<string, unknown> }>(UPSERT, { input }, t.operatorToken)).upsertCustomer;

  it('stale and create-only closes are refused and the socket streams on; the current one closes it', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency); // version 1
    await upsert({ externalId: customer.externalId, name: 'Renamed' }); // version 2
    const socket = openSocket(t.url, customer.token);
    sockets.push(socket);
    let closed: unknown;
    void socket.closed.then((c) => (closed = c));
    const sub = collect(socket.client, BalanceChangedDocument.toString());
    await waitFor(() => t.gateway.events.listenerCount() > 0, 30_000, 'the subscription');

    expect((await upsert({ externalId: customer.externalId, expectedVersion: 1, status: 'CLOSED' })).userErrors).toEqual([{ code: 'VERSION_CONFLICT' }]);
    expect((await upsert({ externalId: customer.externalId, expectedVersion: 0, status: 'CLOSED' })).userErrors).toEqual([{ code: 'VERSION_CONFLICT' }]);
    // past several re-checks and the relay's polls: still open, and an event still arrives
    await adjust(t, customer.externalId, shop.currency, 7);
    expect((await sub.until(1))[0].data).toMatchObject({ balanceChanged: { available: 7 } });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(closed).toBeUndefined();
    expect(await t.sql(`select topic from outbox_event where topic = 'CUSTOMER_CLOSED' and customer_id = (select id from customer where external_id = $1)`, [customer.externalId])).toEqual([]);

    expect(await upsert({ externalId: customer.externalId, expectedVersion: 2, status: 'CLOSED' })).toEqual({ customer: { version: 3, status: 'CLOSED' }, userErrors: [] });
    expect(await socket.closed).toEqual({ code: 4403, reason: 'account closed' });
  });
});
