import { ProgramStatsDocument, PurchaseOfferDocument, RecordActivityDocument, RedeemOfferDocument, ReverseTransactionDocument, SetActivityRuleDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCustomer, createOffer, createPartner, createStore, createTier, earningProgram, processedSale, simpleShop, unique } from '../support/program.js';

const DAY = 86_400_000;

/** The analysts' ProgramStats (staff.graphql) over a window, from the ledger. */
describe('program statistics', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('counts what was issued, spent and expired in the window, the liability now, tiers and top offers', async () => {
    const shop = await simpleShop(t, { priceInPoints: 40 });
    await createTier(t, { currency: shop.currency, code: 'STAT_BASE', rank: 700, threshold: 0 });
    await createTier(t, { currency: shop.currency, code: 'STAT_TOP', rank: 701, threshold: 150 });
    const a = await createCustomer(t, shop.currency, 200);
    const b = await createCustomer(t, shop.currency, 100);
    await createCustomer(t, shop.currency); // a member who did nothing
    ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'a1' }, a.token));
    ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'a2' }, a.token));
    ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'b1' }, b.token));
    await adjust(t, b.externalId, shop.currency, -10);

    const from = new Date(Date.now() - DAY).toISOString();
    const to = new Date(Date.now() + DAY).toISOString();
    const stats = ok(await t.gql(ProgramStatsDocument, { currency: shop.currency, from, to }, t.analystToken)).programStats!;
    expect(stats).toMatchObject({
      pointsIssued: 300,
      pointsSpent: 120,
      pointsExpired: 0,
      outstandingPoints: 170, // 300 - 120 - 10 adjusted away
      outstandingLiability: '1.70', // at 0.01 a point
      redemptionRate: 0.4,
      activeMembers: 2,
    });
    expect(stats.tierMix).toEqual([
      { tier: { code: 'STAT_BASE' }, members: 2 },
      { tier: { code: 'STAT_TOP' }, members: 1 },
    ]);
    expect(stats.topOffers).toEqual([{ offer: { id: shop.offer.id, name: shop.offer.name }, purchases: 3, redemptions: 0 }]);

    // a window before any of it: nothing issued or spent, the liability is still today's
    const before = ok(
      await t.gql(ProgramStatsDocument, { currency: shop.currency, from: new Date(Date.now() - 10 * DAY).toISOString(), to: new Date(Date.now() - 5 * DAY).toISOString() }, t.analystToken),
    ).programStats!;
    expect(before).toMatchObject({ pointsIssued: 0, pointsSpent: 0, redemptionRate: 0, activeMembers: 0, outstandingPoints: 170, topOffers: [] });
  });

  it('the window is [from, to) to the millisecond, for what was written and for expiries no job wrote down yet (hostile pass 6, held)', async () => {
    t.clock.freeze();
    const shop = await simpleShop(t, { priceInPoints: 40 });
    const earnedAt = t.clock.now().getTime();
    await createCustomer(t, shop.currency, 100); // expires 365 days on, no job runs here
    const expiresAt = earnedAt + 365 * DAY;
    t.clock.advance(400 * DAY);
    const stats = async (from: number, to: number) => {
      const s = ok(await t.gql(ProgramStatsDocument, { currency: shop.currency, from: new Date(from).toISOString(), to: new Date(to).toISOString() }, t.analystToken)).programStats!;
      return { issued: s.pointsIssued, expired: s.pointsExpired, active: s.activeMembers };
    };
    // active: neither the staff credit nor the expiry is the member's own doing (edges-12b)
    expect(await stats(earnedAt, earnedAt + 1)).toEqual({ issued: 100, expired: 0, active: 0 });
    expect(await stats(earnedAt - DAY, earnedAt)).toEqual({ issued: 0, expired: 0, active: 0 });
    expect(await stats(expiresAt, expiresAt + 1)).toEqual({ issued: 0, expired: 100, active: 0 });
    expect(await stats(expiresAt - DAY, expiresAt)).toEqual({ issued: 0, expired: 0, active: 0 });
    t.clock.reset();
  });

  it('reports points earned but still pending, and their value, apart from the outstanding: until their day comes, or a return cancels them', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'L', { expiryDays: 365, pendingDays: 14 });
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const kept = await createCustomer(t, currency);
    const returned = await createCustomer(t, currency);
    await processedSale(t, till, kept.externalId, money, 12.34); // 123 points at 10 a unit, rounded down
    const sale = await processedSale(t, till, returned.externalId, money, 5); // 50 points
    const liability = async () => {
      const window = { from: new Date(t.clock.now().getTime() - 30 * DAY).toISOString(), to: new Date(t.clock.now().getTime() + DAY).toISOString() };
      const s = ok(
        await t.gql(
          `query($currency: String!, $from: DateTime!, $to: DateTime!) {
            programStats(currency: $currency, from: $from, to: $to) { outstandingPoints outstandingLiability pendingPoints pendingLiability }
          }`,
          { currency, ...window },
          t.analystToken,
        ),
      ) as { programStats: { outstandingPoints: number; outstandingLiability: string; pendingPoints: number; pendingLiability: string } };
      return s.programStats;
    };
    expect(await liability()).toEqual({ outstandingPoints: 0, outstandingLiability: '0.00', pendingPoints: 173, pendingLiability: '1.73' });

    // A return cancels what was pending: no longer owed.
    const reversed = ok(await t.gql(ReverseTransactionDocument, { externalId: sale, reason: 'returned' }, till.credential)).reverseTransaction;
    expect(reversed.userErrors).toEqual([]);
    expect(await liability()).toEqual({ outstandingPoints: 0, outstandingLiability: '0.00', pendingPoints: 123, pendingLiability: '1.23' });

    // A second before the release day: still pending. From its second on, outstanding, before any job writes it.
    t.clock.advance(14 * DAY - 1000);
    expect(await liability()).toEqual({ outstandingPoints: 0, outstandingLiability: '0.00', pendingPoints: 123, pendingLiability: '1.23' });
    t.clock.advance(1000);
    expect(await liability()).toEqual({ outstandingPoints: 123, outstandingLiability: '1.23', pendingPoints: 0, pendingLiability: '0.00' });
    await t.runScheduled();
    expect(await liability()).toEqual({ outstandingPoints: 123, outstandingLiability: '1.23', pendingPoints: 0, pendingLiability: '0.00' });
    t.clock.reset();
  });

  it('activeMembers counts who did something in the window, tierMix the membership now: a quiet member is in the mix only, a closed one in neither (edges-12)', async () => {
    // The demo's console showed 2 active members beside a tier mix of 3: Carol earned nothing and
    // sits on GREEN (threshold 0). The two are defined apart on purpose; a CLOSED customer,
    // though, was still counted on their tier for ever.
    t.clock.freeze();
    const currency = `MIX_${Date.now() % 100000}`;
    ok(await t.gql(`mutation { createCurrency(input: { code: "${currency}", name: "m", pointValue: "0.01", moneyCurrency: "EUR" }) { userErrors { code } } }`, {}, t.operatorToken));
    ok(await t.gql(SetActivityRuleDocument, { input: { kind: 'REVIEW', currency, points: 1 } as never }, t.operatorToken));
    const till = await createPartner(t, ['activities:write']);
    await createTier(t, { currency, code: `${currency}_IN`, rank: 800, threshold: 1 });
    await createTier(t, { currency, code: `${currency}_TOP`, rank: 801, threshold: 100 });
    const top = await createCustomer(t, currency, 150);
    const quiet = await createCustomer(t, currency, 20);
    const leaving = await createCustomer(t, currency, 30);
    t.clock.advance(40 * DAY);
    // An action of the member's own (a staff adjustment would not count: edges-12b).
    ok(await t.gql(RecordActivityDocument, { customerExternalId: top.externalId, kind: 'REVIEW', reference: unique('review') }, till.credential));
    const read = async () => {
      const now = t.clock.now().getTime();
      const s = ok(await t.gql(ProgramStatsDocument, { currency, from: new Date(now - 30 * DAY).toISOString(), to: new Date(now + 1).toISOString() }, t.analystToken)).programStats!;
      return { active: s.activeMembers, mix: s.tierMix.map((m) => [m.tier?.code, m.members]) };
    };
    expect(await read()).toEqual({ active: 1, mix: [[`${currency}_IN`, 2], [`${currency}_TOP`, 1]] });
    ok(await t.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code } } }`, { input: { externalId: leaving.externalId, status: 'CLOSED' } }, t.operatorToken));
    expect(await read()).toEqual({ active: 1, mix: [[`${currency}_IN`, 1], [`${currency}_TOP`, 1]] });
    expect(quiet.externalId).toBeTruthy();
    t.clock.reset();
  });

  it("activeMembers counts members' own actions, not what the program or staff did to their points (edges-12b)", async () => {
    t.clock.freeze();
    const T0 = t.clock.now().getTime();
    const { money, currency } = await earningProgram(t, 'AM', { expiryDays: 10, pendingDays: 2 });
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 10 });
    ok(await t.gql(SetActivityRuleDocument, { input: { kind: 'REVIEW', currency, points: 5 } as never }, t.operatorToken));
    const till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem', 'activities:write']);
    const buy = async (c: { token: string }) => ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, c.token));
    // At T0, before the window: points that will expire at T0+10d (a staff credit), a sale whose
    // points wait until T0+2d, an offer bought to be redeemed later.
    const expiring = await createCustomer(t, currency, 50);
    const released = await createCustomer(t, currency);
    await processedSale(t, till, released.externalId, money, 3);
    const redeemer = await createCustomer(t, currency, 20);
    await buy(redeemer);
    const [{ code }] = await t.sql<{ code: string }>(`select io.code from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1`, [redeemer.externalId]);
    const buyer = await createCustomer(t, currency, 20);
    const seller = await createCustomer(t, currency);
    const doer = await createCustomer(t, currency);
    const adjusted = await createCustomer(t, currency);
    // At T0+5d, in the window: each of these does one thing; the last is only adjusted by staff.
    t.clock.advance(5 * DAY);
    await buy(buyer);
    await processedSale(t, till, seller.externalId, money, 2);
    ok(await t.gql(RecordActivityDocument, { customerExternalId: doer.externalId, kind: 'REVIEW', reference: unique('review') }, till.credential));
    ok(await t.gql(RedeemOfferDocument, { code, lockId: null, transactionExternalId: unique('use') }, till.credential));
    await adjust(t, adjusted.externalId, currency, 5);
    t.clock.advance(15 * DAY); // T0+20d: the release (T0+2d) and the expiry (T0+10d) fell due; no job wrote them down
    const active = async (fromDays: number) =>
      ok(await t.gql(ProgramStatsDocument, { currency, from: new Date(T0 + fromDays * DAY).toISOString(), to: t.clock.now().toISOString() }, t.analystToken)).programStats!
        .activeMembers;
    // buyer, seller, doer, redeemer; not expiring (expired), released (released), adjusted (staff)
    expect(await active(1)).toBe(4);
    // From T0+8d only the expiry falls in the window: nobody did anything
    expect(await active(8)).toBe(0);
    expect([expiring, released].map((c) => !!c.externalId)).toEqual([true, true]);
    t.clock.reset();
  });

  it('is for staff only, and refuses an empty or reversed window', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const vars = { currency: shop.currency, from: new Date(Date.now() - DAY).toISOString(), to: new Date().toISOString() };
    expect((await t.gql(ProgramStatsDocument, vars, customer.token)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(ok(await t.gql(ProgramStatsDocument, vars, t.operatorToken)).programStats).toMatchObject({ pointsIssued: 0, activeMembers: 0 });
    const reversed = await t.gql(ProgramStatsDocument, { ...vars, from: vars.to, to: vars.from }, t.analystToken);
    expect(reversed.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    // a code no currency has is refused as in every currency argument, not answered null (edges-11)
    const unknown = await t.gql(ProgramStatsDocument, { ...vars, currency: 'NOPE' }, t.analystToken);
    expect(unknown.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field, message: e.message }))).toEqual([{ code: 'BAD_USER_INPUT', field: ['currency'], message: 'No currency NOPE.' }]);
  });
});
