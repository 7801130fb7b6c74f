import { seedDemo } from '../../src/demo/seed.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

type DevTokens = { members: { externalId: string }[]; staff: { role: string }[]; partners: { name: string; apiKey: string }[] };

/**
 * newcomer-34: the README's first calls set TOKEN, OPERATOR and KEY from GET /dev/tokens, so the
 * demo POS partner's key is there beside the tokens (before, only the start-up banner printed it,
 * and a newcomer copied it by hand from between log lines). Offered only while it is the demo
 * partner's live key.
 */
describe('GET /dev/tokens offers the demo POS partner key', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ SEED_DEMO: 'true' }, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const devTokens = async () => (await (await t.fetch('/dev/tokens')).json()) as DevTokens;

  it('none before the demo is seeded (404: break37 ops); once seeded, a key that runs the partner manifest by id; none once revoked', async () => {
    expect((await t.fetch('/dev/tokens')).status).toBe(404);
    await seedDemo(t.orm, t.config, t.clock);
    const { partners, members } = await devTokens();
    expect(partners).toEqual([{ name: expect.any(String), apiKey: expect.stringMatching(/^rg_/) }]);
    expect(members.map((m) => m.externalId)).toContain('cust-alice');

    // the manifest's CustomerByExternalId, by id over GET, as the README's partner call sends it
    const manifest = (await import('../../schema/partner-manifest.json', { with: { type: 'json' } })).default as { operations: { name: string; id: string }[] };
    const id = manifest.operations.find((o) => o.name === 'CustomerByExternalId')!.id;
    const params = new URLSearchParams({
      extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: id } }),
      variables: JSON.stringify({ externalId: 'cust-alice' }),
    });
    const res = await t.fetch(`/graphql?${params}`, { headers: { 'x-api-key': partners[0].apiKey } });
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).toContain('"externalId":"cust-alice"');

    await t.sql(`update partner set revoked_at = now() where name = $1`, [partners[0].name]);
    expect((await devTokens()).partners).toEqual([]);
  });
});
