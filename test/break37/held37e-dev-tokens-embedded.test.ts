import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { compiledGateway } from '../support/build.js';
import { postgresProcessesFor, spawnGateway, type SpawnedGateway } from '../support/processes.js';

const SECRET = 'a-developers-own-secret-0123456789abcdef-0123456789';

/** An embedded-database gateway as `npm start` runs it on a fresh clone (DATA_DIR, SEED_DEMO unset), with `secret`. */
class Embedded {
  gateway: SpawnedGateway | undefined;
  constructor(
    readonly build: string,
    readonly dataDir: string,
  ) {}
  async start(secret: string): Promise<string> {
    this.gateway = spawnGateway(this.build, {
      DATA_DIR: this.dataDir,
      JWT_SECRET: secret,
      JOBS_ENABLED: 'false',
    });
    expect(await this.gateway.until(/"msg":"gateway ready"/, 240_000)).toBe(true);
    return /"url":"(http:[^"]+)","embeddedDatabase":true,"msg":"gateway ready"/.exec(this.gateway.output())![1];
  }
  async stop() {
    const g = this.gateway;
    if (g && g.child.exitCode === null && g.child.signalCode === null) {
      g.child.kill('SIGINT');
      await g.exited;
    }
  }
}

type Tokens = {
  members: { externalId: string; token: string }[];
  staff: { role: string; token: string }[];
  partners: { name: string; apiKey: string }[];
};

async function devTokens(url: string): Promise<{ status: number; tokens?: Tokens }> {
  const res = await fetch(url.replace(/\/graphql$/, '/dev/tokens'));
  return {
    status: res.status,
    tokens: res.status === 200 ? ((await res.json()) as Tokens) : undefined,
  };
}

async function gql(url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      data?: Record<string, unknown>;
      errors?: { message: string; extensions?: { code?: string } }[];
    },
  };
}

/** Whether a partner key signs in: anything but 401 UNAUTHENTICATED (a partner's text is refused as unregistered, after its key is taken). */
async function keySignsIn(url: string, apiKey: string): Promise<boolean> {
  return (await gql(url, { 'x-api-key': apiKey }, '{ __typename }')).status !== 401;
}

/** Whether a staff token is taken on a staff-only read. */
async function staffSignsIn(url: string, token: string): Promise<boolean> {
  const r = await gql(url, { authorization: `Bearer ${token}` }, '{ partners { id } }');
  return r.status === 200 && !r.body.errors;
}

/**
 * held37e: break37d made /dev/tokens need SEED_DEMO on and the demo POS partner's key (derived
 * from JWT_SECRET). On `npm start` with the embedded database (a fresh clone: SEED_DEMO unset, so
 * on) the apps' demo sign-in still works, and after the README's JWT_SECRET change (the seed
 * re-keys the demo partner) it works again with the new key; the old one is refused.
 */
describe('held37e: demo sign-in on the embedded database, and after JWT_SECRET changes', () => {
  let dataDir: string;
  let embedded: Embedded;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'rg-held37e-'));
    embedded = new Embedded(await compiledGateway(), dataDir);
  }, 600_000);
  afterAll(async () => {
    await embedded.stop();
    for (const pid of postgresProcessesFor(dataDir)) process.kill(pid, 'SIGINT');
    for (let i = 0; i < 100 && postgresProcessesFor(dataDir).length; i++) await new Promise((r) => setTimeout(r, 100));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('tokens and the demo key on a fresh start, and again under a new JWT_SECRET', async () => {
    let url = await embedded.start(SECRET);
    const first = await devTokens(url);
    expect(first.status).toBe(200);
    const t1 = first.tokens!;
    expect({
      members: t1.members.map((m) => m.externalId),
      staff: await Promise.all(t1.staff.map(async (s) => [s.role, await staffSignsIn(url, s.token)])),
      key: await keySignsIn(url, t1.partners[0].apiKey),
    }).toEqual({
      members: ['cust-alice', 'cust-bob', 'cust-carol'],
      staff: [
        ['operator', true],
        ['analyst', true],
      ],
      key: true,
    });
    await embedded.stop();

    url = await embedded.start(`${SECRET}-rotated`);
    const second = await devTokens(url);
    expect(second.status).toBe(200);
    const t2 = second.tokens!;
    expect({
      staff: await staffSignsIn(url, t2.staff.find((s) => s.role === 'operator')!.token),
      oldStaff: await staffSignsIn(url, t1.staff.find((s) => s.role === 'operator')!.token),
      keyChanged: t2.partners[0].apiKey !== t1.partners[0].apiKey,
      key: await keySignsIn(url, t2.partners[0].apiKey),
      oldKey: await keySignsIn(url, t1.partners[0].apiKey),
    }).toEqual({
      staff: true,
      oldStaff: false,
      keyChanged: true,
      key: true,
      oldKey: false,
    });
  }, 600_000);
});
