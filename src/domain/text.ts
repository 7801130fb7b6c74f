/**
 * Characters a reader cannot see, shared by the input edge (`isBlank`) and item keys (`itemKey`):
 * what looks the same must count the same, or a name of only these is taken and a list may name
 * one SKU twice.
 */

/**
 * Invisible marks: drawn as nothing and taking no room. Control characters other than white space
 * (Unicode Cc: C0 such as U+0001 and ESC, DEL, C1 U+0080–U+009F but U+0085), format characters
 * (Cf: zero-width space U+200B, zero-width joiners U+200C/U+200D, the byte order mark U+FEFF, the
 * soft hyphen U+00AD, bidirectional marks, tag characters…) and the other default-ignorable code
 * points (Hangul fillers, variation selectors, the combining grapheme joiner). None is white space.
 */
export const INVISIBLE_MARKS = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

/**
 * Blank glyphs: symbols (category So) whose glyph is an empty cell by design, so they read as a
 * space: the Braille pattern blank U+2800 and the musical null notehead U+1D159.
 */
export const BLANK_GLYPHS = /[\u2800\u{1D159}]/gu;

/** What `shown` spells out: white space (U+0085 too), invisible marks and blank glyphs (the classes above, not a copy). */
const UNSEEN = new RegExp(`\\p{White_Space}|${INVISIBLE_MARKS.source}|${BLANK_GLYPHS.source}`, 'gu');

/**
 * `value` quoted for a message (JSON string syntax), with what a reader could not see spelled out:
 * white space other than the plain space, invisible marks and blank glyphs as `\uXXXX` escapes,
 * so `"E\u200bUR" is not one` does not read as `"EUR" is not one` (the new-user trial of issue
 * 12's fifth session). Code points beyond the BMP as `\u{…}`.
 */
export function shown(value: string): string {
  return JSON.stringify(value).replace(UNSEEN, (c) => {
    if (c === ' ') return c;
    const code = c.codePointAt(0)!;
    return code > 0xffff ? `\\u{${code.toString(16).toUpperCase()}}` : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

/** How many characters of a refused value a message echoes at most (lifecycle-23). */
export const SHOWN_INPUT_CHARS = 40;

/**
 * `text` (a refused value, as a message would quote it) cut for the message: whole up to
 * SHOWN_INPUT_CHARS characters, else its first SHOWN_INPUT_CHARS, an ellipsis and its length in
 * UTF-16 units (`"2026-12-03T10:00:00Zxxxxxxxxxxxxxxxxxxx… (5022 characters)`). graphql-js and
 * graphql-scalars quote a refused value whole: a request carrying a long one was answered with it
 * (lifecycle-23). A surrogate pair split by the cut is cut before it.
 */
export function cutForMessage(text: string): string {
  if (text.length <= SHOWN_INPUT_CHARS) return text;
  const end = /[\ud800-\udbff]/.test(text[SHOWN_INPUT_CHARS - 1]) ? SHOWN_INPUT_CHARS - 1 : SHOWN_INPUT_CHARS;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}

/**
 * `value` as a message names it: as written when every character is visible and none is white space
 * (`STARS`, `No currency NOPE.`), else quoted by `shown` (`No currency "STARS\u200B".`, `No
 * currency " STARS ".`), so a code that differs from a real one by what a reader cannot see does not
 * read as that real one (break-12j: `No currency STARS<U+200B>.` read as "STARS does not exist").
 */
export function named(value: string): string {
  return value !== '' && value.search(UNSEEN) < 0 ? value : shown(value);
}

/**
 * A tier code: a capital letter, then up to 29 capitals, digits or `_` (`GOLD`, `TIER_2`). Tier
 * definitions take only these, so a store's or campaign's tier list holding anything else
 * (`gold`, `GOLD\u200b`, ` GOLD`) names a tier that cannot exist and would never match.
 */
export const TIER_CODE = /^[A-Z][A-Z0-9_]{0,29}$/;

/** White space other than the plain space U+0020 (tabs, line breaks, no-break and other Unicode spaces). */
const OTHER_WHITE_SPACE = /(?! )\p{White_Space}/u;

/**
 * Why `tag` (a customer segment, as customers carry it and stores and campaigns name it) could look
 * like another tag while comparing different, or null when it cannot: segments are compared
 * exactly, so an invisible mark (`vip\u200b`), a blank glyph, white space other than single plain
 * spaces between words (` vip`, `vip\t`, `gold  card`) would make a customer miss a store or a
 * campaign over a difference nobody can see. Case is visible and stays significant (`VIP` and
 * `vip` are two tags). Text in another Unicode normal form than NFC is not a reason: `segmentOf`
 * composes it, losslessly.
 */
export function tagProblem(tag: string): string | null {
  // search, not test: these classes are global, and test would keep a lastIndex between calls
  if (tag.search(INVISIBLE_MARKS) >= 0) return 'has an invisible character';
  if (tag.search(BLANK_GLYPHS) >= 0) return 'has a blank symbol';
  if (OTHER_WHITE_SPACE.test(tag)) return 'has white space other than plain spaces';
  if (tag.startsWith(' ') || tag.endsWith(' ')) return 'starts or ends with a space';
  if (tag.includes('  ')) return 'has two spaces in a row';
  return null;
}

/**
 * Why `key` (an idempotency key, or a caller's id of a record: a customer's or sale's externalId,
 * a basket's lockId, an activity's reference) could look like another key while comparing
 * different, or null when it cannot (edges-11). Keys are compared exactly and echoed back as sent
 * (a retailer joins its own records on its externalIds), so they are refused rather than changed:
 * an invisible mark (`k\u200b1`, a BOM), a blank glyph, white space other than the plain space (a
 * tab, a no-break space) would make two keys that read alike two keys, and a retry under the
 * other spelling a second effect. With `nfc` (idempotency keys), text not in Unicode NFC (`e` +
 * U+0301 where `é` reads the same) too; a caller's id of a record may be decomposed on purpose,
 * as the retailer gave it (hostile pass 6), and is compared as sent. Plain spaces, case and every
 * visible character stay significant, as before.
 */
export function keyProblem(key: string, nfc = false): string | null {
  const invisible = key.match(INVISIBLE_MARKS) ?? key.match(BLANK_GLYPHS);
  if (invisible) return `has a character that shows nothing (${shown(invisible[0]).slice(1, -1)})`;
  const space = OTHER_WHITE_SPACE.exec(key);
  if (space) return `has white space other than plain spaces (${shown(space[0]).slice(1, -1)})`;
  if (nfc && key.normalize('NFC') !== key) return 'is not in Unicode NFC (a letter and a combining accent where one composed character reads the same)';
  return null;
}

/**
 * A segment as it is stored and compared: Unicode NFC, so `café` typed as `e` + U+0301 and as
 * `é` is one tag (they look the same, and NFC is how the web writes text). Everything else as sent.
 */
export function segmentOf(tag: string): string {
  return tag.normalize('NFC');
}

/**
 * How often, as a message a customer reads says it: "once", "twice", "3 times" (a limit of 1 read
 * "at most 1 times"). `n` is a positive whole number (a per-customer limit).
 */
export function howOften(n: number): string {
  return n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`;
}
