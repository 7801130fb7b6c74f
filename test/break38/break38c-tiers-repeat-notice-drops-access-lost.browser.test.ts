import { DEMO } from '../../src/demo/seed.js';
import { dataOf } from '../support/gateway.js';
import { unique } from '../support/program.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

/**
 * break38c (tier-access), the console's "Add a tier" (web/src/console/rules.tsx `CreateTier`).
 * tier-access-38: "The console's confirmation says it in amber …, and the created notice too." The
 * API answers `accessLost` on a repeat of createTier as well (the resolver computes it for every
 * answer). But when Preview is answered by a repeat (the tier was already created by an earlier
 * submit whose answer was lost, or by another operator with the same input), `CreateTier.preview`
 * shows `createdNotice(…, true)` alone and drops `payload.accessLost`.
 *
 * What the operator sees: "Tier PLATINUM was already created by an earlier submit whose answer was
 * lost: nothing more was changed. It moved 1 customer: 1 customer from GOLD to PLATINUM." and nothing of the
 * Gold lounge, whose GOLD-only list now shuts that member out. What they should see: the same
 * notice followed by "Tier lists match exactly: store “Gold lounge” (GOLD) would lose 1 customer.
 * List the new tier there too to keep them." Fix: append `accessLostText(payload.accessLost ?? [])`
 * there as ConfirmCreateTier does.
 */
describe("break38c: the console's Add a tier, a Preview answered by the tier's earlier creation", () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });

  test('says which stores the moved members are out of', async () => {
    const { t } = started.web;
    const member = unique('b38c-tier');
    dataOf(await t.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`, { input: { externalId: member, name: member } }, t.operatorToken));
    dataOf(
      await t.gql(
        `mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`,
        { input: { customerExternalId: member, currency: DEMO.currency, amount: 2_500, reason: 'b38c', qualifying: true, idempotencyKey: unique('b38c') } },
        t.operatorToken,
      ),
    );
    const input = { currency: DEMO.currency, code: 'PLATINUM', name: 'Platinum', rank: 3, threshold: 2_000, windowDays: null, multiplier: 1 };
    // The earlier Create (its answer lost to the operator): the API names the lounge.
    const first = dataOf(
      await t.gql(`mutation($input: CreateTierInput!) { createTier(input: $input) { tier { code } accessLost { name } userErrors { code } } }`, { input }, t.operatorToken),
    ) as { createTier: { tier: { code: string } | null; accessLost: { name: string }[] } };
    expect(first.createTier.accessLost.map((l) => l.name)).toContain('Gold lounge');

    const page = await started.web.consoleAsOperator('Rules');
    const form = page.getByRole('region', { name: 'Add a tier' });
    await form.getByLabel('Code (capital letters, digits or _)').fill(input.code);
    await form.getByLabel('Name').fill(input.name);
    await form.getByLabel('Rank (higher is better)').fill(String(input.rank));
    await form.getByLabel('Qualifying points').fill(String(input.threshold));
    await form.getByRole('button', { name: 'Preview' }).click();
    const notice = form.getByRole('status');
    await notice.waitFor();
    const text = await notice.innerText();
    expect(text).toMatch(/^Tier PLATINUM was already created by an earlier submit/);
    // Expected the notice to go on "… Tier lists match exactly: store “Gold lounge” (GOLD) lost …" (it was created); received the notice without it.
    expect(text).toContain('Tier lists match exactly: store “Gold lounge” (GOLD) lost');
  }, 60_000);
});
