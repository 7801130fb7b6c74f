import { decodeGlobalId } from '../../src/graphql/ids.js';
import { CreateCampaignDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { earningProgram, unique } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';

const DAY = 86_400_000;
const END = `mutation($input: EndCampaignInput!) { endCampaign(input: $input) { campaign { id endsAt } userErrors { code } } }`;
type Ended = { endCampaign: { campaign: { id: string; endsAt: string } | null } };

/**
 * break38b (campaigns): two operators end one campaign at once, with different reasons, on one
 * gateway whose clock only moves forward. Operator A's request reads its clock (T) and is slower to
 * reach the campaign's row than operator B's, read 2 s later (T + 2 s), which ends the campaign at
 * T + 2 s and is answered so. A's statement then finds `ends_at (T + 2 s) > now (T)` and ends it
 * AGAIN, 2 s earlier, with a second audit entry.
 * What an operator sees: B's console said "ended at T + 2 s"; the campaign now says T, and the audit
 * log shows two ends with two reasons (the decision: "one audit entry"; four ends sent at once
 * pass only because the test's clock is frozen). A sale made in those 2 s, answered by B's end as
 * earning, earns nothing. Should: the first end to commit stands; later ones are answered with it,
 * not logged.
 * Root cause: src/rules/rule.service.ts endCampaign compares the row's end with the caller's
 * `now` read before the lock; compare with whether endCampaign already ended it (or never move an
 * end backwards: `ends_at > now` → `ends_at > now and <not ended by endCampaign>`).
 */
describe('two ends at once, with different reasons', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterEach(() => t.clock.reset());
  afterAll(() => t.close());

  it('the first to commit stands; the other is answered with it and not logged', async () => {
    t.clock.freeze();
    const { currency } = await earningProgram(t, 'D');
    const now = t.clock.now();
    const c = ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name: unique('camp'), currency, startsAt: new Date(now.getTime() - DAY).toISOString(), endsAt: new Date(now.getTime() + 10 * DAY).toISOString(), outcome: { bonusPoints: 50 } } as never },
        t.operatorToken,
      ),
    ).createCampaign.campaign!;
    const held = holdAnswers((text) => text.includes('with held as (select id, ends_at from campaign'), 'statement');
    let slow: Promise<unknown> | undefined;
    try {
      slow = t.gql(END, { input: { campaignId: c.id, reason: 'A: wrong multiplier' } }, t.operatorToken); // reads T
      await held.reached;
      t.clock.advance(2_000);
      const fast = (dataOf(await t.gql(END, { input: { campaignId: c.id, reason: 'B: wrong days' } }, t.operatorToken)) as Ended).endCampaign;
      expect(fast.campaign?.endsAt).toBe(new Date(now.getTime() + 2_000).toISOString());
    } finally {
      held.release();
    }
    const late = (dataOf((await slow) as never) as Ended).endCampaign;
    const entries = await t.sql<{ reason: string }>(`select reason from audit_entry where action = 'endCampaign' and target = 'Campaign:' || $1 order by id`, [
      String(decodeGlobalId(c.id)!.id),
    ]);
    // received: { endsAt: T, reasons: ['B: wrong days', 'A: wrong multiplier'] }
    expect({ endsAt: late.campaign?.endsAt, reasons: entries.map((e) => e.reason) }).toEqual({ endsAt: new Date(now.getTime() + 2_000).toISOString(), reasons: ['B: wrong days'] });
  });
});
