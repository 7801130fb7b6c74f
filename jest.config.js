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
  // Three workers on two cores (suite-41). Two were chosen when a third did not pay (suite-30: ~10 %
  // faster; suite-31: no faster). On suite-41's machine, half as fast as suite-38's, the browser files
  // left a core partly idle while they waited on timers and Chromium: the whole run 1,406 s with two
  // (the last session's CI of it here: 84 % busy) → 1,273 s with three → 1,159 s with three and the
  // browser files spread through the order (test/support/sequencer.mjs; 93 % busy); suite-31 made
  // the set-ups that failed under three hold (db/timeouts, events/delivery).
  maxWorkers: 3,
  testTimeout: 60_000,
};
