/**
 * Trusted documents from the command line (the database is DATABASE_URL's, or the embedded one in DATA_DIR):
 *   npm run persisted -- register <client> <manifest.json>   client: a partner id (global id), or a name such as mobile
 *   npm run persisted -- check [--schema <schema.graphql>]   what the schema (default: this build's) breaks
 * `check` exits 1 when any registered operation would break, listing each with its reasons.
 * On the embedded database, stop the gateway first (one PostgreSQL per DATA_DIR), or point
 * DATABASE_URL at the running one.
 */
import { readFile } from 'node:fs/promises';
import { buildSchema, type GraphQLSchema } from 'graphql';
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
    if (!client || !file) throw new Error(usage);
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
    const at = args.indexOf('--schema');
    const schema: GraphQLSchema = at >= 0 ? buildSchema(await readFile(args[at + 1], 'utf8')) : await gatewaySchema();
    const operations = await allRegisteredOperations(em);
    const broken = breakingChanges(schema, operations, documentChecks(config));
    for (const b of broken) console.log(`BREAKS ${b.client} ${b.name} (${b.hash.slice(0, 12)}):\n  ${b.problems.join('\n  ')}`);
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
