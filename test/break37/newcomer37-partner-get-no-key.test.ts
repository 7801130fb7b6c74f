import { readFileSync } from 'node:fs';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, simpleShop } from '../support/program.js';

/**
 * newcomer37: the README's table "What a partner's refusals look like" says, "as sent with the
 * examples above", that a partner whose key is missing (curl drops `-H "x-api-key: $KEY"` when KEY
 * is unset or empty) gets 401 UNAUTHENTICATED "Sign in first: …", and one sending an empty header
 * (`-H 'x-api-key;'`) 401 "The x-api-key header is empty: put your API key (rg_…) in it.". That
 * holds for POST. The README's own `TransactionStatus` example, and the start banner's `Try:`
 * `CustomerByExternalId`, are GETs: with KEY unset in a new terminal (the commonest slip) they get
 * HTTP 400 BAD_REQUEST "This operation has been blocked as a potential Cross-Site Request Forgery
 * (CSRF). Please either specify a 'content-type' header … or provide a non-empty value for one of
 * the following headers: authorization, x-api-key, x-apollo-operation-name, apollo-require-preflight"
 * (Apollo's csrfPrevention, src/http/server.ts, runs before the credentials are looked at). It
 * points the partner at content types and preflight headers; adding `apollo-require-preflight`
 * as told then answers 401 "Sign in first". A GET should be told what a POST is told.
 */
describe('newcomer37: a partner GET with no or an empty x-api-key is told about its key', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  type Answer = { status: number; code?: string; message?: string };
  const answer = async (res: Response): Promise<Answer> => {
    const body = (await res.json()) as { errors?: { message: string; extensions: { code: string } }[] };
    return { status: res.status, code: body.errors?.[0]?.extensions.code, message: body.errors?.[0]?.message };
  };

  it('answers GET as POST: 401 "Sign in first" without the header, 401 "header is empty" with it empty', async () => {
    const { currency } = await simpleShop(t);
    const member = await createCustomer(t, currency, 10);
    const partner = await createPartner(t, ['customers:read', 'transactions:read']);
    // The demo POS's list: the contract's partner operations, as schema/partner-manifest.json holds them.
    const manifest = JSON.parse(readFileSync(new URL('../../schema/partner-manifest.json', import.meta.url), 'utf8'));
    await t.register({ apiKey: partner.apiKey }, manifest);
    const id = (manifest.operations as { name: string; id: string }[]).find((o) => o.name === 'CustomerByExternalId')!.id;
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: id } });
    const variables = JSON.stringify({ externalId: member.externalId });

    // The key works by GET, as the README's examples send it.
    const qs = `?extensions=${encodeURIComponent(extensions)}&variables=${encodeURIComponent(variables)}`;
    expect((await t.fetch(`/graphql${qs}`, { headers: { 'x-api-key': partner.apiKey } })).status).toBe(200);

    const post = (headers: Record<string, string>) =>
      t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ extensions: JSON.parse(extensions), variables: JSON.parse(variables) }) });
    const get = (headers: Record<string, string>) => t.fetch(`/graphql${qs}`, { headers });

    const noKey: Answer = { status: 401, code: 'UNAUTHENTICATED', message: 'Sign in first: a valid bearer token or API key is required.' };
    const emptyKey: Answer = { status: 401, code: 'UNAUTHENTICATED', message: 'The x-api-key header is empty: put your API key (rg_…) in it.' };
    // POST: as documented.
    expect(await answer(await post({}))).toEqual(noKey);
    expect(await answer(await post({ 'x-api-key': '' }))).toEqual(emptyKey);
    // GET (the README's TransactionStatus example, the banner's Try:): the same answers.
    expect({ get: 'no header', ...(await answer(await get({}))) }).toEqual({ get: 'no header', ...noKey });
    expect({ get: 'empty header', ...(await answer(await get({ 'x-api-key': '' }))) }).toEqual({ get: 'empty header', ...emptyKey });
  });
});
