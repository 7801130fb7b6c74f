import { seedDemo } from '../../src/demo/seed.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createPartner } from '../support/program.js';
import { PARTNER_MANIFEST } from '../support/till.js';

/**
 * money-24 (newcomer-24 "Left"): the audit log named one partner two ways, `Partner:2` (every
 * action) and `partner:2` (registerPersistedOperations, its list key), and the seed two ways,
 * `staff:seed` (its writes) and `seed` (the demo POS's manifest). New entries name a partner
 * `Partner:<id>` and the seed `staff:seed`; old rows keep theirs (docs/decisions.md, money-24).
 * A real gateway and PostgreSQL, the demo seeded as `npm start` seeds it.
 */
describe('the audit log names a partner and the seed one way (money-24)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t?.close());

  it("a partner's manifest is audited on Partner:<id>, and the seed's as staff:seed", async () => {
    const partner = await createPartner(t, ['customers:read']);
    await t.register({ apiKey: partner.apiKey }, PARTNER_MANIFEST);
    const partnerId = Buffer.from(partner.id, 'base64').toString('utf8').split(':')[1];
    expect(await t.sql(`select target from audit_entry where action = 'registerPersistedOperations'`)).toEqual([{ target: `Partner:${partnerId}` }]);

    expect(await seedDemo(t.orm, t.config, t.clock)).toBe(true);
    const demo = await t.sql<{ id: string }>(`select id::text from partner where created_by = 'staff:seed'`);
    expect(await t.sql(`select actor, target from audit_entry where action = 'registerPersistedOperations' and target <> $1`, [`Partner:${partnerId}`])).toEqual([
      { actor: 'staff:seed', target: `Partner:${demo[0].id}` },
    ]);
  });
});
