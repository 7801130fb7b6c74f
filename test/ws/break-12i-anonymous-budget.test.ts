import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, simpleShop } from '../support/program.js';
import { firstResult, openSocket, rawSocket } from '../support/ws.js';

/**
 * break-12i, guards of parity-12's anonymous budget and connectionParams names (pass before and
 * after): a member's sockets with a valid token never take a point of their address's anonymous
 * budget; credentials of any shape that do not check out take one each, and past the budget are
 * closed 4429; two spellings of one name are one credential (the lower-case one), never two.
 */
describe("a socket's credentials and the address's anonymous budget (break-12i)", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ RATE_LIMIT_ANONYMOUS: '3', RATE_LIMIT_WINDOW_SECONDS: '600', WS_MAX_SOCKETS_PER_CALLER: '20' }, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const anonymousHttp = async () =>
    (await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })).status;

  it('valid tokens take no anonymous point, however many sockets; junk of any shape takes one each; a second spelling smuggles nothing', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const partner = await createPartner(t, ['customers:read']);
    // Ten members' sockets at once, each answering: no anonymous point taken.
    const sockets = Array.from({ length: 10 }, (_, i) => openSocket(t.url, i % 2 ? customer.token : { Authorization: `Bearer ${customer.token}` }));
    const answers = await Promise.all(sockets.map((s) => firstResult(s.client, '{ me { externalId } }')));
    expect(answers).toEqual(sockets.map(() => ({ data: { me: { externalId: customer.externalId } } })));
    await Promise.all(sockets.map((s) => s.dispose()));

    // A junk value under the lower-case name wins over a valid token under another spelling.
    expect(await openSocket(t.url, { authorization: 'Bearer junk.junk.junk', Authorization: `Bearer ${customer.token}` }).closed).toEqual({ code: 4401, reason: expect.any(String) });
    // A key under one spelling and a token under another are two credentials, refused as over HTTP.
    expect(await openSocket(t.url, { 'X-API-KEY': partner.apiKey, AUTHORIZATION: `Bearer ${customer.token}` }).closed).toEqual({
      code: 4401,
      reason: 'Send either a bearer token or an API key, not both.',
    });
    // Three points spent (3 refusals): a number as the token is refused past the budget, and so is HTTP.
    expect(await openSocket(t.url, { Authorization: 12345 }).closed).toEqual({ code: 4401, reason: 'Malformed Authorization header.' });
    expect(await openSocket(t.url, { 'x-api-key': ['a', 'b'] }).closed).toEqual({ code: 4429, reason: expect.stringMatching(/^rate limited: try again in \d+ s$/) });
    expect(await anonymousHttp()).toBe(429);
    // The member is still served on both transports.
    const socket = openSocket(t.url, customer.token);
    expect(await firstResult(socket.client, '{ me { externalId } }')).toEqual({ data: { me: { externalId: customer.externalId } } });
    await socket.dispose();
  });
});

describe('byte order marks and subscriptions over GET (break-12i, guards)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());
  const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

  it('a mark after whitespace is refused by both (and one between tokens by HTTP); a binary frame starting with one is read', async () => {
    const query = '{ __typename }';
    const auth = { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` };
    for (const body of [Buffer.concat([Buffer.from(' '), BOM, Buffer.from(JSON.stringify({ query }))]), Buffer.from(`{"query":${JSON.stringify(query)},\uFEFF"variables":{}}`)]) {
      expect((await t.fetch('/graphql', { method: 'POST', headers: auth, body })).status).toBe(400);
    }
    const raw = await rawSocket(t.url, { authorization: `Bearer ${t.operatorToken}` });
    raw.send(Buffer.concat([BOM, Buffer.from(JSON.stringify({ id: 'b', type: 'subscribe', payload: { query } }))]), true);
    expect(await raw.answer('b')).toEqual({ id: 'b', type: 'next', payload: { data: { __typename: 'Query' } } });
    raw.send(Buffer.concat([Buffer.from(' '), BOM, Buffer.from(JSON.stringify({ id: 'w', type: 'subscribe', payload: { query } }))]));
    expect((await raw.closed).code).toBe(4400);
  });

  it('a subscription over GET is 405, as Apollo answers any non-query over GET', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const query = `subscription { balanceChanged(currency: "${shop.currency}") { available } }`;
    const res = await t.fetch(`/graphql?query=${encodeURIComponent(query)}`, { headers: { authorization: `Bearer ${customer.token}`, 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(405);
  });
});
