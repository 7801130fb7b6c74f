import { DEMO } from '../../src/demo/seed.js';
import { answerSuite, type AnswerTab } from '../support/answer-tabs.js';
import { until } from '../support/web-pages.js';

/**
 * break4-22, hostile pass on web-22's kept purchase key, in a real Chromium against a real gateway
 * and database (the apps' trusted documents only). web-22 kept a listing's key in the store
 * screen: leaving the screen (All rewards, the wallet) and coming back after "not known whether
 * this went through" made a new key, so buying the same offer again bought it twice. Also checked:
 * the key is not another member's after a token handover, a bought listing's next purchase gets a
 * new key, and a refused purchase's key buys once the points are there.
 */


describe('the kept purchase key (break4-22)', () => {
  const { stack, staff, newMember, memberState, purchaseAnswerLost, purchasesOf, claimAnswerLost, toStore, memberInStore, consoleTab, consoleAdjust: adjustForm, adjustmentLost, adjustKeys } = answerSuite();
  type Tab = AnswerTab;
  const purchaseKeys = (tab: Tab) => tab.sent.filter((s) => s.operationName === 'MemberPurchase').map((s) => s.variables.input?.idempotencyKey);
  /** The console signed in as the operator, the Adjust points form of `member` filled with +25. */
  const consoleAdjust = (tab: Tab, member: string) => adjustForm(tab, member, 'break4-22 goodwill');

  test('a purchase whose answer is lost, the store left and entered again, and the offer bought again: the same key, bought once', async () => {
    const { member, tab, listing, price, dialog } = await purchaseAnswerLost();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    tab.hold.clear();
    // The member looks at the list of stores, then comes back to the same store.
    await tab.page.getByRole('link', { name: 'All rewards' }).click();
    await toStore(tab);
    await listing.getByRole('button', { name: /^Buy/ }).click();
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    await tab.page.getByRole('status').filter({ hasText: 'Bought' }).waitFor();
    expect(await purchasesOf(tab, member)).toEqual({ keys: 1, sends: 2, available: 500 - price });
  }, 120_000);

  test("a token handed over to another member after a lost answer: the other member's purchase of the same listing has a key of its own", async () => {
    const { tab, listing, price, dialog } = await purchaseAnswerLost();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    tab.hold.clear();
    const other = await newMember();
    await tab.page.evaluate(`location.hash = ${JSON.stringify(`#token=${await stack().t.customerToken(other, 3_600)}`)}`);
    await until(async () => (await tab.page.getByTestId('header-balance').innerText()).includes('500'), "the other member's balance shown");
    await toStore(tab);
    await listing.getByRole('button', { name: /^Buy/ }).click();
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    await tab.page.getByRole('status').filter({ hasText: 'Bought' }).waitFor();
    const keys = purchaseKeys(tab);
    expect({ sends: keys.length, keys: new Set(keys).size, other: (await memberState(other)).available }).toEqual({ sends: 2, keys: 2, other: 500 - price });
  }, 120_000);

  test('a listing bought, then bought again: a new key, bought twice', async () => {
    const { member, tab, listing, price, dialog } = await memberInStore();
    for (let i = 0; i < 2; i++) {
      await listing.getByRole('button', { name: /^Buy/ }).click();
      await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
      await dialog.waitFor({ state: 'detached' });
      await tab.page.getByRole('status').filter({ hasText: 'Bought' }).waitFor();
    }
    expect(await purchasesOf(tab, member)).toEqual({ keys: 2, sends: 2, available: 500 - 2 * price });
  }, 120_000);

  // web-24: a refusal drops the kept key (the gateway frees it anyway), so "Try again" sends a new one:
  // a key kept is then always a purchase whose outcome was never learnt (its expiry is told as such).
  test('a purchase refused INSUFFICIENT_POINTS, then the points arrive: "Try again" buys, once', async () => {
    const { member, tab, listing, price, dialog } = await memberInStore();
    await listing.getByRole('button', { name: /^Buy/ }).click();
    const adjust = (amount: number, key: string) =>
      staff(`mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`, { customerExternalId: member, currency: DEMO.currency, amount, reason: 'test', idempotencyKey: `${key}-${member}` });
    await adjust(-500, 'spent');
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.getByRole('alert').innerText()).toMatch(/missing|not enough|points/i);
    await adjust(500, 'back');
    await dialog.getByRole('button', { name: 'Try again' }).click();
    await tab.page.getByRole('status').filter({ hasText: 'Bought' }).waitFor();
    expect(await purchasesOf(tab, member)).toEqual({ keys: 2, sends: 2, available: 500 - price });
  }, 120_000);
  test('a gift claim whose answer is lost, the Gifts screen left and entered again, claimed again: the same key, claimed once', async () => {
    const { member, tab, claim, afterFirst } = await claimAnswerLost();
    const nav = tab.page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Wallet', exact: true }).click();
    await nav.getByRole('link', { name: 'Gifts', exact: true }).click();
    await claim.click();
    await tab.page.getByRole('status').filter({ hasText: 'Claimed' }).waitFor();
    const keys = tab.sent.filter((s) => s.operationName === 'MemberClaimGift').map((s) => s.variables.input?.idempotencyKey);
    expect({ sends: keys.length, keys: new Set(keys).size, available: (await memberState(member)).available }).toEqual({ sends: 2, keys: 1, available: afterFirst });
  }, 120_000);
  test("a console adjustment whose answer is lost, then the same adjustment of another customer: that customer's own key, adjusted", async () => {
    const alice = await newMember();
    const bob = await newMember();
    const tab = await consoleTab();
    await consoleAdjust(tab, bob); // bob's screen read once (kept by the page's cache)
    await adjustmentLost(tab, await consoleAdjust(tab, alice));
    const form = await consoleAdjust(tab, bob);
    await form.getByRole('button', { name: 'Adjust points' }).click();
    await until(async () => (await form.getByRole('status').count()) + (await form.getByRole('alert').filter({ hasNotText: 'not known' }).count()) > 0, "bob's adjustment answered");
    expect({ keys: new Set(adjustKeys(tab)).size, errors: await form.getByRole('alert').allInnerTexts(), alice: (await memberState(alice)).available, bob: (await memberState(bob)).available }).toEqual({
      keys: 2,
      errors: [],
      alice: 525,
      bob: 525,
    });
  }, 120_000);

  test('a console adjustment whose answer is lost, the screen left and the customer found again, submitted again: the same key, adjusted once', async () => {
    const alice = await newMember();
    const tab = await consoleTab();
    await adjustmentLost(tab, await consoleAdjust(tab, alice));
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log', exact: true }).click();
    await tab.page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers', exact: true }).click();
    const form = await consoleAdjust(tab, alice);
    await form.getByRole('button', { name: 'Adjust points' }).click();
    await form.getByRole('status').filter({ hasText: 'Adjusted by' }).waitFor();
    expect({ sends: adjustKeys(tab).length, keys: new Set(adjustKeys(tab)).size, alice: (await memberState(alice)).available }).toEqual({ sends: 2, keys: 1, alice: 525 });
  }, 120_000);
});
