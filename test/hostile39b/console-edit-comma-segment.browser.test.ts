import { ok } from '../support/gateway.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

const CREATE_STORE = `mutation($input: CreateRewardStoreInput!) { createRewardStore(input: $input) { rewardStore { id } userErrors { code message } } }`;
const UPSERT = `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code message } } }`;

/**
 * hostile39b: a segment is any tag without invisible or stray white space, commas included
 * ("Paris, FR": tagProblem allows it, and the API stores it). The console's Edit dialog shows a
 * store's segments joined with ", " in one field and reads them back split on commas, and always
 * sends the whole eligibility (`eligibility` replaces every rule). An operator who only renames such
 * a store there replaces its segment "Paris, FR" with two segments "Paris" and "FR": the store is
 * taken from its members, and nothing in the console can put the segment back.
 */
describe('hostile39b: the Edit dialog and a segment with a comma', () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });

  test('renaming a store whose segment has a comma keeps its segment: the preview says no member would lose it', async () => {
    const t = started.web.t;
    const segment = 'Paris, FR';
    ok(await t.gql(UPSERT, { input: { externalId: 'hostile39b-paris', name: 'Paris member', segments: [segment] } }, t.operatorToken));
    const created = ok(
      await t.gql<{ createRewardStore: { rewardStore: { id: string } } }, object>(
        CREATE_STORE,
        { input: { code: 'paris-corner', name: 'Paris corner', currency: 'BEANS', eligibility: { segments: [segment] } } },
        t.operatorToken,
      ),
    ).createRewardStore.rewardStore;
    expect(created.id).toBeTruthy();

    const page = await started.web.consoleAsOperator('Stores');
    const card = page.getByRole('region', { name: /Paris corner/ });
    await card.getByRole('button', { name: 'Edit Paris corner' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit store “Paris corner”' });
    await dialog.waitFor();
    await dialog.getByLabel('Name').fill('Paris corner shop');
    await dialog.getByRole('button', { name: 'Preview changes' }).click();
    const preview = dialog.getByTestId('store-edit-preview');
    await preview.waitFor();
    const previewed = await preview.innerText();
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached' });
    const [row] = await t.sql<{ name: string; eligible_segments: string[] }>(`select name, eligible_segments from reward_store where code = 'paris-corner'`);
    // expected: only the name changed (actual: "1 member who could shop here would no longer be able to",
    // and the segments stored ["Paris", "FR"])
    expect({ previewed, row }).toEqual({
      previewed: 'No member would gain or lose the store. Offers already bought stay in their wallets.',
      row: { name: 'Paris corner shop', eligible_segments: [segment] },
    });
  }, 120_000);
});
