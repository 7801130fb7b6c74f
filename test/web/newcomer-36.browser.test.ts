import { DEMO } from '../../src/demo/seed.js';
import { seriousViolations } from '../support/browser.js';
import { seriesCount } from '../support/metrics.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

/**
 * What a newcomer saw when a sign-in reached the wrong app (newcomer-36), in a real Chromium on a
 * started gateway with the apps' trusted documents only: a member's token opened the console as
 * "Analyst (read only)", whose every search was FORBIDDEN and whose Stores page showed the member's
 * own stores; a staff token opened the member app on "You are not allowed to do this. Analysts can
 * look but not change anything." with a Try again that never mends it. And /metrics counted every
 * page of the apps as `route="not_found"` with code 200.
 */
describe('a sign-in in the wrong app says so; pages count as the web route (newcomer-36)', () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });

  test("the console shown a member's token says it needs staff's, with the staff sign-in", async () => {
    const page = await started.web.context.newPage();
    await page.goto(`/console/#token=${await started.web.t.customerToken(DEMO.customers.alice)}`);
    const notice = page.getByTestId('sign-in-notice');
    await notice.waitFor();
    expect({
      notice: await notice.innerText(),
      heading: await page.getByRole('heading', { level: 1 }).innerText(),
      readOnlyBadges: await page.getByTestId('read-only').count(),
    }).toEqual({
      notice: "This is a member's sign-in, not staff's: the console needs a staff sign-in (operator or analyst). Members use the app at /.",
      heading: 'Staff sign in',
      readOnlyBadges: 0,
    });
    // the demo staff sign-in is there, and signs in
    await page.getByRole('button', { name: /Continue as operator/ }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(await page.getByTestId('sign-in-notice').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
  }, 60_000);

  test("the member app shown a staff token says it needs a member's", async () => {
    const page = await started.web.context.newPage();
    await page.goto(`/#token=${started.web.t.operatorToken}`);
    const because = page.getByTestId('signed-out-because');
    await because.waitFor();
    expect(await because.innerText()).toBe("This is a staff sign-in, not a member's: members sign in here, staff use the console at /console/.");
    expect(await page.getByText(/Analysts can look/).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
  }, 60_000);

  test('/metrics counts the apps\' pages and assets under route "web", not "not_found"', async () => {
    const { t } = started.web;
    const scrape = async () => (await t.fetch('/metrics')).text();
    const before = await scrape();
    for (const path of ['/', '/wallet', '/console/', '/console/customers']) expect((await t.fetch(path)).status).toBe(200);
    expect((await t.fetch('/no-such-page.txt')).status).toBe(404);
    const after = await scrape();
    const grew = (series: string) => seriesCount(after, series) - seriesCount(before, series);
    expect({ web: grew('http_responses_total{route="web",code="200"}'), notFound200: grew('http_responses_total{route="not_found",code="200"}'), notFound404: grew('http_responses_total{route="not_found",code="404"}') }).toEqual({
      web: 4,
      notFound200: 0,
      notFound404: 1,
    });
  });
});
