import { webGatewayPerBlock } from '../support/web-gateway.js';

/**
 * customer-search-40: a support operator with a member's email or name on the phone finds them on
 * the console's Customers page: the matches (name, email, id, status, tier), announced, paged with
 * "Show more customers", each a link to the customer; a whole customer id or email (any case;
 * an email's accents too, search-46) goes straight to them.
 */
describe('console: searching customers by email, name or id', () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });
  const MANY = 34;

  beforeAll(async () => {
    // One statement: 34 "Quinn Searchwell" customers (every fifth CLOSED), and ids that start one another.
    await started.web.t.sql(
      `insert into customer (external_id, email, name, status)
       select 'sw-' || i, 'quinn' || i || '@example.com', 'Quinn Searchwell ' || i, case when i % 5 = 0 then 'CLOSED' else 'ACTIVE' end from generate_series(1, ${MANY}) i
       union all values ('sw-50%', null, 'Percy Literal', 'SUSPENDED'), ('sw-50x', null, 'Xavier Other', 'ACTIVE'),
         ('sw-zoe', 'Zoë.Noël@example.com', 'Zoë Noël', 'ACTIVE')`,
    );
  });

  test('a name lists its matches, announced and paged; a match opens the customer', async () => {
    const page = await started.web.consoleAsOperator('Customers');
    const box = page.getByLabel('Email, name or customer id');
    await box.fill('searchw');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('heading', { level: 1, name: 'Customers matching searchw' }).waitFor();

    const summary = page.getByRole('status').filter({ hasText: 'match' });
    await summary.filter({ hasText: '30 customers match “searchw”, and more' }).waitFor();
    const found = page.getByRole('region', { name: 'Customers found' });
    const rows = found.getByRole('row');
    expect(await rows.count()).toBe(1 + 30);
    expect(await found.getByRole('columnheader').allTextContents()).toEqual(['Name', 'Email', 'Customer id', 'Status', 'Tier']);

    await page.getByRole('button', { name: 'Show more customers' }).click();
    await summary.filter({ hasText: `${MANY} customers match “searchw”.` }).waitFor();
    expect(await rows.count()).toBe(1 + MANY);
    await page.getByRole('button', { name: 'Show more customers' }).waitFor({ state: 'detached' });
    // every one of them once, the closed ones too, with what the operator needs to tell them apart (the demo's lowest tier, Green, holds from 0 points)
    const ids = await found.locator('tbody td.code').allTextContents();
    expect(new Set(ids).size).toBe(MANY);
    expect(await rows.filter({ hasText: 'sw-10' }).textContent()).toBe('Quinn Searchwell 10quinn10@example.comsw-10CLOSEDGreen');

    await found.getByRole('link', { name: 'Quinn Searchwell 10', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Customer sw-10' }).waitFor();
    // the Customers tab is the current page's on a customer's page too (newcomer-40)
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers', exact: true }).getAttribute('aria-current')).toBe('page');
    await page.getByText('quinn10@example.com').waitFor();
    // Back: the list again, all of it, the customer come from still on it (search-47: the first page read again replaced the list, 30 rows)
    // (after the first page's read again has answered, and two frames for React to draw what it read)
    const readAgain = page.waitForResponse((response) => response.request().postData()?.includes('ConsoleCustomerSearch') ?? false);
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: 'Customers matching searchw' }).waitFor();
    await readAgain;
    await page.evaluate(() => new Promise((resolve) => {
      const frame = (globalThis as unknown as { requestAnimationFrame(then: () => void): void }).requestAnimationFrame;
      frame(() => frame(() => resolve(null)));
    }));
    await summary.filter({ hasText: `${MANY} customers match “searchw”.` }).waitFor();
    expect(await rows.count()).toBe(1 + MANY);
    await found.getByRole('link', { name: 'Quinn Searchwell 10', exact: true }).waitFor();
    await page.close();
  }, 60_000);

  test('a whole customer id goes straight to the customer; % is a plain character; a refusal says why', async () => {
    const page = await started.web.consoleAsOperator('Customers');
    const box = page.getByLabel('Email, name or customer id');
    const find = async (text: string) => {
      await box.fill(text);
      await page.getByRole('button', { name: 'Find' }).click();
    };
    // sw-1 starts sw-10…sw-19 too: the whole id is the one meant
    await find('sw-1');
    await page.getByRole('heading', { level: 1, name: 'Customer sw-1' }).waitFor();

    await find('sw-50');
    await page.getByRole('status').filter({ hasText: '2 customers match “sw-50”.' }).waitFor();
    // a whole id in another case, and a whole email, go straight to their customer too (newcomer-40)
    await find('SW-50%');
    await page.getByRole('heading', { level: 1, name: 'Customer sw-50%' }).waitFor();
    await find('QUINN7@Example.com');
    await page.getByRole('heading', { level: 1, name: 'Customer sw-7' }).waitFor();
    // typed without its accents: a name lists her, her whole email goes straight to her (search-46)
    await find('zoe noel');
    await page.getByRole('status').filter({ hasText: '1 customer matches “zoe noel”.' }).waitFor();
    await find('ZOE.NOEL@example.com');
    await page.getByRole('heading', { level: 1, name: 'Customer sw-zoe' }).waitFor();
    await find('percy');
    await page.getByRole('status').filter({ hasText: '1 customer matches “percy”.' }).waitFor();
    const only = page.getByRole('region', { name: 'Customers found' }).getByRole('row');
    expect(await only.nth(1).textContent()).toBe('Percy Literalsw-50%SUSPENDEDGreen');
    // its page, though its id has a % in the address (sw-50%25)
    await only.getByRole('link', { name: 'Percy Literal' }).click();
    await page.getByRole('heading', { level: 1, name: 'Customer sw-50%' }).waitFor();
    await page.getByText('SUSPENDED').first().waitFor();

    await find('nobody-like-this');
    await page.getByRole('status').filter({ hasText: 'No customer matches “nobody-like-this”.' }).waitFor();

    await find('qu\u200binn');
    await page.getByRole('alert').filter({ hasText: 'search has a character that shows nothing (\\u200B)' }).waitFor();
    // one character is an id lookup, and the page says how to search instead (newcomer-40)
    await find('q');
    await page.getByRole('alert').filter({ hasText: 'No customer has the id “q”. To find one by a name or an email, type at least 2 characters.' }).waitFor();
    await page.close();
  }, 60_000);
  // hostile40: a match's place is (how it matches, row id), and an edit to its email or name changes
  // how it matches: a customer shown on the first page and edited before "Show more customers"
  // came again on the next page, listed twice and counted twice.
  test('a customer edited while the list is paged is listed once', async () => {
    const page = await started.web.consoleAsOperator('Customers');
    await page.getByLabel('Email, name or customer id').fill('quinn');
    await page.getByRole('button', { name: 'Find' }).click();
    const summary = page.getByRole('status').filter({ hasText: 'match' });
    await summary.filter({ hasText: '30 customers match “quinn”, and more' }).waitFor();
    // sw-1 matched by the start of its email (shown first); now only by its name, which comes after every email match
    await started.web.t.sql(`update customer set email = 'moved-1@example.com' where external_id = 'sw-1'`);
    await page.getByRole('button', { name: 'Show more customers' }).click();
    await page.getByRole('button', { name: 'Show more customers' }).waitFor({ state: 'detached' });
    const found = page.getByRole('region', { name: 'Customers found' });
    const ids = await found.locator('tbody td.code').allTextContents();
    expect({ said: await summary.textContent(), rows: ids.length, distinct: new Set(ids).size }).toEqual({ said: `${MANY} customers match “quinn”.`, rows: MANY, distinct: MANY });
    await page.close();
  }, 60_000);
});
