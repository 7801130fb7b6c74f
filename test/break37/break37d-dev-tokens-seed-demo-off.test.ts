import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway, type SpawnedGateway } from '../support/processes.js';

/**
 * break37d (ops): README (f297c22): "/dev/tokens … needs the demo program: … on a DATABASE_URL only
 * with SEED_DEMO=true (without it /dev/tokens answers 404: a program's own database never hands out
 * staff tokens, whatever NODE_ENV says)". An operator tries the gateway on their PostgreSQL with
 * SEED_DEMO=true (the README's first steps), then goes on on that database without the demo:
 * SEED_DEMO=false, a real JWT_SECRET, NODE_ENV left unset (development). The start-up banner now
 * prints no tokens (it follows SEED_DEMO), yet f297c22's /dev/tokens asks only whether a partner
 * created by `staff:seed` exists, and it always will (partners are revoked, never deleted): any
 * caller, no credentials, gets an operator token signed with the deployment's JWT_SECRET, accepted
 * on staff-only operations. A correct gateway answers /dev/tokens only when this start serves the
 * demo (SEED_DEMO), as the README says.
 */
describe('break37d ops: /dev/tokens after SEED_DEMO is switched off on a database once seeded', () => {
  let build: string;
  let database: { url: string; drop(): Promise<void> };
  let gateway: SpawnedGateway | undefined;
  const stop = async (g: SpawnedGateway | undefined) => {
    if (g && g.child.exitCode === null && g.child.signalCode === null) {
      g.child.kill('SIGTERM');
      await g.exited;
    }
  };
  beforeAll(async () => {
    build = await compiledGateway();
    database = await createMigratedDatabase();
  }, 600_000);
  afterAll(async () => {
    await stop(gateway);
    await database.drop();
  });

  it('SEED_DEMO=false: no staff token to an anonymous caller', async () => {
    const env = { DATABASE_URL: database.url, NODE_ENV: '', JWT_SECRET: 'a-real-deployment-secret-0123456789abcdef-0123456789', JOBS_ENABLED: 'false' };
    // the trial: the demo seeded on this database
    const trial = spawnGateway(build, { ...env, SEED_DEMO: 'true' });
    expect(await trial.until(/"msg":"gateway ready"/, 180_000)).toBe(true);
    await stop(trial);
    // the program's own run on it: no demo
    gateway = spawnGateway(build, { ...env, SEED_DEMO: 'false' });
    expect(await gateway.until(/"msg":"gateway ready"/, 180_000)).toBe(true);
    const url = /"url":"(http:[^"]+)","embeddedDatabase":false,"msg":"gateway ready"/.exec(gateway.output())![1];
    const res = await fetch(url.replace(/\/graphql$/, '/dev/tokens'));
    const body = res.status === 200 ? ((await res.json()) as { staff: { role: string; token: string }[] }) : { staff: [] };
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
    expect({ status: res.status, staffServed: body.staff.map((s) => s.role), acceptedAsStaff: accepted }).toEqual({ status: 404, staffServed: [], acceptedAsStaff: [] });
  }, 400_000);
});
