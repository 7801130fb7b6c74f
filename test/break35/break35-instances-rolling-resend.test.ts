import { SubmitTransactionDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { startOldGateway, postTo, type OldGateway } from '../support/old-gateway.js';
import { createCustomer, createPartner, unique, uniqueCode } from '../support/program.js';

/**
 * break35-instances (rolling upgrade, the README's base d4ae9bd): a till whose answer was lost sends
 * the same sale again (same externalId, same input); the balancer gives the resend to the other
 * version. docs/decisions.md (hostile pass 12d, `formerFingerprints`) made the new build take a
 * key stored by the old one ("a client retrying across an upgrade gets its answer, not a
 * refusal") — one direction only. The new build stores a sale's fingerprint with its prices in the
 * money's minor units; d4ae9bd fingerprints in cents, which differ for a money without 2 digits.
 *
 * What a till sees: a ¥1,000 sale accepted by an upgraded instance, resent because the answer was
 * lost, is refused by an instance still on d4ae9bd with IDEMPOTENCY_KEY_REUSED "This externalId was
 * already used for a different request." — it is the same request; the till's log shows a
 * conflict for a sale that was recorded, and an operator is sent to investigate a duplicate
 * receipt. EUR, and JPY in the other direction, get their answer (held).
 * Expected: the same answer as the first (RECEIVED, the same transaction) in both directions.
 *
 * A documented limit, not fixed (docs/decisions.md, "break35 (instances)"): what d4ae9bd answers is
 * d4ae9bd's code, which no migration of this build reaches, and the refusal writes nothing (the sale
 * stays recorded once, as the first answer said). The case is held to that: JPY sent to the new
 * instance and resent to the old one is refused IDEMPOTENCY_KEY_REUSED and stores no second sale;
 * every other case gets the first answer.
 */
const OLD = process.env.BREAK35_OLD ?? 'd4ae9bd';

describe(`rolling upgrade: a till resends a sale across an instance on ${OLD} and an upgraded one (break35-instances)`, () => {
  let t: TestGateway;
  let old: OldGateway | undefined;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    old = await startOldGateway(OLD, t.databaseUrl);
  }, 120_000);
  afterAll(async () => {
    await old?.terminate();
    await t?.close();
  });

  for (const money of ['EUR', 'JPY']) {
    for (const [from, to] of [['old', 'new'], ['new', 'old']] as const) {
      it(`${money}: sent to the ${from} instance, resent to the ${to} one: the same answer${money === 'JPY' && from === 'new' ? ' (a documented limit: refused, nothing written)' : ''}`, async () => {
        const currency = uniqueCode(`R${money}`);
        ok(await t.gql(`mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { currency { code } userErrors { code } } }`, { input: { code: currency, name: currency, expiryDays: null, pointValue: '0.01', moneyCurrency: money } }, t.operatorToken));
        const till = await createPartner(t, ['transactions:read', 'transactions:write']);
        const customer = await createCustomer(t, currency);
        const hash = (await t.register({ apiKey: till.apiKey }, SubmitTransactionDocument.toString())).operations[0].id;
        const input = { externalId: unique('sale'), customerExternalId: customer.externalId, occurredAt: new Date().toISOString(), currency: money, lines: [{ sku: 'BEANS', category: 'COFFEE', quantity: 1, unitPrice: money === 'JPY' ? '1000' : '10.00' }] };
        const send = async (which: 'old' | 'new') => (await postTo(which === 'old' ? old!.url : t.url, { extensions: { persistedQuery: { version: 1, sha256Hash: hash } }, variables: { input } }, { 'x-api-key': till.apiKey })).body;
        const first = await send(from);
        const again = await send(to);
        expect(first.errors ?? []).toEqual([]);
        expect(again.errors ?? []).toEqual([]);
        if (money === 'JPY' && from === 'new') {
          // the documented limit: d4ae9bd fingerprints the yen price in cents
          expect(again.data?.submitTransaction?.userErrors.map((e: { code: string }) => e.code)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
          expect(await t.sql(`select 1 from sales_transaction where external_id = $1`, [input.externalId])).toHaveLength(1);
          return;
        }
        expect(again.data?.submitTransaction?.userErrors).toEqual([]);
        expect(again.data?.submitTransaction?.transaction?.id).toBe(first.data?.submitTransaction?.transaction?.id);
      });
    }
  }
});
