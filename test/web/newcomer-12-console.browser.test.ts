import type { Browser, BrowserContext } from 'playwright-core';
import { gatewaySchema } from '../../src/graphql/schema.js';
import { DEMO, seedDemo } from '../../src/demo/seed.js';
import { registerFirstPartyManifests } from '../../src/persisted/first-party.js';
import { launchChromium, newContext } from '../support/browser.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * newcomer-12: an operator who typed "abc" as a percent off in the console's "Create an offer" read
 * the gateway's "A benefit of kind PERCENT_OFF needs percentOff." (the form sent NaN, which JSON
 * writes as null), naming an API field the form does not show. The console now says what a percent
 * off is and sends nothing; a number creates the offer. A real Chromium against a started gateway.
 */
describe('the console refuses a percent off that is not a number (newcomer-12)', () => {
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

  test('"abc" is refused in the form\'s words and creates nothing; 15 creates the offer', async () => {
    const page = await context.newPage();
    await page.goto('/console/');
    await page.getByRole('button', { name: `Continue as operator (${DEMO.staff.operator})` }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Offers', exact: true }).click();
    await page.getByTestId('offer-row').first().waitFor();
    const form = page.getByRole('region', { name: 'Create an offer' });
    await form.getByLabel('Name').fill('Newcomer 15% off');
    await form.getByLabel('Benefit').selectOption('PERCENT_OFF');
    await form.getByLabel('Amount, percent or free SKU').fill('abc');
    await form.getByRole('button', { name: 'Create offer' }).click();
    await expect(form.getByRole('alert').textContent()).resolves.toBe('Something in the form is not valid. A percent off is a number such as 15, not "abc".');
    const count = async () => (await t.sql<{ n: number }>(`select count(*)::int as n from offer_version where name = 'Newcomer 15% off'`))[0].n;
    expect(await count()).toBe(0);

    await form.getByLabel('Amount, percent or free SKU').fill('15');
    await form.getByRole('button', { name: 'Create offer' }).click();
    await form.getByRole('status').filter({ hasText: 'Offer created.' }).waitFor();
    await page.getByTestId('offer-row').filter({ hasText: 'Newcomer 15% off' }).filter({ hasText: '15% off' }).waitFor();
    expect(await count()).toBe(1);
  }, 60_000);
});
