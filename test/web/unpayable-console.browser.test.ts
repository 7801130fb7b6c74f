import type { Browser, BrowserContext } from 'playwright-core';
import { gatewaySchema } from '../../src/graphql/schema.js';
import { DEMO, seedDemo } from '../../src/demo/seed.js';
import { registerFirstPartyManifests } from '../../src/persisted/first-party.js';
import { launchChromium, newContext } from '../support/browser.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * The staff console lists offers no till can apply (`unpayableOffers`, offsale-12b) on its Offers
 * page, with the gateway's reason, so staff need not read the start-up log (offsale-12c). The state
 * before money-12 is made by hand: a listed offer's current version given a maximum discount finer
 * than the program's money. A real Chromium against a started gateway with the console's trusted
 * documents only.
 */
describe('the console shows offers no till can apply (offsale-12c)', () => {
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

  test('an operator sees the listing holding it, the money and why; the section is absent when there is none', async () => {
    const page = await context.newPage();
    await page.goto('/console/');
    await page.getByRole('button', { name: `Continue as operator (${DEMO.staff.operator})` }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Offers', exact: true }).click();
    await page.getByTestId('offer-row').first().waitFor();
    expect(await page.getByRole('heading', { name: 'Offers no till can apply' }).count()).toBe(0);

    const [made] = await t.sql<{ name: string; money: string }>(
      `update offer_version ov set max_discount = 1.255 from offer o, listing l, reward_store s, point_currency pc
        where ov.id = o.current_version_id and l.offer_id = o.id and l.removed_at is null and s.id = l.store_id and pc.code = s.currency_code
          and ov.id = (select o2.current_version_id from listing l2 join offer o2 on o2.id = l2.offer_id where l2.removed_at is null order by l2.id limit 1)
        returning ov.name, pc.money_currency as money`,
    );
    await page.reload();
    const row = page.getByTestId('unpayable-row').filter({ hasText: made.name });
    await row.first().waitFor({ timeout: 15_000 });
    const text = (await row.first().textContent()) ?? '';
    expect(text).toContain('Listing');
    expect(text).toContain(made.money);
    expect(text).toContain(`This offer's maxDiscount 1.255 is finer than ${made.money} can be paid in`);
    await page.getByRole('heading', { name: 'Offers no till can apply' }).waitFor();
  }, 60_000);
});
