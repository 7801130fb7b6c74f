import { toGlobalId } from '../../src/graphql/ids.js';
import { ok } from '../support/gateway.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

const UPDATE = `mutation($input: UpdateRewardStoreInput!) {
  updateRewardStore(input: $input) { rewardStore { version } userErrors { code message } } }`;

/**
 * hostile39b: another operator saves the store after the Stores page was read and before this
 * operator previews their edit (the page open, then "Edit"). The preview is a dry run sent with the
 * page's version, so it is refused VERSION_CONFLICT ("Read it again and edit the current version").
 * docs/decisions.md store-edit-39: "A VERSION_CONFLICT refetches the stores and the form is filled
 * again from the saved version". The dialog does so only for Save's conflict: a preview's conflict
 * leaves the form on the stale version, so every further "Preview changes" is refused again and
 * nothing can be saved until the whole page is reloaded.
 */
describe("hostile39b: a preview refused VERSION_CONFLICT leaves the Edit dialog on the stale version", () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });
  const lounge = async () =>
    (await started.web.t.sql<{ id: string; version: number }>(`select id, version from reward_store where code = 'gold-lounge'`))[0];

  test("another operator's save before the preview: the form is filled from their version and a second preview is answered", async () => {
    const page = await started.web.consoleAsOperator('Stores');
    const card = page.getByRole('region', { name: /Gold lounge/ });
    await card.getByRole('button', { name: 'Edit Gold lounge' }).waitFor();

    // another operator saves an edit through the API after this page read the stores
    const t = started.web.t;
    const before = await lounge();
    const theirs = ok(
      await t.gql<{ updateRewardStore: { rewardStore: { version: number }; userErrors: unknown[] } }, object>(
        UPDATE,
        { input: { storeId: toGlobalId('RewardStore', Number(before.id)), eligibility: { tiers: ['GOLD'], minBalance: 500 } } },
        t.operatorToken,
      ),
    ).updateRewardStore;
    expect(theirs).toMatchObject({ userErrors: [], rewardStore: { version: before.version + 1 } });

    await card.getByRole('button', { name: 'Edit Gold lounge' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit store “Gold lounge”' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Preview changes' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toContain('Someone else saved a change to this since it was read');

    // What the operator should get (as after Save's conflict): the form filled again from the
    // saved version (minimum balance 500), and a preview of their edit of it.
    const refilled = await dialog
      .getByLabel('Minimum balance (empty: none)')
      .and(page.locator('[value="500"]'))
      .waitFor({ timeout: 10_000 })
      .then(() => true, () => false);
    await dialog.getByLabel(/Only these tiers/).fill('GOLD, GREEN');
    await dialog.getByRole('button', { name: 'Preview changes' }).click();
    const answered = await dialog
      .getByTestId('store-edit-preview')
      .waitFor({ timeout: 15_000 })
      .then(() => 'preview', () => 'nothing');
    const stillRefused = (await dialog.getByRole('alert').count()) > 0 ? await dialog.getByRole('alert').innerText() : '';
    expect({ refilled, answered, stillRefused }).toEqual({ refilled: true, answered: 'preview', stillRefused: '' });
  }, 120_000);
});
