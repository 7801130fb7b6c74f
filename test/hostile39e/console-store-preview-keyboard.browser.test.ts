import { webGatewayPerBlock } from "../support/web-gateway.js";
import { until, type InPage } from "../support/web-pages.js";

/**
 * hostile39e: the console's store edit (store-edit-39) used with the keyboard and a screen
 * reader. "Preview changes" answers in a paragraph that appears in the dialog ("N members would
 * no longer be able to shop here…", the warning the preview exists for), but that paragraph is no
 * live region (no role status/alert, no aria-live) and the focus is not moved to it: a screen
 * reader says nothing after Preview, and the operator is not told who the edit takes the store
 * from before "Save changes". And the Preview button is disabled while the dry run is sent (the
 * fieldset's `disabled={held}`), which takes the focus from it: measured, document.activeElement
 * is the page's BODY after the preview (Chromium's next Tab happens to reach "Save changes" from
 * its focus navigation starting point, but a screen reader is left on the document, not the
 * dialog).
 */
describe("hostile39e: the store edit's preview with the keyboard and a screen reader", () => {
  const started = webGatewayPerBlock({ demo: true, size: "desktop" });

  test("Preview changes, pressed with Enter: its answer is announced and the focus stays in the form", async () => {
    const page = await started.web.consoleAsOperator("Stores");
    const card = page.getByRole("region", { name: /Gold lounge/ });
    const edit = card.getByRole("button", { name: "Edit Gold lounge" });
    await edit.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", {
      name: "Edit store “Gold lounge”",
    });
    await dialog.waitFor();
    await until(
      async () =>
        (await page.evaluate(
          () => (globalThis as InPage).document.activeElement?.textContent,
        )) === "Cancel",
      "the focus on Cancel",
    );

    const tiers = dialog.getByLabel(/Only these tiers/);
    await tiers.focus();
    await page.keyboard.press("ControlOrMeta+a");
    await page.keyboard.type("GREEN");
    await dialog.getByRole("button", { name: "Preview changes" }).focus();
    await page.keyboard.press("Enter");
    const preview = dialog.getByTestId("store-edit-preview");
    await preview.waitFor();
    expect(await preview.innerText()).toMatch(/shop here/);

    const state = await page.evaluate(() => {
      const doc = (globalThis as InPage).document;
      const shown = doc.querySelector('[data-testid="store-edit-preview"]')!;
      const live = shown.closest(
        '[role="status"], [role="alert"], [aria-live]:not([aria-live="off"])',
      );
      const active = doc.activeElement;
      return {
        // a screen reader reads it: it is (in) a live region, or the focus was moved onto it
        announced:
          live !== null ||
          active === shown ||
          (active !== null && shown.contains(active)),
        // the keyboard's place is still in the dialog's form, or on the preview / its buttons
        focusInDialog:
          active !== null &&
          active !== doc.body &&
          active.closest("dialog") !== null &&
          active.tagName !== "DIALOG",
      };
    });
    expect(state).toEqual({ announced: true, focusInDialog: true });
    await dialog.getByRole("button", { name: "Cancel" }).click();
  }, 90_000);
});
