import { Migration } from '@mikro-orm/migrations';

/**
 * search-46: `search_fold(text)`, the search key staff's customer search compares a name or an
 * email by (src/customers/search-fold.ts says what it is and why): Unicode NFKD, the combining
 * diacritical marks taken away, ß æ œ þ as ss ae oe th, the stroked letters (ø ł đ ð ħ ı ŧ) as
 * their Latin letters, Greek's final sigma as σ, then the capitals of the Latin, Greek, Cyrillic,
 * Armenian and Georgian blocks as small letters, ASCII's by `lower(… collate "C")`, so the key
 * is the same on any database locale. Immutable (every step is), so indexes may be built on it
 * (Migration20261206160100). Its tables are written out here, not read from the gateway's code:
 * a migration stays as it landed. It was compared with the gateway's first `searchFold` until
 * search-46b replaced both (`search_key`, Migration20261206180000; this function stays unused). `create or replace`, so an operator who made it by hand to build the indexes
 * first (`create index concurrently`) may run the upgrade.
 */
export class Migration20261206160000 extends Migration {
  override name = 'Migration20261206160000';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function search_fold(value text) returns text
language sql immutable strict parallel safe
return lower(
  translate(
    replace(replace(replace(replace(replace(replace(replace(replace(
      regexp_replace(normalize(value, NFKD), '[\\u0300-\\u036f\\u1ab0-\\u1aff\\u1dc0-\\u1dff\\u20d0-\\u20ff\\ufe20-\\ufe2f]', '', 'g'),
      'ß', 'ss'), 'ẞ', 'ss'), 'æ', 'ae'), 'Æ', 'ae'), 'œ', 'oe'), 'Œ', 'oe'), 'þ', 'th'), 'Þ', 'th'),
    'ÐØðøĐđĦħıŁłŊŦŧƁƂƄƆƇƉƊƋƎƏƐƑƓƔƖƗƘƜƝƟƢƤƦƧƩƬƮƱƲƳƵƷƸƼǤǶǷȜȠȢȤȺȻȽȾɁɃɄɅɆɈɊɌɎͰͲͶͿΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩςϏϘϚϜϞϠϢϤϦϨϪϬϮϷϺϽϾϿЂЄЅІЈЉЊЋЏАБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯѠѢѤѦѨѪѬѮѰѲѴѸѺѼѾҀҊҌҎҐҒҔҖҘҚҜҞҠҢҤҦҨҪҬҮҰҲҴҶҸҺҼҾӀӃӅӇӉӋӍӔӘӠӨӶӺӼӾԀԂԄԆԈԊԌԎԐԒԔԖԘԚԜԞԠԢԤԦԨԪԬԮԱԲԳԴԵԶԷԸԹԺԻԼԽԾԿՀՁՂՃՄՅՆՇՈՉՊՋՌՍՎՏՐՑՒՓՔՕՖᲐᲑᲒᲓᲔᲕᲖᲗᲘᲙᲚᲛᲜᲝᲞᲟᲠᲡᲢᲣᲤᲥᲦᲧᲨᲩᲪᲫᲬᲭᲮᲯᲰᲱᲲᲳᲴᲵᲶᲷᲸᲹᲺᲽᲾᲿỺỼỾ',
    'dododdhhillŋttɓƃƅɔƈɖɗƌǝəɛƒɠɣɩɨƙɯɲɵƣƥʀƨʃƭʈʊʋƴƶʒƹƽǥƕƿȝƞȣȥⱥȼƚⱦɂƀʉʌɇɉɋɍɏͱͳͷϳαβγδεζηθικλμνξοπρστυφχψωσϗϙϛϝϟϡϣϥϧϩϫϭϯϸϻͻͼͽђєѕіјљњћџабвгдежзиклмнопрстуфхцчшщъыьэюяѡѣѥѧѩѫѭѯѱѳѵѹѻѽѿҁҋҍҏґғҕҗҙқҝҟҡңҥҧҩҫҭүұҳҵҷҹһҽҿӏӄӆӈӊӌӎӕәӡөӷӻӽӿԁԃԅԇԉԋԍԏԑԓԕԗԙԛԝԟԡԣԥԧԩԫԭԯաբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆაბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰჱჲჳჴჵჶჷჸჹჺჽჾჿỻỽỿ')
  collate "C");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop function if exists search_fold(text);`);
  }
}
