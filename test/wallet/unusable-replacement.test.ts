import {
  AddListingDocument,
  CreateCurrencyDocument,
  CreateOfferDocument,
  LockOfferDocument,
  PurchaseOfferDocument,
  RedeemOfferDocument,
  SubmitTransactionDocument,
  UpdateOfferDocument,
  type SubmitTransactionInput,
} from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, writeCounts, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createStore, unique } from '../support/program.js';

const REPLACE = `mutation Replace($input: IssueReplacementOfferInput!) {
  issueReplacementOffer(input: $input) {
    issuedOffer { id code status source moneyCurrency offer { version benefit { amountOff } } }
    replaced { id code status }
    userErrors { code field message }
  }
}`;

type ReplacePayload = {
  issueReplacementOffer: {
    issuedOffer: { id: string; code: string; status: string; source: string; moneyCurrency: string | null; offer: { version: number; benefit: { amountOff: string | null } } } | null;
    replaced: { id: string; code: string; status: string } | null;
    userErrors: { code: string; field: string[] | null; message: string }[];
  };
};

/**
 * An offer issued before money-12 with an amount finer than its money ("2.50" off bought in a yen
 * program, when amounts were cents) is refused at every till (OFFER_NOT_APPLICABLE, CURRENCY) and
 * stayed ISSUED for ever: the replacement staff were told to issue was refused while it was live,
 * and copied the same unusable version (upgrade-12, docs/decisions.md). The state before the
 * upgrade is made by hand: the version the offer was issued with holds "2.50".
 */
describe('an offer no till can apply in its money is replaced by staff (upgrade-12)', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let store: { id: string };
  const PROGRAM = 'UNUS_JPY';

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    ok(await t.gql(CreateCurrencyDocument, { input: { code: PROGRAM, name: PROGRAM, expiryDays: null, pointValue: '1', moneyCurrency: 'JPY' } }, t.operatorToken));
    store = await createStore(t, PROGRAM);
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  const replace = (input: Record<string, unknown>) => t.gql<ReplacePayload, unknown>(REPLACE, { input }, t.operatorToken);
  const submit = (input: SubmitTransactionInput) => t.gql(SubmitTransactionDocument, { input }, till.credential);
  const jpySale = (customerExternalId: string, offerCodes: string[]): SubmitTransactionInput => ({
    externalId: unique('sale'),
    customerExternalId,
    occurredAt: t.clock.now().toISOString(),
    currency: 'JPY',
    lines: [{ sku: 'LATTE', quantity: 2, unitPrice: '500' }],
    offerCodes,
  });

  /**
   * An offer listed in the yen store whose version 1 reads "2.50" off (as stored before money-12),
   * and `count` customers who each bought it for 10 points before the upgrade.
   */
  async function boughtBeforeTheUpgrade(count: number) {
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('yen off'), benefit: { kind: 'AMOUNT_OFF', amountOff: '200' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    const listing = ok(await t.gql(AddListingDocument, { input: { storeId: store.id, offerId: offer.id, priceInPoints: 10 } }, t.operatorToken)).addListing.listing!;
    const owners = [];
    for (let i = 0; i < count; i++) {
      const customer = await createCustomer(t, PROGRAM, 10);
      const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!;
      owners.push({ customer, issued: bought.issuedOffer });
    }
    await t.sql(`update offer_version set amount_off = 2.50 where id = (select offer_version_id from issued_offer where code = $1)`, [owners[0].issued.code]);
    return { offer, owners };
  }

  const editTo = async (offerId: string, amountOff: string) =>
    ok(await t.gql(UpdateOfferDocument, { input: { offerId, benefit: { kind: 'AMOUNT_OFF', amountOff } } }, t.operatorToken)).updateOffer;

  const walletEvents = async (externalId: string) =>
    (
      await t.sql<{ change: string; id: string }>(
        `select e.payload->>'change' as change, e.payload->>'issuedOfferId' as id from outbox_event e join customer c on c.id = e.customer_id
          where e.topic = 'WALLET_CHANGED' and c.external_id = $1 order by e.id`,
        [externalId],
      )
    ).map((e) => `${e.change}:${e.id}`);

  const rowId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];

  it('staff void the unusable offer and issue its current version in one step, audited, with the events; the customer can use it', async () => {
    const { offer, owners } = await boughtBeforeTheUpgrade(1);
    const [{ customer, issued }] = owners;
    // The fault: every yen till refuses it.
    const refused = dataOf(await submit(jpySale(customer.externalId, [issued.code]))).submitTransaction;
    expect(refused.userErrors).toEqual([expect.objectContaining({ code: 'OFFER_NOT_APPLICABLE' })]);

    const input = { issuedOfferId: issued.id, reason: 'Issued as 2.50 off in yen before the upgrade', idempotencyKey: unique('replace') };
    const before = await writeCounts(t);
    // Without the claim that it is unusable, a live offer is not replaced (and told how).
    expect(dataOf(await replace(input)).issueReplacementOffer).toEqual({
      issuedOffer: null,
      replaced: null,
      userErrors: [{ code: 'INVALID', field: ['input', 'issuedOfferId'], message: expect.stringContaining('unusable: true') }],
    });
    // With it, but the offer not edited yet: its current version is as unusable, so nothing is done.
    expect(dataOf(await replace({ ...input, unusable: true })).issueReplacementOffer.userErrors).toEqual([
      { code: 'INVALID', field: ['input', 'issuedOfferId'], message: expect.stringContaining('edit the offer to an amount of JPY first') },
    ]);
    expect(await writeCounts(t)).toEqual(before);

    expect((await editTo(offer.id, '3')).userErrors).toEqual([]);
    const made = dataOf(await replace({ ...input, unusable: true })).issueReplacementOffer;
    expect(made).toEqual({
      issuedOffer: { id: expect.any(String), code: expect.any(String), status: 'ISSUED', source: 'STAFF', moneyCurrency: 'JPY', offer: { version: 2, benefit: { amountOff: "3.00" } } },
      replaced: { id: issued.id, code: issued.code, status: 'VOIDED' },
      userErrors: [],
    });
    // A repeat answers the same; the key without the claim is another request.
    expect(dataOf(await replace({ ...input, unusable: true })).issueReplacementOffer).toEqual(made);
    expect(dataOf(await replace(input)).issueReplacementOffer.userErrors.map((e) => e.code)).toEqual(['IDEMPOTENCY_KEY_REUSED']);

    const [audit] = await t.sql<{ actor: string; reason: string; details: unknown }>(`select actor, reason, details from audit_entry where action = 'issueReplacementOffer' and target = $1`, [
      `IssuedOffer:${rowId(issued.id)}`,
    ]);
    expect(audit).toEqual({
      actor: 'staff:staff-op',
      reason: input.reason,
      details: { replacement: `IssuedOffer:${rowId(made.issuedOffer!.id)}`, status: 'ISSUED', voided: true, version: 2, versionIssued: 1 },
    });

    // The original is gone from every till; the replacement takes ¥3 off a yen sale.
    const original = dataOf(await submit(jpySale(customer.externalId, [issued.code]))).submitTransaction;
    expect(original.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
    const used = jpySale(customer.externalId, [made.issuedOffer!.code]);
    expect(dataOf(await submit(used)).submitTransaction.userErrors).toEqual([]);
    await t.jobs.runner.runUntilIdle();
    const [sale] = await t.sql<{ discount: string; total: string }>(`select discount::text, total::text from sales_transaction where external_id = $1`, [used.externalId]);
    expect(sale).toEqual({ discount: '3', total: '1000' }); // total before the discount
    const replacementId = rowId(made.issuedOffer!.id);
    const originalId = rowId(issued.id);
    expect(await walletEvents(customer.externalId)).toEqual([`ISSUED:${originalId}`, `VOIDED:${originalId}`, `ISSUED:${replacementId}`, `REDEEMED:${replacementId}`]);
  });

  it('a LOCKED unusable offer is voided with its lock; a payable live offer is not replaced with the claim', async () => {
    const { offer, owners } = await boughtBeforeTheUpgrade(1);
    const [{ issued }] = owners;
    expect((await editTo(offer.id, '3')).userErrors).toEqual([]);
    // No till locks it now (offsale-12c: one naming no money is refused too); a lock taken before that, by hand.
    expect(dataOf(await t.gql(LockOfferDocument, { code: issued.code, lockId: 'basket-1' }, till.credential)).lockOffer.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_APPLICABLE']);
    await t.sql(`update issued_offer set status = 'LOCKED', lock_id = 'basket-1', lock_partner_id = $2, lock_expires_at = $3 where code = $1`, [
      issued.code,
      rowId(till.id),
      new Date(t.clock.now().getTime() + 300_000),
    ]);
    const made = dataOf(await replace({ issuedOfferId: issued.id, reason: 'unusable in yen', idempotencyKey: unique('replace'), unusable: true })).issueReplacementOffer;
    expect(made.replaced).toEqual({ id: issued.id, code: issued.code, status: 'VOIDED' });
    expect(dataOf(await t.gql(RedeemOfferDocument, { code: issued.code, lockId: 'basket-1' }, till.credential)).redeemOffer.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
    // The replacement is payable in yen: the claim that it is unusable is refused.
    const refused = dataOf(await replace({ issuedOfferId: made.issuedOffer!.id, reason: 'swap', idempotencyKey: unique('replace'), unusable: true })).issueReplacementOffer;
    expect(refused.userErrors).toEqual([{ code: 'INVALID', field: ['input', 'issuedOfferId'], message: "This offer can be applied in JPY; it is not unusable." }]);
  });

  it('a till redeeming the unusable offer while staff replace it: one of the two, never both', async () => {
    const { offer, owners } = await boughtBeforeTheUpgrade(6);
    expect((await editTo(offer.id, '3')).userErrors).toEqual([]);
    const outcomes = await Promise.all(
      owners.map(async ({ issued }) => {
        const [redeemed, replaced] = await Promise.all([
          t.gql(RedeemOfferDocument, { code: issued.code, transactionExternalId: unique('till') }, till.credential),
          replace({ issuedOfferId: issued.id, reason: 'unusable in yen', idempotencyKey: unique('replace'), unusable: true }),
        ]);
        return { issued, redeem: dataOf(redeemed).redeemOffer.userErrors.map((e) => e.code), replace: dataOf(replaced).issueReplacementOffer.userErrors.map((e) => e.code) };
      }),
    );
    for (const { issued, redeem, replace: replaced } of outcomes) {
      // Either the till went first (refused: no till applies it, offsale-12c; nothing written) or staff did (the till is refused as the code is void).
      expect([
        { redeem: ['OFFER_NOT_APPLICABLE'], replace: [] },
        { redeem: ['OFFER_NOT_REDEEMABLE'], replace: [] },
      ]).toContainEqual({ redeem, replace: replaced });
      const rows = await t.sql<{ status: string }>(
        `select status from issued_offer where customer_id = (select customer_id from issued_offer where code = $1) order by id`,
        [issued.code],
      );
      expect(rows.map((r) => r.status)).toEqual(['VOIDED', 'ISSUED']);
    }
  });
});
