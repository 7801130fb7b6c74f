import { answerSuite } from '../support/answer-tabs.js';
import { settledInPage } from '../support/browser.js';

/**
 * break2-24: the member app's purchase confirmation opened with the focus on "Confirm purchase"
 * (`showModal` focuses the dialog's first button), so the Enter that opened it, pressed again,
 * spent the member's points unread. As the console's Remove (break2-24-remove-keyboard): the focus
 * now starts on Cancel. Real Chromium, gateway and PostgreSQL.
 */
describe('the purchase confirmation with the keyboard alone (break2-24)', () => {
  const { memberInStore, purchasesOf } = answerSuite();

  test('Enter twice on Buy buys nothing; Shift+Tab then Enter buys once', async () => {
    const { member, tab, listing, price, dialog } = await memberInStore();
    // the focused element's text once it is `expected` (the dialog moves the focus after it opens), or what it is after 5 s
    const focused = (expected: string) => settledInPage<string | null>(tab.page, 'document.activeElement?.textContent ?? null', expected);
    await listing.getByRole('button', { name: /^Buy/ }).focus();
    await tab.page.keyboard.press('Enter');
    await dialog.waitFor();
    await tab.page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    expect(await purchasesOf(tab, member)).toEqual({ keys: 0, sends: 0, available: 500 });

    await listing.getByRole('button', { name: /^Buy/ }).focus();
    await tab.page.keyboard.press('Enter');
    await dialog.waitFor();
    expect(await focused('Cancel')).toBe('Cancel');
    await tab.page.keyboard.press('Shift+Tab');
    expect(await focused('Confirm purchase')).toBe('Confirm purchase');
    await tab.page.keyboard.press('Enter');
    await tab.page.getByRole('status').filter({ hasText: 'Bought' }).waitFor();
    expect(await purchasesOf(tab, member)).toEqual({ keys: 1, sends: 1, available: 500 - price });
  }, 120_000);
});
