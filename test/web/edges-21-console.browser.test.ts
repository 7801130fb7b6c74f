import { DEMO } from '../../src/demo/seed.js';
import { ok, type TestGateway } from '../support/gateway.js';
import { startWebGateway, type WebGateway } from '../support/web-gateway.js';

/**
 * Console edges a hostile pass and a newcomer left (edges-21), in a real Chromium against a started
 * gateway with the console's trusted documents only.
 */
describe('console edges (edges-21)', () => {
  let web: WebGateway;
  let t: TestGateway;

  beforeAll(async () => {
    web = await startWebGateway({ demo: true, size: 'desktop' });
    t = web.t;
  });
  afterAll(() => web?.close());

  const lifetimeOf = async (externalId: string) => {
    const { customer } = ok(
      await t.gql<{ customer: { balances: { lifetimeEarned: number; currency: { code: string } }[] } }, { id: string }>(
        'query L($id: String!) { customer(externalId: $id) { balances { lifetimeEarned currency { code } } } }',
        { id: externalId },
        t.operatorToken,
      ),
    );
    return customer.balances.find((b) => b.currency.code === DEMO.currency)?.lifetimeEarned ?? 0;
  };

  const adjustInConsole = async (amount: string, reason: string, qualifying?: string) => {
    const page = await web.consoleAsOperator('Customers');
    await page.getByLabel("Customer id (the retailer's id)").fill(DEMO.customers.carol);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByLabel('Points (negative to debit)').fill(amount);
    await page.getByLabel('Reason (kept in the audit log)').fill(reason);
    if (qualifying) await page.getByLabel('Counts towards lifetime points and tiers').selectOption(qualifying);
    await page.getByRole('button', { name: 'Adjust points' }).click();
    await page.getByRole('status').filter({ hasText: `Adjusted by ${amount}` }).waitFor();
    await page.close();
  };

  test('"Adjust points" left as it is follows the API\'s rule: a +150 goodwill counts towards lifetime points; "No" keeps it out', async () => {
    const before = await lifetimeOf(DEMO.customers.carol);
    await adjustInConsole('150', 'Goodwill for a late delivery');
    expect(await lifetimeOf(DEMO.customers.carol)).toBe(before + 150);
    await adjustInConsole('20', 'Goodwill, not for tiers', 'no');
    expect(await lifetimeOf(DEMO.customers.carol)).toBe(before + 150);
  }, 60_000);

  test('"Create a campaign" takes no last day past 9999-12-30: 9999-12-31 would be sent as year 10000, so the browser refuses it and nothing is sent', async () => {
    const page = await web.consoleAsOperator('Rules');
    const posts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST') posts.push(request.postData() ?? '');
    });
    const form = page.getByRole('region', { name: 'Create a campaign' });
    await form.getByLabel('Name').fill('Edges forever');
    await form.getByLabel('Starts (UTC)').fill('2026-12-24');
    await form.getByLabel('Last day (UTC)').fill('9999-12-31');
    await form.getByLabel('Bonus points per sale').fill('3');
    await form.getByRole('button', { name: 'Create campaign' }).click();
    expect(await form.getByLabel('Last day (UTC)').evaluate((input: HTMLInputElement) => input.validity.rangeOverflow)).toBe(true);
    await form.getByLabel('Last day (UTC)').fill('9999-12-30');
    await form.getByRole('button', { name: 'Create campaign' }).click();
    await form.getByRole('status').filter({ hasText: 'Campaign created.' }).waitFor();
    expect(posts.filter((body) => body.includes('Edges forever')).map((body) => /"endsAt":"([^"]*)"/.exec(body)?.[1])).toEqual(['9999-12-31T00:00:00.000Z']);
    await page.close();
  }, 60_000);
});
