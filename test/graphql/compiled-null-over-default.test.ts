import pino from 'pino';
import { startGateway, type Gateway } from '../../src/http/server.js';
import { compiledRequests, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop } from '../support/program.js';

/**
 * The compiled-document cache (found by break32c's hostile pass): one document text and one set of
 * variables get the same answer whether the document is compiled yet or not (src/graphql/compiled.ts
 * promises the interpreter's answer byte for byte). A nullable variable with a default, sent as
 * null, in `@skip(if:)`/`@include(if:)` (valid GraphQL: a variable with a default may stand in a
 * non-null position) is a field error in graphql-js; the compiled plan (graphql-jit compiles the
 * condition to `$v === false` / `$v === true`) left the field out with no error, so the request
 * changed answer once its document was hot (its third send). And the field error, the client's
 * mistake, was answered INTERNAL_SERVER_ERROR: it is BAD_USER_INPUT.
 */
describe('compiled plans and @skip/@include with a null variable', () => {
  let t: TestGateway;
  let interpreted: Gateway;
  let token: string;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    interpreted = await startGateway(
      { config: { ...t.config, compiledQueries: false }, orm: t.orm, databaseUrl: t.databaseUrl, clock: t.clock, log: pino({ level: 'silent' }) },
      0,
      '127.0.0.1',
    );
    const shop = await simpleShop(t, { priceInPoints: 100 });
    token = (await createCustomer(t, shop.currency, 500)).token;
  });
  afterAll(async () => {
    await interpreted?.close();
    await t?.close();
  });

  const post = async (url: string, body: unknown) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    // request ids differ per request
    return { status: res.status, body: (await res.text()).replace(/"requestId":"[^"]+"/g, '"requestId":"X"') };
  };

  it.each([
    ['@skip', 'query SkipNull($s: Boolean = false) { me { id balances @skip(if: $s) { available } } }', { s: null }],
    ['@include', 'query IncludeNull($i: Boolean = true) { me { id balances @include(if: $i) { available } } }', { i: null }],
  ])('%s(if: null) is answered alike before and after the document is compiled', async (_name, query, variables) => {
    const expected = await post(interpreted.url, { query, variables });
    // the document hot: compiled, and answering other values of the variable from its plan
    const [name] = Object.keys(variables);
    const before = await compiledRequests(t);
    for (let i = 0; i < 4; i++) expect((await post(t.url, { query, variables: { [name]: i % 2 === 0 } })).status).toBe(200);
    expect((await compiledRequests(t)) - before).toBeGreaterThan(0);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await post(t.url, { query, variables }));
    for (const answer of answers) expect(answer).toEqual(expected);
    const { data, errors } = JSON.parse(expected.body) as { data: { me: null }; errors: { message: string; path: string[]; extensions: { code: string } }[] };
    expect(data).toEqual({ me: null });
    expect(errors.map((e) => [e.extensions.code, e.message, e.path])).toEqual([['BAD_USER_INPUT', 'Argument "if" of non-null type "Boolean!" must not be null.', ['me']]]);
  });
});
