import { DEMO } from '../../src/demo/seed.js';
import type { TestGateway } from '../support/gateway.js';
import { seriousViolations, settledInPage } from '../support/browser.js';
import { adjust, buyListing, createCustomer, createStore, demoLimitedListing } from '../support/program.js';
import { startWebGateway, type WebGateway } from '../support/web-gateway.js';

/**
 * What a member met in the member app (newcomer-21), in a real Chromium at a phone's width against
 * a started gateway with the app's trusted documents only:
 *
 * - a gift list whose claims the member had used up (`maxClaims`) while their balance still reached
 *   its threshold read "You can claim 0 now", its Claim buttons enabled, each refused LIMIT_REACHED:
 *   the app took `unlocked` (which the API keeps literal: the balance reaches the threshold) for
 *   "claimable";
 * - a store whose exclusive `endsAt` is a midnight UTC read "open until <that day>", a day it is
 *   closed all of;
 * - a listing whose per-member limit the member had reached read "You can afford this", its Buy
 *   button enabled, and the confirmed purchase was refused LIMIT_REACHED;
 * - the purchase dialog, closed by Escape, Cancel or a confirmed purchase, left the keyboard's focus
 *   on the page's body: the next Tab went to "Skip to content", the top of the page.
 */
describe('the member app for a newcomer member (newcomer-21)', () => {
  let web: WebGateway;
  let t: TestGateway;
  const currency = DEMO.currency;

  beforeAll(async () => {
    web = await startWebGateway({ demo: true, size: 'phone' });
    t = web.t;
  });
  afterAll(() => web?.close());

  test('a gift list whose claims are used up says so and offers no Claim, however many points the member has', async () => {
    const page = await web.context.newPage();
    await page.goto(`/#token=${await t.customerToken(DEMO.customers.bob)}`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Gifts', exact: true }).click();
    const list = page.getByRole('region', { name: 'At 1000 beans' });
    await list.getByRole('button', { name: 'Claim Free large latte' }).click();
    await page.getByRole('status').filter({ hasText: 'Claimed “Free large latte”' }).waitFor();
    // Enough for the list again (the API keeps it `unlocked`), but its one claim per member is used.
    await adjust(t, DEMO.customers.bob, currency, 2000);
    await page.reload();
    await list.getByText('(claimed 1)').waitFor();
    expect({
      badge: (await list.innerText()).match(/All claimed|You can claim \d+ now|[\d,]+ points to go/)?.[0],
      enabled: await Promise.all((await list.getByRole('button').all()).map((b) => b.isEnabled())),
    }).toEqual({ badge: 'All claimed', enabled: [false, false] });
    expect(await seriousViolations(page)).toEqual([]);
  }, 60_000);

  test('a store that closes at a midnight UTC shows the day before as its last day', async () => {
    const now = t.clock.now();
    const closes = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 10));
    const lastDay = new Intl.DateTimeFormat('en-GB', {
      dateStyle: 'medium',
      timeZone: 'UTC',
    }).format(new Date(closes.getTime() - 1));
    const closingDay = new Intl.DateTimeFormat('en-GB', {
      dateStyle: 'medium',
      timeZone: 'UTC',
    }).format(closes);
    const store = await createStore(t, currency, {
      name: 'Newcomer pop-up',
      endsAt: closes.toISOString(),
    });
    const page = await web.context.newPage();
    await page.goto(`/#token=${await t.customerToken(DEMO.customers.alice)}`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rewards', exact: true }).click();
    const card = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: store.name }) });
    await card.waitFor();
    expect(await card.innerText()).toContain(`open through ${lastDay}`);
    expect(await card.innerText()).not.toContain(closingDay);
  }, 60_000);

  test('a listing whose per-member limit the member has reached says so and offers no Buy', async () => {
    const member = DEMO.customers.carol;
    const token = await t.customerToken(member);
    await adjust(t, member, currency, 2000); // 1000 left after the purchases: still affordable
    const limited = await demoLimitedListing(t, token);
    await buyListing(t, token, limited.id, limited.perCustomerLimit, 'newcomer-21-limit');
    const page = await web.context.newPage();
    await page.goto(`/#token=${token}`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rewards', exact: true }).click();
    await page.getByRole('link', { name: 'Everyday rewards' }).click();
    const card = page.getByTestId('listing').filter({ has: page.getByRole('heading', { name: limited.offer.name }) });
    await card.getByText(`(you have ${limited.perCustomerLimit})`).waitFor();
    expect({
      affordable: await card.getByText('You can afford this').count(),
      limitSaid: await card.getByText(`You have bought it ${limited.perCustomerLimit} times, the most allowed`).count(),
      buy: await card.getByRole('button', { name: `Buy ${limited.offer.name}` }).isEnabled(),
    }).toEqual({ affordable: 0, limitSaid: 1, buy: false });
    expect(await seriousViolations(page)).toEqual([]);
  }, 60_000);

  test('closing the purchase dialog gives the focus back: to the Buy button on Escape or Cancel, to what was bought once confirmed', async () => {
    const member = DEMO.customers.alice;
    await adjust(t, member, currency, 1000);
    const page = await web.context.newPage();
    await page.goto(`/#token=${await t.customerToken(member)}`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rewards', exact: true }).click();
    await page.getByRole('link', { name: 'Everyday rewards' }).click();
    const buy = page.getByRole('button', { name: 'Buy 20% off any pastry' });
    // In the page (a string: the suite's own code has no DOM types).
    // What has the focus once `accepts` takes it (the dialog gives it back in an animation frame after it closes), or after 5 s.
    const focused = (accepts: (text: string | null) => boolean) =>
      settledInPage<string | null>(page, "document.activeElement === document.body ? '(the page body)' : (document.activeElement?.textContent?.trim() ?? null)", null, accepts);
    const onBuy = (text: string | null) => text === 'Buy 20% off any pastry';
    const open = async () => {
      await buy.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('dialog').waitFor();
    };
    await open();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    const afterEscape = await focused(onBuy);
    await open();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).press('Enter');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    const afterCancel = await focused(onBuy);
    await open();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm purchase' }).press('Enter');
    await page.getByRole('status').filter({ hasText: 'Bought “20% off any pastry”' }).waitFor();
    expect({ afterEscape, afterCancel, afterConfirm: await focused((text) => /^Bought “20% off any pastry”\. It is in your wallet with code /.test(text ?? '')) }).toEqual({
      afterEscape: 'Buy 20% off any pastry',
      afterCancel: 'Buy 20% off any pastry',
      afterConfirm: expect.stringMatching(/^Bought “20% off any pastry”\. It is in your wallet with code /),
    });
  }, 60_000);

  test('live-22: the purchase dialog closed after another tab reached the listing’s limit gives the focus to the listing’s card, not the page’s body', async () => {
    // A member of their own (2,000 BEANS), one purchase short of the limited listing's limit.
    const member = await createCustomer(t, currency, 2000);
    const limited = await demoLimitedListing(t, member.token);
    await buyListing(t, member.token, limited.id, limited.perCustomerLimit - 1);
    const page = await web.context.newPage();
    await page.goto(`/#token=${member.token}`);
    await page.locator('[data-live="connected"]').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rewards', exact: true }).click();
    await page.getByRole('link', { name: 'Everyday rewards' }).click();
    const card = page.getByTestId('listing').filter({ has: page.getByRole('heading', { name: limited.offer.name }) });
    const buy = card.getByRole('button', { name: `Buy ${limited.offer.name}` });
    await card.getByText(`(you have ${limited.perCustomerLimit - 1})`).waitFor();
    await buy.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();

    // Another tab of the member's buys the last one allowed: the live feed disables this Buy.
    await buyListing(t, member.token, limited.id, 1);
    await card.getByText(`(you have ${limited.perCustomerLimit})`).waitFor();
    expect(await buy.isDisabled()).toBe(true);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    // In the page (a string: the suite's own code has no DOM types).
    const focused = await settledInPage<string>(
      page,
      "document.activeElement === document.body ? '(the page body)' : `${document.activeElement.tagName} ${document.activeElement.dataset.testid ?? ''} ${document.activeElement.querySelector('h2')?.textContent ?? ''}`",
      `LI listing ${limited.offer.name}`,
    );
    expect(focused).toBe(`LI listing ${limited.offer.name}`);
    expect(await seriousViolations(page)).toEqual([]);
  }, 60_000);
});
