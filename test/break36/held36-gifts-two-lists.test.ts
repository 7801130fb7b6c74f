import { ClaimGiftDocument, CreateGiftListDocument, ProfileDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createCustomer, createOffer, unique, uniqueCode } from '../support/program.js';

/**
 * break36 (held): parallel claims from two lists of different thresholds, paid from one balance,
 * never spend more than the balance: each claim is whole or refused INSUFFICIENT_POINTS, and the
 * balance, the ledger, the claims and the wallet agree.
 */
describe('held36 gifts: two lists claimed at once from one balance', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('spends at most the balance, every claim whole', async () => {
    const currency = uniqueCode('T');
    await createCurrency(t, currency, null);
    const small = await createOffer(t);
    const big = await createOffer(t);
    const create = async (offerId: string, threshold: number) =>
      ok(await t.gql(CreateGiftListDocument, { input: { currency, name: unique('list'), offerIds: [offerId], threshold } }, t.operatorToken)).createGiftList.giftList!.id;
    const lists = [
      { id: await create(small.id, 30), optionId: small.id, threshold: 30 },
      { id: await create(big.id, 50), optionId: big.id, threshold: 50 },
    ];
    const member = await createCustomer(t, currency, 110);
    const picks = Array.from({ length: 12 }, (_, i) => lists[i % 2]);
    const answers = await Promise.all(picks.map((l) => t.gql(ClaimGiftDocument, { giftListId: l.id, optionId: l.optionId, idempotencyKey: unique('claim') }, member.token)));
    const claims = answers.map((a) => dataOf(a).claimGift);
    const spent = picks.filter((_, i) => claims[i].issuedOffer).reduce((sum, l) => sum + l.threshold, 0);
    expect(spent).toBeGreaterThanOrEqual(80); // at least what could always be paid after any order
    expect(spent).toBeLessThanOrEqual(110);
    expect(claims.filter((c) => !c.issuedOffer).map((c) => c.userErrors[0]?.code)).toEqual(claims.filter((c) => !c.issuedOffer).map(() => 'INSUFFICIENT_POINTS'));
    const balance = ok(await t.gql(ProfileDocument, {}, member.token)).me!.balances.find((b) => b.currency.code === currency)!.available;
    expect(balance).toBe(110 - spent);
    expect(balance).toBeLessThan(30);
    const [row] = await t.sql<{ claims: number; issued: number; spend: number }>(
      `select (select count(*) from gift_claim g where g.customer_id = c.id)::int as claims,
              (select count(*) from issued_offer i where i.customer_id = c.id)::int as issued,
              (select coalesce(-sum(amount), 0) from ledger_entry l where l.customer_id = c.id and l.kind = 'SPEND')::int as spend
         from customer c where c.external_id = $1`,
      [member.externalId],
    );
    const made = claims.filter((c) => c.issuedOffer).length;
    expect(row).toEqual({ claims: made, issued: made, spend: spent });
    expect(await ledgerViolations(t)).toEqual([]);
  });
});
