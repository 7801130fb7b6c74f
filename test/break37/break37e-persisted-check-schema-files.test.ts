import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { persistedCli } from '../support/processes.js';
import { createPartner } from '../support/program.js';

const root = path.resolve(import.meta.dirname, '../..');


/**
 * break37e: `npm run persisted -- check --schema <file>` after newcomer37. README ("Developing"):
 * "what this build's schema (or <file>) breaks among the registered operations; exit 1 when
 * anything breaks"; newcomer37: "a file it cannot read or parse is one line, exit 2". A file that
 * parses as SDL but is no valid schema (no Query type; a type missing its interface's field: a
 * half-edited next schema) passes `buildSchema` and fails later, in graphql-js's validation, caught
 * by the tool's catch-all: graphql-js's sentence alone ("Query root type must be provided."), the
 * file not named, exit 1 — the code a deploy gate reads as "this schema breaks registered
 * operations", with no BREAKS line. It should be refused as a file that does not parse: one line
 * naming the file, exit 2. (With nothing registered yet the same file is "0 broken", exit 0.)
 */
describe('break37e: persisted check with schema files', () => {
  let t: TestGateway;
  let dir: string;
  beforeAll(async () => {
    t = await startTestGateway();
    dir = await mkdtemp(path.join(os.tmpdir(), 'break37e-check-'));
    const partner = await createPartner(t, ['offers:redeem']);
    await t.register({ apiKey: partner.apiKey }, JSON.parse(await readFile(path.join(root, 'schema/partner-manifest.json'), 'utf8')));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await t.close();
  });

  const gate = async (args: string[]) => {
    const run = await persistedCli(t.databaseUrl, args);
    const lines = (run.stdout + run.stderr).trim().split('\n');
    // the verdict (check's last line), or the refusal's first line
    return {
      code: run.code,
      out: run.code === 2 ? lines[0] : lines.slice(-1)[0],
    };
  };

  it('a file that is not a GraphQL schema is refused in one line, exit 2 (never exit 1, "breaks")', async () => {
    const files: Record<string, string> = {
      'introspection.json': JSON.stringify({
        data: { __schema: { queryType: { name: 'Query' } } },
      }),
      'empty.graphql': '',
      'types-only.graphql': 'type Customer { id: ID! }\n',
      'undefined-type.graphql': 'type Query { customer: Customer }\n',
      'operations.graphql': await readFile(path.join(root, 'web/src/member/operations.graphql'), 'utf8'),
      // The shipped SDL with a Node that has no id: parses, but is no valid schema.
      'invalid.graphql': (await readFile(path.join(root, 'schema/schema.graphql'), 'utf8')).replace(/^(type LedgerEntry implements Node \{\n)  id: ID!\n/m, '$1'),
    };
    expect(files['invalid.graphql']).not.toContain('type LedgerEntry implements Node {\n  id: ID!');
    const answers: Record<string, { code: number | null; out: string }> = {};
    for (const [name, text] of Object.entries(files)) {
      await writeFile(path.join(dir, name), text);
      answers[name] = await gate(['check', '--schema', path.join(dir, name)]);
    }
    // Each: exit 2, one line naming the file (as a file that does not parse is told).
    expect(answers).toEqual(Object.fromEntries(Object.keys(files).map((k) => [k, { code: 2, out: expect.stringContaining(k) }])));
  }, 240_000);
});
