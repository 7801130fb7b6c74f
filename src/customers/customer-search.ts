import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { RawBuilder } from 'kysely';
import { sql, statement } from '../db/sql.js';
import type { Page } from '../domain/page.js';
import { BLANK_GLYPHS, INVISIBLE_MARKS, shown } from '../domain/text.js';
import { CUSTOMER_COLUMNS, type CustomerRow } from './customer.service.js';
import { searchKey } from './search-key.js';

/**
 * Staff's customer search (customer-search-40): what a support operator types (an email, a name, a
 * customer id, or the start of one) finds the customers it names, CLOSED and SUSPENDED ones too.
 * docs/decisions.md, "customer-search-40", says why each rule is what it is; "search-46", why
 * names and emails are compared by their search key (`search_key`: accents and case set aside);
 * "search-48", why a name matches word by word in any order, its apostrophes typed or not.
 */

/** The fewest characters a search may have (Unicode code points, after trimming; and of its search key, trimmed: `searchKey`). */
export const SEARCH_MIN = 2;
/** The most characters a search may have: the longest email address a customer can hold (UpsertCustomerInput.email). */
export const SEARCH_MAX = 320;

/**
 * How well a customer matches, best first: the order of the results (then the row id), and the
 * first part of a result's cursor. A customer matching several ways counts its best.
 */
export enum SearchMatch {
  /** The search is the customer's whole externalId or whole email. */
  EXACT = 0,
  /** The search starts the customer's externalId or email. */
  PREFIX = 1,
  /**
   * Each word of the search starts a word of the customer's name, in any order ("smi", "ann smi" and
   * "smith ann" find "Ann Smith"), a name with an apostrophe read with it or without ("obrien",
   * "o'brien" and "brien" find "Carol O'Brien": `search_name`, search-48).
   */
  NAME_WORD = 2,
}

/** A search as typed (`raw`), made ready to match: `term`, or why it cannot be used (`problem`, a sentence naming `search`). */
export type SearchTerm = { term: string; problem?: undefined } | { term?: undefined; problem: string };

const WHITE_SPACE_RUN = /\p{White_Space}+/gu;

/**
 * What parts the words of a search (search-48): spaces and commas ("Smith, Ann"), as a regular
 * expression's text that means the same in ECMAScript and PostgreSQL: `searchTermOf` parts the
 * gateway's key by it, the statement the database's.
 */
const SEARCH_WORD_BREAKS = '[ ,]+';
const SEARCH_WORD_BREAKS_JS = new RegExp(SEARCH_WORD_BREAKS);

/**
 * The invisible characters that are part of what is written (hostile40), so a search may hold them:
 * a zero-width non-joiner or joiner (U+200C, U+200D) inside a word (Persian and Indic names are
 * spelled with them), a joiner between two emoji (a ZWJ sequence such as a technologist), and a
 * variation selector (U+FE0E, U+FE0F) after an emoji. Anywhere else they are refused as any
 * invisible mark. They are matched as typed: the name holds them as its writer typed them.
 */
const WRITTEN_JOINERS = /(?<=\p{L}\p{M}*)[\u200c\u200d](?=\p{L})|(?<=\p{Extended_Pictographic}[\ufe0e\ufe0f]?)\u200d(?=\p{Extended_Pictographic})|(?<=\p{Extended_Pictographic})[\ufe0e\ufe0f]/gu;

/**
 * A searched text as typed, made what a search compares (customer-search-40, hostile40; the audit
 * log's reason search, audit-49b): in Unicode NFC, white space at both ends removed and every run
 * of white space inside (tabs, line breaks, no-break spaces) one plain space. `invisible`: the
 * first invisible mark (U+200B, a BOM, a control character) or blank glyph it holds, shown as
 * `\u200B`, unless part of what is written (`WRITTEN_JOINERS`): a search holding one reads right
 * and finds nothing, so callers refuse it.
 */
export function searchTextOf(raw: string): { text: string; invisible?: undefined } | { text?: undefined; invisible: string } {
  const unjoined = raw.replace(WRITTEN_JOINERS, '');
  const invisible = unjoined.match(INVISIBLE_MARKS) ?? unjoined.match(BLANK_GLYPHS);
  if (invisible) return { invisible: shown(invisible[0]).slice(1, -1) };
  return { text: raw.normalize('NFC').replace(WHITE_SPACE_RUN, ' ').trim() };
}

/**
 * `raw` as the search matches it: in Unicode NFC, white space at both ends removed and every run
 * of white space inside (tabs, no-break spaces) one plain space, as names are written. Refused
 * (`problem`): blank; shorter than SEARCH_MIN or longer than SEARCH_MAX characters; holding an
 * invisible mark (U+200B, a BOM, a control character) or a blank glyph, which would make a search
 * that reads right find nothing; but those that are part of what is written (`WRITTEN_JOINERS`);
 * or whose search key (`searchKey`), white space at its ends removed, is shorter than
 * SEARCH_MIN: a letter with accents only ("a\u0301\u0301", which would list every name with a word
 * starting with that letter) or with a spacing accent ("a´", whose key is "a "); or with no word
 * (parted by spaces and commas) of SEARCH_MIN characters: ",a" or "a b" would search for single
 * letters, found in most names and read from no index. Letters keep their case and accents here:
 * matching sets them aside.
 */
export function searchTermOf(raw: string): SearchTerm {
  const written = searchTextOf(raw);
  if (written.invisible !== undefined) return { problem: `search has a character that shows nothing (${written.invisible}): remove it and search again` };
  const term = written.text;
  if (term === '') return { problem: `search must not be blank: type at least ${SEARCH_MIN} characters of an email address, a name or a customer id` };
  const length = [...term].length;
  if (length < SEARCH_MIN) return { problem: `search must have at least ${SEARCH_MIN} characters (${shown(term)} has ${length}): a shorter one would list most customers` };
  if (length > SEARCH_MAX) return { problem: `search must have at most ${SEARCH_MAX} characters (it has ${length}): the longest email address` };
  const key = searchKey(term).trim();
  const keyLength = [...key].length;
  if (keyLength < SEARCH_MIN) {
    return { problem: `search must have at least ${SEARCH_MIN} characters besides accents and other combining marks (${shown(term)} has ${keyLength}): a shorter one would list most customers` };
  }
  const longestWord = Math.max(...key.split(SEARCH_WORD_BREAKS_JS).map((word) => [...word].length));
  if (longestWord < SEARCH_MIN) {
    return { problem: `search must have a word of at least ${SEARCH_MIN} characters (${shown(term)} has none; words are parted by spaces and commas): single letters would list most customers` };
  }
  return { term };
}

/**
 * White space a name may hold between words, as a bracket expression's members: ASCII's
 * (`[:space:]`, which under the C locale is ASCII only) and Unicode's other White_Space characters
 * (no-break spaces U+00A0 and U+202F, U+1680, U+2000–U+200A, the line and paragraph separators,
 * U+205F, the ideographic space U+3000, and NEL U+0085): a name is stored as a CRM sent it.
 */
const NAME_SPACE = '[:space:]\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000';

/** The apostrophes a name may be written with, and a keyboard types: ' and ’ (a phone's keyboard sends ’ for '), ‘ and ʼ (U+02BC). */
const APOSTROPHES = "'’‘ʼ";

/** ASCII's punctuation but the apostrophe and the hyphen, as a PostgreSQL regular expression's group. */
const PUNCTUATION = '([!-&(-,./:-@[-`{-~])';
/** What `regexp_replace` puts for each: a backslash (`\\` in its replacement), then the mark (`\1`). */
const PUNCTUATION_ESCAPED = '\\\\\\1';

/**
 * `text` (an SQL expression: a word of the search's key) as literal text inside a PostgreSQL regular
 * expression (ARE), in SQL, so what is matched is what the database keyed: every ASCII punctuation
 * mark (`.`, `*`, `%`, `_`, `\`, brackets…) behind a backslash, which ARE reads as that character
 * itself. Letters, digits and characters beyond ASCII are never special and stay bare (a backslash
 * before a letter would be an escape such as `\d`). Two exceptions (hostile40), for names stored as
 * sent: a hyphen (or a space) matches any run of white space (`NAME_SPACE`) and hyphens ("mary-jane
 * mc" finds "Mary-Jane McDonald" and "Mary Jane McDonald": newcomer-40; the search's words, parted at
 * spaces since search-48, are matched one by one), and an apostrophe any of `APOSTROPHES`. Three
 * passes, punctuation first, so the brackets the other two add are not escaped.
 */
function regexLiteral(text: RawBuilder<string>): RawBuilder<string> {
  const escaped = sql<string>`regexp_replace(${text}, ${PUNCTUATION}::text, ${PUNCTUATION_ESCAPED}::text, 'g')`;
  const apostrophes = sql<string>`regexp_replace(${escaped}, ${`[${APOSTROPHES}]`}::text, ${`[${APOSTROPHES}]`}::text, 'g')`;
  return sql<string>`regexp_replace(${apostrophes}, '[ -]', ${`[${NAME_SPACE}-]+`}::text, 'g')`;
}

/** What a word of a name follows, as a bracket expression: white space (`NAME_SPACE`), a hyphen, an apostrophe (`APOSTROPHES`) or a full stop ("Smith-Jones", "O'Brien", "J. Smith"). */
const WORD_BREAK = `[${NAME_SPACE}${APOSTROPHES}.-]`;

/** Where a word of a name starts: the start of the name, or after a `WORD_BREAK`. */
const WORD_START = `(^|${WORD_BREAK})`;

// The same expressions as the customer's search indexes (customer.entity.ts), so the planner can
// use them: the externalId lowercased (PostgreSQL's lower(), the database's own case rules) in NFC,
// as Migration20261205180000 built it (ids are not folded: a till's id is matched as written, case
// aside); the email by its search key (`search_key`, Migration20261206180000; its index
// Migration20261206180100); the name by its words (`search_name`: its key and, when it has an
// apostrophe, its key without them: search-48, Migration20261206200000; its index Migration20261206200100).
const EXTERNAL_ID = sql`lower(normalize(c.external_id, NFC))`;
const EMAIL = sql`search_key(c.email)`;
const NAME = sql`search_name(c.name)`;

/**
 * `column` (one of the expressions above) starts with `lowered`: as a range of its `collate "C"`
 * btree index (the strings that start with a text sort, byte by byte, from it to it followed by
 * U+10FFFF), which a prepared statement's generic plan uses too (a `LIKE $1` pattern is turned
 * into a range only when planned for one value), then `starts_with` for the exact answer.
 */
function startsWith(column: ReturnType<typeof sql>, lowered: ReturnType<typeof sql>) {
  return sql`(${column} collate "C" >= ${lowered} and ${column} collate "C" < ${lowered} || chr(1114111) and starts_with(${column}, ${lowered}))`;
}

/**
 * The most words of a search matched in any order (24 orders). A search with more is matched as
 * the phrase typed, as every search was before search-48: the words one after another, parted by
 * white space or hyphens (5 words would be 120 orders, and a chain of `.*` between many words made
 * PostgreSQL 18 run a search of 100 one-letter words for seconds).
 */
export const SEARCH_WORDS_ANY_ORDER = 4;

/** The places of up to SEARCH_WORDS_ANY_ORDER words in a search: 1, 2, 3, 4. */
const PLACES = Array.from({ length: SEARCH_WORDS_ANY_ORDER }, (_, i) => i + 1);

/** Every order of 1 to SEARCH_WORDS_ANY_ORDER words, as the places of the words, one digit a word: "1", "12", "21", "123" … "4321". */
const WORD_ORDERS: readonly string[] = (() => {
  const orders = (places: number[]): string[][] => (places.length <= 1 ? [places.map(String)] : places.flatMap((p) => orders(places.filter((q) => q !== p)).map((rest) => [String(p), ...rest])));
  return PLACES.flatMap((n) => orders(PLACES.slice(0, n)).map((order) => order.join('')));
})();

/**
 * The words of a search (`words`, an SQL array of the search key's words) as the alternatives of
 * a regular expression (no outer brackets): each order of the words, written one after another
 * with anything between them that ends where a word of a name starts (`.*` then one of
 * `WORD_START`'s marks), so "ann smi" is `ann.*[…]smi|smi.*[…]ann`; up to SEARCH_WORDS_ANY_ORDER
 * words, and beyond that the phrase as typed. The orders are the constant WORD_ORDERS, read for
 * the words' count: PostgreSQL knows how many rows a constant array has, where a recursive query
 * over the words' places was estimated at millions, which set off PostgreSQL 15's JIT compiler
 * (130 ms to compile a statement that ran in 2 ms; the embedded PostgreSQL 18 has no JIT).
 */
function wordOrders(words: RawBuilder<string[]>): RawBuilder<string> {
  const between = `.*${WORD_BREAK}`;
  const word = sql<string>`(${words})[substr(o, place, 1)::int]`;
  const anyOrder = sql<string>`(
    select string_agg((select string_agg(${regexLiteral(word)}, ${between}::text order by place)
                       from unnest(${sql.lit(`{${PLACES.join(',')}}`)}::int[]) place where place <= length(o)), '|')
    from unnest(${sql.lit(`{${WORD_ORDERS.join(',')}}`)}::text[]) o
    where length(o) = cardinality(${words}))`;
  return sql<string>`case when cardinality(${words}) <= ${sql.lit(SEARCH_WORDS_ANY_ORDER)} then ${anyOrder} else ${regexLiteral(sql<string>`array_to_string(${words}, ' ')`)} end`;
}

/** One result row: the customer and how it matched. */
export type SearchRow = CustomerRow & { match: SearchMatch };

const SEARCH = statement((term: string, afterMatch: number, afterId: number, limit: number) => {
  const lowered = sql`lower(${term})`;
  // the search's key, by the database's own search_key (white space that accents left at its ends removed)
  const folded = sql<string>`btrim(search_key(${term}::text))`;
  // A name matches when each word of the search (parted by spaces and commas: "Smith, Ann") starts
  // a word of it, each its own word, in any order ("smith ann" finds "Ann Smith"): one regular
  // expression, the alternatives of every order of the words (`wordOrders`), so that the name's
  // trigram index is read for all the words at once, as it was for the phrase before search-48.
  // The words are a scalar subquery, computed once a statement however often the orders read them.
  const words = sql<string[]>`(select array_remove(regexp_split_to_array(${folded}, ${SEARCH_WORD_BREAKS}::text), ''))`;
  const nameMatches = sql`${NAME} ~ (${WORD_START} || '(' || ${wordOrders(words)} || ')')`;
  return sql<SearchRow>`
    select * from (
      select ${CUSTOMER_COLUMNS},
        case when ${EXTERNAL_ID} = ${lowered} or ${EMAIL} = ${folded} then ${sql.lit(SearchMatch.EXACT)}
             when ${startsWith(EXTERNAL_ID, lowered)} or ${startsWith(EMAIL, folded)} then ${sql.lit(SearchMatch.PREFIX)}
             else ${sql.lit(SearchMatch.NAME_WORD)} end as match
      from customer c
      where ${startsWith(EXTERNAL_ID, lowered)} or ${startsWith(EMAIL, folded)} or ${nameMatches}
    ) found
    where (match, id) > (${afterMatch}::int, ${afterId}::bigint)
    order by match, id
    limit ${limit}::int`;
});

/**
 * Up to `page.limit + 1` customers matching `term` (a `searchTermOf` term; the extra row only says
 * a next page exists), best match first, then by row id, after `page.after` (`[match, id]`, or
 * null from the start). Emails and names are compared by their search key (`search_key`: accents
 * and case set aside, in the same way on any database locale), the search's computed by the same
 * function in the same statement, a name word by word (`SearchMatch.NAME_WORD`); externalIds by
 * PostgreSQL's `lower()` (under the embedded cluster's C locale: ASCII letters only). `%`, `_` and
 * `\` match themselves.
 */
export async function searchCustomers(em: SqlEntityManager, term: string, page: Page): Promise<SearchRow[]> {
  return SEARCH.run(em, ...searchArguments(term, page));
}

/** The statement's arguments for `term` and `page`: the term, the place after which to start, and how many rows to read. */
function searchArguments(term: string, page: Page): [string, number, number, number] {
  const [afterMatch, afterId] = page.after ?? [-1, 0];
  return [term, afterMatch, afterId, page.limit + 1];
}

/**
 * What `searchCustomers` sends for `term` and `page`, without sending it: the statement's text and
 * its `$n` parameters, for a process that plans it on a `pg` client of its own
 * (bench/customer-search-plan.ts, which EXPLAINs it). `kysely`: any Kysely of the PostgreSQL
 * dialect without plugins (`em.getKysely()`).
 */
export function searchStatementOf(kysely: Parameters<typeof SEARCH.bind>[0], term: string, page: Page): { sql: string; parameters: unknown[] } {
  return SEARCH.bind(kysely, ...searchArguments(term, page));
}
