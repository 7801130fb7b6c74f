import { CreatePartnerDocument, CustomerByExternalIdDocument, ProfileDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createCustomer } from '../support/program.js';

/** Partners call with an API key (contract README): created once, stored hashed, scoped, revocable. */
describe('partners and API keys', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
    await createCurrency(t, 'POS');
  });
  afterAll(() => t.close());

  const createPartner = async (scopes: string[]) => ok(await t.gql(CreatePartnerDocument, { input: { name: 'Till vendor', scopes } }, t.operatorToken)).createPartner;

  it('returns the key once and stores only its hash', async () => {
    const created = await createPartner(['customers:read']);
    expect(created.apiKey).toMatch(/^rg_[A-Za-z0-9_-]{32}$/);
    expect(created.partner).toMatchObject({ name: 'Till vendor', scopes: ['customers:read'] });
    const rows = await t.sql(`select * from partner`);
    expect(JSON.stringify(rows)).not.toContain(created.apiKey!.slice(3));
    const audit = await t.sql(`select * from audit_entry where action = 'createPartner'`);
    expect(JSON.stringify(audit)).not.toContain(created.apiKey!.slice(3));
  });

  it('acts with its scopes: customers:read reads a customer by externalId', async () => {
    const customer = await createCustomer(t, 'POS', 75);
    const reader = await createPartner(['customers:read']);
    const res = ok(await t.gql(CustomerByExternalIdDocument, { externalId: customer.externalId }, { apiKey: reader.apiKey! }));
    expect(res.customer).toMatchObject({ externalId: customer.externalId, balances: [{ currency: { code: 'POS' }, available: 75, pending: 0 }] });

    const writer = await createPartner(['transactions:write']);
    const refused = await t.gql(CustomerByExternalIdDocument, { externalId: customer.externalId }, { apiKey: writer.apiKey! });
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(refused.data?.customer ?? null).toBeNull();
  });

  it('cannot do what staff or customers do', async () => {
    const partner = await createPartner(['customers:read', 'offers:redeem', 'transactions:write', 'transactions:read', 'activities:write']);
    const key = { apiKey: partner.apiKey! };
    expect((await t.gql(UpsertCustomerDocument, { input: { externalId: 'x' } }, key)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(ProfileDocument, {}, key)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(CreatePartnerDocument, { input: { name: 'x', scopes: ['customers:read'] } }, key)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses unknown, malformed and revoked keys with UNAUTHENTICATED', async () => {
    const partner = await createPartner(['customers:read']);
    for (const apiKey of ['rg_' + 'A'.repeat(32), 'nonsense', partner.apiKey!.slice(0, -1) + (partner.apiKey!.endsWith('A') ? 'B' : 'A')]) {
      const res = await t.gql(CustomerByExternalIdDocument, { externalId: 'x' }, { apiKey });
      expect([res.status, res.errors?.[0].extensions?.code]).toEqual([401, 'UNAUTHENTICATED']);
    }
    const revoke = await t.gql(
      `mutation($id: ID!) { revokePartner(input: { partnerId: $id, reason: "lost till" }) { partner { revokedAt } userErrors { code } } }`,
      { id: partner.partner!.id },
      t.operatorToken,
    );
    expect(dataOf(revoke)).toMatchObject({ revokePartner: { partner: { revokedAt: expect.any(String) }, userErrors: [] } });
    const res = await t.gql(CustomerByExternalIdDocument, { externalId: 'x' }, { apiKey: partner.apiKey! });
    expect([res.status, res.errors?.[0].extensions?.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('refuses unknown scopes, and only operators create partners', async () => {
    const bad = dataOf(await t.gql(CreatePartnerDocument, { input: { name: 'x', scopes: ['everything'] } }, t.operatorToken)).createPartner;
    expect(bad).toMatchObject({ partner: null, apiKey: null, userErrors: [{ code: 'INVALID', field: ['input', 'scopes', '0'] }] });
    const analyst = await t.gql(CreatePartnerDocument, { input: { name: 'x', scopes: ['customers:read'] } }, t.analystToken);
    expect(analyst.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
