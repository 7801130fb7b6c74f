/** Jest on the ESM project: swc compiles TypeScript with legacy decorators and their metadata. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2023',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        },
        module: { type: 'es6' },
      },
    ],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  globalSetup: './test/support/global-setup.mjs',
  globalTeardown: './test/support/global-teardown.mjs',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  maxWorkers: 2,
  // Each test file leaves ~40 MB of heap behind in its worker (the module graph jest's ESM vm
  // modules keep; no open handle: the workers exit with code 0 within a millisecond of being told
  // to end). A worker that ran half the suite holds ~1 GB, and Node takes longer than jest's 500 ms
  // grace to tear that down on a loaded machine: "A worker process has failed to exit gracefully".
  // A worker past this much heap after a file is replaced by a fresh one, so none grows that large.
  workerIdleMemoryLimit: '300MB',
  testTimeout: 60_000,
  // How long a worker told to end may take to exit before jest kills it and prints "A worker
  // process has failed to exit gracefully" (jest's default: 500 ms). Even a worker that ran no test
  // (every one skipped by -t) printed it at load ~10 on 2 cores: its 'exit' event came 13–210 ms
  // after jest's end message with no handle left (only its IPC pipe and stdio), and Node's own
  // teardown after it (the isolate's heap, the vm modules) took the rest (edges-12d). A real leak (a
  // timer, a socket) never exits, so it is still reported, 3 s later.
  workerGracefulExitTimeout: 3_000,
};
