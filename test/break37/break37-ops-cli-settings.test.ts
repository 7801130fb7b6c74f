import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/**
 * break37 (ops): the gateway and its command-line tools read the same `.env` (`npm start`,
 * `npm run outbox`, `npm run persisted`: all `--env-file-if-exists=.env`). The gateway takes
 * LOG_LEVEL blank or padded ("" or " warn": a template's blank line, a value with a space, config.ts
 * reads "only spaces" as unset and trims), as it takes every setting. The tools hand
 * `process.env.LOG_LEVEL` to pino unchecked (scripts/cli-database.ts): `npm run outbox -- rebase`,
 * the one command README says must run before a restored database's gateways can start, fails with
 * "Start-up failed: default level: must be included in custom levels." (exit 1), naming no setting.
 * And a setting the gateway refuses in one line ("Configuration error: …", exit 2, README: "A bad
 * value stops start-up with a message naming it (exit code 2)") kills the tools with the uncaught
 * ConfigError's stack trace, exit 1 (scripts/outbox.ts and scripts/persisted.ts call loadConfig
 * bare).
 */
describe('break37 ops: the command-line tools read the settings as the gateway does', () => {
  let build: string;
  let database: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    build = await compiledGateway();
    database = await createMigratedDatabase();
  }, 600_000);
  afterAll(() => database.drop());

  async function tool(script: string, args: string[], env: Record<string, string>) {
    try {
      const { stdout, stderr } = await run(process.execPath, [path.join(build, 'scripts', script), ...args], {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url, ...env },
        timeout: 60_000,
      });
      return { code: 0, output: (stdout + stderr).trim() };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code, output: `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() };
    }
  }

  it.each([[''], [' warn'], ['warn ']])('npm run outbox -- rebase with LOG_LEVEL=%j does its work', async (logLevel) => {
    expect(await tool('outbox.js', ['rebase'], { LOG_LEVEL: logLevel })).toEqual({ code: 0, output: expect.stringMatching(/^Nothing to re-base/) });
  }, 120_000);

  // `npm start` with a bad setting: "Configuration error: <the rule>", exit 2, one line. The tools
  // read the same settings (loadConfig) and die of the uncaught ConfigError: its stack, exit 1.
  it.each([
    ['outbox.js', ['rebase'], { DB_POOL_MAX: '0' }, /^Configuration error: DB_POOL_MAX must be/],
    ['persisted.js', ['check'], { LOG_LEVEL: 'verbose' }, /^Configuration error: LOG_LEVEL must be one of/],
  ])('%s with a bad setting says it in one line, exit 2, as npm start does', async (script, args, env, line) => {
    const { code, output } = await tool(script, args, env);
    expect({ code, lines: output.split('\n').length, output }).toEqual({ code: 2, lines: 1, output: expect.stringMatching(line) });
  }, 120_000);
});
