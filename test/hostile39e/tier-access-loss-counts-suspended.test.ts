import {
  dataOf,
  ok,
  startTestGateway,
  type TestGateway,
} from "../support/gateway.js";
import {
  createCustomer,
  createStore,
  createTier,
  earningProgram,
} from "../support/program.js";

/**
 * hostile39e: createTier's accessLost (tier-access-38) and updateRewardStore's accessLost /
 * accessGained (store-edit-39) both tell an operator how many members a change takes a store from
 * or gives it to, and the tier warning's remedy is the store edit (cf037414). hostile39b made the
 * store edit count active members only ("access counts are of active members": a suspended or
 * closed member cannot shop anyway), but createTier's TierAccessLoss.customers still counts every
 * customer it moves, suspended and closed ones included. The console then says "2 members would no
 * longer shop in Gold lounge", and the mend it points to (listing the new tier on the store) says
 * it gives the store back to 1: the two counts of the same members disagree.
 */
describe("hostile39e: a new tier's access loss counts the members the store edit gives it back to", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: "manual" });
  });
  afterAll(() => t.close());

  it("one GOLD member active, one suspended: the new tier takes the lounge from 1, and listing the tier gives it back to 1", async () => {
    const { currency } = await earningProgram(t, "TL", { expiryDays: null });
    await createTier(t, { currency, code: "GOLD", rank: 1, threshold: 100 });
    const [active, suspended] = await Promise.all([
      createCustomer(t, currency, 700),
      createCustomer(t, currency, 900),
    ]);
    ok(
      await t.gql(
        `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code } } }`,
        { input: { externalId: suspended.externalId, status: "SUSPENDED" } },
        t.operatorToken,
      ),
    );
    const lounge = await createStore(t, currency, {
      name: "Gold lounge",
      eligibility: { tiers: ["GOLD"] },
    } as never);
    expect(active.externalId).toBeTruthy();

    const created = dataOf(
      await t.gql<
        {
          createTier: {
            accessLost: { name: string; customers: number }[];
            userErrors: unknown[];
          };
        },
        object
      >(
        `mutation($input: CreateTierInput!) { createTier(input: $input) { accessLost { name customers } userErrors { code } } }`,
        {
          input: {
            currency,
            code: "PLATINUM",
            name: "Platinum",
            rank: 2,
            threshold: 500,
          },
        },
        t.operatorToken,
      ),
    ).createTier;
    const mend = dataOf(
      await t.gql<
        {
          updateRewardStore: {
            accessGained: number | null;
            userErrors: unknown[];
          };
        },
        object
      >(
        `mutation($input: UpdateRewardStoreInput!) { updateRewardStore(input: $input) { accessGained userErrors { code } } }`,
        {
          input: {
            storeId: lounge.id,
            eligibility: { tiers: ["GOLD", "PLATINUM"] },
            dryRun: true,
          },
        },
        t.operatorToken,
      ),
    ).updateRewardStore;
    expect({ lost: created.accessLost, regained: mend.accessGained }).toEqual({
      lost: [{ name: "Gold lounge", customers: 1 }],
      regained: 1,
    });
  });
});
