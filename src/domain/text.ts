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
