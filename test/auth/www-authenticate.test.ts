import { signToken } from '../../src/http/auth.js';
import { ProfileDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop } from '../support/program.js';

/**
 * Every HTTP 401 the gateway sends names how to authenticate (RFC 9110 §11.6.1:
 * `WWW-Authenticate: Bearer realm="reward-gateway"`), whichever path refused the request; no other
 * answer carries the challenge (docs/decisions.md, "401 answers carry a Bearer challenge").
 */
describe('WWW-Authenticate on 401', () => {
  const CHALLENGE = 'Bearer realm="reward-gateway"';
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ CORS_ORIGINS: 'https://app.example' });
  });
  afterAll(() => t.close());

  const profile = (headers: Record<string, string>) =>
    t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: ProfileDocument.toString() }) });

  async function expectChallenged(res: Response, message: string) {
    expect([res.status, res.headers.get('www-authenticate')]).toEqual([401, CHALLENGE]);
    expect(((await res.json()) as { errors: { message: string; extensions: { code: string } }[] }).errors).toEqual([{ message, extensions: { code: 'UNAUTHENTICATED' } }]);
  }

  it('a bad token, an expired token, an unknown API key and no credentials at all get 401 with the challenge', async () => {
    const forged = await signToken({ ...t.config, jwtSecret: 'another-secret-that-is-long-enough-for-hs256' }, { sub: 'cust-forged' });
    await expectChallenged(await profile({ authorization: `Bearer ${forged}` }), "The token's signature does not verify.");
    await expectChallenged(await profile({ authorization: 'Bearer not-a-jwt' }), 'Authorization must be "Bearer <JWT>": a JWT is three base64url parts joined by dots.');
    // newcomer-34: curl's -H "authorization: Bearer $TOKEN" with TOKEN unset, and a token pasted with quotes or the docs' < >
    await expectChallenged(await profile({ authorization: 'Bearer ' }), 'Authorization has nothing after "Bearer": is the variable holding your token set?');
    await expectChallenged(await profile({ authorization: 'bearer' }), 'Authorization has nothing after "Bearer": is the variable holding your token set?');
    await expectChallenged(await profile({ authorization: `Bearer "${forged}"` }), 'Authorization must be "Bearer <JWT>": send the token without quotes or < > around it.');
    await expectChallenged(await profile({ authorization: `Bearer <${forged}>` }), 'Authorization must be "Bearer <JWT>": send the token without quotes or < > around it.');
    await expectChallenged(
      await profile({ authorization: `Bearer ${await signToken(t.config, { sub: 'staff-x', role: 'admin' })}` }),
      'This token\'s role is not one this gateway knows: a customer\'s token has none, staff\'s is "operator" or "analyst".',
    );
    const expired = await signToken(t.config, { sub: 'cust-expired' }, -60);
    await expectChallenged(await profile({ authorization: `Bearer ${expired}` }), 'The token has expired.');
    await expectChallenged(await profile({ 'x-api-key': 'rg_unknown_key_0123456789' }), 'Unknown or revoked API key.');
    // An empty key (an unset variable in the partner's configuration) is told it is empty, not revoked (newcomer-19).
    await expectChallenged(await profile({ 'x-api-key': '' }), 'The x-api-key header is empty: put your API key (rg_…) in it.');
    await expectChallenged(await profile({ 'x-api-key': '  ' }), 'The x-api-key header is empty: put your API key (rg_…) in it.');
    await expectChallenged(await profile({ authorization: 'Basic dXNlcjpwYXNz' }), 'Authorization must be "Bearer <JWT>", not the Basic scheme.');
    await expectChallenged(await profile({ authorization: '{"token":1}' }), 'Authorization must be "Bearer <JWT>".');
    await expectChallenged(await profile({ authorization: forged }), 'Authorization must be "Bearer <JWT>": the word Bearer and a space go before the token.');
    // A partner's key sent as a token (trial-12: a new POS developer's first try) is told where keys go.
    await expectChallenged(await profile({ authorization: 'Bearer rg_CJCFxZTY5Zl-agG-C_0cjAyxVH7ltmXU' }), 'An API key goes in the x-api-key header, not in Authorization.');
    await expectChallenged(await profile({ authorization: 'rg_CJCFxZTY5Zl-agG-C_0cjAyxVH7ltmXU' }), 'An API key goes in the x-api-key header, not in Authorization.');
    // ... and one sent under another header's name (newcomer-36: `api-key`, `x-api-token` got "Sign in first")
    await expectChallenged(await profile({ 'api-key': 'rg_CJCFxZTY5Zl-agG-C_0cjAyxVH7ltmXU' }), 'An API key goes in the x-api-key header; this request sent one in "api-key".');
    await expectChallenged(await profile({ 'x-api-token': ' rg_CJCFxZTY5Zl-agG-C_0cjAyxVH7ltmXU ' }), 'An API key goes in the x-api-key header; this request sent one in "x-api-token".');
    // No credentials: refused once the operation is known not to be introspection.
    await expectChallenged(await profile({ 'apollo-require-preflight': 'true' }), 'Sign in first: a valid bearer token or API key is required.');
  });

  it('a browser app on an allowed origin may read the challenge', async () => {
    const res = await profile({ authorization: 'Bearer not-a-jwt', origin: 'https://app.example' });
    expect([res.status, res.headers.get('access-control-allow-origin')]).toEqual([401, 'https://app.example']);
    expect(res.headers.get('access-control-expose-headers')?.split(', ')).toContain('www-authenticate');
  });

  it("a closed customer's token gets 401 with the challenge, refused by authentication or after a compiled query", async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 10);
    // Seen enough times to run compiled, with the customer's id cached: the check is left to the request.
    for (let i = 0; i < 5; i++) expect((await profile({ authorization: `Bearer ${customer.token}` })).status).toBe(200);
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'CLOSED' } }, t.operatorToken));
    await expectChallenged(await profile({ authorization: `Bearer ${customer.token}` }), 'No active customer for this token.');
    // Now authentication reads the customer first.
    await expectChallenged(await profile({ authorization: `Bearer ${customer.token}` }), 'No active customer for this token.');
  });

  it('a 200, a 200 carrying FORBIDDEN and a 403 carry no challenge', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 10);
    const fine = await profile({ authorization: `Bearer ${customer.token}` });
    expect([fine.status, fine.headers.get('www-authenticate')]).toEqual([200, null]);

    const forbidden = await t.gql('{ partners { id } }', {}, customer.token);
    expect(forbidden.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect([forbidden.status, forbidden.headers.get('www-authenticate')]).toEqual([200, null]);

    // A CORS preflight from an origin not allowed.
    const preflight = await t.fetch('/graphql', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect([preflight.status, preflight.headers.get('www-authenticate')]).toEqual([403, null]);
  });
});
