import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer } from '../support/program.js';
import { waitFor } from '../support/ws.js';

/**
 * break37 (API), held: graphql-ws keeps an operation in `ctx.subscriptions` from its `subscribe`
 * and runs it once `onSubscribe` resolves, whether or not a `complete` for its id came meanwhile;
 * the gateway's `onSubscribe` awaits the caller's credentials, rate point and trusted document
 * first. A client that sends `subscribe` and `complete` for each of 40 ids back to back (a screen
 * that mounts and unmounts, or a hostile loop) could leave subscriptions registered in the event
 * hub that no id names any more (each holding a queue, past WS_MAX_SUBSCRIPTIONS) or use up the
 * socket's operation slots. It does neither: the hub holds none of them, the socket takes exactly
 * WS_MAX_SUBSCRIPTIONS live subscriptions after them (one more is TOO_MANY_SUBSCRIPTIONS), each
 * gets the next balance event once, and closing the socket releases them all.
 */
describe('break37 api (held): subscribe and complete sent back to back on one socket', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ WS_MAX_SUBSCRIPTIONS: '5' });
  });
  afterAll(() => t.close());

  it('leaves no subscription behind and no slot taken', async () => {
    const currency = (await createCurrency(t, 'WSR37')).code;
    const member = await createCustomer(t, currency, 10);
    const socket = new WebSocket(t.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const got: { id?: string; type: string; payload?: unknown }[] = [];
    let closed: { code: number } | undefined;
    socket.on('message', (m) => got.push(JSON.parse(m.toString())));
    socket.on('close', (code) => (closed = { code }));
    await new Promise((resolve) => socket.on('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${member.token}` } }));
    await waitFor(() => got.some((m) => m.type === 'connection_ack'));
    const query = 'subscription { balanceChanged { eventId available } }';

    for (let i = 0; i < 40; i++) {
      socket.send(JSON.stringify({ id: `gone-${i}`, type: 'subscribe', payload: { query } }));
      socket.send(JSON.stringify({ id: `gone-${i}`, type: 'complete' }));
    }
    // every one of them has been through onSubscribe (a refusal or a result would be sent by now) …
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect({ hub: t.gateway.events.listenerCount(), closed, sentForGone: got.filter((m) => m.id?.startsWith('gone-')).length }).toEqual({ hub: 0, closed: undefined, sentForGone: 0 });

    for (let i = 0; i < 6; i++) socket.send(JSON.stringify({ id: `live-${i}`, type: 'subscribe', payload: { query } }));
    await waitFor(() => t.gateway.events.listenerCount() === 5 && got.some((m) => m.id === 'live-5'), 10_000, 'five subscriptions and a refusal');
    expect(got.filter((m) => m.id === 'live-5').map((m) => [m.type, (m.payload as { extensions: { code: string } }[])[0].extensions.code])).toEqual([['error', 'TOO_MANY_SUBSCRIPTIONS']]);

    await adjust(t, member.externalId, currency, 5);
    await waitFor(() => got.filter((m) => m.type === 'next').length >= 5, 10_000, 'the event on each');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(got.filter((m) => m.type === 'next').map((m) => m.id).sort()).toEqual(['live-0', 'live-1', 'live-2', 'live-3', 'live-4']);

    socket.close();
    await waitFor(() => t.gateway.events.listenerCount() === 0, 5_000, 'the subscriptions released');
  });
});
