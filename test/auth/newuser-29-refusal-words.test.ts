import { CustomerByExternalIdDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createCustomer, createPartner } from '../support/program.js';

/**
 * newuser-29: a customer reading another customer (or a sale) through the reads staff and partners
 * share was told "Only a partner with the scope customers:read can do this.", as if staff could
 * not: the refusal names everyone who may read it, the API key's missing scope for a partner.
 */
describe('the refusal of a read staff and partners share names who may read it', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    await createCurrency(t, 'NU29');
  });
  afterAll(() => t.close());

  it('tells a customer that staff, or a partner with the scope, may read another customer or a sale', async () => {
    const me = await createCustomer(t, 'NU29');
    const other = await createCustomer(t, 'NU29');
    const customer = await t.gql(CustomerByExternalIdDocument, { externalId: other.externalId }, me.token);
    expect({ data: customer.data, errors: customer.errors?.map((e) => [e.extensions?.code, e.message]) }).toEqual({
      data: { customer: null },
      errors: [['FORBIDDEN', 'Only staff, or a partner with the scope customers:read, can do this.']],
    });
    const sale = await t.gql(TransactionStatusDocument, { externalId: 'nu29-any-sale' }, me.token);
    expect(sale.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['FORBIDDEN', 'Only staff, or a partner with the scope transactions:read, can do this.']]);
  });

  it('still tells a partner without the scope which scope its key lacks', async () => {
    const { apiKey } = await createPartner(t, ['offers:redeem']);
    await t.register({ apiKey }, CustomerByExternalIdDocument.toString());
    const other = await createCustomer(t, 'NU29');
    const read = await t.gql(CustomerByExternalIdDocument, { externalId: other.externalId }, { apiKey });
    expect(read.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['FORBIDDEN', 'This API key lacks the scope customers:read.']]);
  });
});
