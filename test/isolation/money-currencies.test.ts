import { MONEY_CURRENCIES_PER_FILE, nextMoneyCurrency } from '../support/program.js';

/**
 * isolation-15: jest-light-runner keeps test/support/ loaded while a worker runs its files one
 * after another, so what a helper hands out "per test file" must not run out because of the files
 * that ran before this one in the same worker. Before the fix, run after any file that made an
 * earning program (test/purchases/hostile.test.ts, or a probe that takes one currency), this file
 * threw "this test file used all … money currencies".
 */
describe('money currencies for earning programs (test/support/program.ts)', () => {
  it('hands out its whole pool to this file, each currency once, whatever files this worker ran before', () => {
    const codes = Array.from({ length: MONEY_CURRENCIES_PER_FILE }, () => nextMoneyCurrency());
    expect(MONEY_CURRENCIES_PER_FILE).toBeGreaterThan(100);
    expect(new Set(codes).size).toBe(MONEY_CURRENCIES_PER_FILE);
    expect(() => nextMoneyCurrency()).toThrow(/used all/);
  });
});
