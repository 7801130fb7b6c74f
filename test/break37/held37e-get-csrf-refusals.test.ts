import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { seriesCount } from '../support/metrics.js';
import { createCustomer, createPartner, simpleShop } from '../support/program.js';

/** A raw GET with headers as given (repeated ones included), answering status, code, and whether anything ran. */
function rawGet(
  url: string,
  pathAndQuery: string,
  headers: [string, string][],
  method = 'GET',
): Promise<{
  raw?: string;
  status: number;
  code?: string;
  data: boolean;
  message?: string;
}> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: pathAndQuery,
        method,
        headers: [['host', u.host], ...headers].flat() as unknown as Record<string, string>,
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let body: {
            data?: unknown;
            errors?: { message: string; extensions?: { code?: string } }[];
          } = {};
          try {
            body = JSON.parse(text);
          } catch {
            /* HEAD, or not JSON */
          }
          resolve({
            raw: text.slice(0, 200),
            status: res.statusCode!,
            code: body.errors?.[0]?.extensions?.code,
            message: body.errors?.[0]?.message,
            data: body.data !== undefined && body.data !== null,
          });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * held37e: newcomer37's early 401 for GETs Apollo's csrfPrevention would refuse. Nothing that
 * csrfPrevention refused now runs: an anonymous simple GET with text (introspection, in
 * development), an APQ registration by GET (text and hash), `extensions` with `query`, HEAD; a
 * simple GET carrying no credentials for a persisted id is 401, never run; an empty
 * `authorization` is treated as absent (as Apollo does); repeated headers do not slip past.
 */
describe('held37e: simple GETs after newcomer37', () => {
  let t: TestGateway;
  let id: string;
  let qsId: string;
  let key: string;
  beforeAll(async () => {
    t = await startTestGateway({
      NODE_ENV: 'development',
      METRICS_TOKEN: 'held37e-metrics-token-0123456789abcdef',
    });
    const { currency } = await simpleShop(t);
    const member = await createCustomer(t, currency, 10);
    const partner = await createPartner(t, ['customers:read', 'transactions:read']);
    key = partner.apiKey;
    const manifest = JSON.parse(readFileSync(new URL('../../schema/partner-manifest.json', import.meta.url), 'utf8'));
    await t.register({ apiKey: partner.apiKey }, manifest);
    id = (manifest.operations as { name: string; id: string }[]).find((o) => o.name === 'CustomerByExternalId')!.id;
    qsId = `extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: id } }))}&variables=${encodeURIComponent(JSON.stringify({ externalId: member.externalId }))}`;
  });
  afterAll(() => t.close());

  it('nothing csrfPrevention refused runs; credential-less persisted ids are 401', async () => {
    const introspection = `query=${encodeURIComponent('{ __schema { queryType { name } } }')}`;
    const apqText = '{ __typename }';
    const { createHash } = await import('node:crypto');
    const apqHash = createHash('sha256').update(apqText).digest('hex');
    const apq = `query=${encodeURIComponent(apqText)}&extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: apqHash } }))}`;
    const g = (q: string, h: [string, string][] = [], m = 'GET') => rawGet(t.url, `/graphql?${q}`, h, m);
    const out = {
      introspectionAnon: await g(introspection),
      introspectionAnonTextPlain: await g(introspection, [['content-type', 'text/plain']]),
      apqRegisterAnon: await g(apq),
      extensionsAndQueryAnon: await g(`${qsId}&query=${encodeURIComponent('{ __typename }')}`),
      persistedIdAnon: await g(qsId),
      persistedIdAuthEmpty: await g(qsId, [['authorization', '']]),
      persistedIdKeyTwiceEmpty: await g(qsId, [
        ['x-api-key', ''],
        ['x-api-key', ''],
      ]),
      persistedIdKeyTwiceOneValid: await g(qsId, [
        ['x-api-key', ''],
        ['x-api-key', key],
      ]),
      persistedIdKeyUpperCase: await g(qsId, [['X-API-KEY', key]]),
      persistedIdKeyEmptyUpper: await g(qsId, [['X-Api-Key', '']]),
      headAnon: await g(qsId, [], 'HEAD'),
      headEmptyKey: await g(qsId, [['x-api-key', '']], 'HEAD'),
      optionsAnon: await g(qsId, [], 'OPTIONS'),
      extensionsGarbageAnon: await g('extensions=%7Bnot'),
      contentTypeEmpty: await g(qsId, [['content-type', '']]),
    };
    const shown = Object.fromEntries(
      Object.entries(out).map(([k, v]) => [
        k,
        {
          status: v.status,
          code: v.code,
          csrf: /Cross-Site Request Forgery/.test(v.message ?? ''),
          data: v.data,
        },
      ]),
    );
    const csrf = { status: 400, code: 'BAD_REQUEST', csrf: true, data: false };
    const signIn = {
      status: 401,
      code: 'UNAUTHENTICATED',
      csrf: false,
      data: false,
    };
    expect(shown).toEqual({
      // csrfPrevention still refuses text sent without credentials: introspection, an APQ registration
      introspectionAnon: csrf,
      introspectionAnonTextPlain: csrf,
      apqRegisterAnon: csrf,
      // refused before Apollo, nothing run (the hash is checked first)
      extensionsAndQueryAnon: {
        status: 400,
        code: 'PERSISTED_QUERY_HASH_MISMATCH',
        csrf: false,
        data: false,
      },
      persistedIdAnon: signIn,
      // an empty authorization is no credential, as for Apollo
      persistedIdAuthEmpty: signIn,
      // repeated x-api-key: joined by Node, refused as an unknown key, never run
      persistedIdKeyTwiceEmpty: signIn,
      persistedIdKeyTwiceOneValid: signIn,
      // header names in any case
      persistedIdKeyUpperCase: {
        status: 200,
        code: undefined,
        csrf: false,
        data: true,
      },
      persistedIdKeyEmptyUpper: signIn,
      // HEAD: refused (no body), OPTIONS: the CORS preflight's 204
      headAnon: { status: 400, code: undefined, csrf: false, data: false },
      headEmptyKey: { status: 400, code: undefined, csrf: false, data: false },
      optionsAnon: { status: 204, code: undefined, csrf: false, data: false },
      extensionsGarbageAnon: signIn,
      contentTypeEmpty: signIn,
    });
  });

  it('the early 401s are counted as errors (graphql_errors_total, http_responses_total)', async () => {
    const metrics = async () =>
      (
        await t.fetch('/metrics', {
          headers: {
            authorization: 'Bearer held37e-metrics-token-0123456789abcdef',
          },
        })
      ).text();
    const before = await metrics();
    await rawGet(t.url, `/graphql?${qsId}`, [['x-api-key', '']]);
    await rawGet(t.url, `/graphql?${qsId}`, []);
    const after = await metrics();
    const grew = (series: string) => seriesCount(after, series) - seriesCount(before, series);
    expect({
      errors: grew('graphql_errors_total{code="UNAUTHENTICATED"}'),
      responses: grew('http_responses_total{route="/graphql",code="401"}'),
    }).toEqual({ errors: 2, responses: 2 });
  });
});
