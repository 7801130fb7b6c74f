import { Migration } from '@mikro-orm/migrations';

/**
 * Invisible marks as the input edge counts them in November 2026 (`INVISIBLE_MARKS`,
 * src/domain/text.ts, on Node 24's Unicode data, NUL aside: text never holds it), as a
 * PostgreSQL bracket expression. Fixed here, not imported: a migration must mean the same forever.
 */
const INVISIBLE =
  '[\\u0001-\\u0008\\u000e-\\u001f\\u007f-\\u0084\\u0086-\\u009f\\u00ad\\u034f\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u115f-\\u1160\\u17b4-\\u17b5' +
  '\\u180b-\\u180f\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u206f\\u3164\\ufe00-\\ufe0f\\ufeff\\uffa0\\ufff0-\\ufffb\\U000110bd\\U000110cd\\U00013430-\\U0001343f' +
  '\\U0001bca0-\\U0001bca3\\U0001d173-\\U0001d17a\\U000e0000-\\U000e0fff]';

/** Unicode white space (`\p{White_Space}`) and the two blank glyphs (U+2800, U+1D159), which read as a space. */
const SPACE = '[\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\u2800\\U0001d159]+';

/**
 * The statement that rewrites the segments in `table`.`column` as the input edge now takes them
 * (docs/decisions.md, "Tier codes and segments"): invisible marks left out, runs of white space
 * and blank glyphs one plain space, trimmed, NFC; an entry left empty dropped; a tag the list
 * then holds twice kept once, where it first stood. Rows already so are not touched.
 */
export function cleanSegmentsSql(table: string, column: string): string {
  const cleaned = `(select coalesce(array_agg(tag order by first), '{}') from (
      select tag, min(i) as first from (
        select normalize(btrim(regexp_replace(regexp_replace(x, '${INVISIBLE}', '', 'g'), '${SPACE}', ' ', 'g'), ' '), NFC) as tag, i
          from unnest(t.${column}) with ordinality as u(x, i)) as n
       where tag <> '' group by tag) as d)`;
  return `update ${table} as t set ${column} = ${cleaned} where ${column} is distinct from ${cleaned}`;
}

/** The tables and columns holding customer segments: a customer's tags, a store's and a campaign's eligible ones. */
export const SEGMENT_COLUMNS: [string, string][] = [
  ['customer', 'segments'],
  ['reward_store', 'eligible_segments'],
  ['campaign', 'segments'],
];

/**
 * Segments are compared exactly (store eligibility, campaign conditions), and the input edge now
 * refuses tags that differ from another only by what nobody can see and stores them NFC (edges-9).
 * Tags stored before could carry such differences (`vip\u200b`, ` vip`, `café` decomposed), which
 * kept a customer out of a store or campaign for `vip`; this writes them as they would now be
 * taken, on both sides, so every match that held still holds and the ones nobody could see now
 * hold too. Tier lists are left as they are: a tier list entry that is not a tier code never
 * matched a tier, and reading `gold` as `GOLD` would open a store to members no operator named.
 */
export class Migration20261130230500 extends Migration {

  override name = 'Migration20261130230500';

  override up(): void | Promise<void> {
    for (const [table, column] of SEGMENT_COLUMNS) this.addSql(`${cleanSegmentsSql(table, column)};`);
  }

  override down(): void | Promise<void> {
    // the tags as they were are not kept: nothing to undo
  }
}
