import { CompiledQuery, sql } from 'kysely';
import { searchKey } from '../../src/customers/search-key.js';
import { searchStatementOf, searchTermOf } from '../../src/customers/customer-search.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { expectFinds as expectFindsOn, insertCustomers } from '../support/customer-search.js';

/**
 * search-46: staff's customer search compares names and emails by their search key (`search_key`
 * in the database, for the rows and for what was typed; `searchKey` its twin in the gateway), so
 * the accents and the case an operator types or a CRM stored do not hide a customer, on the
 * embedded cluster's C locale too, where PostgreSQL's `lower()` folds ASCII letters only ("émile"
 * did not find "Émile" before).
 */

/** Plan nodes, depth first. */
type PlanNode = { 'Node Type': string; 'Index Name'?: string; Plans?: PlanNode[] };
const nodesOf = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodesOf)];

/** Every code point from `from` to `to`, but the surrogates. */
const codePoints = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)
    .filter((cp) => cp < 0xd800 || cp > 0xdfff)
    .map((cp) => String.fromCodePoint(cp));

describe('customers(search:) sets accents and case aside, in any script the key folds (search-46)', () => {
  let t: TestGateway;
  const expectFinds = (cases: Record<string, string[]>) => expectFindsOn(t, cases);

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    await insertCustomers(t, [
      ['fold-jose', 'José.García@Example.com', 'José García', 'ACTIVE'],
      ['fold-emile', 'ÉMILE.DURAND@EXAMPLE.COM', 'ÉMILE DURAND', 'ACTIVE'],
      ['fold-zoe', null, 'Zoë Lefèvre', 'ACTIVE'],
      ['fold-lukasz', null, 'Łukasz Müller', 'SUSPENDED'],
      ['fold-weiss', null, 'Anna Weiß', 'ACTIVE'],
      ['fold-soren', null, 'Søren Ærø', 'ACTIVE'],
      ['fold-elena', 'Елена@пример.рф', 'Елена Петрова', 'ACTIVE'],
      ['fold-nguyen', null, 'Nguyễn Văn An', 'ACTIVE'],
      ['fold-sokrates', null, 'Σωκράτης Παππάς', 'ACTIVE'],
      ['fold-yildiz', null, 'İlkay Yıldız', 'ACTIVE'],
      // stored decomposed (e + U+0301), as a CRM may send it
      ['fold-rene', null, 'Rene\u0301 Cle\u0301ment', 'CLOSED'],
      ['fold-josefina', null, 'Josefina Ortiz', 'ACTIVE'],
      ['fold-arabic', null, 'مُحَمَّد علي', 'ACTIVE'],
      ['fold-hebrew', null, 'שָׁלוֹם כהן', 'ACTIVE'],
      ['fold-latin-c', null, 'Ɫena Mira', 'ACTIVE'],
      ['fold-georgian', null, 'Ⴀაბა Gelashvili', 'ACTIVE'],
      // a Hangul syllable and a voiced kana are whole letters: a search stops at their edges
      ['fold-hangul', null, '이민호', 'ACTIVE'],
      ['fold-kana', null, 'ハジメ タナカ', 'ACTIVE'],
    ]);
  });
  afterAll(() => t.close());

  it('search_key in the database is searchKey in the gateway for every character of the Basic Multilingual Plane whose NFKD the two runtimes agree on', async () => {
    const characters = codePoints(0x20, 0xffff);
    // each alone and inside a word, so a mark or a letter of two is keyed in a word too
    const values = [...characters, ...characters.map((c) => `A${c}b`), 'Ǆemal Ðorđević', 'Å\u030aström', 'ΣΊΣΥΦΟΣ', 'ﬁﬂ ½ ²', 'a\u0301\u0301', '한국어 ハジメ'];
    const rows = await t.sql<{ value: string; nfkd: string; key: string }>(`select value, normalize(value, NFKD) as nfkd, search_key(value) as key from unnest($1::text[]) value`, [values]);
    expect(rows).toHaveLength(values.length);
    // Characters newer than one runtime's Unicode data (Node 24's is 17; PostgreSQL 18's 16) may
    // decompose in one only: the search keys what was typed in the database, so only the gateway's
    // length check and the console's "whole email" could differ for them.
    const agreed = rows.filter((r) => r.nfkd === r.value.normalize('NFKD'));
    expect(rows.length - agreed.length).toBeLessThan(100);
    const differ = agreed.filter((r) => r.key !== searchKey(r.value)).map((r) => [r.value, r.key, searchKey(r.value)]);
    expect(differ).toEqual([]);
    // and the key is a key: keying it again changes nothing
    expect(values.filter((v) => searchKey(searchKey(v)) !== searchKey(v))).toEqual([]);
  });

  it('finds a name whatever accents and case are typed or stored', async () => {
    await expectFinds({
      // typed without the accents, or with them in capitals
      'jose garcia': ['fold-jose'],
      'JOSÉ GARCÍA': ['fold-jose'],
      'zoe lefevre': ['fold-zoe'],
      'nguyen van': ['fold-nguyen'],
      // stored in capitals with an accent: C's lower() left the É, so "émile" found nothing
      'émile': ['fold-emile'],
      'Durand': ['fold-emile'],
      // letters with a stroke or of two, either way round
      'lukasz muller': ['fold-lukasz'],
      'weiss': ['fold-weiss'],
      'WEIß': ['fold-weiss'],
      'soren aero': ['fold-soren'],
      'ærø': ['fold-soren'],
      'yildiz': ['fold-yildiz'],
      'ILKAY': ['fold-yildiz'],
      // stored decomposed, typed composed or bare
      'rené clément': ['fold-rene'],
      'clement': ['fold-rene'],
      // Cyrillic and Greek in any case, Greek's final sigma as σ
      'петрова': ['fold-elena'],
      'ПЕТРОВА': ['fold-elena'],
      'σωκρατης': ['fold-sokrates'],
      'ΣΩΚΡΆΤΗΣ ΠΑΠΠΆΣ': ['fold-sokrates'],
      // full-width letters as a phone's IME may type them
      'ｊｏｓｅ ｇａｒｃｉａ': ['fold-jose'],
      // Arabic's harakat and Hebrew's points set aside; capitals beyond the Latin, Greek and Cyrillic blocks
      'محمد': ['fold-arabic'],
      'שלום': ['fold-hebrew'],
      'ɫena': ['fold-latin-c'],
      'ⴀაბ': ['fold-georgian'],
    });
  });

  it('still finds by the start of a word only, and the best match first', async () => {
    await expectFinds({
      // José's email starts with it (PREFIX); Josefina's name has a word starting so
      'jose': ['fold-jose', 'fold-josefina'],
      'josé': ['fold-jose', 'fold-josefina'],
      // inside a word is no match, accents or not
      'arcia': [],
      'üller': [],
      // nor inside a syllable: 이미 is not the start of 이민, nor ハシ of ハジ (NFKD took them apart, NFC made them whole)
      '이미': [],
      '이민': ['fold-hangul'],
      'ハシ': [],
      'ハジ': ['fold-kana'],
    });
  });

  it('finds an email by its start or as a whole, accents and case set aside', async () => {
    await expectFinds({
      'emile.durand@example.com': ['fold-emile'],
      'Émile.D': ['fold-emile'],
      'jose.garcia@': ['fold-jose'],
      'ЕЛЕНА@ПРИМЕР.РФ': ['fold-elena'],
    });
  });

  it('refuses a search that is shorter than 2 characters once its accents are set aside, as a shorter search is', async () => {
    // a letter with combining accents, combining accents alone, and spacing accents (NFKD: a space and a combining mark)
    for (const search of ['a\u0301\u0301', '\u0301\u0308', 'a´', '´´', '¨¨']) {
      const res = await t.gql(`query S($search: String!) { customers(search: $search) { edges { node { id } } } }`, { search }, t.operatorToken);
      expect(res.data).toBeNull();
      expect(res.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', ['search']]]);
      expect(res.errors?.[0].message).toMatch(/^search must have at least 2 characters besides accents and other combining marks/);
    }
  });

  it("the gateway's statement reaches names and emails through their keys' indexes", async () => {
    const { term } = searchTermOf('Łukasz Mül');
    const { sql: text, parameters } = searchStatementOf(t.orm.em.fork().getKysely(), term!, { kind: 'CustomerSearch', limit: 20, after: null });
    // Sequential scans priced out: an index is still not used where the statement's expression is
    // not the index's (the OR's three arms are one BitmapOr only if each has an index), so the
    // plan names the indexes only if they answer this statement.
    const plan = await t.orm.em.fork().getKysely().transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      const { rows } = await trx.executeQuery<{ 'QUERY PLAN': PlanNode[] }>(CompiledQuery.raw(`explain (format json) ${text}`, parameters));
      return rows[0]['QUERY PLAN'][0];
    });
    const indexes = nodesOf((plan as unknown as { Plan: PlanNode }).Plan).map((n) => n['Index Name']).filter((n) => n !== undefined);
    expect(indexes.sort()).toEqual(['customer_email_key_idx', 'customer_external_id_search_idx', 'customer_name_words_idx']);
  });
});
