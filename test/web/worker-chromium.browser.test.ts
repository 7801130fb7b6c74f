import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { leaseChromium, workerChromium } from '../support/browser.js';

/**
 * The jest worker's Chromium (test/support/browser.ts, browser-26): one browser a worker, reused by
 * the worker's test files, each file's contexts closed with its lease, and a browser that crashed
 * replaced by a new one at the next use, so that one crash does not fail every later file.
 */
describe("the worker's Chromium", () => {
  test('two leases share the browser; closing one closes only the contexts opened under it', async () => {
    const first = await leaseChromium();
    const kept = await first.browser.newContext();
    const second = await leaseChromium();
    expect(second.browser).toBe(first.browser);
    const opened = await second.browser.newContext();
    const page = await second.browser.newPage();
    await second.close();
    expect({ kept: first.browser.contexts().includes(kept), opened: first.browser.contexts().includes(opened), page: page.isClosed() }).toEqual({ kept: true, opened: false, page: true });
    await first.close();
    expect(first.browser.contexts()).not.toContain(kept);
    expect(first.browser.isConnected()).toBe(true);
  });

  test('a browser that crashed is replaced by a new one, which opens pages', async () => {
    const crashed = await workerChromium();
    const cdp = await crashed.newBrowserCDPSession();
    const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
    const main = processInfo.find((p) => p.type === 'browser')!;
    // Playwright removes the profile of a browser it closed, not of one that crashed
    const profile = readFileSync(`/proc/${main.id}/cmdline`, 'utf8').split('\0').find((arg) => arg.startsWith('--user-data-dir='))!.slice('--user-data-dir='.length);
    const gone = new Promise((resolve) => crashed.once('disconnected', resolve));
    process.kill(main.id, 'SIGKILL');
    await gone;
    await rm(profile, { recursive: true, force: true, maxRetries: 3 });
    const next = await workerChromium();
    expect(next).not.toBe(crashed);
    const lease = await leaseChromium();
    try {
      const page = await lease.browser.newPage();
      await page.setContent('<h1>alive</h1>');
      expect(await page.locator('h1').innerText()).toBe('alive');
    } finally {
      await lease.close();
    }
  });
});
