import { devTokens, embeddedGatewayPerBlock, postGraphql } from '../support/embedded-gateway.js';

const SECRET = 'a-developers-own-secret-0123456789abcdef-0123456789';

/** Whether a partner key signs in: anything but 401 UNAUTHENTICATED (a partner's text is refused as unregistered, after its key is taken). */
async function keySignsIn(url: string, apiKey: string): Promise<boolean> {
  return (await postGraphql(url, { 'x-api-key': apiKey }, '{ __typename }')).status !== 401;
}

/** Whether a staff token is taken on a staff-only read. */
async function staffSignsIn(url: string, token: string): Promise<boolean> {
  const r = await postGraphql(url, { authorization: `Bearer ${token}` }, '{ partners { id } }');
  return r.status === 200 && !r.body.errors;
}

/**
 * held37e: break37d made /dev/tokens need SEED_DEMO on and the demo POS partner's key (derived
 * from JWT_SECRET). On `npm start` with the embedded database (a fresh clone: SEED_DEMO unset, so
 * on) the apps' demo sign-in still works, and after the README's JWT_SECRET change (the seed
 * re-keys the demo partner) it works again with the new key; the old one is refused.
 */
describe('held37e: demo sign-in on the embedded database, and after JWT_SECRET changes', () => {
  const block = embeddedGatewayPerBlock('rg-held37e');

  it('tokens and the demo key on a fresh start, and again under a new JWT_SECRET', async () => {
    let url = await block.embedded.start(SECRET);
    const first = await devTokens(url);
    expect(first.status).toBe(200);
    const t1 = first.tokens!;
    expect({
      members: t1.members.map((m) => m.externalId),
      staff: await Promise.all(t1.staff.map(async (s) => [s.role, await staffSignsIn(url, s.token)])),
      key: await keySignsIn(url, t1.partners[0].apiKey),
    }).toEqual({
      members: ['cust-alice', 'cust-bob', 'cust-carol'],
      staff: [
        ['operator', true],
        ['analyst', true],
      ],
      key: true,
    });
    await block.embedded.stop();

    url = await block.embedded.start(`${SECRET}-rotated`);
    const second = await devTokens(url);
    expect(second.status).toBe(200);
    const t2 = second.tokens!;
    expect({
      staff: await staffSignsIn(url, t2.staff.find((s) => s.role === 'operator')!.token),
      oldStaff: await staffSignsIn(url, t1.staff.find((s) => s.role === 'operator')!.token),
      keyChanged: t2.partners[0].apiKey !== t1.partners[0].apiKey,
      key: await keySignsIn(url, t2.partners[0].apiKey),
      oldKey: await keySignsIn(url, t1.partners[0].apiKey),
    }).toEqual({
      staff: true,
      oldStaff: false,
      keyChanged: true,
      key: true,
      oldKey: false,
    });
  }, 600_000);
});
