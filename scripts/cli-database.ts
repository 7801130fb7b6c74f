import { ConfigError, loadConfig, type Config } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { createLogger } from '../src/logging.js';
import { startupFailure } from '../src/startup.js';

/**
 * The settings as `npm start` reads them (`loadConfig`), or, for one it refuses, its one line
 * "Configuration error: …" and exit 2, as `npm start` gives (break37, ops: the tools died of the
 * uncaught ConfigError's stack trace, exit 1).
 */
export function cliConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`Configuration error: ${error.message}`);
    process.exit(2);
  }
}

/**
 * The database a command-line tool works on (DATABASE_URL's, or the embedded one in DATA_DIR),
 * opened with the gateway's logger (createLogger: errors serialized as the gateway's are) at
 * LOG_LEVEL (default warn). When it cannot be opened, prints the one line
 * naming cause and remedy that `npm start` gives (`startupFailure`), then, on the embedded
 * database only, `embeddedHint` (what the tool can do instead, e.g. while a gateway holds
 * DATA_DIR), and exits 1. Used by scripts/persisted.ts and scripts/outbox.ts.
 */
export async function openCliDatabase(config: Config, embeddedHint?: string): Promise<Awaited<ReturnType<typeof openDatabase>>> {
  try {
    // LOG_LEVEL as the gateway reads it (trimmed, any case, checked by loadConfig); unset or blank: warn.
    // Handed to pino raw, a blank or padded one failed the tool: "default level: must be included in custom levels".
    return await openDatabase(config, createLogger(process.env.LOG_LEVEL?.trim() ? config.logLevel : 'warn'));
  } catch (error) {
    console.error(startupFailure(error, config));
    if (!config.databaseUrl && embeddedHint) console.error(embeddedHint);
    process.exit(1);
  }
}
