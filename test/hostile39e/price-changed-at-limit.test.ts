import {
  dataOf,
  ledgerViolations,
  ok,
  startTestGateway,
  type TestGateway,
} from "../support/gateway.js";
import { createCustomer, simpleShop, unique } from "../support/program.js";

const BUY = `mutation($input: PurchaseOfferInput!) {
  purchaseOffer(input: $input) { purchase { pointsPaid } userErrors { code field message } }
}`;
type Bought = {
  purchaseOffer: {
    purchase: { pointsPaid: number } | null;
    userErrors: { code: string; field: string[] | null; message: string }[];
  };
};

/**
 * hostile39e: hostile39d put PRICE_CHANGED after OUT_OF_STOCK so that a listing the member cannot
 * buy anyway is not offered "at the new price". A member who has reached the listing's
 * per-customer limit cannot buy it at any price either, yet a price edited meanwhile answers
 * PRICE_CHANGED ("buy it again at the new price if you still want it"): the member confirms the
 * new price in the dialog and only then learns they may not buy it at all (LIMIT_REACHED).
 * The refusal that holds whatever the price should be the one answered, as for a sold-out listing.
 */
describe("hostile39e: PRICE_CHANGED for a member at the listing limit", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  const buy = async (
    token: string,
    listingId: string,
    expectedPriceInPoints?: number,
  ) =>
    dataOf(
      await t.gql<Bought, object>(
        BUY,
        {
          input: {
            listingId,
            idempotencyKey: unique("buy"),
            expectedPriceInPoints,
          },
        },
        token,
      ),
    ).purchaseOffer;

  it("a member at the limit, price changed since they looked: LIMIT_REACHED, not an invitation to buy at the new price", async () => {
    const shop = await simpleShop(t, {
      priceInPoints: 10,
      perCustomerLimit: 1,
    });
    const member = await createCustomer(t, shop.currency, 100);
    expect((await buy(member.token, shop.listing.id, 10)).userErrors).toEqual(
      [],
    );

    ok(
      await t.gql(
        `mutation($input: UpdateListingInput!) { updateListing(input: $input) { userErrors { code } } }`,
        { input: { listingId: shop.listing.id, priceInPoints: 20 } },
        t.operatorToken,
      ),
    );

    // the member's second tab / dialog opened before the edit: it sends the price it showed
    const answer = await buy(member.token, shop.listing.id, 10);
    expect(answer.userErrors.map((e) => e.code)).toEqual(["LIMIT_REACHED"]);
    // and what the member is told at the new price is the same: the limit, so PRICE_CHANGED misled them
    expect(
      (await buy(member.token, shop.listing.id, 20)).userErrors.map(
        (e) => e.code,
      ),
    ).toEqual(["LIMIT_REACHED"]);
  });
});
