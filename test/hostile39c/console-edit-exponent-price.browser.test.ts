import { webGatewayPerBlock } from "../support/web-gateway.js";

/**
 * hostile39c: the console's listing Edit reads its number fields with `int` (Number.parseInt),
 * but an `<input type="number">` takes exponent notation as a valid number ("1e3" is 1000, and
 * passes min 1 and the integer step), and hands the text as typed: parseInt("1e3") is 1. An
 * operator who types 1e3 as the new price saves the listing at 1 point, and members can buy an
 * 800-point cup for 1. The price saved must be the number the field held (1000), or nothing.
 */
describe("hostile39c: a price typed in exponent notation in the listing Edit", () => {
  const started = webGatewayPerBlock({ demo: true, size: "desktop" });
  const cup = async () =>
    (
      await started.web.t.sql<{ price: number }>(
        `select l.price_in_points::int as price from listing l join offer o on o.id = l.offer_id join offer_version ov on ov.id = o.current_version_id where ov.name = 'Bean & Leaf reusable cup'`,
      )
    )[0];

  test("1e3 saves 1000 points (or nothing), never 1", async () => {
    expect((await cup()).price).toBe(800);
    const page = await started.web.consoleAsOperator("Stores");
    await page
      .getByRole("button", { name: "Edit Bean & Leaf reusable cup" })
      .click();
    const dialog = page.getByRole("dialog", {
      name: "Edit listing “Bean & Leaf reusable cup”",
    });
    await dialog.waitFor();
    const price = dialog.getByLabel("Price in points");
    await price.fill("1e3");
    // the browser takes it as the number 1000: valid, at least 1, a whole number
    expect(
      await price.evaluate((el) => [
        (el as unknown as { valueAsNumber: number }).valueAsNumber,
        (el as unknown as { checkValidity(): boolean }).checkValidity(),
      ]),
    ).toEqual([1000, true]);
    await dialog.getByRole("button", { name: "Save changes" }).click();
    await Promise.race([
      dialog.waitFor({ state: "detached" }),
      dialog.getByRole("alert").waitFor(),
    ]);
    const saved = (await cup()).price;
    expect({ saved, acceptable: saved === 1000 || saved === 800 }).toEqual({
      saved,
      acceptable: true,
    });
  }, 90_000);
});
