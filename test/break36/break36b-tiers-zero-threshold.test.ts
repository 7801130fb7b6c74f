import { CreateTierDocument, ProfileDocument } from "../generated/graphql.js";
import {
  dataOf,
  ok,
  startTestGateway,
  type TestGateway,
} from "../support/gateway.js";
import {
  createCurrency,
  createCustomer,
  createTier,
  unique,
} from "../support/program.js";

/**
 * break36b (tiers): the ladder check (refuseUnreachable) compares a new tier only with tiers of the
 * same currency and window, "since tiers of other currencies or windows count other points". But a
 * customer is placed on the highest-ranked tier of the whole ladder whose threshold they reach
 * (tierFor over every tier, all currencies and windows), and a threshold of 0 is reached by every
 * customer whatever they hold. So a threshold-0 tier of another currency (or another window) ranked
 * above a tier makes that tier unreachable for everyone, for good, exactly the mistake
 * break36 (tiers) set out to refuse; createTier takes it, and members are still sent towards the
 * lower tier by nothing they can earn.
 */
describe("break36b tiers: a threshold-0 tier above, in another currency", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it("createTier refuses a threshold-0 tier ranked above a tier nobody could then be placed on", async () => {
    const earn = unique("E").toUpperCase().replace(/-/g, "_").slice(0, 20);
    const other = unique("O").toUpperCase().replace(/-/g, "_").slice(0, 20);
    await createCurrency(t, earn, null);
    await createCurrency(t, other, null);
    await createTier(t, {
      currency: earn,
      code: "B36B_SILVER",
      rank: 901,
      threshold: 500,
    });
    const member = await createCustomer(t, earn, 600);
    expect(
      ok(await t.gql(ProfileDocument, {}, member.token)).me!.tier,
    ).toMatchObject({ code: "B36B_SILVER" });

    const res = dataOf(
      await t.gql(
        CreateTierDocument,
        {
          input: {
            currency: other,
            code: "B36B_WELCOME",
            name: "Welcome",
            rank: 902,
            threshold: 0,
          },
        },
        t.operatorToken,
      ),
    ).createTier;
    // What the member sees when it is taken: 600 points of SILVER's currency, and WELCOME, forever.
    const after = ok(await t.gql(ProfileDocument, {}, member.token)).me!;
    expect({
      codes: res.userErrors.map((e) => e.code),
      field: res.userErrors[0]?.field ?? null,
      tier: res.tier?.code ?? null,
      memberOn: after.tier?.code ?? null,
    }).toEqual({
      codes: ["INVALID"],
      field: ["input", "threshold"],
      tier: null,
      memberOn: "B36B_SILVER",
    });
  });

  it("and one of the same currency with its own window (rolling 30 days), threshold 0, ranked above", async () => {
    const currency = unique("W").toUpperCase().replace(/-/g, "_").slice(0, 20);
    await createCurrency(t, currency, null);
    await createTier(t, {
      currency,
      code: "B36B_GOLD",
      rank: 911,
      threshold: 500,
    });
    const member = await createCustomer(t, currency, 600);
    const res = dataOf(
      await t.gql(
        CreateTierDocument,
        {
          input: {
            currency,
            code: "B36B_MONTHLY",
            name: "Monthly",
            rank: 912,
            threshold: 0,
            windowDays: 30,
          },
        },
        t.operatorToken,
      ),
    ).createTier;
    const after = ok(await t.gql(ProfileDocument, {}, member.token)).me!;
    expect({
      codes: res.userErrors.map((e) => e.code),
      tier: res.tier?.code ?? null,
      memberOn: after.tier?.code ?? null,
    }).toEqual({ codes: ["INVALID"], tier: null, memberOn: "B36B_GOLD" });
  });
});
