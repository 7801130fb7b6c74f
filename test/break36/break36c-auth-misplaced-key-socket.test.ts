import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createPartner } from '../support/program.js';
import { openSocket } from '../support/ws.js';

/**
 * break36c (auth): newcomer-36 tells an API key sent under another header's name where it goes
 * ("An API key goes in the x-api-key header; this request sent one in "api-key"."), but only over
 * HTTP: Authenticator.authenticate looks for the misplaced key among the request's headers, and the
 * WebSocket hands it only `{ authorization, x-api-key }` picked from connectionParams (ws.ts,
 * `credentials`), so the same key under connectionParams `api-key` (or `apiKey`, as graphql-ws
 * clients are usually written) is closed 4401 "credentials required…", naming neither what was
 * sent nor that a key was seen. parity-12 holds that one credential is answered alike by HTTP and
 * by the socket (a subscription client is where a POS developer meets it after its queries work).
 */
describe('break36c auth: an API key under another name, over HTTP and over the socket', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it("connectionParams 'api-key' is told what the header 'api-key' is told over POST and GET", async () => {
    const partner = await createPartner(t, ['customers:read']);
    const expected = 'An API key goes in the x-api-key header; this request sent one in "api-key".';
    const post = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': partner.apiKey },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    const get = await t.fetch(`/graphql?query=${encodeURIComponent('{ me { id } }')}`, { headers: { 'api-key': partner.apiKey, 'apollo-require-preflight': 'true' } });
    const messageOf = async (res: Response) => ((await res.json()) as { errors: { message: string }[] }).errors[0].message;
    expect({ post: [post.status, await messageOf(post)], get: [get.status, await messageOf(get)] }).toEqual({
      post: [401, expected],
      get: [401, expected],
    });
    expect(await openSocket(t.url, { 'api-key': partner.apiKey }).closed).toEqual({ code: 4401, reason: expected });
  });
});
