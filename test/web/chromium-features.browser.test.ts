import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, PLAYWRIGHT_DISABLED_FEATURES, TEST_DISABLED_FEATURES, leaseChromium, newContext } from '../support/browser.js';

/**
 * The tests' Chromium (test/support/browser.ts `launchChromium`): what it is started with, and that
 * the switch saving a third of its CPU does what it is there for (suite-41 in docs/decisions.md).
 */

/** The `--disable-features` switches on the command line of a Chromium launched with `args`, read from /proc. */
async function disableFeaturesSwitches(args: string[]): Promise<string[][]> {
  const server = await chromium.launchServer({ executablePath: CHROMIUM, args });
  try {
    const line = readFileSync(`/proc/${server.process().pid}/cmdline`, 'utf8').split('\0');
    return line.filter((arg) => arg.startsWith('--disable-features=')).map((arg) => arg.slice('--disable-features='.length).split(','));
  } finally {
    await server.close();
  }
}

describe("the tests' Chromium", () => {
  it("Playwright's own disabled features are the list launchChromium repeats (update PLAYWRIGHT_DISABLED_FEATURES when Playwright changes them)", async () => {
    expect(await disableFeaturesSwitches(['--headless'])).toEqual([PLAYWRIGHT_DISABLED_FEATURES]);
  });

  it("its last --disable-features (the one Chromium keeps) holds Playwright's features and the tests' own", async () => {
    const switches = await disableFeaturesSwitches(CHROMIUM_ARGS);
    expect(switches.at(-1)).toEqual(expect.arrayContaining([...PLAYWRIGHT_DISABLED_FEATURES, ...TEST_DISABLED_FEATURES]));
  });

  it('a window loads no omnibox popup: its only targets are the pages the test opened', async () => {
    const lease = await leaseChromium();
    try {
      const context = await newContext(lease.browser, 'http://127.0.0.1', 'desktop');
      const page = await context.newPage();
      await page.setContent('<h1>a page</h1>');
      const session = await lease.browser.newBrowserCDPSession();
      const { targetInfos } = (await session.send('Target.getTargets')) as { targetInfos: { type: string; url: string }[] };
      await session.detach();
      expect(targetInfos.filter((target) => target.type !== 'page' || !target.url.startsWith('about:'))).toEqual([]);
    } finally {
      await lease.close();
    }
  });
});
