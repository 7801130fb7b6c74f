import { toGlobalId } from '../../src/graphql/ids.js';
import { expectRefusedAtTheEdge, expectRefusedWith, type GqlResult, ledgerViolations, ok, startTestGateway, tableSnapshot, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createTier, simpleShop, unique, uniqueCode } from '../support/program.js';

/**
 * Input faults fixed as kinds (edges-10), each asserted as a client sees it (the code, a message
 * naming the field, `extensions.field` or the userError's path) and with every table as it was
 * before: keys and lookups that show nothing, references that are blank or name nothing, and a
 * list refusal that names the list instead of its item. (Referral cycles: test/activities/natural-limits.)
 */
describe('the input edge, by kind (edges-10)', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let customer: Awaited<ReturnType<typeof createCustomer>>;
  let reader: Awaited<ReturnType<typeof createPartner>>;
  /** A tier that exists, so a list naming it and an unknown one shows which is refused. */
  let tier: string;

  const BLANK: [string, string][] = [
    ['a space', ' '],
    ['a zero-width space', '\u200b'],
    ['a Hangul filler and a tab', '\u3164\t'],
  ];

  const CUSTOMER_QUERY = `query Customer($externalId: String!) { customer(externalId: $externalId) { id } }`;
  const TRANSACTION_QUERY = `query Transaction($externalId: String!) { transaction(externalId: $externalId) { id } }`;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    shop = await simpleShop(t);
    customer = await createCustomer(t, shop.currency, 500);
    reader = await createPartner(t, ['customers:read', 'transactions:read']);
    await t.register(reader.credential, CUSTOMER_QUERY, TRANSACTION_QUERY);
    tier = uniqueCode('T');
    await createTier(t, { currency: shop.currency, code: tier, rank: 50, threshold: 1000 });
  });
  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  /** An operator's mutation with `input`; its answer is read by shape (documents written here, not generated). */
  const staff = (query: string, input: Record<string, unknown>) => t.gql<any, unknown>(query, { input }, t.operatorToken);
  const window = { startsAt: '2026-01-01T00:00:00Z', endsAt: '2027-01-01T00:00:00Z' };

  describe('an idempotency key or a lookup key that shows nothing (kind 1)', () => {
    /** Every mutation that takes an idempotency key, with a request that sends `key` as it. */
    const KEYS: [string, (key: string) => Promise<GqlResult<unknown>>][] = [
      ['adjustPoints', (idempotencyKey) => staff(`mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`, { customerExternalId: customer.externalId, currency: shop.currency, amount: 5, reason: 'r', idempotencyKey })],
      ['issueReplacementOffer', (idempotencyKey) => staff(`mutation($input: IssueReplacementOfferInput!) { issueReplacementOffer(input: $input) { userErrors { code } } }`, { issuedOfferId: toGlobalId('IssuedOffer', 1), reason: 'r', idempotencyKey })],
      ['purchaseOffer', (idempotencyKey) => t.gql(`mutation($input: PurchaseOfferInput!) { purchaseOffer(input: $input) { userErrors { code } } }`, { input: { listingId: shop.listing.id, idempotencyKey } }, customer.token)],
      ['claimGift', (idempotencyKey) => t.gql(`mutation($input: ClaimGiftInput!) { claimGift(input: $input) { userErrors { code } } }`, { input: { giftListId: toGlobalId('GiftList', 1), optionId: shop.offer.id, idempotencyKey } }, customer.token)],
    ];

    describe.each(KEYS)('%s', (_mutation, send) => {
      it.each(BLANK)('with an idempotencyKey of %s is BAD_USER_INPUT naming it, nothing written', async (_name, key) => {
        await expectRefusedAtTheEdge(t, () => send(key), ['input', 'idempotencyKey'], /^idempotencyKey must not be blank \(/);
      });
    });

    it('a key with something visible in it is still taken (a purchase with key " k ")', async () => {
      const res = await t.gql<any, unknown>(`mutation($input: PurchaseOfferInput!) { purchaseOffer(input: $input) { userErrors { code } } }`, { input: { listingId: shop.listing.id, idempotencyKey: ' k ' } }, customer.token);
      expect(ok(res).purchaseOffer.userErrors).toEqual([]);
    });

    const LOOKUPS: [string, string, (key: string) => Promise<GqlResult<unknown>>][] = [
      ['customer', 'externalId', (externalId) => t.gql(CUSTOMER_QUERY, { externalId }, reader.credential)],
      ['transaction', 'externalId', (externalId) => t.gql(TRANSACTION_QUERY, { externalId }, reader.credential)],
      ['programStats', 'currency', (currency) => t.gql(`query($c: String!) { programStats(currency: $c, from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { currency } }`, { c: currency }, t.operatorToken)],
    ];

    describe.each(LOOKUPS)('%s(%s:)', (_query, argument, send) => {
      it.each(BLANK)('of %s is BAD_USER_INPUT naming the argument, not an answer of nothing', async (_name, key) => {
        const res = await send(key);
        expect(res.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field }))).toEqual([{ code: 'BAD_USER_INPUT', field: [argument] }]);
        expect(res.errors![0].message).toMatch(new RegExp(`^${argument} must not be blank \\(`));
      });
    });
  });

  describe('a reference that is blank or names nothing (kind 2)', () => {
    /** Every input that names a point currency, with a request that sends `currency` in it. */
    const CURRENCY_REFS: [string, (currency: string) => Promise<GqlResult<unknown>>][] = [
      ['createRewardStore', (currency) => staff(`mutation($input: CreateRewardStoreInput!) { createRewardStore(input: $input) { userErrors { code } } }`, { code: unique('s'), name: 'store', currency })],
      ['setEconomyRule', (currency) => staff(`mutation($input: SetEconomyRuleInput!) { setEconomyRule(input: $input) { userErrors { code } } }`, { currency, pointsPerUnit: '1' })],
      ['createCampaign', (currency) => staff(`mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { userErrors { code } } }`, { name: 'c', currency, ...window, outcome: { bonusPoints: 1 } })],
      ['setActivityRule', (currency) => staff(`mutation($input: SetActivityRuleInput!) { setActivityRule(input: $input) { userErrors { code } } }`, { currency, kind: 'REVIEW', points: 5 })],
      ['createGiftList', (currency) => staff(`mutation($input: CreateGiftListInput!) { createGiftList(input: $input) { userErrors { code } } }`, { currency, name: 'g', threshold: 10, offerIds: [shop.offer.id] })],
      ['createTier', (currency) => staff(`mutation($input: CreateTierInput!) { createTier(input: $input) { userErrors { code } } }`, { currency, code: 'BLANKREF', name: 'n', rank: 901, threshold: 1 })],
      ['adjustPoints', (currency) => staff(`mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`, { customerExternalId: customer.externalId, currency, amount: 5, reason: 'r', idempotencyKey: unique('k') })],
    ];

    describe.each(CURRENCY_REFS)('%s', (_mutation, send) => {
      it.each(BLANK)('with a currency of %s is BAD_USER_INPUT naming it (not NOT_FOUND), nothing written', async (_name, currency) => {
        await expectRefusedAtTheEdge(t, () => send(currency), ['input', 'currency'], /^currency must not be blank \(/);
      });
    });


    const createStore = (tiers: string[]) => () =>
      staff(`mutation($input: CreateRewardStoreInput!) { createRewardStore(input: $input) { rewardStore { eligibility { tiers } } userErrors { code field message } } }`, {
        code: unique('s'),
        name: 'tiered',
        currency: shop.currency,
        eligibility: { tiers },
      });
    const createCampaign = (tiers: string[]) => () =>
      staff(`mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id } userErrors { code field message } } }`, {
        name: 'tiered',
        currency: shop.currency,
        ...window,
        conditions: { tiers },
        outcome: { bonusPoints: 1 },
      });

    it('a store whose eligibility names a tier that does not exist is NOT_FOUND on that entry, naming every unknown tier; nothing written', async () => {
      await expectRefusedWith(t, createStore([tier, 'NOSUCH', 'NEITHER']), 'createRewardStore', 'NOT_FOUND', ['input', 'eligibility', 'tiers', '1'], /^No tier NOSUCH, NEITHER\./);
    });

    it('a campaign whose conditions name a tier that does not exist is NOT_FOUND on that entry; nothing written', async () => {
      await expectRefusedWith(t, createCampaign(['NOSUCH', tier]), 'createCampaign', 'NOT_FOUND', ['input', 'conditions', 'tiers', '0'], /^No tier NOSUCH\./);
    });

    it('tiers that exist are taken', async () => {
      expect(ok(await createStore([tier])()).createRewardStore).toEqual({ rewardStore: { eligibility: { tiers: [tier] } }, userErrors: [] });
      expect(ok(await createCampaign([tier])()).createCampaign).toMatchObject({ campaign: { id: expect.any(String) }, userErrors: [] });
    });
  });

  describe('a refusal of one entry of a list names that entry (kind 4)', () => {
    it('an unknown partner scope is INVALID on its entry, the message naming each unknown one by position; nothing written', async () => {
      const before = await tableSnapshot(t);
      const res = await staff(`mutation($input: CreatePartnerInput!) { createPartner(input: $input) { partner { id } userErrors { code field message } } }`, {
        name: 'p',
        scopes: ['customers:read', 'offers:redeem', 'customers:write', 'transactions:read', 'everything'],
      });
      expect(res.data.createPartner).toEqual({
        partner: null,
        userErrors: [
          {
            code: 'INVALID',
            field: ['input', 'scopes', '2'],
            message: expect.stringMatching(/^Unknown scopes: "customers:write" \(item 2\), "everything" \(item 4\)\. Known: customers:read, /),
          },
        ],
      });
      expect(await tableSnapshot(t)).toEqual(before);
    });

    it("an event type a partner's endpoint may not receive is NOT_ELIGIBLE on its entry", async () => {
      const before = await tableSnapshot(t);
      const res = await staff(
        `mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`,
        { url: 'https://example.com/hook', eventTypes: ['SALE_PROCESSED', 'OFFER_ISSUED'], partnerId: reader.id },
      );
      expect(res.data.registerWebhookEndpoint.userErrors).toEqual([{ code: 'NOT_ELIGIBLE', field: ['input', 'eventTypes', '1'], message: expect.any(String) }]);
      expect(await tableSnapshot(t)).toEqual(before);
    });
  });
});
