import { signToken } from '../../src/http/auth.js';
import { AddListingDocument, CreateCampaignDocument, CreateGiftListDocument, CreateOfferDocument, UpdateOfferDocument } from '../generated/graphql.js';
import { dataOf, startTestGateway, tableSnapshot, type TestGateway } from '../support/gateway.js';
import { createCurrency, createOffer, createStore, unique } from '../support/program.js';

/**
 * idem-12: the creates of the staff console (and a partner's webhook endpoint) take an optional
 * idempotencyKey. A client that lost the answer and sends the same request again under the same
 * key gets the same object, and nothing new is written; the same key for another request is
 * IDEMPOTENCY_KEY_REUSED; repeats sent at once create one; keys are the caller's own. Before, each
 * resend created a second campaign, gift list, partner, listing, offer (version) or endpoint.
 */
describe('the console creates: a resend after a lost answer creates one thing', () => {
  let t: TestGateway;
  let currency: string;
  let offerId: string;
  let otherOfferId: string;
  let storeId: string;
  /** A second operator: keys are each staff member's own. */
  let otherOperator: string;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    currency = 'IDEM';
    await createCurrency(t, currency);
    offerId = (await createOffer(t)).id;
    otherOfferId = (await createOffer(t)).id;
    storeId = (await createStore(t, currency)).id;
    otherOperator = await signToken(t.config, { sub: 'staff-op-2', role: 'operator' });
  });
  afterAll(() => t.close());

  type Payload = { userErrors: { code: string; field: string[]; message: string }[] } & Record<string, unknown>;
  /** One create: its document, payload field, the object's id in the payload, a fresh input, and the same input changed. */
  interface Create {
    name: string;
    /** The operation's text (the contract's, where it has one). */
    doc: string;
    field: string;
    idOf(payload: Payload): string | undefined;
    input(): Record<string, unknown>;
    changed(input: Record<string, unknown>): Record<string, unknown>;
    /** The rows it creates, counted (its table). */
    table: string;
  }

  const WEBHOOK = `mutation Register($input: RegisterWebhookEndpointInput!) {
    registerWebhookEndpoint(input: $input) { endpoint { id url } secret secretWithheld userErrors { code field message } } }`;
  const PARTNER = `mutation CreatePartner($input: CreatePartnerInput!) {
    createPartner(input: $input) { partner { id name scopes } apiKey apiKeyWithheld userErrors { code field message } } }`;

  const creates: Create[] = [
    {
      name: 'createOffer',
      doc: CreateOfferDocument.toString(),
      field: 'createOffer',
      idOf: (p) => (p.offer as { id: string } | null)?.id,
      input: () => ({ name: unique('Offer'), benefit: { kind: 'AMOUNT_OFF', amountOff: '2.50' }, validDays: 30 }),
      changed: (i) => ({ ...i, benefit: { kind: 'AMOUNT_OFF', amountOff: '3.00' } }),
      table: 'offer',
    },
    {
      name: 'updateOffer',
      doc: UpdateOfferDocument.toString(),
      field: 'updateOffer',
      // a version is what an edit creates: its number tells them apart
      idOf: (p) => {
        const offer = p.offer as { id: string; version: number } | null;
        return offer ? `${offer.id}@${offer.version}` : undefined;
      },
      input: () => ({ offerId: otherOfferId, name: unique('Renamed') }),
      changed: (i) => ({ ...i, name: `${String(i.name)} (2)` }),
      table: 'offer_version',
    },
    {
      name: 'createCampaign',
      doc: CreateCampaignDocument.toString(),
      field: 'createCampaign',
      idOf: (p) => (p.campaign as { id: string } | null)?.id,
      input: () => ({
        name: unique('Double points'),
        currency,
        startsAt: '2030-01-01T00:00:00Z',
        endsAt: '2030-02-01T00:00:00Z',
        conditions: { minSpend: '10.00' },
        outcome: { multiplier: 2 },
      }),
      changed: (i) => ({ ...i, outcome: { multiplier: 3 } }),
      table: 'campaign',
    },
    {
      name: 'createGiftList',
      doc: CreateGiftListDocument.toString(),
      field: 'createGiftList',
      idOf: (p) => (p.giftList as { id: string } | null)?.id,
      input: () => ({ currency, name: unique('Gifts'), threshold: 500, offerIds: [offerId, otherOfferId] }),
      changed: (i) => ({ ...i, offerIds: [otherOfferId, offerId] }),
      table: 'gift_list',
    },
    {
      name: 'addListing',
      doc: AddListingDocument.toString(),
      field: 'addListing',
      idOf: (p) => (p.listing as { id: string } | null)?.id,
      input: () => ({ storeId, offerId, priceInPoints: 100 + Math.floor(Math.random() * 1000), stock: 10 }),
      changed: (i) => ({ ...i, stock: 11 }),
      table: 'listing',
    },
    {
      name: 'createPartner',
      doc: PARTNER,
      field: 'createPartner',
      idOf: (p) => (p.partner as { id: string } | null)?.id,
      input: () => ({ name: unique('Till'), scopes: ['transactions:write'] }),
      changed: (i) => ({ ...i, scopes: ['transactions:write', 'transactions:read'] }),
      table: 'partner',
    },
    {
      name: 'registerWebhookEndpoint',
      doc: WEBHOOK,
      field: 'registerWebhookEndpoint',
      idOf: (p) => (p.endpoint as { id: string } | null)?.id,
      input: () => ({ url: `https://hooks.example.com/${unique('rg')}`, eventTypes: ['SALE_PROCESSED'] }),
      changed: (i) => ({ ...i, eventTypes: ['SALE_PROCESSED', 'OFFER_ISSUED'] }),
      table: 'webhook_endpoint',
    },
  ];

  const send = async (c: Create, input: Record<string, unknown>, token = t.operatorToken): Promise<Payload> =>
    (dataOf(await t.gql(c.doc, { input }, token)) as Record<string, Payload>)[c.field];
  const count = async (table: string) => (await t.sql<{ n: number }>(`select count(*)::int as n from ${table}`))[0].n;

  describe.each(creates)('$name', (c) => {
    it('the same key and input again answer the same object and write nothing', async () => {
      const input = { ...c.input(), idempotencyKey: unique('k') };
      const first = await send(c, input);
      expect(first.userErrors).toEqual([]);
      const before = await tableSnapshot(t);

      const again = await send(c, input);
      expect(again.userErrors).toEqual([]);
      expect(c.idOf(again)).toBe(c.idOf(first));
      expect(await tableSnapshot(t)).toEqual(before);
    });

    it('the same key with another input is IDEMPOTENCY_KEY_REUSED on input.idempotencyKey, nothing written', async () => {
      const input = { ...c.input(), idempotencyKey: unique('k') };
      expect((await send(c, input)).userErrors).toEqual([]);
      const before = await tableSnapshot(t);

      const other = await send(c, c.changed(input));
      expect(other.userErrors).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'idempotencyKey'], message: expect.any(String) }]);
      expect(c.idOf(other)).toBeUndefined();
      expect(await tableSnapshot(t)).toEqual(before);
    });

    it('five repeats sent at once create one', async () => {
      const input = { ...c.input(), idempotencyKey: unique('k') };
      const rows = await count(c.table);
      const answers = await Promise.all(Array.from({ length: 5 }, () => send(c, input)));
      expect(answers.map((a) => a.userErrors)).toEqual(answers.map(() => []));
      expect(new Set(answers.map((a) => c.idOf(a))).size).toBe(1);
      expect(await count(c.table)).toBe(rows + 1);
    });

    it("keys are the caller's own: another operator's same key creates its own", async () => {
      const key = unique('k');
      const mine = await send(c, { ...c.input(), idempotencyKey: key });
      const theirs = await send(c, { ...c.input(), idempotencyKey: key }, otherOperator);
      expect([mine.userErrors, theirs.userErrors]).toEqual([[], []]);
      expect(c.idOf(theirs)).not.toBe(c.idOf(mine));
    });
  });

  it('a repeated createPartner answers the partner with its API key withheld: the key is shown once and stored nowhere in plain', async () => {
    const input = { name: unique('Till'), scopes: ['transactions:write'], idempotencyKey: unique('k') };
    const first = dataOf(await t.gql(PARTNER, { input }, t.operatorToken)) as { createPartner: Payload & { apiKey: string | null; apiKeyWithheld: boolean | null } };
    expect(first.createPartner).toMatchObject({ apiKey: expect.stringMatching(/^rg_/), apiKeyWithheld: false });
    const again = dataOf(await t.gql(PARTNER, { input }, t.operatorToken)) as typeof first;
    expect(again.createPartner).toMatchObject({ partner: first.createPartner.partner, apiKey: null, apiKeyWithheld: true, userErrors: [] });
    // the record of the key holds the partner's id, never its API key
    const stored = await t.sql<{ result: string }>(`select result::text as result from idempotency_record where key = $1`, [input.idempotencyKey]);
    expect(stored).toHaveLength(1);
    expect(stored[0].result).not.toContain(first.createPartner.apiKey!);
    // the key shown the first time works
    const me = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': first.createPartner.apiKey! },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(me.status).not.toBe(401);
  });

  it('a repeated registerWebhookEndpoint answers the endpoint with its secret withheld', async () => {
    const input = { url: `https://hooks.example.com/${unique('rg')}`, eventTypes: ['SALE_PROCESSED'], idempotencyKey: unique('k') };
    type Answer = { registerWebhookEndpoint: Payload & { secret: string | null; secretWithheld: boolean | null } };
    const first = dataOf(await t.gql(WEBHOOK, { input }, t.operatorToken)) as Answer;
    expect(first.registerWebhookEndpoint).toMatchObject({ secret: expect.stringMatching(/^whsec_/), secretWithheld: false });
    const again = dataOf(await t.gql(WEBHOOK, { input }, t.operatorToken)) as Answer;
    expect(again.registerWebhookEndpoint).toMatchObject({ endpoint: first.registerWebhookEndpoint.endpoint, secret: null, secretWithheld: true, userErrors: [] });
  });
});
