import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, simpleShop } from '../support/program.js';
import { collect, openSocket, waitFor, type TestSocket } from '../support/ws.js';

type Balance = { balanceChanged: { eventId: string; available: number } };
const BALANCE = `subscription($after: ID) { balanceChanged(after: $after) { eventId available } }`;

/**
 * `lastEventId` (live-21): the resume point a screen reads before its data, so that a change
 * committed after the data's read and before the subscription starts on the gateway is replayed.
 */
describe('lastEventId: the resume point read before the screens', () => {
  let t: TestGateway;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    t = await startTestGateway({});
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t.close();
  });

  test('"0" before the first event, then the latest of any topic; a subscription after it gets the change committed before it started', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const last = async () => ((await t.gql(`{ lastEventId }`, {}, customer.token)).data as { lastEventId: string }).lastEventId;
    expect(await last()).toBe('0');
    await adjust(t, customer.externalId, shop.currency, 10);
    const point = await last();
    expect(point).toBe('1');

    // A change after the point was read, before the subscription was sent: replayed, then live ones.
    await adjust(t, customer.externalId, shop.currency, 5);
    const socket = openSocket(t.url, customer.token);
    sockets.push(socket);
    const sub = collect<Balance>(socket.client, BALANCE, { after: point });
    await waitFor(() => sub.results.length >= 1, 10_000, 'the replayed change');
    await adjust(t, customer.externalId, shop.currency, 1);
    await waitFor(() => sub.results.length >= 2, 10_000, 'the live change');
    expect(sub.results.map((r) => r.data?.balanceChanged)).toEqual([
      { eventId: '2', available: 15 },
      { eventId: '3', available: 16 },
    ]);
  });

  test('a signed-in customer’s only: anonymous UNAUTHENTICATED, staff FORBIDDEN', async () => {
    const anonymous = await t.gql(`{ lastEventId }`, {});
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const staff = await t.gql(`{ lastEventId }`, {}, t.operatorToken);
    expect(staff.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
