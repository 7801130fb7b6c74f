import { isInputObjectType, isNonNullType, isScalarType, type GraphQLField } from 'graphql';
import { gatewaySchema } from '../../src/graphql/schema.js';
import { PARTNER_MANIFEST } from '../support/till.js';
import { dataOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, uniqueCode, unique } from '../support/program.js';
import { insertFailedDelivery } from '../support/webhook-receiver.js';

/**
 * reason-40: SPEC §4, "every staff change is recorded with who and why". Before, only five changes
 * took a why (adjustPoints, issueReplacementOffer, endCampaign, revokePartner, and a till's
 * reverseTransaction): a store emptied of its members by an eligibility edit, a listing repriced, a
 * customer suspended, a webhook endpoint removed were logged with who and when and never why.
 * Every staff change now takes an optional `reason`, kept on its audit entry. A real gateway and
 * PostgreSQL; the entries read as the console reads them (`auditLog`).
 */

/** The mutations a customer's or a partner's app makes for itself: not staff changes, no audit entry. */
const NOT_STAFF_CHANGES = ['purchaseOffer', 'claimGift', 'lockOffer', 'releaseOffer', 'redeemOffer', 'submitTransaction', 'reverseTransaction', 'recordActivity'];

type Payload = Record<string, unknown> & { userErrors?: { code: string; message: string }[] };

describe('every staff change records why (reason-40)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t?.close());

  /** Runs mutation `field` as an operator with `input` (a `reason` added) and answers its payload, failing the test on any error or userError. */
  const change = async (field: string, inputType: string, input: Record<string, unknown>, select: string): Promise<Payload> => {
    const data = dataOf(
      await t.gql<Record<string, Payload>, unknown>(`mutation($input: ${inputType}!) { ${field}(input: $input) { ${select} userErrors { code message } } }`, { input: { ...input, reason: `why ${field}` } }, t.operatorToken),
    );
    expect({ field, userErrors: data[field].userErrors ?? [] }).toEqual({ field, userErrors: [] });
    return data[field];
  };
  type Entry = { action: string; target: string; reason: string | null };
  const entries = async (): Promise<Entry[]> =>
    dataOf(await t.gql<{ auditLog: { edges: { node: Entry }[] } }, unknown>(`{ auditLog(first: 100) { edges { node { action target reason } } } }`, {}, t.operatorToken)).auditLog.edges.map((e) => e.node);

  it('the schema: every mutation but a customer\'s or partner\'s own takes an optional reason: String', async () => {
    const mutations = Object.values((await gatewaySchema()).getMutationType()!.getFields()) as GraphQLField<unknown, unknown>[];
    const lacking = mutations
      .filter((m) => !NOT_STAFF_CHANGES.includes(m.name))
      .filter((m) => {
        const input = m.args.find((a) => a.name === 'input')?.type;
        const type = input && isNonNullType(input) ? input.ofType : input;
        const reason = type && isInputObjectType(type) ? type.getFields().reason : undefined;
        return !reason || !(isScalarType(reason.type) || (isNonNullType(reason.type) && isScalarType(reason.type.ofType)));
      })
      .map((m) => m.name);
    expect(lacking).toEqual([]);
  });

  it('each staff change keeps the reason sent on its audit entry, as the console reads the log', async () => {
    const currency = uniqueCode('RSN');
    await change('createCurrency', 'CreateCurrencyInput', { code: currency, name: currency, expiryDays: 365, pointValue: '0.01', moneyCurrency: 'EUR' }, 'currency { code }');
    await change('setEconomyRule', 'SetEconomyRuleInput', { currency, pointsPerUnit: '10', rounding: 'FLOOR' }, 'rule { id }');
    await change('setActivityRule', 'SetActivityRuleInput', { currency, kind: 'REVIEW', points: 5 }, 'rule { id }');
    await change('createTier', 'CreateTierInput', { currency, code: uniqueCode('GOLD'), name: 'Gold', rank: 1, threshold: 1000 }, 'tier { id }');
    const offer = (await change(
      'createOffer',
      'CreateOfferInput',
      { name: unique('Muffin'), description: 'With any coffee', benefit: { kind: 'FREE_ITEM', freeSku: 'MUFFIN', categories: ['COFFEE'] }, validDays: 30 },
      'offer { id }',
    )).offer as { id: string };
    await change('updateOffer', 'UpdateOfferInput', { offerId: offer.id, name: unique('Big muffin') }, 'offer { id }');
    const storeCode = unique('store');
    const store = (await change('createRewardStore', 'CreateRewardStoreInput', { code: storeCode, name: storeCode, currency }, 'rewardStore { id }')).rewardStore as { id: string };
    await change('updateRewardStore', 'UpdateRewardStoreInput', { storeId: store.id, name: `${storeCode} (renamed)` }, 'changed');
    const listing = (await change('addListing', 'AddListingInput', { storeId: store.id, offerId: offer.id, priceInPoints: 100 }, 'listing { id }')).listing as { id: string };
    await change('updateListing', 'UpdateListingInput', { listingId: listing.id, priceInPoints: 120 }, 'listing { id }');
    await change('removeListing', 'RemoveListingInput', { listingId: listing.id }, 'listing { id }');
    await change('createGiftList', 'CreateGiftListInput', { currency, name: unique('list'), threshold: 20, offerIds: [offer.id] }, 'giftList { id }');
    const window = { startsAt: new Date(t.clock.now().getTime() - 3_600_000).toISOString(), endsAt: new Date(t.clock.now().getTime() + 86_400_000).toISOString() };
    const campaign = (await change('createCampaign', 'CreateCampaignInput', { name: unique('weekend'), currency, ...window, outcome: { bonusPoints: 50 } }, 'campaign { id }')).campaign as { id: string };
    await change('endCampaign', 'EndCampaignInput', { campaignId: campaign.id }, 'campaign { id }');
    const partner = (await change('createPartner', 'CreatePartnerInput', { name: unique('till'), scopes: ['customers:read'] }, 'partner { id }')).partner as { id: string };
    await change('registerPersistedOperations', 'RegisterPersistedOperationsInput', { client: partner.id, manifest: PARTNER_MANIFEST }, 'count');
    const endpoint = (await change('registerWebhookEndpoint', 'RegisterWebhookEndpointInput', { url: 'https://partner.example/hooks', eventTypes: ['BALANCE_CHANGED'] }, 'endpoint { id }')).endpoint as {
      id: string;
    };
    await change('removeWebhookEndpoint', 'RemoveWebhookEndpointInput', { endpointId: endpoint.id }, 'endpoint { id }');
    await change('enableWebhookEndpoint', 'EnableWebhookEndpointInput', { endpointId: endpoint.id }, 'endpoint { id }');
    const customer = await createCustomer(t, currency);
    await change('upsertCustomer', 'UpsertCustomerInput', { externalId: customer.externalId, status: 'SUSPENDED' }, 'customer { id }');
    await adjust(t, customer.externalId, currency, 10);
    const [{ id: eventId }] = await t.sql<{ id: string }>(`select max(id)::text as id from outbox_event`);
    const failed = await insertFailedDelivery(t, { partnerId: null, url: 'https://partner.example/failed', eventId, attempts: 1, createdBy: 'reason-40' });
    await change('replayWebhookDelivery', 'ReplayWebhookDeliveryInput', { deliveryId: failed.deliveryId }, 'delivery { id }');
    await change('replayFailedWebhookDeliveries', 'ReplayFailedWebhookDeliveriesInput', { endpointId: endpoint.id, idempotencyKey: unique('replay') }, 'replayed');
    await change('revokePartner', 'RevokePartnerInput', { partnerId: partner.id }, 'partner { id }');

    const log = await entries();
    const changed = [
      'createCurrency',
      'setEconomyRule',
      'setActivityRule',
      'createTier',
      'createOffer',
      'updateOffer',
      'createRewardStore',
      'updateRewardStore',
      'addListing',
      'updateListing',
      'removeListing',
      'createGiftList',
      'createCampaign',
      'endCampaign',
      'createPartner',
      'registerPersistedOperations',
      'registerWebhookEndpoint',
      'removeWebhookEndpoint',
      'enableWebhookEndpoint',
      'replayWebhookDelivery',
      'replayFailedWebhookDeliveries',
      'revokePartner',
    ];
    // upsertCustomer's entry is named by what it did (createCustomer, updateCustomer)
    const reasons = Object.fromEntries([...changed, 'updateCustomer'].map((action) => [action, log.find((e) => e.action === action)?.reason ?? 'no entry']));
    expect(reasons).toEqual(Object.fromEntries([...changed.map((a) => [a, `why ${a}`]), ['updateCustomer', 'why upsertCustomer']]));
    // without a reason, as every document written before reason-40 sends it: still taken, logged with none
    const plain = await t.gql<{ upsertCustomer: Payload }, unknown>(
      `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code } } }`,
      { input: { externalId: customer.externalId, status: 'ACTIVE' } },
      t.operatorToken,
    );
    expect(dataOf(plain).upsertCustomer.userErrors).toEqual([]);
    expect((await entries()).find((e) => e.action === 'updateCustomer')).toEqual({ action: 'updateCustomer', target: expect.any(String), reason: null });
  });

  it('a blank or overlong reason is refused with BAD_USER_INPUT naming the field, and nothing is changed', async () => {
    const storeCode = unique('store');
    const before = (await entries()).length;
    for (const reason of [' \u200b ', 'x'.repeat(501)]) {
      const answer = await t.gql(
        `mutation($input: CreateRewardStoreInput!) { createRewardStore(input: $input) { rewardStore { id } } }`,
        { input: { code: storeCode, name: storeCode, currency: 'NONE', reason } },
        t.operatorToken,
      );
      expect(answer.errors?.map((e) => ({ code: e.extensions?.code, reasonNamed: e.message.includes('reason') }))).toEqual([{ code: 'BAD_USER_INPUT', reasonNamed: true }]);
    }
    expect((await entries()).length).toBe(before);
  });

  it('a keyed change sent again with the reason reworded is the same change: answered as the first, one entry, the first reason', async () => {
    const idempotencyKey = unique('offer');
    const input = { name: unique('Scone'), description: 'Any day', benefit: { kind: 'FREE_ITEM', freeSku: 'SCONE', categories: ['BAKERY'] }, validDays: 30, idempotencyKey };
    const send = (reason: string) =>
      t.gql<{ createOffer: Payload & { offer: { id: string } } }, unknown>(
        `mutation($input: CreateOfferInput!) { createOffer(input: $input) { offer { id } userErrors { code } } }`,
        { input: { ...input, reason } },
        t.operatorToken,
      );
    const first = dataOf(await send('launch of the scone week')).createOffer;
    const again = dataOf(await send('launch of scone week (resent)')).createOffer;
    expect(again).toEqual(first);
    const made = (await entries()).filter((e) => e.action === 'createOffer' && e.reason?.startsWith('launch of'));
    expect(made.map((e) => e.reason)).toEqual(['launch of the scone week']);
  });
});
