import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { heldOperation } from '../support/held-operation.js';
import { createCustomer, eventually, simpleShop } from '../support/program.js';
import { rawSocket } from '../support/ws.js';

/**
 * parity-12's leftovers (docs/decisions.md, "edges-12d"): the same input answered alike by HTTP and
 * the WebSocket, each check sent both ways to one real gateway.
 */

const BOM = '\uFEFF';

/** A POST of `body` (as JSON text) to /graphql with the operator's token: its status and JSON. */
const post = async (t: TestGateway, body: string, token = t.operatorToken) => {
  const res = await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
  return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } };
};

/** A GET of /graphql with `params` and the operator's token: its status and JSON. */
const get = async (t: TestGateway, params: Record<string, string>, token = t.operatorToken) => {
  const res = await t.fetch(`/graphql?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } };
};

const codeOf = (answer: { body: { errors?: { extensions?: { code?: string } }[] } }) => answer.body.errors?.[0]?.extensions?.code;

describe('a subscribe on an open socket during shutdown’s grace period (edges-12d)', () => {
  it('is refused SHUTTING_DOWN, as HTTP answers 503 SHUTTING_DOWN then, while the socket’s query already running finishes (the socket took it and ran it)', async () => {
    const t = await startTestGateway({}, { jobs: 'manual' });
    let closing: Promise<void> | undefined;
    let held: Awaited<ReturnType<typeof heldOperation>> | undefined;
    try {
      // A query of the socket's provably running, waiting on the database, holds the grace period open.
      held = await heldOperation(t, 'point_account', 'running', '{ me { balances { available } } }');
      const { raw, token } = held;
      closing = t.gateway.close();
      await eventually(async () => !t.gateway.server.listening);
      // HTTP at this moment: a connection kept open answers 503 SHUTTING_DOWN, a new one is not taken.
      const overHttp = await t
        .fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"query":"{ me { externalId } }"}' })
        .then(async (res) => `${res.status} ${((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code}`, () => 'not connected');
      expect(['503 SHUTTING_DOWN', 'not connected']).toContain(overHttp);

      raw.send(JSON.stringify({ id: 'during', type: 'subscribe', payload: { query: '{ me { externalId } }' } }));
      expect(await raw.answer('during')).toEqual({
        id: 'during',
        type: 'error',
        payload: [{ message: 'The gateway is shutting down: send the request again.', extensions: { code: 'SHUTTING_DOWN' } }],
      });
      expect(raw.socket.readyState).toBe(raw.socket.OPEN);

      await held.release();
      expect(await raw.answer('running')).toEqual({ id: 'running', type: 'next', payload: { data: { me: { balances: [{ available: 100 }] } } } });
      await closing;
      expect((await raw.closed).code).toBe(1001);
    } finally {
      await held?.end();
      await (closing ?? Promise.resolve());
      await t.close();
    }
  });
});

describe('requests shaped alike answered alike (edges-12d)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const query = '{ __typename }';

  it('an extensions that is not an object is refused 400 BAD_REQUEST over HTTP, POST and GET (it was ignored: 200), as a socket closes 4400 for it', async () => {
    for (const extensions of ['"abc"', '[1]', '7', 'true']) {
      const answer = await post(t, `{"query":${JSON.stringify(query)},"extensions":${extensions}}`);
      expect({ extensions, status: answer.status, code: codeOf(answer) }).toEqual({ extensions, status: 400, code: 'BAD_REQUEST' });
      const overGet = await get(t, { query, extensions });
      expect({ extensions, status: overGet.status, code: codeOf(overGet) }).toEqual({ extensions, status: 400, code: 'BAD_REQUEST' });
    }
    expect((await post(t, `{"query":${JSON.stringify(query)},"extensions":"abc"}`)).body.errors?.[0].message).toBe(
      '`extensions` in a POST body should be provided as an object, not a recursively JSON-encoded string.',
    );
    expect((await post(t, `{"query":${JSON.stringify(query)},"extensions":[1]}`)).body.errors?.[0].message).toBe('`extensions` in a POST body must be an object if provided.');
    // null, an empty object or none: taken by both, as before.
    for (const extensions of ['null', '{}']) expect((await post(t, `{"query":${JSON.stringify(query)},"extensions":${extensions}}`)).status).toBe(200);
    expect((await get(t, { query, extensions: '{}' })).status).toBe(200);

    const raw = await rawSocket(t.url, { authorization: `Bearer ${t.operatorToken}` });
    raw.send(`{"id":"x","type":"subscribe","payload":{"query":${JSON.stringify(query)},"extensions":[1]}}`);
    expect((await raw.closed).code).toBe(4400);
  });

  it('a GET’s query, variables and extensions parameters starting with a byte order mark are read without it, as a POST body and a socket’s message are (variables and extensions were refused 400)', async () => {
    const typed = 'query Named($name: String!) { __type(name: $name) { name } }';
    const plain = await get(t, { query: typed, variables: '{"name":"Query"}', extensions: '{}' });
    expect(plain).toEqual({ status: 200, body: { data: { __type: { name: 'Query' } } } });
    expect(await get(t, { query: BOM + typed, variables: '{"name":"Query"}' })).toEqual(plain);
    expect(await get(t, { query: typed, variables: `${BOM}{"name":"Query"}` })).toEqual(plain);
    expect(await get(t, { query: typed, variables: '{"name":"Query"}', extensions: `${BOM}{}` })).toEqual(plain);
    // One mark only, as for a body: a second is text, and not JSON.
    const twice = await get(t, { query: typed, variables: `${BOM}${BOM}{"name":"Query"}` });
    expect([twice.status, codeOf(twice)]).toEqual([400, 'BAD_REQUEST']);
  });

  it('an empty query text without a persisted query is refused 400 BAD_REQUEST with Apollo’s sentence over both (the socket answered GRAPHQL_PARSE_FAILED)', async () => {
    const message = 'GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.';
    const overHttp = await post(t, '{"query":""}');
    expect([overHttp.status, overHttp.body]).toEqual([400, { errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] }]);
    const raw = await rawSocket(t.url, { authorization: `Bearer ${t.operatorToken}` });
    raw.send('{"id":"empty","type":"subscribe","payload":{"query":""}}');
    expect(await raw.answer('empty')).toEqual({ id: 'empty', type: 'error', payload: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    // Blank text is text: a parse error on both, as before.
    raw.send('{"id":"blank","type":"subscribe","payload":{"query":"   "}}');
    expect(await raw.answer('blank')).toEqual({ id: 'blank', type: 'error', payload: [expect.objectContaining({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] });
    expect(codeOf(await post(t, '{"query":"   "}'))).toBe('GRAPHQL_PARSE_FAILED');
    raw.socket.close();
  });
});

describe('a document over MAX_DOCUMENT_BYTES (edges-12d)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // A budget of 3 per customer in a 600 s window, which outlasts the test.
    t = await startTestGateway({ RATE_LIMIT_CUSTOMER: '3', RATE_LIMIT_WINDOW_SECONDS: '600', MAX_DOCUMENT_BYTES: '1000' }, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const tooLong = `{ __typename ${'#'.repeat(1_200)}\n}`;

  it('costs its sender a rate-limit point over HTTP as over a socket (HTTP refused it free: a loop of them was never limited)', async () => {
    const shop = await simpleShop(t);
    const overHttp = await createCustomer(t, shop.currency);
    for (let i = 0; i < 3; i++) {
      const answer = await post(t, JSON.stringify({ query: tooLong }), overHttp.token);
      expect([answer.status, codeOf(answer), answer.body.errors?.[0].message]).toEqual([400, 'QUERY_TOO_COMPLEX', 'The document is longer than 1000 bytes.']);
    }
    const next = await post(t, JSON.stringify({ query: '{ __typename }' }), overHttp.token);
    expect([next.status, codeOf(next)]).toEqual([429, 'RATE_LIMITED']);

    const overSocket = await createCustomer(t, shop.currency);
    const raw = await rawSocket(t.url, { authorization: `Bearer ${overSocket.token}` });
    for (let i = 0; i < 3; i++) {
      raw.send(JSON.stringify({ id: `long${i}`, type: 'subscribe', payload: { query: tooLong } }));
      expect(await raw.answer(`long${i}`)).toEqual({ id: `long${i}`, type: 'error', payload: [expect.objectContaining({ message: 'The document is longer than 1000 bytes.', extensions: { code: 'QUERY_TOO_COMPLEX' } })] });
    }
    raw.send(JSON.stringify({ id: 'next', type: 'subscribe', payload: { query: '{ __typename }' } }));
    expect(await raw.answer('next')).toEqual({ id: 'next', type: 'error', payload: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED' }) })] });
    raw.socket.close();
  });

  it('with failed credentials is answered as failed credentials over HTTP, as over a socket (it was QUERY_TOO_COMPLEX without a look at them)', async () => {
    const answer = await post(t, JSON.stringify({ query: tooLong }), 'not-a-token');
    expect([answer.status, codeOf(answer)]).toEqual([401, 'UNAUTHENTICATED']);
  });
});
