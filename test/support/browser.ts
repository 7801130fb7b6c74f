import os from 'node:os';
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type LaunchOptions, type Page } from 'playwright-core';

/**
 * Debian's Chromium builds the browser tests run on (`.ci/run` installs both packages when missing;
 * the tests fail without them, they never skip):
 * - `headless-shell`: Debian's `chromium-headless-shell`, Chromium's own headless build (the one
 *   Playwright downloads for headless runs: Blink and V8 of the same version, no browser window,
 *   tab strip or address bar behind each page). Every browser test but the two below runs on it:
 *   the same 227 tests cost it a third less Chromium CPU than the full browser (docs/decisions.md,
 *   suite-43: Chromium 275 → 185 CPU-s, wall 223 → 178 s). The binary itself, not
 *   /usr/bin/chromium-headless-shell, a `sh` wrapper that does not `exec` it: Playwright's close and
 *   the run's teardown would end the wrapper and leave the browser running.
 * - `chromium`: Debian's `chromium`, the browser the members and staff use. The main journey
 *   (test/web/web-app.browser.test.ts, which takes the README's screens) and its switches
 *   (test/web/chromium-features.browser.test.ts) run on it.
 */
export const CHROMIUM_BUILDS = {
  'headless-shell': { executable: '/usr/lib/chromium/chromium-headless-shell', apt: 'chromium-headless-shell' },
  chromium: { executable: '/usr/bin/chromium', apt: 'chromium' },
} as const;

/** Which of Debian's Chromium builds (`CHROMIUM_BUILDS`) a browser test runs on. */
export type ChromiumBuild = keyof typeof CHROMIUM_BUILDS;
const AXE = path.resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js');
export const SCREENS_DIR = path.resolve(import.meta.dirname, '../../docs/screens');

/**
 * The features Playwright 1.65 turns off in every Chromium it launches (its `chromiumSwitches`:
 * network noise, PaintHolding, storage partitioning …), as the one `--disable-features` it passes.
 * Chromium keeps only the last `--disable-features` of a command line, whole: a second one of ours
 * would switch these back on. `launchChromium` sends one with these and ours; test/web/
 * chromium-features.browser.test.ts fails when Playwright's own list is no longer this one.
 */
export const PLAYWRIGHT_DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync',
  'DestroyProfileOnBrowserClose',
  'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay',
  'MediaRouter',
  'PaintHolding',
  'ThirdPartyStoragePartitioning',
  'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin',
  'OptimizationHints',
  'NetworkTimeServiceQuerying',
  'AimEnabled',
  'PreconnectToSearch',
  'msForceBrowserSignIn',
  'msEdgeUpdateLaunchServicesPreferredVersion',
];

/**
 * What the tests' Chromium turns off besides: the address bar's WebUI popups. Chromium 156 in
 * headless mode still builds a browser window's top chrome, and loads its omnibox popup
 * (chrome://omnibox-popup.top-chrome, and its AI-mode twin) into a renderer of its own for every
 * window: a third of Chromium's CPU on the browser tests, for a popup no test can open
 * (suite-41: test/web/web-app, newcomer-24 and store-edit-39, 22 tests, Chromium 74.3 → 50.5 CPU-s).
 */
export const TEST_DISABLED_FEATURES = ['WebUIOmniboxPopup', 'WebUIOmniboxAimPopup', 'WebUIOmniboxFullPopup'];

/** The switches `launchChromium` adds to Playwright's own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--process-per-site',
  `--disable-features=${[...PLAYWRIGHT_DISABLED_FEATURES, ...TEST_DISABLED_FEATURES].join(',')}`,
];

/**
 * The executable of `build` (`CHROMIUM_BUILDS`). Throws an Error naming the Debian package to
 * install when it is missing.
 */
export function chromiumExecutable(build: ChromiumBuild): string {
  const { executable, apt } = CHROMIUM_BUILDS[build];
  if (!existsSync(executable)) throw new Error(`${executable} is missing: apt-get install -y ${apt} (.ci/run does)`);
  return executable;
}

/**
 * A new Chromium of its own (`build`, headless, software rendering) with Playwright's `artifactsDir`
 * when given; the browser tests use `leaseChromium`. `--process-per-site`: a context's pages of one
 * site share one renderer (and its compiled code) while any of them is open, rather than a renderer
 * a page (browser-27: a console page opened beside another of the site cost ~1.1 CPU-s instead of
 * ~1.6). `--disable-features`: Playwright's and `TEST_DISABLED_FEATURES`, in one switch.
 */
export async function launchChromium(build: ChromiumBuild, options: Pick<LaunchOptions, 'artifactsDir'> = {}): Promise<Browser> {
  return chromium.launch({ ...options, executablePath: chromiumExecutable(build), args: CHROMIUM_ARGS });
}

/** The start of the workers' Chromium scratch directories' names in os.tmpdir(), then jest's pid (test/support/global-teardown.mjs removes them). */
export const WORKER_ARTIFACTS = 'rg-chromium-';

/** This jest worker's Chromium of each build while it runs (see `workerChromium`). */
const workerBrowsers = new Map<ChromiumBuild, Promise<Browser>>();

/**
 * This jest worker's Chromium of `build` (default the headless shell): launched on first use, then
 * reused by every test file the worker runs (jest-light-runner keeps a worker's modules from file to
 * file, jest.config.js). A launch is about 1 s of CPU (browser, zygote, GPU and network processes),
 * paid once a worker instead of once a file (docs/decisions.md, browser-26). One that has
 * disconnected (crashed, or closed) is replaced by a new one at the next call. The workers are
 * threads of jest's process, so their Chromiums are its children: test/support/global-teardown.mjs
 * kills what is left of them.
 */
export async function workerChromium(build: ChromiumBuild = 'headless-shell'): Promise<Browser> {
  const pending = workerBrowsers.get(build);
  if (pending) {
    const browser = await pending.catch(() => undefined);
    if (browser?.isConnected()) return browser;
    if (workerBrowsers.get(build) === pending) workerBrowsers.delete(build);
  }
  return workerBrowsers.get(build) ?? launchWorkerChromium(build);
}

/** Launches this worker's Chromium of `build`, kept in `workerBrowsers` until it disconnects. */
function launchWorkerChromium(build: ChromiumBuild): Promise<Browser> {
  // The browser's artifacts directory (traces, downloads …), named so that the run's teardown
  // removes it: one Playwright makes itself goes only with a browser.close(), never called here.
  const artifactsDir = mkdtempSync(path.join(os.tmpdir(), `${WORKER_ARTIFACTS}${process.pid}-`));
  const launched = launchChromium(build, { artifactsDir });
  workerBrowsers.set(build, launched);
  const forget = () => {
    if (workerBrowsers.get(build) === launched) workerBrowsers.delete(build);
  };
  launched.then((browser) => browser.on('disconnected', forget), forget);
  return launched;
}

/** A test file's use of the worker's Chromium (`leaseChromium`). */
export interface ChromiumLease {
  browser: Browser;
  /** Closes every context opened in `browser` since the lease began (pages opened with `browser.newPage()` included); the browser stays for the worker's next file. */
  close(): Promise<void>;
}

/**
 * The worker's Chromium of `build` (default the headless shell) for one test file or describe
 * block. Isolation between tests is the BrowserContext (its own cookies, storage, cache and
 * renderer), as it was when each file had its own browser; `close` ends the contexts the lease's
 * holder opened, so none outlives its file. A worker runs one file at a time, so no other lease
 * opens contexts in between.
 */
export async function leaseChromium(build: ChromiumBuild = 'headless-shell'): Promise<ChromiumLease> {
  const browser = await workerChromium(build);
  const before = new Set(browser.contexts());
  return {
    browser,
    close: async () => {
      await Promise.all(browser.contexts().filter((context) => !before.has(context)).map((context) => context.close().catch(() => undefined)));
    },
  };
}

/** A phone (390 × 844) or a laptop (1280 × 800); CSP bypassed only so axe-core can be injected. */
export function newContext(browser: Browser, baseURL: string, size: 'phone' | 'desktop'): Promise<BrowserContext> {
  return browser.newContext({
    baseURL,
    bypassCSP: true,
    viewport: size === 'phone' ? { width: 390, height: 844 } : { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    reducedMotion: 'reduce',
  });
}

/**
 * `newContext` with a page of the gateway's site (`/healthz`) kept open for the context's life:
 * Chromium runs one renderer per site and context (launchChromium's --process-per-site), so the
 * tests' pages join this one's renderer and its warm caches instead of each starting one of their
 * own (browser-27). Returns the context and that keeper page (close it only with the context).
 */
export async function siteContext(browser: Browser, baseURL: string, size: 'phone' | 'desktop'): Promise<{ context: BrowserContext; keeper: Page }> {
  const context = await newContext(browser, baseURL, size);
  try {
    const keeper = await context.newPage();
    await keeper.goto('/healthz');
    return { context, keeper };
  } catch (error) {
    await context.close().catch(() => undefined);
    throw error;
  }
}

/** The page's globals as the functions run there see them (the project's TypeScript has no DOM lib). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type InPage = any;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * axe-core's serious and critical violations on the page as it is now (WCAG 2.x A/AA and best
 * practices), on the whole document or only within `include` (a CSS selector).
 */
export async function seriousViolations(page: Page, include?: string): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async (selector) => {
    const page = globalThis as InPage;
    const result = (await page.axe.run(selector ? { include: [selector] } : page.document, { resultTypes: ['violations'] })) as { violations: (AxeViolation & { nodes: { target: unknown[] }[] })[] };
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  }, include);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** How far the page is wider than the viewport at a phone's width (0: it fits). */
export async function overflowAtPhoneWidth(page: Page): Promise<number> {
  const before = page.viewportSize()!;
  await page.setViewportSize({ width: 375, height: before.height });
  // Charts re-measure after a resize (ResizeObserver): the layout settles within a few frames.
  let overflow = 0;
  for (let i = 0; i < 20; i++) {
    await page.waitForTimeout(50);
    overflow = await page.evaluate(() => {
      const root = (globalThis as InPage).document.documentElement;
      return (root.scrollWidth - root.clientWidth) as number;
    });
    if (overflow <= 0) break;
  }
  await page.setViewportSize(before);
  return overflow;
}

/** Saves a screenshot as docs/screens/<name>.png (referenced from the README). */
export async function screenshot(page: Page, name: string): Promise<void> {
  // Taking the picture is part of every run (it renders the whole page); keeping it in docs/screens
  // only when asked (UPDATE_SCREENS=1 npm test) leaves a developer's tree clean after npm test.
  const dir = process.env.UPDATE_SCREENS === '1' ? SCREENS_DIR : path.join(os.tmpdir(), 'reward-gateway-screens');
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** Every GraphQL request body (HTTP) and subscribe payload (graphql-ws) a context sends. */
export interface Traffic {
  http: { method: string; url: string; body: unknown; clientName: string | undefined }[];
  ws: unknown[];
}

export function recordTraffic(context: BrowserContext, traffic: Traffic): void {
  context.on('request', (request) => {
    if (new URL(request.url()).pathname !== '/graphql' || request.resourceType() === 'document') return;
    const raw = request.postData();
    traffic.http.push({ method: request.method(), url: request.url(), body: raw ? JSON.parse(raw) : undefined, clientName: request.headers()['apollographql-client-name'] });
  });
  context.on('page', (page) =>
    page.on('websocket', (ws) =>
      ws.on('framesent', ({ payload }) => {
        const message = JSON.parse(String(payload)) as { type: string; payload?: unknown };
        if (message.type === 'subscribe') traffic.ws.push(message.payload);
      }),
    ),
  );
}

/**
 * What `expression` (JavaScript evaluated in `page`, e.g. the focused element's text) answers once
 * `accepts` takes it (by default: equal to `expected`), or, after `timeoutMs` (ms, default 5 s),
 * whatever it answers then, for the test's assertion to show. For reads that race the app's own
 * work after an event the test waited for: a dialog's open or close moves the focus in an effect or
 * an animation frame after the dialog is shown or gone (webhooks-24's CI failure read the focus on
 * the page body right after the dialog closed, before its requestAnimationFrame gave it back).
 */
export async function settledInPage<T>(page: Page, expression: string, expected: T, accepts: (value: T) => boolean = (value) => value === expected, timeoutMs = 5_000): Promise<T> {
  const from = Date.now();
  for (;;) {
    const value = await page.evaluate<T>(expression);
    if (accepts(value) || Date.now() - from > timeoutMs) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
