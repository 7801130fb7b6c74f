import fc from 'fast-check';
import { parseRequestJson, readsAsWritten } from '../../src/http/request-json.js';

/**
 * `parseRequestJson` skips a body's strings by searching for their closing quote (page-23), no
 * longer a character at a time: these hold it to the plain rule, the first number token in document
 * order whose source does not read as written, over bodies full of what makes a closing quote hard
 * to find (escaped quotes, runs of backslashes, numbers written inside strings).
 */
describe('parseRequestJson finds the first inexact number whatever the strings around it', () => {
  /** The first number of `text` (document order) that does not read as written, by JSON.parse's own reading of each number's source. */
  const reference = (text: string): string | null => {
    let first: string | null = null;
    JSON.parse(text, (_key: string, value: unknown, context?: { source?: string }) => {
      if (first === null && typeof value === 'number' && context?.source !== undefined && !readsAsWritten(context.source, value)) first = context.source;
      return value;
    });
    return first;
  };

  const tricky = fc.constantFrom('"', '\\', '\\\\', '\\"', '4.500000000000000001', '1e400', '12345678901234567.89', '-0', '0.1', ' ', 'é', '\n', 'x');
  const text = fc.array(tricky, { maxLength: 12 }).map((parts) => parts.join(''));
  const inexact = fc.constantFrom('4.500000000000000001', '1e400', '12345678901234567.89', '1.0000000000000001', '-9007199254740993');
  const exact = fc.constantFrom('0', '-0', '20', '3.2', '1e21', '0.1', '-12.5e-3');
  /** JSON text of a random value whose numbers are written as raw source (inexact ones among them); keys unique, as the reviver sees only a repeated key's last value. */
  const json: fc.Arbitrary<string> = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      text.map((s) => JSON.stringify(s)),
      inexact,
      exact,
      fc.constantFrom('true', 'false', 'null'),
      fc.array(tie('value') as fc.Arbitrary<string>, { maxLength: 4 }).map((items) => `[${items.join(', ')}]`),
      fc.array(fc.tuple(text, tie('value') as fc.Arbitrary<string>), { maxLength: 4 }).map((entries) => `{${entries.map(([k, v], i) => `${JSON.stringify(`${i}${k}`)}:${v}`).join(',')}}`),
    ),
  })).value;

  it('agrees with the reference on random bodies', () => {
    fc.assert(
      fc.property(json, (body) => {
        expect(parseRequestJson(body).inexact?.source ?? null).toBe(reference(body));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['a number written inside a string', '{"a":"4.500000000000000001","b":1}', null],
    ['escaped quotes around a number inside a string', '{"a":"say \\"4.500000000000000001\\" 1e400"}', null],
    ['a string ending in an escaped backslash, then a number', '{"a":"ends \\\\","b":1e400}', '1e400'],
    ['a string ending in an escaped backslash and an escaped quote', '{"a":"\\\\\\"1e400","b":[0.1,4.500000000000000001]}', '4.500000000000000001'],
    ['a body with no string at all', '[1,2,12345678901234567.89]', '12345678901234567.89'],
  ])('%s', (_name, body, expected) => {
    expect(parseRequestJson(body).inexact?.source ?? null).toBe(expected);
    expect(reference(body)).toBe(expected);
  });
});
