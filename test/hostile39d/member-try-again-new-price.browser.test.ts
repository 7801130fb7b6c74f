import { answerSuite } from "../support/answer-tabs.js";
import { editListing, listingOf } from "../support/program.js";

/**
 * hostile39d: docs/decisions.md "hostile39c" promises that a member refused PRICE_CHANGED is shown
 * the new price in the dialog "(the store is read again) for the member to confirm or cancel".
 * The dialog holds the listing as it was when it opened (Store's `buying` state): after the
 * refusal it still says "This spends <old price>", and its "Try again" sends the old price
 * again, refused PRICE_CHANGED every time: the member can neither see the new price where the
 * dialog states what it spends nor confirm it.
 */
describe("hostile39d: the purchase dialog after PRICE_CHANGED", () => {
  const { stack, memberInStore, purchasesOf } = answerSuite();

  test("the dialog shows the new price and Try again buys at that price", async () => {
    const { t } = stack();
    const { member, tab, listing, price, name, dialog } = await memberInStore();
    await listing.getByRole("button", { name: /^Buy/ }).click();
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain(`This spends ${price}`);

    const raised = price + 20;
    expect(await editListing(t, await listingOf(t, "everyday", name), { priceInPoints: raised })).toEqual({ priceInPoints: raised });

    await dialog.getByRole("button", { name: "Confirm purchase" }).click();
    const alert = dialog.getByRole("alert");
    await alert.waitFor();
    expect(await alert.innerText()).toContain("price");
    // the gateway's sentence, once: not after an app sentence saying the same (newcomer-40)
    expect((await alert.innerText()).match(/price/gi)?.length).toBe(2);
    // the refusal read the store again: what the dialog says it spends is the price now
    const spends = async () => /This spends\s+([\d,]+)/.exec(await dialog.innerText())?.[1]?.replace(/,/g, "");
    // the store read again reaches the dialog (or the assertion below says what it shows)
    await dialog.getByText(new RegExp(`This spends\\s+${raised}`)).waitFor({ timeout: 10_000 }).catch(() => undefined);
    const shownAfterRefusal = await spends();

    // the member confirms what is shown now
    await dialog.getByRole("button", { name: /Try again|Confirm purchase/ }).click();
    // bought: the dialog closes (refused again, it stays: the assertion below says what was sent)
    await dialog.waitFor({ state: "detached", timeout: 10_000 }).catch(() => undefined);
    const { available } = await purchasesOf(tab, member);
    const sentPrices = tab.sent
      .filter((s) => s.operationName === "MemberPurchase")
      .map((s) => (s.variables.input as { expectedPriceInPoints?: number } | undefined)?.expectedPriceInPoints);
    expect({ shownAfterRefusal, charged: 500 - available, lastSent: sentPrices.at(-1) }).toEqual({
      shownAfterRefusal: String(raised),
      charged: raised,
      lastSent: raised,
    });
  }, 120_000);
});
