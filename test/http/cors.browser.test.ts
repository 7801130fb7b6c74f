import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { ConfigError, loadConfig } from '../../src/config.js';
import { Cors } from '../../src/http/cors.js';
import { leaseChromium, type ChromiumLease } from '../support/browser.js';
import { startTestGateway, writeCounts, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop } from '../support/program.js';

/**
 * Browsers on other origins (SPEC §3, issue 8): CORS with an allow-list. A page served from an
 * allowed origin, in a real headless Chromium, calls /graphql with a bearer token and reads the
 * answer; a page from any other origin is stopped by the browser at the preflight, so its
 * mutation never runs. Chromium is required: without it these tests fail, they do not skip (the
 * worker's, leaseChromium).
 */

/**
 * The page a frontend would be: reads the gateway URL, a token and a query from its hash, calls
 * the API twice (plain, and with `credentials: 'include'`) and writes what it got into #result.
 */
const PAGE = `<!doctype html><meta charset="utf-8"><title>frontend</title><pre id="result"></pre>
<script>
(async () => {
  const { url, token, query, variables } = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  const call = async (credentials) => {
    try {
      const res = await fetch(url, { method: 'POST', credentials, headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token }, body: JSON.stringify({ query, variables }) });
      return { status: res.status, requestId: res.headers.get('x-request-id'), body: await res.json() };
    } catch (error) {
      return { blocked: String(error) };
    }
  };
  const result = { plain: await call('omit'), credentialed: await call('include') };
  const out = document.getElementById('result');
  out.textContent = JSON.stringify(result);
  out.dataset.done = 'yes';
})();
</script>`;

function servePage(): Promise<{ origin: string; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })),
  );
}

interface PageResult {
  status?: number;
  requestId?: string | null;
  body?: { data?: unknown; errors?: unknown[] };
  blocked?: string;
}

describe('CORS', () => {
  let t: TestGateway;
  let allowed: Awaited<ReturnType<typeof servePage>>;
  let other: Awaited<ReturnType<typeof servePage>>;
  let browser: Browser;
  let lease: ChromiumLease | undefined;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let customer: Awaited<ReturnType<typeof createCustomer>>;
  /** The gateway as the pages call it: another host name than theirs, another port. */
  let apiUrl: string;

  beforeAll(async () => {
    allowed = await servePage();
    other = await servePage();
    t = await startTestGateway({ CORS_ORIGINS: `https://app.example.test, ${allowed.origin}` });
    apiUrl = t.url.replace('127.0.0.1', 'localhost');
    shop = await simpleShop(t, { priceInPoints: 10 });
    customer = await createCustomer(t, shop.currency, 100);
    lease = await leaseChromium();
    browser = lease.browser;
  });
  afterAll(async () => {
    await lease?.close();
    await t?.close();
    allowed?.server.close();
    other?.server.close();
  });

  async function runPage(origin: string, query: string, variables: Record<string, unknown> = {}) {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/#${encodeURIComponent(JSON.stringify({ url: apiUrl, token: customer.token, query, variables }))}`);
      const result = page.locator('#result[data-done="yes"]');
      await result.waitFor({ timeout: 15_000 });
      return JSON.parse(await result.innerText()) as { plain: PageResult; credentialed: PageResult };
    } finally {
      await page.close();
    }
  }

  it('a page on an allowed origin calls the API with a bearer token and reads the answer', async () => {
    const { plain, credentialed } = await runPage(allowed.origin, '{ me { externalId balances { available } } }');
    const expected = { data: { me: { externalId: customer.externalId, balances: [{ available: 100 }] } } };
    expect(plain).toMatchObject({ status: 200, body: expected });
    expect(plain.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(credentialed).toMatchObject({ status: 200, body: expected });
  });

  it('a page on another origin is blocked by the browser, and its mutation never runs', async () => {
    const before = await writeCounts(t);
    const { plain, credentialed } = await runPage(other.origin, 'mutation Buy($id: ID!) { purchaseOffer(input: { listingId: $id, idempotencyKey: "cors" }) { userErrors { code } } }', {
      id: shop.listing.id,
    });
    expect(plain.blocked).toMatch(/TypeError|Failed to fetch/);
    expect(credentialed.blocked).toMatch(/TypeError|Failed to fetch/);
    expect(await writeCounts(t)).toEqual(before);
  });

  it('answers an allowed preflight 204 with the methods, headers and max age', async () => {
    const res = await t.fetch('/graphql', {
      method: 'OPTIONS',
      headers: { origin: allowed.origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-api-key' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(allowed.origin);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    expect(res.headers.get('access-control-allow-headers')?.split(', ')).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'x-api-key', 'apollographql-client-name', 'apollographql-client-version', 'apollo-require-preflight']),
    );
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('vary')).toMatch(/origin/i);
  });

  it('gives an origin not on the list no CORS headers, on the preflight and on the request', async () => {
    for (const origin of [other.origin, 'https://app.example.test.evil.test', 'null']) {
      const preflight = await t.fetch('/graphql', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      expect(preflight.status).toBe(403);
      expect([...preflight.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
      const res = await t.fetch('/graphql', {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${customer.token}` },
        body: JSON.stringify({ query: '{ me { externalId } }' }),
      });
      expect([...res.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
  });

  it('CORS_ORIGINS: localhost on any port by default in development only; malformed entries stop start-up', () => {
    const dev = new Cors(loadConfig({ NODE_ENV: 'development' }).corsOrigins, 600);
    expect(['http://localhost:5173', 'http://127.0.0.1:3000', 'http://localhost'].map((o) => dev.allows(o))).toEqual([true, true, true]);
    expect(['http://localhost.evil.test:5173', 'https://example.com', 'null'].map((o) => dev.allows(o))).toEqual([false, false, false]);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).corsOrigins).toEqual([]);
    for (const bad of ['*', 'https://app.example.com/', 'app.example.com', 'ftp://app.example.com', 'https://*.example.com']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(ConfigError);
    }
  });
});
