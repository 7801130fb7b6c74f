/**
 * The search key of a customer's name or email (search-46, docs/decisions.md): what staff's
 * customer search compares, so that what an operator types finds the customer however the CRM
 * wrote the accents and the case. "jose" finds "José", "zoe" "Zoë", "muller" "Müller", "lukasz"
 * "Łukasz", "strasse" "Straße", "émile" "ÉMILE", "елена" "Елена", on any database locale (the
 * embedded cluster's C locale folds ASCII letters only).
 *
 * The key is, in this order: Unicode NFKD (compatibility forms too: a full-width "Ｊｏｓｅ" is "Jose",
 * a ligature "ﬁ" is "fi", a no-break space a space); the combining diacritical marks taken away
 * (`SEARCH_FOLD_MARKS`: the blocks Latin, Greek and Cyrillic letters take their accents from; a
 * script's own marks, such as Devanagari's vowel signs, stay); the letters that carry their
 * stroke or ligature in the letter itself written as Latin letters (`SEARCH_FOLD_LETTERS`,
 * after Unicode CLDR's Latin-ASCII transform and Lucene's ASCIIFoldingFilter: ß ss, æ ae, œ oe,
 * þ th, ø o, ł l, đ and ð d, ħ h, ı i, ŧ t) and Greek's final sigma ς as σ; then every capital
 * of the Latin, Greek, Cyrillic, Armenian and Georgian blocks as its small letter
 * (`SEARCH_FOLD_FROM` to `SEARCH_FOLD_TO`, Unicode's simple lowercase mapping as ECMAScript's
 * `toLowerCase` gives it, ASCII's A–Z too).
 *
 * The database computes the same key with `search_fold(text)`, an immutable SQL function of
 * Migration20261206160000 that the search's indexes are built on. It repeats these tables rather
 * than reading them, as a migration must stay as it landed; test/customers/search-fold-46.test.ts
 * compares the two over every code point of those blocks and more. A change here is a new
 * migration that replaces the function and rebuilds the indexes.
 */

/** The combining marks the key drops, as a bracket expression's ranges (U+0300–U+036F, U+1AB0–U+1AFF, U+1DC0–U+1DFF, U+20D0–U+20FF, U+FE20–U+FE2F). */
export const SEARCH_FOLD_MARKS = '\\u0300-\\u036f\\u1ab0-\\u1aff\\u1dc0-\\u1dff\\u20d0-\\u20ff\\ufe20-\\ufe2f';

/** Letters the key writes as two Latin letters (no decomposition gives them): ß and ẞ ss, æ ae, œ oe, þ th, either case. */
export const SEARCH_FOLD_LETTERS: ReadonlyArray<readonly [string, string]> = [
  ['ß', 'ss'],
  ['ẞ', 'ss'],
  ['æ', 'ae'],
  ['Æ', 'ae'],
  ['œ', 'oe'],
  ['Œ', 'oe'],
  ['þ', 'th'],
  ['Þ', 'th'],
];

/**
 * One character each, the key's letter for it (`SEARCH_FOLD_TO` at the same place): the stroked
 * Latin letters (Ø ø o, Ł ł l, Đ đ Ð ð d, Ħ ħ h, ı i, Ŧ ŧ t), Greek's final sigma (σ), then every
 * capital without a decomposition of U+00C0–U+024F, U+0370–U+052F, U+0531–U+0556, U+1C90–U+1CBF
 * and U+1E00–U+1FFF whose lowercase is one character without one. ASCII's capitals are left to
 * the last step (`toLowerCase` of A–Z; PostgreSQL's `lower(… collate "C")`).
 */
export const SEARCH_FOLD_FROM = 'ÐØðøĐđĦħıŁłŊŦŧƁƂƄƆƇƉƊƋƎƏƐƑƓƔƖƗƘƜƝƟƢƤƦƧƩƬƮƱƲƳƵƷƸƼǤǶǷȜȠȢȤȺȻȽȾɁɃɄɅɆɈɊɌɎͰͲͶͿΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩςϏϘϚϜϞϠϢϤϦϨϪϬϮϷϺϽϾϿЂЄЅІЈЉЊЋЏАБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯѠѢѤѦѨѪѬѮѰѲѴѸѺѼѾҀҊҌҎҐҒҔҖҘҚҜҞҠҢҤҦҨҪҬҮҰҲҴҶҸҺҼҾӀӃӅӇӉӋӍӔӘӠӨӶӺӼӾԀԂԄԆԈԊԌԎԐԒԔԖԘԚԜԞԠԢԤԦԨԪԬԮԱԲԳԴԵԶԷԸԹԺԻԼԽԾԿՀՁՂՃՄՅՆՇՈՉՊՋՌՍՎՏՐՑՒՓՔՕՖᲐᲑᲒᲓᲔᲕᲖᲗᲘᲙᲚᲛᲜᲝᲞᲟᲠᲡᲢᲣᲤᲥᲦᲧᲨᲩᲪᲫᲬᲭᲮᲯᲰᲱᲲᲳᲴᲵᲶᲷᲸᲹᲺᲽᲾᲿỺỼỾ';
/** What each character of `SEARCH_FOLD_FROM` becomes, at the same place. */
export const SEARCH_FOLD_TO = 'dododdhhillŋttɓƃƅɔƈɖɗƌǝəɛƒɠɣɩɨƙɯɲɵƣƥʀƨʃƭʈʊʋƴƶʒƹƽǥƕƿȝƞȣȥⱥȼƚⱦɂƀʉʌɇɉɋɍɏͱͳͷϳαβγδεζηθικλμνξοπρστυφχψωσϗϙϛϝϟϡϣϥϧϩϫϭϯϸϻͻͼͽђєѕіјљњћџабвгдежзиклмнопрстуфхцчшщъыьэюяѡѣѥѧѩѫѭѯѱѳѵѹѻѽѿҁҋҍҏґғҕҗҙқҝҟҡңҥҧҩҫҭүұҳҵҷҹһҽҿӏӄӆӈӊӌӎӕәӡөӷӻӽӿԁԃԅԇԉԋԍԏԑԓԕԗԙԛԝԟԡԣԥԧԩԫԭԯաբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆაბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰჱჲჳჴჵჶჷჸჹჺჽჾჿỻỽỿ';

const MARKS = new RegExp(`[${SEARCH_FOLD_MARKS}]`, 'gu');
const LETTERS = new Map(SEARCH_FOLD_LETTERS);
const FROM = [...SEARCH_FOLD_FROM];
const TO = [...SEARCH_FOLD_TO];
const ONE_FOR_ONE = new Map(FROM.map((c, i) => [c, TO[i]]));
const FOLDED_HERE = new RegExp(`[${[...LETTERS.keys(), ...FROM].join('')}]`, 'gu');

/**
 * `value`'s search key (see the module's docs): the string `search_fold(value)` answers in
 * PostgreSQL. Total: any string has one, maybe empty (a string of combining marks only).
 */
export function searchFold(value: string): string {
  return value
    .normalize('NFKD')
    .replace(MARKS, '')
    .replace(FOLDED_HERE, (c) => LETTERS.get(c) ?? ONE_FOR_ONE.get(c)!)
    .replace(/[A-Z]+/g, (run) => run.toLowerCase());
}
