import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { persistedCli } from '../support/processes.js';
import { createPartner } from '../support/program.js';

const root = path.resolve(import.meta.dirname, '../..');


/**
 * held37e: newcomer37's argument parsing of `npm run persisted` refuses no invocation the README
 * documents: `check` alone, `check --schema schema/schema.graphql` (the SDL the repo ships, a path
 * relative to the project, as npm runs it) in both spellings, paths with spaces; `register <partner
 * id> <manifest>` with spaces in the manifest's path; and still refuses `register` with a third
 * argument (usage, exit 2).
 */
describe('held37e: persisted check and register, as the README has them', () => {
  let t: TestGateway;
  let dir: string;
  let partnerId: string;
  beforeAll(async () => {
    t = await startTestGateway();
    dir = await mkdtemp(path.join(os.tmpdir(), 'held37e-check-'));
    const partner = await createPartner(t, ['offers:redeem']);
    partnerId = partner.id;
    await t.register({ apiKey: partner.apiKey }, JSON.parse(await readFile(path.join(root, 'schema/partner-manifest.json'), 'utf8')));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await t.close();
  });

  const gate = async (args: string[]) => {
    const run = await persistedCli(t.databaseUrl, args);
    return {
      code: run.code,
      out: (run.stdout + run.stderr).trim().split('\n').slice(-1)[0],
    };
  };

  it('a valid SDL file, spelt either way, with spaces in its path: read and checked', async () => {
    const spaced = path.join(dir, 'next schema');
    await mkdir(spaced);
    const sdl = await readFile(path.join(root, 'schema/schema.graphql'), 'utf8');
    await writeFile(path.join(spaced, 'same.graphql'), sdl);
    await writeFile(path.join(spaced, 'next.graphql'), sdl.replace(/^ {2}lockExpiresAt: DateTime\n/m, ''));
    const answers = {
      alone: await gate(['check']),
      shipped: await gate(['check', '--schema', 'schema/schema.graphql']),
      shippedEq: await gate(['check', '--schema=schema/schema.graphql']),
      spacedSame: await gate(['check', '--schema', path.join(spaced, 'same.graphql')]),
      spacedNext: (await gate(['check', `--schema=${path.join(spaced, 'next.graphql')}`])).code,
    };
    expect(answers).toEqual({
      alone: { code: 0, out: expect.stringMatching(/checked, 0 broken$/) },
      shipped: { code: 0, out: expect.stringMatching(/checked, 0 broken$/) },
      shippedEq: { code: 0, out: expect.stringMatching(/checked, 0 broken$/) },
      spacedSame: { code: 0, out: expect.stringMatching(/checked, 0 broken$/) },
      spacedNext: 1,
    });
  }, 240_000);

  it('register with a manifest path holding spaces; a third argument refused', async () => {
    const spaced = path.join(dir, 'my manifests');
    await mkdir(spaced, { recursive: true });
    const file = path.join(spaced, 'pos manifest.json');
    await writeFile(file, await readFile(path.join(root, 'schema/partner-manifest.json'), 'utf8'));
    const registered = await gate(['register', partnerId, file]);
    const extra = await persistedCli(t.databaseUrl, ['register', partnerId, file, '--force']);
    expect({
      registered,
      extra: {
        code: extra.code,
        usage: /usage: npm run persisted/.test(extra.stderr),
      },
    }).toEqual({
      registered: {
        code: 0,
        out: expect.stringMatching(/operation\(s\) added/),
      },
      extra: { code: 2, usage: true },
    });
  }, 240_000);
});
