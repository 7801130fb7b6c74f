import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { eventually } from '../support/program.js';
import { spawnGateway } from '../support/processes.js';
import { startOwnRedis, type OwnRedis } from '../support/redis.js';

/**
 * break37 (ops): REDIS_URL pointing at a read-only replica (the replica's endpoint copied instead of
 * the primary's, or a node demoted by a failover while the URL names it by address). It answers the
 * connect and PING, so the start-up's "REDIS_URL answers" check passes: "gateway ready", /readyz 200,
 * `gateway_redis_up` 1. Every count is refused "READONLY You can't write against a read only
 * replica" and the limiter lets the request through uncounted, as for a Redis that went away
 * (README: "With Redis unreachable while running, requests are let through uncounted"), logging a
 * warning at most every 10 s. So from its first request this deployment has no rate limits at all,
 * every caller kind, for as long as it runs, and nothing an operator's health checks look at says
 * so. A correct gateway finds out at start (its first count is a write) and refuses with one line
 * naming REDIS_URL, as it does for a Redis nobody answers; or else counts somewhere.
 */
describe('break37 ops: a REDIS_URL that is a read-only replica', () => {
  let build: string;
  let database: { url: string; drop(): Promise<void> };
  let primary: OwnRedis;
  let replica: ChildProcess;
  let replicaUrl: string;
  beforeAll(async () => {
    build = await compiledGateway();
    database = await createMigratedDatabase();
    primary = await startOwnRedis();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    // In a scratch directory: a replica writes the primary's snapshot (dump.rdb) where it runs, --save '' or not.
    replica = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--replicaof', '127.0.0.1', new URL(primary.url).port], {
      stdio: 'ignore',
      cwd: mkdtempSync(path.join(os.tmpdir(), 'break37-replica-')),
    });
    replicaUrl = `redis://127.0.0.1:${port}`;
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 50 });
    probe.on('error', () => undefined);
    await eventually(async () => (await probe.ping().catch(() => null)) === 'PONG');
    const write = await probe.set('break37-ops-probe', '1').catch((error: Error) => error.message);
    probe.disconnect();
    expect(write).toMatch(/^READONLY/); // it is the read-only replica the test means
  }, 600_000);
  afterAll(async () => {
    replica.kill('SIGKILL');
    await primary.kill();
    await database.drop();
  });

  it('refuses the start naming REDIS_URL, or counts: never a gateway whose rate limits are all off', async () => {
    const gateway = spawnGateway(build, {
      DATABASE_URL: database.url,
      REDIS_URL: replicaUrl,
      RATE_LIMIT_KEY_PREFIX: 'break37-ops',
      RATE_LIMIT_ANONYMOUS: '3',
      JOBS_ENABLED: 'false',
    });
    try {
      await gateway.until(/"msg":"gateway ready"/);
      let verdict: string;
      const ready = /"url":"(http:[^"]+)"[^\n]*"msg":"gateway ready"/.exec(gateway.output());
      if (ready) {
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) {
          const res = await fetch(ready[1], { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
          await res.arrayBuffer();
          statuses.push(res.status);
        }
        const readyz = (await fetch(ready[1].replace(/graphql$/, 'readyz'))).status;
        verdict = statuses.includes(429) ? 'started, limit held' : `started, ${statuses.length} anonymous requests against a limit of 3 answered ${statuses.join(' ')}, /readyz ${readyz}`;
      } else {
        const code = await gateway.exited;
        const line = gateway.output().split('\n').find((l) => l && !l.startsWith('{')) ?? '';
        verdict = code === 1 && line.includes('REDIS_URL') ? 'refused naming REDIS_URL' : `exited ${code}: ${line}`;
      }
      expect(verdict).toMatch(/^(refused naming REDIS_URL|started, limit held)$/);
    } finally {
      if (gateway.child.exitCode === null && gateway.child.signalCode === null) {
        gateway.child.kill('SIGTERM');
        await gateway.exited;
      }
    }
  }, 120_000);
});
