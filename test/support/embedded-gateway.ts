import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { compiledGateway } from './build.js';
import { postgresProcessesFor, spawnGateway, type SpawnedGateway } from './processes.js';

/**
 * The built gateway on an embedded database of its own, as `npm start` runs it on a fresh clone
 * (DATA_DIR, SEED_DEMO unset), for a describe block: `start(secret)` spawns it with that JWT_SECRET
 * and answers its /graphql URL, `stop()` stops it (SIGINT), and the block's end stops it and its
 * PostgreSQL and removes the data folder. Read `embedded` in the tests, after the start.
 */
export function embeddedGatewayPerBlock(prefix: string): { embedded: EmbeddedGateway } {
  const held = {} as { embedded: EmbeddedGateway };
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
    held.embedded = new EmbeddedGateway(await compiledGateway(), dataDir);
  }, 600_000);
  afterAll(async () => {
    await held.embedded?.stop();
    for (const pid of postgresProcessesFor(dataDir)) process.kill(pid, 'SIGINT');
    for (let i = 0; i < 100 && postgresProcessesFor(dataDir).length; i++) await new Promise((r) => setTimeout(r, 100));
    await rm(dataDir, { recursive: true, force: true });
  });
  return held;
}

/** A spawned gateway on embedded data folder `dataDir` (see embeddedGatewayPerBlock). */
export class EmbeddedGateway {
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

/** What /dev/tokens answers: the demo's members, staff and partner keys. */
export type DevTokens = {
  members: { externalId: string; token: string }[];
  staff: { role: string; token: string }[];
  partners: { name: string; apiKey: string }[];
};

/** /dev/tokens of the gateway at `url` (its /graphql URL): its status, and the tokens on 200. */
export async function devTokens(url: string): Promise<{ status: number; tokens?: DevTokens }> {
  const res = await fetch(url.replace(/\/graphql$/, '/dev/tokens'));
  return {
    status: res.status,
    tokens: res.status === 200 ? ((await res.json()) as DevTokens) : undefined,
  };
}

/** A GraphQL POST to `url` with `headers`: its HTTP status and body. */
export async function postGraphql(url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown> = {}) {
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
