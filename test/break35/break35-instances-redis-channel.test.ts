import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, uniqueCode } from '../support/program.js';
import { collect, openSocket, waitFor, type TestSocket } from '../support/ws.js';

/**
 * break35-instances (Redis fan-out): with EVENT_FANOUT=redis every instance subscribes to the Redis
 * channel `<RATE_LIMIT_KEY_PREFIX>:events` (src/events/relay.ts; prefix default `rg`) and hands
 * whatever arrives there to its hub, matched by the numeric customer id alone. Nothing in the
 * message says which database (which deployment) it comes from. Two deployments that share one
 * Redis with the same configuration (staging and production, two programs, blue/green on two
 * databases — the prefix is documented only as the rate limiter's key prefix) hear each other's
 * events.
 *
 * What a member sees: member #N of program Y, subscribed to balanceChanged, receives member #N of
 * program X's balance (another person's data: SPEC §5.6 "No caller sees ... data outside its
 * rights"), and then misses their own balance change, dropped as a repeat of an event id they
 * already have (each customer's stream is numbered 1, 2, 3 ...).
 * Expected: a deployment's subscribers hear only their own database's events.
 *
 * Both deployments here use one prefix unique to this test (what two deployments left at the
 * default `rg` have), so other users of the shared Redis are not disturbed.
 *
 * Fixed (src/db/deployment.ts): the channel and the Redis rate-limit keys
 * carry the deployment's id, derived from the database's identity (cluster system identifier, oid).
 */
describe('two deployments sharing one Redis for the event fan-out (break35-instances)', () => {
  const env = { REDIS_URL: 'redis://127.0.0.1:6379', EVENT_FANOUT: 'redis', RATE_LIMIT_KEY_PREFIX: `b35ch${process.pid}`, EVENT_POLL_MS: '20', RATE_LIMIT_CUSTOMER: '30' };
  let x: TestGateway;
  let y: TestGateway;
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    x = await startTestGateway(env, { jobs: 'manual' });
    y = await startTestGateway(env, { jobs: 'manual' });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await x?.close();
    await y?.close();
  });

  /** A currency made in both deployments and a member of each in it, the two with one customer id (two fresh databases: the first member of each is the same number). */
  const membersWithOneId = async (prefix: string) => {
    const currency = uniqueCode(prefix);
    await createCurrency(x, currency);
    await createCurrency(y, currency);
    const [inX, inY] = [await createCustomer(x, currency), await createCustomer(y, currency)];
    const idOf = async (g: TestGateway, externalId: string) => (await g.sql<{ id: string }>(`select id from customer where external_id = $1`, [externalId]))[0].id;
    expect(await idOf(x, inX.externalId)).toBe(await idOf(y, inY.externalId));
    return { currency, inX, inY };
  };

  it("a member of one deployment hears only their own balance changes, not those of the other deployment's member with the same id", async () => {
    const { currency, inX, inY } = await membersWithOneId('SH');

    const s = openSocket(y.url, inY.token);
    sockets.push(s);
    await s.connected;
    const heard = collect<{ balanceChanged: { eventId: string; available: number } }>(s.client, `subscription { balanceChanged(currency: "${currency}") { eventId available } }`);
    await waitFor(() => y.gateway.events.listenerCount() > 0);

    await adjust(x, inX.externalId, currency, 777); // program X's member
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await adjust(y, inY.externalId, currency, 5); // program Y's member: their own change
    await waitFor(async () => heard.results.length >= 1, 10_000).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    expect(heard.results.map((r) => r.data?.balanceChanged.available)).toEqual([5]);
    expect(ok(await y.gql(`{ me { externalId } }`, {}, inY.token))).toBeDefined();
  });
  it("a member of one deployment is not rate limited for what the other deployment's member with the same id sent", async () => {
    const { inX, inY } = await membersWithOneId('SR');
    for (let i = 0; i < 30; i++) await x.gql(`{ me { externalId } }`, {}, inX.token);
    const first = await y.gql(`{ me { externalId } }`, {}, inY.token);
    expect(first.status).toBe(200);
  });
});
