import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { rawSocket, type RawSocket } from '../support/ws.js';

/**
 * What HTTP checks, the WebSocket checks the same way with the same code (docs/decisions.md, "ws-12").
 * Frames are written by hand: a graphql-ws client would print every number `JSON.stringify`'s way.
 */
describe('a JSON number that does not survive parsing, sent over a WebSocket (ws-12)', () => {
  let t: TestGateway;
  let raw: RawSocket;
  const AUDIT = 'query Audit($first: Int) { auditLog(first: $first) { edges { node { id } } } }';
  const subscribe = (id: string, payload: string) => raw.send(`{"id":"${id}","type":"subscribe","payload":${payload}}`);

  beforeAll(async () => {
    t = await startTestGateway();
    raw = await rawSocket(t.url, { authorization: `Bearer ${t.operatorToken}` });
  });
  afterAll(async () => {
    raw.socket.close();
    await t.close();
  });

  it('is refused BAD_USER_INPUT naming its path, as HTTP refuses it, and the socket stays open for the next operation', async () => {
    const variables = '{"first":5.0000000000000001}';
    const http = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` },
      body: `{"query":${JSON.stringify(AUDIT)},"variables":${variables}}`,
    });
    expect(http.status).toBe(400);
    const overHttp = ((await http.json()) as { errors: unknown[] }).errors;

    subscribe('inexact', `{"query":${JSON.stringify(AUDIT)},"variables":${variables}}`);
    const answer = await raw.answer('inexact');
    expect(answer).toEqual({ id: 'inexact', type: 'error', payload: overHttp });
    expect(answer.payload).toEqual([
      {
        message: 'variables.first is the number 5.0000000000000001, which would be read as 5 (JSON numbers are read as 64-bit doubles): send a Decimal as a string such as "4.50", and whole numbers up to 2^53 - 1.',
        extensions: { code: 'BAD_USER_INPUT', field: ['first'] },
      },
    ]);

    // the same socket runs the next operation, with a number that reads as written
    subscribe('exact', `{"query":${JSON.stringify(AUDIT)},"variables":{"first":5.0}}`);
    const next = await raw.answer('exact');
    expect(next.type).toBe('next');
    expect((next.payload as { errors?: unknown }).errors).toBeUndefined();
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
  });

  it("is refused in a subscribe message's extensions too, as in a POST body's", async () => {
    subscribe('ext', `{"query":"query { __typename }","extensions":{"persistedQuery":{"version":1.0000000000000001,"sha256Hash":"x"}}}`);
    const answer = await raw.answer('ext');
    expect(answer.type).toBe('error');
    expect(answer.payload).toEqual([
      { message: expect.stringMatching(/^extensions\.persistedQuery\.version is the number 1\.0000000000000001, which would be read as 1 /), extensions: { code: 'BAD_USER_INPUT' } },
    ]);
  });
});
