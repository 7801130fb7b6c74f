import { DEMO } from '../../src/demo/seed.js';
import { answerTabs, type AnswerTab } from '../support/answer-tabs.js';
import { startWebStack, until, type WebStack } from '../support/web-pages.js';

/**
 * Reads and writes the network leaves unanswered (web-22), in a real Chromium against a real
 * gateway and database with the apps' trusted documents only. fetch has no timeout of its own: a
 * request held by a half-open connection or a stalled proxy kept a screen at "Loading…" (or a
 * purchase's dialog at its disabled button) until the browser gave up, minutes later. Here the
 * test's route holds the chosen operation's requests without answering them, and moves the page's
 * clock (a second a step) over the app's answer waits (web/src/shared/api.ts `answerWithin`).
 */


describe('answers that never come (web-22)', () => {
  let stack: WebStack;
  let t: WebStack['t'];

  beforeAll(async () => {
    stack = await startWebStack({ PERSISTED_ONLY: 'web,console' });
    t = stack.t;
  });
  afterEach(async () => {
    await Promise.all(stack.contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => stack?.close());

  const { newMember, memberState, openTab, runUntil, purchaseAnswerLost, purchasesOf } = answerTabs(() => stack);
  type Tab = AnswerTab;
  const heldOf = (tab: Tab, operationName: string) => tab.held.filter((s) => s.operationName === operationName);

  test('a member screen whose read is never answered shows the error with "Try again" after the read\'s attempts, and reads again on it', async () => {
    const member = await newMember();
    const tab = await openTab();
    await tab.page.goto(`/#token=${await t.customerToken(member, 3_600)}`);
    await tab.page.getByTestId('header-balance').waitFor();
    tab.hold.add('MemberWallet');
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet', exact: true }).click();
    await tab.page.getByRole('status').filter({ hasText: 'Loading your wallet…' }).waitFor();
    const alert = tab.page.getByRole('alert').filter({ hasText: 'The server did not answer in time.' });
    await runUntil(tab.page, async () => (await alert.count()) === 1, 'the wallet’s read given up: the alert shown');
    // Each attempt given up and sent again (retryBusyQueries' QUERY_ATTEMPTS, 4), then the alert instead of "Loading…".
    expect({ attempts: heldOf(tab, 'MemberWallet').length, loading: await tab.page.getByText('Loading your wallet…').count() }).toEqual({ attempts: 4, loading: 0 });
    tab.hold.clear();
    await alert.getByRole('button', { name: 'Try again' }).click();
    await tab.page.getByText('Your wallet is empty.').waitFor();
    expect(await alert.count()).toBe(0);
  }, 120_000);

  test('a console screen whose read is never answered shows the error with "Try again", and reads again on it', async () => {
    const tab = await openTab();
    await tab.page.goto('/console/');
    await tab.page.getByRole('button', { name: `Continue as operator (${DEMO.staff.operator})` }).click();
    tab.hold.add('ConsoleAuditLog');
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log', exact: true }).click();
    await tab.page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    const alert = tab.page.getByRole('alert').filter({ hasText: 'The server did not answer in time.' });
    await runUntil(tab.page, async () => (await alert.count()) === 1, 'the audit log’s read given up: the alert shown');
    expect({ attempts: heldOf(tab, 'ConsoleAuditLog').length, loading: await tab.page.getByText(/^Loading /).count() }).toEqual({ attempts: 4, loading: 0 });
    tab.hold.clear();
    await alert.getByRole('button', { name: 'Try again' }).click();
    await tab.page.getByRole('region', { name: 'Audit log' }).waitFor();
    expect(await alert.count()).toBe(0);
  }, 120_000);


  test('a purchase whose answer is lost says its outcome is unknown, and "Try again" sends it with the same key: bought once', async () => {
    const { member, tab, price, dialog, unknown } = await purchaseAnswerLost();
    expect(await unknown.innerText()).toContain('Try again: it is sent as the same request, so it cannot happen twice.');
    // Not sent again by the app: once, and it ran (the points are spent).
    expect(await purchasesOf(tab, member)).toEqual({ keys: 1, sends: 1, available: 500 - price });
    tab.hold.clear();
    await dialog.getByRole('button', { name: 'Try again' }).click();
    await tab.page.getByRole('status').filter({ hasText: 'Bought' }).waitFor();
    expect(await purchasesOf(tab, member)).toEqual({ keys: 1, sends: 2, available: 500 - price });
  }, 120_000);

  test('a purchase whose answer is lost, its dialog closed and opened again, is sent with the same key: bought once', async () => {
    const { member, tab, listing, price, dialog } = await purchaseAnswerLost();
    // The member gives up on this dialog, then buys the same offer again.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    tab.hold.clear();
    await listing.getByRole('button', { name: /^Buy/ }).click();
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    await tab.page.getByRole('status').filter({ hasText: 'Bought' }).waitFor();
    expect(await purchasesOf(tab, member)).toEqual({ keys: 1, sends: 2, available: 500 - price });
  }, 120_000);
  test('a console adjustment whose answer is lost says its outcome is unknown; submitted again it is sent with the same key: adjusted once', async () => {
    const member = await newMember();
    const tab = await openTab();
    await tab.page.goto('/console/');
    await tab.page.getByRole('button', { name: `Continue as operator (${DEMO.staff.operator})` }).click();
    await tab.page.getByLabel("Email, name or customer id").fill(member);
    await tab.page.getByRole('button', { name: 'Find' }).click();
    await tab.page.getByTestId(`staff-balance-${DEMO.currency}`).waitFor();
    const form = tab.page.getByRole('region', { name: 'Adjust points' });
    await form.getByLabel('Points (negative to debit)').fill('25');
    await form.getByLabel('Reason (kept in the audit log)').fill('web-22 goodwill');
    tab.hold.add('ConsoleAdjustPoints');
    tab.lose = true;
    await form.getByRole('button', { name: 'Adjust points' }).click();
    await until(() => tab.lost.length === 1, 'the adjustment answered by the gateway, the answer held');
    const unknown = form.getByRole('alert').filter({ hasText: 'it is not known whether this went through' });
    await runUntil(tab.page, async () => (await unknown.count()) === 1, 'the operator told the adjustment’s outcome is unknown');
    expect({ sends: tab.sent.filter((s) => s.operationName === 'ConsoleAdjustPoints').length, available: (await memberState(member)).available }).toEqual({ sends: 1, available: 525 });
    tab.hold.clear();
    await form.getByRole('button', { name: 'Adjust points' }).click();
    await form.getByRole('status').filter({ hasText: 'Adjusted by' }).waitFor();
    const keys = tab.sent.filter((s) => s.operationName === 'ConsoleAdjustPoints').map((s) => s.variables.input?.idempotencyKey);
    expect({ keys: new Set(keys).size, sends: keys.length, available: (await memberState(member)).available }).toEqual({ keys: 1, sends: 2, available: 525 });
  }, 120_000);
});
