/** break36b (analytics), held: programStats of a CLOSED customer with pending points, a release and an expiry fallen due but not written down, then reopened: outstanding + pending + closed add up to the balances at every step. */
import { UpsertCustomerDocument } from "../generated/graphql.js";
import { ok, startTestGateway, type TestGateway } from "../support/gateway.js";
import {
  createCustomer,
  createPartner,
  earningProgram,
  processedSale,
} from "../support/program.js";

const DAY = 86_400_000;
const Q = `query S($currency: String!, $from: DateTime!, $to: DateTime!) { programStats(currency: $currency, from: $from, to: $to) { outstandingPoints pendingPoints closedPoints } }`;
describe("held36b analytics: a closed customer's pending points, due releases and due expiries", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());
  it("stay in closedPoints, never in outstanding or pending, until the customer is reopened", async () => {
    const { money, currency } = await earningProgram(t, "AN", {
      pendingDays: 3,
      expiryDays: 10,
    });
    const till = await createPartner(t, [
      "transactions:write",
      "transactions:read",
    ]);
    const a = await createCustomer(t, currency, 40);
    const c = await createCustomer(t, currency, 30);
    await processedSale(t, till, a.externalId, money, 10); // 100 pending
    await processedSale(t, till, c.externalId, money, 5); // 50 pending
    ok(
      await t.gql(
        UpsertCustomerDocument,
        { input: { externalId: c.externalId, status: "CLOSED" } },
        t.operatorToken,
      ),
    );
    const stats = async () => {
      const now = t.clock.now().getTime();
      return ok(
        await t.gql<any, unknown>(
          Q,
          {
            currency,
            from: new Date(now - DAY).toISOString(),
            to: new Date(now + DAY).toISOString(),
          },
          t.analystToken,
        ),
      ).programStats;
    };
    const s1 = await stats();
    t.clock.advance(4 * DAY); // released but no job ran
    const s2 = await stats();
    t.clock.advance(8 * DAY); // adjustments expired (10 days) not written down
    const s3 = await stats();
    ok(
      await t.gql(
        UpsertCustomerDocument,
        { input: { externalId: c.externalId, status: "ACTIVE" } },
        t.operatorToken,
      ),
    );
    const s4 = await stats();
    expect([s1, s2, s3, s4]).toEqual([
      { outstandingPoints: 40, pendingPoints: 100, closedPoints: 80 },
      { outstandingPoints: 140, pendingPoints: 0, closedPoints: 80 },
      { outstandingPoints: 100, pendingPoints: 0, closedPoints: 50 },
      { outstandingPoints: 150, pendingPoints: 0, closedPoints: 0 },
    ]);
  });
});
