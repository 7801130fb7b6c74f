import pg from 'pg';

/** PostgreSQL's type OIDs of `text[]` and `varchar[]` (pg_type.typarray of text and varchar). */
const TEXT_ARRAY = 1009;
const VARCHAR_ARRAY = 1015;

type Parser = (text: string) => unknown;

/**
 * Reads PostgreSQL's text output of a one-dimensional `text[]` / `varchar[]` (array_out: `{}`,
 * `{a,b}`, `{"x y","a\"b",NULL,"NULL"}`) as pg's own parser does: the elements in order, an unquoted
 * `NULL` as null, a quoted element with its backslash escapes undone. Anything else (several
 * dimensions, explicit bounds `[0:1]={…}`, a form array_out does not write) goes to `fallback`,
 * pg's own parser, so every value reads as it did.
 *
 * Why: pg's parser for these types (pg-types 2, postgres-array 2) reads a value a character at a
 * time and makes an object `{ value, escaped }` for each character, then joins them. The store
 * page reads five such columns a row (the store's eligible tiers and segments, the offer's skus,
 * categories and channels), ~105 a page of 20: 32.5 kB of the page's 221 kB allocated per request,
 * the most of any function (bench/README.md, page-24). This one slices each element out of the
 * text once. `[]` for `{}` is a new array on every call, as before: callers may keep or change it.
 */
export function textArrayParser(fallback: Parser): Parser {
  return (text: string) => {
    const last = text.length - 1;
    if (text.charCodeAt(0) !== 0x7b /* { */ || text.charCodeAt(last) !== 0x7d /* } */) return fallback(text);
    const out: (string | null)[] = [];
    if (last === 1) return out;
    let i = 1;
    for (;;) {
      let element: string | null;
      if (text.charCodeAt(i) === 0x22 /* " */) {
        // Quoted: up to the next quote not escaped by a backslash; `\x` stands for x.
        let start = i + 1;
        element = '';
        for (;;) {
          const quote = text.indexOf('"', start);
          const backslash = text.indexOf('\\', start);
          if (quote === -1) return fallback(text);
          if (backslash !== -1 && backslash < quote) {
            element += text.slice(start, backslash) + text.charAt(backslash + 1);
            start = backslash + 2;
            continue;
          }
          element += text.slice(start, quote);
          i = quote + 1;
          break;
        }
      } else {
        // Unquoted: up to the next comma or the closing brace. array_out quotes every element with
        // a brace, a comma, a quote, a backslash or white space, and an empty one: any of those
        // here is not its output.
        const comma = text.indexOf(',', i);
        const end = comma === -1 ? last : comma;
        element = text.slice(i, end);
        if (element.length === 0 || /[{}"\\\s]/.test(element)) return fallback(text);
        if (element === 'NULL') element = null;
        i = end;
      }
      out.push(element);
      const next = text.charCodeAt(i);
      if (i === last) return out;
      if (next !== 0x2c /* , */) return fallback(text);
      i++;
    }
  };
}

/**
 * Installs textArrayParser for `text[]` and `varchar[]` on `pg`'s shared type parsers (every pg
 * client of the process, as `orm.ts` sets `int8`), over the parser installed now. Once.
 */
export function installTextArrayParser(): void {
  for (const oid of [TEXT_ARRAY, VARCHAR_ARRAY]) {
    const current = pg.types.getTypeParser(oid, 'text') as Parser & { [INSTALLED]?: true };
    if (current[INSTALLED]) continue;
    const parser = textArrayParser(current) as Parser & { [INSTALLED]?: true };
    parser[INSTALLED] = true;
    pg.types.setTypeParser(oid, 'text', parser);
  }
}

const INSTALLED = Symbol('text array parser');
