/**
 * Trusted documents from the command line (the database is DATABASE_URL's, or the embedded one in DATA_DIR):
 *   npm run persisted -- register <client> <manifest.json>   client: a partner id (global id), or a name such as mobile
 *   npm run persisted -- check [--schema <schema.graphql>]   what the schema (default: this build's) breaks
 * `check` exits 1 when any registered operation would break, listing each with its reasons.
 * On the embedded database, stop the gateway first (one PostgreSQL per DATA_DIR), or point
 * DATABASE_URL at the running one.
 */
import { readFile } from 'node:fs/promises';
import { buildSchema, validateSchema, type GraphQLSchema } from 'graphql';
import { systemClock } from '../src/clock.js';
import { documentChecks } from '../src/graphql/document-rules.js';
import { gatewaySchema } from '../src/graphql/schema.js';
import { decodeGlobalId } from '../src/graphql/ids.js';
import { breakingChanges, ManifestRejected } from '../src/persisted/manifest.js';
import { partnersByIds } from '../src/partners/partner.service.js';
import { allRegisteredOperations, CLIENT_NAME, partnerClient, registerManifest } from '../src/persisted/persisted.service.js';
import { cliConfig, openCliDatabase } from './cli-database.js';

const [command, ...args] = process.argv.slice(2);
const usage = 'usage: npm run persisted -- register <client> <manifest.json> | check [--schema <schema.graphql>]';
if (command !== 'register' && command !== 'check') {
  console.error(usage);
  process.exit(2);
}
/** The usage line and exit 2, for arguments this tool does not take (as a bad setting exits 2). */
function misused(problem: string): never {
  console.error(`${problem}\n${usage}`);
  process.exit(2);
}
if (command === 'register' && args.length !== 2) misused(`register takes a client and a manifest file, got ${args.length} argument(s)`);
/**
 * `check`'s schema: `--schema <file>` or `--schema=<file>`, read and parsed before the database is
 * opened; anything else is refused with the usage line. A misspelt flag or a bare file was ignored,
 * and the build's own schema checked instead: "0 broken", exit 0, for a schema that broke four
 * operations (newcomer37).
 */
async function checkedSchema(): Promise<GraphQLSchema | undefined> {
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--schema' && i + 1 < args.length && !args[i + 1].startsWith('--') && file === undefined) file = args[++i];
    else if (arg.startsWith('--schema=') && arg.length > '--schema='.length && file === undefined) file = arg.slice('--schema='.length);
    else misused(arg === '--schema' ? '--schema needs a file' : `check does not take ${JSON.stringify(arg)}`);
  }
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    console.error(`Cannot read the schema file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    process.exit(2);
  }
  let schema: GraphQLSchema;
  try {
    schema = buildSchema(text);
  } catch (error) {
    console.error(`${file} is not a GraphQL schema: ${(error as Error).message}`);
    process.exit(2);
  }
  // SDL that parses may still be no valid schema (no Query type, a type missing its interface's
  // field): refused here, naming the file, not as a breakage (exit 1) later (break37e).
  const invalid = validateSchema(schema);
  if (invalid.length) {
    console.error(`${file} is not a valid GraphQL schema: ${invalid.map((e) => e.message).join(' ')}`);
    process.exit(2);
  }
  return schema;
}
const otherSchema = command === 'check' ? await checkedSchema() : undefined;

const config = cliConfig();
// One line naming cause and remedy, as `npm start` gives; a second for what this tool can do instead.
const database = await openCliDatabase(
  config,
  command === 'register'
    ? 'On the embedded database, stop the running gateway first; or, with it running, register through it (the registerPersistedOperations mutation, with an operator token).'
    : 'On the embedded database, stop the running gateway first: check reads the registered operations from its database.',
);
let exitCode = 0;
try {
  const em = database.orm.em.fork();
  if (command === 'register') {
    const [client, file] = args;
    const partner = decodeGlobalId(client);
    const key = partner?.type === 'Partner' ? partnerClient(partner.id) : client;
    if (!partner && !CLIENT_NAME.test(client)) throw new Error(`client must be a partner id or a client name, got "${client}"`);
    // As the mutation refuses it (NOT_FOUND): a list for no partner is one no key ever runs, and a
    // mistyped id would otherwise print success while the real partner stays refused.
    if (partner?.type === 'Partner' && !(await partnersByIds(em, [partner.id])).length) throw new Error(`No such partner: ${client}. Nothing registered.`);
    const started = performance.now();
    try {
      const { count } = await registerManifest(em, {
        schema: await gatewaySchema(),
        client: key,
        manifest: JSON.parse(await readFile(file, 'utf8')),
        actor: 'cli',
        now: systemClock.now(),
        checks: documentChecks(config),
      });
      console.log(`${key}: ${count} operation(s) added in ${(performance.now() - started).toFixed(0)} ms`);
    } catch (error) {
      if (!(error instanceof ManifestRejected)) throw error;
      for (const problem of error.problems) console.error(`${problem.field.join('.')}: ${problem.message}`);
      console.error('nothing registered');
      exitCode = 1;
    }
  } else {
    const schema: GraphQLSchema = otherSchema ?? (await gatewaySchema());
    const operations = await allRegisteredOperations(em);
    const broken = breakingChanges(schema, operations, documentChecks(config));
    // A partner's list is keyed `partner:<id>`: its name beside it says whose integration breaks (newcomer-37).
    const partnerIds = [...new Set(broken.map((b) => /^partner:(\d+)$/.exec(b.client)?.[1]).filter((id) => id !== undefined))].map(Number);
    const names = new Map((await partnersByIds(em, partnerIds)).map((p) => [`partner:${p.id}`, p.name]));
    const clientOf = (client: string) => (names.has(client) ? `${client} (${JSON.stringify(names.get(client))})` : client);
    for (const b of broken) console.log(`BREAKS ${clientOf(b.client)} ${b.name} (${b.hash.slice(0, 12)}):\n  ${b.problems.join('\n  ')}`);
    console.log(`${operations.length} registered operation(s) checked, ${broken.length} broken`);
    if (broken.length) exitCode = 1;
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  exitCode = 1;
} finally {
  await database.close();
}
process.exit(exitCode);
