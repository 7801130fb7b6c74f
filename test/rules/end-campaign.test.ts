import { decodeGlobalId, toGlobalId } from '../../src/graphql/ids.js';
import { CreateCampaignDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testWorker } from '../support/job-runner.js';
import { createCustomer, createPartner, earningProgram, unique } from '../support/program.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const END = `mutation($input: EndCampaignInput!) {
  endCampaign(input: $input) { campaign { id name startsAt endsAt } userErrors { code field message } }
}`;
type Ended = { endCampaign: { campaign: { id: string; name: string; startsAt: string; endsAt: string } | null; userErrors: { code: string; field: string[] | null; message: string }[] } };

/**
 * newcomer-37: a campaign made by mistake (the wrong bonus, the wrong days) could not be ended: it
 * awarded points to its last day. `endCampaign` ends it now: sales made before still earn from it,
 * also when a till sends them later; sales made from now do not.
 */
describe('an operator ends a campaign', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const process = () =>
    testWorker(t).runUntilIdle();
  const campaign = async (currency: string, window: { startsAt: Date; endsAt: Date }) =>
    ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name: unique('camp'), currency, startsAt: window.startsAt.toISOString(), endsAt: window.endsAt.toISOString(), outcome: { bonusPoints: 50 } } as never },
        t.operatorToken,
      ),
    ).createCampaign.campaign!;
  const sell = async (customerExternalId: string, money: string, occurredAt: Date) => {
    const externalId = unique('sale');
    ok(
      await t.gql(
        SubmitTransactionDocument,
        { input: { externalId, customerExternalId, occurredAt: occurredAt.toISOString(), currency: money, lines: [{ sku: 'BEANS', category: 'COFFEE', quantity: 1, unitPrice: '1.00' }] } },
        till.credential,
      ),
    );
    return externalId;
  };
  /** Each sale's campaign points, by its external id. */
  const bonusOf = async (externalIds: string[], campaignName: string) =>
    Object.fromEntries(
      (
        await t.sql<{ external_id: string; status: string; points: number }>(
          `select s.external_id, s.status, coalesce((select sum(a.points) from transaction_award a join campaign c on a.rule = 'campaign:' || c.id || ':' || c.name
                                                     where a.transaction_id = s.id and c.name = $2), 0)::int as points
             from sales_transaction s where s.external_id = any($1)`,
          [externalIds, campaignName],
        )
      ).map((r) => [r.external_id, `${r.status} ${r.points}`]),
    );
  const audit = async (campaignId: string) =>
    t.sql<{ action: string; reason: string | null; details: unknown }>(
      `select action, reason, details from audit_entry where target = 'Campaign:' || $1 and action = 'endCampaign' order by id`,
      [String(decodeGlobalId(campaignId)!.id)],
    );

  it('sales made before the end earn from it, sent before or after it; sales made at or after it do not; ending again changes nothing', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'E');
    const now = t.clock.now();
    const running = await campaign(currency, { startsAt: new Date(now.getTime() - DAY), endsAt: new Date(now.getTime() + 10 * DAY) });
    const customer = await createCustomer(t, currency);
    const sentBefore = await sell(customer.externalId, money, new Date(now.getTime() - 2 * MINUTE));

    const answers = await Promise.all(
      Array.from({ length: 4 }, () => t.gql(END, { input: { campaignId: running.id, reason: 'Wrong bonus: should have been 5' } }, t.operatorToken)),
    );
    const ended = answers.map((a) => (dataOf(a) as Ended).endCampaign);
    expect(ended).toEqual(Array(4).fill({ campaign: { ...running, endsAt: now.toISOString() }, userErrors: [] }));

    const sentLate = await sell(customer.externalId, money, new Date(now.getTime() - 1)); // an offline till's sale, made 1 ms before the end
    const atEnd = await sell(customer.externalId, money, now);
    t.clock.advance(MINUTE);
    const after = await sell(customer.externalId, money, t.clock.now());
    await process();
    expect(await bonusOf([sentBefore, sentLate, atEnd, after], running.name)).toEqual({
      [sentBefore]: 'PROCESSED 50',
      [sentLate]: 'PROCESSED 50',
      [atEnd]: 'PROCESSED 0',
      [after]: 'PROCESSED 0',
    });

    // Ended already: answered as it is, nothing more logged.
    const again = (dataOf(await t.gql(END, { input: { campaignId: running.id } }, t.operatorToken)) as Ended).endCampaign;
    expect(again).toEqual(ended[0]);
    expect(await audit(running.id)).toEqual([
      { action: 'endCampaign', reason: 'Wrong bonus: should have been 5', details: { endsAt: now.toISOString(), endedBefore: new Date(now.getTime() + 10 * DAY).toISOString() } },
    ]);
  });

  it('a campaign ended before it starts never runs', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'E');
    const now = t.clock.now();
    const start = new Date(now.getTime() + DAY);
    const upcoming = await campaign(currency, { startsAt: start, endsAt: new Date(start.getTime() + 7 * DAY) });
    const ended = (dataOf(await t.gql(END, { input: { campaignId: upcoming.id } }, t.operatorToken)) as Ended).endCampaign;
    expect(ended.campaign).toEqual({ ...upcoming, endsAt: start.toISOString() });

    t.clock.advance(DAY + MINUTE);
    const customer = await createCustomer(t, currency);
    const sale = await sell(customer.externalId, money, t.clock.now());
    await process();
    expect(await bonusOf([sale], upcoming.name)).toEqual({ [sale]: 'PROCESSED 0' });
    const listed = (ok(await t.gql(`{ campaigns { id endsAt } }`, {}, t.operatorToken)) as { campaigns: { id: string; endsAt: string }[] }).campaigns;
    expect(listed.find((c) => c.id === upcoming.id)).toEqual({ id: upcoming.id, endsAt: start.toISOString() });
  });

  it('refused: no such campaign, an id of another type, a blank reason, and anyone but an operator', async () => {
    const { currency } = await earningProgram(t, 'E');
    const c = await campaign(currency, { startsAt: new Date(Date.now() - DAY), endsAt: new Date(Date.now() + DAY) });
    const missing = (dataOf(await t.gql(END, { input: { campaignId: toGlobalId('Campaign', 987_654_321) } }, t.operatorToken)) as Ended).endCampaign;
    expect(missing).toEqual({ campaign: null, userErrors: [{ code: 'NOT_FOUND', field: ['input', 'campaignId'], message: 'No such campaign.' }] });

    const wrongType = await t.gql(END, { input: { campaignId: toGlobalId('Offer', 1) } }, t.operatorToken);
    expect(wrongType.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const blank = await t.gql(END, { input: { campaignId: c.id, reason: '   ' } }, t.operatorToken);
    expect(blank.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const customer = await createCustomer(t, currency);
    for (const token of [t.analystToken, customer.token]) {
      const refused = await t.gql(END, { input: { campaignId: c.id } }, token);
      expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    }
    // Nothing of it changed the campaign.
    const listed = (ok(await t.gql(`{ campaigns { id endsAt } }`, {}, t.operatorToken)) as { campaigns: { id: string; endsAt: string }[] }).campaigns;
    expect(listed.find((x) => x.id === c.id)!.endsAt).toBe(c.endsAt);
  });
});
