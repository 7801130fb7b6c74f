import { startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * break-23: the Content-Types newcomer-23's JSON-only POST met. A media type's type and subtype are
 * case-insensitive (RFC 9110 §8.3.1: "The type and subtype tokens are case-insensitive"), so
 * `APPLICATION/JSON` is the `application/json` the GraphQL-over-HTTP spec says a server MUST take
 * for a POST; it was refused 400 BAD_REQUEST "… send it with the header Content-Type:
 * application/json (this one came as "APPLICATION/JSON")", telling the client to send what it
 * sent. The other variants are what held: every answer a client reads, per Content-Type.
 */
describe('a POST with a JSON Content-Type in any case runs; the others are refused as newcomer-23 said (break-23)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  /** Status and, per answer, the data or the first error's code and message. */
  async function answer(method: 'GET' | 'POST', contentType: string | null, body?: string) {
    const url = method === 'GET' ? `${t.url}?query=${encodeURIComponent('{ __typename }')}` : t.url;
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${t.operatorToken}`, ...(contentType === null ? {} : { 'content-type': contentType }) },
      // A Uint8Array body makes fetch send no Content-Type of its own.
      ...(body === undefined ? {} : { body: new TextEncoder().encode(body) }),
    });
    const sent = (await res.json()) as { data?: unknown; errors?: { message: string; extensions: { code: string } }[] };
    return { status: res.status, ...(sent.errors ? { error: { code: sent.errors[0].extensions.code, message: sent.errors[0].message } } : { data: sent.data }) };
  }
  const json = JSON.stringify({ query: '{ __typename }' });
  const ran = { status: 200, data: { __typename: 'Query' } };
  const refused = (came: string) => ({
    status: 400,
    error: { code: 'BAD_REQUEST', message: `A POST body is read as JSON only: send it with the header Content-Type: application/json (this one came ${came}).` },
  });

  it('application/json in upper or mixed case, with or without a charset, runs as application/json does', async () => {
    const types = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'Application/Json; Charset=UTF-8', 'application/JSON;charset="utf-8"'];
    const answers = [];
    for (const type of types) answers.push({ type, ...(await answer('POST', type, json)) });
    expect(answers).toEqual(types.map((type) => ({ type, ...ran })));
  });

  it('what held: graphql-response+json runs; application/graphql, multipart, a form, text and none are refused naming the type; a GET runs with no type', async () => {
    const boundary = 'multipart/form-data; boundary=----x';
    expect({
      responseType: await answer('POST', 'application/graphql-response+json', json),
      graphql: await answer('POST', 'application/graphql', '{ __typename }'),
      multipart: await answer('POST', boundary, `------x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${json}\r\n------x--\r\n`),
      form: await answer('POST', 'application/x-www-form-urlencoded', `query=${encodeURIComponent('{ __typename }')}`),
      none: await answer('POST', null, json),
      get: await answer('GET', null),
      getJson: await answer('GET', 'APPLICATION/JSON'),
    }).toEqual({
      responseType: ran,
      graphql: refused('as "application/graphql"'),
      multipart: refused(`as "${boundary}"`),
      form: refused('as "application/x-www-form-urlencoded"'),
      none: refused('with no Content-Type'),
      get: ran,
      getJson: ran,
    });
  });
});
