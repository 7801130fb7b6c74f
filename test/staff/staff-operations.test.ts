import {
  AdjustPointsDocument,
  AuditLogDocument,
  CreateCurrencyDocument,
  CreateTierDocument,
  ProfileDocument,
  RemoveListingDocument,
  RewardStoreOffersDocument,
  UpdateOfferDocument,
  UpsertCustomerDocument,
} from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCurrency, createCustomer, createOffer, simpleShop, storeOf, unique } from '../support/program.js';

/** The staff console's operations (staff.graphql, UpsertCustomer through RemoveListing). */
describe('staff operations', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
    await createCurrency(t, 'STAFF');
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  it('upsertCustomer creates, then updates only the fields given', async () => {
    const externalId = unique('c');
    const created = ok(
      await t.gql(UpsertCustomerDocument, { input: { externalId, email: 'a@example.com', name: 'Ann', birthDate: '1991-02-28', segments: ['vip'] } }, t.operatorToken),
    ).upsertCustomer.customer!;
    expect(created).toMatchObject({ externalId, status: 'ACTIVE', segments: ['vip'], tier: null });
    const updated = ok(await t.gql(UpsertCustomerDocument, { input: { externalId, status: 'SUSPENDED' } }, t.operatorToken)).upsertCustomer.customer!;
    expect(updated).toMatchObject({ id: created.id, status: 'SUSPENDED', segments: ['vip'] });
    const profile = ok(await t.gql(ProfileDocument, {}, await t.customerToken(externalId))).me!;
    expect(profile).toMatchObject({ name: 'Ann', email: 'a@example.com', birthDate: '1991-02-28', status: 'SUSPENDED' });
  });

  it('adjustPoints credits and debits with a reason, once per idempotency key, and never below zero', async () => {
    const customer = await createCustomer(t, 'STAFF');
    const input = { customerExternalId: customer.externalId, currency: 'STAFF', amount: 250, reason: 'Goodwill: late delivery', idempotencyKey: unique('k') };
    const results = await Promise.all(Array.from({ length: 10 }, () => t.gql(AdjustPointsDocument, { input }, t.operatorToken)));
    const entries = results.map((r) => ok(r).adjustPoints.entry);
    expect(new Set(entries.map((e) => e!.id)).size).toBe(1);
    expect(entries[0]).toMatchObject({ amount: 250, kind: 'ADJUST', reason: 'Goodwill: late delivery', balanceAfter: 250 });

    const overdraft = dataOf(
      await t.gql(AdjustPointsDocument, { input: { ...input, amount: -251, reason: 'Correction', idempotencyKey: unique('k') } }, t.operatorToken),
    ).adjustPoints;
    expect(overdraft).toEqual({ entry: null, userErrors: [{ code: 'INSUFFICIENT_POINTS', field: ['input', 'amount'], message: 'Not enough STAFF points for this: 1 more needed.' }] });
    const debit = ok(await t.gql(AdjustPointsDocument, { input: { ...input, amount: -50, reason: 'Correction', idempotencyKey: unique('k') } }, t.operatorToken));
    expect(debit.adjustPoints.entry).toMatchObject({ amount: -50, balanceAfter: 200 });
    expect(ok(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(200);

    const unknown = dataOf(await t.gql(AdjustPointsDocument, { input: { ...input, customerExternalId: 'nobody', idempotencyKey: unique('k') } }, t.operatorToken));
    expect(unknown.adjustPoints.userErrors[0]).toMatchObject({ code: 'NOT_FOUND', field: ['input', 'customerExternalId'] });
  });

  it('records who changed what and why in the audit log', async () => {
    const customer = await createCustomer(t, 'STAFF');
    ok(await t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency: 'STAFF', amount: 5, reason: 'Survey thanks', idempotencyKey: unique('k') } }, t.operatorToken));
    const log = ok(await t.gql(AuditLogDocument, { first: 5 }, t.analystToken)).auditLog;
    expect(log.edges[0].node).toMatchObject({ actor: 'staff:staff-op', action: 'adjustPoints', target: expect.stringMatching(/^Customer:\d+$/), reason: 'Survey thanks' });
    expect(log.edges[1].node).toMatchObject({ actor: 'staff:staff-op', action: 'createCustomer' });
    const [entry] = await t.sql<{ actor: string; reason: string }>(`select actor, reason from ledger_entry order by id desc limit 1`);
    expect(entry).toEqual({ actor: 'staff:staff-op', reason: 'Survey thanks' });
  });

  it('refuses duplicates with ALREADY_EXISTS', async () => {
    const again = dataOf(await t.gql(CreateCurrencyDocument, { input: { code: 'STAFF', name: 'x', pointValue: '1', moneyCurrency: 'EUR' } }, t.operatorToken));
    expect(again.createCurrency).toMatchObject({ currency: null, userErrors: [{ code: 'ALREADY_EXISTS' }] });
    ok(await t.gql(CreateTierDocument, { input: { currency: 'STAFF', code: 'ONE', name: 'One', rank: 100, threshold: 0 } }, t.operatorToken));
    const sameRank = dataOf(await t.gql(CreateTierDocument, { input: { currency: 'STAFF', code: 'TWO', name: 'Two', rank: 100, threshold: 5 } }, t.operatorToken));
    expect(sameRank.createTier.userErrors).toMatchObject([{ code: 'ALREADY_EXISTS', field: ['input', 'rank'] }]);
    const unknownCurrency = dataOf(await t.gql(CreateTierDocument, { input: { currency: 'NOPE', code: 'X', name: 'X', rank: 101, threshold: 0 } }, t.operatorToken));
    expect(unknownCurrency.createTier.userErrors).toMatchObject([{ code: 'NOT_FOUND', field: ['input', 'currency'] }]);
  });

  it('two tiers of one rank created at once: one is created, the other refused ALREADY_EXISTS on rank, nothing half-written', async () => {
    // thresholds rise with rank, above ONE's (rank 100, 0 points): break36 (tiers)
    const create = (code: string) => t.gql(CreateTierDocument, { input: { currency: 'STAFF', code, name: code, rank: 300, threshold: 300 } }, t.operatorToken);
    const answers = await Promise.all(['RACE_A', 'RACE_B', 'RACE_C', 'RACE_D'].map(create));
    const outcomes = answers.map((a) => dataOf(a).createTier).map((p) => p.tier?.code ?? p.userErrors.map((e) => `${e.code}:${e.field?.join('.')}`).join());
    expect(outcomes.filter((o) => o.startsWith('RACE_'))).toHaveLength(1);
    expect(outcomes.filter((o) => !o.startsWith('RACE_'))).toEqual(Array(3).fill('ALREADY_EXISTS:input.rank'));
    const [{ n }] = await t.sql<{ n: string }>(`select count(*) as n from tier where rank = 300`);
    expect(Number(n)).toBe(1);
    // the refused codes were never taken: each can be created at another rank
    const refused = ['RACE_A', 'RACE_B', 'RACE_C', 'RACE_D'].filter((c) => !outcomes.includes(c));
    for (const [i, code] of refused.entries()) {
      ok(await t.gql(CreateTierDocument, { input: { currency: 'STAFF', code, name: code, rank: 301 + i, threshold: 301 + i } }, t.operatorToken));
    }
  });

  it('removeListing takes a listing off sale for customers; offers already bought are kept', async () => {
    const shop = await simpleShop(t, { priceInPoints: 5 });
    const other = await addListing(t, shop.store.id, (await createOffer(t)).id, { priceInPoints: 7, sortOrder: 1 });
    const customer = await createCustomer(t, shop.currency, 20);
    const removed = ok(await t.gql(RemoveListingDocument, { listingId: shop.listing.id }, t.operatorToken)).removeListing.listing;
    expect(removed).toEqual({ id: shop.listing.id });
    const page = storeOf(ok(await t.gql(RewardStoreOffersDocument, { storeId: shop.store.id }, customer.token)).node);
    expect(page.listings.edges.map((e) => e.node.id)).toEqual([other.id]);
    // a second removal (a resend after a lost answer) answers the listing it removed (retain-13)
    const twice = dataOf(await t.gql(RemoveListingDocument, { listingId: shop.listing.id }, t.operatorToken));
    expect(twice.removeListing).toEqual({ listing: { id: shop.listing.id }, userErrors: [] });
  });

  it('updateOffer keeps fields not named, makes a new version each time, and refuses unknown offers', async () => {
    const offer = await createOffer(t, 'Original');
    const v2 = ok(await t.gql(UpdateOfferDocument, { input: { offerId: offer.id, benefit: { kind: 'PERCENT_OFF', percentOff: 10 } } }, t.operatorToken));
    expect(v2.updateOffer.offer).toEqual({ id: expect.any(String), version: 2, name: 'Original' });
    expect(v2.updateOffer.offer!.id).not.toBe(offer.id); // each version is its own object (issue 7)
    const edits = await Promise.all(
      Array.from({ length: 5 }, (_, i) => t.gql(UpdateOfferDocument, { input: { offerId: offer.id, name: `Edit ${i}` } }, t.operatorToken)),
    );
    expect(edits.map((e) => ok(e).updateOffer.offer!.version).sort()).toEqual([3, 4, 5, 6, 7]);
    const bad = dataOf(await t.gql(UpdateOfferDocument, { input: { offerId: offer.id, benefit: { kind: 'AMOUNT_OFF' } } }, t.operatorToken));
    expect(bad.updateOffer.userErrors[0]).toMatchObject({ code: 'INVALID', field: ['input', 'benefit', 'amountOff'] });
    const missing = Buffer.from('Offer:999999').toString('base64url');
    expect(dataOf(await t.gql(UpdateOfferDocument, { input: { offerId: missing, name: 'x' } }, t.operatorToken)).updateOffer.userErrors[0].code).toBe('NOT_FOUND');
  });
});
