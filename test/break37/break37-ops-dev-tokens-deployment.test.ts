import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway, type SpawnedGateway } from '../support/processes.js';

/**
 * break37 (ops): an operator deploys the gateway on their own PostgreSQL (DATABASE_URL) with a real
 * JWT_SECRET and leaves NODE_ENV unset (its default is development) and HOST at its default
 * (0.0.0.0). No SEED_DEMO: this is the program's database, not the demo's. README: "/dev/tokens …
 * needs the demo program: … on a DATABASE_URL only with SEED_DEMO=true (without it the lists are
 * empty …)". On main the staff list is never empty: GET /dev/tokens, sent by anyone with no
 * credentials, answers an operator token signed with the deployment's own JWT_SECRET (valid a
 * day), and that token runs staff-only operations (createPartner, adjustPoints, …) on the real
 * program. Nothing at start-up warns that the instance serves tokens.
 */
describe('break37 ops: /dev/tokens on a DATABASE_URL deployment without the demo program', () => {
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

  it('hands no anonymous caller a staff token that the gateway accepts', async () => {
    gateway = spawnGateway(build, {
      DATABASE_URL: database.url,
      NODE_ENV: '', // unset: the default, development
      JWT_SECRET: 'a-real-deployment-secret-0123456789abcdef-0123456789',
      JOBS_ENABLED: 'false',
    });
    expect(await gateway.until(/"msg":"gateway ready"/)).toBe(true);
    const url = /"url":"(http:[^"]+)","embeddedDatabase":false,"msg":"gateway ready"/.exec(gateway.output())![1];
    const base = url.replace(/\/graphql$/, '');

    const res = await fetch(`${base}/dev/tokens`); // no credentials
    const body = res.status === 200 ? ((await res.json()) as { staff: { role: string; token: string }[] }) : { staff: [] };
    // What each token served does with a staff-only read of the real program.
    const accepted: string[] = [];
    for (const staff of body.staff) {
      const answer = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${staff.token}` },
        body: JSON.stringify({ query: '{ customer(externalId: "cust-anyone") { id } }' }),
      });
      const result = (await answer.json()) as { errors?: unknown[] };
      if (answer.status === 200 && !result.errors) accepted.push(staff.role);
    }
    expect({ staffServed: body.staff.map((s) => s.role), acceptedAsStaff: accepted }).toEqual({ staffServed: [], acceptedAsStaff: [] });
  }, 180_000);
});
