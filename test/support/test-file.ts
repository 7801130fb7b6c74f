/**
 * The test file running now: jest's `expect` state, which the runner sets before it loads each
 * file (jest-light-runner's worker-runner.js, jest's own runner alike). Undefined outside jest (a
 * gateway child process). Helpers whose state is meant per test file key it with this: under
 * jest-light-runner a worker keeps test/support/ loaded for all the files it runs (isolation-15).
 */
export function currentTestFile(): string | undefined {
  return (globalThis as { expect?: { getState(): { testPath?: string } } }).expect?.getState().testPath;
}
