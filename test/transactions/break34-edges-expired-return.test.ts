import { CreateCampaignDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, unique } from '../support/program.js';

const DAY = 86_400_000;

/**
 * break34-edges: a return of a sale whose campaign award had already EXPIRED gave the campaign's
 * budget back in full, though the return took nothing back (`reversedByCurrency.reversed` 0: the
 * points were gone, docs/decisions.md "Returns": "Points of the award that expired are gone and not
 * taken from other points"). The budget then paid the same points a second time to another member.
 *
 * What an operator sees: a campaign with `budgetPoints: 10` whose `pointsAwarded` reads 0 after the
 * return, while the ledger holds its 10-point EARN, never reversed (it expired); the next member's
 * sale earns another 10 from it. The campaign has issued 20 points against a budget of 10.
 * SPEC §2 (Campaign "limits (per customer, total budget)"), §5.5 ("A reversal undoes exactly what
 * the sale earned and awarded, once": it undid 0 points but gave 10 back to the budget).
 * The share a return gives back is what it took back (taken + owed), not the part that had expired.
 */
describe('break34-edges: a return of an expired campaign award', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const sell = async (customerExternalId: string, money: string) => {
    const externalId = unique('sale');
    const lines = [{ sku: 'BEANS', quantity: 1, unitPrice: '1.00' }];
    ok(await t.gql(SubmitTransactionDocument, { input: { externalId, customerExternalId, occurredAt: t.clock.now().toISOString(), currency: money, lines } }, till.credential));
    await t.jobs.runner.runUntilIdle();
    return externalId;
  };
  /** The campaign's EARN entries in the ledger less what REVERSAL entries took back of them: what it issued and members kept or lost to expiry. */
  const campaignIssued = async (name: string) =>
    Number(
      (
        await t.sql<{ n: string }>(
          `select coalesce(sum(e.amount - coalesce(r.taken + r.owed, 0)), 0) as n
             from ledger_entry e left join ledger_reversal r on r.credit_id = e.id
            where e.kind = 'EARN' and e.reason like 'campaign:%:' || $1`,
          [name],
        )
      )[0].n,
    );

  it('gives back only what it took back: a budget of 10 spent on points that expired is not paid out again', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'X', { expiryDays: 1 });
    const now = t.clock.now().getTime();
    const name = unique('welcome');
    ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name, currency, startsAt: new Date(now - DAY).toISOString(), endsAt: new Date(now + 30 * DAY).toISOString(), outcome: { bonusPoints: 10 }, limits: { budgetPoints: 10 } } as never },
        t.operatorToken,
      ),
    );
    const first = await createCustomer(t, currency);
    const sale = await sell(first.externalId, money);
    t.clock.advance(2 * DAY); // its points (10 economy + 10 campaign) expired, unspent
    const back = await t.gql<{ reverseTransaction: { reversedByCurrency: { reversed: number; owed: number }[] } }, object>(
      `mutation($externalId: String!) { reverseTransaction(input: { externalId: $externalId }) { reversedByCurrency { reversed owed } userErrors { code } } }`,
      { externalId: sale },
      till.credential,
    );
    expect(ok(back).reverseTransaction.reversedByCurrency).toEqual([{ reversed: 0, owed: 0 }]); // nothing taken: the points were gone
    const shown = ok(await t.gql<{ campaigns: { name: string; pointsAwarded: number }[] }, object>(`{ campaigns { name pointsAwarded } }`, {}, t.operatorToken));
    // the 10 points it issued stand (expired, not reversed): the campaign has awarded 10
    expect(shown.campaigns.find((c) => c.name === name)?.pointsAwarded).toBe(10);
    const second = await createCustomer(t, currency);
    await sell(second.externalId, money);
    expect(await campaignIssued(name)).toBeLessThanOrEqual(10);
  });
});
