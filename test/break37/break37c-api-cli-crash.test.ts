import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'graphql';
import { compiledGateway } from '../support/build.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createPartner } from '../support/program.js';
import { persistedCli } from '../support/processes.js';
import { manifestFromDocument } from '../../src/persisted/manifest.js';

/** persistedCli's exit code, stdout and the first line of stderr naming an error. */
async function persistedRun(databaseUrl: string, args: string[]) {
  const { code, stdout, stderr } = await persistedCli(databaseUrl, args);
  return { code, stdout, firstError: stderr.split('\n').find((l) => /^\w*Error\b/.test(l)) ?? '' };
}

/**
 * break37c (API): break37 made `npm run persisted -- register` check with the gateway's limits, by
 * importing `documentChecks` (src/graphql/document-rules.ts) into scripts/persisted.ts ahead of
 * `gatewaySchema`. document-rules imports src/graphql/errors.ts, whose type-graphql classes
 * (`UserError`'s `@Field`s) need reflect-metadata, which only src/graphql/schema.ts and
 * src/db/orm.ts import, both later in the script's imports. So the script dies as it loads,
 * before it reads its arguments: `npm run persisted -- register <client> <manifest.json>` and
 * `npm run persisted -- check` (the deploy gate) print "ReflectMetadataMissingError: Looks like
 * you've forgot to provide experimental metadata API polyfill" and exit 1, for every manifest and
 * every database. (test/http/startup.test.ts, which runs both commands, fails on it too.) A correct
 * CLI registers the manifest and checks the list.
 *
 * The same import reached `npm run build` (and so `npm start`, whose prestart runs it, and `npm run
 * persisted`, which builds first): src/persisted/manifest.ts now imports src/graphql/errors.ts
 * (`parseLimitMessage`) and validation.ts, and build's last step, scripts/persisted-manifest.ts,
 * imports manifest.ts and nothing that loads reflect-metadata. It dies with the same error, so the
 * README's "`npm start` on a fresh clone" stops at the build with exit 1. A correct build step
 * writes (or keeps) schema/partner-manifest.json and exits 0.
 */
describe('break37c api: npm run persisted', () => {
  let t: TestGateway;
  let dir: string;
  beforeAll(async () => {
    t = await startTestGateway();
    dir = await mkdtemp(path.join(os.tmpdir(), 'break37c-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await t.close();
  });

  it('registers a manifest and checks the list', async () => {
    const manifest = manifestFromDocument(parse('query Tiers37c { tiers { code } }'));
    const file = path.join(dir, 'manifest.json');
    await writeFile(file, JSON.stringify(manifest));
    const partner = await createPartner(t, ['customers:read']);
    const client = (await t.partnerIdOf(partner.apiKey))!;

    const register = await persistedRun(t.databaseUrl, ['register', client, file]);
    const check = await persistedRun(t.databaseUrl, ['check']);
    expect({ register, check }).toEqual({
      register: { code: 0, stdout: expect.stringMatching(/^partner:\d+: 1 operation\(s\) added in \d+ ms\n$/), firstError: '' },
      check: { code: 0, stdout: expect.stringMatching(/registered operation\(s\) checked, 0 broken\n$/), firstError: '' },
    });

    const res = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': partner.apiKey },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: manifest.operations[0].id } } }),
    });
    expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
  }, 120_000);

  it("npm run build's last step (scripts/persisted-manifest.ts) runs", async () => {
    const build = await compiledGateway();
    // A package of its own holding the build's scripts and src (packageRoot finds its package.json),
    // with no ../shared beside it: the script then keeps the checked-in manifest and writes nothing.
    const root = path.join(dir, 'package');
    await cp(path.join(build, 'scripts'), path.join(root, 'scripts'), { recursive: true });
    await cp(path.join(build, 'src'), path.join(root, 'src'), { recursive: true });
    await writeFile(path.join(root, 'package.json'), JSON.stringify({ name: 'break37c-build', type: 'module' }));
    await symlink(path.resolve(import.meta.dirname, '../../node_modules'), path.join(root, 'node_modules'));
    const child = spawn(process.execPath, [path.join(root, 'scripts/persisted-manifest.js')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect({ code, stdout, firstError: stderr.split('\n').find((l) => /^\w*Error\b/.test(l)) ?? '' }).toEqual({
      code: 0,
      stdout: expect.stringMatching(/^partner manifest: schema\/partner-manifest.json as checked in/),
      firstError: '',
    });
  }, 120_000);
});
