import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { WEBHOOK_DELIVER } from '../../src/webhooks/webhook.jobs.js';
import { ok, HIGH_RATE_LIMITS, startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, uniqueCode } from '../support/program.js';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../support/ws.js';

const root = path.resolve(import.meta.dirname, '../..');
const env = { WEBHOOK_TIMEOUT_MS: '4000', JOB_LEASE_MS: '1000', WEBHOOK_DISPATCH_MS: '100', JOB_POLL_MS: '100', WEBHOOK_BACKOFF_MS: '500', WEBHOOK_ALLOW_HTTP_LOCALHOST: 'true' };

function startJobsChild(databaseUrl: string): Promise<{ child: ChildProcess; workerId: string }> {
  const child = fork(path.join(root, 'test/support/jobs-child.ts'), [], {
    cwd: root,
    execPath: path.join(root, 'node_modules/.bin/node'),
    execArgv: ['--import', './test/support/ts-hooks.mjs'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: databaseUrl, DB_POOL_MAX: '5', ...HIGH_RATE_LIMITS, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.on('message', (m: { type: string; workerId: string }) => m.type === 'ready' && resolve({ child, workerId: m.workerId }));
    child.once('exit', (code) => reject(new Error(`jobs child exited ${code}`)));
  });
}

/**
 * break35-instances (held): two instances running the job workers; the one sending a webhook is
 * killed with SIGKILL while the receiver holds its POST. The delivery must still arrive (after the
 * outbound lease, WEBHOOK_TIMEOUT_MS + JOB_LEASE_MS), with the same webhook-id, and once more only.
 */
describe('a webhook delivery whose instance is killed mid-POST (break35-instances)', () => {
  let t: TestGateway;
  const children: ChildProcess[] = [];
  const seen: { id: string; at: number }[] = [];
  const held: ServerResponse[] = [];
  let answerAtOnce = false;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ id: String(req.headers['webhook-id']), at: Date.now() });
      if (answerAtOnce) res.writeHead(200).end();
      else held.push(res);
    });
  });
  const receiver = { base: '' };
  beforeAll(async () => {
    t = await startTestGateway(env, { jobs: 'manual' });
    // The test's own gateway runs no jobs: its dispatcher, stopped, lets its outbox commits NOTIFY the
    // two instances' dispatchers (a test dispatcher not started would take them: registry.ts).
    t.jobs.dispatcher.stop();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    server.closeAllConnections();
    server.close();
    await t?.close();
  });

  it('is delivered by the other instance, with the same webhook-id, and is not sent a third time', async () => {
    const currency = uniqueCode('WK');
    await createCurrency(t, currency);
    const customer = await createCustomer(t, currency);
    ok(await t.gql(`mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code message } } }`, { input: { url: `${receiver.base}/hook`, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken));
    const [a, b] = await Promise.all([startJobsChild(t.databaseUrl), startJobsChild(t.databaseUrl)]);
    children.push(a.child, b.child);
    await adjust(t, customer.externalId, currency, 10);
    await waitFor(() => seen.length >= 1, 20_000, 'the first POST');
    const [job] = await t.sql<{ id: string; locked_by: string }>(`select id, locked_by from job where kind = $1 and status = 'RUNNING'`, [WEBHOOK_DELIVER]);
    const sender = job.locked_by === a.workerId ? a : b;
    expect([a.workerId, b.workerId]).toContain(job.locked_by);
    sender.child.kill('SIGKILL');
    answerAtOnce = true;
    const killedAt = Date.now();
    await waitFor(async () => (await t.sql<{ status: string }>(`select status from webhook_delivery`))[0]?.status === 'DELIVERED', 30_000, 'the delivery DELIVERED');
    const tookMs = Date.now() - killedAt;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const deliveries = await t.sql<{ status: string; attempts: number }>(`select status, attempts from webhook_delivery`);
    console.log({ tookMs, deliveries, seen });
    expect(deliveries).toHaveLength(1);
    expect(seen).toHaveLength(2);
    expect(seen[1].id).toBe(seen[0].id);
  });
});
