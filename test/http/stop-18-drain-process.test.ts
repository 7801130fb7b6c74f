import http from 'node:http';
import { compiledGateway } from '../support/build.js';
import { startCompiledGateway, type CompiledGateway } from '../support/frozen-gateway.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { eventually } from '../support/program.js';

/** One request on a connection of its own (no keep-alive pool): what a load balancer's new connection sees. */
function request(url: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: body ? 'POST' : 'GET', agent: false, headers: body ? { 'content-type': 'application/json' } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The gateway's base URL, from its `gateway ready` line. */
const baseOf = (gateway: CompiledGateway) => /"url":"(http:\/\/[^"]+)\/graphql"/.exec(gateway.output())![1];

/** Its exit code, or 'hung' if it has not exited in 30 s (a cap for a failing run). */
const exitOf = (gateway: CompiledGateway) => Promise.race([gateway.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);

/**
 * stop-18: readiness at SIGTERM. Behind a load balancer the instance must fail its readiness probe
 * as soon as the shutdown begins and go on serving for SHUTDOWN_DRAIN_DELAY_MS, so the balancer
 * stops sending before connections are refused (before: the listener closed at SIGTERM, and
 * /readyz was 200 to the last). The compiled gateway, as `npm start` runs it.
 */
describe('the gateway process leaving rotation at SIGTERM (stop-18)', () => {
  let build: string;
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  const running: CompiledGateway[] = [];
  const start = async (env: Record<string, string>) => {
    const gateway = await startCompiledGateway(build, database.url, { JOBS_ENABLED: 'false', ...env });
    running.push(gateway);
    return gateway;
  };
  beforeAll(async () => {
    build = await compiledGateway();
    database = await createMigratedDatabase();
  }, 600_000);
  afterEach(() => {
    for (const gateway of running.splice(0)) if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
  });
  afterAll(() => database.drop());

  it('answers /readyz 503 while /graphql and new connections are still served, then stops (a SIGINT ends the delay)', async () => {
    const gateway = await start({ SHUTDOWN_DRAIN_DELAY_MS: '120000' });
    const base = baseOf(gateway);
    const before = await request(`${base}/readyz`);
    expect({ status: before.status, body: JSON.parse(before.body) }).toEqual({ status: 200, body: { status: 'ready' } });

    gateway.child.kill('SIGTERM');
    let readyz: { status: number; body: string } | undefined;
    await eventually(async () => (readyz = await request(`${base}/readyz`)).status === 503, 15_000);
    expect(JSON.parse(readyz!.body)).toEqual({ status: 'shutting down' });
    // the delay: every other request is still served, on new connections
    const answer = await request(`${base}/graphql`, JSON.stringify({ query: '{ __typename }' }));
    expect({ status: answer.status, body: JSON.parse(answer.body) }).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
    expect((await request(`${base}/healthz`)).status).toBe(200);
    expect(gateway.child.exitCode).toBeNull();

    gateway.child.kill('SIGINT');
    expect(await exitOf(gateway)).toBe(0);
    expect(gateway.output()).toMatch(/shutting down: \/readyz answers 503[\s\S]*finishing in-flight requests[\s\S]*"msg":"stopped"/);
    await expect(request(`${base}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
  }, 120_000);

  // break2-19: `npm start` passes on to the gateway the SIGTERM its process group gets (systemd's
  // KillMode=control-group, `kill -- -<pgid>`, a supervisor that signals the group): the gateway
  // gets it twice, a few milliseconds apart (seen with npm 11: two SIGTERMs 25 ms apart). The
  // second ended the drain delay at once, so a group-signalled instance never left rotation.
  it('a SIGTERM that comes twice (the group\'s and npm start\'s pass-on) keeps the delay', async () => {
    const gateway = await start({ SHUTDOWN_DRAIN_DELAY_MS: '120000' });
    const base = baseOf(gateway);
    gateway.child.kill('SIGTERM'); // the group's
    await eventually(async () => gateway.output().includes('/readyz answers 503') || gateway.child.exitCode !== null, 15_000);
    gateway.child.kill('SIGTERM'); // npm's pass-on, once the gateway has acted on the first (two at once are one pending signal)
    await new Promise((resolve) => setTimeout(resolve, 200)); // for it to be acted on: the stop's own lines say nothing until it is done
    const readyz = await request(`${base}/readyz`).catch((error: Error) => ({ status: 0, body: error.message }));
    const answer = await request(`${base}/graphql`, JSON.stringify({ query: '{ __typename }' })).catch((error: Error) => ({ status: 0, body: error.message }));
    expect({ readyz: readyz.status, graphql: answer.status, running: gateway.child.exitCode === null }).toEqual({ readyz: 503, graphql: 200, running: true });
    gateway.child.kill('SIGINT'); // Ctrl-C: now
    expect(await exitOf(gateway)).toBe(0);
    expect(gateway.output()).toContain('"msg":"stopped"');
  }, 120_000);

  it('stops by itself once the delay has passed', async () => {
    const gateway = await start({ SHUTDOWN_DRAIN_DELAY_MS: '1000' });
    gateway.child.kill('SIGTERM');
    expect(await exitOf(gateway)).toBe(0);
    expect(gateway.output()).toMatch(/"drainMs":1000[\s\S]*"msg":"stopped"/);
  }, 120_000);

  it('skips the delay on SIGINT (Ctrl-C at a terminal)', async () => {
    const gateway = await start({ SHUTDOWN_DRAIN_DELAY_MS: '120000' });
    gateway.child.kill('SIGINT');
    expect(await exitOf(gateway)).toBe(0);
    expect(gateway.output()).not.toContain('/readyz answers 503');
    expect(gateway.output()).toContain('"msg":"stopped"');
  }, 120_000);
});
