import type { Page } from 'playwright-core';
import { answerSuite } from '../support/answer-tabs.js';
import { seriousViolations } from '../support/browser.js';
import { fillStorage, fillStorageInPage, until, type InPage } from '../support/web-pages.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;

/**
 * break2-23: a hostile pass on web-23 and webhooks-23 in the apps, in a real Chromium against a
 * real gateway and database (the apps' trusted documents only): a tab duplicated with the kept
 * keys it held, and the console's "Replay all failed" sent again after its answer was lost.
 */
describe('kept keys and replays, as hostile or unlucky users meet them (break2-23)', () => {
  const { stack, staff, newMember, openTab, toStore, answerLost, purchaseAnswerLost, purchasesOf, memberInStore, consoleTab, runUntil } = answerSuite();

  /** The page's kept write entries (sessionStorage `reward-gateway:<app>:kept:<who>`), as JSON. */
  const keptOf = (page: Page) => page.evaluate(() => Object.fromEntries(Object.entries(sessionStorage).filter(([k]) => k.includes(':kept:'))));


  test('a tab duplicated after a purchase dialog was cancelled buys on its own: the same offer bought in each tab is bought twice', async () => {
    const { member, tab, listing, price, name, dialog } = await memberInStore();
    // The member opens the dialog and changes their mind: nothing was sent.
    await listing.getByRole('button', { name: /^Buy/ }).click();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    // A duplicated tab (the browser's "Duplicate", or window.open of the page) starts with a copy of
    // the tab's sessionStorage: the token, and any kept key.
    const [twin] = await Promise.all([tab.page.context().waitForEvent('page'), tab.page.evaluate(() => void (globalThis as InPage).open((globalThis as InPage).location.href))]);
    const twinListing = twin.getByTestId('listing').first();
    await twinListing.waitFor();
    await twinListing.getByRole('button', { name: /^Buy/ }).click();
    await twin.getByRole('dialog').getByRole('button', { name: 'Confirm purchase' }).click();
    await twin.getByRole('status').filter({ hasText: `Bought “${name}”.` }).waitFor();

    // Back in the first tab, the member buys a second one.
    await listing.getByRole('button', { name: /^Buy/ }).click();
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    const notice = tab.page.getByRole('status').filter({ hasText: name });
    await notice.waitFor();
    expect({ notice: (await notice.innerText()).replace(/ with code \S+$/, ''), available: (await purchasesOf(tab, member)).available, kept: await keptOf(tab.page) }).toEqual({
      notice: `Bought “${name}”. It is in your wallet`,
      available: 500 - 2 * price,
      kept: {},
    });
  }, 120_000);

  test('with the tab\'s storage full, a purchase whose answer was lost is tried again with its key: bought once', async () => {
    const { member, tab, listing, price, dialog } = await memberInStore();
    const purchaseLost = () => answerLost(tab, dialog, 'Confirm purchase', 'MemberPurchase');
    // A first purchase whose outcome is unknown: its key is kept in sessionStorage; the member closes the dialog.
    await listing.getByRole('button', { name: /^Buy/ }).click();
    await purchaseLost();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    // The tab's sessionStorage fills up (its quota is the origin's: whatever else the origin keeps there).
    expect(await fillStorage(tab.page)).toBeGreaterThan(0);
    // Another offer bought, its answer lost, then "Try again".
    const second = tab.page.getByTestId('listing').nth(1);
    const secondPrice = Number((await second.locator('strong').innerText()).replace(/\D/g, ''));
    await second.getByRole('button', { name: /^Buy/ }).click();
    await purchaseLost();
    await dialog.getByRole('button', { name: 'Try again' }).click();
    const notice = tab.page.getByRole('status').filter({ hasText: 'It is in your wallet' });
    await notice.waitFor();
    // The first purchase was sent once; the rest are the second offer's.
    const secondKeys = tab.sent.filter((s) => s.operationName === 'MemberPurchase').slice(1).map((s) => s.variables.input?.idempotencyKey);
    expect({ notice: (await notice.innerText()).slice(0, 22), available: (await purchasesOf(tab, member)).available, sends: secondKeys.length, keys: new Set(secondKeys).size }).toEqual({
      notice: 'You had already bought',
      available: 500 - price - secondPrice,
      sends: 2,
      keys: 1,
    });
  }, 180_000);

  test('with site storage blocked (sessionStorage throws), the member app signs in and buys, and a lost answer is tried again with its key', async () => {
    const member = await newMember();
    const tab = await openTab();
    // What Chromium does when the member blocks the site's data: reading `sessionStorage` throws.
    await tab.page.addInitScript(() =>
      Object.defineProperty(globalThis, 'sessionStorage', {
        get() {
          throw new (globalThis as InPage).DOMException("Failed to read the 'sessionStorage' property from 'Window': Access is denied for this document.", 'SecurityError');
        },
      }),
    );
    await tab.page.goto(`/#token=${await stack().t.customerToken(member, 3_600)}`);
    await tab.page.getByTestId('header-balance').waitFor();
    await toStore(tab);
    const price = Number((await tab.page.getByTestId('listing').first().locator('strong').innerText()).replace(/\D/g, ''));
    const dialog = tab.page.getByRole('dialog');
    await tab.page.getByTestId('listing').first().getByRole('button', { name: /^Buy/ }).click();
    await answerLost(tab, dialog, 'Confirm purchase', 'MemberPurchase');
    await dialog.getByRole('button', { name: 'Try again' }).click();
    const notice = tab.page.getByRole('status').filter({ hasText: 'It is in your wallet' });
    await notice.waitFor();
    expect({ notice: (await notice.innerText()).slice(0, 22), purchases: await purchasesOf(tab, member) }).toEqual({
      notice: 'You had already bought',
      purchases: { keys: 1, sends: 2, available: 500 - price },
    });
  }, 120_000);

  test('with the tab\'s storage full before the sign-in, the member app signs in (review-24: the token is kept by the page, as kept keys are)', async () => {
    const member = await newMember();
    const tab = await openTab();
    // Whatever else the origin keeps in the tab's sessionStorage has used its quota, at every load.
    await tab.page.addInitScript(fillStorageInPage);
    await tab.page.goto(`/#token=${await stack().t.customerToken(member, 3_600)}`);
    const balance = tab.page.getByTestId('header-balance');
    await balance.waitFor();
    expect({ balance: await balance.innerText(), stored: await tab.page.evaluate(() => (globalThis as InPage).sessionStorage.getItem('reward-gateway:web:token')) }).toEqual({
      balance: '500 BEANS',
      stored: null,
    });
  }, 120_000);

  test('a storm of `online` events (a flapping network) while the screen reads again sends one read, and the screen mends', async () => {
    const member = await newMember();
    const tab = await openTab();
    await tab.page.goto(`/#token=${await stack().t.customerToken(member, 3_600)}`);
    await tab.page.getByTestId('header-balance').waitFor();
    await tab.page.context().setOffline(true);
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet', exact: true }).click();
    const offline = tab.page.getByRole('alert').filter({ hasText: 'You are offline.' });
    await offline.waitFor();
    const before = tab.sent.filter((s) => s.operationName === 'MemberWallet').length;
    // Back online, the read held unanswered while the browser says `online` forty more times.
    tab.hold.add('MemberWallet');
    await tab.page.context().setOffline(false);
    await until(() => tab.held.length === 1, 'the wallet read again once online');
    await tab.page.evaluate(() => {
      for (let i = 0; i < 40; i++) (globalThis as InPage).dispatchEvent(new (globalThis as InPage).Event('online'));
    });
    await new Promise((resolve) => setTimeout(resolve, 500)); // any storm of reads would have left by now
    const during = tab.sent.filter((s) => s.operationName === 'MemberWallet').length - before;
    tab.hold.clear();
    // The held read is given up at its answer wait and read again (retryBusyQueries), answered now.
    const empty = tab.page.getByText('Your wallet is empty.');
    await runUntil(tab.page, async () => (await empty.count()) === 1, 'the wallet read again and shown');
    expect({ during, alerts: await offline.count(), violations: await seriousViolations(tab.page) }).toEqual({ during: 1, alerts: 0, violations: [] });
  }, 120_000);

  /** An endpoint at `url` and `count` FAILED deliveries to it, of events `first` … `first + count - 1`, as the delivery job leaves them. */
  const failedDeliveries = async (url: string, first: number, count: number) => {
    const { t } = stack();
    const [known] = await t.sql<{ id: number }>(`select id from webhook_endpoint where url = $1`, [url]);
    if (!known) await staff(REGISTER, { url, eventTypes: ['BALANCE_CHANGED'] });
    await t.sql(
      `insert into webhook_delivery (endpoint_id, event_id, event_type, body, status, attempts, last_error, created_at, finished_at)
       select e.id, $2::bigint + n, 'balance.changed', '{}', 'FAILED', $3, 'HTTP 503', $4, $4 from webhook_endpoint e, generate_series(0, $5::int - 1) as n where e.url = $1`,
      [url, first, t.config.webhooks.maxAttempts, t.clock.now(), count],
    );
  };
  const statusesOf = async (url: string) =>
    Object.fromEntries(
      (await stack().t.sql<{ status: string; count: number }>(`select d.status, count(*)::int as count from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id where e.url = $1 group by d.status`, [url])).map((r) => [
        r.status,
        r.count,
      ]),
    );
  /**
   * `count` FAILED deliveries to `url` (events from `first`), the console's Webhooks page open on
   * them, and its bulk replay form with `url` chosen (written FAILED by the test: no "failing" mark).
   */
  const webhooksWithFailed = async (url: string, first: number, count: number) => {
    await failedDeliveries(url, first, count);
    const tab = await consoleTab();
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks', exact: true }).click();
    await tab.page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    const rows = tab.page.getByTestId('failed-delivery-row');
    await rows.filter({ hasText: `evt_${first + count - 1}` }).waitFor();
    const form = tab.page.getByRole('region', { name: "Replay an endpoint's failed deliveries" });
    const endpoint = form.getByLabel(/^Endpoint/);
    const choose = () => endpoint.selectOption({ label: `${url} (the program)` });
    await choose();
    return { tab, rows, form, endpoint, choose };
  };

  test('"Replay all failed" sent again after its answer was lost, answered by a replay, says so and keeps listed the deliveries that failed since', async () => {
    const url = 'http://127.0.0.1:9/break2-23-lost';
    const { tab, rows, form, choose } = await webhooksWithFailed(url, 610001, 3);

    // The bulk replay runs; its answer never reaches the page.
    await answerLost(tab, form, 'Replay all failed', 'ConsoleReplayFailedWebhookDeliveries');

    // Meanwhile two more of the endpoint's deliveries end FAILED (the receiver is still down); the
    // operator reloads to check, sees them, and sends the form again (its kept key).
    await failedDeliveries(url, 610004, 2);
    await tab.page.reload();
    await rows.filter({ hasText: 'evt_610005' }).waitFor();
    await choose();
    await form.getByRole('button', { name: 'Replay all failed' }).click();
    const notice = form.getByRole('status');
    await notice.waitFor();
    expect({
      notice: await notice.innerText(),
      listed: await rows.allInnerTexts().then((texts) => texts.map((t) => /evt_\d+/.exec(t)?.[0])),
      statuses: await statusesOf(url),
    }).toEqual({
      notice: `This was already done by an earlier submit whose answer was lost: nothing more was changed. (3 deliveries to ${url} were set to be sent again then; any listed below failed since and were not: replay again to send them. None was left out.)`,
      listed: ['evt_610005', 'evt_610004'],
      statuses: { PENDING: 3, FAILED: 2 },
    });
    expect(await seriousViolations(tab.page)).toEqual([]);

    // Sent again, it is a new request: the two go.
    await choose();
    await form.getByRole('button', { name: 'Replay all failed' }).click();
    await form.getByRole('status').filter({ hasText: `2 deliveries to ${url} are being sent again.` }).waitFor();
    await rows.first().waitFor({ state: 'detached' });
    expect(await statusesOf(url)).toEqual({ PENDING: 5 });
  }, 120_000);
  test('"Replay all failed" pressed twice from the keyboard sends once, says how many, and gives the focus back to its button', async () => {
    const url = 'http://127.0.0.1:9/break2-23-twice';
    const { tab, rows, form, endpoint } = await webhooksWithFailed(url, 620001, 2);
    await endpoint.focus();
    await tab.page.keyboard.press('Tab');
    await tab.page.keyboard.press('Enter');
    await tab.page.keyboard.press('Enter');
    const notice = form.getByRole('status');
    await notice.waitFor();
    await rows.filter({ hasText: 'evt_620002' }).waitFor({ state: 'detached' });
    await until(() => tab.page.evaluate(() => (globalThis as InPage).document.activeElement?.textContent === 'Replay all failed'), 'the focus back on Replay all failed');
    expect({
      sends: tab.sent.filter((s) => s.operationName === 'ConsoleReplayFailedWebhookDeliveries').length,
      notice: await notice.innerText(),
      statuses: await statusesOf(url),
      violations: await seriousViolations(tab.page),
    }).toEqual({ sends: 1, notice: `2 deliveries to ${url} are being sent again. None was left out.`, statuses: { PENDING: 2 }, violations: [] });
  }, 120_000);
  // Last: it removes the demo store's first listing, which the tests above buy.
  test('"Try again" after an unknown outcome, the listing removed meanwhile: the first purchase is told, nothing more spent', async () => {
    const { member, tab, dialog, price } = await purchaseAnswerLost();
    const listingId = (tab.held[0].variables.input as { listingId: string }).listingId;
    await staff(`mutation($input: RemoveListingInput!) { removeListing(input: $input) { userErrors { code } } }`, { listingId });
    tab.hold.clear();
    await dialog.getByRole('button', { name: 'Try again' }).click();
    const notice = tab.page.getByRole('status').filter({ hasText: 'It is in your wallet' });
    await notice.waitFor();
    expect({ notice: (await notice.innerText()).replace(/ on .*$/, ''), available: (await purchasesOf(tab, member)).available }).toEqual({
      notice: 'You had already bought “Buy 1 coffee, get a free muffin”',
      available: 500 - price,
    });
  }, 120_000);
});
