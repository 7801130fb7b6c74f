import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer } from '../support/program.js';

/**
 * The gateway keeps verified tokens for a while so it need not check a signature on every request
 * (src/http/auth.ts). A cached token must still stop working when it expires: the cache is a
 * shortcut to the same answer, never a longer life. The wall clock is what token expiry is measured
 * against (jose compares `exp` with Date.now(), allowing 5 s of clock skew), so this test moves
 * Date, and only Date: timers, sockets and the database run as usual.
 */
describe('a verified token kept in the cache', () => {
  let t: TestGateway;
  let externalId: string;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    externalId = (await createCustomer(t, 'UNUSED')).externalId; // no points: the currency is not read
  });
  afterEach(() => {
    jest.useRealTimers();
  });
  afterAll(() => t.close());

  const me = async (token: string) => {
    const res = await t.gql(`{ me { externalId } }`, {}, token);
    return res.status === 200 ? (res.data as { me: { externalId: string } }).me.externalId : (res.errors?.[0]?.extensions?.code as string);
  };

  function freezeDateAt(ms: number) {
    jest.useFakeTimers({
      doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
      now: ms,
    });
  }

  it('is refused from the second its exp (plus the 5 s skew allowance) has passed, though it was cached a moment before', async () => {
    const start = Math.floor(Date.now() / 1000) * 1000;
    freezeDateAt(start);
    const token = await t.customerToken(externalId, 20); // exp = start + 20 s, well inside the cache's minute
    const exp = start + 20_000;
    expect(await me(token)).toBe(externalId); // verified and cached
    jest.setSystemTime(exp - 1_000);
    expect(await me(token)).toBe(externalId);
    jest.setSystemTime(exp + 4_000);
    expect(await me(token)).toBe(externalId); // within the skew allowance
    jest.setSystemTime(exp + 5_000);
    expect(await me(token)).toBe('UNAUTHENTICATED');
  });
});
