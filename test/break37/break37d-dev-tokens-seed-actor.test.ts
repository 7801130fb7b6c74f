import { SignJWT } from 'jose';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway, type SpawnedGateway } from '../support/processes.js';

const SECRET = 'a-real-deployment-secret-0123456789abcdef-0123456789';

/**
 * break37d (ops): f297c22 decides "the demo program was seeded here" by `partner.created_by =
 * 'staff:seed'`, a string any staff member writes: a staff token's `sub` is the staff id, and
 * createPartner records `staff:<sub>`. A program whose own provisioning runs as the staff id `seed`
 * (a data-seeding job: the most natural name for it) creates its real POS partner. No demo was ever
 * seeded (DATABASE_URL, no SEED_DEMO, NODE_ENV left unset). From then on GET /dev/tokens, with no
 * credentials, answers an operator token signed with the deployment's JWT_SECRET. A correct gateway
 * does not take a staff member's partner for the demo's (README: "a program's own database never
 * hands out staff tokens").
 */
describe("break37d ops: /dev/tokens on a program's database where staff 'seed' created a partner", () => {
  let build: string;
  let database: { url: string; drop(): Promise<void> };
  let gateway: SpawnedGateway | undefined;
  beforeAll(async () => {
    build = await compiledGateway();
    database = await createMigratedDatabase();
  }, 600_000);
  afterAll(async () => {
    if (gateway && gateway.child.exitCode === null && gateway.child.signalCode === null) {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
    await database.drop();
  });

  it('answers 404 (no demo was seeded), before and after the partner', async () => {
    gateway = spawnGateway(build, { DATABASE_URL: database.url, NODE_ENV: '', JWT_SECRET: SECRET, JOBS_ENABLED: 'false' });
    expect(await gateway.until(/"msg":"gateway ready"/, 180_000)).toBe(true);
    const url = /"url":"(http:[^"]+)","embeddedDatabase":false,"msg":"gateway ready"/.exec(gateway.output())![1];
    const tokens = async () => {
      const res = await fetch(url.replace(/\/graphql$/, '/dev/tokens'));
      const body = res.status === 200 ? ((await res.json()) as { staff: { role: string }[] }) : { staff: [] };
      return { status: res.status, staff: body.staff.map((s) => s.role) };
    };
    const before = await tokens();
    const provisioning = await new SignJWT({ role: 'operator' }).setProtectedHeader({ alg: 'HS256' }).setSubject('seed').setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
    const created = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${provisioning}` },
      body: JSON.stringify({ query: 'mutation { createPartner(input: { name: "Main Street tills", scopes: ["transactions:write"] }) { partner { id } userErrors { code } } }' }),
    });
    const answer = (await created.json()) as { data?: { createPartner: { partner: { id: string } | null } } };
    expect(JSON.stringify(answer)).toContain('"partner":{"id"');
    const after = await tokens();
    expect({ before, after }).toEqual({ before: { status: 404, staff: [] }, after: { status: 404, staff: [] } });
  }, 300_000);
});
