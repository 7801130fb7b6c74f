import { CreateCampaignDocument, CreateCurrencyDocument, UpdateOfferDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createOffer, unique, uniqueCode } from '../support/program.js';

const DAY = 86_400_000;
const END = `mutation($input: EndCampaignInput!) { endCampaign(input: $input) { campaign { id startsAt endsAt } userErrors { code } } }`;

/**
 * break38b (campaigns): a campaign ended before its start never runs, so it never issues its
 * offer. Yet updateOffer still counts it among the programs the offer "is offered in"
 * (offer.service.ts moneysOfferedIn: `c.ends_at > lateSalesFrom`, and a cancelled campaign's end
 * is its start, in the future), so an edit of the offer to an amount its money cannot pay is
 * refused for the sake of a program that will never award it.
 * What an operator sees: "This offer's amountOff 2.50 is finer than JPY, the money of a program it
 * is offered in…" after they cancelled the only JPY campaign that awarded it. Should see: the edit
 * saved (no store, gift list or running/late-sale campaign offers it in JPY).
 * Fix: moneysOfferedIn should leave out campaigns whose window is empty (`c.starts_at < c.ends_at`).
 */
describe('an offer of a cancelled campaign', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('is no longer held to the money of the campaign that will never run', async () => {
    const currency = uniqueCode('Y');
    ok(await t.gql(CreateCurrencyDocument, { input: { code: currency, name: currency, expiryDays: 365, pointValue: '1', moneyCurrency: 'JPY' } }, t.operatorToken));
    const offer = await createOffer(t);
    const start = new Date(Date.now() + 3 * DAY);
    const campaign = ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name: unique('yen treat'), currency, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 7 * DAY).toISOString(), outcome: { offerId: offer.id } } as never },
        t.operatorToken,
      ),
    ).createCampaign.campaign!;
    const edit = () =>
      t.gql(UpdateOfferDocument, { input: { offerId: offer.id, benefit: { kind: 'AMOUNT_OFF', amountOff: '2.50' } } as never }, t.operatorToken);
    // While the campaign may run, the refusal is right.
    expect((dataOf(await edit()) as { updateOffer: { userErrors: { code: string }[] } }).updateOffer.userErrors.map((e) => e.code)).toEqual(['INVALID']);
    ok(await t.gql(END, { input: { campaignId: campaign.id, reason: 'wrong program' } }, t.operatorToken));
    // received: [{ code: 'INVALID', message: "This offer's amountOff 2.50 is finer than JPY, the money of a program it is offered in, …" }]
    expect((dataOf(await edit()) as { updateOffer: { userErrors: { code: string; message: string }[] } }).updateOffer.userErrors).toEqual([]);
  });
});
