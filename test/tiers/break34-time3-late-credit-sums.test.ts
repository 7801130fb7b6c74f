import { CreateCampaignDocument, ReverseTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, secondEarningCurrency, submitSale, unique } from '../support/program.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * break34-time3 (held when written): `qualifying_points_until(…, p_at)` of a member whose sale's
 * job ran late equals a member's whose job ran at once, at moments before, between and after the
 * late job and a later return: no credit counted twice (by its own moment and as a late credit),
 * none early (pending days), for an economy award and a campaign bonus in one currency and an award
 * in a second currency, rolling and lifetime. What a member would see if it failed: a tier at a
 * sale's moment that differs by when an earlier sale's job ran. (Windows of 3 days: a 1-day window
 * after the job differs, the fault of break34-time3-window-by-job-time.test.ts.)
 */
describe('late credits summed at past moments (break34-time3)', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:read', 'transactions:write']);
  });
  afterAll(() => t.close());

  const status = async (externalId: string) => ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction!;
  const hold = (externalId: string) =>
    t.sql(`update job set run_at = run_at + interval '1000 days' where status = 'PENDING' and (payload->>'transactionId')::bigint = (select id from sales_transaction where external_id = $1)`, [externalId]);
  const release = async (externalId: string) => {
    await t.sql(`update job set run_at = $2 where status = 'PENDING' and (payload->>'transactionId')::bigint = (select id from sales_transaction where external_id = $1)`, [externalId, t.clock.now()]);
    await t.jobs.runner.runUntilIdle();
  };

  for (const pendingDays of [0, 1]) {
    it(`pending ${pendingDays}: the same sums at every moment, for a campaign bonus and two currencies, before and after a return`, async () => {
      t.clock.freeze();
      const { money, currency } = await earningProgram(t, 'LS', { expiryDays: null, pendingDays });
      const second = await secondEarningCurrency(t, `LS2${pendingDays}`, money);
      const now = t.clock.now().getTime();
      ok(await t.gql(CreateCampaignDocument, { input: { name: unique('bonus'), currency, startsAt: new Date(now - DAY).toISOString(), endsAt: new Date(now + 30 * DAY).toISOString(), outcome: { bonusPoints: 7 } } }, t.operatorToken));
      const a = await createCustomer(t, currency);
      const b = await createCustomer(t, currency);
      const ids = new Map((await t.sql<{ id: string; external_id: string }>('select id, external_id from customer where external_id = any($1)', [[a.externalId, b.externalId]])).map((r) => [r.external_id, r.id]));
      const moments: Date[] = [t.clock.now()];
      const sA = await submitSale(t, till, a.externalId, money, 10);
      const sB = await submitSale(t, till, b.externalId, money, 10);
      await hold(sB);
      await t.jobs.runner.runUntilIdle();
      for (const step of [MINUTE, HOUR, DAY + HOUR]) {
        t.clock.advance(step);
        moments.push(t.clock.now());
      }
      await release(sB); // B's job, a day and an hour late (past the pending day)
      expect((await status(sA)).pointsAwarded).toBe((await status(sB)).pointsAwarded);
      t.clock.advance(HOUR);
      moments.push(t.clock.now());
      for (const id of [sA, sB]) ok(await t.gql(ReverseTransactionDocument, { externalId: id, reason: 'returned' }, till.credential));
      t.clock.advance(HOUR);
      moments.push(t.clock.now());
      const sums = async (externalId: string) =>
        t.sql<{ c: string; w: number | null; at: string; n: string }>(
          `select c.code as c, w.w, m.at, qualifying_points_until($1, c.code, w.w, m.at)::text as n
             from unnest($2::text[]) c(code) cross join (values (3), (null::int)) w(w) cross join unnest($3::timestamptz[]) m(at)
            order by 1, 2, 3`,
          [ids.get(externalId), [currency, second], moments.flatMap((m) => [new Date(m.getTime() - 1), m, new Date(m.getTime() + 1)])],
        );
      const [forA, forB] = [await sums(a.externalId), await sums(b.externalId)];
      expect(forA.some((r) => Number(r.n) > 0)).toBe(true);
      expect(forB).toEqual(forA);
      t.clock.reset();
      expect(await ledgerViolations(t)).toEqual([]);
    });
  }
});
