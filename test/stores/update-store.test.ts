import { decodeGlobalId, toGlobalId } from '../../src/graphql/ids.js';
import { EligibleRewardStoresDocument, PurchaseOfferDocument } from '../generated/graphql.js';
import { dataOf, ok, ledgerViolations, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCurrency, createCustomer, createOffer, createStore, createTier, unique, uniqueCode } from '../support/program.js';

const DAY = 86_400_000;

const UPDATE = `mutation($input: UpdateRewardStoreInput!) {
  updateRewardStore(input: $input) {
    rewardStore { id name version updatedAt startsAt endsAt eligibility { tiers segments minBalance minLifetimePoints } }
    accessLost accessGained changed dryRun
    userErrors { code field message }
  }
}`;
type Updated = {
  updateRewardStore: {
    rewardStore: {
      id: string;
      name: string;
      version: number;
      updatedAt: string | null;
      startsAt: string | null;
      endsAt: string | null;
      eligibility: { tiers: string[]; segments: string[]; minBalance: number | null; minLifetimePoints: number | null };
    } | null;
    accessLost: number | null;
    accessGained: number | null;
    changed: boolean | null;
    dryRun: boolean | null;
    userErrors: { code: string; field: string[] | null; message: string }[];
  };
};

/**
 * store-edit-39: an operator could not change who may shop in a store (the thirty-eighth newcomer
 * added a tier above GOLD and the GOLD-only lounge lost its best members, with nothing to do but
 * make a second store). updateRewardStore edits a store's name, window and eligibility, previews
 * who gains and loses it, refuses an edit from a stale read, and the next read and purchase follow.
 */
describe('an operator edits a reward store', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const update = async (input: Record<string, unknown>, token = t.operatorToken) => dataOf(await t.gql<Updated, object>(UPDATE, { input }, token)).updateRewardStore;
  const visibleTo = async (token: string) => ok(await t.gql(EligibleRewardStoresDocument, { first: 50 }, token)).me!.eligibleRewardStores.edges.map((e) => e.node.id);
  const buy = async (token: string, listingId: string) => dataOf(await t.gql(PurchaseOfferDocument, { listingId, idempotencyKey: unique('buy') }, token)).purchaseOffer;
  const audits = async (storeId: string) =>
    t.sql<{ action: string; details: { version: number; before: { segments: string[] }; after: { segments: string[] } } }>(
      `select action, details from audit_entry where target = 'RewardStore:' || $1 and action = 'updateRewardStore' order by id`,
      [String(decodeGlobalId(storeId)!.id)],
    );

  /** A store open to segment `old` only, a listing in it, and three members: in `old`, in both, in `fresh` only. */
  async function segmentShop() {
    const currency = uniqueCode('C');
    await createCurrency(t, currency);
    const [old, fresh] = [unique('seg-old'), unique('seg-new')];
    const store = await createStore(t, currency, { eligibility: { segments: [old] } });
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 10 });
    const onlyOld = await createCustomer(t, currency, 100, { segments: [old] });
    const both = await createCustomer(t, currency, 100, { segments: [old, fresh] });
    const onlyNew = await createCustomer(t, currency, 100, { segments: [fresh] });
    return { currency, old, fresh, store, listing, onlyOld, both, onlyNew };
  }

  it('previews who loses and gains the store, then moves it: the store page and the purchase follow, the version and the audit log record it', async () => {
    const s = await segmentShop();
    const preview = await update({ storeId: s.store.id, eligibility: { segments: [s.fresh] }, dryRun: true });
    expect(preview).toMatchObject({ userErrors: [], dryRun: true, changed: true, accessLost: 1, accessGained: 1 });
    expect(preview.rewardStore).toMatchObject({ version: 1, updatedAt: null, eligibility: { segments: [s.old] } });
    expect(await visibleTo(s.onlyOld.token)).toContain(s.store.id);
    expect(await audits(s.store.id)).toEqual([]);

    const edited = await update({ storeId: s.store.id, eligibility: { segments: [s.fresh] }, expectedVersion: 1 });
    expect(edited).toMatchObject({ userErrors: [], dryRun: false, changed: true, accessLost: 1, accessGained: 1 });
    expect(edited.rewardStore).toMatchObject({ version: 2, eligibility: { tiers: [], segments: [s.fresh], minBalance: null, minLifetimePoints: null } });
    expect(edited.rewardStore!.updatedAt).not.toBeNull();

    expect(await visibleTo(s.onlyOld.token)).not.toContain(s.store.id);
    expect(await visibleTo(s.onlyNew.token)).toContain(s.store.id);
    expect((await buy(s.onlyOld.token, s.listing.id)).userErrors.map((e) => e.code)).toEqual(['NOT_ELIGIBLE']);
    expect((await buy(s.onlyNew.token, s.listing.id)).userErrors).toEqual([]);
    expect((await buy(s.both.token, s.listing.id)).userErrors).toEqual([]);

    expect(await audits(s.store.id)).toEqual([{ action: 'updateRewardStore', details: expect.objectContaining({ version: 2, expectedVersion: 1, before: expect.objectContaining({ segments: [s.old] }), after: expect.objectContaining({ segments: [s.fresh] }) }) }]);
  });

  it('an edit from a stale read is VERSION_CONFLICT and writes nothing; of two edits sent at once from one version exactly one is written', async () => {
    const s = await segmentShop();
    const [a, b] = await Promise.all([
      update({ storeId: s.store.id, eligibility: { segments: [s.fresh] }, expectedVersion: 1 }),
      update({ storeId: s.store.id, eligibility: { segments: [s.old], minBalance: 50 }, expectedVersion: 1 }),
    ]);
    const answers = [a, b].map((x) => x.userErrors.map((e) => e.code).join() || 'OK').sort();
    expect(answers).toEqual(['OK', 'VERSION_CONFLICT']);
    const conflict = [a, b].find((x) => x.userErrors.length)!;
    expect(conflict).toMatchObject({ rewardStore: null, accessLost: null, accessGained: null, changed: null });
    expect(conflict.userErrors[0]).toMatchObject({ field: ['input', 'expectedVersion'], message: expect.stringContaining('it is now version 2') });
    expect(await audits(s.store.id)).toHaveLength(1);
    const winner = [a, b].find((x) => !x.userErrors.length)!.rewardStore!;
    const stale = await update({ storeId: s.store.id, name: 'Renamed from a stale form', expectedVersion: 1 });
    expect(stale.userErrors.map((e) => e.code)).toEqual(['VERSION_CONFLICT']);
    const now = (await update({ storeId: s.store.id, dryRun: true })).rewardStore!;
    expect(now).toEqual(winner);
  });

  it('an edit that changes nothing writes nothing: the version stays and no audit entry is added', async () => {
    const s = await segmentShop();
    const same = await update({ storeId: s.store.id, name: s.store.name, eligibility: { segments: [s.old] }, expectedVersion: 1 });
    expect(same).toMatchObject({ userErrors: [], changed: false, accessLost: 0, accessGained: 0, rewardStore: { version: 1, updatedAt: null } });
    expect(await audits(s.store.id)).toEqual([]);
  });

  it('fields left out keep what is stored; eligibility replaces every rule; a null bound removes it', async () => {
    const s = await segmentShop();
    const start = new Date(t.clock.now().getTime() - DAY);
    const end = new Date(t.clock.now().getTime() + 30 * DAY);
    await update({ storeId: s.store.id, startsAt: start.toISOString(), endsAt: end.toISOString(), eligibility: { segments: [s.old], minBalance: 5 } });
    const renamed = await update({ storeId: s.store.id, name: 'The lounge' });
    expect(renamed.rewardStore).toMatchObject({
      name: 'The lounge',
      version: 3,
      startsAt: start.toISOString(),
      endsAt: end.toISOString(),
      eligibility: { segments: [s.old], minBalance: 5, tiers: [], minLifetimePoints: null },
    });
    const opened = await update({ storeId: s.store.id, endsAt: null, eligibility: {} });
    expect(opened.rewardStore).toMatchObject({ name: 'The lounge', startsAt: start.toISOString(), endsAt: null, eligibility: { segments: [], minBalance: null, tiers: [], minLifetimePoints: null } });
    // open to everyone now: the member in neither segment gains it (with every other member of this file's program)
    expect(opened.accessGained).toBeGreaterThanOrEqual(1);
    expect(await visibleTo(s.onlyNew.token)).toContain(s.store.id);
  });

  it('closing the window ends the store for everyone it was open to; a start moved ahead opens it when the clock gets there', async () => {
    const s = await segmentShop();
    t.clock.freeze();
    const closed = await update({ storeId: s.store.id, endsAt: t.clock.now().toISOString() });
    expect(closed).toMatchObject({ userErrors: [], accessLost: 2, accessGained: 0 });
    expect(await visibleTo(s.both.token)).not.toContain(s.store.id);
    expect((await buy(s.both.token, s.listing.id)).userErrors.map((e) => e.code)).toEqual(['OFFER_UNAVAILABLE']);

    const later = new Date(t.clock.now().getTime() + DAY);
    const reopened = await update({ storeId: s.store.id, startsAt: later.toISOString(), endsAt: null });
    expect(reopened).toMatchObject({ userErrors: [], accessLost: 0, accessGained: 0 });
    expect(await visibleTo(s.both.token)).not.toContain(s.store.id);
    t.clock.advance(DAY);
    expect(await visibleTo(s.both.token)).toContain(s.store.id);
    expect((await buy(s.both.token, s.listing.id)).userErrors).toEqual([]);
  });

  it('refuses an empty window, an unknown tier and an unknown store with their codes, and writes nothing', async () => {
    const s = await segmentShop();
    const now = t.clock.now().getTime();
    const empty = await update({ storeId: s.store.id, startsAt: new Date(now + DAY).toISOString(), endsAt: new Date(now).toISOString() });
    expect(empty.userErrors).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'endsAt'] })]);
    // the start alone moved past a stored end is refused on the start
    await update({ storeId: s.store.id, endsAt: new Date(now + DAY).toISOString() });
    const startPast = await update({ storeId: s.store.id, startsAt: new Date(now + 2 * DAY).toISOString() });
    expect(startPast.userErrors).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'startsAt'] })]);
    const tier = await update({ storeId: s.store.id, eligibility: { tiers: ['NO_SUCH_TIER'] } });
    expect(tier.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: ['input', 'eligibility', 'tiers', '0'] })]);
    const gone = await update({ storeId: toGlobalId('RewardStore', 2_000_000_000), name: 'x' });
    expect(gone).toMatchObject({ rewardStore: null, userErrors: [{ code: 'NOT_FOUND', field: ['input', 'storeId'], message: 'No such store.' }] });
    const stored = (await update({ storeId: s.store.id, dryRun: true })).rewardStore!;
    expect(stored).toMatchObject({ version: 2, eligibility: { segments: [s.old], tiers: [] } });
  });

  it('a resend under the same key answers the store and writes nothing more, also after another edit; the key with another edit is IDEMPOTENCY_KEY_REUSED', async () => {
    const s = await segmentShop();
    const idempotencyKey = unique('edit');
    const input = { storeId: s.store.id, eligibility: { segments: [s.fresh] }, expectedVersion: 1, idempotencyKey };
    const first = await update(input);
    expect(first.rewardStore!.version).toBe(2);
    await update({ storeId: s.store.id, name: 'Another operator' });
    const again = await update(input);
    expect(again.userErrors).toEqual([]);
    expect(again.rewardStore).toMatchObject({ version: 3, name: 'Another operator', eligibility: { segments: [s.fresh] } });
    expect(await audits(s.store.id)).toHaveLength(2);
    const reused = await update({ ...input, eligibility: { segments: [s.old] } });
    expect(reused.userErrors.map((e) => e.code)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
  });

  it('a tier list edited to take in a tier added above it lets that tier in', async () => {
    const currency = uniqueCode('T');
    await createCurrency(t, currency);
    const [gold, platinum] = [uniqueCode('GOLD'), uniqueCode('PLAT')];
    await createTier(t, { currency, code: gold, rank: 10, threshold: 100 });
    const store = await createStore(t, currency, { eligibility: { tiers: [gold] } });
    await createTier(t, { currency, code: platinum, rank: 20, threshold: 500 });
    const top = await createCustomer(t, currency, 600);
    expect(await visibleTo(top.token)).not.toContain(store.id);
    const edited = await update({ storeId: store.id, eligibility: { tiers: [gold, platinum] }, expectedVersion: 1 });
    expect(edited).toMatchObject({ userErrors: [], accessGained: 1, accessLost: 0 });
    expect(await visibleTo(top.token)).toContain(store.id);
  });

  it('is for operators only', async () => {
    const s = await segmentShop();
    const res = await t.gql<Updated, object>(UPDATE, { input: { storeId: s.store.id, name: 'mine now' } }, s.onlyOld.token);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
