import { dataOf, ledgerViolations, startTestGateway, type TestGateway } from '../support/gateway.js';
import { CREATE_TIER_ANSWER, createCustomer, earningProgram, type CreateTierAnswer } from '../support/program.js';

/**
 * break3-25, a hostile pass on money-25's tier preview (reads at one snapshot, no locks) against
 * real createTiers sent at the same time, over real HTTP and PostgreSQL: previews racing creations
 * of the same code (same request and a different one) and of the same rank, and a preview of a code
 * a different request already created. Every answer is one the API documents (a preview, the tier,
 * its replay, ALREADY_EXISTS on the field that clashes), never an error, and one tier is made.
 */
describe('tier previews racing real creations (break3-25)', () => {
  let t: TestGateway;
  let currency: string;

  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
    ({ currency } = await earningProgram(t, 'PR', { expiryDays: null }));
    for (const points of [0, 50, 150, 400]) await createCustomer(t, currency, points);
  });
  afterEach(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(async () => {
    await t?.close();
  });

  const send = async (input: Record<string, unknown>) =>
    t.gql<CreateTierAnswer, unknown>(CREATE_TIER_ANSWER, { input: { currency, name: String(input.code), ...input } }, t.operatorToken);
  /** An answer as a kind: what the test accepts. */
  const kindOf = (a: Awaited<ReturnType<typeof send>>) => {
    if (a.errors || !a.data) return `error ${JSON.stringify(a.errors)}`;
    const c = a.data.createTier;
    if (c.userErrors.length) return `refused ${c.userErrors.map((e) => `${e.code} ${e.field.join('.')}`).join(',')}`;
    return c.dryRun ? 'preview' : `tier ${c.tier?.code} moved ${c.customersMoved}`;
  };

  it('previews and creations of one code and one rank at once: documented answers only, one tier', async () => {
    for (let round = 1; round <= 6; round++) {
      const code = `R${round}`;
      const rank = 10 + round;
      // Each round's thresholds above the last round's: a ladder's higher rank needs a higher
      // threshold (break36, tiers), and this test is about the races, not that refusal.
      const base = round * 1000;
      const same = { code, rank, threshold: base + 100 };
      const requests = [
        ...Array.from({ length: 6 }, () => ({ ...same, dryRun: true })),
        same,
        same,
        { ...same, threshold: base + 300 }, // a different request for the code
        { code: `${code}X`, rank, threshold: base }, // another code at the rank
        { code: `${code}X`, rank, threshold: base, dryRun: true },
      ];
      const answers = await Promise.all(requests.map((r) => send(r)));
      const kinds = answers.map(kindOf);
      const tiers = await t.sql<{ code: string }>(`select code from tier where rank = $1`, [rank]);
      expect({ errors: kinds.filter((k) => k.startsWith('error')), tiersAtRank: tiers.length }).toEqual({ errors: [], tiersAtRank: 1 });
      for (const [i, kind] of kinds.entries()) {
        const r = requests[i] as { code: string; dryRun?: boolean; threshold: number };
        const created = tiers[0].code;
        const allowed = r.dryRun
          ? ['preview', 'refused ALREADY_EXISTS input.code', 'refused ALREADY_EXISTS input.rank', expect.stringMatching(/^tier /)]
          : [expect.stringMatching(/^tier /), 'refused ALREADY_EXISTS input.code', 'refused ALREADY_EXISTS input.rank'];
        expect({ request: r, created, kind, allowed: allowed.some((a) => (typeof a === 'string' ? a === kind : (a as { asymmetricMatch(x: string): boolean }).asymmetricMatch(kind))) }).toEqual({ request: r, created, kind, allowed: true });
      }
    }
  }, 120_000);

  it('a preview of a code another request created is refused as that request would be, naming the code', async () => {
    const first = await send({ code: 'TAKEN', rank: 40, threshold: 10_000 });
    expect(kindOf(first)).toMatch(/^tier TAKEN/);
    const [dry, real] = [await send({ code: 'TAKEN', rank: 41, threshold: 10_000, dryRun: true }), await send({ code: 'TAKEN', rank: 41, threshold: 10_000 })];
    expect(dataOf(dry).createTier.userErrors).toEqual(dataOf(real).createTier.userErrors);
    expect(dataOf(dry).createTier.userErrors).toEqual([{ code: 'ALREADY_EXISTS', field: ['input', 'code'], message: expect.stringContaining('TAKEN') }]);
    // The same request again, previewed: the first answer, as its repeat
    const again = dataOf(await send({ code: 'TAKEN', rank: 40, threshold: 10_000, dryRun: true })).createTier;
    expect(again).toEqual({ ...dataOf(first).createTier, dryRun: false });
  });
});
