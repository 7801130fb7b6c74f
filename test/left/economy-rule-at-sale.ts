/**
 * LEFT OUT OF THE SUITE ON PURPOSE (hostile-17): this case fails on main, and the change it asks
 * for (the economy rule in force when a sale happened, which needs the rule's history) is a
 * product decision with a migration, not made in that pass. Its file name does not end in
 * `.test.ts`, so jest does not collect it. To see it fail:
 *   cp test/left/economy-rule-at-sale.ts test/left/economy-rule-at-sale.test.ts
 *   npm run jest -- test/left/economy-rule-at-sale.test.ts; rm test/left/economy-rule-at-sale.test.ts
 * Expected 100 points (the rule of 10 a unit when the sale happened and reached us), received 10
 * (the rule of 1 a unit set while the sale waited for its processing job). Campaigns are read as of
 * the sale (docs/decisions.md, "Sales at the till": "a late sale within the bound earns from the
 * campaign it happened in ... that is what the customer was promised at the till"); the economy
 * rule is read as of its processing.
 */
import { SetEconomyRuleDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, submitSale } from '../support/program.js';

const HOUR = 3_600_000;

describe('the economy rule a sale earns by', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('is the one in force when the sale happened and reached us, not one set while it waited for its processing', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'E'); // 10 points a unit
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency);
    const sale = await submitSale(t, till, customer.externalId, money, 10); // accepted: RECEIVED, its job queued
    t.clock.advance(HOUR); // the job waits (an outage, a retry's backoff); meanwhile the rate is cut
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency, pointsPerUnit: '1', rounding: 'FLOOR' } as never }, t.operatorToken));
    await t.jobs.runner.runUntilIdle();
    expect(await t.sql(`select status, points_awarded::int as points from sales_transaction where external_id = $1`, [sale])).toEqual([{ status: 'PROCESSED', points: 100 }]);
    t.clock.reset();
  });
});
