import type { Page } from 'playwright-core';
import { ok } from '../support/gateway.js';
import { answerSuite } from '../support/answer-tabs.js';
import { fillStorage, type InPage } from '../support/web-pages.js';

const RETENTION_HOURS = 2;
const HOUR = 3_600_000;

/**
 * web-24: what web-23 and break2-23 left in the apps, in a real Chromium against a real gateway and
 * database (the apps' trusted documents only; IDEMPOTENCY_RETENTION_HOURS=2): the console's unkeyed
 * writes whose answer is lost offer "Try again" (naturally idempotent ones resend the same input,
 * a webhook delivery's replay is keyed now), a kept key older than the gateway's retention is not
 * sent as the same request, a full sessionStorage at sign-in, and a request the browser refused
 * before sending it. The test's route cuts the chosen operations' answers (test/support/answer-tabs.ts).
 */
describe('lost answers, old keys, a full storage and requests never sent (web-24)', () => {
  const { stack, staff, newMember, openTab, purchaseAnswerLost, purchasesOf, memberInStore, consoleTab } = answerSuite({ IDEMPOTENCY_RETENTION_HOURS: String(RETENTION_HOURS) });
  const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
  const unknownIn = (page: Page) => page.getByRole('alert').filter({ hasText: 'it is not known whether this went through' });
  afterEach(() => stack().t.clock.reset());

  test('a revocation whose connection breaks offers "Try again", which sends it again: revoked once, at its first time', async () => {
    const name = `web-24 partner ${Date.now()}`;
    const created = (await staff(`mutation($input: CreatePartnerInput!) { createPartner(input: $input) { partner { id } } }`, { name, scopes: ['offers:redeem'] })) as { createPartner: { partner: { id: string } } };
    const tab = await consoleTab();
    await nav(tab.page, 'Partners');
    const row = tab.page.getByRole('row').filter({ hasText: name });
    tab.cut.add('ConsoleRevokePartner');
    await row.getByRole('button', { name: `Revoke ${name}` }).click();
    // asked first, with a reason for the audit log (newcomer-40's kind: it revoked at one click)
    const dialog = tab.page.getByRole('dialog', { name: `Revoke “${name}”?` });
    await dialog.getByLabel('Reason (kept in the audit log, optional)').fill('Till replaced');
    await dialog.getByRole('button', { name: 'Revoke partner' }).click();
    const unknown = unknownIn(tab.page);
    await unknown.waitFor();
    expect(await unknown.locator('p').first().innerText()).toBe(
      'The connection failed before an answer came, so it is not known whether this went through. Try again: revoking a partner again is safe (it keeps its first revocation’s time).',
    );
    const firstAnswer = (tab.lost[0] as { data: { revokePartner: { partner: { revokedAt: string } } } }).data.revokePartner.partner.revokedAt;
    tab.cut.clear();
    await unknown.getByRole('button', { name: 'Try again' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.filter({ hasText: 'revoked' }).waitFor();
    expect(await tab.page.getByRole('status').filter({ hasText: 'revoked' }).innerText()).toBe(`Partner “${name}” revoked: its key no longer works.`);
    // the reason on its audit entries (the lost send's and the Try again's: a repeat is audited too)
    const reasons = await stack().t.sql<{ reason: string | null }>(`select reason from audit_entry where action = 'revokePartner'`);
    expect([...new Set(reasons.map((r) => r.reason))]).toEqual(['Till replaced']);
    type Partners = { partners: { id: string; revokedAt: string | null }[] };
    const partner = ok(await stack().t.gql<Partners, object>('{ partners { id revokedAt } }', {}, stack().t.operatorToken)).partners.find((p) => p.id === created.createPartner.partner.id);
    expect({ sends: tab.sent.filter((s) => s.operationName === 'ConsoleRevokePartner').length, revokedAt: partner?.revokedAt, alert: await tab.page.getByRole('alert').count() }).toEqual({
      sends: 2,
      revokedAt: firstAnswer,
      alert: 0,
    });
  }, 120_000);

  test('an economy rule whose connection breaks: "Try again" sends what was submitted, not the fields as changed since', async () => {
    const tab = await consoleTab();
    await nav(tab.page, 'Rules');
    const form = tab.page.getByRole('region', { name: 'Set the economy rule' });
    await form.getByLabel('Points per unit of money').fill('7');
    tab.cut.add('ConsoleSetEconomyRule');
    await form.getByRole('button', { name: 'Set economy rule' }).click();
    const unknown = unknownIn(tab.page);
    await unknown.waitFor();
    expect(await unknown.locator('p').first().innerText()).toBe(
      "The connection failed before an answer came, so it is not known whether this went through. Try again: it sets the currency's rule to these values, so setting it twice leaves the rule as setting it once.",
    );
    tab.cut.clear();
    await form.getByLabel('Points per unit of money').fill('99');
    await unknown.getByRole('button', { name: 'Try again' }).click();
    await form.getByRole('status').waitFor();
    const sent = tab.sent.filter((s) => s.operationName === 'ConsoleSetEconomyRule').map((s) => (s.variables.input as { pointsPerUnit?: string }).pointsPerUnit);
    expect({ sent, notice: await form.getByRole('status').innerText() }).toEqual({ sent: ['7', '7'], notice: expect.stringMatching(/^BEANS: 7(\.0+)? points per unit/) });
  }, 120_000);

  test("a webhook delivery's replay whose connection breaks is keyed: \"Try again\" sends the same key and the delivery is replayed once", async () => {
    const { t } = stack();
    const url = `http://127.0.0.1:9/web-24-${Date.now()}`;
    ok(await t.gql(`mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { endpoint { id } } }`, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken));
    const [{ id }] = await t.sql<{ id: string }>(
      `insert into webhook_delivery (endpoint_id, event_id, event_type, body, status, attempts, last_error, finished_at)
       select e.id, 924001, 'balance.changed', '{}', 'FAILED', 1, 'HTTP 503', now() from webhook_endpoint e where e.url = $1 returning id`,
      [url],
    );
    const tab = await consoleTab();
    await nav(tab.page, 'Webhooks');
    const replay = tab.page.getByRole('button', { name: 'Replay evt_924001' });
    tab.cut.add('ConsoleReplayWebhookDelivery');
    await replay.click();
    const unknown = unknownIn(tab.page);
    await unknown.waitFor();
    expect(await unknown.locator('p').first().innerText()).toBe(
      'The connection failed before an answer came, so it is not known whether this went through. Try again: it is sent as the same request, so it cannot happen twice.',
    );
    tab.cut.clear();
    await unknown.getByRole('button', { name: 'Try again' }).click();
    const notice = tab.page.getByRole('status').filter({ hasText: 'evt_924001' });
    await notice.waitFor();
    const keys = tab.sent.filter((s) => s.operationName === 'ConsoleReplayWebhookDelivery').map((s) => s.variables.input?.idempotencyKey);
    const [{ replays }] = await t.sql<{ replays: number }>(`select count(*)::int as replays from audit_entry where action = 'replayWebhookDelivery' and target = $1`, [`WebhookDelivery:${id}`]);
    expect({ sends: keys.length, keys: new Set(keys).size, keyed: typeof keys[0], replays, notice: await notice.innerText() }).toEqual({
      sends: 2,
      keys: 1,
      keyed: 'string',
      replays: 1,
      notice: expect.stringMatching(/^evt_924001 was already set to be sent again by an earlier Replay whose answer was lost: nothing more was sent\./),
    });
  }, 120_000);

  test('a purchase key kept past the gateway\'s retention is not sent as the same request: the member is told to check the wallet, then buys anew', async () => {
    const { member, tab, listing, price, dialog } = await purchaseAnswerLost();
    const name = (await dialog.getByRole('heading').innerText()).replace(/^Buy “|”\?$/g, '');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    tab.hold.clear();
    tab.lose = false;
    // The page says the gateway's retention (its meta), and the tab stays open past it (by the
    // gateway's clock, which the app ages its keys by since apps-25, as by the device's).
    expect(await tab.page.locator('meta[name="idempotency-retention-hours"]').getAttribute('content')).toBe(String(RETENTION_HOURS));
    stack().t.clock.advance(RETENTION_HOURS * HOUR + HOUR);
    await tab.page.clock.fastForward(RETENTION_HOURS * HOUR + HOUR);
    await listing.getByRole('button', { name: /^Buy/ }).click();
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    const expired = dialog.getByRole('alert');
    await expired.waitFor();
    expect({ alert: await expired.locator('p').first().innerText(), purchases: await purchasesOf(tab, member) }).toEqual({
      alert: `This was first sent more than ${RETENTION_HOURS} hours ago and its answer never came; the server remembers a request only that long, so it can no longer be sent as the same one. Check your Wallet for “${name}” before you send it again: sent now, it is a new request.`,
      purchases: { keys: 1, sends: 1, available: 500 - price },
    });
    await dialog.getByRole('button', { name: 'Try again' }).click();
    await dialog.waitFor({ state: 'detached' });
    await tab.page.getByRole('status').filter({ hasText: `Bought “${name}”.` }).waitFor();
    expect(await purchasesOf(tab, member)).toEqual({ keys: 2, sends: 2, available: 500 - 2 * price });
  }, 120_000);

  test('a member signs in with the tab\'s storage full; a token handed over then is the one used, and a reload does not bring the earlier member back', async () => {
    const tab = await openTab();
    await tab.page.goto('/sign-in');
    const signIn = tab.page.getByRole('button', { name: /^Continue as / }).first();
    await signIn.waitFor();
    expect(await fillStorage(tab.page)).toBeGreaterThan(0);
    await signIn.click();
    await tab.page.getByTestId('header-balance').waitFor();

    // A signed-in member's tab whose storage then fills; another member's token handed over, one
    // longer than the first's (a longer id), so that the storage cannot take it in its place.
    const first = await newMember();
    const second = `${first}-handed-over-later`;
    await staff(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code } } }`, { externalId: second, name: 'Handed Over' });
    const other = await openTab();
    await other.page.goto(`/#token=${await stack().t.customerToken(first, 3_600)}`);
    await other.page.getByTestId('header-balance').waitFor();
    expect(await fillStorage(other.page)).toBeGreaterThan(0);
    await other.page.evaluate((token) => void ((globalThis as InPage).location.hash = `token=${token}`), await stack().t.customerToken(second, 3_600));
    await other.page.getByText('Signed in as Handed Over').waitFor();
    // The storage could not keep it: a reload signs out (as a closed tab would), never back to the first member.
    await other.page.reload();
    await other.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  }, 120_000);

  test('a purchase the browser refuses to send says nothing was sent, and "Try again" buys once', async () => {
    const { member, tab, listing, price, name, dialog } = await memberInStore();
    // A script of the page (an extension's, a monitoring tool's) whose fetch throws before anything is sent.
    await tab.page.evaluate(() => {
      const w = globalThis as InPage;
      const native = w.fetch;
      w.fetch = function (...args: unknown[]) {
        if (w.__refuseFetch) throw new TypeError('Blocked by the page');
        return native.apply(this, args);
      };
    });
    await listing.getByRole('button', { name: /^Buy/ }).click();
    await tab.page.evaluate(() => void ((globalThis as InPage).__refuseFetch = true));
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    const refused = dialog.getByRole('alert');
    await refused.waitFor();
    expect({ alert: await refused.innerText(), purchases: await purchasesOf(tab, member) }).toEqual({
      alert: 'The browser refused to send this, so nothing was sent or changed. Try again; if it happens again, reload the page.',
      purchases: { keys: 0, sends: 0, available: 500 },
    });
    await tab.page.evaluate(() => void ((globalThis as InPage).__refuseFetch = false));
    await dialog.getByRole('button', { name: 'Try again' }).click();
    await tab.page.getByRole('status').filter({ hasText: `Bought “${name}”.` }).waitFor();
    expect(await purchasesOf(tab, member)).toEqual({ keys: 1, sends: 1, available: 500 - price });
  }, 120_000);
});
