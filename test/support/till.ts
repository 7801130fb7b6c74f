import { manifestFromDocument } from '../../src/persisted/manifest.js';
import { contractDocument } from './contract.js';
import { gatewayPerBlock, type TestGateway } from './gateway.js';
import { createCustomer, createPartner, simpleShop } from './program.js';

/** What `tillAtItsClock` starts: the gateway, a shop selling an offer for 10 points, and a till's API key. */
export interface TillSetup {
  t: TestGateway;
  shop: Awaited<ReturnType<typeof simpleShop>>;
  till: { apiKey: string };
}

/**
 * For a describe block about a till and the wallet's offers at moved clocks (till-23, break-23):
 * a gateway whose jobs run when the test says (`runScheduled`), `simpleShop` selling its offer for
 * 10 points, and a partner with `offers:redeem`, `transactions:write` and `transactions:read`. The
 * clock is frozen before each test and reset after it, and the ledger's invariants are checked then
 * (SPEC §5: `ledgerViolations` empty). Read the fields in the tests, after the start.
 */
export function tillAtItsClock(): TillSetup {
  const setup = {} as TillSetup;
  gatewayPerBlock((t) => (setup.t = t));
  beforeAll(async () => {
    setup.shop = await simpleShop(setup.t, { priceInPoints: 10 });
    setup.till = await createPartner(setup.t, ['offers:redeem', 'transactions:write', 'transactions:read']);
  });
  beforeEach(() => setup.t.clock.freeze());
  return setup;
}

/** The contract's SubmitTransaction with the payload's `notice` and the offers applied selected, as a till that logs it would register it (till-23). */
export const SALE_WITH_NOTICE = `mutation SubmitTransactionNoticed($input: SubmitTransactionInput!) {
  submitTransaction(input: $input) {
    transaction { externalId status offersApplied { code status } }
    notice
    userErrors { code field message }
  }
}`;
/** What SALE_WITH_NOTICE answers. */
export type SaleWithNotice = {
  submitTransaction: {
    transaction: { externalId: string; status: string; offersApplied: { code: string; status: string }[] } | null;
    notice: string | null;
    userErrors: { code: string; field: string[]; message: string }[];
  };
};

/** The contract's partner operations as the demo POS has them registered (schema/partner-manifest.json's ids). */
export const PARTNER_MANIFEST = manifestFromDocument(contractDocument('partner'));

/** The id of the contract's partner operation `name` (`SubmitTransaction`, …), as a till sends it. */
export const partnerOperationId = (name: string) => PARTNER_MANIFEST.operations.find((op) => op.name === name)!.id;

/** What `contractTill` starts: the gateway, a customer of a shop's currency with 0 points, and the till's API key. */
export interface ContractTill {
  t: TestGateway;
  customer: Awaited<ReturnType<typeof createCustomer>>;
  apiKey: string;
}

/**
 * For a describe block sending the contract's partner operations by id, as the README's POS does
 * with curl (newcomer-23, newcomer-24): a gateway (`gatewayPerBlock`: jobs by hand, ledger checked
 * after each test), `simpleShop`'s currency with a customer holding 0 points, and a partner with
 * `scopes` whose list is the contract's partner manifest. Read the fields in the tests, after the start.
 */
export function contractTill(scopes: string[]): ContractTill {
  const setup = {} as ContractTill;
  gatewayPerBlock((t) => (setup.t = t));
  beforeAll(async () => {
    const { currency } = await simpleShop(setup.t);
    setup.customer = await createCustomer(setup.t, currency, 0);
    ({ apiKey: setup.apiKey } = await createPartner(setup.t, scopes));
    await setup.t.register({ apiKey: setup.apiKey }, PARTNER_MANIFEST);
  });
  return setup;
}

/**
 * LOCK_HELD's sentence for a basket that never held the code's lock (or another partner's), while
 * another basket holds it until `until` (its lockExpiresAt, ISO 8601 or as the API answered it):
 * src/wallet/redemption.service.ts, lockHeld.
 */
export const anotherBasketHolds = (until: string | Date) =>
  `Another basket holds this offer until ${new Date(until).toISOString()}: it can be locked or redeemed once that lock ends, unless that basket redeems it or renews the lock first.`;

/** LOCK_HELD's sentence for basket `lockId`, whose lock ran out at `ranOutAt` and which another basket holds now, until `until` (lockHeldOf). */
export const ranOutAndHeld = (lockId: string, ranOutAt: string | Date, until: string | Date) =>
  `The lock of basket ${JSON.stringify(lockId)} on this offer code ran out at ${new Date(ranOutAt).toISOString()}. Another basket holds this offer now until ${new Date(until).toISOString()}.`;
