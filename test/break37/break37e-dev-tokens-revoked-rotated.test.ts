import { devTokens, embeddedGatewayPerBlock, postGraphql } from '../support/embedded-gateway.js';

const SECRET = 'a-developers-own-secret-0123456789abcdef-0123456789';

/**
 * break37e: /dev/tokens recognises the demo program by a partner holding the key derived from this
 * start's JWT_SECRET, "revoked or not" (src/http/dev-tokens.ts). But the seed re-keys the demo
 * partner on a JWT_SECRET change only while it is not revoked. So on the embedded database
 * (`npm start`, SEED_DEMO on by default), a developer who revokes the demo POS partner (the
 * console's Partners page) and later changes JWT_SECRET (the README's steps put it in .env) loses
 * the apps' demo sign-in for good: /dev/tokens answers 404 "demo tokens exist only with the demo
 * program (SEED_DEMO=true), in development", in development, with SEED_DEMO on and the demo program
 * seeded, its members there. Revoked with the same secret it answers 200 (members and staff, no
 * partner key). A correct gateway answers the demo's members and staff whether or not the demo
 * partner was revoked, before and after the secret changes (and offers no revoked key).
 */
describe('break37e: demo sign-in after the demo POS partner is revoked and JWT_SECRET changes', () => {
  const block = embeddedGatewayPerBlock('rg-break37e');

  it('the members and staff are still offered', async () => {
    let url = await block.embedded.start(SECRET);
    const t1 = (await devTokens(url)).tokens!;
    const operator = {
      authorization: `Bearer ${t1.staff.find((s) => s.role === 'operator')!.token}`,
    };
    const partners = (await postGraphql(url, operator, '{ partners { id name revokedAt } }')).body.data!.partners as { id: string; name: string }[];
    const demo = partners.find((p) => p.name === t1.partners[0].name)!;
    const revoked = await postGraphql(url, operator, 'mutation($id: ID!) { revokePartner(input: { partnerId: $id, reason: "not using the demo till" }) { partner { revokedAt } userErrors { code } } }', {
      id: demo.id,
    });
    expect(JSON.stringify(revoked.body)).toContain('"revokedAt":"');
    // Revoked, same secret: members and staff offered, no key.
    const sameSecret = await devTokens(url);
    expect({
      status: sameSecret.status,
      members: sameSecret.tokens?.members.length,
      partners: sameSecret.tokens?.partners.length,
    }).toEqual({ status: 200, members: 3, partners: 0 });
    await block.embedded.stop();

    url = await block.embedded.start(`${SECRET}-rotated`);
    const rotated = await devTokens(url);
    expect({
      status: rotated.status,
      members: rotated.tokens?.members.length,
      staff: rotated.tokens?.staff.length,
      partners: rotated.tokens?.partners.length,
    }).toEqual({
      status: 200,
      members: 3,
      staff: 2,
      partners: 0,
    });
  }, 600_000);
});
