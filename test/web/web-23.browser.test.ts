import type { Page } from 'playwright-core';
import { DEMO } from '../../src/demo/seed.js';
import { answerSuite, type AnswerTab } from '../support/answer-tabs.js';
import { until } from '../support/web-pages.js';

/**
 * web-23: what web-22, break4-22, live-22 and newcomer-22 left in the two apps, in a real Chromium
 * against a real gateway and database (the apps' trusted documents only): a write whose connection
 * broke after it was sent, where an unkeyed console write's outcome shows, kept keys across a
 * reload, the browser going offline, a "Try again" answered by a replay, and the wallet's "Version".
 * The test's route holds, loses or cuts the chosen operations' answers (test/support/answer-tabs.ts);
 * the page's clock moves only where an answer wait must pass.
 */

describe('the apps after web-22 (web-23)', () => {
  const { stack, memberState, newMember, openTab, runUntil, purchaseAnswerLost, purchasesOf, claimAnswerLost, toStore, memberInStore, consoleTab, consoleAdjust: adjustForm, adjustmentLost, adjustKeys } = answerSuite();
  type Tab = AnswerTab;
  const sentOf = (tab: Tab, operationName: string) => tab.sent.filter((s) => s.operationName === operationName);
  const consoleAdjust = (tab: Tab, member: string) => adjustForm(tab, member, 'web-23 goodwill');
  /** The page's kept write keys (sessionStorage entries `reward-gateway:<app>:kept:<who>`). */
  const keptEntries = (page: Page) => page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.includes(':kept:')));

  test('a purchase whose connection breaks after it was sent says its outcome is unknown and offers "Try again" with the same key: bought once', async () => {
    const { member, tab, listing, price, dialog } = await memberInStore();
    await listing.getByRole('button', { name: /^Buy/ }).click();
    tab.cut.add('MemberPurchase');
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    const unknown = dialog.getByRole('alert').filter({ hasText: 'it is not known whether this went through' });
    await unknown.waitFor();
    expect({ alert: await unknown.innerText(), purchases: await purchasesOf(tab, member) }).toEqual({
      alert: 'The connection failed before an answer came, so it is not known whether this went through. Try again: it is sent as the same request, so it cannot happen twice.',
      purchases: { keys: 1, sends: 1, available: 500 - price },
    });
    tab.cut.clear();
    await dialog.getByRole('button', { name: 'Try again' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await purchasesOf(tab, member)).toEqual({ keys: 1, sends: 2, available: 500 - price });
  }, 120_000);

  test('"Try again" after an unknown outcome answered by a replay says the purchase was already made, and when', async () => {
    const { member, tab, dialog, price } = await purchaseAnswerLost();
    const name = (await dialog.getByRole('heading').innerText()).replace(/^Buy “|”\?$/g, '');
    tab.hold.clear();
    await dialog.getByRole('button', { name: 'Try again' }).click();
    const notice = tab.page.getByRole('status').filter({ hasText: name });
    await notice.waitFor();
    expect({ notice: await notice.innerText(), purchases: await purchasesOf(tab, member) }).toEqual({
      notice: expect.stringMatching(new RegExp(`^You had already bought “${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}” on \\d{1,2} \\w{3} \\d{4}, \\d\\d:\\d\\d \\S+: that first try went through, so nothing more was spent\\. It is in your wallet with code \\S+\\.$`)),
      purchases: { keys: 1, sends: 2, available: 500 - price },
    });
  }, 120_000);

  test('a gift claim sent again after an unknown outcome and answered by a replay says it was already claimed, and when', async () => {
    const { member, tab, claim, option, afterFirst } = await claimAnswerLost();
    await claim.click();
    const notice = tab.page.getByRole('status').filter({ hasText: option });
    await notice.waitFor();
    expect({ notice: await notice.innerText(), available: (await memberState(member)).available }).toEqual({
      notice: expect.stringMatching(new RegExp(`^You had already claimed “${option}” on \\d{1,2} \\w{3} \\d{4}, \\d\\d:\\d\\d \\S+: that first try went through, so nothing more was used\\. It is in your wallet\\.$`)),
      available: afterFirst,
    });
  }, 120_000);

  test('a console adjustment submitted again after an unknown outcome and answered by a replay says it was already done, and when', async () => {
    const alice = await newMember();
    const tab = await consoleTab();
    const form = await consoleAdjust(tab, alice);
    await adjustmentLost(tab, form);
    await form.getByRole('button', { name: 'Adjust points' }).click();
    const notice = form.getByRole('status');
    await notice.waitFor();
    expect({ notice: await notice.innerText(), keys: new Set(adjustKeys(tab)).size, alice: (await memberState(alice)).available }).toEqual({
      notice: expect.stringMatching(/^Already adjusted by \+?25 BEANS at .+ UTC by an earlier submit whose answer was lost: nothing more was changed\. The balance was 525 BEANS after it\.$/),
      keys: 1,
      alice: 525,
    });
  }, 120_000);

  test('an unkeyed console write whose answer is lost names where to check before sending it again', async () => {
    const tab = await consoleTab();
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rules', exact: true }).click();
    const form = tab.page.getByRole('region', { name: 'Set the economy rule' });
    await form.getByLabel('Points per unit of money').fill('10');
    tab.hold.add('ConsoleSetEconomyRule');
    tab.lose = true;
    await form.getByRole('button', { name: 'Set economy rule' }).click();
    await until(() => tab.lost.length === 1, 'the rule set by the gateway, the answer held');
    const unknown = form.getByRole('alert').filter({ hasText: 'it is not known whether this went through' });
    await runUntil(tab.page, async () => (await unknown.count()) === 1, 'the operator told the rule’s outcome is unknown');
    // web-24: setting a rule is naturally idempotent, so the alert says so and offers "Try again"
    expect(await unknown.locator('p').first().innerText()).toBe(
      "No answer came in time, so it is not known whether this went through. Try again: it sets the currency's rule to these values, so setting it twice leaves the rule as setting it once.",
    );
  }, 120_000);

  test("a listing's removal whose connection breaks names the store's listings as where to check", async () => {
    const tab = await consoleTab();
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Stores', exact: true }).click();
    const remove = tab.page.getByRole('button', { name: /^Remove/ }).first();
    await remove.waitFor();
    tab.cut.add('ConsoleRemoveListing');
    await remove.click();
    await tab.page.getByRole('dialog', { name: /^Remove “/ }).getByRole('button', { name: 'Remove listing' }).click();
    const unknown = tab.page.getByRole('alert').filter({ hasText: 'it is not known whether this went through' });
    await unknown.waitFor();
    // web-24: a removal is naturally idempotent, so the alert says so and offers "Try again"
    expect(await unknown.locator('p').first().innerText()).toBe(
      'The connection failed before an answer came, so it is not known whether this went through. Try again: removing a listing again is safe (one already removed is left as it is).',
    );
  }, 120_000);

  test('a purchase whose answer is lost, the page reloaded and the offer bought again: the same key, bought once; the key goes once bought', async () => {
    const { member, tab, listing, price, dialog } = await purchaseAnswerLost();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    tab.hold.clear();
    tab.lose = false;
    await tab.page.reload();
    await tab.page.getByTestId('header-balance').waitFor();
    await toStore(tab);
    await listing.getByRole('button', { name: /^Buy/ }).click();
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    await dialog.waitFor({ state: 'detached' });
    await tab.page.getByRole('status').filter({ hasText: 'wallet with code' }).waitFor();
    expect({ purchases: await purchasesOf(tab, member), kept: await keptEntries(tab.page) }).toEqual({ purchases: { keys: 1, sends: 2, available: 500 - price }, kept: [] });
  }, 120_000);

  test('a console adjustment whose answer is lost, the page reloaded and submitted again: the same key, adjusted once; signing out forgets it', async () => {
    const alice = await newMember();
    const tab = await consoleTab();
    await adjustmentLost(tab, await consoleAdjust(tab, alice));
    await tab.page.reload();
    const form = await consoleAdjust(tab, alice);
    await form.getByRole('button', { name: 'Adjust points' }).click();
    await form.getByRole('status').waitFor();
    expect({ sends: adjustKeys(tab).length, keys: new Set(adjustKeys(tab)).size, alice: (await memberState(alice)).available, kept: await keptEntries(tab.page) }).toEqual({ sends: 2, keys: 1, alice: 525, kept: [] });
    // Another adjustment's answer lost, then the operator signs out: nothing of it is kept.
    await adjustmentLost(tab, await consoleAdjust(tab, alice));
    const keptBefore = await keptEntries(tab.page);
    await tab.page.getByRole('button', { name: 'Sign out' }).click();
    await tab.page.getByRole('button', { name: `Continue as operator (${DEMO.staff.operator})` }).waitFor();
    expect({ before: keptBefore.length, after: await keptEntries(tab.page) }).toEqual({ before: 1, after: [] });
  }, 120_000);

  test('the browser going offline while a screen reads says "offline" at once, and the screen reads again when it is back online', async () => {
    const member = await newMember();
    const tab = await openTab();
    await tab.page.goto(`/#token=${await stack().t.customerToken(member, 3_600)}`);
    await tab.page.getByTestId('header-balance').waitFor();
    tab.hold.add('MemberWallet');
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet', exact: true }).click();
    await tab.page.getByRole('status').filter({ hasText: 'Loading your wallet…' }).waitFor();
    // The page's clock does not move: no answer wait or back-off passes.
    await tab.page.context().setOffline(true);
    const offline = tab.page.getByRole('alert').filter({ hasText: 'You are offline.' });
    await offline.waitFor();
    expect({ loading: await tab.page.getByText('Loading your wallet…').count(), walletReads: sentOf(tab, 'MemberWallet').length }).toEqual({ loading: 0, walletReads: 1 });
    tab.hold.clear();
    await tab.page.context().setOffline(false);
    await tab.page.getByText('Your wallet is empty.').waitFor();
    expect(await offline.count()).toBe(0);
  }, 120_000);

  test('a purchase confirmed while the browser is offline says nothing was sent, and sends nothing', async () => {
    const { member, tab, listing, price, dialog } = await memberInStore();
    await listing.getByRole('button', { name: /^Buy/ }).click();
    await tab.page.context().setOffline(true);
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect({ alert: await alert.innerText(), sends: sentOf(tab, 'MemberPurchase').length }).toEqual({
      alert: 'You are offline, so nothing was sent. Try again once your connection is back.',
      sends: 0,
    });
    await tab.page.context().setOffline(false);
    await dialog.getByRole('button', { name: 'Try again' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await purchasesOf(tab, member)).toEqual({ keys: 1, sends: 1, available: 500 - price });
  }, 120_000);

  test('the wallet says how and when an offer came, not its internal version', async () => {
    const { tab, listing, name, dialog } = await memberInStore();
    await listing.getByRole('button', { name: /^Buy/ }).click();
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    await dialog.waitFor({ state: 'detached' });
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet', exact: true }).click();
    const item = tab.page.getByTestId('wallet-item').filter({ has: tab.page.getByRole('heading', { name }) });
    await item.waitFor();
    const text = await item.innerText();
    expect({ version: /Version/.test(text), origin: await item.getByTestId('wallet-origin').innerText() }).toEqual({
      version: false,
      origin: expect.stringMatching(/^Bought \d{1,2} \w{3} \d{4}, \d\d:\d\d \S+$/),
    });
  }, 120_000);
});
