import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { persistedCli } from '../support/processes.js';
import { createPartner } from '../support/program.js';

const root = path.resolve(import.meta.dirname, '../..');


/**
 * newcomer37: `npm run persisted -- check [--schema <file>]` is the deploy gate ("what this build's
 * schema (or <file>) breaks among the registered operations; exit 1 when anything breaks", README
 * "Developing"). scripts/persisted.ts finds the option with `args.indexOf('--schema')` and ignores
 * every other argument. So `check --schema=next.graphql` (the usual GNU spelling), a typo
 * (`--schem next.graphql`) or the file alone (`check next.graphql`) check this build's schema
 * instead of the file, print "N registered operation(s) checked, 0 broken" and exit 0, while
 * `check --schema next.graphql` on the same file lists the operations it breaks and exits 1: a CI
 * step written either way passes a schema that breaks the partners' tills. `--schema` with no file
 * after it prints Node's 'The "path" argument must be of type string … Received undefined' and
 * exits 1, which the gate reads as "breaks". A correct CLI checks the file it was given or refuses
 * an argument it does not know (the usage line, exit 2, as for an unknown command); it never
 * answers "0 broken" about a schema it did not read.
 */
describe('newcomer37: npm run persisted -- check reads the schema it is given, or refuses', () => {
  let t: TestGateway;
  let dir: string;
  let next: string;
  beforeAll(async () => {
    t = await startTestGateway();
    dir = await mkdtemp(path.join(os.tmpdir(), 'newcomer37-check-'));
    // The contract's partner operations on a partner's list, as the demo POS has them.
    const partner = await createPartner(t, ['offers:redeem']);
    await t.register({ apiKey: partner.apiKey }, JSON.parse(await readFile(path.join(root, 'schema/partner-manifest.json'), 'utf8')));
    // The next schema drops IssuedOffer.lockExpiresAt, which the contract's LockOffer selects.
    const sdl = await readFile(path.join(root, 'schema/schema.graphql'), 'utf8');
    const dropped = sdl.replace(/^ {2}lockExpiresAt: DateTime\n/m, '');
    expect(dropped).not.toBe(sdl);
    next = path.join(dir, 'next.graphql');
    await writeFile(next, dropped);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await t.close();
  });

  it('never answers "0 broken" (exit 0) about a schema file it did not read', async () => {
    // As documented: the file is read, LockOffer breaks, exit 1.
    const documented = await persistedCli(t.databaseUrl, ['check', '--schema', next]);
    expect({ code: documented.code, breaksLockOffer: /BREAKS .* LockOffer/.test(documented.stdout) }).toEqual({ code: 1, breaksLockOffer: true });

    const gate = async (args: string[]) => {
      const run = await persistedCli(t.databaseUrl, args);
      if (run.code === 0 && / 0 broken/.test(run.stdout)) return 'passed: 0 broken';
      if (run.code === 1 && /BREAKS .* LockOffer/.test(run.stdout)) return 'breaks LockOffer';
      if (run.code === 2 && /usage: npm run persisted/.test(run.stderr)) return 'refused: usage';
      return `exit ${run.code}: ${(run.stdout + run.stderr).trim().split('\n')[0]}`;
    };
    const answers = {
      '--schema=<file>': await gate(['check', `--schema=${next}`]),
      '--schem <file>': await gate(['check', '--schem', next]),
      '<file>': await gate(['check', next]),
      '--schema (no file)': await gate(['check', '--schema']),
    };
    expect(answers).toEqual({
      '--schema=<file>': expect.stringMatching(/^(breaks LockOffer|refused: usage)$/),
      '--schem <file>': 'refused: usage',
      '<file>': expect.stringMatching(/^(breaks LockOffer|refused: usage)$/),
      '--schema (no file)': 'refused: usage',
    });
  }, 180_000);
});
