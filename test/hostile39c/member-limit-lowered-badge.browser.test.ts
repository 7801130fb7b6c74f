import { answerSuite } from "../support/answer-tabs.js";
import { ok } from "../support/gateway.js";
import { buyListing, demoLimitedListing } from "../support/program.js";

/**
 * hostile39c: before listing-edit-39 a member could never have bought more of a listing than its
 * per-member limit, so the member app's badge "You have bought it {limit} times, the most allowed"
 * said what they bought. updateListing now lowers a limit in place and keeps the counts ("a
 * per-customer limit raised or lowered counts what each bought already"): a member who bought the
 * limited offer twice, after the limit was lowered to one, is told "You have bought it 1 time",
 * which is false (the line below it says "you have 2"). The badge must say what they bought.
 */
describe("hostile39c: a per-member limit lowered below what a member bought", () => {
  const { stack, newMember, openTab, toStore } = answerSuite();

  test("the store card tells the member how many they bought, not the new limit", async () => {
    const { t } = stack();
    const member = await newMember();
    const token = await t.customerToken(member, 3_600);
    const limited = await demoLimitedListing(t, token);
    await buyListing(t, token, limited.id, 2);
    // an operator lowers the limit to one: the member's two purchases stay counted
    const edited = ok(
      await t.gql<
        {
          updateListing: {
            listing: { perCustomerLimit: number } | null;
            userErrors: unknown[];
          };
        },
        object
      >(
        `mutation($input: UpdateListingInput!) { updateListing(input: $input) { listing { perCustomerLimit } userErrors { code } } }`,
        { input: { listingId: limited.id, perCustomerLimit: 1 } },
        t.operatorToken,
      ),
    ).updateListing;
    expect(edited).toEqual({
      listing: { perCustomerLimit: 1 },
      userErrors: [],
    });

    const tab = await openTab();
    await tab.page.goto(`/#token=${token}`);
    await tab.page.getByTestId("header-balance").waitFor();
    await toStore(tab);
    const card = tab.page
      .getByTestId("listing")
      .filter({ hasText: limited.offer.name });
    await card.getByText("the most allowed").waitFor();
    // the member bought it twice: the card must not say once
    expect(await card.locator(".badge").innerText()).toMatch(
      /bought it 2 times/,
    );
  }, 120_000);
});
