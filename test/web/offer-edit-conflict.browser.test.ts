import { ok } from '../support/gateway.js';
import { UpdateOfferDocument } from '../generated/graphql.js';
import { createOffer, unique } from '../support/program.js';
import { expectValue } from '../support/web-pages.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

type Offers = { offers: { edges: { node: { offerId: string; version: number; name: string; description: string | null } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

/**
 * break33: the console's "Edit an offer" form starts from the texts it read and sends them all, so
 * an operator who saved after another operator's edit wrote the old texts back over it (the form
 * had no way to say which version it was made from). It now sends `expectedVersion`: the gateway
 * refuses VERSION_CONFLICT, nothing is written, and the form is filled anew from the current version.
 */
describe('console Offers: an edit made while another operator saved the same offer', () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });
  const name = unique('Conflict perk');
  let offerId: string;

  beforeAll(async () => {
    offerId = (await createOffer(started.web.t, name)).id;
  }, 60_000);

  /** The offer as the gateway has it now. */
  const current = async () => {
    const { t } = started.web;
    for (let after: string | null = null; ; ) {
      const got: Offers = ok(await t.gql<Offers, object>(`query($after: String) { offers(first: 100, after: $after) { edges { node { offerId version name description } } pageInfo { hasNextPage endCursor } } }`, { after }, t.operatorToken));
      const found = got.offers.edges.find((e) => e.node.name.startsWith(name))?.node;
      if (found) return found;
      if (!got.offers.pageInfo.hasNextPage) throw new Error(`no offer named ${name}`);
      after = got.offers.pageInfo.endCursor;
    }
  };

  test("saving is refused with the other operator's name kept, and the form then starts from their version", async () => {
    const { t } = started.web;
    const page = await started.web.consoleAsOperator('Offers');
    await page.getByTestId('offer-row').filter({ hasText: name }).waitFor();
    const option = page.locator('#f-offerId option').filter({ hasText: name });
    await page.locator('#f-offerId').selectOption((await option.getAttribute('value'))!);
    await expectValue(page, '#f-name', name);

    // meanwhile another operator renames it
    const renamed = `${name} (renamed by the other operator)`;
    ok(await t.gql(UpdateOfferDocument, { input: { offerId, name: renamed } }, t.operatorToken));

    // this operator, from the texts read before, writes a description
    await page.locator('#f-description').fill('Written by this operator');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Someone else saved a change' });
    await alert.waitFor();
    expect(await alert.getAttribute('data-code')).toBe('VERSION_CONFLICT');
    expect(await current()).toMatchObject({ version: 2, name: renamed, description: 'With any coffee' });

    // the form now holds version 2's texts: the same edit again keeps the other operator's name
    await expectValue(page, '#f-name', renamed);
    await page.locator('#f-description').fill('Written by this operator');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByRole('status').filter({ hasText: 'as version 3' }).waitFor();
    expect(await current()).toMatchObject({ version: 3, name: renamed, description: 'Written by this operator' });
    await page.close();
  }, 120_000);

  test('what the operator typed stays when the offers are read again with another operator’s version, and saving it is refused, not lost', async () => {
    const { t } = started.web;
    const page = await started.web.consoleAsOperator('Offers');
    await page.getByTestId('offer-row').filter({ hasText: name }).waitFor();
    const option = page.locator('#f-offerId option').filter({ hasText: name });
    await page.locator('#f-offerId').selectOption((await option.getAttribute('value'))!);
    const before = await current();
    await expectValue(page, '#f-name', before.name);
    await page.locator('#f-description').fill('Typed, not yet saved');

    // another operator edits the offer; this one creates another offer beside, which reads the offers again
    ok(await t.gql(UpdateOfferDocument, { input: { offerId, terms: 'The other operator’s terms' } }, t.operatorToken));
    await page.locator('#f-newName').fill(unique('Side offer'));
    await page.locator('#f-value').fill('1.00');
    await page.getByRole('button', { name: 'Create offer' }).click();
    await page.getByRole('status').filter({ hasText: 'Offer created.' }).waitFor();
    const warning = page.getByRole('alert').filter({ hasText: `Someone else saved version ${before.version + 1} of this offer` });
    await warning.waitFor();
    expect(await page.locator('#f-description').inputValue()).toBe('Typed, not yet saved');

    // saved anyway: refused, the other operator's terms kept; loading their version fills the form from it
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByRole('alert').filter({ hasText: 'Someone else saved a change' }).waitFor();
    expect(await current()).toMatchObject({ version: before.version + 1, description: before.description });
    await expectValue(page, '#f-description', before.description ?? '');
    expect(await warning.count()).toBe(0);
    await page.close();
  }, 120_000);
});

