import {
  ClaimGiftDocument,
  CreateCampaignDocument,
  CreateGiftListDocument,
  CreateOfferDocument,
  EligibleRewardStoresDocument,
  GiftListsDocument,
  LockOfferDocument,
  PurchaseOfferDocument,
  RedeemOfferDocument,
  RewardStoreOffersDocument,
  SubmitTransactionDocument,
  TransactionStatusDocument,
  WalletDocument,
} from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCurrency, createCustomer, createPartner, createStore, unique } from '../support/program.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const NODE = `query($id: ID!) { node(id: $id) { id ... on IssuedOffer { status lockExpiresAt } ... on RewardStore { code } ... on Listing { priceInPoints } } }`;
type NodeData = { node: { id: string; status?: string; lockExpiresAt?: string | null; code?: string; priceInPoints?: number } | null };

/**
 * Issue 7, kind 2, on the offers side: what changes with time holds from the second it is due,
 * whether or not the sweeper has run — lock expiry, an issued offer's expiry, store and listing
 * windows, an offer's validUntil — in reads (wallet, store lists, listings, node), purchases,
 * claims, awards and redemptions. Each boundary is tried one second before and at the second.
 * The sweeper only writes down, in batches (WALLET_SWEEP_BATCH=3 here), until nothing is left.
 */
describe('time-derived offer state holds from the second it is due', () => {
  let t: TestGateway;
  let currency: string;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let other: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({ WALLET_SWEEP_BATCH: '3' }, { jobs: 'manual' });
    currency = 'TIMEB';
    await createCurrency(t, currency, null);
    till = await createPartner(t, ['offers:redeem', 'transactions:write', 'transactions:read']);
    other = await createPartner(t, ['offers:redeem']);
  });
  beforeEach(() => t.clock.freeze());
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const newOffer = async (extra: Record<string, unknown> = {}) =>
    ok(await t.gql(CreateOfferDocument, { input: { name: unique('offer'), benefit: { kind: 'PERCENT_OFF', percentOff: 10 }, validDays: 30, ...extra } }, t.operatorToken))
      .createOffer.offer!;
  const buy = async (listingId: string, token: string) => dataOf(await t.gql(PurchaseOfferDocument, { listingId, idempotencyKey: unique('buy') }, token)).purchaseOffer;
  const walletOf = async (token: string, status?: string[]) =>
    ok(await t.gql(WalletDocument, { status: status as never, first: 100 }, token)).me!.wallet.edges.map((e) => e.node);
  const nodeOf = async (id: string, credential: string) => ok(await t.gql<NodeData, unknown>(NODE, { id }, credential)).node;
  const storesOf = async (token: string) => ok(await t.gql(EligibleRewardStoresDocument, { first: 100 }, token)).me!.eligibleRewardStores.edges.map((e) => e.node.id);
  const listingsOf = async (storeId: string, token: string) => {
    const node = ok(await t.gql(RewardStoreOffersDocument, { storeId }, token)).node as { listings?: { edges: { node: { id: string } }[] } } | null;
    return node?.listings?.edges.map((e) => e.node.id) ?? null;
  };

  /** A customer holding one issued offer (bought in an always-open store). */
  async function holder() {
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await newOffer()).id, { priceInPoints: 1 });
    const customer = await createCustomer(t, currency, 100);
    const issued = (await buy(listing.id, customer.token)).purchase!.issuedOffer;
    return { customer, issued };
  }

  it('a lock: held until the second before it ends, free for another till from that second, before any sweep', async () => {
    const { customer, issued } = await holder();
    const locked = ok(await t.gql(LockOfferDocument, { code: issued.code, lockId: 'A', ttlSeconds: 60 }, till.credential)).lockOffer.issuedOffer!;
    const end = new Date(locked.lockExpiresAt!).getTime();

    t.clock.moveTo(end - SECOND);
    expect((await walletOf(customer.token)).map((o) => o.status)).toEqual(['LOCKED']);
    expect(await nodeOf(issued.id, customer.token)).toMatchObject({ status: 'LOCKED', lockExpiresAt: locked.lockExpiresAt });
    expect(dataOf(await t.gql(LockOfferDocument, { code: issued.code, lockId: 'B' }, other.credential)).lockOffer.userErrors.map((e) => e.code)).toEqual(['LOCK_HELD']);
    expect(dataOf(await t.gql(RedeemOfferDocument, { code: issued.code }, other.credential)).redeemOffer.userErrors.map((e) => e.code)).toEqual(['LOCK_HELD']);

    t.clock.moveTo(end);
    expect((await walletOf(customer.token, ['ISSUED'])).map((o) => o.code)).toEqual([issued.code]);
    expect(await nodeOf(issued.id, customer.token)).toMatchObject({ status: 'ISSUED', lockExpiresAt: null });
    expect(ok(await t.gql(LockOfferDocument, { code: issued.code, lockId: 'B' }, other.credential)).lockOffer.issuedOffer!.status).toBe('LOCKED');
    // The first till's basket lost it at that second too.
    expect(dataOf(await t.gql(RedeemOfferDocument, { code: issued.code, lockId: 'A' }, till.credential)).redeemOffer.userErrors.map((e) => e.code)).toEqual(['LOCK_HELD']);
  });

  it("an issued offer: usable the second before expiresAt, EXPIRED from that second in every read and refused at the till", async () => {
    const { customer, issued } = await holder();
    const end = new Date(issued.expiresAt!).getTime();
    t.clock.moveTo(end - SECOND);
    expect((await walletOf(customer.token, ['ISSUED'])).map((o) => o.code)).toEqual([issued.code]);
    expect(await nodeOf(issued.id, customer.token)).toMatchObject({ status: 'ISSUED' });

    t.clock.moveTo(end);
    expect(await walletOf(customer.token, ['ISSUED', 'LOCKED'])).toEqual([]);
    expect((await walletOf(customer.token, ['EXPIRED'])).map((o) => o.code)).toEqual([issued.code]);
    expect(await nodeOf(issued.id, customer.token)).toMatchObject({ status: 'EXPIRED' });
    expect(dataOf(await t.gql(LockOfferDocument, { code: issued.code, lockId: 'A' }, till.credential)).lockOffer.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
    expect(dataOf(await t.gql(RedeemOfferDocument, { code: issued.code }, till.credential)).redeemOffer.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
    const [row] = await t.sql<{ status: string }>(`select status from issued_offer where code = $1`, [issued.code]);
    expect(row.status).toBe('ISSUED'); // nothing swept yet: the reads above computed it
  });

  it('a store window: closed the second before startsAt, open from it; open the second before endsAt, closed from it', async () => {
    const start = t.clock.now().getTime() + HOUR;
    const end = start + HOUR;
    const store = await createStore(t, currency, { startsAt: new Date(start).toISOString(), endsAt: new Date(end).toISOString() });
    const listing = await addListing(t, store.id, (await newOffer()).id, { priceInPoints: 1 });
    const customer = await createCustomer(t, currency, 100);
    const openAt = async (at: number) => {
      t.clock.moveTo(at);
      const listed = await storesOf(customer.token);
      const node = await nodeOf(store.id, customer.token);
      const listingNode = await nodeOf(listing.id, customer.token);
      const bought = await buy(listing.id, customer.token);
      return [listed.includes(store.id), node !== null, listingNode !== null, bought.userErrors.map((e) => e.code)];
    };
    expect(await openAt(start - SECOND)).toEqual([false, false, false, ['OFFER_UNAVAILABLE']]);
    expect(await openAt(start)).toEqual([true, true, true, []]);
    expect(await openAt(end - SECOND)).toEqual([true, true, true, []]);
    expect(await openAt(end)).toEqual([false, false, false, ['OFFER_UNAVAILABLE']]);
    // Staff see the store whatever the time.
    expect(await nodeOf(store.id, t.operatorToken)).toMatchObject({ code: expect.any(String) });
  });

  it("a listing's visible window and its offer's validUntil, in the store page, node(id:) and the purchase", async () => {
    const start = t.clock.now().getTime() + HOUR;
    const end = start + HOUR;
    const store = await createStore(t, currency);
    const windowed = await addListing(t, store.id, (await newOffer()).id, {
      priceInPoints: 1,
      visibleFrom: new Date(start).toISOString(),
      visibleUntil: new Date(end).toISOString(),
    });
    const ending = await addListing(t, store.id, (await newOffer({ validUntil: new Date(end).toISOString() })).id, { priceInPoints: 1 });
    const customer = await createCustomer(t, currency, 100);
    const at = async (when: number) => {
      t.clock.moveTo(when);
      const page = await listingsOf(store.id, customer.token);
      return {
        page,
        windowed: [(await nodeOf(windowed.id, customer.token)) !== null, (await buy(windowed.id, customer.token)).userErrors.map((e) => e.code)],
        ending: [(await nodeOf(ending.id, customer.token)) !== null, (await buy(ending.id, customer.token)).userErrors.map((e) => e.code)],
      };
    };
    expect(await at(start - SECOND)).toEqual({ page: [ending.id], windowed: [false, ['OFFER_UNAVAILABLE']], ending: [true, []] });
    expect(await at(start)).toEqual({ page: [windowed.id, ending.id], windowed: [true, []], ending: [true, []] });
    expect(await at(end - SECOND)).toEqual({ page: [windowed.id, ending.id], windowed: [true, []], ending: [true, []] });
    expect(await at(end)).toEqual({ page: [], windowed: [false, ['OFFER_UNAVAILABLE']], ending: [false, ['OFFER_UNAVAILABLE']] });
    // What was issued the second before the offer's end expires with it.
    const [last] = (await walletOf(customer.token)).filter((o) => o.offer.version === 1 && o.expiresAt === new Date(end).toISOString());
    expect(last.status).toBe('EXPIRED');
  });

  it("a gift option past its offer's validUntil: shown and claimable the second before, neither from that second", async () => {
    const end = t.clock.now().getTime() + HOUR;
    const offer = await newOffer({ validUntil: new Date(end).toISOString() });
    const list = ok(await t.gql(CreateGiftListDocument, { input: { currency, name: unique('list'), threshold: 5, offerIds: [offer.id] } }, t.operatorToken))
      .createGiftList.giftList!;
    const customer = await createCustomer(t, currency, 100);
    const claim = async () =>
      dataOf(await t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: offer.id, idempotencyKey: unique('claim') }, customer.token)).claimGift.userErrors.map(
        (e) => e.code,
      );
    const shown = async () => ok(await t.gql(GiftListsDocument, {}, customer.token)).me!.giftLists.some((g) => g.id === list.id);
    t.clock.moveTo(end - SECOND);
    expect([await shown(), await claim()]).toEqual([true, []]);
    t.clock.moveTo(end);
    expect([await shown(), await claim()]).toEqual([false, ['OFFER_UNAVAILABLE']]);
  });

  it("a campaign's offer past its validUntil is not awarded: it would land in the wallet already EXPIRED", async () => {
    const money = 'TOP';
    await t.gql(`mutation { createCurrency(input: { code: "TIMEB_M", name: "m", pointValue: "0.01", moneyCurrency: "${money}" }) { userErrors { code } } }`, {}, t.operatorToken);
    const end = t.clock.now().getTime() + HOUR;
    const offer = await newOffer({ validUntil: new Date(end).toISOString() });
    ok(
      await t.gql(
        CreateCampaignDocument,
        {
          input: {
            name: 'Welcome gift',
            currency: 'TIMEB_M',
            startsAt: new Date(end - 2 * HOUR).toISOString(),
            endsAt: new Date(end + 2 * HOUR).toISOString(),
            conditions: {},
            outcome: { offerId: offer.id },
          },
        },
        t.operatorToken,
      ),
    );
    const customer = await createCustomer(t, currency);
    const sale = async () => {
      const externalId = unique('sale');
      const input = { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines: [{ sku: 'X', quantity: 1, unitPrice: '1.00' }] };
      ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
      await t.jobs.runner.runUntilIdle();
      return ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction!.awards.map((a) => a.kind);
    };
    t.clock.moveTo(end - SECOND);
    expect(await sale()).toEqual(['OFFER']);
    t.clock.moveTo(end);
    expect(await sale()).toEqual([]);
    expect((await walletOf(customer.token)).map((o) => o.status)).toEqual(['EXPIRED']);
  });

  it('the sweeper writes down a backlog larger than its batch, in batches, until nothing due is left', async () => {
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await newOffer({ validDays: 1 })).id, { priceInPoints: 1 });
    const customer = await createCustomer(t, currency, 100);
    const expiring = [];
    for (let i = 0; i < 8; i++) expiring.push((await buy(listing.id, customer.token)).purchase!.issuedOffer);
    t.clock.moveTo(t.clock.now().getTime() + 2 * HOUR);
    // Bought later, so they outlive the others by hours: their 60-second locks lapse first.
    const later = await addListing(t, store.id, (await newOffer()).id, { priceInPoints: 1 });
    const locked = [];
    for (let i = 0; i < 7; i++) {
      const issued = (await buy(later.id, customer.token)).purchase!.issuedOffer;
      ok(await t.gql(LockOfferDocument, { code: issued.code, lockId: `basket-${i}`, ttlSeconds: 60 }, till.credential));
      locked.push(issued);
    }
    t.clock.moveTo(new Date(expiring[0].expiresAt!).getTime() + MINUTE);

    const stored = async () =>
      (await t.sql<{ status: string; n: number }>(`select status, count(*)::int as n from issued_offer where customer_id = (select id from customer where external_id = $1) group by status order by status`, [
        customer.externalId,
      ])).map((r) => [r.status, r.n]);
    // Readers see it all already.
    const seen = (await walletOf(customer.token)).map((o) => o.status);
    expect([seen.filter((s) => s === 'EXPIRED').length, seen.filter((s) => s === 'ISSUED').length]).toEqual([8, 7]);
    expect(await stored()).toEqual([['ISSUED', 8], ['LOCKED', 7]]);

    await t.runScheduled();
    expect(await stored()).toEqual([['EXPIRED', 8], ['ISSUED', 7]]);
    const runs = await t.sql<{ n: number }>(`select count(*)::int as n from job where kind = 'wallet.sweep' and status = 'DONE'`);
    expect(runs[0].n).toBeGreaterThanOrEqual(3); // 8 and 7 rows, 3 at a time
    const events = await t.sql<{ change: string; n: number }>(
      `select payload->>'change' as change, count(*)::int as n, count(distinct payload->>'issuedOfferId')::int as distinct_n from outbox_event
        where topic = 'WALLET_CHANGED' and customer_id = (select id from customer where external_id = $1) and payload->>'change' in ('EXPIRED', 'LOCK_EXPIRED')
        group by 1 order by 1`,
      [customer.externalId],
    );
    expect(events).toEqual([
      { change: 'EXPIRED', n: 8, distinct_n: 8 },
      { change: 'LOCK_EXPIRED', n: 7, distinct_n: 7 },
    ]);
    expect((await walletOf(customer.token)).map((o) => o.status)).toEqual(seen);
  });
});
