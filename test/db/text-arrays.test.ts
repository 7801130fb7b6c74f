import fc from 'fast-check';
import { createRequire } from 'node:module';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/** pg's own reading of a text[] (pg-types 2's parseStringArray), which the gateway's parser replaced. */
const pgArrayParser = createRequire(import.meta.url)('pg-types/lib/arrayParser.js') as { create(text: string): { parse(): unknown } };
const pgOwn = (text: string) => pgArrayParser.create(text).parse();

/**
 * `text[]` and `varchar[]` columns are read by postgres-array 3 (src/db/text-arrays.ts, page-24),
 * no longer by pg's character-at-a-time one. These hold it to what PostgreSQL sent: arrays
 * of strings full of what array_out quotes and escapes (quotes, backslashes, braces, commas, white
 * space, the word NULL, empty strings) and real nulls, written by PostgreSQL and read back on the
 * gateway's connections, equal to the array sent and to pg's own parser's reading of the same
 * text; two dimensions and explicit bounds read as pg reads them.
 */
describe('text arrays read as PostgreSQL wrote them', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const tricky = fc.constantFrom('"', '\\', '\\\\', '\\"', '{', '}', ',', ' ', '\t', '\n', 'NULL', 'null', 'é', '😀', 'a', 'COFFEE', '');
  const element = fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 6, arbitrary: fc.array(tricky, { maxLength: 6 }).map((parts) => parts.join('')) });

  it('equals the array sent, and pg’s own reading of the text, for any strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(element, { maxLength: 8 }), async (array) => {
        const [row] = (await t.sql(`select $1::text[] as text, $1::varchar[] as varchar, $1::text[]::text as raw`, [array])) as { text: unknown; varchar: unknown; raw: string }[];
        expect(row.text).toEqual(array);
        expect(row.varchar).toEqual(array);
        expect(row.text).toEqual(pgOwn(row.raw));
      }),
      { numRuns: 300 },
    );
  });

  it('reads two dimensions and explicit bounds as pg does', async () => {
    const [row] = await t.sql(`select '{{a,"b c"},{NULL,"}"}}'::text[] as two, '[0:1]={x,"y,z"}'::text[] as bounded, '{}'::text[] as empty`);
    expect(row.two).toEqual([['a', 'b c'], [null, '}']]);
    expect(row.bounded).toEqual(['x', 'y,z']);
    expect(row.empty).toEqual([]);
  });
});
