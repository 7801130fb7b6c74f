import pino from 'pino';
import type { Config } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { startupFailure } from '../src/startup.js';

/**
 * The database a command-line tool works on (DATABASE_URL's, or the embedded one in DATA_DIR),
 * opened with a logger at LOG_LEVEL (default warn). When it cannot be opened, prints the one line
 * naming cause and remedy that `npm start` gives (`startupFailure`), then, on the embedded
 * database only, `embeddedHint` (what the tool can do instead, e.g. while a gateway holds
 * DATA_DIR), and exits 1. Used by scripts/persisted.ts and scripts/outbox.ts.
 */
export async function openCliDatabase(config: Config, embeddedHint?: string): Promise<Awaited<ReturnType<typeof openDatabase>>> {
  try {
    return await openDatabase(config, pino({ level: process.env.LOG_LEVEL ?? 'warn' }));
  } catch (error) {
    console.error(startupFailure(error, config));
    if (!config.databaseUrl && embeddedHint) console.error(embeddedHint);
    process.exit(1);
  }
}
