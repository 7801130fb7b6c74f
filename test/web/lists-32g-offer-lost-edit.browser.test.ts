import { ok } from '../support/gateway.js';
import { UpdateOfferDocument } from '../generated/graphql.js';
import { createOffer, unique } from '../support/program.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

/**
 * Found by break32g's hostile pass on break32e: the console's Offers page, read again (here: the
 * operator goes to Stores and back), read only the first 50 offers and kept the rest as first read
 * (keptPagination kept the pages' end, so useNextPagesWhile never read them again; now it does). An offer
 * past the first 50 that another operator edited meanwhile shows its old texts, and the "Edit an
 * offer" form starts from them: saving a new name writes the old description back over the other
 * operator's (then updateOffer had no version check; since break33 the form sends the version it
 * was read from, see offer-edit-conflict). Before break32e the pages were read again.
 */
describe('console Offers: an offer past the first page edited by another operator', () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });
  const tag = unique('E32');
  let far: { id: string; name: string };

  beforeAll(async () => {
    const { t } = started.web;
    const made: { id: string; name: string }[] = [];
    for (let i = 0; i < 51; i++) made.push(await createOffer(t, `Perk ${i + 1} ${tag}`));
    const first = ok(await t.gql<{ offers: { edges: { node: { name: string } }[] } }, object>(`{ offers(first: 50) { edges { node { name } } } }`, {}, t.operatorToken)).offers.edges.map((e) => e.node.name);
    far = made.find((o) => !first.includes(o.name))!;
  }, 240_000);

  test('going to Stores and back shows the other operator\'s description, and renaming the offer keeps it', async () => {
    const { t } = started.web;
    expect(far).toBeDefined();
    const page = await started.web.consoleAsOperator('Offers');
    const row = page.getByTestId('offer-row').filter({ hasText: far.name });
    await row.waitFor();
    // another operator writes the offer's description
    ok(await t.gql(UpdateOfferDocument, { input: { offerId: far.id, description: 'Written by the other operator' } }, t.operatorToken));
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Stores', exact: true }).click();
    await page.getByRole('heading', { level: 2, name: 'Add a listing' }).waitFor();
    await nav.getByRole('link', { name: 'Offers', exact: true }).click();
    await row.waitFor();
    await page.waitForTimeout(4_000);
    const rowText = (await row.textContent()) ?? '';
    // this operator renames it with the edit form
    const option = page.locator('#f-offerId option').filter({ hasText: far.name });
    await page.locator('#f-offerId').selectOption((await option.getAttribute('value'))!);
    await page.waitForTimeout(500);
    await page.locator('#f-name').fill(`${far.name} renamed`);
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    type Offers = { offers: { edges: { node: { name: string; description: string | null } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    let now: { name: string; description: string | null } | undefined;
    for (let after: string | null = null; ; ) {
      const got: Offers = ok(await t.gql<Offers, object>(`query($after: String) { offers(first: 100, after: $after) { edges { node { name description } } pageInfo { hasNextPage endCursor } } }`, { after }, t.operatorToken));
      now ??= got.offers.edges.find((e) => e.node.name === `${far.name} renamed`)?.node;
      if (!got.offers.pageInfo.hasNextPage) break;
      after = got.offers.pageInfo.endCursor;
    }
    expect(now).toBeDefined();
    expect({ rowShowsIt: rowText.includes('Written by the other operator'), description: now?.description }).toEqual({ rowShowsIt: true, description: 'Written by the other operator' });
    await page.close();
  }, 120_000);
});
