import pino from 'pino';
import { startGateway, type Gateway } from '../../src/http/server.js';
import { PurchaseOfferDocument, RedeemOfferDocument } from '../generated/graphql.js';
import { compiledRequests, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { RemoveListingDocument } from '../generated/graphql.js';
import { addListing, createCustomer, createOffer, createPartner, createStore, simpleShop, unique } from '../support/program.js';

/**
 * Hostile pass on mutation documents run compiled (src/graphql/compiled.ts): a second gateway on
 * the same database with COMPILED_QUERIES off is the reference. Every mutation must run at most
 * once, and only when the interpreter would run it; every answer must be the interpreter's.
 */
describe('compiled mutation documents, attacked', () => {
  let t: TestGateway;
  let interpreted: Gateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    interpreted = await startGateway(
      { config: { ...t.config, compiledQueries: false }, orm: t.orm, databaseUrl: t.databaseUrl, clock: t.clock, log: pino({ level: 'silent' }) },
      0,
      '127.0.0.1',
    );
    shop = await simpleShop(t, { priceInPoints: 100 });
  });
  afterAll(async () => {
    await interpreted?.close();
    await t?.close();
  });

  async function post(url: string, body: unknown, token?: string, headers: Record<string, string> = {}) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    // Values that differ between any two answers are masked; how the body is framed is not.
    const kept = Object.fromEntries(
      [...res.headers].filter(([name]) => !['date', 'x-request-id', 'keep-alive', 'connection'].includes(name)).map(([name, value]) => [name, name === 'content-length' ? 'N' : value]),
    );
    return { status: res.status, headers: kept, text: await res.text() };
  }
  /**
   * A replay's answer as its first answer was: replay-22 marks an answer taken from an earlier
   * request's record with `extensions.idempotentReplays` and `Idempotent-Replayed: true`, around the
   * same `data`. `replayed`: whether it was so marked.
   */
  function asFirstAnswer(r: Awaited<ReturnType<typeof post>>) {
    const { 'idempotent-replayed': header, ...headers } = r.headers;
    const body = r.text.startsWith('{') ? (JSON.parse(r.text) as { extensions?: { idempotentReplays?: unknown } }) : undefined;
    if (!body?.extensions?.idempotentReplays) return { ...r, headers, replayed: header === 'true' };
    const { extensions: _replays, ...first } = body;
    return { ...r, headers, text: `${JSON.stringify(first)}\n`, replayed: header === 'true' };
  }
  const purchasesOf = async (externalId: string) =>
    (await t.sql<{ n: number }>(`select count(*)::int as n from offer_purchase p join customer c on c.id = p.customer_id where c.external_id = $1`, [externalId]))[0].n;
  const masked = (text: string) =>
    JSON.stringify(JSON.parse(text), (key, value) => (['requestId', 'id', 'code', 'expiresAt'].includes(key) && typeof value === 'string' ? 'X' : value));

  it('runs no root mutation field after one whose error nulled the whole answer, as the interpreter does not', async () => {
    // `bad` throws (an unknown listing: BAD_USER_INPUT) and its payload is non-null, so the answer's
    // data is null and graphql-js never starts `good`. Nothing may be bought behind that answer.
    // Since hostile pass 12c a mutation of two root fields is refused before it runs
    // (QUERY_TOO_COMPLEX): compiled or not, the answer is that refusal and nothing is bought.
    const document = `mutation BadThenGood($bad: String!, $good: String!) {
      bad: purchaseOffer(input: { listingId: "not-a-listing", idempotencyKey: $bad }) { userErrors { code } }
      good: purchaseOffer(input: { listingId: "${shop.listing.id}", idempotencyKey: $good }) { purchase { pointsPaid } userErrors { code } }
    }`;
    const viaInterpreter = await createCustomer(t, shop.currency, 1_000);
    const viaCompiled = await createCustomer(t, shop.currency, 1_000);
    const expected = await post(interpreted.url, { query: document, variables: { bad: unique('k'), good: unique('k') } }, viaInterpreter.token);
    expect(JSON.parse(expected.text).errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(await purchasesOf(viaInterpreter.externalId)).toBe(0);
    // Sent often enough to be compiled (a third send of a text).
    for (let i = 0; i < 4; i++) {
      const got = await post(t.url, { query: document, variables: { bad: unique('k'), good: unique('k') } }, viaCompiled.token);
      expect(masked(got.text)).toBe(masked(expected.text));
      expect(got.status).toBe(expected.status);
    }
    expect(await purchasesOf(viaCompiled.externalId)).toBe(0);
    expect(await ledgerViolations(t)).toEqual([]);
  });
  it('answers every kind of purchase request compiled as the interpreter does, and buys as often', async () => {
    const D = String(PurchaseOfferDocument);
    const gone = await addListing(t, shop.store.id, (await createOffer(t)).id);
    expect(ok(await t.gql(RemoveListingDocument, { listingId: gone.id }, t.operatorToken)).removeListing.userErrors).toEqual([]);
    const vipStore = await createStore(t, shop.currency, { eligibility: { segments: ['vip'] } });
    const vipListing = await addListing(t, vipStore.id, (await createOffer(t)).id);
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 200; i++) at = (at.n = {}) as Record<string, unknown>;
    type Send = { body: unknown; who?: 'customer' | 'staff' | 'none'; headers?: Record<string, string> };
    const buy = (k: string, extra: Record<string, unknown> = {}, listingId: unknown = shop.listing.id): Send => ({ body: { query: D, variables: { listingId, idempotencyKey: k, ...extra } } });
    const withText = (query: string, variables: Record<string, unknown>, extra: Record<string, unknown> = {}): Send => ({ body: { query, variables, ...extra } });
    const aliased = `mutation PurchaseOffer($listingId: ID!, $idempotencyKey: String!, $yes: Boolean = true) {
      __typename
      bought: purchaseOffer(input: { listingId: $listingId, idempotencyKey: $idempotencyKey }) @include(if: $yes) { __typename ...P purchase { pointsPaid } }
    }
    fragment P on PurchaseOfferPayload { userErrors { code field message } balance { available } }`;
    const nested = `mutation Nested($listingId: ID!, $idempotencyKey: String!) {
      bought: purchaseOffer(input: { listingId: $listingId, idempotencyKey: $idempotencyKey }) {
        __typename ...P paid: purchase { __typename pointsPaid ... on OfferPurchase { again: pointsPaid } issuedOffer { status } }
      }
    }
    fragment P on PurchaseOfferPayload { userErrors { code field message } balance { available left: available } }`;
    const skipped = `mutation Skipped($listingId: ID!, $idempotencyKey: String!) {
      purchaseOffer(input: { listingId: $listingId, idempotencyKey: $idempotencyKey }) @skip(if: true) { purchase { pointsPaid } }
    }`;
    const cases: { name: string; balance: number; sends: (k: string) => Send[] }[] = [
      { name: 'a purchase', balance: 500, sends: (k) => [buy(k)] },
      { name: 'a purchase, retried with its key', balance: 500, sends: (k) => [buy(k), buy(k), buy(k)] },
      { name: 'the key again for another listing', balance: 500, sends: (k) => [buy(k), buy(k, {}, vipListing.id)] },
      { name: 'insufficient points', balance: 50, sends: (k) => [buy(k)] },
      { name: 'a listing taken off sale', balance: 500, sends: (k) => [buy(k, {}, gone.id)] },
      { name: 'a store the customer is not eligible for', balance: 500, sends: (k) => [buy(k, {}, vipListing.id)] },
      { name: 'an unknown listing', balance: 500, sends: (k) => [buy(k, {}, 'not-a-listing')] },
      { name: 'listingId as an int', balance: 500, sends: (k) => [buy(k, {}, 123)] },
      { name: 'listingId as a float', balance: 500, sends: (k) => [buy(k, {}, 1.5)] },
      { name: 'listingId null', balance: 500, sends: (k) => [buy(k, {}, null)] },
      { name: 'listingId a list', balance: 500, sends: (k) => [buy(k, {}, [shop.listing.id])] },
      { name: 'listingId an object nested deep', balance: 500, sends: (k) => [buy(k, {}, deep)] },
      { name: 'listingId a huge int', balance: 500, sends: (k) => [buy(k, {}, 123456789012345678901234567890)] },
      { name: 'the key missing', balance: 500, sends: () => [withText(D, { listingId: shop.listing.id })] },
      { name: 'the key a number', balance: 500, sends: () => [withText(D, { listingId: shop.listing.id, idempotencyKey: 12345 })] },
      { name: 'an extra variable', balance: 500, sends: (k) => [buy(k, { extra: { a: 1 } })] },
      { name: 'the key an empty string', balance: 500, sends: () => [withText(D, { listingId: shop.listing.id, idempotencyKey: '' })] },
      { name: 'a key with a NUL', balance: 500, sends: (k) => [withText(D, { listingId: shop.listing.id, idempotencyKey: `${k}\u0000x` })] },
      { name: 'a key with a lone surrogate', balance: 500, sends: (k) => [withText(D, { listingId: shop.listing.id, idempotencyKey: `${k}\ud800` })] },
      { name: 'a huge key', balance: 500, sends: (k) => [withText(D, { listingId: shop.listing.id, idempotencyKey: k + 'x'.repeat(5000) })] },
      { name: 'operationName matching', balance: 500, sends: (k) => [withText(D, { listingId: shop.listing.id, idempotencyKey: k }, { operationName: 'PurchaseOffer' })] },
      { name: 'operationName not matching', balance: 500, sends: (k) => [withText(D, { listingId: shop.listing.id, idempotencyKey: k }, { operationName: 'Nope' })] },
      { name: 'operationName null', balance: 500, sends: (k) => [withText(D, { listingId: shop.listing.id, idempotencyKey: k }, { operationName: null })] },
      { name: 'variables null', balance: 500, sends: () => [withText(D, null as never)] },
      { name: 'aliases, __typename, fragments, @include', balance: 500, sends: (k) => [withText(aliased, { listingId: shop.listing.id, idempotencyKey: k })] },
      { name: 'aliases, nested __typename, fragments', balance: 500, sends: (k) => [withText(nested, { listingId: shop.listing.id, idempotencyKey: k })] },
      { name: 'aliases, nested __typename, fragments, refused', balance: 50, sends: (k) => [withText(nested, { listingId: shop.listing.id, idempotencyKey: k })] },
      { name: '@include false by variable', balance: 500, sends: (k) => [withText(aliased, { listingId: shop.listing.id, idempotencyKey: k, yes: false })] },
      { name: '@skip true', balance: 500, sends: (k) => [withText(skipped, { listingId: shop.listing.id, idempotencyKey: k })] },
      { name: 'a staff caller', balance: 500, sends: (k) => [{ ...buy(k), who: 'staff' }] },
      { name: 'no caller', balance: 500, sends: (k) => [{ ...buy(k), who: 'none' }] },
      { name: 'graphql-response+json, a refusal', balance: 50, sends: (k) => [{ ...buy(k), headers: { accept: 'application/graphql-response+json' } }] },
      { name: 'graphql-response+json, an error', balance: 500, sends: (k) => [{ ...buy(k, {}, 'nope'), headers: { accept: 'application/graphql-response+json' } }] },
      { name: 'graphql-response+json, a purchase', balance: 500, sends: (k) => [{ ...buy(k), headers: { accept: 'application/graphql-response+json' } }] },
      { name: 'charset in the content type', balance: 500, sends: (k) => [{ ...buy(k), headers: { 'content-type': 'application/json; charset=utf-8' } }] },
    ];
    const send = (url: string, s: Send, token: string) => post(url, s.body, s.who === 'staff' ? t.operatorToken : s.who === 'none' ? undefined : token, s.headers);
    const failures: unknown[] = [];
    const answeredCompiled: string[] = [];
    for (const c of cases) {
      const warm = await createCustomer(t, shop.currency, 10_000);
      for (let i = 0; i < 2; i++) for (const s of c.sends(unique('warm'))) await send(t.url, s, warm.token);
      const [a, b] = [await createCustomer(t, shop.currency, c.balance), await createCustomer(t, shop.currency, c.balance)];
      const [ka, kb] = [unique('i'), unique('c')];
      const before = await compiledRequests(t);
      for (const [i, s] of c.sends(kb).entries()) {
        const expected = await send(interpreted.url, c.sends(ka)[i], a.token);
        const got = await send(t.url, s, b.token);
        const norm = (r: typeof got) => ({ status: r.status, headers: r.headers, body: r.text.startsWith('{') ? masked(r.text).replace(/"i-[^"]*"|"c-[^"]*"/g, 'K') : r.text });
        if (JSON.stringify(norm(got)) !== JSON.stringify(norm(expected))) failures.push({ case: c.name, i, expected: norm(expected), got: norm(got) });
      }
      const compiledNow = (await compiledRequests(t)) - before;
      const [pa, pb] = [await purchasesOf(a.externalId), await purchasesOf(b.externalId)];
      if (pa !== pb) failures.push({ case: c.name, purchases: { interpreted: pa, compiled: pb } });
      if (compiledNow) answeredCompiled.push(c.name);
    }
    expect(failures).toEqual([]);
    // The compiled path really answered what it can (data and user errors), and nothing else.
    expect(answeredCompiled.sort()).toEqual(
      [
        'a purchase', 'a purchase, retried with its key', 'the key again for another listing', 'insufficient points', 'a listing taken off sale',
        'a store the customer is not eligible for', 'an extra variable', 'operationName matching', 'operationName null', '@skip true',
        'graphql-response+json, a refusal', 'graphql-response+json, a purchase', 'charset in the content type',
        'aliases, nested __typename, fragments', 'aliases, nested __typename, fragments, refused',
      ].sort(),
    );
    expect(await ledgerViolations(t)).toEqual([]);
  });

  it('spends no point twice through compiled purchases at once: one key, many keys past the balance, two customers, a caller who hangs up', async () => {
    const D = String(PurchaseOfferDocument);
    const warm = await createCustomer(t, shop.currency, 1_000);
    for (let i = 0; i < 3; i++) await post(t.url, { query: D, variables: { listingId: shop.listing.id, idempotencyKey: unique('warm') } }, warm.token);
    const before = await compiledRequests(t);

    // One key sent 12 times at once: one purchase, and every answer is its answer.
    const once = await createCustomer(t, shop.currency, 1_000);
    const key = unique('same');
    const same = await Promise.all(Array.from({ length: 12 }, () => post(t.url, { query: D, variables: { listingId: shop.listing.id, idempotencyKey: key } }, once.token)));
    const answers = new Set(same.map((r) => asFirstAnswer(r).text));
    expect([...answers].map((text) => JSON.parse(text).data?.purchaseOffer?.userErrors)).toEqual([[]]);
    // One answer is the purchase's; the eleven that waited for its key say they are its replays (replay-22).
    expect(same.map((r) => asFirstAnswer(r).replayed).sort()).toEqual([false, ...Array(11).fill(true)]);
    expect(await purchasesOf(once.externalId)).toBe(1);

    // Twelve keys against a balance of 250 at a price of 100: two purchases, ten refusals.
    const short = await createCustomer(t, shop.currency, 250);
    const many = await Promise.all(Array.from({ length: 12 }, () => post(t.url, { query: D, variables: { listingId: shop.listing.id, idempotencyKey: unique('many') } }, short.token)));
    const outcomes = many.map((r) => JSON.parse(r.text).data.purchaseOffer.userErrors[0]?.code ?? 'BOUGHT').sort();
    expect(outcomes).toEqual([...Array(2).fill('BOUGHT'), ...Array(10).fill('INSUFFICIENT_POINTS')].sort());
    expect(await purchasesOf(short.externalId)).toBe(2);

    // Two customers with different balances on the one document: each answer is the caller's own.
    const [x, y] = [await createCustomer(t, shop.currency, 10_000), await createCustomer(t, shop.currency, 700)];
    const mixed = Array.from({ length: 16 }, (_, i) => (i % 2 ? x : y));
    const mixedAnswers = await Promise.all(mixed.map((c) => post(t.url, { query: D, variables: { listingId: shop.listing.id, idempotencyKey: unique('mix') } }, c.token)));
    const balances = (c: typeof x) => mixedAnswers.filter((_, i) => mixed[i] === c).map((r) => JSON.parse(r.text).data.purchaseOffer.balance?.available);
    expect(balances(x).sort((a, b) => b - a)).toEqual([9_900, 9_800, 9_700, 9_600, 9_500, 9_400, 9_300, 9_200]);
    expect(balances(y).filter((b) => b !== undefined).sort((a, b) => b - a)).toEqual(expect.arrayContaining([600, 500, 400, 300, 200, 100, 0]));
    expect(await purchasesOf(x.externalId)).toBe(8);
    expect(await purchasesOf(y.externalId)).toBe(7);

    // A caller who hangs up mid-purchase and sends it again with its key: one purchase, and the retry answers it.
    const leaver = await createCustomer(t, shop.currency, 1_000);
    const leaveKey = unique('leave');
    const body = JSON.stringify({ query: D, variables: { listingId: shop.listing.id, idempotencyKey: leaveKey } });
    for (let i = 0; i < 5; i++) {
      const abort = new AbortController();
      const sent = fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${leaver.token}` }, body, signal: abort.signal });
      setTimeout(() => abort.abort(), i);
      await sent.then((r) => r.text()).catch(() => undefined);
    }
    const retried = await post(t.url, JSON.parse(body), leaver.token);
    expect(JSON.parse(retried.text).data.purchaseOffer.userErrors).toEqual([]);
    expect(JSON.parse(retried.text).data.purchaseOffer.balance.available).toBe(900);
    expect(await purchasesOf(leaver.externalId)).toBe(1);

    expect((await compiledRequests(t)) - before).toBeGreaterThanOrEqual(12 + 12 + 16 + 1);
    expect(await ledgerViolations(t)).toEqual([]);
  });

  it('answers a request whose content type Apollo does not take as Apollo does, query or mutation', async () => {
    const customer = await createCustomer(t, shop.currency, 1_000);
    const profile = `query Me { me { id } }`;
    const D = String(PurchaseOfferDocument);
    for (let i = 0; i < 3; i++) {
      await post(t.url, { query: profile }, customer.token);
      await post(t.url, { query: D, variables: { listingId: shop.listing.id, idempotencyKey: unique('warm') } }, customer.token);
    }
    const failures: unknown[] = [];
    for (const type of ['text/plain; charset=json', 'application/x-json', 'application/jsonx', 'text/json', 'application/graphql-response+json', 'application/json', 'APPLICATION/JSON']) {
      for (const body of [{ query: profile }, { query: D, variables: { listingId: shop.listing.id, idempotencyKey: unique('k') } }]) {
        const expected = await post(interpreted.url, body, customer.token, { 'content-type': type });
        // The same key on the second gateway: answered from the first's record, so marked as its replay (replay-22).
        const got = asFirstAnswer(await post(t.url, body, customer.token, { 'content-type': type }));
        const bought = expected.status === 200 && JSON.parse(expected.text).data?.purchaseOffer?.userErrors?.length === 0;
        const norm = (r: typeof expected) => ({ status: r.status, headers: r.headers, body: r.text.startsWith('{') ? masked(r.text) : r.text });
        if (JSON.stringify(norm(got)) !== JSON.stringify(norm(expected)) || got.replayed !== bought) {
          failures.push({ type, query: body.query.slice(0, 20), expected: norm(expected), got: norm(got), replayed: got.replayed, bought });
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('refuses an input object sent as an empty list, as graphql-js does, before anything is created', async () => {
    // graphql-jit takes [] for an input object whose fields are all optional (StoreEligibilityInput);
    // graphql-js refuses it (400 BAD_USER_INPUT). The compiled path must not create the store.
    const document = `mutation NewStore($input: CreateRewardStoreInput!) { createRewardStore(input: $input) { rewardStore { code } userErrors { code } } }`;
    const input = (code: string, eligibility: unknown) => ({ query: document, variables: { input: { code, name: code, currency: shop.currency, eligibility } } });
    for (let i = 0; i < 3; i++) await post(t.url, input(unique('warm'), { segments: ['a'] }), t.operatorToken);
    const storesCoded = async (code: string) => (await t.sql<{ n: number }>(`select count(*)::int as n from reward_store where code = $1`, [code]))[0].n;
    for (const eligibility of [[], { segments: [] }]) {
      const [a, b] = [unique('i'), unique('c')];
      const expected = await post(interpreted.url, input(a, eligibility), t.operatorToken);
      const got = await post(t.url, input(b, eligibility), t.operatorToken);
      const norm = (r: typeof got, code: string) => ({ status: r.status, headers: r.headers, body: r.text.replaceAll(code, 'CODE').replace(/"requestId":"[^"]*"/, '') });
      expect({ eligibility, ...norm(got, b) }).toEqual({ eligibility, ...norm(expected, a) });
      expect(await storesCoded(b)).toBe(await storesCoded(a));
    }
  });

  it("answers a purchase's retry the same through either path, and a partner's trusted redemption once of many at once", async () => {
    const D = String(PurchaseOfferDocument);
    const warm = await createCustomer(t, shop.currency, 1_000);
    for (let i = 0; i < 3; i++) await post(t.url, { query: D, variables: { listingId: shop.listing.id, idempotencyKey: unique('warm') } }, warm.token);
    const buyer = await createCustomer(t, shop.currency, 1_000);
    const body = { query: D, variables: { listingId: shop.listing.id, idempotencyKey: unique('cross') } };
    const before = await compiledRequests(t);
    const first = await post(t.url, body, buyer.token);
    expect((await compiledRequests(t)) - before).toBe(1);
    // An Accept header the compiled path does not serve sends the retry through Apollo.
    const viaApollo = await post(t.url, body, buyer.token, { accept: 'application/json, text/plain' });
    const viaInterpreter = await post(interpreted.url, body, buyer.token);
    expect((await compiledRequests(t)) - before).toBe(1);
    expect([viaApollo, viaInterpreter].map(asFirstAnswer).map((r) => r.text)).toEqual([first.text, first.text]);
    // Both retries say they are replays (replay-22), on Apollo's path as on the interpreter's gateway; the first does not.
    expect([first, viaApollo, viaInterpreter].map((r) => asFirstAnswer(r).replayed)).toEqual([false, true, true]);
    expect(await purchasesOf(buyer.externalId)).toBe(1);

    // A till redeems the code the purchase issued: 10 at once through its registered document, one redemption.
    const code = JSON.parse(first.text).data.purchaseOffer.purchase.issuedOffer.code as string;
    const till = await createPartner(t, ['offers:redeem']);
    const reader = await createPartner(t, ['customers:read']);
    await t.gql(RedeemOfferDocument, { code: unique('warm') }, till.credential);
    const redeems = await Promise.all(Array.from({ length: 10 }, () => t.gql(RedeemOfferDocument, { code }, till.credential)));
    const outcomes = redeems.map((r) => (r.errors ? r.errors[0].extensions?.code : (r.data!.redeemOffer.userErrors[0]?.code ?? r.data!.redeemOffer.issuedOffer?.status)));
    expect(outcomes.filter((o) => o === 'REDEEMED')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'REDEEMED')).toEqual(Array(9).fill(outcomes.find((o) => o !== 'REDEEMED')));
    const [redeemed] = await t.sql<{ n: number }>(`select count(*)::int as n from issued_offer where code = $1 and status = 'REDEEMED'`, [code]);
    expect(redeemed.n).toBe(1);
    // A partner without the scope is refused alike through both gateways.
    const refusedHere = await t.gql(RedeemOfferDocument, { code }, reader.credential);
    expect(refusedHere.errors?.map((e) => e.extensions?.code) ?? refusedHere.data).toEqual(['FORBIDDEN']);
    expect(await ledgerViolations(t)).toEqual([]);
  });

  it('answers aliases that name Object.prototype members as the interpreter does', async () => {
    const failures: unknown[] = [];
    for (const alias of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const document = `mutation Proto($listingId: ID!, $idempotencyKey: String!) {
        ${alias}: purchaseOffer(input: { listingId: $listingId, idempotencyKey: $idempotencyKey }) { ${alias}: purchase { pointsPaid } userErrors { code } }
      }`;
      const query = `query ProtoQ { ${alias}: me { ${alias}: externalId } }`;
      const warm = await createCustomer(t, shop.currency, 1_000);
      for (let i = 0; i < 3; i++) {
        await post(t.url, { query: document, variables: { listingId: shop.listing.id, idempotencyKey: unique('warm') } }, warm.token);
        await post(t.url, { query }, warm.token);
      }
      const [a, b] = [await createCustomer(t, shop.currency, 1_000), await createCustomer(t, shop.currency, 1_000)];
      const expected = await post(interpreted.url, { query: document, variables: { listingId: shop.listing.id, idempotencyKey: unique('k') } }, a.token);
      const got = await post(t.url, { query: document, variables: { listingId: shop.listing.id, idempotencyKey: unique('k') } }, b.token);
      if (got.text !== expected.text || got.status !== expected.status) failures.push({ alias, mutation: true, expected: expected.text, got: got.text });
      if ((await purchasesOf(a.externalId)) !== (await purchasesOf(b.externalId))) failures.push({ alias, purchases: true });
      const q1 = await post(interpreted.url, { query }, a.token);
      const q2 = await post(t.url, { query }, a.token);
      if (q1.text !== q2.text) failures.push({ alias, query: true, expected: q1.text, got: q2.text });
    }
    expect(failures).toEqual([]);
  });

  it('answers merged fields under @include and @skip as the interpreter does', async () => {
    const customer = await createCustomer(t, shop.currency, 1_000);
    const documents = [
      `query D1($x: Boolean!, $y: Boolean!) { me { a: externalId @include(if: $x) a: externalId @skip(if: $y) } }`,
      `query D2($x: Boolean!, $y: Boolean!) { me { ... on Customer @include(if: $x) { externalId } externalId @skip(if: $y) } }`,
      `query D3($x: Boolean!, $y: Boolean!) { me @include(if: $x) { id } me @skip(if: $y) { externalId } }`,
      `query D4($x: Boolean!, $y: Boolean!) { me { ...F @include(if: $x) ...G @skip(if: $y) } } fragment F on Customer { externalId } fragment G on Customer { externalId name }`,
      `query D5($x: Boolean!, $y: Boolean!) { me { externalId @include(if: $x) @skip(if: $y) } }`,
    ];
    const failures: unknown[] = [];
    for (const query of documents) {
      for (let i = 0; i < 3; i++) await post(t.url, { query, variables: { x: true, y: true } }, customer.token);
      for (const x of [true, false]) {
        for (const y of [true, false]) {
          const expected = await post(interpreted.url, { query, variables: { x, y } }, customer.token);
          const got = await post(t.url, { query, variables: { x, y } }, customer.token);
          if (got.text !== expected.text) failures.push({ query: query.slice(6, 9), x, y, expected: expected.text, got: got.text });
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('runs an automatic persisted purchase once per key, registered or sent by hash, compiled or not', async () => {
    const { createHash } = await import('node:crypto');
    // A text of its own (a comment), so its sightings start here.
    const text = `${String(PurchaseOfferDocument)}\n# apq`;
    const hash = createHash('sha256').update(text).digest('hex');
    const apq = { persistedQuery: { version: 1, sha256Hash: hash } };
    const buyer = await createCustomer(t, shop.currency, 1_000);
    const other = await createCustomer(t, shop.currency, 1_000);
    const vars = () => ({ listingId: shop.listing.id, idempotencyKey: unique('apq') });
    const unknown = await post(t.url, { extensions: apq, variables: vars() }, buyer.token);
    expect(JSON.parse(unknown.text).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await post(t.url, { query: text, extensions: apq, variables: vars() }, buyer.token);
    expect(JSON.parse(registered.text).data.purchaseOffer.userErrors).toEqual([]);
    const before = await compiledRequests(t);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await post(t.url, { extensions: apq, variables: vars() }, i % 2 ? other.token : buyer.token));
    const retryBody = { extensions: apq, variables: vars() };
    const first = await post(t.url, retryBody, buyer.token);
    const again = await post(t.url, retryBody, buyer.token);
    expect(asFirstAnswer(again)).toMatchObject({ text: first.text, replayed: true });
    expect(answers.map((a) => JSON.parse(a.text).data.purchaseOffer.balance.available)).toEqual([800, 900, 700, 800, 600]);
    expect((await compiledRequests(t)) - before).toBeGreaterThan(0);
    expect([await purchasesOf(buyer.externalId), await purchasesOf(other.externalId)]).toEqual([5, 2]);
    expect(await ledgerViolations(t)).toEqual([]);
  });

  it("never answers one customer's purchase key with another's purchase", async () => {
    const D = String(PurchaseOfferDocument);
    const warm = await createCustomer(t, shop.currency, 1_000);
    for (let i = 0; i < 3; i++) await post(t.url, { query: D, variables: { listingId: shop.listing.id, idempotencyKey: unique('warm') } }, warm.token);
    const [a, b] = [await createCustomer(t, shop.currency, 1_000), await createCustomer(t, shop.currency, 300)];
    const key = unique('shared');
    const body = { query: D, variables: { listingId: shop.listing.id, idempotencyKey: key } };
    const [first, second] = await Promise.all([post(t.url, body, a.token), post(t.url, body, b.token)]);
    const codes = [first, second].map((r) => JSON.parse(r.text).data.purchaseOffer.purchase?.issuedOffer.code);
    expect(codes[0]).toBeTruthy();
    expect(codes[1]).toBeTruthy();
    expect(codes[0]).not.toBe(codes[1]);
    expect([first, second].map((r) => JSON.parse(r.text).data.purchaseOffer.balance.available)).toEqual([900, 200]);
    expect([await purchasesOf(a.externalId), await purchasesOf(b.externalId)]).toEqual([1, 1]);
  });

  it('refuses a customer a staff mutation alike on both paths, and creates nothing', async () => {
    const document = `mutation NewOffer($name: String!) {
      createOffer(input: { name: $name, description: "d", benefit: { kind: FREE_ITEM, freeSku: "M", categories: ["COFFEE"] }, validDays: 30 }) { offer { name } userErrors { code } }
    }`;
    const customer = await createCustomer(t, shop.currency, 10);
    const offersNamed = async (name: string) => (await t.sql<{ n: number }>(`select count(*)::int as n from offer_version where name = $1`, [name]))[0].n;
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      const [a, b] = [unique('ci'), unique('cc')];
      names.push(a, b);
      const expected = await post(interpreted.url, { query: document, variables: { name: a } }, customer.token);
      const got = await post(t.url, { query: document, variables: { name: b } }, customer.token);
      const norm = (r: typeof got) => ({ status: r.status, headers: r.headers, body: r.text.replace(/"requestId":"[^"]*"/, '') });
      expect(JSON.parse(got.text).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(norm(got)).toEqual(norm(expected));
    }
    for (const name of names) expect(await offersNamed(name)).toBe(0);
  });

  it('keeps the fields a literal input names by a variable that was not sent, as graphql-js omits them', async () => {
    // graphql-js leaves a field out of an input object when the variable it names was not sent
    // (the service then keeps the value); graphql-jit set it to null (the service then clears it).
    const document = `mutation Rename($offerId: ID!, $name: String, $description: String, $terms: String) {
      updateOffer(input: { offerId: $offerId, name: $name, description: $description, terms: $terms }) { offer { name description terms } userErrors { code } }
    }`;
    const upsert = `mutation Touch($externalId: String!, $name: String, $email: String) {
      upsertCustomer(input: { externalId: $externalId, name: $name, email: $email }) { customer { name email } userErrors { code } }
    }`;
    for (const url of [interpreted.url, t.url]) {
      const offer = await createOffer(t);
      await post(url, { query: document, variables: { offerId: offer.id, terms: 'Kept terms' } }, t.operatorToken);
      const customer = await createCustomer(t, shop.currency, 0);
      await post(url, { query: upsert, variables: { externalId: customer.externalId, email: 'kept@example.com' } }, t.operatorToken);
      const answers: unknown[] = [];
      for (let i = 0; i < 4; i++) {
        answers.push(JSON.parse((await post(url, { query: document, variables: { offerId: offer.id, name: `Renamed ${i}` } }, t.operatorToken)).text).data);
        answers.push(JSON.parse((await post(url, { query: upsert, variables: { externalId: customer.externalId, name: `Name ${i}` } }, t.operatorToken)).text).data);
      }
      expect({ url: url === t.url ? 'compiled' : 'interpreted', last: answers.slice(-2) }).toEqual({
        url: url === t.url ? 'compiled' : 'interpreted',
        last: [
          { updateOffer: { offer: { name: 'Renamed 3', description: 'With any coffee', terms: 'Kept terms' }, userErrors: [] } },
          { upsertCustomer: { customer: { name: 'Name 3', email: 'kept@example.com' }, userErrors: [] } },
        ],
      });
    }
  });
});
