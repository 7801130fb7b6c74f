import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, createPartner, earningProgram, secondEarningCurrency, submitSale, unique } from '../support/program.js';
import { Receiver, settleWebhooks } from '../support/webhook-receiver.js';
import { subscribed } from '../support/ws.js';

const SALE = `query Sale($externalId: String!) {
  transaction(externalId: $externalId) { status pointsAwarded pointsByCurrency { currency points } }
}`;
const RETURN = `mutation Return($externalId: String!) {
  reverseTransaction(input: { externalId: $externalId }) {
    pointsReversed pointsOwed reversedByCurrency { currency reversed owed }
    userErrors { code message }
  }
}`;
const ACTIVITY = `mutation Review($customerExternalId: String!, $reference: String!) {
  recordActivity(input: { customerExternalId: $customerExternalId, kind: REVIEW, reference: $reference }) {
    pointsAwarded pointsByCurrency { currency points }
    userErrors { code message }
  }
}`;
const DEPRECATED = `{ __type(name: "SalesTransaction") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }`;

type Sale = { transaction: { status: string; pointsAwarded: number; pointsByCurrency: { currency: string; points: number }[] } | null };
type Return = { reverseTransaction: { pointsReversed: number; pointsOwed: number; reversedByCurrency: { currency: string; reversed: number; owed: number }[]; userErrors: unknown[] } };
type Activity = { recordActivity: { pointsAwarded: number; pointsByCurrency: { currency: string; points: number }[]; userErrors: unknown[] } };
type Hook = { type: string; data: { sale: Record<string, unknown> } };

/**
 * money-24 (newcomer-24 "Left"): a sale earning in two point currencies answered one
 * `pointsAwarded` adding them up (the demo said 60 for 32 BEANS + 3 STARS + 25 BEANS), and so did
 * a return's `pointsReversed`/`pointsOwed`, the TransactionProcessed subscription, an activity's `pointsAwarded`, and the `sale.processed`
 * and `sale.reversed` webhooks: a number of no currency. Each now has its figures per currency
 * beside the sum (kept, deprecated, for the contract's documents). A real gateway and PostgreSQL,
 * a real webhook receiver, jobs run by hand at a moved clock.
 */
describe('points of different currencies are reported apart (money-24)', () => {
  let t: TestGateway;
  let receiver: Receiver;
  let money: string;
  let first: string;
  let second: string;
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual', random: () => 0 });
    receiver = await new Receiver().start();
    // Two point currencies earning on the same money: 10 points per unit and 1 point per unit.
    ({ money, currency: first } = await earningProgram(t, 'PCA'));
    second = await secondEarningCurrency(t, 'PCB', money);
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'activities:write', 'webhooks:manage']);
    const registered = ok(
      await t.gql<{ registerWebhookEndpoint: { userErrors: unknown[] } }, unknown>(
        `mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { userErrors { code message } } }`,
        { input: { url: receiver.url, eventTypes: ['SALE_PROCESSED', 'SALE_REVERSED'] } },
        till.credential,
      ),
    );
    expect(registered.registerWebhookEndpoint.userErrors).toEqual([]);
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const settle = () => settleWebhooks(t);
  const hooks = (type: string) => receiver.requests.map((r) => JSON.parse(r.body) as Hook).filter((h) => h.type === type);

  it('a sale earning in two currencies answers each, in its answer, its return and its webhooks', async () => {
    const customer = await createCustomer(t, first);
    // The member app's subscription to its sales (TransactionProcessed).
    const { socket, sub } = await subscribed<{ transactionProcessed: unknown }>(
      t.url,
      t.gateway.events,
      customer.token,
      'subscription { transactionProcessed { pointsAwarded pointsByCurrency { currency points } } }',
    );
    const externalId = await submitSale(t, till, customer.externalId, money, 8);
    await settle();
    try {
      expect((await sub.until(1)).map((r) => r.data)).toEqual([
        { transactionProcessed: { pointsAwarded: 88, pointsByCurrency: [{ currency: first, points: 80 }, { currency: second, points: 8 }] } },
      ]);
    } finally {
      await socket.dispose();
    }
    expect(ok(await t.gql<Sale, unknown>(SALE, { externalId }, till.credential)).transaction).toEqual({
      status: 'PROCESSED',
      pointsAwarded: 88, // the old sum, kept for the contract's TransactionStatus
      pointsByCurrency: [
        { currency: first, points: 80 },
        { currency: second, points: 8 },
      ],
    });

    // 50 of the first currency's 80 are spent before the return: owed in that currency only.
    await adjust(t, customer.externalId, first, -50);
    const back = dataOf(await t.gql<Return, unknown>(RETURN, { externalId }, till.credential)).reverseTransaction;
    expect(back).toEqual({
      pointsReversed: 88,
      pointsOwed: 50,
      reversedByCurrency: [
        { currency: first, reversed: 80, owed: 50 },
        { currency: second, reversed: 8, owed: 0 },
      ],
      userErrors: [],
    });
    await settle();
    await settle();

    const processed = hooks('sale.processed').filter((h) => h.data.sale.externalId === externalId);
    expect(processed.map((h) => ({ pointsAwarded: h.data.sale.pointsAwarded, pointsByCurrency: h.data.sale.pointsByCurrency }))).toEqual([
      { pointsAwarded: 88, pointsByCurrency: [{ currency: first, points: 80 }, { currency: second, points: 8 }] },
    ]);
    const reversed = hooks('sale.reversed').filter((h) => h.data.sale.externalId === externalId);
    expect(reversed.map((h) => h.data.sale.reversedByCurrency)).toEqual([
      [
        { currency: first, reversed: 80, owed: 50 },
        { currency: second, reversed: 8, owed: 0 },
      ],
    ]);
  });

  it('an activity rewarded in two currencies answers each, also on a repeat', async () => {
    for (const [currency, points] of [[first, 5], [second, 2]] as const) {
      ok(await t.gql(`mutation($input: SetActivityRuleInput!) { setActivityRule(input: $input) { userErrors { code } } }`, { input: { currency, kind: 'REVIEW', points } }, t.operatorToken));
    }
    const customer = await createCustomer(t, first);
    const reference = unique('review');
    const expected = { pointsAwarded: 7, pointsByCurrency: [{ currency: first, points: 5 }, { currency: second, points: 2 }], userErrors: [] };
    expect(dataOf(await t.gql<Activity, unknown>(ACTIVITY, { customerExternalId: customer.externalId, reference }, till.credential)).recordActivity).toEqual(expected);
    expect(dataOf(await t.gql<Activity, unknown>(ACTIVITY, { customerExternalId: customer.externalId, reference }, till.credential)).recordActivity).toEqual(expected);
  });

  it('the mixed sum says so: deprecated with the reason, in the schema', async () => {
    const fields = ok(await t.gql<{ __type: { fields: { name: string; isDeprecated: boolean; deprecationReason: string | null }[] } }, unknown>(DEPRECATED, {}, t.operatorToken)).__type.fields;
    expect(fields.find((f) => f.name === 'pointsAwarded')).toEqual({ name: 'pointsAwarded', isDeprecated: true, deprecationReason: expect.stringContaining('different point currencies') });
    expect(fields.find((f) => f.name === 'pointsByCurrency')?.isDeprecated).toBe(false);
  });
});
