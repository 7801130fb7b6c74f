/**
 * The outbox from the command line (the database is DATABASE_URL's, or the embedded one in DATA_DIR):
 *   npm run outbox -- rebase   after a dump and restore into another cluster (docs/decisions.md
 *                              "A logical restore re-bases the outbox's transaction numbers")
 * `rebase` does nothing on a database whose outbox is not ahead of its cluster (exit 0, says so);
 * otherwise re-bases it (src/events/outbox.rebase.ts) and prints what it kept as read and what is
 * left to dispatch. Stop every gateway on the database first (on the embedded one, the gateway
 * holds DATA_DIR anyway).
 */
import { outboxClockFaults, rebaseOutbox } from '../src/events/outbox.rebase.js';
import { cliConfig, openCliDatabase } from './cli-database.js';

const [command] = process.argv.slice(2);
if (command !== 'rebase') {
  console.error('usage: npm run outbox -- rebase');
  process.exit(2);
}

const config = cliConfig();
const database = await openCliDatabase(config);
let exitCode = 0;
try {
  const em = database.orm.em.fork();
  const { present, faults } = await outboxClockFaults(em.getKysely());
  if (!faults.length) {
    console.log(`Nothing to re-base: the outbox and its cursors are behind this cluster's present (${present}).`);
  } else {
    const done = await em.transactional((tx) => rebaseOutbox(tx));
    console.log(`Re-based onto transaction ${done.xid}: ${done.read} events kept as read, ${done.toDispatch} left for the webhook dispatcher (each sent once). The gateway can start.`);
  }
} catch (error) {
  console.error(`Re-basing the outbox failed, nothing was changed: ${(error as Error).message}`);
  exitCode = 1;
} finally {
  await database.close();
}
process.exit(exitCode);
