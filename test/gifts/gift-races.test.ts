import { ClaimGiftDocument, CreateGiftListDocument, GiftListsDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createOffer, createPartner, earningProgram, processedSale, unique, uniqueCode } from '../support/program.js';

const DAY = 86_400_000;

const REVERSE = `mutation($externalId: String!) {
  reverseTransaction(input: { externalId: $externalId }) { pointsReversed pointsOwed userErrors { code } }
}`;
type Reversed = { reverseTransaction: { pointsReversed: number; pointsOwed: number; userErrors: { code: string }[] } };

/**
 * Hostile-5: gift claims racing each other, a return that takes the points away, and the second
 * the points expire (the tests' moved clock). Each claim is whole or nothing, the ledger holds its
 * invariants, and the outbox has one event per change: a BALANCE_CHANGED per ledger entry, a
 * WALLET_CHANGED per issued offer. Gift options carry no stock (a list is not a store), so "the
 * last unit" here is the last claim a capped list allows each customer.
 */
describe('gift claims racing (hostile-5)', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway();
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  async function createList(currency: string, threshold: number, maxClaims: number | null = null) {
    const offerIds = [(await createOffer(t)).id];
    const res = await t.gql(CreateGiftListDocument, { input: { currency, name: unique('list'), offerIds, threshold, maxClaims } }, t.operatorToken);
    return { id: ok(res).createGiftList.giftList!.id, offerIds };
  }
  const claim = (token: string, list: { id: string; offerIds: string[] }, idempotencyKey = unique('claim')) =>
    t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: list.offerIds[0], idempotencyKey }, token);

  /** What the outbox and the tables hold for one customer: events by topic, ledger entries, issued offers, claims. */
  async function countsOf(externalId: string) {
    const [row] = await t.sql<{ balanceEvents: number; entryEvents: number; walletEvents: number; entries: number; issued: number; claims: number; available: number; debt: number }>(
      `select (select count(distinct e.payload->'change'->>'entryId') from outbox_event e where e.customer_id = c.id and e.topic = 'BALANCE_CHANGED')::int as "balanceEvents",
              (select count(*) from outbox_event e where e.customer_id = c.id and e.topic = 'BALANCE_CHANGED' and e.payload ? 'change')::int as "entryEvents",
              (select count(*) from outbox_event e where e.customer_id = c.id and e.topic = 'WALLET_CHANGED')::int as "walletEvents",
              (select count(*) from ledger_entry l where l.customer_id = c.id)::int as entries,
              (select count(*) from issued_offer i where i.customer_id = c.id)::int as issued,
              (select count(*) from gift_claim g where g.customer_id = c.id)::int as claims,
              (select coalesce(sum(available), 0) from point_account a where a.customer_id = c.id)::int as available,
              (select coalesce(sum(debt), 0) from point_account a where a.customer_id = c.id)::int as debt
         from customer c where c.external_id = $1`,
      [externalId],
    );
    return row;
  }
  /**
   * One event per change: a BALANCE_CHANGED naming each ledger entry, once (a return that only
   * owes points, or lowers lifetime points, announces that too, without an entry), and a
   * WALLET_CHANGED per issued offer.
   */
  const expectOneEventPerChange = (c: Awaited<ReturnType<typeof countsOf>>) => {
    expect(c.balanceEvents).toBe(c.entries);
    expect(c.entryEvents).toBe(c.entries);
    expect(c.walletEvents).toBe(c.issued);
  };

  it('a claim racing the return of the sale that earned its points: one of them wins, never both', async () => {
    const { money, currency } = await earningProgram(t, 'G');
    const list = await createList(currency, 100);
    const races = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const customer = await createCustomer(t, currency);
        const externalId = await processedSale(t, till, customer.externalId, money, 10);
        expect((await countsOf(customer.externalId)).available).toBe(100);
        const [claims, reversed] = await Promise.all([
          Promise.all(Array.from({ length: 4 }, () => claim(customer.token, list))),
          t.gql<Reversed, { externalId: string }>(REVERSE, { externalId }, till.credential),
        ]);
        return { customer, claims: claims.map((c) => dataOf(c).claimGift), reversed: ok(reversed).reverseTransaction };
      }),
    );
    for (const { customer, claims, reversed } of races) {
      const made = claims.filter((c) => c.issuedOffer);
      expect(made.length).toBeLessThanOrEqual(1);
      expect(claims.filter((c) => !c.issuedOffer).map((c) => c.userErrors[0].code)).toEqual(Array(claims.length - made.length).fill('INSUFFICIENT_POINTS'));
      // The return undoes the sale's 100 either way: taken back while open, owed once the claim spent them.
      expect(reversed.pointsReversed).toBe(100);
      expect(reversed.pointsOwed).toBe(made.length ? 100 : 0);
      const after = await countsOf(customer.externalId);
      expect(after).toMatchObject({ available: 0, debt: made.length ? 100 : 0, claims: made.length, issued: made.length });
      expectOneEventPerChange(after);
    }
  });

  it('claims at the second the points expire find none; a millisecond before, the balance pays for what it pays for', async () => {
    const currency = uniqueCode('E');
    await createCurrency(t, currency, 1);
    const list = await createList(currency, 10);
    t.clock.freeze();
    const t0 = t.clock.now();
    const early = await createCustomer(t, currency, 35);
    const onTime = await createCustomer(t, currency, 35);
    const withJob = await createCustomer(t, currency, 35);
    const expiry = t0.getTime() + DAY;

    t.clock.advance(expiry - 1 - t.clock.now().getTime());
    const before = (await Promise.all(Array.from({ length: 6 }, () => claim(early.token, list)))).map((r) => dataOf(r).claimGift);
    expect(before.filter((c) => c.issuedOffer).length).toBe(3);
    expect(before.filter((c) => !c.issuedOffer).map((c) => c.userErrors[0].code)).toEqual(['INSUFFICIENT_POINTS', 'INSUFFICIENT_POINTS', 'INSUFFICIENT_POINTS']);

    t.clock.advance(1);
    expect(t.clock.now().getTime()).toBe(expiry);
    const shown = ok(await t.gql(GiftListsDocument, {}, onTime.token)).me!.giftLists.find((l) => l.id === list.id)!;
    expect({ unlocked: shown.unlocked, claimableCount: shown.claimableCount }).toEqual({ unlocked: false, claimableCount: 0 });
    const at = (await Promise.all(Array.from({ length: 6 }, () => claim(onTime.token, list)))).map((r) => dataOf(r).claimGift);
    expect(at.map((c) => c.userErrors[0]?.code)).toEqual(Array(6).fill('INSUFFICIENT_POINTS'));
    // the expiry job, racing claims of its own at that second
    const [, racing] = await Promise.all([t.runScheduled(), Promise.all(Array.from({ length: 6 }, () => claim(withJob.token, list)))]);
    expect(racing.map((r) => dataOf(r).claimGift.userErrors[0]?.code)).toEqual(Array(6).fill('INSUFFICIENT_POINTS'));

    // The early customer's 5 left expire too. Each expiry is written down once, whoever got there
    // first (a refused claim rolls its write-down back; the job, or the next credit, writes it).
    const late = (await Promise.all(Array.from({ length: 4 }, () => claim(early.token, list)))).map((r) => dataOf(r).claimGift);
    expect(late.map((c) => c.userErrors[0]?.code)).toEqual(Array(4).fill('INSUFFICIENT_POINTS'));
    await adjust(t, onTime.externalId, currency, 1);
    await adjust(t, early.externalId, currency, 1);
    await adjust(t, withJob.externalId, currency, 1);
    const expired = await t.sql<{ external_id: string; amount: number; n: number }>(
      `select c.external_id, sum(l.amount)::int as amount, count(*)::int as n from ledger_entry l join customer c on c.id = l.customer_id
        where l.kind = 'EXPIRE' and c.external_id = any($1) group by c.external_id order by c.external_id`,
      [[early.externalId, onTime.externalId, withJob.externalId]],
    );
    expect(Object.fromEntries(expired.map((e) => [e.external_id, { amount: e.amount, n: e.n }]))).toEqual({
      [early.externalId]: { amount: -5, n: 1 },
      [onTime.externalId]: { amount: -35, n: 1 },
      [withJob.externalId]: { amount: -35, n: 1 },
    });
    for (const c of [early, onTime, withJob]) expectOneEventPerChange(await countsOf(c.externalId));
    expect((await countsOf(early.externalId)).claims).toBe(3);
    expect((await countsOf(onTime.externalId)).claims).toBe(0);
  });

  it('many customers claiming the last claim of a capped list at once: each gets exactly their cap', async () => {
    const currency = uniqueCode('M');
    await createCurrency(t, currency);
    const list = await createList(currency, 5, 1);
    const customers = await Promise.all(Array.from({ length: 8 }, () => createCustomer(t, currency, 50)));
    const results = await Promise.all(customers.flatMap((c) => Array.from({ length: 3 }, () => claim(c.token, list).then((r) => ({ c, p: dataOf(r).claimGift })))));
    for (const c of customers) {
      const mine = results.filter((r) => r.c === c).map((r) => r.p);
      expect(mine.filter((p) => p.issuedOffer).length).toBe(1);
      expect(mine.filter((p) => !p.issuedOffer).map((p) => p.userErrors[0].code)).toEqual(['LIMIT_REACHED', 'LIMIT_REACHED']);
      const counts = await countsOf(c.externalId);
      expect(counts).toMatchObject({ available: 45, claims: 1, issued: 1 });
      expectOneEventPerChange(counts);
    }
  });
});
