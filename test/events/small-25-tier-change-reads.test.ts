import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createTier, uniqueCode } from '../support/program.js';
import { recordStatements } from '../support/statements.js';
import { collect, openSocket, type TestSocket } from '../support/ws.js';

const TIER_CHANGED = `subscription TierChanged($after: ID) { tierChanged(after: $after) { eventId from { code name rank } to { code name rank } } }`;
type Change = { eventId: string; from: { code: string; name: string; rank: number } | null; to: { code: string; name: string; rank: number } | null };

/**
 * small-25: TierChange.from and TierChange.to each read their tier by code, two statements per
 * event, so a subscriber resuming over a member's tier history cost two reads of `tier` per event.
 * Both now load through the event's `tierByCode` loader: one statement per event. A real gateway,
 * PostgreSQL and a graphql-ws socket; the gateway's statements are recorded while the history is
 * replayed (`after: "0"`) and the reads of `tier` by code counted.
 */
describe("a tier change's from and to are read in one statement (small-25)", () => {
  let t: TestGateway;
  let socket: TestSocket | undefined;

  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => {
    await socket?.dispose();
    await t?.close();
  });

  it('a member resuming over five tier changes: five reads of tier, the same tiers as before', async () => {
    const currency = uniqueCode('TCR');
    await createCurrency(t, currency);
    const codes = ['BASE', 'MID', 'HIGH', 'TOP', 'PEAK'].map((c) => `${currency}_${c}`);
    for (const [i, code] of codes.entries()) await createTier(t, { currency, code, rank: 800 + i, threshold: 100 * i });
    const member = await createCustomer(t, currency);
    // Placed on BASE when created; each credit of 100 qualifying points moves the member one tier up: BASE → MID → HIGH → TOP → PEAK.
    for (let i = 0; i < 4; i++) await adjust(t, member.externalId, currency, 100);
    const tierOf = (i: number) => ({ code: codes[i], name: codes[i], rank: 800 + i });
    expect(ok(await t.gql<{ me: { tier: { code: string } } }, unknown>('{ me { tier { code } } }', {}, member.token)).me.tier.code).toBe(codes[4]);

    socket = openSocket(t.url, member.token);
    await socket.connected;
    const recorder = recordStatements();
    let changes: Change[];
    let reads: number;
    try {
      const sub = collect<{ tierChanged: Change }>(socket.client, TIER_CHANGED, { after: '0' });
      changes = (await sub.until(5)).map((r) => r.data!.tierChanged);
      sub.stop();
      reads = recorder.take().filter((s) => /from tier t where t\.code/.test(s.text)).length;
    } finally {
      recorder.stop();
    }
    // The member's history: placed on BASE when created, then the four moves up.
    expect({ shown: changes.map((c) => [c.from, c.to]), reads }).toEqual({
      shown: [
        [null, tierOf(0)],
        [tierOf(0), tierOf(1)],
        [tierOf(1), tierOf(2)],
        [tierOf(2), tierOf(3)],
        [tierOf(3), tierOf(4)],
      ],
      reads: 5,
    });
  });
});
