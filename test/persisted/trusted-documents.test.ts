import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import pino from 'pino';
import { startGateway, type Gateway } from '../../src/http/server.js';
import { documentHash, manifestFromDocument, type PersistedManifest } from '../../src/persisted/manifest.js';
import { PurchaseOfferDocument, RegisterPersistedOperationsDocument } from '../generated/graphql.js';
import { contractDocument } from '../support/contract.js';
import { dataOf, ok, startTestGateway, writeCounts, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, simpleShop, unique } from '../support/program.js';

const ALL_SCOPES = ['customers:read', 'offers:redeem', 'transactions:write', 'transactions:read', 'activities:write'];
const partnerManifest = manifestFromDocument(contractDocument('partner'));
const idOf = (name: string, manifest: PersistedManifest = partnerManifest) => manifest.operations.find((op) => op.name === name)!.id;
const bodyOf = (name: string, manifest: PersistedManifest = partnerManifest) => manifest.operations.find((op) => op.name === name)!.body;
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

interface Answer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
  headers: Headers;
}
const codes = (a: Answer) => a.body.errors?.map((e) => e.extensions?.code);

/**
 * Trusted documents (issue 8, SPEC §4): partners run only the operations registered for them, by
 * id; APQ documents are shared by every instance through PostgreSQL.
 */
describe('trusted documents', () => {
  let t: TestGateway;
  let other: Gateway;
  let currency: string;
  let customer: Awaited<ReturnType<typeof createCustomer>>;

  async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Answer['body'], headers: res.headers };
  }
  async function get(params: Record<string, unknown>, headers: Record<string, string> = {}, url = t.url): Promise<Answer> {
    const search = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    const res = await fetch(`${url}?${search}`, { headers });
    return { status: res.status, body: (await res.json()) as Answer['body'], headers: res.headers };
  }
  const metric = async (name: string) => Number(/^(\S+) (\d+)$/m.exec((await (await t.fetch('/metrics')).text()).split('\n').filter((l) => l.startsWith(`${name} `)).join('\n'))?.[2] ?? NaN);

  beforeAll(async () => {
    t = await startTestGateway();
    // A second instance on the same database; this one holds the `mobile` client to its list.
    other = await startGateway(
      { config: { ...t.config, persistedOnly: ['mobile'] }, orm: t.orm, databaseUrl: t.databaseUrl, clock: t.clock, log: pino({ level: 'silent' }) },
      0,
      '127.0.0.1',
    );
    ({ currency } = await simpleShop(t));
    customer = await createCustomer(t, currency, 70);
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  it('the build wrote the manifest of the contract partner operations (schema/partner-manifest.json is current)', () => {
    const written = JSON.parse(readFileSync(new URL('../../schema/partner-manifest.json', import.meta.url), 'utf8'));
    expect(written).toEqual(partnerManifest);
    for (const op of written.operations) expect(op.id).toBe(documentHash(op.body));
  });

  describe('registering a manifest', () => {
    const register = (client: string, manifest: unknown, token = t.operatorToken) => t.gql(RegisterPersistedOperationsDocument, { input: { client, manifest } }, token);
    const rows = async (client: string) => (await t.sql<{ n: number }>(`select count(*)::int as n from persisted_operation where client = $1`, [client]))[0].n;

    it('checks every operation against the schema and registers them all; the same manifest again changes nothing', async () => {
      const partner = await createPartner(t, ALL_SCOPES);
      const client = `partner:${Buffer.from(partner.id, 'base64url').toString().split(':')[1]}`;
      expect(dataOf(await register(partner.id, partnerManifest)).registerPersistedOperations).toEqual({ count: 8, userErrors: [] });
      const audit = await t.sql(`select count(*)::int as n from audit_entry`);
      expect(dataOf(await register(partner.id, partnerManifest)).registerPersistedOperations).toEqual({ count: 0, userErrors: [] });
      expect(await rows(client)).toBe(8);
      expect(await t.sql(`select count(*)::int as n from audit_entry`)).toEqual(audit);
    });

    it('refuses the whole manifest, with each operation\'s errors, when one does not check out', async () => {
      const valid = manifestFromDocument(parse('query Mine { me { id } }')).operations[0];
      const unknownField = manifestFromDocument(parse('query Secrets { me { id passwordHash } }')).operations[0];
      const badId = { ...manifestFromDocument(parse('query Other { me { email } }')).operations[0], id: documentHash('something else') };
      const wrongType = { ...manifestFromDocument(parse('query Typed { me { name } }')).operations[0], type: 'mutation' };
      const syntax = { id: documentHash('query Broken {'), name: 'Broken', type: 'query', body: 'query Broken {' };
      const manifest = { format: 'apollo-persisted-query-manifest', version: 1, operations: [valid, unknownField, badId, wrongType, syntax] };
      const refused = dataOf(await register('mobile-refused', manifest)).registerPersistedOperations;
      expect(refused.count).toBeNull();
      expect(refused.userErrors).toEqual([
        { code: 'INVALID', field: ['input', 'manifest', 'operations', '1', 'body'], message: expect.stringContaining('Cannot query field "passwordHash" on type "Customer"') },
        { code: 'INVALID', field: ['input', 'manifest', 'operations', '2', 'id'], message: 'Other: id must be the SHA-256 (hex) of the body.' },
        { code: 'INVALID', field: ['input', 'manifest', 'operations', '3', 'type'], message: 'Typed: the body is a query, not a mutation.' },
        { code: 'INVALID', field: ['input', 'manifest', 'operations', '4', 'body'], message: expect.stringContaining('Syntax Error') },
      ]);
      expect(await rows('mobile-refused')).toBe(0);

      const notAManifest = dataOf(await register('mobile-refused', { format: 'something', operations: 'no' })).registerPersistedOperations;
      expect(notAManifest.userErrors.map((e) => e.field)).toEqual([
        ['input', 'manifest', 'format'],
        ['input', 'manifest', 'version'],
        ['input', 'manifest', 'operations'],
      ]);
      expect(dataOf(await register('Not A Name!', partnerManifest)).registerPersistedOperations.userErrors).toEqual([
        { code: 'INVALID', field: ['input', 'client'], message: expect.any(String) },
      ]);
      expect(dataOf(await register(Buffer.from('Partner:999999').toString('base64url'), partnerManifest)).registerPersistedOperations.userErrors).toEqual([
        { code: 'NOT_FOUND', field: ['input', 'client'], message: 'No such partner.' },
      ]);
      expect(await rows('mobile-refused')).toBe(0);
    });

    it('is for operators only', async () => {
      const partner = await createPartner(t, ALL_SCOPES);
      for (const credential of [t.analystToken, customer.token]) {
        expect((await register('web', partnerManifest, credential)).errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      }
      // a partner cannot even send the mutation: it is not on its list
      const asPartner = await t.gql(RegisterPersistedOperationsDocument, { input: { client: 'web', manifest: partnerManifest } }, { apiKey: partner.apiKey, asText: true });
      expect(asPartner.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);
      expect(await rows('web')).toBe(0);
    });
  });

  it('tells a partner whose list is still empty that nothing is registered for it yet, and one with a list that this id is not on it', async () => {
    // A POS's first call after an operator created its key: "not on the registered list" sent
    // integrators looking for a wrong id when no operation had been registered for them at all.
    const fresh = await createPartner(t, ALL_SCOPES);
    const send = () => post(t.url, { extensions: persisted(idOf('CustomerByExternalId')), variables: { externalId: customer.externalId } }, { 'x-api-key': fresh.apiKey });
    const first = await send();
    expect([first.status, first.body]).toEqual([
      400,
      { errors: [{ message: "This client has no registered operations yet: an operator registers its manifest first (the console's Partners page, or registerPersistedOperations).", extensions: { code: 'PERSISTED_QUERY_NOT_ALLOWED' } }] },
    ]);
    await t.register({ apiKey: fresh.apiKey }, partnerManifest);
    expect((await send()).body).toEqual({ data: { customer: expect.objectContaining({ externalId: customer.externalId }) } });
    const unknown = await post(t.url, { extensions: persisted(documentHash('query Nope { me { id } }')) }, { 'x-api-key': fresh.apiKey });
    expect([unknown.status, unknown.body]).toEqual([
      400,
      { errors: [{ message: 'This operation is not on the registered list of this client: an id is the SHA-256 of the operation body as its manifest registered it.', extensions: { code: 'PERSISTED_QUERY_NOT_ALLOWED' } }] },
    ]);
  });

  describe('a partner with a registered manifest', () => {
    let pos: Awaited<ReturnType<typeof createPartner>>;
    let rival: Awaited<ReturnType<typeof createPartner>>;
    const expected = () => ({ customer: { id: expect.any(String), externalId: customer.externalId, tier: null, balances: [{ currency: { code: currency }, available: 70, pending: 0 }] } });

    beforeAll(async () => {
      pos = await createPartner(t, ALL_SCOPES);
      rival = await createPartner(t, ALL_SCOPES);
      await t.register({ apiKey: pos.apiKey }, partnerManifest);
    });

    it('runs its operations by id over POST, with no query or with the very body the id names', async () => {
      const byId = await post(t.url, { extensions: persisted(idOf('CustomerByExternalId')), variables: { externalId: customer.externalId } }, { 'x-api-key': pos.apiKey });
      expect([byId.status, byId.body]).toEqual([200, { data: expected() }]);
      expect(byId.headers.get('cache-control')).toBe('private, no-store');
      const withBody = await post(
        t.url,
        { query: bodyOf('CustomerByExternalId'), extensions: persisted(idOf('CustomerByExternalId')), variables: { externalId: customer.externalId } },
        { 'x-api-key': pos.apiKey },
      );
      expect(withBody.body).toEqual({ data: expected() });
      // on the other instance too: the list is in the database
      const elsewhere = await post(other.url, { extensions: persisted(idOf('CustomerByExternalId')), variables: { externalId: customer.externalId } }, { 'x-api-key': pos.apiKey });
      expect(elsewhere.body).toEqual({ data: expected() });
    });

    it('runs its queries by id over GET (private: the answer depends on the key), never its mutations', async () => {
      const res = await get({ extensions: persisted(idOf('CustomerByExternalId')), variables: { externalId: customer.externalId } }, { 'x-api-key': pos.apiKey });
      expect([res.status, res.body]).toEqual([200, { data: expected() }]);
      expect(res.headers.get('cache-control')).toBe('private, no-store');

      const before = await writeCounts(t);
      const activity = await get(
        { extensions: persisted(idOf('RecordActivity')), variables: { customerExternalId: customer.externalId, kind: 'REVIEW', reference: 'r-get' } },
        { 'x-api-key': pos.apiKey },
      );
      expect(activity.status).toBe(405);
      expect(activity.headers.get('allow')).toBe('POST');
      expect(await writeCounts(t)).toEqual(before);
    });

    it('refuses anything else with PERSISTED_QUERY_NOT_ALLOWED, unparsed and unexecuted', async () => {
      const parsedBefore = await metric('graphql_documents_parsed_total');
      const before = await writeCounts(t);
      const key = { 'x-api-key': pos.apiKey };
      const rivalOnly = manifestFromDocument(parse('query RivalOnly($externalId: String!) { customer(externalId: $externalId) { email birthDate } }'));
      await t.register({ apiKey: rival.apiKey }, rivalOnly);
      const refusals = {
        // the ad-hoc query that read a customer's email and birth date, and the one that awarded points
        adHoc: await post(t.url, { query: `{ customer(externalId: "${customer.externalId}") { email birthDate } }` }, key),
        adHocAward: await post(t.url, { query: `mutation { recordActivity(input: { customerExternalId: "${customer.externalId}", kind: REVIEW, reference: "x" }) { pointsAwarded } }` }, key),
        registeredAsText: await post(t.url, { query: bodyOf('CustomerByExternalId'), variables: { externalId: customer.externalId } }, key),
        anotherPartners: await post(t.url, { extensions: persisted(idOf('RivalOnly', rivalOnly)), variables: { externalId: customer.externalId } }, key),
        otherBody: await post(
          t.url,
          { query: 'query CustomerByExternalId($externalId: String!) { customer(externalId: $externalId) { email } }', extensions: persisted(idOf('CustomerByExternalId')), variables: { externalId: customer.externalId } },
          key,
        ),
        unknownHash: await post(t.url, { extensions: persisted(documentHash('query Nope { me { id } }')) }, key),
        notGraphQL: await post(t.url, { query: '{{{ not even GraphQL' }, key),
        getAsText: await get({ query: bodyOf('CustomerByExternalId'), variables: { externalId: customer.externalId } }, key),
      };
      for (const [name, answer] of Object.entries(refusals)) {
        expect([name, answer.status, codes(answer), answer.body.data]).toEqual([name, 400, ['PERSISTED_QUERY_NOT_ALLOWED'], undefined]);
      }
      // the rival runs its own operation; nobody else's
      const rivals = await post(t.url, { extensions: persisted(idOf('RivalOnly', rivalOnly)), variables: { externalId: customer.externalId } }, { 'x-api-key': rival.apiKey });
      expect(rivals.body.data).toEqual({ customer: { email: null, birthDate: null } });
      const rivalRunsPos = await post(t.url, { extensions: persisted(idOf('CustomerByExternalId')), variables: { externalId: customer.externalId } }, { 'x-api-key': rival.apiKey });
      expect(codes(rivalRunsPos)).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);

      expect(await writeCounts(t)).toEqual(before);
      // refused before parsing: apart from the rival's one new document, nothing was parsed
      expect(await metric('graphql_documents_parsed_total')).toBe(parsedBefore + 1);
    });

    it('parses and validates a registered operation once, not per request', async () => {
      const send = () => post(t.url, { extensions: persisted(idOf('TransactionStatus')), variables: { externalId: 'none' } }, { 'x-api-key': pos.apiKey });
      await send();
      const parsed = await metric('graphql_documents_parsed_total');
      for (let i = 0; i < 5; i++) expect((await send()).status).toBe(200);
      expect(await metric('graphql_documents_parsed_total')).toBe(parsed);
    });
  });

  describe('automatic persisted queries', () => {
    it('registers a document on one instance and serves it by hash on another', async () => {
      const query = `query Apq${Date.now()} { me { externalId } }`;
      const hash = documentHash(query);
      const auth = { authorization: `Bearer ${customer.token}` };
      const unknown = await post(other.url, { extensions: persisted(hash) }, auth);
      expect([unknown.status, codes(unknown)]).toEqual([200, ['PERSISTED_QUERY_NOT_FOUND']]);
      expect((await post(t.url, { query, extensions: persisted(hash) }, auth)).body).toEqual({ data: { me: { externalId: customer.externalId } } });
      const served = await post(other.url, { extensions: persisted(hash) }, auth);
      expect(served.body).toEqual({ data: { me: { externalId: customer.externalId } } });
      // by GET too
      expect((await get({ extensions: persisted(hash) }, auth, other.url)).body).toEqual({ data: { me: { externalId: customer.externalId } } });

      // APQ never adds to a partner's list
      const partner = await createPartner(t, ALL_SCOPES);
      expect(codes(await post(t.url, { extensions: persisted(hash) }, { 'x-api-key': partner.apiKey }))).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);
      expect(codes(await post(t.url, { query, extensions: persisted(hash) }, { 'x-api-key': partner.apiKey }))).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);
    });

    it('answers a hash that is not its body\'s with a client error, and remembers nothing', async () => {
      const auth = { authorization: `Bearer ${customer.token}` };
      const hash = documentHash('query Honest { me { id } }');
      const mismatch = await post(t.url, { query: 'query Liar { me { email } }', extensions: persisted(hash) }, auth);
      expect([mismatch.status, codes(mismatch)]).toEqual([400, ['PERSISTED_QUERY_HASH_MISMATCH']]);
      expect(codes(await post(t.url, { extensions: persisted(hash) }, auth))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      const malformed = await post(t.url, { extensions: { persistedQuery: { version: 1, sha256Hash: 'not-a-hash' } } }, auth);
      expect([malformed.status, codes(malformed)]).toEqual([400, ['BAD_REQUEST']]);
      // a document that does not validate is not remembered either
      const invalid = 'query Invalid { me { nope } }';
      expect(codes(await post(t.url, { query: invalid, extensions: persisted(documentHash(invalid)) }, auth))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(codes(await post(t.url, { extensions: persisted(documentHash(invalid)) }, auth))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    });

    it('does not remember documents of anonymous callers in production', async () => {
      const production = await startTestGateway({ NODE_ENV: 'production' });
      try {
        const query = `query Anonymous${Date.now()} { __typename }`;
        const hash = documentHash(query);
        const headers = { 'apollo-require-preflight': 'true' };
        const ran = await post(production.url, { query, extensions: persisted(hash) }, headers);
        expect(ran.body).toEqual({ data: { __typename: 'Query' } });
        expect(codes(await post(production.url, { extensions: persisted(hash) }, headers))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
        expect(await production.sql(`select hash from persisted_document where hash = $1`, [hash])).toEqual([]);
      } finally {
        await production.close();
      }
      // in development they are
      const query = `query Anonymous${Date.now()}Dev { __typename }`;
      await post(t.url, { query, extensions: persisted(documentHash(query)) }, { 'apollo-require-preflight': 'true' });
      expect(await t.sql(`select hash from persisted_document where hash = $1`, [documentHash(query)])).toHaveLength(1);
    });
  });

  it('holds first-party clients named in PERSISTED_ONLY to their list', async () => {
    const mobile = manifestFromDocument(contractDocument('mobile'));
    await t.register('mobile', mobile);
    const auth = { authorization: `Bearer ${customer.token}`, 'apollographql-client-name': 'mobile' };
    const profile = await post(other.url, { extensions: persisted(idOf('Profile', mobile)) }, auth);
    expect((profile.body.data as { me: { externalId: string } }).me.externalId).toBe(customer.externalId);
    const asText = await post(other.url, { query: bodyOf('Profile', mobile) }, auth);
    expect([asText.status, codes(asText)]).toEqual([400, ['PERSISTED_QUERY_NOT_ALLOWED']]);
    // the instance without the setting lets the same client send text
    expect((await post(t.url, { query: '{ me { externalId } }' }, auth)).body).toEqual({ data: { me: { externalId: customer.externalId } } });
    const shop = await simpleShop(t);
    const buyer = await createCustomer(t, shop.currency, 500);
    const bought = await post(
      other.url,
      { extensions: persisted(idOf('PurchaseOffer', mobile)), variables: { listingId: shop.listing.id, idempotencyKey: unique('buy') } },
      { authorization: `Bearer ${buyer.token}`, 'apollographql-client-name': 'mobile' },
    );
    expect(bought.body.errors).toBeUndefined();
    expect(ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, buyer.token)).purchaseOffer.purchase).toBeTruthy();
  });

  it('lets shared caches keep only what is the same for every caller', async () => {
    const anonymous = await get({ query: '{ __typename }' }, { 'apollo-require-preflight': 'true' });
    expect([anonymous.status, anonymous.body, anonymous.headers.get('cache-control')]).toEqual([200, { data: { __typename: 'Query' } }, 'public, max-age=60']);
    const signedIn = await get({ query: '{ me { externalId } }' }, { authorization: `Bearer ${customer.token}` });
    expect([signedIn.status, signedIn.headers.get('cache-control')]).toEqual([200, 'private, no-store']);
    const failed = await get({ query: '{ me { externalId } }' }, { 'apollo-require-preflight': 'true' });
    expect([failed.status, failed.headers.get('cache-control')]).toEqual([401, 'private, no-store']);
    const posted = await post(t.url, { query: '{ __typename }' }, {});
    expect(posted.headers.get('cache-control')).toBe('private, no-store');
  });
});
