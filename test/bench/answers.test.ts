import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkPageAnswers, checkPurchaseAnswers, purchasesForThePage, type AnsweringServer, type AnsweringServers } from '../../bench/answers.js';
import { benchGatewayEnv, BENCH, seedBenchProgram, type BenchProgram } from '../../bench/seed.js';
import { ServerProcess } from '../../bench/server-process.js';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { signToken } from '../../src/http/auth.js';
import { createMigratedDatabase } from '../support/gateway.js';

const root = path.resolve(import.meta.dirname, '../..');
/** The bench's server scripts run as TypeScript, through the hooks the tests load with (no build needed). */
const TS_HOOKS = ['--import', pathToFileURL(path.join(root, 'test/support/ts-hooks.mjs')).href];

/**
 * A server in front of `target` that answers what `target` answers with its body passed through
 * `alter`: a deliberately wrong answer, for the check to catch.
 */
async function altering(target: AnsweringServer, alter: (body: string, request: string) => string): Promise<AnsweringServer & { close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const request = Buffer.concat(chunks).toString();
      const answer = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' }, body: request });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(alter(await answer.text(), request));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name: `${target.name} (altered)`,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * bench/run.ts's answers' check (bench/answers.ts), which the bench runs before any load, against
 * a real gateway and the floor, each in a process of its own as the bench starts them
 * (bench/gateway-server.ts in production mode, bench/floor-server.ts), on the bench's program
 * seeded without the other members' history. It passes on what they answer; and it fails, saying
 * where, when one answer is altered on its way: a byte of the floor's page, the gateway's replay
 * without replay-22's mark, a replay whose data is not the first answer's, a listing's price on
 * PostGraphile's page. All four servers of the bench (gateway, floor, PostGraphile 5 and 4), each
 * in a process of its own compiled on load by swc: about 3 s to start them all here.
 */
describe("the bench's answers' check", () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let program: BenchProgram;
  let token: string;
  const processes: ServerProcess[] = [];
  let servers: AnsweringServers & { floor: AnsweringServer };

  beforeAll(async () => {
    database = await createMigratedDatabase();
    const env = benchGatewayEnv(`bench-${randomBytes(24).toString('hex')}`, database.url, 4);
    const config = loadConfig(env);
    const orm = await openOrm({ url: database.url, poolMax: 2 });
    try {
      program = await seedBenchProgram(orm, config, systemClock, { members: 0 });
    } finally {
      await orm.close(true);
    }
    const start = async (name: string, script: string) => {
      const server = await ServerProcess.start(name, path.join(root, 'bench', script), env, { extraFlags: TS_HOOKS });
      processes.push(server);
      return { name, url: server.url };
    };
    // all at once, as bench/run.ts starts them
    const [gateway, floor, pg5, pg4] = await Promise.all([
      start('gateway', 'gateway-server.ts'),
      start('floor (node:http + pg)', 'floor-server.ts'),
      start('PostGraphile 5', 'postgraphile5-server.ts'),
      start('PostGraphile 4', 'postgraphile-server.ts'),
    ]);
    servers = { gateway, floor, pg5, pg4 };
    token = await signToken(config, { sub: BENCH.customer });
    await purchasesForThePage(servers.gateway, token, program);
  });
  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.stop()));
    await database?.drop();
  });

  it("passes on the servers as they answer: the same page (the floor's byte for byte), the floor's purchase replayed by the gateway, the gateway's replay marked", async () => {
    const { responses, ourPage } = await checkPageAnswers(servers, token, program);
    expect(responses.floor!.text).toBe(responses.gateway!.text);
    expect(Object.keys(responses)).toEqual(['gateway', 'floor', 'pg5', 'pg4']);
    // the setup's purchases show on the page
    expect(ourPage.rows.filter((r) => r.purchased > 0).map((r) => r.purchased)).toEqual([1, 2, 3]);
    const { floorAnswer, floorRepeat } = await checkPurchaseAnswers(servers, token, program, { floorFirst: 'answers-floor-1', gatewayFirst: 'answers-gateway-1' });
    expect(floorAnswer.body.data).toMatchObject({ purchaseOffer: { purchase: { pointsPaid: program.purchasePrice }, userErrors: [] } });
    expect(floorRepeat.status).toBe(500);
  });

  it("fails when the floor's page differs from the gateway's by one byte", async () => {
    const floor = await altering(servers.floor, (body) => body.replace('"priceInPoints":125', '"priceInPoints":126'));
    try {
      await expect(checkPageAnswers({ ...servers, floor }, token, program)).rejects.toThrow(
        /^floor \(node:http \+ pg\) \(altered\)'s answer is not byte-identical to the gateway's \(first difference at byte \d+\):[^]*"priceInPoints":126/,
      );
    } finally {
      await floor.close();
    }
  });

  it("fails when PostGraphile's page differs from the gateway's in one listing's price", async () => {
    for (const id of ['pg5', 'pg4'] as const) {
      const altered = await altering(servers[id]!, (body) => body.replace('"priceInPoints":"125"', '"priceInPoints":"126"').replace('"priceInPoints":125', '"priceInPoints":126'));
      try {
        await expect(checkPageAnswers({ ...servers, [id]: altered }, token, program)).rejects.toThrow(
          new RegExp(`^the gateway and ${altered.name.replace(/[()]/g, '\\$&')} disagree on the page \\(row 0\\):\\n  gateway: \\{"listing":\\d+,"price":125,[^]*"price":126,`),
        );
      } finally {
        await altered.close();
      }
    }
  });

  it("fails when the gateway's replay of its own purchase is not marked, or its data is not the first answer's", async () => {
    const unmarked = await altering(servers.gateway, (body) => body.replace(/,"extensions":\{"idempotentReplays":\[\["purchaseOffer"\]\]\}\}(\n?)$/, '}$1'));
    const otherData = await altering(servers.gateway, (body) => (body.includes('"extensions"') ? body.replace('"available":', '"available":1') : body));
    try {
      await expect(checkPurchaseAnswers({ ...servers, gateway: unmarked }, token, program, { floorFirst: 'answers-floor-2', gatewayFirst: 'answers-gateway-2' })).rejects.toThrow(
        /^the gateway's replay of its own purchase is not marked as a replay: \{"data":\{"purchaseOffer":/,
      );
      await expect(checkPurchaseAnswers({ ...servers, gateway: otherData }, token, program, { floorFirst: 'answers-floor-3', gatewayFirst: 'answers-gateway-3' })).rejects.toThrow(
        /^gateway \(altered\)'s replay of the floor's purchase is not the floor's answer \(first difference at byte \d+\)/,
      );
    } finally {
      await Promise.all([unmarked.close(), otherData.close()]);
    }
  });
});
