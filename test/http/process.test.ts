import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(import.meta.dirname, '../..');

/** `npm start` as a process: compiled, embedded database, demo tokens printed, clean stop on SIGTERM. */
describe('the gateway process', () => {
  beforeAll(async () => {
    await promisify(execFile)(path.join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], { cwd: root });
  }, 120_000);

  it('starts on a fresh DATA_DIR, serves, and stops cleanly on SIGTERM', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rg-process-'));
    try {
      const child = spawn(process.execPath, ['dist/src/main.js'], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'development', LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

      const deadline = Date.now() + 60_000;
      while (!/listening on (http:\S+)/.test(output) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const url = /listening on (http:\S+)/.exec(output)?.[1];
      expect(url).toMatch(/^http:\/\/[^/]+:\d+\/graphql$/);
      const token = /customer \(cust-alice\): (\S+)/.exec(output)?.[1];
      const res = await fetch(url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ me { externalId balances { available } } }' }),
      });
      expect(await res.json()).toEqual({ data: { me: { externalId: 'cust-alice', balances: [{ available: 420 }] } } });
      expect((await fetch(new URL('/readyz', url))).status).toBe(200);

      // the printed POS key works, and the process's own job worker processes a sale
      const apiKey = /x-api-key: <key>": (\S+)/.exec(output)?.[1];
      const pos = (query: string, variables: unknown) =>
        fetch(url!, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey! }, body: JSON.stringify({ query, variables }) }).then(
          (r) => r.json() as Promise<{ data: Record<string, { status?: string; pointsAwarded?: number }> }>,
        );
      const submitted = await pos(
        `mutation($input: SubmitTransactionInput!) { submitTransaction(input: $input) { transaction { status } userErrors { code } } }`,
        { input: { externalId: 'till-1', customerExternalId: 'cust-alice', occurredAt: new Date().toISOString(), currency: 'EUR', lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.50' }] } },
      );
      expect(submitted.data.submitTransaction).toMatchObject({ transaction: { status: 'RECEIVED' } });
      let sale: { status?: string; pointsAwarded?: number } = {};
      for (let i = 0; i < 100 && sale.status !== 'PROCESSED'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        sale = (await pos(`query { transaction(externalId: "till-1") { status pointsAwarded } }`, {})).data.transaction;
      }
      expect(sale).toEqual({ status: 'PROCESSED', pointsAwarded: 60 }); // 35 for the latte + the 25 coffee bonus

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('"msg":"stopped"');
      // the embedded PostgreSQL was shut down too (it removes its pid file on a clean stop)
      expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
