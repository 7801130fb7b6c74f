import { DEMO } from '../../src/demo/seed.js';
import { startWebGateway, type WebGateway } from '../support/web-gateway.js';
import type { TestGateway } from '../support/gateway.js';

/**
 * The staff console lists offers no till can apply (`unpayableOffers`, offsale-12b) on its Offers
 * page, with the gateway's reason, so staff need not read the start-up log (offsale-12c). The state
 * before money-12 is made by hand: a listed offer's current version given a maximum discount finer
 * than the program's money. A real Chromium against a started gateway with the console's trusted
 * documents only.
 */
describe('the console\'s Offers page: offers no till can apply (offsale-12c), a percent off that is not a number (newcomer-12)', () => {
  let web: WebGateway;
  let t: TestGateway;

  beforeAll(async () => {
    web = await startWebGateway({ demo: true, size: 'desktop' });
    t = web.t;
  });
  afterAll(() => web?.close());

  /** The console's Offers page, signed in as the demo operator. */
  const offersAsOperator = async () => {
    const page = await web.consoleAsOperator('Offers');
    await page.getByTestId('offer-row').first().waitFor();
    return page;
  };

  /**
   * flaky-24: the section rendered its heading while its read was on its way, so a program with no
   * such offer flashed "Offers no till can apply" on every visit (and CI's loaded run of 41819cec
   * caught it in the case below: `Expected: 0, Received: 1`). With the read held, the page shows
   * its offers and no such heading; released (an empty answer), still none.
   */
  test('while the read of offers no till can apply is on its way, the page shows no such section', async () => {
    const page = await web.context.newPage();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = 0;
    await page.route('**/graphql', async (route) => {
      const body = route.request().postData() ? JSON.parse(route.request().postData()!) : undefined;
      if (body?.operationName !== 'ConsoleUnpayableOffers') return route.continue();
      held++;
      await released;
      await route.continue();
    });
    await page.goto('/console/');
    await page.getByRole('button', { name: 'Continue as operator (' + DEMO.staff.operator + ')' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Offers', exact: true }).click();
    await page.getByTestId('offer-row').first().waitFor();
    while (held === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const heading = page.getByRole('heading', { name: 'Offers no till can apply' });
    expect(await heading.count()).toBe(0);
    const answered = page.waitForResponse((response) => response.request().postData()?.includes('ConsoleUnpayableOffers') ?? false);
    release();
    await answered;
    expect(await heading.count()).toBe(0);
    await page.close();
  }, 60_000);

  test('an operator sees the listing holding it, the money and why; the section is absent when there is none', async () => {
    const page = await offersAsOperator();
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

  /**
   * newcomer-12: an operator who typed "abc" as a percent off in "Create an offer" read the
   * gateway's "A benefit of kind PERCENT_OFF needs percentOff." (the form sent NaN, which JSON
   * writes as null), naming an API field the form does not show. The console now says what a
   * percent off is and sends nothing; a number creates the offer.
   */
  test('"abc" is refused in the form\'s words and creates nothing; 15 creates the offer', async () => {
    const page = await offersAsOperator();
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
