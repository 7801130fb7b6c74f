// What jest-light-runner's globals lack and the tests use, given back with jest's own meaning (jest's
// `setupFilesAfterEnv`, so it runs once per worker, after the runner has set the globals):
// - Timeouts. The runner calls each test's function as it is, with no time limit: a test waiting on
//   something that never comes would hold its worker, and the run, for ever instead of failing.
//   Here a test or hook fails with "Exceeded timeout of N ms" after its own timeout (the third
//   argument) or the config's `testTimeout`. What it started goes on in the background, as under
//   jest's own runner.
// - `jest.useFakeTimers(config)`: the runner's ignores its config and fakes every timer, which
//   would freeze the gateway a test runs in its own process (test/auth/token-cache.test.ts fakes
//   Date alone). These are jest's modern fake timers (@jest/fake-timers), config honoured.
import { ModernFakeTimers } from '@jest/fake-timers';
import { bind } from 'jest-each';
import config from '../../jest.config.js';

// Taken before any test can install fake timers (test/auth/token-cache.test.ts does), which would
// otherwise also freeze the timeout itself.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

/** `fn` (a test's or hook's function, async or with a `done` callback) failing after `ms` milliseconds. */
function timed(fn, ms, what) {
  if (typeof fn !== 'function') return fn;
  const limit = ms ?? config.testTimeout;
  return function () {
    return new Promise((resolve, reject) => {
      const timer = realSetTimeout(
        () => reject(new Error(`Exceeded timeout of ${limit} ms for a ${what}. Add a timeout value to this ${what} to increase it, if this is a long-running ${what}.`)),
        limit,
      );
      const run = fn.length >= 1 ? new Promise((done, fail) => fn.call(this, (error) => (error ? fail(error) : done()))) : Promise.resolve().then(() => fn.call(this));
      run.then(resolve, reject).finally(() => realClearTimeout(timer));
    });
  };
}

/** A `test`/`it` whose functions are `timed`, with the modifiers and `.each` tables jest gives it. */
function timedTest(original) {
  const wrap = (register) => (name, fn, ms) => register(name, timed(fn, ms, 'test'), ms);
  const test = wrap(original);
  test.only = wrap(original.only);
  test.skip = original.skip;
  test.todo = original.todo;
  test.each = bind(test);
  test.only.each = bind(test.only);
  test.skip.each = bind(test.skip);
  return test;
}

const test = timedTest(globalThis.test);
globalThis.test = globalThis.it = test;
globalThis.fit = test.only;
for (const hook of ['beforeAll', 'afterAll', 'beforeEach', 'afterEach']) {
  const original = globalThis[hook];
  globalThis[hook] = (fn, ms) => original(timed(fn, ms, 'hook'), ms);
}

const timers = new ModernFakeTimers({ config: { fakeTimers: {} }, global: globalThis });
Object.assign(globalThis.jest, {
  useFakeTimers(fakeTimersConfig) {
    timers.useFakeTimers(fakeTimersConfig);
    return globalThis.jest;
  },
  useRealTimers() {
    timers.useRealTimers();
    return globalThis.jest;
  },
  setSystemTime(now) {
    timers.setSystemTime(now);
    return globalThis.jest;
  },
  advanceTimersByTime(ms) {
    timers.advanceTimersByTime(ms);
    return globalThis.jest;
  },
});
