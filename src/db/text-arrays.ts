import pg from 'pg';
import { parse } from 'postgres-array';

/** PostgreSQL's type OIDs of `text[]` and `varchar[]` (pg_type.typarray of text and varchar). */
const TEXT_ARRAY = 1009;
const VARCHAR_ARRAY = 1015;

/**
 * Reads PostgreSQL's text output of a `text[]` / `varchar[]` (array_out, documented at
 * https://www.postgresql.org/docs/current/arrays.html#ARRAYS-IO: `{}`, `{a,b}`,
 * `{"x y","a\"b",NULL,"NULL"}`, several dimensions, explicit bounds `[0:1]={…}`) into arrays of
 * strings and nulls, by postgres-array 3 (the parser MikroORM and PostGraphile 5 use), the same
 * values as pg's own.
 *
 * Why: pg's parser for these types (pg-types 2, postgres-array 2) reads a value a character at a
 * time and makes an object `{ value, escaped }` for each character, then joins them. The store
 * page reads five such columns a row (the store's eligible tiers and segments, the offer's skus,
 * categories and channels), ~105 a page of 20: 32.5 kB of the page's 221 kB allocated per request,
 * the most of any function (bench/README.md, page-24). postgres-array 3 slices each element out of
 * the text once. `[]` for `{}` is a new array on every call, as before: callers may keep or change it.
 */
export const parseTextArray = (text: string): (string | null)[] => parse(text);

/**
 * Installs parseTextArray for `text[]` and `varchar[]` on `pg`'s shared type parsers (every pg
 * client of the process, as `orm.ts` sets `int8`). Idempotent.
 */
export function installTextArrayParser(): void {
  for (const oid of [TEXT_ARRAY, VARCHAR_ARRAY]) pg.types.setTypeParser(oid, 'text', parseTextArray);
}
