import { CreateCampaignDocument, CreateOfferDocument, WalletDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { createCustomer, createPartner, earningProgram, submitSale, unique } from '../support/program.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * break35b (expiry): break35 (4a99e7e) made when a sale's *points* expire a fact of the sale
 * (its release or receipt, `expiryFromOf`), not of when its processing job ran: "two members'
 * sales made in the same second, one processed an hour late, expired an hour apart" (SPEC §4:
 * jobs only write down what is already true). The same sale's campaign award of an *offer* is
 * still a fact of the job: `issueOffer(..., now)` in src/transactions/processor.ts counts the
 * offer's validDays from the processing's `now`.
 *
 * Two members buy the same basket in the same second t0; a campaign awards each an offer valid
 * 2 days (and 5 bonus points). A's job runs at once, B's an hour late (the very lag of
 * break35-expiry-processing-lag). Expected: both offers expire at t0 + 2 days, as both members'
 * points now expire at the same instant. Actual: B's offer expires an hour later, and half an hour
 * after A's offer expired B still holds an ISSUED offer to redeem.
 */
describe("break35b: a sale's campaign offer still expires at an instant that depends on when its job ran", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());


  it("both members' campaign offers (and points) expire at the same instant", async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'OFFLAG', { expiryDays: 2, pendingDays: 0 });
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const t0 = t.clock.now().getTime();
    const offer = ok(
      await t.gql(CreateOfferDocument, { input: { name: unique('lag offer'), benefit: { kind: 'AMOUNT_OFF', amountOff: '1.00' }, validDays: 2 } }, t.operatorToken),
    ).createOffer.offer!;
    const window = { startsAt: new Date(t0 - DAY).toISOString(), endsAt: new Date(t0 + 30 * DAY).toISOString() };
    const created = ok(await t.gql(CreateCampaignDocument, { input: { name: unique('camp'), currency, ...window, outcome: { bonusPoints: 5, offerId: offer.id } } }, t.operatorToken));
    expect(created.createCampaign.userErrors).toEqual([]);
    const a = await createCustomer(t, currency);
    const b = await createCustomer(t, currency);

    await submitSale(t, till, a.externalId, money, 10);
    expect(await t.jobs.runner.runUntilIdle()).toBeGreaterThan(0);
    await submitSale(t, till, b.externalId, money, 10); // the same second; its job an hour late
    t.clock.moveTo(t0 + HOUR);
    expect(await t.jobs.runner.runUntilIdle()).toBeGreaterThan(0);

    const walletOf = async (token: string) =>
      ok(await t.gql(WalletDocument, {}, token)).me!.wallet.edges.map((e) => ({ status: e.node.status, expiresAt: e.node.expiresAt }));
    const points = await t.sql<{ externalId: string; expiresAt: Date }>(
      `select c.external_id as "externalId", e.expires_at as "expiresAt" from ledger_entry e join customer c on c.id = e.customer_id
        where e.kind = 'EARN' and c.external_id = any($1) order by c.id, e.id`,
      [[a.externalId, b.externalId]],
    );
    // the points: the same instant for both (break35 held)
    expect(new Set(points.map((p) => new Date(p.expiresAt).getTime()))).toEqual(new Set([t0 + 2 * DAY]));

    t.clock.moveTo(t0 + 2 * DAY + HOUR / 2);
    const seen = { a: await walletOf(a.token), b: await walletOf(b.token) };
    const expired = [{ status: 'EXPIRED', expiresAt: new Date(t0 + 2 * DAY).toISOString() }];
    expect(seen).toEqual({ a: expired, b: expired });
    expect(await brokenInvariants(t)).toEqual([]);
  }, 60_000);
});
