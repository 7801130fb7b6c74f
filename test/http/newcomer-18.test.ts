import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { firstResult, openSocket } from '../support/ws.js';
import { seriesCount } from '../support/metrics.js';

/** What a refused introspection answers (src/graphql/errors.ts, INTROSPECTION_OFF_MESSAGE), as a client reads it. */
const INTROSPECTION_OFF_MESSAGE = 'Introspection is off (NODE_ENV=production): the schema is published as schema/schema.graphql, not served.';

/**
 * newcomer-18: `graphql_request_errors_total` and `graphql_errors_total` count a refusal under the
 * code its answer carries (README, "Metrics for operations": "by the first error's code"). Trying
 * the README's partner refusals against a running gateway, an unknown API key (401 UNAUTHENTICATED)
 * was counted `code="other"` and not at all in `graphql_errors_total`, and a document with two
 * mutation fields (400 QUERY_TOO_COMPLEX) was counted GRAPHQL_VALIDATION_FAILED: an alert on
 * UNAUTHENTICATED or QUERY_TOO_COMPLEX never saw them.
 */

describe('/metrics counts a refusal by the code it answered (newcomer-18)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  /** What `send` answered (status, first error's code) and how the three counters grew for `type`/`code`. */
  async function counted(send: () => Promise<Response>, type: string, code: string) {
    const scrape = async () => (await t.fetch('/metrics')).text();
    const before = await scrape();
    const res = await send();
    const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
    const after = await scrape();
    const grew = (series: string) => seriesCount(after, series) - seriesCount(before, series);
    return {
      status: res.status,
      answered: body.errors[0].extensions.code,
      failed: grew(`graphql_request_errors_total{client="other",operation="other",type="${type}",code="${code}"}`),
      failedOther: grew(`graphql_request_errors_total{client="other",operation="other",type="${type}",code="other"}`),
      errors: grew(`graphql_errors_total{code="${code}"}`),
    };
  }

  const post = (body: unknown, headers: Record<string, string>) => () =>
    fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('counts an unknown API key and a token that is no JWT as UNAUTHENTICATED', async () => {
    const unknownKey = await counted(post({ query: '{ __typename }' }, { 'x-api-key': 'rg_not-a-key-of-anyone' }), 'unknown', 'UNAUTHENTICATED');
    const badToken = await counted(post({ query: '{ me { name } }' }, { authorization: 'Bearer not-a-jwt' }), 'unknown', 'UNAUTHENTICATED');
    const expected = { status: 401, answered: 'UNAUTHENTICATED', failed: 1, failedOther: 0, errors: 1 };
    expect({ unknownKey, badToken }).toEqual({ unknownKey: expected, badToken: expected });
  });

  it('counts two mutation fields, and a document over the alias limit, as QUERY_TOO_COMPLEX', async () => {
    const token = t.operatorToken;
    const twoFields = await counted(
      post({ query: 'mutation { a: createPartner(input: { name: "a", scopes: [] }) { userErrors { code } } b: createPartner(input: { name: "b", scopes: [] }) { userErrors { code } } }' }, { authorization: `Bearer ${token}` }),
      // refused in validation, before the operation (its type) is resolved
      'unknown',
      'QUERY_TOO_COMPLEX',
    );
    const aliases = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: customer(externalId: "x") { name }`).join(' ')} }`;
    const tooManyAliases = await counted(post({ query: aliases }, { authorization: `Bearer ${token}` }), 'unknown', 'QUERY_TOO_COMPLEX');
    const expected = { status: 400, answered: 'QUERY_TOO_COMPLEX', failed: 1, failedOther: 0, errors: 1 };
    expect({ twoFields, tooManyAliases }).toEqual({ twoFields: expected, tooManyAliases: expected });
  });
});

/**
 * newcomer-18: a client that asked a production gateway for its schema over HTTP was told Apollo's
 * "To enable introspection, pass introspection: true to ApolloServer in production" (advice for the
 * server's code, which no caller can follow, naming the server's framework), and over the socket
 * graphql-js's other wording. Both now say the same thing, and where the schema is.
 */
describe('introspection refused in production says why, the same over HTTP and the socket (newcomer-18)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ NODE_ENV: 'production' });
  });
  afterAll(() => t.close());

  it('answers one message naming the setting and the published schema', async () => {
    const query = '{ __schema { types { name } } }';
    const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` }, body: JSON.stringify({ query }) });
    const http = ((await res.json()) as { errors: { message: string; extensions: { code: string } }[] }).errors;
    const socket = openSocket(t.url, t.operatorToken);
    let ws: readonly { message: string; extensions?: Record<string, unknown> }[] | undefined;
    try {
      ws = (await firstResult(socket.client, query)).errors;
    } finally {
      await socket.dispose();
    }
    const expected = [{ message: INTROSPECTION_OFF_MESSAGE, code: 'GRAPHQL_VALIDATION_FAILED' }];
    // graphql-js reports each introspection field of the document (here two), Apollo the document once
    const ws1 = [...new Map(ws?.map((e) => [e.message, { message: e.message, code: e.extensions?.code }])).values()];
    expect({ status: res.status, http: http.map((e) => ({ message: e.message, code: e.extensions.code })), ws: ws1 }).toEqual({ status: 400, http: expected, ws: expected });
  });
});
