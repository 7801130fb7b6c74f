import { toGlobalId } from '../../src/graphql/ids.js';
import { boughtOffer as buyShopOffer, unique } from '../support/program.js';
import { SALE_WITH_NOTICE, tillAtItsClock, type SaleWithNotice } from '../support/till.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const REPLACE = `mutation($input: IssueReplacementOfferInput!) { issueReplacementOffer(input: $input) { issuedOffer { code } userErrors { code message } } }`;
type Replaced = { issueReplacementOffer: { issuedOffer: { code: string } | null; userErrors: { code: string; message: string }[] } };

/**
 * break-23: till-23's late sales (an offer judged at the sale's moment) under real parallel
 * requests on the embedded database, the clock moved past the offers' ends: two late sales of one
 * offer at once, a late sale racing the wallet sweep, a late sale racing a staff replacement, and
 * one sale with an unused lockId sent several times at once. What a till and staff read, and the
 * ledger's invariants (SPEC §5) after each.
 */
describe("late sales racing each other, the sweep and staff (break-23)", () => {
  const at = tillAtItsClock();

  const boughtOffer = () => buyShopOffer(at.t, at.shop);
  const offers = async (n: number) => {
    const bought = [];
    for (let i = 0; i < n; i++) bought.push(await boughtOffer());
    return bought;
  };
  const moveTo = (when: number) => at.t.clock.advance(when - at.t.clock.now().getTime());
  const endOf = (offer: { expiresAt?: string | null }) => new Date(offer.expiresAt!).getTime();
  const stored = async (dbId: number) =>
    (
      await at.t.sql<{ status: string; used: number }>(
        `select issued_offer_status_at(status, lock_expires_at, expires_at, $2) as status, (select count(*)::int from transaction_offer where issued_offer_id = $1) as used from issued_offer where id = $1`,
        [dbId, at.t.clock.now()],
      )
    )[0];
  const sale = async (customerExternalId: string, occurredAt: number, codes: string[], extra: { lockId?: string; externalId?: string } = {}) => {
    const input = {
      externalId: extra.externalId ?? unique('late'),
      customerExternalId,
      occurredAt: new Date(occurredAt).toISOString(),
      currency: 'EUR',
      lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.80' }, { sku: 'MUFFIN', quantity: 1, unitPrice: '2.50' }],
      offerCodes: codes,
      ...(extra.lockId ? { lockId: extra.lockId } : {}),
    };
    const res = await at.t.gql<SaleWithNotice, Record<string, unknown>>(SALE_WITH_NOTICE, { input }, { apiKey: at.till.apiKey });
    expect(res.errors).toBeUndefined();
    return res.data!.submitTransaction;
  };

  it('one offer in two late sales at once, before and after the sweep: one sale redeems it, the other is refused, one use stored', async () => {
    for (const swept of [false, true]) {
      const bought = await offers(4);
      moveTo(Math.max(...bought.map(endOf)) + HOUR);
      if (swept) await at.t.runScheduled();
      const outcomes = await Promise.all(
        bought.map(async (o) => {
          const both = await Promise.all([0, 1].map(() => sale(o.customer.externalId, endOf(o) - MINUTE, [o.code])));
          return {
            swept,
            redeemed: both.filter((s) => s.transaction?.offersApplied[0]?.status === 'REDEEMED').length,
            refused: both.flatMap((s) => s.userErrors.map((e) => e.code)),
            stored: await stored(o.dbId),
          };
        }),
      );
      expect(outcomes).toEqual(bought.map(() => ({ swept, redeemed: 1, refused: ['OFFER_NOT_REDEEMABLE'], stored: { status: 'REDEEMED', used: 1 } })));
    }
  });

  it('a late sale racing the wallet sweep is redeemed every time', async () => {
    const bought = await offers(6);
    moveTo(Math.max(...bought.map(endOf)) + HOUR);
    const [sales] = await Promise.all([Promise.all(bought.map((o) => sale(o.customer.externalId, endOf(o) - MINUTE, [o.code]))), at.t.runScheduled()]);
    expect(sales.map((s) => s.userErrors)).toEqual(bought.map(() => []));
    expect(await Promise.all(bought.map((o) => stored(o.dbId)))).toEqual(bought.map(() => ({ status: 'REDEEMED', used: 1 })));
  });

  it('a late sale racing a staff replacement of the expired offer: the replacement wins and the sale is refused, or the sale wins, the offer is redeemed and the replacement refused (till-24)', async () => {
    const bought = await offers(6);
    moveTo(Math.max(...bought.map(endOf)) + HOUR);
    const outcomes = await Promise.all(
      bought.map(async (o) => {
        const [sold, replaced] = await Promise.all([
          sale(o.customer.externalId, endOf(o) - MINUTE, [o.code]),
          at.t.gql<Replaced, unknown>(REPLACE, { input: { issuedOfferId: toGlobalId('IssuedOffer', o.dbId), reason: 'expired unused', idempotencyKey: unique('repl') } }, at.t.operatorToken),
        ]);
        return { sold: sold.userErrors.length === 0, replaced: replaced.data!.issueReplacementOffer.issuedOffer !== null, stored: (await stored(o.dbId)).status };
      }),
    );
    for (const o of outcomes) expect([{ sold: false, replaced: true, stored: 'EXPIRED' }, { sold: true, replaced: false, stored: 'REDEEMED' }]).toContainEqual(o);
  });

  it('a sale naming an unused lockId, sent five times at once with one externalId: one sale, every answer with the same notice', async () => {
    const o = await boughtOffer();
    moveTo(endOf(o) + HOUR);
    const externalId = unique('dup');
    const answers = await Promise.all(Array.from({ length: 5 }, () => sale(o.customer.externalId, endOf(o) - MINUTE, [o.code], { lockId: 'basket-dup', externalId })));
    const notice = `Offer code ${JSON.stringify(o.code)}: No basket held a lock on this code, so lockId "basket-dup" was not used: an unlocked code is redeemed at once, whatever lockId is sent.`;
    expect(answers).toEqual(
      answers.map(() => ({ transaction: { externalId, status: 'RECEIVED', offersApplied: [{ code: o.code, status: 'REDEEMED' }] }, notice, userErrors: [] })),
    );
    expect(await at.t.sql(`select count(*)::int as n, min(lock_notice) as notice from sales_transaction where external_id = $1`, [externalId])).toEqual([{ n: 1, notice }]);
  });
});
