import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createPartner } from '../support/program.js';

/**
 * HTTP caches (found by break32c's hostile pass): the one answer the gateway lets a shared cache keep (a GET
 * without credentials: `Cache-Control: public, max-age=PUBLIC_MAX_AGE`) must name in `Vary` every
 * request header that changes the answer for the same URL. Otherwise a CDN keyed by URL (+ Origin,
 * the only header named) hands the stored anonymous 200 to a partner whose x-api-key the gateway
 * refuses text from (400 PERSISTED_QUERY_NOT_ALLOWED), to a bearer of an expired token (401), to a
 * first-party client held to its list by PERSISTED_ONLY (400), and a body typed
 * application/graphql-response+json to a client that accepts only application/json.
 */
describe('public GET answers and Vary', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ PERSISTED_ONLY: 'kiosk' }, { jobs: 'manual' });
  });
  afterAll(() => t?.close());

  it('names in Vary every header that changes a publicly cacheable answer', async () => {
    const partner = await createPartner(t, ['customers:read']);
    const expired = await t.customerToken('vary-nobody', -3_600);
    const url = `${t.url}?query=${encodeURIComponent('{ __typename }')}`;
    const send = async (headers: Record<string, string>) => {
      const res = await fetch(url, { headers: { 'apollo-require-preflight': 'true', ...headers } });
      return { status: res.status, type: res.headers.get('content-type'), cacheControl: res.headers.get('cache-control'), vary: res.headers.get('vary'), body: await res.text() };
    };
    const stored = await send({ accept: 'application/graphql-response+json' });
    // What a shared cache may keep for this URL.
    expect(stored.status).toBe(200);
    expect(stored.cacheControl).toMatch(/^public, max-age=\d+$/);

    // The same URL answered otherwise, by the gateway itself, for each of these request headers.
    const variants: Record<string, Record<string, string>> = {
      accept: { accept: 'application/json' },
      'x-api-key': { 'x-api-key': partner.apiKey },
      authorization: { authorization: `Bearer ${expired}` },
      'apollographql-client-name': { 'apollographql-client-name': 'kiosk' },
    };
    const differs: string[] = [];
    for (const [header, headers] of Object.entries(variants)) {
      const own = await send(headers);
      if (own.status !== stored.status || own.type !== stored.type || own.body !== stored.body) differs.push(header);
    }
    expect(differs.sort()).toEqual(['accept', 'apollographql-client-name', 'authorization', 'x-api-key']);

    // Every one of them must be in Vary, or a shared cache serves the stored answer in their place.
    const vary = (stored.vary ?? '').toLowerCase().split(/\s*,\s*/);
    expect(differs.filter((h) => !vary.includes(h))).toEqual([]);
  });
});
