import { DEMO } from '../../src/demo/seed.js';
import { newContext } from '../support/browser.js';
import { pauseClock as pause, startWebStack, until, type WebStack } from '../support/web-pages.js';

const ALICE = DEMO.customers.alice;
const HOUR = 3_600_000;

/**
 * small-25: the apps read a `Retry-After` given as an HTTP-date (RFC 9110 §10.2.3) against the
 * device's clock, so a device whose clock was set an hour back waited an hour more than the gateway
 * asked, and one set an hour ahead did not wait at all. It is now measured against the gateway's
 * clock: the same answer's `Date`. A real gateway and database, a real Chromium; the member's
 * History read is answered once by a routed 503 (Playwright `page.route`) carrying `Retry-After:
 * <gateway time + 20 s>` and `Date: <gateway time>` (the test gateway's clock), then passes through.
 * The page's clock is Playwright's, paused, set an hour off, and moved by the test: "not before"
 * and "by" are counts of what the page sent once its clock was moved, never measured durations.
 */
describe("a Retry-After date is measured against the gateway's clock, not the device's (small-25)", () => {
  let stack: WebStack;

  beforeAll(async () => {
    stack = await startWebStack({ PERSISTED_ONLY: 'web,console' });
  });
  afterAll(async () => stack?.close());

  test.each([
    { device: 'an hour behind', offset: -HOUR },
    { device: 'an hour ahead', offset: HOUR },
  ])('the device clock $device: a read answered 503 "Retry-After: <gateway time + 20 s>" is sent again after 20 s of page time, not sooner', async ({ offset }) => {
    const { t } = stack;
    const context = await newContext(stack.browser, stack.base, 'phone');
    stack.contexts.push(context);
    const page = await context.newPage();
    await page.clock.install();
    await page.goto(`/#token=${await t.customerToken(ALICE)}`);
    await page.getByTestId('balance-BEANS').filter({ hasText: 'BEANS' }).waitFor();

    const historyOf = (body: string | null) => JSON.parse(body ?? '{}').operationName === 'MemberHistory';
    // Reads sent (counted as the page sends them, not as answers arrive) and their answers' statuses.
    let sent = 0;
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/graphql' && r.method() === 'POST' && historyOf(r.postData())) sent++;
    });
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/graphql' && r.request().method() === 'POST' && historyOf(r.request().postData())) statuses.push(r.status());
    });
    let answered = false;
    await page.route('**/graphql', async (route) => {
      if (answered || route.request().method() !== 'POST' || !historyOf(route.request().postData())) return route.fallback();
      answered = true;
      const gateway = t.clock.now().getTime();
      await route.fulfill({
        status: 503,
        headers: { 'content-type': 'application/json', date: new Date(gateway).toUTCString(), 'retry-after': new Date(gateway + 20_000).toUTCString() },
        body: JSON.stringify({ errors: [{ message: 'The service is busy; try again shortly.', extensions: { code: 'SERVICE_UNAVAILABLE' } }] }),
      });
    });

    await pause(page);
    // The device's clock set off, as its owner sets it (the time the page has run goes on).
    await page.clock.setSystemTime((await page.evaluate(() => Date.now())) + offset);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History', exact: true }).click();
    await until(() => statuses.length === 1, 'the routed 503');
    await page.clock.runFor(19_000);
    await page.evaluate(() => undefined);
    const sentBy19s = sent;
    await page.clock.runFor(1_500);
    await until(() => statuses.length === 2, 'the retry once the 20 s had passed').catch(() => undefined);
    expect({ sentBy19s, answers: statuses }).toEqual({ sentBy19s: 1, answers: [503, 200] });
    await page.getByRole('table').waitFor();
  });
});
