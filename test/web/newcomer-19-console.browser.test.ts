import { PARTNER_SCOPES } from '../../src/partners/partner.service.js';
import { ok, type TestGateway } from '../support/gateway.js';
import { startWebGateway, type WebGateway } from '../support/web-gateway.js';

/**
 * Two console forms a newcomer operator met (newcomer-19), in a real Chromium against a started
 * gateway with the console's trusted documents only: "Create a partner" offered every scope but
 * webhooks:manage, so no partner made there could register its own webhook endpoint; "Create a
 * campaign" sent its end date as that day's 00:00 UTC (the API's endsAt is exclusive), so the day
 * chosen was left out and a one-day campaign was refused "endsAt must be after startsAt".
 */
describe('the console for a newcomer operator (newcomer-19)', () => {
  let web: WebGateway;
  let t: TestGateway;

  beforeAll(async () => {
    web = await startWebGateway({ demo: true, size: 'desktop' });
    t = web.t;
  });
  afterAll(() => web?.close());

  test('"Create a partner" offers every scope the gateway has, webhooks:manage included, and creates the partner with it', async () => {
    const page = await web.consoleAsOperator('Partners');
    const form = page.getByRole('region', { name: 'Create a partner' });
    const boxes = form.getByRole('checkbox');
    const offered = await Promise.all((await boxes.all()).map((box) => box.getAttribute('value')));
    expect(offered).toEqual([...PARTNER_SCOPES]);
    await form.getByLabel('Name').fill('Newcomer webhooks POS');
    await form.getByRole('checkbox', { name: 'transactions:read' }).check();
    await form.getByRole('checkbox', { name: 'webhooks:manage' }).check();
    await form.getByRole('button', { name: 'Create partner' }).click();
    await page.getByTestId('new-key').waitFor();
    const { partners } = ok(await t.gql<{ partners: { name: string; scopes: string[] }[] }, object>('{ partners { name scopes } }', {}, t.operatorToken));
    expect(partners.find((p) => p.name === 'Newcomer webhooks POS')?.scopes).toEqual(['transactions:read', 'webhooks:manage']);
  }, 60_000);

  test('a campaign runs through the last day chosen: one day is start and end the same day, shown so in the list', async () => {
    const page = await web.consoleAsOperator('Rules');
    const form = page.getByRole('region', { name: 'Create a campaign' });
    await form.getByLabel('Name').fill('Newcomer Christmas Eve');
    await form.getByLabel('Starts (UTC)').fill('2026-12-24');
    await form.getByLabel('Last day (UTC)').fill('2026-12-24');
    await form.getByLabel('Bonus points per sale').fill('7');
    await form.getByRole('button', { name: 'Create campaign' }).click();
    await form.getByRole('status').filter({ hasText: 'Campaign created.' }).waitFor();
    const { campaigns } = ok(await t.gql<{ campaigns: { name: string; startsAt: string; endsAt: string }[] }, object>('{ campaigns { name startsAt endsAt } }', {}, t.operatorToken));
    expect(campaigns.find((c) => c.name === 'Newcomer Christmas Eve')).toEqual({ name: 'Newcomer Christmas Eve', startsAt: '2026-12-24T00:00:00.000Z', endsAt: '2026-12-25T00:00:00.000Z' });
    await page.getByRole('row').filter({ hasText: 'Newcomer Christmas Eve' }).filter({ hasText: '24 Dec 2026 – 24 Dec 2026' }).waitFor();
  }, 60_000);
});
