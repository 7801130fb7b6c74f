import { decodeGlobalId } from '../../src/graphql/ids.js';
import { UpsertCustomerDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createStore, createTier, unique, uniqueCode } from '../support/program.js';

const UPDATE = `mutation($input: UpdateRewardStoreInput!) {
  updateRewardStore(input: $input) { rewardStore { version eligibility { tiers segments } } changed dryRun userErrors { code field message } } }`;
type Updated = {
  updateRewardStore: { rewardStore: { version: number; eligibility: { tiers: string[]; segments: string[] } } | null; changed: boolean | null; dryRun: boolean | null; userErrors: unknown[] };
};
type Answer = Record<string, { userErrors: { code: string }[] } & Record<string, unknown>>;

/**
 * noticed-40: lists that mean sets (a store's or campaign's tiers and segments, SKUs, categories,
 * channels, days of the week, a customer's segments, a partner's scopes, an endpoint's event types)
 * were compared in their order. A store's `tiers: [GOLD, SILVER]` sent again as `[SILVER, GOLD]`
 * was an edit (written, version raised, an audit entry, a preview saying "changed"); a keyed create
 * resent with its lists in another order was another request (IDEMPOTENCY_KEY_REUSED, or
 * ALREADY_EXISTS for a store's code); a CRM sync sending a customer's segments reordered raised the
 * customer's version. Each is now the same, and the stored order stays as first sent.
 */
describe('noticed-40: lists that are sets, sent in another order', () => {
  let t: TestGateway;
  let currency: string;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    currency = uniqueCode('SET');
    await createCurrency(t, currency);
    await createTier(t, { currency, code: `${currency}_S`, rank: 1, threshold: 100 });
    await createTier(t, { currency, code: `${currency}_G`, rank: 2, threshold: 200 });
  });
  afterAll(() => t.close());

  const update = async (input: Record<string, unknown>) => dataOf(await t.gql<Updated, object>(UPDATE, { input }, t.operatorToken)).updateRewardStore;
  const audits = async (target: string) => (await t.sql<{ n: number }>(`select count(*)::int as n from audit_entry where target = $1`, [target]))[0].n;
  const staff = async (mutation: string, type: string, input: Record<string, unknown>, select: string) =>
    dataOf(await t.gql<Answer, object>(`mutation($input: ${type}!) { ${mutation}(input: $input) { ${select} userErrors { code } } }`, { input }, t.operatorToken))[mutation];

  it('updateRewardStore: the same tiers and segments reordered are no change (dry run and edit); the stored order stays', async () => {
    const [gold, silver] = [`${currency}_G`, `${currency}_S`];
    const store = await createStore(t, currency, { eligibility: { tiers: [gold, silver], segments: ['vip', 'coffee'] } });
    const target = `RewardStore:${decodeGlobalId(store.id)!.id}`;
    const auditsBefore = await audits(target);
    const reordered = { storeId: store.id, eligibility: { tiers: [silver, gold], segments: ['coffee', 'vip'] }, expectedVersion: 1 };
    const preview = await update({ ...reordered, dryRun: true });
    expect({ changed: preview.changed, dryRun: preview.dryRun, errors: preview.userErrors }).toEqual({ changed: false, dryRun: true, errors: [] });
    const saved = await update({ ...reordered, idempotencyKey: unique('edit') });
    expect(saved.userErrors).toEqual([]);
    expect({ changed: saved.changed, version: saved.rewardStore!.version, eligibility: saved.rewardStore!.eligibility }).toEqual({
      changed: false,
      version: 1,
      eligibility: { tiers: [gold, silver], segments: ['vip', 'coffee'] },
    });
    expect(await audits(target)).toBe(auditsBefore);
    // a rename alongside the reorder is an edit of the name only: the lists keep their stored order
    const renamed = await update({ ...reordered, name: 'Renamed' });
    expect({ changed: renamed.changed, version: renamed.rewardStore!.version, eligibility: renamed.rewardStore!.eligibility }).toEqual({
      changed: true,
      version: 2,
      eligibility: { tiers: [gold, silver], segments: ['vip', 'coffee'] },
    });
    // and a real change of the set is still one
    const dropped = await update({ storeId: store.id, eligibility: { tiers: [gold], segments: ['coffee', 'vip'] } });
    expect({ changed: dropped.changed, version: dropped.rewardStore!.version }).toEqual({ changed: true, version: 3 });
  });

  it('createRewardStore sent again with its tiers reordered answers the same store, not ALREADY_EXISTS', async () => {
    const code = unique('store');
    const input = { code, name: code, currency, eligibility: { tiers: [`${currency}_G`, `${currency}_S`], segments: ['a', 'b'] } };
    const first = await staff('createRewardStore', 'CreateRewardStoreInput', input, 'rewardStore { id }');
    const again = await staff('createRewardStore', 'CreateRewardStoreInput', { ...input, eligibility: { tiers: [`${currency}_S`, `${currency}_G`], segments: ['b', 'a'] } }, 'rewardStore { id }');
    expect(again).toEqual(first);
  });

  it('a keyed createCampaign, createOffer, createPartner and registerWebhookEndpoint resent with their lists reordered answer the first', async () => {
    const window = { startsAt: t.clock.now().toISOString(), endsAt: new Date(t.clock.now().getTime() + 86_400_000).toISOString() };
    const campaign = (conditions: Record<string, unknown>, idempotencyKey: string) =>
      staff('createCampaign', 'CreateCampaignInput', { name: 'Sets', currency, ...window, outcome: { bonusPoints: 5 }, conditions, idempotencyKey }, 'campaign { id }');
    const key = unique('campaign');
    const first = await campaign({ skus: ['A', 'B'], categories: ['X', 'Y'], channels: ['STORE', 'APP'], tiers: [`${currency}_G`, `${currency}_S`], segments: ['s1', 's2'], daysOfWeek: [1, 5] }, key);
    expect(first.userErrors).toEqual([]);
    const again = await campaign({ skus: ['B', 'A'], categories: ['Y', 'X'], channels: ['APP', 'STORE'], tiers: [`${currency}_S`, `${currency}_G`], segments: ['s2', 's1'], daysOfWeek: [5, 1] }, key);
    expect(again).toEqual(first);

    const offerKey = unique('offer');
    const offer = (channels: string[], skus: string[]) =>
      staff('createOffer', 'CreateOfferInput', { name: 'Sets offer', benefit: { kind: 'PERCENT_OFF', percentOff: 10, skus }, channels, idempotencyKey: offerKey }, 'offer { id }');
    const firstOffer = await offer(['STORE', 'APP'], ['A', 'B']);
    expect(firstOffer.userErrors).toEqual([]);
    expect(await offer(['APP', 'STORE'], ['B', 'A'])).toEqual(firstOffer);

    const partnerKey = unique('partner');
    const partner = (scopes: string[]) => staff('createPartner', 'CreatePartnerInput', { name: 'Sets till', scopes, idempotencyKey: partnerKey }, 'partner { id }');
    const firstPartner = await partner(['offers:redeem', 'transactions:write']);
    expect(firstPartner.userErrors).toEqual([]);
    expect(await partner(['transactions:write', 'offers:redeem'])).toEqual(firstPartner);

    const hookKey = unique('hook');
    const url = `https://hooks.example.com/${unique('hook')}`;
    const hook = (eventTypes: string[]) => staff('registerWebhookEndpoint', 'RegisterWebhookEndpointInput', { url, eventTypes, idempotencyKey: hookKey }, 'endpoint { id }');
    const firstHook = await hook(['SALE_PROCESSED', 'SALE_REVERSED']);
    expect(firstHook.userErrors).toEqual([]);
    expect(await hook(['SALE_REVERSED', 'SALE_PROCESSED'])).toEqual(firstHook);
  });

  it('upsertCustomer with the same segments reordered changes nothing: the version stays, the stored order too', async () => {
    const externalId = unique('member');
    const upsert = async (segments: string[]) => ok(await t.gql(UpsertCustomerDocument, { input: { externalId, segments } }, t.operatorToken)).upsertCustomer.customer!;
    await upsert(['vip', 'coffee']);
    const version = async () => (await t.sql<{ version: number; segments: string[] }>(`select version, segments from customer where external_id = $1`, [externalId]))[0];
    expect(await version()).toEqual({ version: 1, segments: ['vip', 'coffee'] });
    await upsert(['coffee', 'vip']);
    expect(await version()).toEqual({ version: 1, segments: ['vip', 'coffee'] });
    await upsert(['coffee']);
    expect(await version()).toEqual({ version: 2, segments: ['coffee'] });
  });
});
