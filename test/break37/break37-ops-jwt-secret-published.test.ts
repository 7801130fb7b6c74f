import { SignJWT } from 'jose';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway } from '../support/processes.js';

/**
 * break37 (ops): with NODE_ENV=production JWT_SECRET (or JWT_JWKS_URL) is required, and must be 32
 * characters or more. Two secrets of that length are public: .env.example's own line, which an
 * operator uncomments as it stands (`JWT_SECRET=change-me-to-a-long-random-secret-of-32-chars-or-more`),
 * and the development secret every gateway without JWT_SECRET signs with
 * (`reward-gateway-development-secret-change-me`, in src/config.ts and so in every clone; a
 * development gateway's /dev/tokens hands out operator tokens signed with it). A production gateway
 * takes either without a word (no warning: `jwtSecretIsDefault` is false once the value is set
 * explicitly) and accepts an operator token anyone can sign with it. A correct gateway refuses them
 * in production as it refuses a short one: one line naming JWT_SECRET, exit 2.
 */
describe('break37 ops: a production gateway refuses a JWT_SECRET that is published', () => {
  let build: string;
  let database: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    build = await compiledGateway();
    database = await createMigratedDatabase();
  }, 600_000);
  afterAll(() => database.drop());

  it.each([['change-me-to-a-long-random-secret-of-32-chars-or-more'], ['reward-gateway-development-secret-change-me']])(
    'JWT_SECRET=%s with NODE_ENV=production: one line naming JWT_SECRET, exit 2; no forged operator token is taken',
    async (secret) => {
      const gateway = spawnGateway(build, {
        DATABASE_URL: database.url,
        NODE_ENV: 'production',
        JWT_SECRET: secret,
        METRICS_TOKEN: 'break37-ops-metrics-token-0123456789',
        JOBS_ENABLED: 'false',
      });
      let forgedOperator = 'not tried';
      try {
        await gateway.until(/"msg":"gateway ready"/);
        const ready = /"url":"(http:[^"]+)"[^\n]*"msg":"gateway ready"/.exec(gateway.output());
        if (ready) {
          // what anyone who read the secret can do
          const token = await new SignJWT({ role: 'operator' }).setProtectedHeader({ alg: 'HS256' }).setSubject('staff-mallory').setExpirationTime('1h').sign(new TextEncoder().encode(secret));
          const res = await fetch(ready[1], {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: '{ customer(externalId: "cust-anyone") { id } }' }),
          });
          const body = (await res.json()) as { errors?: unknown[] };
          forgedOperator = res.status === 200 && !body.errors ? 'accepted' : 'refused';
        }
        const code = ready ? 'started' : await gateway.exited;
        const line = gateway.output().split('\n').find((l) => l && !l.startsWith('{')) ?? '';
        expect({ code, line, forgedOperator }).toEqual({ code: 2, line: expect.stringMatching(/^Configuration error: JWT_SECRET/), forgedOperator: 'not tried' });
      } finally {
        if (gateway.child.exitCode === null && gateway.child.signalCode === null) {
          gateway.child.kill('SIGTERM');
          await gateway.exited;
        }
      }
    },
    120_000,
  );
});
