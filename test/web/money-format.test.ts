import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { formatDecimal, formatMoney, timesWhole } from '../../web/src/shared/money.js';

/**
 * How the apps write money and decimals (web/src/shared/money.ts), in the same Intl as the browser's
 * (Node's ICU; the browser test money-digits-31 reads them off the pages): ISO 4217's decimals, not
 * CLDR's, and decimal strings exactly (break31).
 */
describe('the apps’ money and decimals', () => {
  it('writes money in ISO 4217 decimals, where CLDR shows fewer: IQD 3, HUF 2, JPY 0, KWD 3', () => {
    const plain = (s: string) => s.replace(/\s/g, ' ');
    expect([formatMoney('12.345', 'IQD'), formatMoney('1.50', 'HUF'), formatMoney('1.5', 'HUF'), formatMoney('1200', 'JPY'), formatMoney('0.039', 'KWD'), formatMoney('12', 'EUR')].map(plain)).toEqual([
      'IQD 12.345',
      'HUF 1.50',
      'HUF 1.50',
      'JP¥1,200',
      'KWD 0.039',
      '€12.00',
    ]);
  });

  it('writes a decimal string exactly, past what a float holds, and rounds half up only past the money’s decimals', () => {
    expect(formatMoney('90071992547409931.25', 'EUR')).toBe('€90,071,992,547,409,931.25');
    expect([formatMoney('0.015', 'EUR'), formatMoney('0.025', 'EUR'), formatMoney('-0.015', 'EUR')]).toEqual(['€0.02', '€0.03', '-€0.02']);
    expect([formatDecimal('0.00001'), formatDecimal('12345678.000010'), formatDecimal('10'), formatDecimal('0.0100')]).toEqual(['0.00001', '12,345,678.00001', '10', '0.01']);
  });

  it('multiplies a point value by whole points exactly: 0.005 × 3 is 0.015, not a float just past or short of it', () => {
    expect([timesWhole('0.005', 3), timesWhole('0.01', 150), timesWhole('2', 7), timesWhole('0.001', 0), timesWhole('0.25', -3), timesWhole('1.5', 1)]).toEqual(['0.015', '1.50', '14', '0.000', '-0.75', '1.5']);
    expect(formatMoney(timesWhole('0.005', 3), 'EUR')).toBe('€0.02');
    expect(formatMoney(timesWhole('0.01', 150), 'HUF').replace(/\s/g, ' ')).toBe('HUF 1.50');
  });

  it('leaves the gateway’s set of ISO codes out of the pages: the apps load the decimals table only', () => {
    // dist/web is the apps' build that `npm test` makes before jest (scripts/test-prepare.mjs).
    const assets = path.resolve(import.meta.dirname, '../../dist/web');
    const scripts = readdirSync(assets, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    const withIsoSet = scripts.filter((file) => readFileSync(path.join(assets, file), 'utf8').includes('supportedValuesOf'));
    expect(withIsoSet).toEqual([]);
  });
});
