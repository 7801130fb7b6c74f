import pg from 'pg';
import { SubmitTransactionDocument } from '../generated/graphql.js';
import { dataOf, type GqlResult, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, simpleShop, unique } from '../support/program.js';

/**
 * A partner's API key revoked while one of its requests is in flight (edges-11). The key is
 * checked when the request is authenticated; a sale that then waited (on a lock, a slow database)
 * still committed after the revocation had answered. Now the sale's own statement reads the key's
 * row under a lock that revokePartner's conflicts with: once revokePartner has answered, no sale
 * of the key commits, and one refused so is UNAUTHENTICATED with nothing stored.
 */
describe('a partner key revoked while its sales are in flight', () => {
  let t: TestGateway;
  let program: { money: string; currency: string };
  let customer: Awaited<ReturnType<typeof createCustomer>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    program = await earningProgram(t, 'RV');
    customer = await createCustomer(t, program.currency);
  });
  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  const sale = (till: { credential: { apiKey: string } }, externalId = unique('sale')) =>
    t.gql(
      SubmitTransactionDocument,
      { input: { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: program.money, lines: [{ sku: 'A', quantity: 1, unitPrice: '1.00' }] } },
      till.credential,
    );
  const revoke = (partnerId: string) =>
    t.gql(`mutation($id: ID!) { revokePartner(input: { partnerId: $id, reason: "lost till" }) { partner { revokedAt } userErrors { code } } }`, { id: partnerId }, t.operatorToken);
  const numericId = (globalId: string) => Number(Buffer.from(globalId, 'base64url').toString().split(':')[1]);
  /** What a partner's sales left behind: sales stored, and idempotency keys claimed. */
  const stored = async (partnerId: number) => {
    const [row] = await t.sql<{ sales: number; keys: number }>(
      `select (select count(*) from sales_transaction where partner_id = $1)::int as sales,
              (select count(*) from idempotency_record where scope = 'sale:partner:' || $1::text)::int as keys`,
      [partnerId],
    );
    return row;
  };
  const refusedAsRevoked = (res: GqlResult<unknown>) =>
    res.status === 401 && res.errors?.length === 1 && res.errors[0].extensions?.code === 'UNAUTHENTICATED' && res.errors[0].message === 'Unknown or revoked API key.';
  const lockWaiters = async () =>
    (await t.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0].n;

  it('a sale authenticated before the revocation and writing after it answered is refused, nothing stored', async () => {
    const till = await createPartner(t, ['transactions:write']);
    const partnerId = numericId(till.id);
    expect(ok(await sale(till)).submitTransaction.userErrors).toEqual([]); // the control (and its document registered)
    // the sale is held after authentication, at its idempotency key, by a claim of this test's not yet committed
    const externalId = unique('sale');
    await whileHeld(t.databaseUrl, [`insert into idempotency_record (scope, key, fingerprint, created_at) values ($1, $2, 'held', now())`, [`sale:partner:${partnerId}`, externalId]], async (release) => {
    const sent = sale(till, externalId);
    await waitUntil(async () => (await lockWaiters()) >= 1, 'the sale waiting at its key');
    expect(dataOf(await revoke(till.id) as GqlResult<any>).revokePartner.userErrors).toEqual([]);
    await release();
    const answer = await sent;
    expect({ refused: refusedAsRevoked(answer), answer: answer.errors ?? answer.data }).toEqual({ refused: true, answer: expect.anything() });
    expect(await stored(partnerId)).toEqual({ sales: 1, keys: 1 }); // the control's only
    });
  });

  it('a redemption authenticated before the revocation and writing after it answered is refused, the offer still ISSUED', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const buyer = await createCustomer(t, shop.currency, 50);
    const bought = await t.gql<any, unknown>(`mutation($input: PurchaseOfferInput!) { purchaseOffer(input: $input) { purchase { issuedOffer { id code } } userErrors { code } } }`, { input: { listingId: shop.listing.id, idempotencyKey: unique('k') } }, buyer.token);
    const { code } = ok(bought).purchaseOffer.purchase.issuedOffer;
    const till = await createPartner(t, ['offers:redeem']);
    const REDEEM = `mutation Redeem($input: RedeemOfferInput!) { redeemOffer(input: $input) { issuedOffer { status } userErrors { code } } }`;
    // the control registers the document: a code no offer has
    expect(dataOf(await t.gql<any, unknown>(REDEEM, { input: { code: 'ZZZZ-ZZZZ-ZZZZ' } }, till.credential)).redeemOffer.userErrors).toEqual([{ code: 'OFFER_NOT_REDEEMABLE' }]);
    await whileHeld(t.databaseUrl, ['select id from issued_offer where code = $1 for update', [code]], async (release) => {
    const sent = t.gql(REDEEM, { input: { code } }, till.credential);
    await waitUntil(async () => (await lockWaiters()) >= 1, 'the redemption waiting at the offer');
    expect(dataOf(await revoke(till.id) as GqlResult<any>).revokePartner.userErrors).toEqual([]);
    await release();
    const answer = await sent;
    expect({ refused: refusedAsRevoked(answer), answer: answer.errors ?? answer.data }).toEqual({ refused: true, answer: expect.anything() });
    expect(await t.sql(`select status, redeemed_by_partner_id from issued_offer where code = $1`, [code])).toEqual([{ status: 'ISSUED', redeemed_by_partner_id: null }]);
    });
  });

  it('a sale reaching the key while a revocation holds it waits for the revocation, then is refused with nothing stored', async () => {
    const till = await createPartner(t, ['transactions:write']);
    const partnerId = numericId(till.id);
    expect(ok(await sale(till)).submitTransaction.userErrors).toEqual([]); // the control (and its document registered)
    // revokePartner is made to stop after it has taken the partner's row, at a webhook endpoint of the partner held by this test
    const [{ id: endpointId }] = await t.sql<{ id: number }>(
      `insert into webhook_endpoint (partner_id, url, event_types, secret, created_by) values ($1, 'https://hooks.example.test/', '{TRANSACTION_PROCESSED}', 'whsec_x', 'test') returning id`,
      [partnerId],
    );
    await whileHeld(t.databaseUrl, ['select id from webhook_endpoint where id = $1 for update', [endpointId]], async (release) => {
    const revoked = revoke(till.id);
    await waitUntil(async () => (await lockWaiters()) >= 1, 'revokePartner waiting at the endpoint');
    // the sale is authenticated now (the key is not yet revoked for anyone) and reaches its write
    const sent = sale(till);
    const settled = await Promise.race([sent.then(() => 'answered'), waitUntil(async () => (await lockWaiters()) >= 2, 'the sale waiting').then(() => 'waiting')]);
    await release();
    const [revokeAnswer, saleAnswer] = await Promise.all([revoked, sent]);
    expect(dataOf(revokeAnswer as GqlResult<any>).revokePartner.userErrors).toEqual([]);
    expect({ settled, refused: refusedAsRevoked(saleAnswer), answer: saleAnswer.errors ?? saleAnswer.data }).toEqual({ settled: 'waiting', refused: true, answer: expect.anything() });
    expect(await stored(partnerId)).toEqual({ sales: 1, keys: 1 }); // the control's only
    });
  });

  /** A customer's point account in the program's currency, held FOR UPDATE by the test: a partner's write that credits or debits it waits there. */
  const accountLock = (externalId: string) =>
    [`select a.id from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 and a.currency_code = $2 for update`, [externalId, program.currency]] as [string, unknown[]];
  const balanceOf = async (externalId: string) =>
    (await t.sql<{ available: number }>(`select a.available from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 and a.currency_code = $2`, [externalId, program.currency]))[0].available;

  it('a return authenticated before the revocation and writing after it answered is refused, the sale and its points as they were (edges-12)', async () => {
    const till = await createPartner(t, ['transactions:write']);
    const buyer = await createCustomer(t, program.currency);
    const REVERSE = `mutation Reverse($input: ReverseTransactionInput!) { reverseTransaction(input: $input) { transaction { status } pointsReversed userErrors { code } } }`;
    // the control registers the document: a sale that does not exist
    expect(dataOf(await t.gql<any, unknown>(REVERSE, { input: { externalId: unique('none') } }, till.credential)).reverseTransaction.userErrors).toEqual([{ code: 'NOT_FOUND' }]);
    const externalId = unique('sale');
    const input = { externalId, customerExternalId: buyer.externalId, occurredAt: t.clock.now().toISOString(), currency: program.money, lines: [{ sku: 'A', quantity: 1, unitPrice: '5.00' }] };
    expect(ok(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction.userErrors).toEqual([]);
    while (await t.jobs.runner.runOne()) { /* processes the sale */ }
    const earned = await balanceOf(buyer.externalId);
    expect(earned).toBeGreaterThan(0);
    await whileHeld(t.databaseUrl, accountLock(buyer.externalId), async (release) => {
      const sent = t.gql(REVERSE, { input: { externalId, reason: 'returned' } }, till.credential);
      await waitUntil(async () => (await lockWaiters()) >= 1, 'the return waiting at the account');
      expect(dataOf((await revoke(till.id)) as GqlResult<any>).revokePartner.userErrors).toEqual([]);
      await release();
      const answer = await sent;
      expect({ refused: refusedAsRevoked(answer), answer: answer.errors ?? answer.data }).toEqual({ refused: true, answer: expect.anything() });
    });
    expect(await t.sql(`select status, reversed_at from sales_transaction where external_id = $1`, [externalId])).toEqual([{ status: 'PROCESSED', reversed_at: null }]);
    expect(await balanceOf(buyer.externalId)).toBe(earned);
    expect(await t.sql(`select kind from ledger_entry e join customer c on c.id = e.customer_id where c.external_id = $1 and e.kind = 'REVERSAL'`, [buyer.externalId])).toEqual([]);
  });

  it('an activity reported before the revocation and writing after it answered is refused, nothing recorded or credited (edges-12)', async () => {
    ok(await t.gql(`mutation($input: SetActivityRuleInput!) { setActivityRule(input: $input) { userErrors { code } } }`, { input: { currency: program.currency, kind: 'REVIEW', points: 5 } }, t.operatorToken));
    const reporter = await createPartner(t, ['activities:write']);
    const member = await createCustomer(t, program.currency, 10);
    const RECORD = `mutation Record($input: RecordActivityInput!) { recordActivity(input: $input) { pointsAwarded userErrors { code } } }`;
    const report = (reference: string) => t.gql<any, unknown>(RECORD, { input: { customerExternalId: member.externalId, kind: 'REVIEW', reference } }, reporter.credential);
    expect(ok(await report(unique('review'))).recordActivity).toEqual({ pointsAwarded: 5, userErrors: [] }); // the control
    await whileHeld(t.databaseUrl, accountLock(member.externalId), async (release) => {
      const sent = report(unique('review'));
      await waitUntil(async () => (await lockWaiters()) >= 1, 'the activity waiting at the account');
      expect(dataOf((await revoke(reporter.id)) as GqlResult<any>).revokePartner.userErrors).toEqual([]);
      await release();
      const answer = await sent;
      expect({ refused: refusedAsRevoked(answer), answer: answer.errors ?? answer.data }).toEqual({ refused: true, answer: expect.anything() });
    });
    expect(await t.sql(`select count(*)::int as n from activity a join customer c on c.id = a.customer_id where c.external_id = $1`, [member.externalId])).toEqual([{ n: 1 }]);
    expect(await balanceOf(member.externalId)).toBe(15);
  });

  /**
   * revokePartner made to stop after it has taken the partner's row and disabled its first
   * endpoint, at the partner's second endpoint, held by this test; `during` runs meanwhile.
   */
  const whileRevoking = async (partner: { id: string }, during: (revoked: Promise<GqlResult<unknown>>, release: () => Promise<void>) => Promise<void>) => {
    const partnerId = numericId(partner.id);
    const [{ id: held }] = await t.sql<{ id: number }>(
      `insert into webhook_endpoint (partner_id, url, event_types, secret, created_by) values ($1, 'https://hooks.example.test/held', '{sale.processed}', 'whsec_x', 'test') returning id`,
      [partnerId],
    );
    await whileHeld(t.databaseUrl, ['select id from webhook_endpoint where id = $1 for update', [held]], async (release) => {
      const revoked = revoke(partner.id);
      await waitUntil(async () => (await lockWaiters()) >= 1, 'revokePartner waiting at the endpoint');
      await during(revoked, release);
    });
  };
  const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code } } }`;
  const REMOVE = `mutation Remove($input: RemoveWebhookEndpointInput!) { removeWebhookEndpoint(input: $input) { endpoint { id } userErrors { code } } }`;
  const liveEndpoints = async (partnerId: number) =>
    (await t.sql<{ url: string }>(`select url from webhook_endpoint where partner_id = $1 and disabled_at is null order by id`, [partnerId])).map((r) => r.url);

  it('an endpoint registered by the key while revokePartner runs waits for it and is refused: the revoked partner keeps no live endpoint (edges-12)', async () => {
    const partner = await createPartner(t, ['webhooks:manage', 'transactions:read']);
    const register = (url: string) => t.gql<any, unknown>(REGISTER, { input: { url, eventTypes: ['SALE_PROCESSED'] } }, partner.credential);
    expect(ok(await register('https://hooks.example.test/first')).registerWebhookEndpoint.userErrors).toEqual([]); // the control
    await whileRevoking(partner, async (revoked, release) => {
      const sent = register('https://hooks.example.test/late');
      const settled = await Promise.race([sent.then(() => 'answered'), waitUntil(async () => (await lockWaiters()) >= 2, 'the registration waiting').then(() => 'waiting')]);
      await release();
      const [revokeAnswer, answer] = await Promise.all([revoked, sent]);
      expect(dataOf(revokeAnswer as GqlResult<any>).revokePartner.userErrors).toEqual([]);
      expect({ settled, refused: refusedAsRevoked(answer), answer: answer.errors ?? answer.data }).toEqual({ settled: 'waiting', refused: true, answer: expect.anything() });
    });
    expect(await liveEndpoints(numericId(partner.id))).toEqual([]);
    expect(await t.sql(`select url from webhook_endpoint where url = 'https://hooks.example.test/late'`)).toEqual([]);
  });

  it("an operator registering an endpoint for a partner being revoked waits for the revocation and is told there is no such partner (edges-12)", async () => {
    const partner = await createPartner(t, ['webhooks:manage', 'transactions:read']);
    const register = (url: string) => t.gql<any, unknown>(REGISTER, { input: { url, eventTypes: ['SALE_PROCESSED'], partnerId: partner.id } }, t.operatorToken);
    expect(ok(await register('https://hooks.example.test/by-operator')).registerWebhookEndpoint.userErrors).toEqual([]); // the control
    await whileRevoking(partner, async (revoked, release) => {
      const sent = register('https://hooks.example.test/by-operator-late');
      const settled = await Promise.race([sent.then(() => 'answered'), waitUntil(async () => (await lockWaiters()) >= 2, 'the registration waiting').then(() => 'waiting')]);
      await release();
      const [revokeAnswer, answer] = await Promise.all([revoked, sent]);
      expect(dataOf(revokeAnswer as GqlResult<any>).revokePartner.userErrors).toEqual([]);
      expect({ settled, answer: dataOf(answer).registerWebhookEndpoint }).toEqual({ settled: 'waiting', answer: { endpoint: null, userErrors: [{ code: 'NOT_FOUND' }] } });
    });
    expect(await liveEndpoints(numericId(partner.id))).toEqual([]);
  });

  it('an endpoint removed by the key while revokePartner runs is refused after it, nothing recorded in its name (edges-12)', async () => {
    const partner = await createPartner(t, ['webhooks:manage', 'transactions:read']);
    const register = (url: string) => t.gql<any, unknown>(REGISTER, { input: { url, eventTypes: ['SALE_PROCESSED'] } }, partner.credential);
    const kept = ok(await register('https://hooks.example.test/kept')).registerWebhookEndpoint.endpoint.id;
    const control = ok(await register('https://hooks.example.test/control')).registerWebhookEndpoint.endpoint.id;
    expect(ok(await t.gql<any, unknown>(REMOVE, { input: { endpointId: control } }, partner.credential)).removeWebhookEndpoint.userErrors).toEqual([]); // the control
    await whileRevoking(partner, async (revoked, release) => {
      const sent = t.gql(REMOVE, { input: { endpointId: kept } }, partner.credential);
      const settled = await Promise.race([sent.then(() => 'answered'), waitUntil(async () => (await lockWaiters()) >= 2, 'the removal waiting').then(() => 'waiting')]);
      await release();
      const [revokeAnswer, answer] = await Promise.all([revoked, sent]);
      expect(dataOf(revokeAnswer as GqlResult<any>).revokePartner.userErrors).toEqual([]);
      expect({ settled, refused: refusedAsRevoked(answer), answer: answer.errors ?? answer.data }).toEqual({ settled: 'waiting', refused: true, answer: expect.anything() });
    });
    // the revocation disabled it; the key's removal, refused, wrote no audit entry of its own
    expect(await liveEndpoints(numericId(partner.id))).toEqual([]);
    expect(await t.sql(`select count(*)::int as n from audit_entry where action = 'removeWebhookEndpoint' and actor = $1`, [`partner:${numericId(partner.id)}`])).toEqual([{ n: 1 }]);
  });

  it('40 sales racing a revocation: each is stored or refused whole, and none sent after it answered is stored', async () => {
    const till = await createPartner(t, ['transactions:write']);
    const partnerId = numericId(till.id);
    expect(ok(await sale(till)).submitTransaction.userErrors).toEqual([]);
    const racing = Array.from({ length: 30 }, () => sale(till));
    const revoked = await revoke(till.id);
    expect(dataOf(revoked as GqlResult<any>).revokePartner.userErrors).toEqual([]);
    const after = await Promise.all(Array.from({ length: 10 }, () => sale(till)));
    const during = await Promise.all(racing);
    expect(after.filter((r) => !refusedAsRevoked(r))).toEqual([]);
    const taken = during.filter((r) => !r.errors && (r.data as any)?.submitTransaction?.transaction);
    expect(taken.length + during.filter(refusedAsRevoked).length).toBe(during.length);
    expect(await stored(partnerId)).toEqual({ sales: 1 + taken.length, keys: 1 + taken.length });
  });
});

/** Polls `check` every 20 ms until it holds; throws naming `what` after 5 s. */
async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Runs `during` while a transaction of this test holds the rows `hold` (a statement and its
 * parameters) locks or writes; `release` rolls it back (done at the end in any case).
 */
async function whileHeld(databaseUrl: string, hold: [string, unknown[]], during: (release: () => Promise<void>) => Promise<void>): Promise<void> {
  const holder = new pg.Client({ connectionString: databaseUrl });
  await holder.connect();
  let held = true;
  const release = async () => {
    if (held) await holder.query('rollback');
    held = false;
  };
  try {
    await holder.query('begin');
    await holder.query(hold[0], hold[1]);
    await during(release);
  } finally {
    await release().catch(() => undefined);
    await holder.end();
  }
}
