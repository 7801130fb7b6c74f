import type { BrowserContext, Page } from 'playwright-core';
import { DEMO, seedDemo } from '../../src/demo/seed.js';
import { gatewaySchema } from '../../src/graphql/schema.js';
import { signToken } from '../../src/http/auth.js';
import { registerFirstPartyManifests } from '../../src/persisted/first-party.js';
import { leaseChromium, siteContext, type ChromiumLease } from './browser.js';
import { CreateCampaignDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from './gateway.js';

/** A started gateway serving the web apps, and a context of the worker's Chromium pointed at it. */
export interface WebGateway {
  t: TestGateway;
  context: BrowserContext;
  /**
   * A new page of the console signed in as the demo operator, on `pageName` (a Main navigation link)
   * once its heading shows. Needs `demo`. Signed in by `consoleUrlAsOperator`, not through the demo
   * sign-in screen, which the tests of sign-in itself use (browser-27: one screen less to draw).
   */
  consoleAsOperator(pageName: string): Promise<Page>;
  close(): Promise<void>;
}

/**
 * The console's address (its Customers screen) with a token of the demo operator
 * (`DEMO.staff.operator`, as GET /dev/tokens gives it: valid a day) in its fragment: the console
 * signed in as production staff arrive, without its demo sign-in screen (browser-27).
 */
export async function consoleUrlAsOperator(t: TestGateway): Promise<string> {
  return `/console/#token=${await signToken(t.config, { sub: DEMO.staff.operator, role: 'operator' }, 86_400)}`;
}

/**
 * What the browser tests of the member app and console start with: a test gateway that runs only
 * the apps' trusted documents (`PERSISTED_ONLY=web,console`, both registered), the demo program when
 * `demo` (the console's demo sign-in), and a Chromium context at `size` on the gateway's origin.
 * `close` ends the context (and any other the tests opened in its browser, the worker's: leaseChromium)
 * and the gateway, whichever were started.
 */
export async function startWebGateway(options: { demo: boolean; size: 'phone' | 'desktop' }): Promise<WebGateway> {
  // SEED_DEMO with the demo program, as `npm start` has it: the demo sign-in (/dev/tokens) needs it.
  const t = await startTestGateway({ PERSISTED_ONLY: 'web,console', SEED_DEMO: String(options.demo) });
  let lease: ChromiumLease | undefined;
  let context: BrowserContext | undefined;
  const close = async () => {
    await context?.close().catch(() => undefined);
    await lease?.close();
    await t.close();
  };
  try {
    if (options.demo) await seedDemo(t.orm, t.config, t.clock);
    await registerFirstPartyManifests(t.orm.em.fork(), await gatewaySchema(), t.config, t.clock.now());
    lease = await leaseChromium();
    ({ context } = await siteContext(lease.browser, t.url.replace(/graphql$/, ''), options.size));
  } catch (error) {
    await close();
    throw error;
  }
  const opened = context;
  return {
    t,
    context: opened,
    close,
    async consoleAsOperator(pageName) {
      const page = await opened.newPage();
      await page.goto(await consoleUrlAsOperator(t));
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: pageName, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: pageName }).waitFor();
      return page;
    },
  };
}

/**
 * One `startWebGateway(options)` for the enclosing describe block: started before its tests, closed
 * after the last. The returned holder's `web` is set once started (read it in the tests).
 */
export function webGatewayPerBlock(options: { demo: boolean; size: 'phone' | 'desktop' }): { web: WebGateway } {
  const holder = {} as { web: WebGateway };
  beforeAll(async () => {
    holder.web = await startWebGateway(options);
  });
  afterAll(() => holder.web?.close());
  return holder;
}

/**
 * A campaign of the demo's BEANS named `name`, made through the API, running from an hour ago for
 * 30 days (the gateway's real clock) with `outcome`, and the console's Rules page as the demo
 * operator: the page, the campaign's row in the Campaigns table, and its End dialog (by its name,
 * there once "End now" is pressed). `now`: the instant the window was made from (epoch ms).
 */
export async function runningCampaignOnRules(web: WebGateway, name: string, outcome: Record<string, unknown> = { bonusPoints: 5 }) {
  const now = Date.now();
  const input = { name, currency: 'BEANS', startsAt: new Date(now - 3_600_000).toISOString(), endsAt: new Date(now + 30 * 86_400_000).toISOString(), outcome };
  ok(await web.t.gql(CreateCampaignDocument, { input: input as never }, web.t.operatorToken));
  const page = await web.consoleAsOperator('Rules');
  const row = page.getByRole('region', { name: 'Campaigns', exact: true }).getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
  const dialog = page.getByRole('dialog', { name: `End campaign “${name}” now?` });
  return { now, page, row, dialog };
}
