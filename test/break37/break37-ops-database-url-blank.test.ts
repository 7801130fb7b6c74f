import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { compiledGateway } from '../support/build.js';
import { TEST_JWT_SECRET } from '../support/gateway.js';
import { postgresProcessesFor, spawnGateway, type SpawnedGateway } from '../support/processes.js';

/**
 * break37 (ops): a production deployment whose DATABASE_URL reaches the gateway set but blank: a
 * compose file's `DATABASE_URL: ${DATABASE_URL}` with the variable missing on the host (compose
 * substitutes ""), a Kubernetes secret key rendered empty, a template's `DATABASE_URL=` left
 * for later. config.ts reads blank as unset, so NODE_ENV=production starts an embedded PostgreSQL
 * in DATA_DIR, seeds the demo program (SEED_DEMO defaults to "no DATABASE_URL") and serves it as the
 * loyalty program: "Reward Gateway is listening … the demo program is seeded", no warning. That is
 * the harm operator-17 closed for a misspelt DATABSE_URL, reached by an empty one; and edges-11
 * made a set-but-empty CORS_ORIGINS stop the start for the same reason ("a value left blank in a
 * deployment's template"). A correct production gateway refuses it: one line naming DATABASE_URL,
 * exit 2, no database started.
 */
describe('break37 ops: DATABASE_URL set but blank in production', () => {
  let build: string;
  let dataDir: string;
  let gateway: SpawnedGateway | undefined;
  beforeAll(async () => {
    build = await compiledGateway();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'rg-break37-ops-'));
  }, 600_000);
  afterAll(async () => {
    if (gateway && gateway.child.exitCode === null && gateway.child.signalCode === null) {
      gateway.child.kill('SIGINT');
      await gateway.exited;
    }
    for (const pid of postgresProcessesFor(dataDir)) process.kill(pid, 'SIGINT');
    for (let i = 0; i < 100 && postgresProcessesFor(dataDir).length; i++) await new Promise((r) => setTimeout(r, 100));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('stops the start with one line naming DATABASE_URL, exit 2; no embedded database, no demo program', async () => {
    gateway = spawnGateway(build, {
      NODE_ENV: 'production',
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      METRICS_TOKEN: 'break37-ops-metrics-token-0123456789',
      JOBS_ENABLED: 'false',
    });
    await gateway.until(/"msg":"gateway ready"/, 180_000);
    const output = gateway.output();
    const ready = output.includes('"msg":"gateway ready"');
    const code = ready ? 'started' : await gateway.exited;
    expect({
      code,
      line: output.split('\n').find((l) => l && !l.startsWith('{')) ?? '',
      embedded: output.includes('"msg":"starting embedded PostgreSQL"'),
      demoSeeded: output.includes('"msg":"demo program seeded"'),
    }).toEqual({ code: 2, line: expect.stringMatching(/^Configuration error: DATABASE_URL/), embedded: false, demoSeeded: false });
  }, 240_000);
});
