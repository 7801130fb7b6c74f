import { startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * break37e: newcomer37 answers a GET Apollo's csrfPrevention would refuse (no preflight header, no
 * JSON type) with its credentials' refusal first, "as a POST does" — but only when that refusal is
 * 401. Failed credentials are counted per IP (contextFor takes an anonymous point before it
 * rethrows), and once that budget is spent the refusal is 429 RATE_LIMITED with Retry-After. A
 * simple GET then falls through to Apollo and is told 400 "blocked as a potential Cross-Site
 * Request Forgery … specify a 'content-type' header", the answer newcomer37 set out to remove:
 * the POST beside it is told 429 and when to come back. The same for an anonymous GET by
 * persisted id (401 "Sign in first" while the budget lasts, then 400 CSRF instead of 429).
 */
describe('break37e: a simple GET whose credentials are refused for the rate limit', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ RATE_LIMIT_ANONYMOUS: '2' });
  });
  afterAll(() => t.close());

  type Answer = { status: number; code?: string; retryAfter: boolean };
  const answer = async (res: Response): Promise<Answer> => {
    const body = (await res.json()) as {
      errors?: { message: string; extensions: { code: string } }[];
    };
    return {
      status: res.status,
      code: body.errors?.[0]?.extensions.code,
      retryAfter: res.headers.get('retry-after') !== null,
    };
  };
  const extensions = JSON.stringify({
    persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) },
  });
  const qs = `?extensions=${encodeURIComponent(extensions)}&variables=${encodeURIComponent('{"id":"x"}')}`;

  it('an empty x-api-key by GET is told 429 once failed credentials are over the budget, as by POST', async () => {
    const get = (headers: Record<string, string>) => t.fetch(`/graphql${qs}`, { headers });
    const post = (headers: Record<string, string>) =>
      t.fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({
          extensions: JSON.parse(extensions),
          variables: { id: 'x' },
        }),
      });
    // Within the budget: 401, by GET as by POST (newcomer37).
    expect(await answer(await get({ 'x-api-key': '' }))).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
      retryAfter: false,
    });
    expect(await answer(await get({ 'x-api-key': '' }))).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
      retryAfter: false,
    });
    // Over it: POST is told to wait.
    expect(await answer(await post({ 'x-api-key': '' }))).toEqual({
      status: 429,
      code: 'RATE_LIMITED',
      retryAfter: true,
    });
    // GET should be told the same, not to add a content type or a preflight header.
    expect({
      empty: await answer(await get({ 'x-api-key': '' })),
      none: await answer(await get({})),
    }).toEqual({
      empty: { status: 429, code: 'RATE_LIMITED', retryAfter: true },
      none: { status: 429, code: 'RATE_LIMITED', retryAfter: true },
    });
  });
});
