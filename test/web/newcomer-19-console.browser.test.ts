import type { Browser, BrowserContext } from 'playwright-core';
import { gatewaySchema } from '../../src/graphql/schema.js';
import { DEMO, seedDemo } from '../../src/demo/seed.js';
import { PARTNER_SCOPES } from '../../src/partners/partner.service.js';
import { registerFirstPartyManifests } from '../../src/persisted/first-party.js';
import { launchChromium, newContext } from '../support/browser.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * Two console forms a newcomer operator met (newcomer-19), in a real Chromium against a started
 * gateway with the console's trusted documents only: "Create a partner" offered every scope but
 * webhooks:manage, so no partner made there could register its own webhook endpoint; "Create a
 * campaign" sent its end date as that day's 00:00 UTC (the API's endsAt is exclusive), so the day
 * chosen was left out and a one-day campaign was refused "endsAt must be after startsAt".
 */
describe('the console for a newcomer operator (newcomer-19)', () => {
  let t: TestGateway;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    t = await startTestGateway({ PERSISTED_ONLY: 'web,console' });
    await seedDemo(t.orm, t.config, t.clock);
    await registerFirstPartyManifests(t.orm.em.fork(), await gatewaySchema(), t.clock.now());
    browser = await launchChromium();
    context = await newContext(browser, t.url.replace(/graphql$/, ''), 'desktop');
  });
  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  /** A console page, signed in as the demo operator. */
  const asOperator = async (pageName: string) => {
    const page = await context.newPage();
    await page.goto('/console/');
    await page.getByRole('button', { name: `Continue as operator (${DEMO.staff.operator})` }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: pageName, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: pageName }).waitFor();
    return page;
  };

  test('"Create a partner" offers every scope the gateway has, webhooks:manage included, and creates the partner with it', async () => {
    const page = await asOperator('Partners');
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
    const page = await asOperator('Rules');
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
