import { PurchaseOfferDocument, RecordActivityDocument, ReverseTransactionDocument, SetActivityRuleDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCustomer, createOffer, createPartner, createStore, earningProgram, processedSale, unique } from '../support/program.js';

/**
 * break37e: `LedgerEntry.description` (till-37b) for a debt's repayment. A credit to an account
 * that owes points (a returned sale whose points were spent) is followed by a REVERSAL the system
 * writes, reason "Repays points owed from a reversed sale", with the *credit's* source
 * (creditWithRepayment). ledgerDescription reads every STAFF entry as "Adjusted: <reason>", so
 * the repayment after a staff credit reads "Adjusted: Repays points owed from a reversed sale", a
 * second adjustment by staff that nobody made, in words an operator never typed; the same
 * repayment after a sale's or an activity's credit reads "Repays points owed from a reversed sale".
 * A member reads one system act in two ways depending on what happened to repay it.
 */
describe('break37e: a debt repayment described the same whatever credit repaid it', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('the repayment after a staff credit is not "Adjusted: …"', async () => {
    const { currency, money } = await earningProgram(t, 'RPAY');
    const till = await createPartner(t, ['transactions:write', 'transactions:read', 'activities:write']);
    const customer = await createCustomer(t, currency);
    ok(await t.gql(SetActivityRuleDocument, { input: { currency, kind: 'REVIEW', points: 10 } as never }, t.operatorToken));

    // 200 points earned, all spent, then the sale returned: 200 owed.
    const sale = await processedSale(t, till, customer.externalId, money, 20);
    const offer = await createOffer(t, unique('Free muffin'));
    const listing = await addListing(t, (await createStore(t, currency)).id, offer.id, { priceInPoints: 200 });
    ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token));
    ok(await t.gql(ReverseTransactionDocument, { externalId: sale, reason: 'damaged' }, till.credential));

    // Three credits, each repaying part of the debt: a sale's, an activity's, a staff member's.
    await processedSale(t, till, customer.externalId, money, 1);
    ok(
      await t.gql(
        RecordActivityDocument,
        {
          customerExternalId: customer.externalId,
          kind: 'REVIEW',
          reference: unique('review'),
        },
        till.credential,
      ),
    );
    await adjust(t, customer.externalId, currency, 5);

    const history = ok(
      await t.gql<
        {
          me: {
            pointHistory: {
              edges: {
                node: {
                  kind: string;
                  source: string;
                  reason: string | null;
                  description: string;
                };
              }[];
            };
          };
        },
        Record<string, never>
      >(`{ me { pointHistory(first: 20) { edges { node { kind source reason description } } } } }`, {}, customer.token),
    ).me.pointHistory.edges.map((e) => e.node);
    const repayments = history
      .filter((e) => e.reason === 'Repays points owed from a reversed sale')
      .map((e) => [e.source, e.description])
      .reverse();
    expect(repayments).toEqual([
      ['TRANSACTION', 'Repays points owed from a reversed sale'],
      ['ACTIVITY', 'Repays points owed from a reversed sale'],
      ['STAFF', 'Repays points owed from a reversed sale'],
    ]);
  });
});
