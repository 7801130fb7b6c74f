import { signToken } from '../../src/http/auth.js';
import { UpsertCustomerDocument } from '../generated/graphql.js';
import { gatewayPerBlock, ok, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, unique } from '../support/program.js';

const HOUR = 3_600_000;

/** What staff's console reads of a customer's status: the status and the write that set it. */
const STATUS = `query($externalId: String!) { customer(externalId: $externalId) { status statusChange { id action actor reason at } } }`;
type StatusAnswer = { customer: { status: string; statusChange: { id: string; action: string; actor: string; reason: string | null; at: string } | null } };

/**
 * status-45: staff see who gave a customer their current status, when, and why
 * (`Customer.statusChange`, the write's audit entry): the console's customer page said SUSPENDED
 * and nothing else, so the person at the help desk could not tell a member why they cannot buy.
 */
describe("a customer's status change, as staff read it (status-45)", () => {
  let t: TestGateway;
  gatewayPerBlock((g) => (t = g));

  const statusOf = async (externalId: string) => (ok(await t.gql(STATUS, { externalId }, t.operatorToken)) as StatusAnswer).customer;
  const setStatus = async (externalId: string, status: string, reason: string | undefined, credential: Parameters<TestGateway['gql']>[2]) =>
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId, status: status as 'ACTIVE', ...(reason ? { reason } : {}) } }, credential));

  it('names the suspension: who, when and the reason, kept when a sync sends the status again; the next change replaces it', async () => {
    t.clock.freeze();
    const createdAt = t.clock.now().toISOString();
    const customer = await createCustomer(t, 'PTS');
    // created without a status: ACTIVE, set by the creation
    const creation = { status: 'ACTIVE', statusChange: { id: expect.any(String), action: 'createCustomer', actor: 'staff:staff-op', reason: null, at: createdAt } };
    expect(await statusOf(customer.externalId)).toEqual(creation);
    // a sync sending ACTIVE to a customer who was never anything else sets nothing
    t.clock.advance(HOUR);
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'ACTIVE' } }, await signToken(t.config, { sub: 'crm-sync', role: 'operator' })));
    expect(await statusOf(customer.externalId)).toEqual(creation);

    const suspendedAt = t.clock.now().toISOString();
    await setStatus(customer.externalId, 'SUSPENDED', 'Three chargebacks in a week', t.operatorToken);
    const suspension = await statusOf(customer.externalId);
    expect(suspension).toEqual({
      status: 'SUSPENDED',
      statusChange: { id: expect.any(String), action: 'updateCustomer', actor: 'staff:staff-op', reason: 'Three chargebacks in a week', at: suspendedAt },
    });

    // the CRM's nightly sync (an operator's integration) sends what it holds, SUSPENDED, with no
    // reason: not the write that suspended them
    t.clock.advance(HOUR);
    const sync = await signToken(t.config, { sub: 'crm-sync', role: 'operator' });
    await setStatus(customer.externalId, 'SUSPENDED', undefined, sync);
    expect(await statusOf(customer.externalId)).toEqual(suspension);

    t.clock.advance(HOUR);
    const clearedAt = t.clock.now().toISOString();
    await setStatus(customer.externalId, 'ACTIVE', 'Chargebacks were the bank’s error', t.operatorToken);
    expect(await statusOf(customer.externalId)).toEqual({
      status: 'ACTIVE',
      statusChange: { id: expect.any(String), action: 'updateCustomer', actor: 'staff:staff-op', reason: 'Chargebacks were the bank’s error', at: clearedAt },
    });

    // suspended again, by the sync, without a reason: this one, not the first suspension
    t.clock.advance(HOUR);
    const againAt = t.clock.now().toISOString();
    await setStatus(customer.externalId, 'SUSPENDED', undefined, sync);
    const again = await statusOf(customer.externalId);
    expect(again).toEqual({ status: 'SUSPENDED', statusChange: { id: expect.any(String), action: 'updateCustomer', actor: 'staff:crm-sync', reason: null, at: againAt } });
    expect(again.statusChange!.id).not.toBe(suspension.statusChange!.id);
  });

  it('a customer created SUSPENDED: the creation is the change; each customer of a list gets their own', async () => {
    const prefix = unique('st45');
    const created = `${prefix}-created`;
    const other = `${prefix}-other`;
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: created, status: 'SUSPENDED', reason: 'Imported as suspended' } }, t.operatorToken));
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: other, status: 'CLOSED', reason: 'Asked to leave' } }, t.operatorToken));
    const res = ok(
      await t.gql(`query($s: String!) { customers(search: $s, first: 10) { edges { node { externalId status statusChange { action reason } } } } }`, { s: prefix }, t.operatorToken),
    ) as { customers: { edges: { node: { externalId: string; status: string; statusChange: { action: string; reason: string } } }[] } };
    expect(Object.fromEntries(res.customers.edges.map((e) => [e.node.externalId, [e.node.status, e.node.statusChange]]))).toEqual({
      [created]: ['SUSPENDED', { action: 'createCustomer', reason: 'Imported as suspended' }],
      [other]: ['CLOSED', { action: 'createCustomer', reason: 'Asked to leave' }],
    });
  });

  it('is staff’s: the member themself and a partner are refused FORBIDDEN, and see nothing of it', async () => {
    const customer = await createCustomer(t, 'PTS');
    await setStatus(customer.externalId, 'SUSPENDED', 'Internal: fraud review', t.operatorToken);
    const asMember = await t.gql(`{ me { externalId statusChange { reason } } }`, {}, customer.token);
    const reader = await createPartner(t, ['customers:read']);
    const asPartner = await t.gql(STATUS, { externalId: customer.externalId }, reader.credential);
    for (const res of [asMember, asPartner]) {
      expect(res.errors?.map((e) => [e.extensions?.code, e.path?.slice(-1)[0]])).toEqual([['FORBIDDEN', 'statusChange']]);
      expect(res.text).not.toContain('fraud review');
    }
  });
});
