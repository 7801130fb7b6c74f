import { toGlobalId } from "../../src/graphql/ids.js";
import { answerSuite } from "../support/answer-tabs.js";
import { ok } from "../support/gateway.js";

/**
 * hostile39e: an operator closes a store with updateRewardStore (its last day set in the past)
 * while a member has its purchase dialog open. The member confirms; the gateway refuses,
 * nothing spent (OFFER_UNAVAILABLE). The dialog's refetch of the store (MemberStoreDocument) now
 * answers `node: null` (a closed store is not shown to a customer), so the Store screen drops
 * the dialog with the refusal in it (`buying && store`) and shows "Loading offers…" for ever
 * (`storeRef && !store && !error`: the list of stores is not read again). The member is never
 * told what happened to their purchase nor that the store closed.
 */
describe("hostile39e: a store closed while the member's purchase dialog is open", () => {
  const { stack, memberInStore, purchasesOf } = answerSuite();

  test("the member is told the offer or store is no longer available, not left on 'Loading offers…'", async () => {
    const { t } = stack();
    const { member, tab, listing, price, dialog } = await memberInStore();
    await listing.getByRole("button", { name: /^Buy/ }).click();
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain(`This spends ${price}`);

    const [store] = await t.sql<{ id: string }>(
      `select id from reward_store where code = 'everyday'`,
    );
    const closed = ok(
      await t.gql<{ updateRewardStore: { userErrors: unknown[] } }, object>(
        `mutation($input: UpdateRewardStoreInput!) { updateRewardStore(input: $input) { userErrors { code } } }`,
        {
          input: {
            storeId: toGlobalId("RewardStore", Number(store.id)),
            endsAt: new Date(Date.now() - 60_000).toISOString(),
          },
        },
        t.operatorToken,
      ),
    ).updateRewardStore;
    expect(closed.userErrors).toEqual([]);

    await dialog.getByRole("button", { name: "Confirm purchase" }).click();
    // wait for the purchase's answer and the store's refetch
    const page = tab.page;
    const told = page
      .getByRole("alert")
      .filter({
        hasText: /no longer available|not on sale|not open to you|closed/i,
      });
    await told
      .first()
      .waitFor({ timeout: 10_000 })
      .catch(() => undefined);
    // thirty seconds of the page's time, a second at a time: more than a moment's loading between two reads
    // (measured: still "Loading offers…" after 200 s of the page's time moved 5 s at a time)
    for (let s = 0; s < 30; s++) {
      await page.clock.runFor(1_000);
      await page.waitForTimeout(50);
    }
    const { available } = await purchasesOf(tab, member);
    expect({
      spent: 500 - available,
      told: (await told.count()) > 0 && (await told.first().isVisible()),
      stuckLoading: await page.getByText("Loading offers…").isVisible(),
    }).toEqual({ spent: 0, told: true, stuckLoading: false });
  }, 120_000);
});
