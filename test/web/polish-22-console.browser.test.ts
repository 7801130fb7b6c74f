import { DEMO } from '../../src/demo/seed.js';
import { CreateRewardStoreDocument } from '../generated/graphql.js';
import { ok, type TestGateway } from '../support/gateway.js';
import { startWebGateway, type WebGateway } from '../support/web-gateway.js';

const DAY = 86_400_000;

/**
 * The console's leftovers newcomer-22 listed (polish-22), in a real Chromium against the demo
 * program with the console's trusted documents only:
 * - a customer's tier line said "523 points to Gold" beside "BEANS available": the ladder now counts
 *   in its tier's currency code, as the member app does (the balance card's figures keep the unit
 *   its label names);
 * - dates said no zone where the console's times say UTC: "member since 3 Dec 2026", a balance's
 *   "expire 2 Dec 2027", a partner's "Created" and "revoked" day, a store's "from … through …".
 */
describe('the console says its units and its zone (polish-22)', () => {
  let web: WebGateway;
  let t: TestGateway;

  beforeAll(async () => {
    web = await startWebGateway({ demo: true, size: 'desktop' });
    t = web.t;
  });
  afterAll(() => web?.close());

  test("a customer's tier ladder counts in BEANS, and the profile's dates say UTC", async () => {
    // Alice's seeded points expire in 365 days: 340 days on, they are within EXPIRING_SOON_DAYS (30).
    t.clock.advance(340 * DAY);
    try {
      const page = await web.consoleAsOperator('Customers');
      await page.getByLabel("Email, name or customer id").fill(DEMO.customers.alice);
      await page.getByRole('button', { name: 'Find' }).click();
      const profile = page.getByRole('region', { name: /Alice/ });
      await profile.getByTestId(`staff-balance-${DEMO.currency}`).waitFor();
      const lines = (await profile.locator('p').allInnerTexts()).map((line) => line.trim());
      const shown = {
        since: lines.find((line) => line.includes('member since'))?.replace(/^.*member since /, ''),
        ladder: lines.find((line) => line.startsWith('Tier:'))?.match(/· ([^·]* to Gold)/)?.[1],
        card: lines.find((line) => line.startsWith('pending')),
      };
      expect(shown).toEqual({
        since: expect.stringMatching(/^\d{1,2} [A-Z][a-z]{2} \d{4} \(UTC\)$/),
        ladder: expect.stringMatching(/^[\d,]+ BEANS to Gold$/),
        card: expect.stringMatching(/^pending [\d,]+ · lifetime [\d,]+ · [\d,]+ expire \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC$/),
      });
      await page.close();
    } finally {
      t.clock.reset();
    }
  }, 60_000);

  test("a partner's created day says UTC in its heading, its revocation the instant in UTC", async () => {
    const { createPartner } = ok(
      await t.gql<{ createPartner: { partner: { id: string } } }, object>(`mutation { createPartner(input: { name: "Polish revoked POS", scopes: ["customers:read"] }) { partner { id } } }`, {}, t.operatorToken),
    );
    ok(await t.gql(`mutation($id: ID!) { revokePartner(input: { partnerId: $id }) { partner { id } } }`, { id: createPartner.partner.id }, t.operatorToken));

    const page = await web.consoleAsOperator('Partners');
    const table = page.getByRole('region', { name: 'Partners' });
    const row = table.getByRole('row').filter({ hasText: 'Polish revoked POS' });
    await row.waitFor();
    const headings = await table.getByRole('columnheader').allInnerTexts();
    const cells = await row.getByRole('cell').allInnerTexts();
    expect({ created: cells[headings.indexOf('Created (UTC)')], state: cells[cells.length - 1] }).toEqual({
      created: expect.stringMatching(/^\d{1,2} [A-Z][a-z]{2} \d{4}$/),
      state: expect.stringMatching(/^revoked \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC$/),
    });
    await page.close();
  }, 60_000);

  test("a store's first and last days say UTC", async () => {
    ok(await t.gql(CreateRewardStoreDocument, { input: { code: 'POLISH_2027', name: 'Polish year', currency: DEMO.currency, startsAt: '2027-01-01T00:00:00Z', endsAt: '2028-01-01T00:00:00Z' } }, t.operatorToken));
    const page = await web.consoleAsOperator('Stores');
    await page.getByRole('heading', { name: /Polish year/ }).waitFor();
    const line = await page.getByRole('region', { name: /^Polish year/ }).locator('p.muted').first().innerText();
    expect(line.replace(/ · who:.*$/s, '')).toBe(`${DEMO.currency} · not open yet: from 1 Jan 2027 (UTC) through 31 Dec 2027 (UTC)`);
    await page.close();
  }, 60_000);
});
