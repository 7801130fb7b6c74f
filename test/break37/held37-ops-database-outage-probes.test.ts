import net from 'node:net';
import { SignJWT } from 'jose';
import pg from 'pg';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase, TEST_JWT_SECRET } from '../support/gateway.js';
import { spawnGateway, type SpawnedGateway } from '../support/processes.js';

/**
 * held37 (ops): the database goes away under a serving gateway process and comes back (a
 * PostgreSQL restart or failover, seen through a TCP proxy the test cuts: every connection reset,
 * new ones refused), with the DATABASE_URL carrying a password and the log at trace. What an
 * operator's probes and callers see: /healthz stays 200 (the process is alive: no restart loop),
 * /readyz goes 503 "not ready" while the database is away and 200 again once it is back, with no
 * restart; a staff read meanwhile is 503 SERVICE_UNAVAILABLE (never a 500) and 200 after; the
 * password is in no line of the log; SIGTERM then stops it with exit 0. Held on main; kept because
 * the probes' recovery, in a real process, was tested nowhere (test/db/unreachable.test.ts checks
 * /readyz 503 on an in-process gateway whose database never was).
 */
describe('held37 ops: probes and logs while the database goes away and comes back', () => {
  let build: string;
  let database: { url: string; drop(): Promise<void> };
  let gateway: SpawnedGateway | undefined;
  let server: net.Server | undefined;
  const pairs = new Set<net.Socket>();
  let proxyPort = 0;
  let target: { host: string; port: number };
  // a role of the test's own with a password found nowhere else (the suite's is the user's name)
  const role = `held37_ops_${process.pid}`;
  const password = 'pg-password-held37-ops';
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };

  const listen = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        pairs.add(client).add(upstream);
        const end = () => {
          client.destroy();
          upstream.destroy();
          pairs.delete(client);
          pairs.delete(upstream);
        };
        client.on('error', end).on('close', end).pipe(upstream);
        upstream.on('error', end).on('close', end).pipe(client);
      });
      server.listen(proxyPort, '127.0.0.1', () => {
        proxyPort = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const cut = async () => {
    await new Promise((resolve) => server!.close(resolve).emit('close'));
    for (const socket of pairs) socket.resetAndDestroy();
    pairs.clear();
  };

  beforeAll(async () => {
    build = await compiledGateway();
    database = await createMigratedDatabase();
    const url = new URL(database.url);
    target = { host: url.hostname, port: Number(url.port || 5432) };
    await admin(`create role ${role} login password '${password}'`);
    await admin(`grant ${new URL(process.env.TEST_PG_ADMIN_URL!).username} to ${role}`); // the tables' owner's privileges
    await listen();
  }, 600_000);
  afterAll(async () => {
    if (gateway && gateway.child.exitCode === null && gateway.child.signalCode === null) {
      gateway.child.kill('SIGKILL');
      await gateway.exited;
    }
    for (const socket of pairs) socket.destroy();
    server?.close();
    await database.drop();
    await admin(`drop role if exists ${role}`);
  });

  it('healthz stays 200, readyz 503 then 200, reads 503 then 200, no password logged, clean stop', async () => {
    const url = new URL(database.url);
    url.hostname = '127.0.0.1';
    url.port = String(proxyPort);
    url.username = role;
    url.password = password;
    gateway = spawnGateway(build, { DATABASE_URL: url.toString(), JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'trace', JOBS_ENABLED: 'true', DB_ACQUIRE_TIMEOUT_MS: '2000' });
    await gateway.until(/"msg":"gateway ready"/);
    expect(gateway.output().includes('"msg":"gateway ready"') ? 'ready' : gateway.output().slice(-1500)).toBe('ready');
    const base = /"url":"(http:[^"]+)\/graphql"[^\n]*"msg":"gateway ready"/.exec(gateway.output())![1];
    const token = await new SignJWT({ role: 'operator' }).setProtectedHeader({ alg: 'HS256' }).setSubject('staff-held37').setExpirationTime('1h').sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const probe = async (path: string) => (await fetch(`${base}${path}`, { signal: AbortSignal.timeout(30_000) })).status;
    const read = async () =>
      (
        await fetch(`${base}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: '{ customer(externalId: "cust-nobody") { id } }' }),
          signal: AbortSignal.timeout(30_000),
        })
      ).status;
    const until = async (check: () => Promise<boolean>, ms: number) => {
      const deadline = Date.now() + ms;
      while (!(await check())) {
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return true;
    };

    const before = { healthz: await probe('/healthz'), readyz: await probe('/readyz'), read: await read() };
    await cut();
    const wentNotReady = await until(async () => (await probe('/readyz')) === 503, 20_000);
    const during = { healthz: await probe('/healthz'), readyz: await probe('/readyz'), read: await read() };
    await listen();
    const cameBack = await until(async () => (await probe('/readyz')) === 200 && (await read()) === 200, 60_000);
    const after = { healthz: await probe('/healthz'), readyz: await probe('/readyz'), read: await read() };
    gateway.child.kill('SIGTERM');
    const code = await gateway.exited;
    expect({ before, wentNotReady, during, cameBack, after, code, passwordLogged: gateway.output().includes(password) }).toEqual({
      before: { healthz: 200, readyz: 200, read: 200 },
      wentNotReady: true,
      during: { healthz: 200, readyz: 503, read: 503 },
      cameBack: true,
      after: { healthz: 200, readyz: 200, read: 200 },
      code: 0,
      passwordLogged: false,
    });
  }, 180_000);
});
