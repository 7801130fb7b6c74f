import { answerSuite } from "../support/answer-tabs.js";
import { editListing, listingOf } from "../support/program.js";

/**
 * hostile39c: before listing-edit-39 a listing's price could not change under its id, so the
 * member app's confirmation ("This spends 150 BEANS", then "Confirm purchase") charged what it
 * said (docs/decisions.md: "what the customer was shown is what they pay and get"). updateListing
 * now changes the price in place, and a purchase sends only the listing id and its key: a member
 * who confirmed 150 BEANS is charged whatever the price is when the request lands, and is told
 * "Bought" without a word about it. A member must never be charged more than the price the app
 * had them confirm: either they pay what they confirmed, or nothing is spent and they are shown
 * the new price to confirm again.
 */
describe("hostile39c: a price raised while the member confirms", () => {
  const { stack, memberInStore, purchasesOf } = answerSuite();

  test("the member confirmed the price shown; a raise saved meanwhile does not charge them the new one unseen", async () => {
    const { t } = stack();
    const { member, tab, listing, price, name, dialog } = await memberInStore();
    await listing.getByRole("button", { name: /^Buy/ }).click();
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain(`This spends ${price}`);

    // an operator raises the listing's price while the dialog is open
    const raised = price + 250;
    expect(await editListing(t, await listingOf(t, "everyday", name), { priceInPoints: raised })).toEqual({ priceInPoints: raised });

    await dialog.getByRole("button", { name: "Confirm purchase" }).click();
    // whatever the page says next (bought at the confirmed price, or the new price to confirm), wait for the send to be answered
    await Promise.race([
      dialog.waitFor({ state: "detached" }),
      dialog.getByRole("alert").waitFor(),
    ]);
    const { available } = await purchasesOf(tab, member);
    const charged = 500 - available;
    // charged the confirmed price, or nothing (told the new one); never the raised price unseen
    expect({ charged, allowed: charged === price || charged === 0 }).toEqual({
      charged,
      allowed: true,
    });
  }, 120_000);
});
