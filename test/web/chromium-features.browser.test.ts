import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_BUILDS, PLAYWRIGHT_DISABLED_FEATURES, TEST_DISABLED_FEATURES, chromiumExecutable, leaseChromium, newContext, type ChromiumBuild } from '../support/browser.js';

/**
 * The tests' Chromiums (test/support/browser.ts `launchChromium`, `CHROMIUM_BUILDS`): what each is
 * started with, which build the browser tests get, and that the full browser's switch saving a third
 * of its CPU does what it is there for (suite-41 in docs/decisions.md).
 */

/** The `--disable-features` switches on the command line of `build` launched with `args`, read from /proc. */
async function disableFeaturesSwitches(build: ChromiumBuild, args: string[]): Promise<string[][]> {
  const server = await chromium.launchServer({ executablePath: chromiumExecutable(build), args });
  try {
    const line = readFileSync(`/proc/${server.process().pid}/cmdline`, 'utf8').split('\0');
    return line.filter((arg) => arg.startsWith('--disable-features=')).map((arg) => arg.slice('--disable-features='.length).split(','));
  } finally {
    await server.close();
  }
}

/** The executable the browser process of `build`'s worker Chromium runs, read from /proc. */
async function workerExecutable(build?: ChromiumBuild): Promise<string> {
  const lease = await leaseChromium(build);
  const session = await lease.browser.newBrowserCDPSession();
  try {
    const { processInfo } = (await session.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
    return readFileSync(`/proc/${processInfo.find((p) => p.type === 'browser')!.id}/cmdline`, 'utf8').split('\0')[0];
  } finally {
    await session.detach();
    await lease.close();
  }
}

describe("the tests' Chromium", () => {
  it("Playwright's own disabled features are the list launchChromium repeats (update PLAYWRIGHT_DISABLED_FEATURES when Playwright changes them)", async () => {
    expect(await disableFeaturesSwitches('chromium', ['--headless'])).toEqual([PLAYWRIGHT_DISABLED_FEATURES]);
  });

  it.each(Object.keys(CHROMIUM_BUILDS) as ChromiumBuild[])("%s's last --disable-features (the one Chromium keeps) holds Playwright's features and the tests' own", async (build) => {
    const switches = await disableFeaturesSwitches(build, CHROMIUM_ARGS);
    expect(switches.at(-1)).toEqual(expect.arrayContaining([...PLAYWRIGHT_DISABLED_FEATURES, ...TEST_DISABLED_FEATURES]));
  });

  it('a browser test gets the headless shell unless it asks for the full browser', async () => {
    // /usr/bin/chromium is Debian's script that execs /usr/lib/chromium/chromium
    expect({ default: await workerExecutable(), chromium: await workerExecutable('chromium') }).toEqual({
      default: '/usr/lib/chromium/chromium-headless-shell',
      chromium: '/usr/lib/chromium/chromium',
    });
  });

  it("a full browser's window loads no omnibox popup: its only targets are the pages the test opened", async () => {
    const lease = await leaseChromium('chromium');
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
