import { CreateCampaignDocument, CreateOfferDocument, LockOfferDocument, PurchaseOfferDocument, RedeemOfferDocument, ReleaseOfferDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { toGlobalId } from '../../src/graphql/ids.js';
import { dataOf, ok, type TestGateway } from '../support/gateway.js';
import { addListing, boughtOffer as buyShopOffer, createCustomer, createStore, createOffer, createPartner, earningProgram, type simpleShop, submitSale, unique } from '../support/program.js';
import { anotherBasketHolds, ranOutAndHeld, SALE_WITH_NOTICE, tillAtItsClock, type SaleWithNotice } from '../support/till.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * The till at the edges of time (till-23), through HTTP with partner keys on the embedded database:
 * - a sale's offers are judged at the sale's own moment (its occurredAt, no later than its arrival),
 *   not at the request's clock: presented before its end and reported late, an offer is redeemed,
 *   whether or not the sweep already wrote it EXPIRED; presented after its end, it is refused;
 * - a sale naming a lockId that held none of its codes says so in its payload's `notice`, as
 *   RedeemOffer does, and its repeat answers the same;
 * - a lock that ran out is told as such, with when, to its basket's later release or redemption,
 *   before and after the sweep cleared it.
 */
describe('the till at the edges of time (till-23)', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let till: { apiKey: string };

  const started = tillAtItsClock();
  beforeAll(() => ({ t, shop, till } = started));

  const boughtOffer = () => buyShopOffer(t, shop);
  /** Runs the due scheduled jobs (the wallet sweep among them) and what they enqueue. */
  const sweep = () => t.runScheduled();
  const storedStatus = async (dbId: number) => (await t.sql<{ status: string }>(`select status from issued_offer where id = $1`, [dbId]))[0].status;

  const saleInput = (customerExternalId: string, occurredAt: Date, offerCodes: string[], lockId?: string, externalId = unique('sale')) => ({
    externalId,
    customerExternalId,
    occurredAt: occurredAt.toISOString(),
    currency: 'EUR',
    lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.80' }, { sku: 'MUFFIN', quantity: 1, unitPrice: '2.50' }],
    offerCodes,
    ...(lockId ? { lockId } : {}),
  });
  const saleNoticed = async (input: ReturnType<typeof saleInput>) => {
    const res = await t.gql<SaleWithNotice, Record<string, unknown>>(SALE_WITH_NOTICE, { input }, { apiKey: till.apiKey });
    expect(res.errors).toBeUndefined();
    return res.data!.submitTransaction;
  };
  /** The contract's SubmitTransaction with the offers applied selected (no `notice`): what the sale's offers' dates are tried with. */
  const SaleApplied = `mutation SubmitTransactionApplied($input: SubmitTransactionInput!) {
    submitTransaction(input: $input) {
      transaction { externalId status offersApplied { code status } }
      userErrors { code field message }
    }
  }`;
  type Applied = { submitTransaction: Omit<SaleWithNotice['submitTransaction'], 'notice'> };
  const sale = async (input: ReturnType<typeof saleInput>) => {
    const res = await t.gql<Applied, Record<string, unknown>>(SaleApplied, { input }, { apiKey: till.apiKey });
    expect(res.errors).toBeUndefined();
    return res.data!.submitTransaction;
  };

  const RedeemWithNotice = `mutation RedeemOfferNoticed($code: String!, $lockId: String) {
    redeemOffer(input: { code: $code, lockId: $lockId }) { issuedOffer { code status } notice userErrors { code field message } }
  }`;
  type Redeemed = { redeemOffer: { issuedOffer: { code: string; status: string } | null; notice: string | null; userErrors: { code: string; field: string[]; message: string }[] } };
  const redeemNoticed = async (code: string, lockId: string) => {
    const res = await t.gql<Redeemed, Record<string, unknown>>(RedeemWithNotice, { code, lockId }, { apiKey: till.apiKey });
    expect(res.errors).toBeUndefined();
    return res.data!.redeemOffer;
  };
  /** An earning program whose campaign awards every sale a free-muffin offer (valid 30 days): its money and point currency. */
  const muffinCampaign = async (prefix: string) => {
    const program = await earningProgram(t, prefix);
    const muffin = await createOffer(t);
    const window = { startsAt: new Date(t.clock.now().getTime() - HOUR).toISOString(), endsAt: new Date(t.clock.now().getTime() + 90 * 24 * HOUR).toISOString() };
    ok(await t.gql(CreateCampaignDocument, { input: { name: unique('muffin'), currency: program.currency, ...window, conditions: {}, outcome: { offerId: muffin.id } } as never }, t.operatorToken));
    return program;
  };
  const lock = async (code: string, lockId: string, ttlSeconds: number) =>
    ok(await t.gql(LockOfferDocument, { code, lockId, ttlSeconds }, { apiKey: till.apiKey })).lockOffer.issuedOffer!;
  const release = async (code: string, lockId: string) => dataOf(await t.gql(ReleaseOfferDocument, { code, lockId }, { apiKey: till.apiKey })).releaseOffer;

  describe("a sale's offers are judged at the sale's moment", () => {
    it('an offer presented before its end and reported after it is redeemed, before and after the sweep wrote it EXPIRED', async () => {
      for (const swept of [false, true]) {
        const offer = await boughtOffer();
        const end = new Date(offer.expiresAt!).getTime();
        t.clock.moveTo(end + 2 * HOUR);
        if (swept) {
          await sweep();
          expect(await storedStatus(offer.dbId)).toBe('EXPIRED');
        }
        // Rung up an hour before the end, sent two hours after it (the till was offline).
        const answer = await sale(saleInput(offer.customer.externalId, new Date(end - HOUR), [offer.code]));
        expect({ swept, answer }).toEqual({
          swept,
          answer: { transaction: { externalId: expect.any(String), status: 'RECEIVED', offersApplied: [{ code: offer.code, status: 'REDEEMED' }] }, userErrors: [] },
        });
        await t.runScheduled();
        expect(await storedStatus(offer.dbId)).toBe('REDEEMED');
      }
    });

    it('an offer presented after its end is refused, however soon the sale arrives; RedeemOffer (no date of its own) judges at its clock', async () => {
      const offer = await boughtOffer();
      const end = new Date(offer.expiresAt!).getTime();
      t.clock.moveTo(end + MINUTE);
      const late = await sale(saleInput(offer.customer.externalId, new Date(end), [offer.code]));
      expect(late).toEqual({ transaction: null, userErrors: [{ code: 'OFFER_NOT_REDEEMABLE', field: ['input', 'offerCodes', '0'], message: "This offer code cannot be redeemed: it is unknown, used, expired or voided, or not the customer's to use. Check it was typed as the member's wallet shows it." }] });
      expect((await redeemNoticed(offer.code, 'b')).userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
      // A till whose clock runs ahead does not move the sale past the end: it happened by its arrival.
      const ahead = await boughtOffer();
      const aheadEnd = new Date(ahead.expiresAt!).getTime();
      t.clock.moveTo(aheadEnd - MINUTE);
      const early = await sale(saleInput(ahead.customer.externalId, new Date(aheadEnd + HOUR), [ahead.code]));
      expect(early.userErrors).toEqual([]);
      expect(early.transaction!.offersApplied).toEqual([{ code: ahead.code, status: 'REDEEMED' }]);
    });

    it('a sale dated before the offer was issued is judged at its arrival: a backdated sale does not revive an offer past its end (break-23)', async () => {
      // An offer valid one day, shorter than SALE_MAX_AGE_DAYS, so a sale dated before its issue can still arrive after its end.
      const day = ok(await t.gql(CreateOfferDocument, { input: { name: unique('Day muffin'), benefit: { kind: 'FREE_ITEM', freeSku: 'MUFFIN', categories: ['COFFEE'] }, validDays: 1 } }, t.operatorToken)).createOffer.offer!;
      const listing = await addListing(t, (await createStore(t, shop.currency)).id, day.id, { priceInPoints: 10 });
      const customer = await createCustomer(t, shop.currency, 1000);
      const issuedAt = t.clock.now().getTime();
      const offer = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!.issuedOffer;
      const end = new Date(offer.expiresAt!).getTime();
      t.clock.moveTo(end + HOUR);
      // Dated an hour before the member had the offer: it was not in the wallet then, and it has ended by the sale's arrival.
      const backdated = await sale(saleInput(customer.externalId, new Date(issuedAt - HOUR), [offer.code]));
      expect(backdated.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
      // Dated after its issue and before its end, the same offer is still redeemed late.
      const inTime = await sale(saleInput(customer.externalId, new Date(end - HOUR), [offer.code]));
      expect(inTime.userErrors).toEqual([]);
      expect(inTime.transaction!.offersApplied).toEqual([{ code: offer.code, status: 'REDEEMED' }]);
    });

    it('an expired offer staff replaced is not redeemed by a late sale: the customer has it again', async () => {
      const offer = await boughtOffer();
      const end = new Date(offer.expiresAt!).getTime();
      t.clock.moveTo(end + HOUR);
      ok(
        await t.gql(
          `mutation($input: IssueReplacementOfferInput!) { issueReplacementOffer(input: $input) { issuedOffer { code } userErrors { code } } }`,
          { input: { issuedOfferId: toGlobalId('IssuedOffer', offer.dbId), reason: 'expired before use', idempotencyKey: unique('repl') } },
          t.operatorToken,
        ),
      );
      const answer = await sale(saleInput(offer.customer.externalId, new Date(end - HOUR), [offer.code]));
      expect(answer.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
      expect(await storedStatus(offer.dbId)).not.toBe('REDEEMED');
    });

    it("an offer a returned sale took back past its end (written EXPIRED by the return) is not redeemed by a late sale dated before the end", async () => {
      const { money, currency } = await muffinCampaign('R23');
      const customer = await createCustomer(t, currency);
      const first = await submitSale(t, { credential: { apiKey: till.apiKey } }, customer.externalId, money, 5);
      await t.jobs.runner.runUntilIdle();
      const [awarded] = await t.sql<{ id: number; code: string; expires_at: Date }>(
        `select io.id, io.code, io.expires_at from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1`,
        [customer.externalId],
      );
      const end = new Date(awarded.expires_at).getTime();
      t.clock.moveTo(end + HOUR);
      const returned = await t.gql<{ reverseTransaction: { userErrors: unknown[] } }, unknown>(
        `mutation($externalId: String!) { reverseTransaction(input: { externalId: $externalId, reason: "returned" }) { userErrors { code } } }`,
        { externalId: first },
        { apiKey: till.apiKey },
      );
      expect(ok(returned).reverseTransaction.userErrors).toEqual([]);
      expect(await storedStatus(awarded.id)).toBe('EXPIRED');
      const late = await sale({ ...saleInput(customer.externalId, new Date(end - HOUR), [awarded.code]), currency: money });
      expect(late.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
      expect(await storedStatus(awarded.id)).toBe('EXPIRED');
    });

    it('a late sale and the return of the sale that awarded its offer, sent at once, many times: the offer is kept by the return or refused to the sale, never both lost', async () => {
      const { money, currency } = await muffinCampaign('Q23');
      const rounds = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const customer = await createCustomer(t, currency);
          const first = await submitSale(t, { credential: { apiKey: till.apiKey } }, customer.externalId, money, 5);
          return { customer, first };
        }),
      );
      await t.jobs.runner.runUntilIdle();
      const awarded = await Promise.all(
        rounds.map(async ({ customer }) => {
          const [row] = await t.sql<{ id: number; code: string; expires_at: Date }>(
            `select io.id, io.code, io.expires_at from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1`,
            [customer.externalId],
          );
          return row;
        }),
      );
      const end = Math.max(...awarded.map((a) => new Date(a.expires_at).getTime()));
      t.clock.moveTo(end + HOUR);
      const outcomes = await Promise.all(
        rounds.map(async ({ customer, first }, i) => {
          const [returned, late] = await Promise.all([
            t.gql<{ reverseTransaction: { offersKept: { code: string }[] | null; userErrors: unknown[] } }, unknown>(
              `mutation($externalId: String!) { reverseTransaction(input: { externalId: $externalId, reason: "returned" }) { offersKept { code } userErrors { code } } }`,
              { externalId: first },
              { apiKey: till.apiKey },
            ),
            sale({ ...saleInput(customer.externalId, new Date(new Date(awarded[i].expires_at).getTime() - HOUR), [awarded[i].code]), currency: money }),
          ]);
          const kept = ok(returned).reverseTransaction;
          expect(kept.userErrors).toEqual([]);
          return { kept: (kept.offersKept ?? []).map((o) => o.code), sold: late.userErrors.length === 0, stored: await storedStatus(awarded[i].id), code: awarded[i].code };
        }),
      );
      for (const o of outcomes) {
        // Sale first: redeemed, and the return keeps it. Return first: taken back (EXPIRED), the sale refused.
        expect([
          { kept: [o.code], sold: true, stored: 'REDEEMED', code: o.code },
          { kept: [], sold: false, stored: 'EXPIRED', code: o.code },
        ]).toContainEqual(o);
      }
    });
  });

  describe("a sale's lockId that held no lock", () => {
    it('is said in the payload, per code, as RedeemOffer says it; a repeat answers the same; the lock used says nothing', async () => {
      const unlocked = await boughtOffer();
      const input = saleInput(unlocked.customer.externalId, t.clock.now(), [unlocked.code.toLowerCase()], 'basket-23');
      const first = await saleNoticed(input);
      const notice = `Offer code ${JSON.stringify(unlocked.code.toLowerCase())}: No basket held a lock on this code, so lockId "basket-23" was not used: an unlocked code is redeemed at once, whatever lockId is sent.`;
      expect(first).toEqual({
        transaction: { externalId: input.externalId, status: 'RECEIVED', offersApplied: [{ code: unlocked.code, status: 'REDEEMED' }] },
        notice,
        userErrors: [],
      });
      const again = await saleNoticed(input);
      expect(again).toEqual(first);

      // The contract's SubmitTransaction, which does not select it, runs as before.
      const plain = await boughtOffer();
      const contract = ok(await t.gql(SubmitTransactionDocument, { input: saleInput(plain.customer.externalId, t.clock.now(), [plain.code], 'basket-23') }, { apiKey: till.apiKey }));
      expect(contract.submitTransaction.userErrors).toEqual([]);

      const held = await boughtOffer();
      await lock(held.code, 'basket-24', 60);
      expect((await saleNoticed(saleInput(held.customer.externalId, t.clock.now(), [held.code], 'basket-24'))).notice).toBeNull();
    });
  });

  describe('a lock that ran out', () => {
    it("is told to its basket's later release as run out, with when, before and after the sweep cleared it", async () => {
      for (const swept of [false, true]) {
        const offer = await boughtOffer();
        const locked = await lock(offer.code, 'basket-r', 10);
        t.clock.advance(30 * SECOND);
        if (swept) {
          await sweep();
          expect(await storedStatus(offer.dbId)).toBe('ISSUED');
        }
        expect({ swept, answer: await release(offer.code, 'basket-r') }).toEqual({
          swept,
          answer: {
            issuedOffer: null,
            userErrors: [
              {
                code: 'LOCK_NOT_HELD',
                field: ['input', 'lockId'],
                message: `The lock of basket "basket-r" on this offer code ran out at ${new Date(locked.lockExpiresAt!).toISOString()}. There is no lock left to release.`,
              },
            ],
          },
        });
        // Another basket of the same till is not told of it.
        expect((await release(offer.code, 'basket-s')).userErrors.map((e) => e.message)).toEqual(['This basket holds no lock on this offer.']);
      }
    });

    it('is told to its basket as run out, with when, after the sweep, when redeemed with its lockId', async () => {
      const offer = await boughtOffer();
      const locked = await lock(offer.code, 'basket-q', 10);
      t.clock.advance(30 * SECOND);
      await sweep();
      expect(await redeemNoticed(offer.code, 'basket-q')).toEqual({
        issuedOffer: { code: offer.code, status: 'REDEEMED' },
        notice: `The lock of basket "basket-q" on this offer code ran out at ${new Date(locked.lockExpiresAt!).toISOString()}. No other basket had taken the code, so it was redeemed as an unlocked code is.`,
        userErrors: [],
      });
    });

    it("taken over by another basket is still told to its own basket's release, redemption and lock; not to another partner", async () => {
      const offer = await boughtOffer();
      const locked = await lock(offer.code, 'basket-a', 10);
      t.clock.advance(30 * SECOND);
      const taken = await lock(offer.code, 'basket-b', 60);
      const ranOut = `The lock of basket "basket-a" on this offer code ran out at ${new Date(locked.lockExpiresAt!).toISOString()}.`;
      expect((await release(offer.code, 'basket-a')).userErrors.map((e) => e.message)).toEqual([`${ranOut} There is no lock left to release.`]);
      const held = { code: 'LOCK_HELD', field: ['input', 'lockId'], message: ranOutAndHeld('basket-a', locked.lockExpiresAt!, taken.lockExpiresAt!) };
      expect(await redeemNoticed(offer.code, 'basket-a')).toEqual({ issuedOffer: null, notice: null, userErrors: [held] });
      expect(dataOf(await t.gql(LockOfferDocument, { code: offer.code, lockId: 'basket-a' }, { apiKey: till.apiKey })).lockOffer.userErrors).toEqual([held]);
      const stranger = await createPartner(t, ['offers:redeem']);
      expect(dataOf(await t.gql(RedeemOfferDocument, { code: offer.code, lockId: 'basket-a' }, stranger.credential)).redeemOffer.userErrors).toEqual([
        { code: 'LOCK_HELD', field: ['input', 'lockId'], message: anotherBasketHolds(taken.lockExpiresAt!) },
      ]);
      expect((await release(offer.code, 'basket-b')).userErrors).toEqual([]);
    });
  });

  it('redemption of the plain kind is unchanged: RedeemOffer by the contract', async () => {
    const offer = await boughtOffer();
    expect(ok(await t.gql(RedeemOfferDocument, { code: offer.code }, { apiKey: till.apiKey })).redeemOffer.issuedOffer!.status).toBe('REDEEMED');
  });
});
