import { seriousViolations } from '../support/browser.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';
import { until, type InPage } from '../support/web-pages.js';

/**
 * store-edit-39, in a real Chromium on a started gateway with the demo program and the apps'
 * trusted documents only: the console's Stores page edits who may shop in a store. The thirty-eighth
 * newcomer could not: a GOLD-only lounge that a new tier emptied could only be copied. "Edit" opens
 * the store's form, "Preview changes" says who would gain and lose it, "Save changes" saves it with
 * the version the form was filled from; another operator's save meanwhile is refused and the form
 * shows theirs. reason-40: the edit's reason, typed in its form, shows on its row of the Audit page.
 */
describe("the console edits a store's eligibility (store-edit-39)", () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });

  /** Active members in tier `code` now. */
  const inTier = async (code: string) =>
    (
      await started.web.t.sql<{ n: number }>(
        `select count(*)::int as n from customer c join tier t on t.id = customer_tier_at(c.id, $2) where t.code = $1 and c.status = 'ACTIVE'`,
        [code, started.web.t.clock.now()],
      )
    )[0].n;
  const lounge = async () =>
    (await started.web.t.sql<{ id: string; version: number; eligible_tiers: string[] }>(`select id, version, eligible_tiers from reward_store where code = 'gold-lounge'`))[0];

  test('previews who would gain the Gold lounge when GREEN is listed too, saves it, and the card says so', async () => {
    const green = await inTier('GREEN');
    expect(green).toBeGreaterThan(0);
    const page = await started.web.consoleAsOperator('Stores');
    const card = page.getByRole('region', { name: /Gold lounge/ });
    await card.getByRole('button', { name: 'Edit Gold lounge' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit store “Gold lounge”' });
    await dialog.waitFor();
    // the focus starts on Cancel, and nothing can be saved before a preview
    await until(async () => (await page.evaluate(() => (globalThis as InPage).document.activeElement?.textContent)) === 'Cancel', 'the focus on Cancel');
    expect(await dialog.getByRole('button', { name: 'Save changes' }).isDisabled()).toBe(true);

    await dialog.getByLabel(/Only these tiers/).fill('GOLD, GREEN');
    await dialog.getByRole('button', { name: 'Preview changes' }).click();
    const preview = dialog.getByTestId('store-edit-preview');
    await preview.waitFor();
    expect(await preview.innerText()).toBe(`${green} member${green === 1 ? '' : 's'} would be able to shop here. Offers already bought stay in their wallets.`);
    expect((await lounge()).version).toBe(1);

    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.getByRole('status').filter({ hasText: 'saved' }).innerText()).toBe(`Store “Gold lounge” saved (version 2). ${green} member${green === 1 ? '' : 's'} can now shop here.`);
    await card.getByText('BEANS · open with no end · who: tiers GOLD, GREEN').waitFor();
    expect(await lounge()).toMatchObject({ version: 2, eligible_tiers: ['GOLD', 'GREEN'] });
    expect(await seriousViolations(page)).toEqual([]);
  }, 90_000);

  test("another operator's save meanwhile: Save changes is refused, nothing is written, and the form shows their version", async () => {
    const page = await started.web.consoleAsOperator('Stores');
    const card = page.getByRole('region', { name: /Gold lounge/ });
    await card.getByRole('button', { name: 'Edit Gold lounge' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit store “Gold lounge”' });
    await dialog.getByLabel(/Only these tiers/).fill('GOLD');
    await dialog.getByRole('button', { name: 'Preview changes' }).click();
    await dialog.getByTestId('store-edit-preview').waitFor();

    // another operator's edit lands between this preview and its save
    const before = await lounge();
    await started.web.t.sql(`update reward_store set min_balance = 500, version = version + 1 where id = $1`, [before.id]);

    await dialog.getByRole('button', { name: 'Save changes' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toContain('Someone else saved a change to this since it was read, so nothing was saved.');
    expect(await lounge()).toMatchObject({ version: before.version + 1, eligible_tiers: before.eligible_tiers });
    // the form is filled again from their version, and asks for a new preview
    await dialog.getByLabel('Minimum balance (empty: none)').and(page.locator('[value="500"]')).waitFor();
    expect(await dialog.getByRole('button', { name: 'Save changes' }).isDisabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  }, 90_000);

  test("a last day already past closes the store for everyone it was open to; emptied, it opens again; the days shown are the store's", async () => {
    const { t } = started.web;
    const open = (
      await t.sql<{ n: number }>(`select count(*)::int as n from customer where status = 'ACTIVE'`)
    )[0].n;
    const page = await started.web.consoleAsOperator('Stores');
    const card = page.getByRole('region', { name: /Everyday rewards/ });
    const edit = async () => {
      await card.getByRole('button', { name: 'Edit Everyday rewards' }).click();
      const dialog = page.getByRole('dialog', { name: 'Edit store “Everyday rewards”' });
      await dialog.waitFor();
      return dialog;
    };
    const previewAndSave = async (dialog: Awaited<ReturnType<typeof edit>>) => {
      await dialog.getByRole('button', { name: 'Preview changes' }).click();
      const preview = await dialog.getByTestId('store-edit-preview').innerText();
      await dialog.getByRole('button', { name: 'Save changes' }).click();
      await dialog.waitFor({ state: 'detached' });
      return preview;
    };
    const yesterday = new Date(Date.parse(t.clock.now().toISOString().slice(0, 10)) - 86_400_000).toISOString().slice(0, 10);

    let dialog = await edit();
    await dialog.getByLabel(/Last day open/).fill(yesterday);
    expect(await previewAndSave(dialog)).toBe(`${open} members who can shop here now would no longer be able to. Offers already bought stay in their wallets.`);
    const [closed] = await t.sql<{ ends_at: Date; starts_at: Date | null }>(`select ends_at, starts_at from reward_store where code = 'everyday'`);
    expect({ endsAt: closed.ends_at.toISOString(), startsAt: closed.starts_at }).toEqual({ endsAt: `${t.clock.now().toISOString().slice(0, 10)}T00:00:00.000Z`, startsAt: null });
    // the card says it is closed now, not "open through" its last day (newcomer-39)
    await card.getByText(`BEANS · closed: it was open through ${new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(yesterday))} (UTC)`).waitFor();

    // the form shows the day it was given, and a save that keeps it keeps the instant
    dialog = await edit();
    expect(await dialog.getByLabel(/Last day open/).inputValue()).toBe(yesterday);
    await dialog.getByLabel(/Last day open/).fill('');
    expect(await previewAndSave(dialog)).toBe(`${open} members would be able to shop here. Offers already bought stay in their wallets.`);
    expect((await t.sql<{ ends_at: Date | null }>(`select ends_at from reward_store where code = 'everyday'`))[0].ends_at).toBeNull();

    // a last day ahead changes nothing now, and the preview says what it does then (newcomer-39)
    const ahead = new Date(Date.parse(t.clock.now().toISOString().slice(0, 10)) + 10 * 86_400_000);
    dialog = await edit();
    await dialog.getByLabel(/Last day open/).fill(ahead.toISOString().slice(0, 10));
    await dialog.getByRole('button', { name: 'Preview changes' }).click();
    const closesThen = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(ahead.getTime() + 86_400_000));
    expect(await dialog.getByTestId('store-edit-preview').innerText()).toBe(
      `No member would gain or lose the store. From ${closesThen} (UTC) no member can shop here. Offers already bought stay in their wallets.`,
    );
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await seriousViolations(page)).toEqual([]);
  }, 90_000);

  test('the Rules page names each tier by the code tier lists take, with the window its threshold counts', async () => {
    const page = await started.web.consoleAsOperator('Rules');
    const row = page.getByRole('region', { name: 'Currencies and tiers' }).getByRole('row').filter({ hasText: 'BEANS' });
    expect(await row.getByRole('cell').nth(3).innerText()).toBe('Green (GREEN) from 0 lifetime · Gold (GOLD) from 1,000 in 365 days ×1.5');
  }, 60_000);

  test("a listing's edit restocks it in place: the stock left moves by as much as the total, and the table says so (listing-edit-39)", async () => {
    const { t } = started.web;
    const [cup] = await t.sql<{ stock_total: number; stock_remaining: number }>(
      `select l.stock_total, l.stock_remaining from listing l join offer o on o.id = l.offer_id join offer_version ov on ov.id = o.current_version_id where ov.name = 'Bean & Leaf reusable cup'`,
    );
    const sold = cup.stock_total - cup.stock_remaining;
    const page = await started.web.consoleAsOperator('Stores');
    await page.getByRole('button', { name: 'Edit Bean & Leaf reusable cup' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit listing “Bean & Leaf reusable cup”' });
    await dialog.waitFor();
    expect(await dialog.getByText(/sold so far/).innerText()).toBe(`${sold} sold so far; ${cup.stock_remaining} left. The stock left moves by as much as this.`);
    await dialog.getByLabel('Stock in all (those sold included)').fill(String(cup.stock_total + 10));
    await dialog.getByLabel('Reason (kept in the audit log, optional)').fill('  Restocked: the spring delivery came in  ');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.getByRole('status').filter({ hasText: 'saved' }).innerText()).toBe(
      `“Bean & Leaf reusable cup” saved (version 2): 800 points, ${cup.stock_remaining + 10} of ${cup.stock_total + 10} left, at most 1 per member.`,
    );
    await page.getByRole('cell', { name: `${cup.stock_remaining + 10} of ${cup.stock_total + 10}` }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    // the why, trimmed, on the edit's row of the Audit page (reason-40)
    const audit = await started.web.consoleAsOperator('Audit log');
    const row = audit.getByTestId('audit-row').filter({ has: audit.getByRole('cell', { name: 'updateListing', exact: true }) }).first();
    expect(await row.getByRole('cell').nth(4).innerText()).toBe('Restocked: the spring delivery came in');
  }, 60_000);

  test("a listing's Remove asks first and takes a reason: Cancel keeps it; Remove listing takes it off sale, says so, and the Audit log shows why (newcomer-40)", async () => {
    const { t } = started.web;
    const onSale = async () =>
      (
        await t.sql<{ n: number }>(
          `select count(*)::int as n from listing l join offer o on o.id = l.offer_id join offer_version ov on ov.id = o.current_version_id where ov.name = '€2 off your order' and l.removed_at is null`,
        )
      )[0].n;
    expect(await onSale()).toBe(1);
    const page = await started.web.consoleAsOperator('Stores');
    const removeButton = page.getByRole('button', { name: 'Remove €2 off your order' });
    await removeButton.click();
    const dialog = page.getByRole('dialog', { name: 'Remove “€2 off your order” from “Everyday rewards”?' });
    await dialog.waitFor();
    // the focus starts on Cancel, and Cancel sends nothing
    await until(async () => (await page.evaluate(() => (globalThis as InPage).document.activeElement?.textContent)) === 'Cancel', 'the focus on Cancel');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await onSale()).toBe(1);
    await removeButton.click();
    await dialog.getByLabel('Reason (kept in the audit log, optional)').fill('Promotion over');
    await dialog.getByRole('button', { name: 'Remove listing' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.getByRole('status').filter({ hasText: 'removed' }).innerText()).toBe(
      '“€2 off your order” removed from “Everyday rewards”: members can no longer buy it there. Offers already bought stay in their wallets.',
    );
    expect(await onSale()).toBe(0);
    await removeButton.waitFor({ state: 'detached' });
    const audit = await started.web.consoleAsOperator('Audit log');
    const row = audit.getByTestId('audit-row').filter({ has: audit.getByRole('cell', { name: 'removeListing', exact: true }) }).first();
    expect(await row.getByRole('cell').nth(4).innerText()).toBe('Promotion over');
  }, 60_000);
});
