import { AdjustPointsDocument, ReverseTransactionDocument, SubmitTransactionDocument, TransactionStatusDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { ledgerViolations, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, processedSale, unique } from '../support/program.js';

/**
 * Keys stored before edges-11 refused invisible characters in them (docs/decisions.md, "Hostile
 * pass 12c"): a customer's externalId or a sale's with a zero-width space, as a retailer's import
 * wrote it. Such a row is made here as it was then: stored, then its key given the character the
 * API now refuses in a new key.
 */
describe('keys stored before invisible characters were refused (hostile pass 12c)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  const ZWSP = '\u200b';

  it('a customer stored with an invisible character can still be found, credited and closed by that exact key; a new such key is refused', async () => {
    const { currency } = await earningProgram(t, 'KEYS');
    const customer = await createCustomer(t, currency, 0);
    const stored = `${customer.externalId}${ZWSP}`;
    await t.sql(`update customer set external_id = $1 where external_id = $2`, [stored, customer.externalId]);

    const found = await t.gql(`query($id: String!) { customer(externalId: $id) { externalId } }`, { id: stored }, t.operatorToken);
    expect({ data: found.data, errors: found.errors }).toEqual({ data: { customer: { externalId: stored } }, errors: undefined });

    const credited = await t.gql(AdjustPointsDocument, { input: { customerExternalId: stored, currency, amount: 7, reason: 'legacy', idempotencyKey: unique('k') } }, t.operatorToken);
    expect({ entry: credited.data?.adjustPoints.entry?.balanceAfter, errors: credited.errors }).toEqual({ entry: 7, errors: undefined });

    const closed = await t.gql(UpsertCustomerDocument, { input: { externalId: stored, status: 'CLOSED' as never } }, t.operatorToken);
    expect({ customer: closed.data?.upsertCustomer.customer?.status, errors: closed.errors }).toEqual({ customer: 'CLOSED', errors: undefined });

    // Nothing new is stored with such a key, and one that names nothing is refused as before.
    const fresh = `${unique('new')}${ZWSP}`;
    const created = await t.gql(UpsertCustomerDocument, { input: { externalId: fresh, name: 'x' } }, t.operatorToken);
    expect(created.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const unknown = await t.gql(`query($id: String!) { customer(externalId: $id) { externalId } }`, { id: fresh }, t.operatorToken);
    expect(unknown.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from customer where external_id = $1`, [fresh]);
    expect(n).toBe(0);
    expect(await ledgerViolations(t)).toEqual([]);
  });

  it('a sale stored with an invisible character can still be read and reversed by its till', async () => {
    const { money, currency } = await earningProgram(t, 'SALEKEYS');
    const customer = await createCustomer(t, currency, 0);
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const sale = await processedSale(t, till, customer.externalId, money, 10);
    const stored = `${sale}${ZWSP}`;
    await t.sql(`update sales_transaction set external_id = $1 where external_id = $2`, [stored, sale]);

    const read = await t.gql(TransactionStatusDocument, { externalId: stored }, till.credential);
    expect({ status: read.data?.transaction?.status, errors: read.errors }).toEqual({ status: 'PROCESSED', errors: undefined });
    const reversed = await t.gql(ReverseTransactionDocument, { externalId: stored, reason: 'legacy' }, till.credential);
    expect({ status: reversed.data?.reverseTransaction.transaction?.status, userErrors: reversed.data?.reverseTransaction.userErrors, errors: reversed.errors }).toEqual({
      status: 'REVERSED',
      userErrors: [],
      errors: undefined,
    });
    // Another till's sale under that key is not theirs to name: refused as any such new key.
    const other = await createPartner(t, ['transactions:write', 'transactions:read']);
    const input = { externalId: stored, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines: [{ sku: 'BEANS', category: 'RETAIL', quantity: 1, unitPrice: '1.00' }] };
    const foreign = await t.gql(SubmitTransactionDocument, { input }, other.credential);
    expect(foreign.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect((await t.gql(TransactionStatusDocument, { externalId: stored }, other.credential)).errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(await ledgerViolations(t)).toEqual([]);
  });
});
