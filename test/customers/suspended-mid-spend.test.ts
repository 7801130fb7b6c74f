import { ClaimGiftDocument, CreateGiftListDocument, LockOfferDocument, PurchaseOfferDocument, RedeemOfferDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type GqlResult, type TestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';
import { createCustomer, createOffer, createPartner, simpleShop, unique } from '../support/program.js';

/**
 * A customer suspended by staff while one of their spends is in flight (hostile pass 10). Hostile
 * pass 8 made awards wait for a status change; the spends had the same race: a purchase or a gift
 * claim read the customer ACTIVE when the request was authenticated, waited for the account (held
 * by another writer), and went on to spend the suspended account's points after the suspension had
 * answered; a till's lock or redemption read the customer ACTIVE before waiting for the offer's row
 * (another basket at work on it) and used a suspended customer's offer. Now the suspension either waits for the spend in flight (which then happened before
 * it), or the spend reads SUSPENDED and is refused NOT_ELIGIBLE with nothing written.
 */
describe('a spend and a suspension of its customer at once', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  const HOLD_ACCOUNT = `select a.id from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 for update of a`;
  /** A till at work on the customer's offers (another basket locking one): their rows held. */
  const HOLD_OFFERS = `select io.id from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1 for update of io`;

  /**
   * Holds the customer's account (or the rows `hold` locks), starts `spend`, suspends the customer while the spend waits,
   * then lets it go on. Returns the spend's answer, whether the suspension had answered before the
   * spend was let go, and the account's balance afterwards.
   */
  async function suspendDuring<T>(externalId: string, spend: () => Promise<GqlResult<T>>, hold = HOLD_ACCOUNT) {
    const held = await holdLocks(t, hold, [externalId]);
    try {
      const spending = spend();
      await held.blocking(1);
      let suspended = false;
      const suspending = t.gql(UpsertCustomerDocument, { input: { externalId, status: 'SUSPENDED' } }, t.operatorToken).then((res) => {
        suspended = true;
        return res;
      });
      // Either the suspension is done, or it waits for a lock the spend holds: whichever comes first.
      const waiting = async () => Number((await t.sql<{ n: string }>(`select count(*) as n from pg_locks where not granted`))[0].n) > 1;
      for (let i = 0; i < 500 && !suspended && !(await waiting()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const suspendedWhileTheSpendWaited = suspended;
      await held.commit();
      const answer = await spending;
      ok(await suspending);
      const [account] = await t.sql<{ available: number }>(`select a.available from point_account a join customer c on c.id = a.customer_id where c.external_id = $1`, [externalId]);
      return { answer, suspendedWhileTheSpendWaited, available: Number(account.available) };
    } finally {
      await held.end().catch(() => undefined);
    }
  }

  /** What a spend that lost the race must show: a suspension that answered first, NOT_ELIGIBLE, no points spent. */
  function expectRefusedAfterTheSuspension(r: { suspendedWhileTheSpendWaited: boolean; available: number }, codes: (string | undefined)[], before: number) {
    if (r.suspendedWhileTheSpendWaited) {
      expect({ codes, available: r.available }).toEqual({ codes: ['NOT_ELIGIBLE'], available: before });
    } else {
      // The suspension waited for the spend: it happened before the account was suspended.
      expect(codes).toEqual([]);
    }
  }

  it('a purchase waiting for its account when the customer is suspended is refused NOT_ELIGIBLE and spends nothing', async () => {
    const shop = await simpleShop(t, { priceInPoints: 100, stock: 5 });
    const customer = await createCustomer(t, shop.currency, 500);
    const r = await suspendDuring(customer.externalId, () => t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, customer.token));
    expectRefusedAfterTheSuspension(r, r.answer.data?.purchaseOffer.userErrors.map((e) => e.code) ?? [], 500);
    if (r.suspendedWhileTheSpendWaited) {
      expect((await t.sql(`select 1 from offer_purchase p join customer c on c.id = p.customer_id where c.external_id = $1`, [customer.externalId])).length).toBe(0);
    }
  });

  it('a gift claim waiting for its account when the customer is suspended is refused NOT_ELIGIBLE and spends nothing', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 500);
    const offerIds = [(await createOffer(t)).id];
    const list = ok(await t.gql(CreateGiftListDocument, { input: { currency: shop.currency, name: unique('list'), offerIds, threshold: 100 } }, t.operatorToken)).createGiftList
      .giftList!;
    const r = await suspendDuring(customer.externalId, () =>
      t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: offerIds[0], idempotencyKey: unique('claim') }, customer.token),
    );
    expectRefusedAfterTheSuspension(r, r.answer.data?.claimGift.userErrors.map((e) => e.code) ?? [], 500);
    if (r.suspendedWhileTheSpendWaited) {
      expect((await t.sql(`select 1 from gift_claim g join customer c on c.id = g.customer_id where c.external_id = $1`, [customer.externalId])).length).toBe(0);
    }
  });

  it.each(['lockOffer', 'redeemOffer'])('a till\'s %s waiting for the offer when its customer is suspended is refused OFFER_NOT_REDEEMABLE and changes nothing', async (operation) => {
    const shop = await simpleShop(t, { priceInPoints: 100 });
    const customer = await createCustomer(t, shop.currency, 500);
    const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!;
    const code = bought.issuedOffer.code;
    const till = await createPartner(t, ['offers:redeem']);
    const r = await suspendDuring(
      customer.externalId,
      (): Promise<GqlResult<unknown>> =>
        operation === 'lockOffer'
          ? t.gql(LockOfferDocument, { code, lockId: unique('basket') }, till.credential)
          : t.gql(RedeemOfferDocument, { code, transactionExternalId: unique('sale') }, till.credential),
      HOLD_OFFERS,
    );
    const payload = (r.answer.data as Record<string, { userErrors: { code: string }[] }>)[operation];
    const [offer] = await t.sql<{ status: string }>(`select status from issued_offer where code = $1`, [code]);
    if (r.suspendedWhileTheSpendWaited) {
      expect({ codes: payload.userErrors.map((e) => e.code), status: offer.status }).toEqual({ codes: ['OFFER_NOT_REDEEMABLE'], status: 'ISSUED' });
    } else {
      expect(payload.userErrors).toEqual([]);
    }
  });
});
