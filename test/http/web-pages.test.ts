import { seedDemo } from '../../src/demo/seed.js';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { gatewaySchema } from '../../src/graphql/schema.js';
import { firstPartyManifest, registerFirstPartyManifests } from '../../src/persisted/first-party.js';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, simpleShop } from '../support/program.js';

/**
 * What a browser gets from the gateway besides the API (issue 11): the member app at `/`, the
 * console at `/console/`, hashed assets, the explorer for a browser's GET of /graphql in
 * development only, while GraphQL sent by GET without a preflight is still refused (CSRF); and
 * the web apps' subscriptions sent by id over graphql-ws.
 */

const page = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('web pages (development)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ PERSISTED_ONLY: 'web,console', SEED_DEMO: 'true' });
  });
  afterAll(() => t.close());

  it('serves the member app at / and on its routes, with a page CSP, and its hashed assets for a year', async () => {
    for (const path of ['/', '/wallet', '/stores/everyday']) {
      const res = await t.fetch(path, { headers: page });
      expect([path, res.status, res.headers.get('content-type')]).toEqual([path, 200, 'text/html; charset=utf-8']);
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'; script-src 'self';/);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      const html = await res.text();
      expect(html).toContain('<title>Bean &amp; Leaf rewards</title>');
      const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      const asset = await t.fetch(script!);
      expect([asset.status, asset.headers.get('content-type'), asset.headers.get('cache-control')]).toEqual([200, 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable']);
    }
  });

  it('serves the console at /console/ and its routes', async () => {
    for (const path of ['/console', '/console/', '/console/customers/cust-alice', '/console/analytics']) {
      const res = await t.fetch(path, { headers: page });
      expect([path, res.status]).toEqual([path, 200]);
      expect(await res.text()).toContain('<title>Reward Gateway console</title>');
    }
  });

  it('answers a browser opening /graphql with the explorer, and still refuses GraphQL sent by a simple GET (CSRF)', async () => {
    const explorer = await t.fetch('/graphql', { headers: page });
    expect(explorer.status).toBe(200);
    const html = await explorer.text();
    expect(html).toContain('<title>Reward Gateway explorer</title>');
    // Everything it loads is the gateway's own (a data: URL, the icon, is in the page itself).
    expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((url) => !url.startsWith('/assets/') && !url.startsWith('data:'))).toEqual([]);

    const simple = await t.fetch(`/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: page });
    expect(simple.status).toBe(400);
    expect(await simple.text()).toMatch(/CSRF|preflight/i);
  });

  it('answers other paths, and paths outside the build, with 404', async () => {
    for (const path of ['/nope', '/assets/nope.js', '/assets/../package.json', '/%2e%2e/package.json', '/index.html.map', '/manifests/web.json', '/.stamp']) {
      expect([path, (await t.fetch(path, { headers: page })).status]).toEqual([path, 404]);
    }
  });

  it('offers demo tokens for the sign-in pages outside production, once the demo program is seeded (break37 ops: none on a program\'s own database)', async () => {
    expect((await t.fetch('/dev/tokens')).status).toBe(404);
    await seedDemo(t.orm, t.config, t.clock);
    const res = await t.fetch('/dev/tokens');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { staff: { role: string }[]; members: unknown[] };
    expect(body.staff.map((s) => s.role)).toEqual(['operator', 'analyst']);
  });

  describe('subscriptions of the web client, by id over graphql-ws', () => {
    const clients: Client[] = [];
    afterAll(() => Promise.all(clients.map((c) => c.dispose())));
    const connect = (token: string, clientName?: string) => {
      const client = createClient({
        url: t.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}`, ...(clientName ? { clientName } : {}) },
        retryAttempts: 0,
        lazy: true,
      });
      clients.push(client);
      return client;
    };
    const first = <T>(client: Client, payload: { query: string; extensions?: Record<string, unknown> }) =>
      new Promise<{ data?: T; errors?: { extensions?: { code?: string } }[] }>((resolve, reject) => {
        const stop = client.subscribe<T>(payload, {
          next: (result) => (stop(), resolve(result as never)),
          error: (errors) => resolve({ errors: errors as never }),
          complete: () => reject(new Error('completed with no event')),
        });
      });

    it('runs a registered subscription sent by id; refuses its text from a client held to its list', async () => {
      await registerFirstPartyManifests(t.orm.em.fork(), await gatewaySchema(), t.config, t.clock.now());
      const op = (await firstPartyManifest('web'))!.operations.find((o) => o.name === 'MemberBalanceChanged')!;
      const shop = await simpleShop(t);
      const customer = await createCustomer(t, shop.currency, 10);

      const refused = await first(connect(customer.token, 'web'), { query: op.body });
      expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);
      const unknown = await first(connect(customer.token, 'web'), { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } });
      expect(unknown.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);

      const before = t.gateway.events.listenerCount();
      const event = first<{ balanceChanged: { available: number } }>(connect(customer.token, 'web'), { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: op.id } } });
      for (let waited = 0; t.gateway.events.listenerCount() <= before; waited += 10) {
        if (waited > 10_000) throw new Error('the subscription never reached the server');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await adjust(t, customer.externalId, shop.currency, 5);
      expect((await event).data?.balanceChanged.available).toBe(15);
    });
  });
});

describe('web pages (production)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET });
  });
  afterAll(() => t.close());

  it('has no explorer and no demo tokens, and still serves the apps', async () => {
    const res = await t.fetch('/graphql', { headers: page });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('The explorer is off in production');
    expect(html).not.toContain('<script');
    expect((await t.fetch('/dev/tokens')).status).toBe(404);
    expect((await t.fetch('/', { headers: page })).status).toBe(200);
    expect((await t.fetch('/console/', { headers: page })).status).toBe(200);
  });
});
