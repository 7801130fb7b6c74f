import { BalanceChangedDocument } from '../generated/graphql.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, simpleShop } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';
import { collect, openSocket, waitFor, type TestSocket } from '../support/ws.js';

/** The statement that reads where a customer's event stream stands (`streamPosition`). */
const isStreamPosition = (text: string) => /select last_seq from event_stream/.test(text);

type Balance = { balanceChanged: { eventId: string; available: number } };

/**
 * Where a subscription starts (hostile pass 12): everything committed after the subscription read
 * where the customer's stream stood is delivered, whenever the relay happens to read it.
 */
describe('a subscription’s start', () => {
  let t: TestGateway;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t.close();
  });

  it('delivers an event the relay published while the subscription’s start was being read (it was lost)', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const socket = openSocket(t.url, customer.token);
    sockets.push(socket);
    // the socket is open: the relay reads every poll
    await waitFor(() => t.gateway.sockets.sessionCount() === 1, 10_000, 'the socket');
    const head = holdAnswers(isStreamPosition);
    const sub = collect<Balance>(socket.client, BalanceChangedDocument.toString());
    // The subscription has read its start (nothing yet) and not heard the answer: an event commits
    // now, and the relay reads and publishes it before the answer is heard.
    await head.answered;
    const read = t.gateway.relay.stats().eventsRead;
    await adjust(t, customer.externalId, shop.currency, 7);
    await waitFor(() => t.gateway.relay.stats().eventsRead > read, 10_000, 'the relay to read the event');
    head.release();
    await waitFor(() => t.gateway.events.listenerCount() === 1, 10_000, 'the subscription');
    await adjust(t, customer.externalId, shop.currency, 11);
    const [first, second] = await sub.until(2, 3_000).catch(() => sub.results);
    expect([first?.data?.balanceChanged.available, second?.data?.balanceChanged.available]).toEqual([7, 18]);
    sub.stop();
  });
});
