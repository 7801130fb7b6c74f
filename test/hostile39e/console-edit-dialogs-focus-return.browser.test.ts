import { webGatewayPerBlock } from "../support/web-gateway.js";
import { focusedText as focused } from "../support/web-pages.js";

/**
 * hostile39e: keyboard-only use of the console's new Edit dialogs (store-edit-39, listing-edit-39)
 * on the Stores page. When either dialog closes (Escape, Cancel, or a save) the dialog is taken
 * out of the page and the focus is left on the page's body: measured, the next Tab lands on the
 * first store's "Edit Everyday rewards", at the top of the page, whichever store or listing the
 * operator was editing. The Rules page's tier dialog gives the focus back to what opened it
 * (`setRefocus`), as the member's purchase dialog does (newcomer-21: "the focus was left on the
 * body, so the next Tab started again at the top"); these dialogs do not.
 */
describe("hostile39e: the focus after the Stores page's Edit dialogs close", () => {
  const web = webGatewayPerBlock({ demo: true, size: "desktop" });

  test("Escape from a store's Edit gives the focus back to its Edit button", async () => {
    const page = await web.web.consoleAsOperator("Stores");
    const card = page.getByRole("region", { name: /Gold lounge/ });
    const dialog = page.getByRole("dialog");
    await card.getByRole("button", { name: "Edit Gold lounge" }).focus();
    await page.keyboard.press("Enter");
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await focused(page)).toBe("Edit Gold lounge");
  }, 90_000);

  test("a listing saved from the keyboard: the focus is on its Edit button or the saved notice, not the page's body", async () => {
    const page = await web.web.consoleAsOperator("Stores");
    const card = page.getByRole("region", { name: /Gold lounge/ });
    const dialog = page.getByRole("dialog");
    const edit = card.getByRole("button", { name: /^Edit Free large latte/ });
    await edit.focus();
    await page.keyboard.press("Enter");
    await dialog.waitFor();
    await dialog.getByLabel("Price in points").fill("310");
    await dialog.getByRole("button", { name: "Save changes" }).focus();
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("status").filter({ hasText: "saved" }).waitFor();
    const where = await focused(page);
    const ok =
      where === "Edit Free large latte" || where.includes("saved (version");
    expect({ where, ok }).toEqual({ where, ok: true });
  }, 90_000);
});
