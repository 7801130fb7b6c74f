import { signToken } from '../../src/http/auth.js';
import { UpdateOfferDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { type Credential, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCurrency, createCustomer, createOffer, createPartner, createStore, unique } from '../support/program.js';
import { recordStatements, sentFor } from '../support/statements.js';

/** The audit log as the console reads it (audit-46): filters, and each entry's object named as it is now. */
const LOG = `query($about: ID, $actor: String, $action: String, $first: Int, $after: String) {
  auditLog(about: $about, actor: $actor, action: $action, first: $first, after: $after) {
    edges { cursor node { id actor action target reason about { __typename id ... on Customer { externalId customerName: name } ... on RewardStore { code } ... on Offer { offerId name } ... on Listing { priceInPoints } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
type Entry = { id: string; actor: string; action: string; target: string; reason: string | null; about: ({ __typename: string; id: string } & Record<string, unknown>) | null };
type LogAnswer = { auditLog: { edges: { cursor: string; node: Entry }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
/** Plan nodes, depth first. */
type PlanNode = { 'Node Type': string; 'Index Name'?: string; Plans?: PlanNode[] };
const nodesOf = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodesOf)];
type LogArgs = { about?: string; actor?: string; action?: string; first?: number; after?: string | null };

/**
 * audit-46: staff read the audit log about one object (a customer's "Changes to this customer" in
 * the console), by one actor or of one action, newest first, each entry naming its object as the
 * API reads it now. Before, the log was one list of every change with raw targets (`Customer:12`),
 * which a support desk paged through by eye.
 */
describe('the audit log narrowed to one object, one actor or one action (audit-46)', () => {
  let t: TestGateway;
  let second: string;
  const log = (args: LogArgs, credential: Credential = t.operatorToken) => t.gql<LogAnswer, LogArgs>(LOG, args, credential);
  const entries = async (args: LogArgs) => ok(await log({ first: 100, ...args })).auditLog.edges.map((e) => e.node);
  const upsert = async (input: Record<string, unknown>, credential: Credential) => ok(await t.gql(UpsertCustomerDocument, { input: input as { externalId: string } }, credential));
  const customerId = async (externalId: string) => (ok(await t.gql(`query($e: String!) { customer(externalId: $e) { id } }`, { e: externalId }, t.operatorToken)) as { customer: { id: string } }).customer.id;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    second = await signToken(t.config, { sub: 'staff-two', role: 'operator' });
    // Ann: created by staff-op, suspended by staff-two with a reason, renamed by staff-op. Bob: created by staff-two.
    await upsert({ externalId: 'aud-ann', name: 'Ann Audit' }, t.operatorToken);
    await upsert({ externalId: 'aud-bob', name: 'Bob Audit' }, second);
    await upsert({ externalId: 'aud-ann', status: 'SUSPENDED', reason: 'Card reported stolen' }, second);
    await upsert({ externalId: 'aud-ann', name: 'Ann Audit-Smith' }, t.operatorToken);
  });
  afterAll(() => t.close());

  it("about: a customer's changes only, newest first, each naming the customer as they are now", async () => {
    const ann = await customerId('aud-ann');
    const found = await entries({ about: ann });
    expect(found.map((e) => [e.action, e.actor, e.reason])).toEqual([
      ['updateCustomer', 'staff:staff-op', null],
      ['updateCustomer', 'staff:staff-two', 'Card reported stolen'],
      ['createCustomer', 'staff:staff-op', null],
    ]);
    expect(found.map((e) => e.about)).toEqual(Array(3).fill({ __typename: 'Customer', id: ann, externalId: 'aud-ann', customerName: 'Ann Audit-Smith' }));
    // Bob's id reads Bob's one entry
    expect((await entries({ about: await customerId('aud-bob') })).map((e) => [e.action, e.actor])).toEqual([['createCustomer', 'staff:staff-two']]);
  });

  it('actor and action: the changes by one operator, of one action, and both together', async () => {
    const byTwo = await entries({ actor: 'staff:staff-two' });
    expect(byTwo.map((e) => [e.action, e.about?.externalId])).toEqual([
      ['updateCustomer', 'aud-ann'],
      ['createCustomer', 'aud-bob'],
    ]);
    const creations = await entries({ action: 'createCustomer' });
    expect(creations.map((e) => e.about?.externalId)).toEqual(['aud-bob', 'aud-ann']);
    expect((await entries({ action: 'createCustomer', actor: 'staff:staff-op' })).map((e) => e.about?.externalId)).toEqual(['aud-ann']);
    expect(await entries({ action: 'createCustomer', about: await customerId('aud-bob'), actor: 'staff:staff-op' })).toEqual([]);
    // an action never recorded, and an actor who changed nothing: an empty list, not an error
    expect(await entries({ action: 'renameEverything' })).toEqual([]);
    expect(await entries({ actor: 'staff:nobody' })).toEqual([]);
  });

  it("pages a filtered list by its cursors; an offer's version id reaches the offer's entries; a point currency's entry names no object", async () => {
    const currency = unique('AUDC').toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 12);
    await createCurrency(t, currency);
    const offer = await createOffer(t);
    for (const name of [unique('renamed'), unique('renamed again')]) ok(await t.gql(UpdateOfferDocument, { input: { offerId: offer.id, name } }, t.operatorToken));
    const actions: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 4; pages++) {
      const page: LogAnswer['auditLog'] = ok(await log({ about: offer.id, first: 1, after })).auditLog;
      actions.push(...page.edges.map((e) => e.node.action));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(actions).toEqual(['updateOffer', 'updateOffer', 'createOffer']);
    const [created] = await entries({ action: 'createCurrency' });
    expect(created).toMatchObject({ target: `PointCurrency:${currency}`, about: null });
  });

  it('names the object of every entry of a page in one statement per kind of object, however many entries', async () => {
    await createCurrency(t, 'AUDS');
    const store = await createStore(t, 'AUDS');
    const offer = await createOffer(t);
    for (let i = 0; i < 3; i++) await addListing(t, store.id, offer.id);
    for (let i = 0; i < 6; i++) await createCustomer(t, 'AUDS');
    const recorder = recordStatements();
    try {
      // the statements sent for the page's own request (sentFor): the gateway's event relay,
      // woken by the writes just made, may send one of its own while the page is read
      const count = async (first: number) => {
        recorder.take();
        const result = await log({ first });
        const named = ok(result).auditLog.edges.flatMap((e) => (e.node.about ? [e.node.about.__typename] : []));
        const statements = sentFor(recorder.take(), result).filter((s) => !s.text.includes('rate_limit_bucket')).length;
        return { kinds: new Set(named).size, statements };
      };
      const few = await count(2);
      const many = await count(12);
      // two customers' creations; then six customers, three listings, an offer, a store (and a point currency, which names no object)
      expect([few.kinds, many.kinds]).toEqual([1, 4]);
      // one statement for the page, one per kind of object named, however many of each
      expect([few.statements, many.statements]).toEqual([1 + 1, 1 + 4]);
    } finally {
      recorder.stop();
    }
  });

  // A review of the first version: an actor with an action read one filter's index and dropped
  // the other's entries one by one (20,000 read to answer none). The plan of the gateway's own
  // statement, on a log where a sync's updates outnumber everything, names the two-column index.
  it("an actor with an action reads the two-column index, not one filter's entries one by one", async () => {
    await t.sql(
      `insert into audit_entry (actor, action, target, at)
       select case when i <= 57000 then 'system:crm-sync' else 'staff:plan-op' end,
              case when i > 57000 or i % 6000 = 0 then 'createCustomer' else 'updateCustomer' end,
              'Customer:' || (i % 3000 + 1), now()
       from generate_series(1, 60000) i`,
    );
    await t.sql('analyze audit_entry');
    const recorder = recordStatements();
    let sent;
    try {
      ok(await log({ actor: 'staff:plan-op', action: 'updateCustomer', first: 30 }));
      sent = recorder.take().find((st) => st.text.includes('from "audit_entry"'))!;
    } finally {
      recorder.stop();
    }
    const [{ 'QUERY PLAN': [plan] }] = await t.sql<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`explain (format json) ${sent.text}`, sent.values);
    expect(nodesOf(plan.Plan).flatMap((n) => (n['Index Name'] ? [n['Index Name']] : []))).toEqual(['audit_entry_actor_action_idx']);
  });

  it('refuses an about that is no global id, a blank or over-long actor or action; members and partners are refused the log', async () => {
    const refusal = async (args: LogArgs) => {
      const res = await log(args);
      return [res.data, res.errors?.map((e) => [e.extensions?.code, e.extensions?.field, e.message])];
    };
    expect(await refusal({ about: 'Customer:1' })).toEqual([null, [['BAD_USER_INPUT', ['about'], 'about is not a valid global id']]]);
    expect(await refusal({ actor: ' \u200b' })).toEqual([null, [['BAD_USER_INPUT', ['actor'], expect.stringMatching(/^actor must not be blank/)]]]);
    expect(await refusal({ action: 'x'.repeat(321) })).toEqual([null, [['BAD_USER_INPUT', ['action'], 'action must have at most 320 characters']]]);
    const member = await createCustomer(t, 'AUDS');
    expect((await log({ about: await customerId(member.externalId) }, member.token)).errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const partner = await createPartner(t, ['customers:read']);
    expect((await log({ actor: 'staff:staff-op' }, partner.credential)).errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});
