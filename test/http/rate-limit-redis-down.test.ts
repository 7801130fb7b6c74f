import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createCurrency, eventually, unique } from '../support/program.js';

/** A port no one listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Rate limits counted in Redis (REDIS_URL) let requests through when Redis fails, rather than
 * failing the API (docs/decisions.md, "The edge"). Hostile pass 9, on a Redis server of the test's
 * own that it stops (SIGSTOP: the connection stays open and nothing answers, as in a network
 * partition or a Redis stuck on a slow command) and kills: a stopped Redis held every request for
 * ever, since a command had no time limit; and a gateway stopping while Redis was gone failed its
 * shutdown ("Stream isn't writeable"), so the jobs were not drained and the database not stopped.
 */
describe('rate limits in a Redis that stops answering', () => {
  let redis: ChildProcess;
  let t: TestGateway;
  let token: string;
  let closed = false;

  beforeAll(async () => {
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 50 });
    probe.on('error', () => undefined);
    await eventually(async () => (await probe.ping().catch(() => null)) === 'PONG');
    probe.disconnect();
    t = await startTestGateway({ REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_KEY_PREFIX: unique('rl'), RATE_LIMIT_CUSTOMER: '1000' });
    const currency = unique('RD').toUpperCase().replace(/-/g, '_').slice(0, 20);
    await createCurrency(t, currency);
    token = (await createCustomer(t, currency)).token;
  });
  afterAll(async () => {
    redis.kill('SIGCONT');
    redis.kill('SIGKILL');
    if (!closed) await t.close().catch(() => undefined);
  });

  /** The status of `{ me { id } }`, or "no answer" when none comes within 10 s. */
  const statusOfMe = async () => {
    try {
      const res = await t.fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ me { id } }' }),
        signal: AbortSignal.timeout(10_000),
      });
      return res.status;
    } catch {
      return 'no answer';
    }
  };

  it('answers while Redis is stopped, and again once it answers; stops cleanly once Redis is gone', async () => {
    expect(await statusOfMe()).toBe(200); // the control
    redis.kill('SIGSTOP');
    expect(await statusOfMe()).toBe(200);
    expect(await statusOfMe()).toBe(200);
    redis.kill('SIGCONT');
    expect(await statusOfMe()).toBe(200);
    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));
    expect(await statusOfMe()).toBe(200);
    closed = true;
    await expect(t.close()).resolves.toBeUndefined();
  });
});
