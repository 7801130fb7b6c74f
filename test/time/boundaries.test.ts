import { LockOfferDocument, PurchaseOfferDocument, SetEconomyRuleDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { enqueueJob } from '../../src/jobs/queue.js';
import { SCHEDULES } from '../../src/jobs/registry.js';
import { dataOf, gatewayPerBlock, ok, type TestGateway } from '../support/gateway.js';
import { addListing, createCurrency, createCustomer, createOffer, createPartner, createStore, createTier, nextMoneyCurrency, unique, uniqueCode } from '../support/program.js';

const SECOND = 1_000;
const DAY = 86_400_000;

/**
 * SPEC §4 "Time": each time boundary holds to the second it is due, neither a second early nor a
 * second late. Each test stops the clock, reads the exact instant the rule names, and checks one
 * second before it and at it (jobs run first, so a job that writes a boundary down is held to it
 * too). Moving any boundary by a day, or by a second (`<=` to `<`), fails one of these.
 */
describe('time boundaries, to the second', () => {
  let t: TestGateway;

  gatewayPerBlock((gateway) => (t = gateway));

  /**
   * Moves the stopped clock to `at` (ms), then runs every scheduled job once at that instant (not
   * only those whose slot came round), so what is checked is the rule's boundary, not the schedule.
   */
  async function goTo(at: number) {
    expect(at).toBeGreaterThanOrEqual(t.clock.now().getTime());
    t.clock.advance(at - t.clock.now().getTime());
    const now = t.clock.now();
    await t.orm.em.fork().transactional(async (em) => {
      for (const s of SCHEDULES) await enqueueJob(em, s.kind, { at: now.toISOString() }, { runAt: now });
    });
    await t.jobs.runner.runUntilIdle();
  }

  const code = () => uniqueCode('T');

  async function balance(token: string) {
    const data = ok(await t.gql(`{ me { tier { code } balances { available pending expiringSoon { amount expiresAt } } } }`, {}, token)) as {
      me: { tier: { code: string } | null; balances: { available: number; pending: number; expiringSoon: { amount: number; expiresAt: string }[] }[] };
    };
    return { tier: data.me.tier?.code ?? null, ...data.me.balances[0] };
  }

  it('points earned with a 30-day expiry are spendable until the second 30 days on, and gone at it', async () => {
    t.clock.freeze();
    const earnedAt = t.clock.now().getTime();
    const currency = code();
    await createCurrency(t, currency, 30);
    const customer = await createCustomer(t, currency, 100);
    const expiresAt = earnedAt + 30 * DAY;
    expect((await balance(customer.token)).expiringSoon).toEqual([{ amount: 100, expiresAt: new Date(expiresAt).toISOString() }]);

    await goTo(expiresAt - SECOND);
    expect(await balance(customer.token)).toMatchObject({ available: 100 });
    // A read at the second, before any job has run, already counts them gone (ledger_due).
    t.clock.advance(SECOND);
    expect(await balance(customer.token)).toMatchObject({ available: 0 });
    await goTo(expiresAt);
    expect(await balance(customer.token)).toMatchObject({ available: 0, expiringSoon: [] });
  });

  it('pending points become spendable at the second their pending days end', async () => {
    t.clock.freeze();
    const currency = code();
    const money = nextMoneyCurrency();
    ok(
      await t.gql(
        `mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { userErrors { code } } }`,
        { input: { code: currency, name: currency, pointValue: '0.01', moneyCurrency: money } },
        t.operatorToken,
      ),
    );
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency, pointsPerUnit: '10', pendingDays: 3 } }, t.operatorToken));
    const till = await createPartner(t, ['transactions:write']);
    const customer = await createCustomer(t, currency);
    const processedAt = t.clock.now().getTime();
    const input = { externalId: unique('sale'), customerExternalId: customer.externalId, occurredAt: new Date(processedAt).toISOString(), currency: money, lines: [{ sku: 'TEA', quantity: 1, unitPrice: '4.00' }] };
    ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
    await t.jobs.runner.runUntilIdle();
    expect(await balance(customer.token)).toMatchObject({ available: 0, pending: 40 });

    await goTo(processedAt + 3 * DAY - SECOND);
    expect(await balance(customer.token)).toMatchObject({ available: 0, pending: 40 });
    // A read at the second, before any job has run, already counts them released (ledger_due).
    t.clock.advance(SECOND);
    expect(await balance(customer.token)).toMatchObject({ available: 40, pending: 0 });
    await goTo(processedAt + 3 * DAY);
    expect(await balance(customer.token)).toMatchObject({ available: 40, pending: 0 });
  });

  it('a store is open from its startsAt to the second before its endsAt', async () => {
    t.clock.freeze();
    const now = t.clock.now().getTime();
    const currency = code();
    await createCurrency(t, currency);
    const startsAt = now + DAY;
    const endsAt = startsAt + DAY;
    const store = await createStore(t, currency, { startsAt: new Date(startsAt).toISOString(), endsAt: new Date(endsAt).toISOString() });
    const customer = await createCustomer(t, currency);
    const visible = async () => {
      const data = ok(await t.gql(`{ rewardStores(first: 50) { edges { node { id } } } }`, {}, customer.token)) as { rewardStores: { edges: { node: { id: string } }[] } };
      return data.rewardStores.edges.some((e) => e.node.id === store.id);
    };
    const timeline: [number, boolean][] = [];
    for (const at of [startsAt - SECOND, startsAt, endsAt - SECOND, endsAt]) {
      await goTo(at);
      timeline.push([at, await visible()]);
    }
    expect(timeline).toEqual([
      [startsAt - SECOND, false],
      [startsAt, true],
      [endsAt - SECOND, true],
      [endsAt, false],
    ]);
  });

  it('a listing is on sale from its visibleFrom to the second before its visibleUntil', async () => {
    t.clock.freeze();
    const now = t.clock.now().getTime();
    const currency = code();
    await createCurrency(t, currency);
    const store = await createStore(t, currency);
    const from = now + DAY;
    const until = from + DAY;
    const listing = await addListing(t, store.id, (await createOffer(t)).id, {
      priceInPoints: 1,
      visibleFrom: new Date(from).toISOString(),
      visibleUntil: new Date(until).toISOString(),
    });
    const customer = await createCustomer(t, currency, 100);
    const timeline: [number, string][] = [];
    for (const at of [from - SECOND, from, until - SECOND, until]) {
      await goTo(at);
      const res = dataOf(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer;
      timeline.push([at, res.userErrors[0]?.code ?? 'BOUGHT']);
    }
    expect(timeline).toEqual([
      [from - SECOND, 'OFFER_UNAVAILABLE'],
      [from, 'BOUGHT'],
      [until - SECOND, 'BOUGHT'],
      [until, 'OFFER_UNAVAILABLE'],
    ]);
  });

  it('a lock holds its offer to the second its ttl ends; then another basket can take it', async () => {
    t.clock.freeze();
    const currency = code();
    await createCurrency(t, currency);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 1 });
    const customer = await createCustomer(t, currency, 10);
    const issued = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!.issuedOffer;
    const till = await createPartner(t, ['offers:redeem']);
    const lockedAt = t.clock.now().getTime();
    ok(await t.gql(LockOfferDocument, { code: issued.code, lockId: 'first', ttlSeconds: 60 }, till.credential));
    await goTo(lockedAt + 60 * SECOND - SECOND);
    const held = dataOf(await t.gql(LockOfferDocument, { code: issued.code, lockId: 'second', ttlSeconds: 60 }, till.credential)).lockOffer;
    expect(held.userErrors.map((e) => e.code)).toEqual(['LOCK_HELD']);
    await goTo(lockedAt + 60 * SECOND);
    const taken = dataOf(await t.gql(LockOfferDocument, { code: issued.code, lockId: 'second', ttlSeconds: 60 }, till.credential)).lockOffer;
    expect(taken).toMatchObject({ userErrors: [], issuedOffer: { status: 'LOCKED' } });
  });

  it('an issued offer can be used until the second its validity ends (validDays after issue)', async () => {
    t.clock.freeze();
    const currency = code();
    await createCurrency(t, currency);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 1 }); // valid 30 days
    const customer = await createCustomer(t, currency, 10);
    const issuedAt = t.clock.now().getTime();
    const first = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!.issuedOffer;
    const second = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!.issuedOffer;
    const till = await createPartner(t, ['offers:redeem']);
    const lock = async (issuedCode: string) =>
      dataOf(await t.gql(LockOfferDocument, { code: issuedCode, lockId: unique('basket'), ttlSeconds: 10 }, till.credential)).lockOffer.userErrors.map((e) => e.code);
    await goTo(issuedAt + 30 * DAY - SECOND);
    expect(await lock(first.code)).toEqual([]);
    await goTo(issuedAt + 30 * DAY);
    expect(await lock(second.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
  });

  it('a rolling tier window counts points earned less than windowDays ago, not one second more', async () => {
    t.clock.freeze();
    const currency = code();
    await createCurrency(t, currency, null);
    await createTier(t, { currency, code: `${currency}_B`, rank: 1, threshold: 0 });
    await createTier(t, { currency, code: `${currency}_G`, rank: 2, threshold: 100, windowDays: 10 });
    const earnedAt = t.clock.now().getTime();
    const customer = await createCustomer(t, currency, 100);
    expect((await balance(customer.token)).tier).toBe(`${currency}_G`);
    await goTo(earnedAt + 10 * DAY - SECOND);
    expect((await balance(customer.token)).tier).toBe(`${currency}_G`);
    await goTo(earnedAt + 10 * DAY);
    expect((await balance(customer.token)).tier).toBe(`${currency}_B`);
  });
});
