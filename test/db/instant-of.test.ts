import fc from 'fast-check';
import { instantOf } from '../../src/domain/instant.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * hostile39b: the gateway read PostgreSQL's text form of a timestamptz with `new Date(text)`, which
 * takes the years 0–99 for 1900–2099 (a store open since 0001-01-01 was answered, and rewritten by
 * an edit, as open since 2001) and some of them (0030) for no date. instantOf reads the database's
 * own text of any instant the DateTime scalar takes back to that instant.
 */
describe("instantOf reads the database's text of an instant", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  /** The text PostgreSQL answers for `at` as a timestamptz, in the session's zone (UTC here). */
  const asText = async (ats: Date[]) => (await t.sql<{ text: string }>(`select x::text as text from unnest($1::timestamptz[]) with ordinality u(x, n) order by n`, [ats])).map((r) => r.text);

  it('the years 1 to 99, the first and last instants of the DateTime scalar, and fractions of a millisecond', async () => {
    const ats = ['0001-01-01T00:00:00.000Z', '0030-06-15T12:30:45.678Z', '0099-12-31T23:59:59.999Z', '0100-01-01T00:00:00.000Z', '2026-12-05T16:00:00.123Z', '9999-12-31T23:59:59.999Z'].map((s) => new Date(s));
    const texts = await asText(ats);
    expect(texts[0]).toBe('0001-01-01 00:00:00+00');
    expect(texts.map((s) => instantOf(s).toISOString())).toEqual(ats.map((a) => a.toISOString()));
    const [micro] = (await t.sql<{ text: string }>(`select '2026-12-05 16:00:00.123456+00'::timestamptz::text as text`)).map((r) => r.text);
    expect(instantOf(micro).toISOString()).toBe('2026-12-05T16:00:00.123Z');
    expect(instantOf('2026-12-05 16:00:00+05:30').toISOString()).toBe('2026-12-05T10:30:00.000Z');
    expect(instantOf('0044-03-15 12:00:00+00 BC').getUTCFullYear()).toBe(-43);
  });

  it('any instant of the scalar\'s range, as the database writes it, reads back to itself', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.date({ min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), { minLength: 1, maxLength: 50 }), async (ats) => {
        const texts = await asText(ats);
        expect(texts.map((s) => instantOf(s).getTime())).toEqual(ats.map((a) => a.getTime()));
      }),
      { numRuns: 20 },
    );
  });
});
