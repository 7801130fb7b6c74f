import pino from 'pino';
import { startGateway, type Gateway } from '../../src/http/server.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, unique, uniqueCode } from '../support/program.js';
import { collect, openSocket, type TestSocket } from '../support/ws.js';

type Change = { balanceChanged: { eventId: string; available: number; change: { amount: number } | null } };
const SUB = `subscription S($after: ID) { balanceChanged(after: $after) { eventId available change { amount } } }`;

/**
 * held38 (live): 30 staff adjustments of one customer sent at once, to two gateway instances on one
 * database. A subscriber on each instance, and one resuming from the middle with `after`, each see
 * every change once, in the order they committed: event ids consecutive, each balance the one
 * before plus its change, and all three streams the same.
 */
describe('held38-live: parallel writes on one customer reach every subscriber in order, none missed', () => {
  let t: TestGateway;
  let other: Gateway;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    t = await startTestGateway();
    other = await startGateway({ config: t.config, orm: t.orm, databaseUrl: t.databaseUrl, clock: t.clock, log: pino({ level: 'silent' }) }, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await other.close();
    await t.close();
  });

  const socket = async (url: string, token: string) => {
    const s = openSocket(url, token);
    sockets.push(s);
    await s.connected;
    return s;
  };

  it('dense, ordered and identical on both instances and after a resume', async () => {
    const currency = (await createCurrency(t, uniqueCode('H38'))).code;
    const member = await createCustomer(t, currency, 0);
    const start = ok(await t.gql<{ lastEventId: string }, unknown>(`{ lastEventId }`, {}, member.token)).lastEventId;
    const a = collect<Change>((await socket(t.url, member.token)).client, SUB, { after: start });
    const b = collect<Change>((await socket(other.url, member.token)).client, SUB, { after: start });

    const amounts = Array.from({ length: 30 }, (_, i) => i + 1);
    const viaOther = async (amount: number) => {
      const res = await fetch(other.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` },
        body: JSON.stringify({
          query: `mutation A($input: AdjustPointsInput!) { adjustPoints(input: $input) { entry { id } userErrors { code message } } }`,
          variables: { input: { customerExternalId: member.externalId, currency, amount, reason: 'parallel', idempotencyKey: unique('par') } },
        }),
      });
      const body = (await res.json()) as { data?: { adjustPoints: { entry: { id: string } | null } } };
      expect(body.data?.adjustPoints.entry?.id).toBeTruthy();
    };
    // the even ones through this instance, the odd ones through the second
    await Promise.all(amounts.map((amount, i) => (i % 2 === 0 ? adjust(t, member.externalId, currency, amount) : viaOther(amount))));

    const seen = await a.until(30);
    await b.until(30);
    const middle = seen[14].data!.balanceChanged.eventId;
    const c = collect<Change>((await socket(t.url, member.token)).client, SUB, { after: middle });
    await c.until(15);

    const stream = (results: typeof seen) => results.map((r) => r.data!.balanceChanged);
    const first = stream(seen);
    first.forEach((e, i) => {
      expect(Number(e.eventId)).toBe(Number(start) + i + 1);
      expect(e.available).toBe((i === 0 ? 0 : first[i - 1].available) + e.change!.amount);
    });
    expect(first.map((e) => e.change!.amount).sort((x, y) => x - y)).toEqual(amounts);
    expect(first.at(-1)!.available).toBe(465);
    expect(stream(b.results)).toEqual(first);
    expect(stream(c.results)).toEqual(first.slice(15));
    expect(a.results.length + b.results.length + c.results.length).toBe(75); // nothing repeated
  });
});
