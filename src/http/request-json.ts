/**
 * A request body's JSON, read so that no number in it changes silently (money-12).
 *
 * A JSON number becomes a binary double when parsed, so `4.500000000000000001` arrives as 4.5,
 * `12345678901234567.89` as 12345678901234568 and `1e400` as Infinity: a Decimal sent as a number
 * (`unitPrice: 4.500000000000000001`, which the Decimal scalar takes as "4.5"), a Float or an ID
 * would then stand for another value than the one the client wrote, and nothing downstream can
 * tell. The body is parsed with its source text at hand (`JSON.parse`'s reviver context, Node 22+),
 * and a number whose shortest form does not read back as the value written is refused with where
 * it is, before any GraphQL runs. Numbers that survive parsing as written (3.2, 1e21, -0, 0.1) go on
 * as before; whether a field takes them is its scalar's to say.
 */

/** UTF-8's byte order mark (U+FEFF as bytes). */
const BYTE_ORDER_MARK = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * `bytes` without one leading UTF-8 byte order mark, if it starts with one (the same buffer
 * otherwise). A JSON text must not begin with one, but a parser may ignore it (RFC 8259 §8.1), and
 * editors and some HTTP stacks on Windows write one: the gateway drops it from an HTTP body and from
 * a WebSocket message alike (parity-12; a socket was closed 4400 for what HTTP took). Only one, as
 * a UTF-8 decoder drops only one: a second is text.
 */
export function dropByteOrderMark(bytes: Buffer): Buffer;
/**
 * `text` without one leading byte order mark (U+FEFF), if it starts with one: the rule for a
 * GET's parameters (`query`, `variables`, `extensions`; not `operationName`, a name), already decoded from the
 * URL (edges-12d: a GET's `variables` or `extensions` starting with one was refused 400 "invalid
 * JSON" where the same JSON as a POST body or a socket's message was taken).
 */
export function dropByteOrderMark(text: string): string;
export function dropByteOrderMark(input: Buffer | string): Buffer | string {
  if (typeof input === 'string') return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  return input.subarray(0, 3).equals(BYTE_ORDER_MARK) ? input.subarray(3) : input;
}

/** A number of the request that JSON's double cannot hold as written, and where it is. */
export interface InexactNumber {
  /** The path from the body's top (`["variables", "input", "lines", "0", "unitPrice"]`). */
  path: string[];
  /** The number as the client wrote it. */
  source: string;
  /** What parsing made of it (`String(double)`: "4.5", "Infinity"). */
  parsed: string;
}

/**
 * Stands in for an inexact number while the body is parsed, so its path can be found after. Written
 * back out (a graphql-ws ping's payload echoed in its pong) it is the double it was read as.
 */
class Marker {
  constructor(
    readonly source: string,
    readonly parsed: string,
    readonly value: number,
  ) {}

  toJSON(): number {
    return this.value;
  }
}

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal numeral as (sign, significant digits, exponent of the last digit), zero as one form:
 * "4.50" and "4.5", "1e21" and "1e+21", "-0" and "0" are equal. No arithmetic on the exponent's
 * size, so `1e999999999` costs what its text costs. Null when `text` is no decimal numeral
 * ("Infinity", "NaN").
 */
function canonical(text: string): string | null {
  const m = NUMBER.exec(text);
  if (!m) return null;
  const fraction = m[3] ?? '';
  let digits = `${m[2]}${fraction}`.replace(/^0+/, '');
  let exponent = Number(m[4] ?? 0) - fraction.length;
  if (digits === '') return '0';
  const trailing = /0+$/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  return `${m[1]}${digits}e${exponent}`;
}

/** Whether the number written as `source` is the double `value` prints as (its shortest form). */
export function readsAsWritten(source: string, value: number): boolean {
  const written = canonical(source);
  return written !== null && written === canonical(String(value));
}

const NUMBER_TOKEN = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * The first number token of JSON text `text` (already valid JSON) that does not read as written,
 * or null. One pass over the text, no recursion: a body may nest as deep as its size allows, and a
 * plain `JSON.parse` takes that. Strings are skipped by `indexOf` to their closing quote (the first
 * one not escaped: after an even run of backslashes), not character by character: a request's
 * strings are nearly all of its text (the document), and the loop over every character of it was
 * ~165k instructions of a page's ~4.3 M under callgrind, the largest cost of the gateway's own
 * beyond the floor's (bench/README.md, page-23). Only the text between strings (punctuation,
 * numbers, `true`, `false`, `null`) is read a character at a time.
 */
function firstInexactToken(text: string): string | null {
  const length = text.length;
  let i = 0;
  while (i < length) {
    const quote = text.indexOf('"', i);
    const end = quote === -1 ? length : quote;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        NUMBER_TOKEN.lastIndex = i;
        const token = NUMBER_TOKEN.exec(text)![0];
        if (!readsAsWritten(token, Number(token))) return token;
        i += token.length;
      } else i++;
    }
    if (quote === -1) return null;
    // a string: to the first quote after it that no backslash escapes
    i = quote + 1;
    for (;;) {
      const close = text.indexOf('"', i);
      if (close === -1) return null;
      let backslashes = 0;
      while (text.charCodeAt(close - 1 - backslashes) === 0x5c) backslashes++;
      i = close + 1;
      if (backslashes % 2 === 0) break;
    }
  }
  return null;
}

/**
 * `text` parsed as JSON (throws SyntaxError as `JSON.parse` does), with the first number in it
 * (in document order) that does not read back as written (`readsAsWritten`), or null when every
 * number does. Where it is (`path`) is found by a second parse only then, with each number's
 * source at hand (`JSON.parse`'s reviver context); a body nested too deep for that reviver's
 * recursion is answered without a path.
 */
export function parseRequestJson(text: string): { value: unknown; inexact: InexactNumber | null } {
  const value: unknown = JSON.parse(text);
  const token = firstInexactToken(text);
  if (token === null) return { value, inexact: null };
  try {
    const marked: unknown = JSON.parse(text, (_key: string, parsed: unknown, context?: { source?: string }) =>
      typeof parsed === 'number' && context?.source !== undefined && !readsAsWritten(context.source, parsed) ? new Marker(context.source, String(parsed), parsed) : parsed,
    );
    const found = firstMarker(marked);
    if (found) return { value, inexact: found };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }
  return { value, inexact: { path: [], source: token, parsed: String(Number(token)) } };
}

/**
 * A `JSON.parse` reviver (graphql-ws's `jsonMessageReviver`) that leaves in place of each number
 * not read back as written (`readsAsWritten`, from the source text `JSON.parse` passes a reviver in
 * Node 22+) a stand-in that `inexactNumberIn` finds with its path; every other value is kept.
 * V8 revives recursively: a message nested some thousands of levels deep throws RangeError.
 */
export function markInexactNumbers(_key: string, value: unknown, context?: { source?: string }): unknown {
  return typeof value === 'number' && context?.source !== undefined && !readsAsWritten(context.source, value) ? new Marker(context.source, String(value), value) : value;
}

/**
 * The first number `markInexactNumbers` marked in `value` (a parsed message or part of one), depth
 * first in document order, with its path from `value`'s top; null when there is none.
 */
export function inexactNumberIn(value: unknown): InexactNumber | null {
  return firstMarker(value);
}

/**
 * `extensions.field` of an inexact number whose path is from a request's top (a POST body, a
 * graphql-ws subscribe payload): its path inside `variables` (`["input", "lines", "0",
 * "unitPrice"]`, which for the contract's `$input` is the path from the argument, as every input
 * error names it); none when the number is elsewhere.
 */
export const inexactField = (path: string[]): string[] | undefined => (path[0] === 'variables' && path.length > 1 ? path.slice(1) : undefined);

/**
 * The first Marker in `value`, depth first in document order, with its path. A loop with links to
 * the parent, not recursion or copied paths: a body within its size limit may nest very deep.
 */
function firstMarker(value: unknown): InexactNumber | null {
  type Step = { item: unknown; key: string; parent: Step | null };
  const stack: Step[] = [{ item: value, key: '', parent: null }];
  while (stack.length) {
    const step = stack.pop()!;
    if (step.item instanceof Marker) {
      const path: string[] = [];
      for (let s: Step | null = step; s?.parent; s = s.parent) path.unshift(s.key);
      return { path, source: step.item.source, parsed: step.item.parsed };
    }
    if (step.item === null || typeof step.item !== 'object') continue;
    const entries = Object.entries(step.item);
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ item: entries[i][1], key: entries[i][0], parent: step });
  }
  return null;
}

/**
 * What a client is told of an inexact number: "variables.input.lines.0.unitPrice is the number
 * 4.500000000000000001, which would be read as 4.5 (JSON numbers are read as 64-bit doubles): send a Decimal as a
 * string such as "4.50", and whole numbers up to 2^53 - 1."
 */
export function inexactNumberMessage(n: InexactNumber): string {
  const shown = n.source.length > 40 ? `${n.source.slice(0, 40)}…` : n.source;
  const where = n.path.length ? `${n.path.join('.')} is the number ${shown}` : `The number ${shown}`;
  return `${where}, which would be read as ${n.parsed} (JSON numbers are read as 64-bit doubles): send a Decimal as a string such as "4.50", and whole numbers up to 2^53 - 1.`;
}
