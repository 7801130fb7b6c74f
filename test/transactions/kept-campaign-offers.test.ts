import { CreateCampaignDocument, RedeemOfferDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { createCustomer, createOffer, createPartner, earningProgram, submitSale, unique } from '../support/program.js';

const DAY = 86_400_000;

/**
 * A campaign's offer the customer redeemed before returning the sale that earned it (hostile-17).
 * The return cannot take it back (it is reported in `offersKept`), so the sale's share of the
 * campaign's limits stays taken: the per-customer count and "first purchase". They were given
 * back, so "buy a coffee, get a muffin, once" paid a muffin on every buy–redeem–return round.
 */
describe('campaign offers kept through a return', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await brokenInvariants(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const sold = async (customerExternalId: string, money: string, amount: number) => {
    const externalId = await submitSale(t, till, customerExternalId, money, amount);
    await t.jobs.runner.runUntilIdle();
    expect(await t.sql(`select status from sales_transaction where external_id = $1`, [externalId])).toEqual([{ status: 'PROCESSED' }]);
    return externalId;
  };
  const returned = async (externalId: string) =>
    ok(
      await t.gql<{ reverseTransaction: { offersKept: { status: string }[] | null; userErrors: unknown[] } }, unknown>(
        `mutation($externalId: String!) { reverseTransaction(input: { externalId: $externalId, reason: "returned" }) { offersKept { status } userErrors { code } } }`,
        { externalId },
        till.credential,
      ),
    ).reverseTransaction;
  /** The customer's items of the campaign's offer, oldest first, with their status as of the test clock's now. */
  const walletOf = (externalId: string, campaignOffer: string) =>
    t.sql<{ code: string; status: string }>(
      `select io.code, issued_offer_status_at(io.status, io.lock_expires_at, io.expires_at, $3) as status from issued_offer io join customer c on c.id = io.customer_id join offer_version ov on ov.id = io.offer_version_id
        where c.external_id = $1 and ov.offer_id = (select offer_id from offer_version where id = $2) order by io.id`,
      [externalId, Number(Buffer.from(campaignOffer, 'base64url').toString().split(':')[1]), t.clock.now()],
    );
  const redeem = async (code: string) =>
    expect(ok(await t.gql(RedeemOfferDocument, { code, lockId: null, transactionExternalId: unique('use') }, till.credential)).redeemOffer.userErrors).toEqual([]);

  /** A program with a campaign awarding a free muffin offer to every sale, with `conditions` and `limits`. */
  const program = async (prefix: string, conditions: Record<string, unknown>, limits: Record<string, unknown> | null) => {
    const { money, currency } = await earningProgram(t, prefix);
    const muffin = await createOffer(t);
    const window = { startsAt: new Date(Date.now() - DAY).toISOString(), endsAt: new Date(Date.now() + 90 * DAY).toISOString() };
    ok(await t.gql(CreateCampaignDocument, { input: { name: unique('muffin'), currency, ...window, conditions, outcome: { offerId: muffin.id }, ...(limits ? { limits } : {}) } as never }, t.operatorToken));
    return { money, currency, muffin };
  };

  for (const [name, conditions, limits] of [
    ['once per customer (limits.perCustomer 1)', {}, { perCustomer: 1 }],
    ['on the first purchase (conditions.firstPurchase)', { firstPurchase: true }, null],
  ] as const) {
    it(`${name}: buy, redeem the muffin, return, buy again: no second muffin; a return of a sale whose muffin was not used gives the muffin back`, async () => {
      const { money, currency, muffin } = await program(name.startsWith('once') ? 'K' : 'F', conditions, limits);
      const customer = await createCustomer(t, currency);
      const first = await sold(customer.externalId, money, 5);
      const [awarded] = await walletOf(customer.externalId, muffin.id);
      await redeem(awarded.code);
      expect(await returned(first)).toEqual({ offersKept: [{ status: 'REDEEMED' }], userErrors: [] });
      // The customer kept the muffin: the next sale is neither their first nor within the limit again.
      await sold(customer.externalId, money, 5);
      expect((await walletOf(customer.externalId, muffin.id)).map((o) => o.status)).toEqual(['REDEEMED']);

      // A muffin not used yet is taken back with its sale (VOIDED), and the next sale earns it again.
      const other = await createCustomer(t, currency);
      const unused = await sold(other.externalId, money, 5);
      expect(await returned(unused)).toEqual({ offersKept: [], userErrors: [] });
      await sold(other.externalId, money, 5);
      expect((await walletOf(other.externalId, muffin.id)).map((o) => o.status)).toEqual(['VOIDED', 'ISSUED']);
    });
  }

  it('redeem, return and the next sale at once, for many customers: never a second muffin held, a redeemed one never voided (break-17)', async () => {
    const { money, currency, muffin } = await program('P', {}, { perCustomer: 1 });
    const customers = await Promise.all(Array.from({ length: 6 }, () => createCustomer(t, currency)));
    const firsts: string[] = [];
    for (const c of customers) firsts.push(await sold(c.externalId, money, 5));
    const codes = await Promise.all(customers.map(async (c) => (await walletOf(c.externalId, muffin.id))[0].code));
    await Promise.all(
      customers.flatMap((c, i) => [
        t.gql(RedeemOfferDocument, { code: codes[i], lockId: null, transactionExternalId: unique('use') }, till.credential),
        returned(firsts[i]),
        (async () => {
          await submitSale(t, till, c.externalId, money, 5);
          await t.jobs.runner.runUntilIdle();
        })(),
      ]),
    );
    await t.jobs.runner.runUntilIdle();
    for (const c of customers) {
      const statuses = (await walletOf(c.externalId, muffin.id)).map((o) => o.status);
      // the first muffin redeemed (kept: no second) or voided by the return (then the second sale may earn one)
      expect([['REDEEMED'], ['VOIDED'], ['VOIDED', 'ISSUED']]).toContainEqual(statuses);
    }
  });

  it('a staff replacement of the muffin, redeemed, holds the limit as the muffin would have', async () => {
    const { money, currency, muffin } = await program('R', {}, { perCustomer: 1 });
    const customer = await createCustomer(t, currency);
    const first = await sold(customer.externalId, money, 5);
    const [awarded] = await t.sql<{ id: string }>(
      `select io.id::text from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1 and io.source = 'CAMPAIGN'`,
      [customer.externalId],
    );
    t.clock.advance(31 * DAY); // the muffin expired unused; staff replace it and the customer uses the replacement
    const replaced = ok(
      await t.gql<{ issueReplacementOffer: { issuedOffer: { code: string } | null } }, unknown>(
        `mutation($input: IssueReplacementOfferInput!) { issueReplacementOffer(input: $input) { issuedOffer { code } userErrors { code } } }`,
        { input: { issuedOfferId: Buffer.from(`IssuedOffer:${awarded.id}`).toString('base64url'), reason: 'expired while the app was down', idempotencyKey: unique('rep') } },
        t.operatorToken,
      ),
    ).issueReplacementOffer.issuedOffer!;
    await redeem(replaced.code);
    expect(await returned(first)).toEqual({ offersKept: [{ status: 'REDEEMED' }], userErrors: [] });
    await sold(customer.externalId, money, 5);
    expect((await walletOf(customer.externalId, muffin.id)).map((o) => o.status)).toEqual(['EXPIRED', 'REDEEMED']);
  });
});
