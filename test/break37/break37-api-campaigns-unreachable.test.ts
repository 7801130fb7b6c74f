import { CreateCampaignDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, unique } from '../support/program.js';

/**
 * break37 (API): every page reachable. `campaigns` is described as "Staff: every campaign, newest
 * first." and is a plain list (no connection, no `first`/`after`), but it reads the newest 500 rows
 * only (`allCampaigns`, src/rules/rule.service.ts: `order by c.id desc limit 500`), silently. A
 * program that has created 501 campaigns (a weekly promotion for ten years, one a day for a
 * season) loses its oldest from the console: still running, still awarding points to every sale
 * (campaigns have no end mutation), and no staff read shows that it exists, what it awards or when
 * it ends; the answer says nothing of the cut. A correct gateway lists every campaign (or pages
 * them as a connection whose every page is reachable).
 */
describe('break37 api: the campaign list past 500 campaigns', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('still lists the oldest campaign, which is still running', async () => {
    const currency = (await createCurrency(t, 'CAMP37')).code;
    const now = t.clock.now().getTime();
    const window = { startsAt: new Date(now - 3_600_000).toISOString(), endsAt: new Date(now + 365 * 86_400_000).toISOString() };
    const create = async (name: string) =>
      ok(await t.gql(CreateCampaignDocument, { input: { name, currency, ...window, outcome: { bonusPoints: 5 } } as never }, t.operatorToken)).createCampaign.campaign!;

    const oldest = await create(`Founders' bonus ${unique('c')}`);
    // 500 more, a few at a time
    const names = Array.from({ length: 500 }, (_, i) => `Weekly promo ${i + 1}`);
    for (let i = 0; i < names.length; i += 10) await Promise.all(names.slice(i, i + 10).map(create));
    const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from campaign`);
    expect(n).toBe(501);

    const listed = ok(await t.gql<{ campaigns: { id: string; name: string }[] }, unknown>(`{ campaigns { id name } }`, {}, t.operatorToken)).campaigns;
    expect({ listed: listed.length, oldestListed: listed.some((c) => c.id === oldest.id) }).toEqual({ listed: 501, oldestListed: true });
  }, 180_000);
});
