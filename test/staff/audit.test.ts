import { AuditLogDocument, CreateCampaignDocument, RemoveListingDocument, UpdateOfferDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCurrency, createOffer, createPartner, createStore, createTier, unique, uniqueCode } from '../support/program.js';

/**
 * SPEC §4: every staff change is recorded with who and why. Each operator mutation, done once,
 * leaves exactly one audit entry naming the action, the operator and its target; a test per
 * mutation, so a change that stops writing its entry fails by name.
 */
describe('every staff change is in the audit log', () => {
  let t: TestGateway;
  const currency = 'AUDIT_PTS';
  let shop: { offerId: string; storeId: string; listingId: string };

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    await createCurrency(t, currency);
    const offer = await createOffer(t);
    const store = await createStore(t, currency);
    shop = { offerId: offer.id, storeId: store.id, listingId: (await addListing(t, store.id, offer.id)).id };
  });
  afterAll(() => t.close());

  const mutation = (name: string, inputType: string) => `mutation($input: ${inputType}!) { ${name}(input: $input) { userErrors { code message } } }`;
  const run = async (document: string, input: Record<string, unknown>) => ok(await t.gql(document, { input }, t.operatorToken));

  const changes: [string, () => Promise<unknown>, RegExp][] = [
    ['createCurrency', () => createCurrency(t, uniqueCode('AC')), /^PointCurrency:/],
    ['setEconomyRule', () => run(mutation('setEconomyRule', 'SetEconomyRuleInput'), { currency, pointsPerUnit: '2' }), /^EconomyRule:\d+$/],
    ['createTier', () => createTier(t, { currency, code: 'AUDIT_TOP', rank: 5, threshold: 10_000 }), /^Tier:\d+$/],
    ['createOffer', () => createOffer(t), /^Offer:\d+$/],
    ['updateOffer', () => t.gql(UpdateOfferDocument, { input: { offerId: shop.offerId, name: unique('renamed') } }, t.operatorToken).then(ok), /^Offer:\d+$/],
    ['createRewardStore', () => createStore(t, currency), /^RewardStore:\d+$/],
    ['addListing', () => addListing(t, shop.storeId, shop.offerId), /^Listing:\d+$/],
    ['removeListing', () => t.gql(RemoveListingDocument, { listingId: shop.listingId }, t.operatorToken).then(ok), /^Listing:\d+$/],
    ['createCustomer', () => t.gql(UpsertCustomerDocument, { input: { externalId: 'audited' } }, t.operatorToken).then(ok), /^Customer:\d+$/],
    ['updateCustomer', () => t.gql(UpsertCustomerDocument, { input: { externalId: 'audited', status: 'SUSPENDED' } }, t.operatorToken).then(ok), /^Customer:\d+$/],
    ['adjustPoints', async () => {
      const externalId = unique('adjusted');
      ok(await t.gql(UpsertCustomerDocument, { input: { externalId } }, t.operatorToken));
      return adjust(t, externalId, currency, 10);
    }, /^Customer:\d+$|^LedgerEntry:\d+$|^PointAccount:\d+$/],
    ['createCampaign', () =>
      t.gql(CreateCampaignDocument, {
        input: { name: unique('campaign'), currency, startsAt: t.clock.now().toISOString(), endsAt: new Date(t.clock.now().getTime() + 86_400_000).toISOString(), conditions: {}, outcome: { bonusPoints: 5 } },
      }, t.operatorToken).then(ok), /^Campaign:\d+$/],
    ['setActivityRule', () => run(mutation('setActivityRule', 'SetActivityRuleInput'), { currency, kind: 'REVIEW', points: 5 }), /^ActivityRule:\d+$/],
    ['createGiftList', () => run(mutation('createGiftList', 'CreateGiftListInput'), { currency, name: unique('gifts'), threshold: 100, offerIds: [shop.offerId] }), /^GiftList:\d+$/],
    ['createPartner', () => createPartner(t, ['customers:read']), /^Partner:\d+$/],
    ['revokePartner', async () => {
      const partner = await createPartner(t, ['customers:read']);
      return run(mutation('revokePartner', 'RevokePartnerInput'), { partnerId: partner.id, reason: 'key leaked' });
    }, /^Partner:\d+$/],
  ];

  it.each(changes)('%s', async (action, change, target) => {
    const [{ last }] = await t.sql<{ last: number }>(`select coalesce(max(id), 0)::int as last from audit_entry`);
    await change();
    const added = await t.sql<{ action: string }>(`select action from audit_entry where id > $1 order by id`, [last]);
    expect(added.filter((e) => e.action === action)).toHaveLength(1);
    const entry = ok(await t.gql(AuditLogDocument, { first: 1 }, t.analystToken)).auditLog.edges[0]?.node;
    expect(entry).toMatchObject({ action, actor: 'staff:staff-op', target: expect.stringMatching(target) });
  });
});
