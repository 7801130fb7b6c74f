import { AdjustPointsDocument, PurchaseOfferDocument, ReverseTransactionDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCustomer, createOffer, createPartner, createStore, createTier, earningProgram, processedSale, storedAndCurrentTier, tierMoves, unique } from '../support/program.js';

/**
 * A staff adjustment that takes qualifying points away and moves the customer down a tier, sent at
 * the same moment as purchases in a store for the higher tier only and a sale that earns
 * (money-12, carried over): real parallel requests on a real PostgreSQL, then the invariants. No
 * balance below zero, no lost points, no purchase sold to a customer who was no longer eligible at
 * its place in the account's order, a stored tier that is the one the points say, and a stream of
 * tier moves that chains from nothing to that tier.
 */
describe('a negative qualifying adjustment raced with purchases and a sale', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('serialises on the account: the ledger, the tier and what was sold agree', async () => {
    const { money, currency } = await earningProgram(t, 'RACE', { expiryDays: null });
    await createTier(t, { currency, code: `${currency}_SILVER`, rank: 1, threshold: 500 });
    await createTier(t, { currency, code: `${currency}_GOLD`, rank: 2, threshold: 1000 });
    const goldStore = await createStore(t, currency, { eligibility: { tiers: [`${currency}_GOLD`] } });
    const listing = await addListing(t, goldStore.id, (await createOffer(t)).id, { priceInPoints: 300 });
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);

    const ROUNDS = 12;
    const outcomes = await Promise.all(
      Array.from({ length: ROUNDS }, async (_, round) => {
        const customer = await createCustomer(t, currency, 1200); // GOLD, 1200 available
        // the adjustment sent a little after the purchases in some rounds, with them in others; in
        // odd rounds it takes 1000, more than is left after both purchases
        const amount = round % 2 ? -1000 : -700;
        await new Promise((resolve) => setTimeout(resolve, 0));
        const adjust = new Promise((resolve) => setTimeout(resolve, round % 3 === 0 ? 0 : 5 * (round % 3))).then(() => t.gql(
          AdjustPointsDocument,
          { input: { customerExternalId: customer.externalId, currency, amount, qualifying: true, reason: 'chargeback', idempotencyKey: unique('adj') } },
          t.operatorToken,
        ));
        const buy = () => t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token);
        const sale = t.gql(
          SubmitTransactionDocument,
          {
            input: {
              externalId: unique('sale'),
              customerExternalId: customer.externalId,
              occurredAt: t.clock.now().toISOString(),
              currency: money,
              lines: [{ sku: 'BEANS', quantity: 1, unitPrice: '5.00' }],
            },
          },
          till.credential,
        );
        const [adjusted, first, second, sold] = await Promise.all([adjust, buy(), buy(), sale]);
        return {
          customer,
          adjusted: dataOf(adjusted).adjustPoints,
          bought: [dataOf(first).purchaseOffer, dataOf(second).purchaseOffer],
          sold: dataOf(sold).submitTransaction,
        };
      }),
    );
    // the sales' processing, by the background worker
    const processed = async () =>
      (await t.sql<{ n: number }>(`select count(*)::int as n from sales_transaction where status not in ('PROCESSED', 'FAILED')`))[0].n === 0;
    for (let i = 0; i < 200 && !(await processed()); i++) await new Promise((resolve) => setTimeout(resolve, 50));

    for (const o of outcomes) {
      expect(o.sold.userErrors).toEqual([]);
      const refusals = [...o.adjusted.userErrors, ...o.bought.flatMap((b) => b.userErrors)].map((e) => e.code);
      // only the refusals the rules give: not enough points, or no longer GOLD
      for (const code of refusals) expect(['INSUFFICIENT_POINTS', 'NOT_ELIGIBLE']).toContain(code);

      // The account's own order: entries by id. A purchase sold after the adjustment took the
      // customer below GOLD would be a sale to someone not eligible at its place in that order.
      const entries = await t.sql<{ kind: string; amount: number; source_type: string; balance_after: number }>(
        `select e.kind, e.amount::int as amount, e.source_type, e.balance_after::int as balance_after from ledger_entry e
           join point_account a on a.id = e.account_id join customer c on c.id = a.customer_id
          where c.external_id = $1 and a.currency_code = $2 order by e.id`,
        [o.customer.externalId, currency],
      );
      expect(entries.every((e) => e.balance_after >= 0)).toBe(true);
      // qualifying (lifetime) points along that order: credits and the qualifying adjustment count, spending does not
      let lifetime = 0;
      for (const e of entries) {
        if (e.kind === 'SPEND') expect({ lifetimeAtPurchase: lifetime, gold: lifetime >= 1000 }).toEqual({ lifetimeAtPurchase: lifetime, gold: true });
        else if (e.kind === 'EARN' || e.kind === 'ADJUST') lifetime += e.amount;
      }
      const spends = entries.filter((e) => e.kind === 'SPEND');
      expect(spends.length).toBe(o.bought.filter((b) => b.purchase).length);

      // the stored tier is the one the points say, and the stream of moves ends there
      const tier = await storedAndCurrentTier(t, o.customer.externalId);
      expect(tier.stored).toBe(tier.now);
      const moves = await tierMoves(t, o.customer.externalId);
      let at: string | null = null;
      for (const [from, to] of moves) {
        expect(from).toBe(at);
        at = to;
      }
      expect(at).toBe(tier.stored);
      const [placed] = await t.sql<{ ok: boolean }>(
        `select c.tier_placed_at <= $2 as ok from customer c where c.external_id = $1`,
        [o.customer.externalId, t.clock.now()],
      );
      expect(placed.ok).toBe(true);
    }
    expect(await ledgerViolations(t)).toEqual([]);
  });

  it('raced with the return of the sale that made the customer GOLD: no balance below zero, debt where points were spent, the tier the points say', async () => {
    const { money, currency } = await earningProgram(t, 'RET', { expiryDays: null });
    await createTier(t, { currency, code: `${currency}_GOLD`, rank: 3, threshold: 1000 }); // ranks are the whole ladder's
    const goldStore = await createStore(t, currency, { eligibility: { tiers: [`${currency}_GOLD`] } });
    const listing = await addListing(t, goldStore.id, (await createOffer(t)).id, { priceInPoints: 300 });
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);

    const outcomes = await Promise.all(
      Array.from({ length: 10 }, async (_, round) => {
        const customer = await createCustomer(t, currency, 500);
        // 60.00 at 10 points per unit: 600 points, lifetime 1100: GOLD
        const saleId = await processedSale(t, till, customer.externalId, money, 60);
        await new Promise((resolve) => setTimeout(resolve, round % 3));
        const [adjusted, returned, bought] = await Promise.all([
          t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: -400, qualifying: true, reason: 'goodwill reversed', idempotencyKey: unique('adj') } }, t.operatorToken),
          t.gql(ReverseTransactionDocument, { externalId: saleId, reason: 'returned' }, till.credential),
          t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token),
        ]);
        return { customer, adjusted: dataOf(adjusted).adjustPoints, returned: dataOf(returned).reverseTransaction, bought: dataOf(bought).purchaseOffer };
      }),
    );
    for (const o of outcomes) {
      expect(o.returned.userErrors).toEqual([]);
      for (const code of [...o.adjusted.userErrors, ...o.bought.userErrors].map((e) => e.code)) expect(['INSUFFICIENT_POINTS', 'NOT_ELIGIBLE']).toContain(code);
      const [account] = await t.sql<{ available: number; debt: number; lifetime: number }>(
        `select a.available::int as available, a.debt::int as debt, a.lifetime_earned::int as lifetime from point_account a join customer c on c.id = a.customer_id
          where c.external_id = $1 and a.currency_code = $2`,
        [o.customer.externalId, currency],
      );
      expect(account.available).toBeGreaterThanOrEqual(0);
      // every point is accounted for: what came in, less what went out, is what is left less what is owed
      const [flow] = await t.sql<{ net: number }>(
        `select coalesce(sum(e.amount), 0)::int as net from ledger_entry e join point_account a on a.id = e.account_id join customer c on c.id = a.customer_id
          where c.external_id = $1 and a.currency_code = $2`,
        [o.customer.externalId, currency],
      );
      expect(flow.net).toBe(account.available);
      const spent = o.bought.purchase ? 300 : 0;
      const adjusted = o.adjusted.entry ? 400 : 0;
      expect(account.available - account.debt).toBe(500 + 600 - 600 - spent - adjusted);
      const tier = await storedAndCurrentTier(t, o.customer.externalId);
      expect(tier.stored).toBe(tier.now);
      expect(tier.now).toBe(null); // 1100 − 600 returned (− 400): below GOLD either way
      let at: string | null = null;
      for (const [from, to] of await tierMoves(t, o.customer.externalId)) {
        expect(from).toBe(at);
        at = to;
      }
      expect(at).toBe(tier.stored);
    }
    expect(await ledgerViolations(t)).toEqual([]);
  });
});
