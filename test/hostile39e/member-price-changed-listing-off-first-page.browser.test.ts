import { toGlobalId } from "../../src/graphql/ids.js";
import { answerSuite } from "../support/answer-tabs.js";
import { editListing, listingOf } from "../support/program.js";

/**
 * hostile39e: hostile39d made the member's purchase dialog show the listing "as the store reads it
 * now", so that after PRICE_CHANGED it says the new price and "Try again" buys at it. It finds the
 * listing among the store's edges and, when it is not there, falls back to the listing as it was
 * when the dialog opened (`?? buying`). The store page reads 50 listings a page: when the edit
 * that raised the price also moved the listing past the first page (its order in the store, one
 * updateListing), the store read again after the refusal no longer holds it, and the dialog goes
 * on saying the old price and sending it: every "Try again" is refused PRICE_CHANGED, for ever,
 * and the new price is never shown where the dialog says what it spends.
 */
describe("hostile39e: PRICE_CHANGED for a listing the edit moved past the store's first page", () => {
  const { stack, memberInStore, purchasesOf, staff } = answerSuite();

  test("the dialog shows the new price and Try again buys at it", async () => {
    const { t } = stack();
    const [store] = await t.sql<{ id: string }>(
      `select id from reward_store where code = 'everyday'`,
    );
    const [other] = await t.sql<{ offer_id: string }>(
      `select offer_id from listing where store_id = $1 and removed_at is null order by sort_order desc, id desc limit 1`,
      [store.id],
    );
    const [{ n }] = await t.sql<{ n: number }>(
      `select count(*)::int as n from listing where store_id = $1 and removed_at is null`,
      [store.id],
    );
    // the store holds 51 listings on show: one more than a page of the member's store screen (50)
    for (let i = n; i < 51; i++)
      await staff(
        `mutation($input: AddListingInput!) { addListing(input: $input) { userErrors { code message } } }`,
        {
          storeId: toGlobalId("RewardStore", Number(store.id)),
          offerId: toGlobalId("Offer", Number(other.offer_id)),
          priceInPoints: 900,
          sortOrder: 500,
        },
      );

    const { member, tab, listing, price, name, dialog } = await memberInStore();
    expect(await tab.page.getByTestId("listing").count()).toBe(50);
    await listing.getByRole("button", { name: /^Buy/ }).click();
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain(`This spends ${price}`);

    const raised = price + 20;
    // the operator raises its price and moves it to the end of the store
    expect(await editListing(t, await listingOf(t, "everyday", name), { priceInPoints: raised, sortOrder: 1000 })).toEqual({ priceInPoints: raised });

    await dialog.getByRole("button", { name: "Confirm purchase" }).click();
    const alert = dialog.getByRole("alert");
    await alert.waitFor();
    expect(await alert.innerText()).toContain(String(raised));
    const spends = async () =>
      /This spends\s+([\d,]+)/
        .exec(await dialog.innerText())?.[1]
        ?.replace(/,/g, "");
    await dialog
      .getByText(new RegExp(`This spends\\s+${raised}`))
      .waitFor({ timeout: 10_000 })
      .catch(() => undefined);
    const shownAfterRefusal = await spends();

    await dialog
      .getByRole("button", { name: /Try again|Confirm purchase/ })
      .click();
    await dialog
      .waitFor({ state: "detached", timeout: 10_000 })
      .catch(() => undefined);
    const { available } = await purchasesOf(tab, member);
    const sentPrices = tab.sent
      .filter((s) => s.operationName === "MemberPurchase")
      .map(
        (s) =>
          (s.variables.input as { expectedPriceInPoints?: number } | undefined)
            ?.expectedPriceInPoints,
      );
    expect({
      shownAfterRefusal,
      charged: 500 - available,
      lastSent: sentPrices.at(-1),
    }).toEqual({
      shownAfterRefusal: String(raised),
      charged: raised,
      lastSent: raised,
    });
  }, 180_000);
});
