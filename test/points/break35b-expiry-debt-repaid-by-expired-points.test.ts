import { ProfileDocument, PurchaseOfferDocument, ReverseTransactionDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { addListing, createCustomer, createOffer, createPartner, createStore, earningProgram, submitSale, unique } from '../support/program.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * break35b (expiry): a sale processed after its points' whole life credits them "expiring 1 ms
 * after the credit" (break35, 4a99e7e: `Posting.expiryFrom`, clamped in `write`), and
 * docs/decisions.md says "so the member has what a sale processed at once would have left them".
 * But the credit is still written at the job's `now` and `creditWithRepayment` repays the member's
 * debt *as of the job* from it: points whose life (sale + expiryDays) ended days before they were
 * credited wipe out a debt that arose after the sale. Processed at once, the same points expire
 * unused and the debt stands.
 *
 * Two members with identical histories, identical sales in the same second (expiryDays 2):
 *   t0      sale S1 (100 points) processed; each spends the 100 on an offer;
 *   t0      sale S2 (100 points): A's job runs at once, B's job is held up;
 *   t0+1h   the till takes S1 back: its 100 points were spent, each member owes 100;
 *   t0+2d   A's S2 points expire (A's debt stands: a return never takes other points in its place);
 *   t0+3d   B's S2 job runs: its points credited expiring 1 ms later (their two days are long
 *           over) — and they repay B's 100 owed;
 *   t0+3d+1h each member makes sale S3 (100 points).
 * Expected (the mend's own claim, SPEC §4 jobs only write down what is true): the same — both
 * members' S3 points repay the 100 they owe, both hold 0. Actual: A holds 0, B holds 100: B's
 * debt was repaid with points that had expired.
 */
describe('break35b: late-credited points already past their expiry repay a debt', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());


  it('a debt stands alike for a member whose sale was processed at once and one whose job ran after the points expired', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'DEBT', { expiryDays: 2, pendingDays: 0 });
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const offer = await createOffer(t);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, offer.id, { priceInPoints: 100 });
    const a = await createCustomer(t, currency);
    const b = await createCustomer(t, currency);
    const available = async (token: string) =>
      ok(await t.gql(ProfileDocument, {}, token)).me!.balances.find((x) => x.currency.code === currency)?.available ?? 0;
    const t0 = t.clock.now().getTime();

    const s1 = { a: await submitSale(t, till, a.externalId, money, 10), b: await submitSale(t, till, b.externalId, money, 10) };
    await t.jobs.runner.runUntilIdle();
    for (const m of [a, b]) {
      const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, m.token));
      expect(bought.purchaseOffer.userErrors).toEqual([]);
    }
    // S2: A's processed at once, B's job held up
    await submitSale(t, till, a.externalId, money, 10);
    await t.jobs.runner.runUntilIdle();
    await submitSale(t, till, b.externalId, money, 10);

    t.clock.moveTo(t0 + HOUR); // the till takes S1 back from both: its points were spent, 100 owed each
    for (const id of [s1.a, s1.b]) {
      const back = dataOf(await t.gql(ReverseTransactionDocument, { externalId: id, reason: 'returned' }, till.credential)).reverseTransaction;
      expect(back.userErrors).toEqual([]);
    }

    t.clock.moveTo(t0 + 3 * DAY); // B's S2 job, a day after its points' two days ended
    await t.jobs.runner.runUntilIdle();
    // (the late credit reads available for the 1 ms before its clamped expiry: decisions, break35b)
    t.clock.advance(1);
    expect({ a: await available(a.token), b: await available(b.token) }).toEqual({ a: 0, b: 0 });

    t.clock.moveTo(t0 + 3 * DAY + HOUR); // S3 for both, processed at once
    await submitSale(t, till, a.externalId, money, 10);
    await submitSale(t, till, b.externalId, money, 10);
    await t.jobs.runner.runUntilIdle();
    const debts = await t.sql<{ externalId: string; debt: number }>(
      `select c.external_id as "externalId", a.debt::int as debt from point_account a join customer c on c.id = a.customer_id
        where a.currency_code = $1 order by c.id`,
      [currency],
    );
    expect({ held: { a: await available(a.token), b: await available(b.token) }, owed: debts.map((d) => d.debt) }).toEqual({
      held: { a: 0, b: 0 },
      owed: [0, 0],
    });
    expect(await brokenInvariants(t)).toEqual([]);
  }, 60_000);
});
