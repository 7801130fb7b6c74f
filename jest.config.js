/**
 * Jest, with jest-light-runner: each worker is a thread that runs its test files one after another
 * in plain Node, on Node's own ESM loader, and keeps the modules it has loaded. Under jest's own
 * runner every test file got a vm context of its own and loaded the gateway's whole module graph
 * again (graphql, MikroORM, Apollo, type-graphql, our src/: 1.5–2 s of CPU a file when the
 * machine was quiet, 3–5 s when loaded, 179 files), and jest's vm modules ran everything slower.
 * Measured when it changed (suite-15): test/graphql and test/transactions, 27 files, 115 s → 88 s,
 * CPU 212 s → 143 s; the whole run in docs/decisions.md, suite-15.
 *
 * What the files give up: a fresh module registry and global object each. No test mocks modules,
 * and a gateway's state lives in the gateway (`startTestGateway` makes a new one), so they share
 * loaded code, not state; a file that needs a module instance of its own imports it with a query
 * (test/purchases/floor-statement.test.ts).
 * - test/support/ts-hooks.mjs (`setupFiles`): compiles the TypeScript with swc (legacy decorators
 *   and their metadata) and resolves `./x.js` to `./x.ts`.
 * - test/support/jest-globals.mjs (`setupFilesAfterEnv`): test and hook timeouts (`testTimeout`
 *   below, or a test's third argument) and `jest.useFakeTimers(config)`, which the runner lacks.
 */
export default {
  runner: 'jest-light-runner',
  transform: {},
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  setupFiles: ['<rootDir>/test/support/ts-hooks.mjs'],
  setupFilesAfterEnv: ['<rootDir>/test/support/jest-globals.mjs'],
  globalSetup: './test/support/global-setup.mjs',
  globalTeardown: './test/support/global-teardown.mjs',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testSequencer: '<rootDir>/test/support/sequencer.mjs',
  // Four workers on two cores on the embedded cluster (suite-43), three on a DATABASE_URL server.
  // History: two when a third did not pay (suite-30, suite-31); three on suite-41's slower machine,
  // where the browser files left a core partly idle while they waited on timers and Chromium (1,406 s
  // with two → 1,159 s with three and the browser files spread through the order,
  // test/support/sequencer.mjs). With the browser tests on the headless shell (suite-43) three workers
  // left the machine 85–86 % busy (717 and 736 s); four: 625 s, 90 % busy, every file passing. On a
  // DATABASE_URL server three held at most 81 sessions (suite-41), so four could pass a
  // `max_connections` of 100; the embedded cluster allows 300 (test/support/global-setup.mjs).
  // `--maxWorkers=N` on the command line wins over both.
  maxWorkers: process.env.DATABASE_URL ? 3 : 4,
  testTimeout: 60_000,
};
