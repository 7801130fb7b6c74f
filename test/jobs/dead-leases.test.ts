import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { compiledGateway, gatewayMain } from '../support/build.js';
import { seededDataDir } from '../support/cluster.js';
import { postgresProcessesFor } from '../support/processes.js';

const root = path.resolve(import.meta.dirname, '../..');
/** The run's build of the gateway (`tsc -p tsconfig.build.json`, test/support/build.ts), set by beforeAll. */
let build: string;
const JWT_SECRET = 'dead-leases-test-secret-long-enough-for-hs256';
/** The demo POS's key, as the demo seed derives it from the JWT secret (src/demo/seed.ts). */
const DEMO_POS_KEY = `rg_${createHmac('sha256', JWT_SECRET).update('demo-pos-partner').digest('base64url').slice(0, 32)}`;
const LEASE_MS = 600_000;

/** The compiled gateway on the embedded PostgreSQL in `dataDir`, with the demo program, its jobs running under a ten-minute lease. */
function gateway(dataDir: string) {
  const child = spawn(process.execPath, [gatewayMain(build)], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      JWT_SECRET,
      SEED_DEMO: 'true',
      JOBS_ENABLED: 'true',
      JOB_CONCURRENCY: '1',
      JOB_POLL_MS: '100',
      JOB_LEASE_MS: String(LEASE_MS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => output,
    async listening(): Promise<string> {
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        const url = /listening on (http:\S+)/.exec(output)?.[1];
        if (url) return url;
        if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}: ${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`gateway did not start: ${output}`);
    },
  };
}

async function until<T>(check: () => Promise<T | undefined | null | false>, what: string, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * edges-12: a gateway killed with SIGKILL while one of its job workers runs a job leaves the job
 * RUNNING under its lease, which another worker takes over only when it ends (JOB_LEASE_MS, a
 * minute by default). A gateway that starts again on the same embedded DATA_DIR holds that
 * directory's lock and stopped the server the killed run left, so no worker of that database can be
 * alive: it ends those leases at start and runs the jobs at once.
 */
describe('a gateway restarted on its embedded DATA_DIR after a kill -9', () => {
  let dataDir: string;
  beforeAll(async () => {
    build = await compiledGateway();
    // a copy of the run's seeded DATA_DIR (a first start's, stopped): the subject is the restart
    // after a kill, which the first start here reaches without initdb, the migrations and the seed
    // (the demo POS is re-keyed to this file's JWT_SECRET as it starts, src/demo/seed.ts)
    dataDir = await seededDataDir(build, 'rg-dead-leases-');
  }, 600_000); // tsc, here or in the other worker, on a shared two-core machine
  afterAll(async () => {
    for (const pid of postgresProcessesFor(dataDir)) process.kill(pid, 'SIGINT');
    await rm(dataDir, { recursive: true, force: true });
  });

  it("takes over the killed run's job at once, not after its lease", async () => {
    const manifest = JSON.parse(await readFile(path.join(root, 'schema/partner-manifest.json'), 'utf8')) as { operations: { name: string; id: string }[] };
    const op = (name: string) => manifest.operations.find((o) => o.name === name)!.id;
    const asPos = async (url: string, name: string, variables: unknown) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': DEMO_POS_KEY },
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: op(name) } }, variables }),
      });
      return (await res.json()) as { data?: any; errors?: unknown[] };
    };

    const first = gateway(dataDir);
    const firstUrl = await first.listening();
    // The test's own session on the embedded server: it holds the customer's sale lock, so the
    // sale's processing job, once claimed, waits inside its transaction.
    const port = readFileSync(path.join(dataDir, 'pg/postmaster.pid'), 'utf8').split('\n')[3].trim();
    const holder = new pg.Client({ connectionString: `postgres://postgres:embedded@127.0.0.1:${port}/reward_gateway` });
    holder.on('error', () => undefined); // its server is stopped by the restart
    await holder.connect();
    const [{ id: customerId }] = (await holder.query<{ id: string }>(`select id from customer where external_id = 'cust-alice'`)).rows;
    await holder.query(`select pg_advisory_lock(hashtextextended('sales-of-customer:' || $1::bigint, 0))`, [customerId]);

    const externalId = `dead-lease-${Date.now()}`;
    const submitted = await asPos(firstUrl, 'SubmitTransaction', {
      input: { externalId, customerExternalId: 'cust-alice', occurredAt: new Date().toISOString(), currency: 'EUR', lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.50' }] },
    });
    expect(submitted.data?.submitTransaction).toMatchObject({ transaction: { status: 'RECEIVED' }, userErrors: [] });
    // claimed by the first gateway's worker and waiting at the lock inside its transaction
    const leased = await until(
      async () =>
        (
          await holder.query<{ locked_by: string; lease_ms: number; waiting: boolean }>(
            `select j.locked_by, extract(epoch from j.locked_until - now()) * 1000 as lease_ms,
                    exists (select 1 from pg_stat_activity a where a.wait_event_type = 'Lock' and a.datname = current_database()) as waiting
               from job j where j.kind = 'transaction.process.minor-units' and j.status = 'RUNNING'`,
          )
        ).rows.find((r) => r.waiting),
      'the job claimed and waiting',
      20_000,
    );
    expect(Number(leased.lease_ms)).toBeGreaterThan(LEASE_MS - 60_000);

    first.child.kill('SIGKILL');
    await first.exited;
    const second = gateway(dataDir);
    try {
      const url = await second.listening();
      // Before: RECEIVED until the dead run's lease ran out, ten minutes on.
      const status = await until(
        async () => {
          const s = (await asPos(url, 'TransactionStatus', { externalId })).data?.transaction?.status;
          return s === 'PROCESSED' && s;
        },
        'the sale processed by the restarted gateway',
        20_000,
      );
      expect(status).toBe('PROCESSED');
      expect(second.output()).toContain('released the job leases of a run that was killed');
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
      await holder.end().catch(() => undefined);
    }
  }, 240_000);
});
