import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * hostile40 on customers(search:): names as retailers' CRMs send them. A name is stored as sent
 * (UpsertCustomerInput.name: any text, not blank), so a word may follow a no-break space, a tab or
 * two spaces, and an apostrophe may be ' or ’ (what a phone's keyboard types for '). The search
 * makes every run of white space one space and knew only ASCII white space and the exact
 * apostrophe typed, so these customers were not found by their own names. Real gateway and
 * PostgreSQL (the embedded cluster, C locale).
 */

const SEARCH = `query CustomerSearch($search: String!) { customers(search: $search, first: 100) { edges { node { externalId } } } }`;

describe('customers(search:) finds names written with other spaces and apostrophes (hostile40)', () => {
  let t: TestGateway;
  const ids = async (text: string) =>
    ok(await t.gql<{ customers: { edges: { node: { externalId: string } }[] } }, { search: string }>(SEARCH, { search: text }, t.operatorToken)).customers.edges.map((e) => e.node.externalId);

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    const rows: [string, string][] = [
      ['h40-nbsp', 'Hana\u00a0Veselá'],
      ['h40-two', 'Ivo  Marek'],
      ['h40-tab', 'Jan\tNovak'],
      ['h40-ideo', 'Kenji\u3000Sato'],
      ['h40-curly', 'Dana O’Hara'],
      ['h40-straight', "Eli O'Neil"],
      // Persian writes a zero-width non-joiner inside words; an emoji may be a ZWJ sequence or take a variation selector
      ['h40-zwnj', 'سارا محمدی\u200cنژاد'],
      ['h40-zwj', 'Ana \u{1F469}\u200d\u{1F4BB} Silva'],
      ['h40-vs', 'Bo \u2764\ufe0f Li'],
    ];
    await t.sql(`insert into customer (external_id, name, status) select *, 'ACTIVE' from unnest($1::text[], $2::text[])`, [rows.map((r) => r[0]), rows.map((r) => r[1])]);
  });
  afterAll(() => t?.close());

  it('a word after any white space starts a word, and a space typed matches any run of white space', async () => {
    const cases = ['veselá', 'hana veselá', 'ivo marek', 'jan novak', 'sato', 'kenji sato'];
    const found = await Promise.all(cases.map(async (text) => [text, await ids(text)] as const));
    expect(Object.fromEntries(found)).toEqual({
      'veselá': ['h40-nbsp'],
      'hana veselá': ['h40-nbsp'],
      'ivo marek': ['h40-two'],
      'jan novak': ['h40-tab'],
      'sato': ['h40-ideo'],
      'kenji sato': ['h40-ideo'],
    });
  });

  it("an apostrophe typed as ' or ’ finds the name written with either", async () => {
    const cases = ["o'hara", 'o’hara', "dana o'h", "o'neil", 'o’neil'];
    const found = await Promise.all(cases.map(async (text) => [text, await ids(text)] as const));
    expect(Object.fromEntries(found)).toEqual({
      "o'hara": ['h40-curly'],
      'o’hara': ['h40-curly'],
      "dana o'h": ['h40-curly'],
      "o'neil": ['h40-straight'],
      'o’neil': ['h40-straight'],
    });
  });

  it('a joiner inside a word or an emoji, and an emoji\'s variation selector, are part of what is typed, not "a character that shows nothing"', async () => {
    const cases = ['محمدی\u200cنژاد', 'سارا محمدی\u200cن', '\u{1F469}\u200d\u{1F4BB} silva', '\u2764\ufe0f li'];
    const found = await Promise.all(cases.map(async (text) => [text, await ids(text)] as const));
    expect(Object.fromEntries(found)).toEqual({
      'محمدی\u200cنژاد': ['h40-zwnj'],
      'سارا محمدی\u200cن': ['h40-zwnj'],
      '\u{1F469}\u200d\u{1F4BB} silva': ['h40-zwj'],
      '\u2764\ufe0f li': ['h40-vs'],
    });
  });

  it.each([
    ['a joiner at the start', '\u200cann'],
    ['a joiner after a space', 'ann \u200dsmith'],
    ['a variation selector after a letter', 'an\ufe0fn'],
  ])('still refused: %s', async (_, text) => {
    const res = await t.gql(SEARCH, { search: text }, t.operatorToken);
    expect(res.errors?.map((e) => [e.extensions?.code, /shows nothing/.test(e.message)])).toEqual([['BAD_USER_INPUT', true]]);
  });

  it('still: a space is no wildcard and a word inside a word is not found', async () => {
    const cases = ['hanaveselá', 'ana veselá', 'ivomarek', "o'har x"];
    const found = await Promise.all(cases.map(async (text) => [text, await ids(text)] as const));
    expect(Object.fromEntries(found)).toEqual({ 'hanaveselá': [], 'ana veselá': [], 'ivomarek': [], "o'har x": [] });
  });
});
