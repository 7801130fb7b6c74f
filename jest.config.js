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
  // Two workers, one a core. Three were ~10 % faster on suite-30's machine (898 → 801 s, 916 → 822
  // s) but on suite-31's no faster (the same clone: 935 s with three, 928 s with two), and they load
  // every file's time bounds more; suite-31 made the two set-ups that failed under three hold
  // (db/timeouts, events/delivery), so three can be tried again on a machine where they pay.
  maxWorkers: 2,
  testTimeout: 60_000,
};
