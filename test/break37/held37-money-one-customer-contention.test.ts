import {
  AdjustPointsDocument,
  CreateOfferDocument,
  LockOfferDocument,
  PurchaseOfferDocument,
  RedeemOfferDocument,
  ReleaseOfferDocument,
  RemoveListingDocument,
  ReverseTransactionDocument,
  UpdateOfferDocument,
  UpsertCustomerDocument,
} from '../generated/graphql.js';
import { fromGlobalId, toGlobalId } from '../../src/graphql/ids.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { addListing, createCustomer, createPartner, createStore, earningProgram, submitSale, unique } from '../support/program.js';

const MINUTE = 60_000;

/**
 * break37 (money), held: one member and every writer of their points and offers at once, 25 rounds
 * with the clock moving 47 minutes a round across offers' and points' one-day ends: three
 * purchases, locks, releases and redemptions of their offers by two tills, a sale naming an offer
 * and one without, a return of an earlier sale, a staff credit or debit, staff replacements of used
 * and expired offers, edits of the offer sold, a suspension and its end, the listing removed and
 * another added, the sale jobs and the scheduled write-downs. No GraphQL error (no deadlock
 * answered as an internal error) and SPEC §5 after every round.
 */
describe('held37 money: one customer, every writer at once', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterEach(() => t.clock.reset());
  afterAll(() => t.close());

  it('no internal error, SPEC §5 after every round', async () => {
    const { money, currency } = await earningProgram(t, 'C', { expiryDays: 1, pendingDays: 0 });
    const tills = [
      await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']),
      await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']),
    ];
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('o'), benefit: { kind: 'PERCENT_OFF', percentOff: 10 }, validDays: 1 } }, t.operatorToken)).createOffer.offer!;
    const store = await createStore(t, currency);
    const failures: string[] = [];
    const outcomes = new Map<string, number>();
    const note = (what: string) => (res: { errors?: { message: string; extensions?: { code?: unknown } }[]; data?: unknown }) => {
      if (res.errors?.length) failures.push(`${what}: ${res.errors[0].extensions?.code} ${res.errors[0].message}`);
      const payload = res.data ? Object.values(res.data as Record<string, { userErrors?: { code: string }[] }>)[0] : undefined;
      const key = `${what}:${payload?.userErrors?.[0]?.code ?? 'ok'}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    };
    const customer = await createCustomer(t, currency, 0);
    const sales: { id: string; till: (typeof tills)[number] }[] = [];
    t.clock.freeze();
    for (let i = 0; i < 4; i++) sales.push({ id: await submitSale(t, tills[0], customer.externalId, money, 20), till: tills[0] });
    await t.jobs.runner.runUntilIdle();
    let listing = await addListing(t, store.id, offer.id, { priceInPoints: 15, stock: 40, perCustomerLimit: 30 });
    for (let round = 0; round < 25; round++) {
      t.clock.advance(47 * MINUTE + 13_000);
      const live = await t.sql<{ id: string; code: string; status: string; lock_id: string | null; lock_partner_id: string | null }>(
        `select io.id, io.code, io.status, io.lock_id, io.lock_partner_id from issued_offer io where io.customer_id = $1 and io.status in ('ISSUED','LOCKED') order by io.id desc limit 6`,
        [fromGlobalId(customer.id, 'Customer', 'id')],
      );
      const dead = await t.sql<{ id: string }>(`select io.id from issued_offer io where io.customer_id = $1 and io.status in ('REDEEMED','EXPIRED') and not exists (select 1 from issued_offer r where r.replaces_id = io.id) order by io.id desc limit 2`, [
        fromGlobalId(customer.id, 'Customer', 'id'),
      ]);
      const work: Promise<unknown>[] = [];
      for (let k = 0; k < 3; k++) work.push(t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token).then(note('purchase')));
      for (const [j, o] of live.entries()) {
        const till = tills[(round + j) % 2];
        if (j % 3 === 0) work.push(t.gql(LockOfferDocument, { code: o.code, lockId: `b${round % 3}`, ttlSeconds: 600 }, till.credential).then(note('lock')));
        if (j % 3 === 1) work.push(t.gql(RedeemOfferDocument, { code: o.code, lockId: o.lock_id, transactionExternalId: unique('r') }, till.credential).then(note('redeem')));
        if (j % 3 === 2) work.push(t.gql(ReleaseOfferDocument, { code: o.code, lockId: o.lock_id ?? 'b0' }, till.credential).then(note('release')));
      }
      const codes = live.slice(0, 2).map((o) => o.code);
      const till = tills[round % 2];
      work.push(
        submitSale(t, till, customer.externalId, money, 4 + (round % 5), codes.slice(0, 1)).then(
          (id) => sales.push({ id, till }),
          () => outcomes.set('sale refused', (outcomes.get('sale refused') ?? 0) + 1),
        ),
      );
      work.push(submitSale(t, tills[(round + 1) % 2], customer.externalId, money, 3).then((id) => sales.push({ id, till: tills[(round + 1) % 2] }), (e: Error) => failures.push(`sale ${e.message}`)));
      if (sales.length > 3) {
        const s = sales.splice(round % sales.length, 1)[0];
        work.push(t.gql(ReverseTransactionDocument, { externalId: s.id, reason: 'r' }, s.till.credential).then(note('return')));
      }
      work.push(t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: round % 2 ? -5 : 9, reason: 'x', idempotencyKey: unique('k') } }, t.operatorToken).then(note('adjust')));
      for (const d of dead) {
        work.push(
          t
            .gql(
              `mutation($input: IssueReplacementOfferInput!) { issueReplacementOffer(input: $input) { issuedOffer { id } userErrors { code message } } }`,
              { input: { issuedOfferId: toGlobalId('IssuedOffer', Number(d.id)), reason: 'goodwill', idempotencyKey: unique('rep') } },
              t.operatorToken,
            )
            .then(note('replace')),
        );
      }
      if (round % 5 === 2) work.push(t.gql(UpdateOfferDocument, { input: { offerId: offer.id, validDays: 1 + (round % 3) } }, t.operatorToken).then(note('update')));
      if (round % 7 === 3) work.push(t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'SUSPENDED' } }, t.operatorToken).then(note('suspend')));
      if (round % 7 === 4) work.push(t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'ACTIVE' } }, t.operatorToken).then(note('active')));
      if (round % 9 === 5) {
        const old = listing;
        listing = await addListing(t, store.id, offer.id, { priceInPoints: 10 + (round % 4), stock: 40, perCustomerLimit: 30 });
        work.push(t.gql(RemoveListingDocument, { listingId: old.id }, t.operatorToken).then(note('remove')));
      }
      work.push(t.jobs.runner.runUntilIdle().catch((e: Error) => failures.push(`jobs ${e.message}`)));
      work.push(t.runScheduled().catch((e: Error) => failures.push(`scheduled ${e.message}`)));
      await Promise.all(work);
      await t.jobs.runner.runUntilIdle();
      expect([round, failures]).toEqual([round, []]);
      expect([round, await brokenInvariants(t)]).toEqual([round, []]);
    }
    for (const key of ['purchase:ok', 'redeem:ok', 'lock:ok', 'return:ok', 'replace:ok', 'update:ok', 'remove:ok', 'purchase:NOT_ELIGIBLE']) {
      expect([key, (outcomes.get(key) ?? 0) > 0]).toEqual([key, true]);
    }
  }, 180_000);
});
