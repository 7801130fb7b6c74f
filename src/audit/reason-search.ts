import { searchKey } from '../customers/search-key.js';

/** The fewest letters or digits in a row a `reason` search must hold: the reasons' trigram index finds nothing shorter (audit-49b). */
export const REASON_SEARCH_MIN = 3;

const SEARCH_WORD = new RegExp(`[\\p{L}\\p{N}]{${REASON_SEARCH_MIN}}`, 'u');

/**
 * Whether `text` may be searched for in the audit log's reasons (`auditLog(reason:)`, audit-49b):
 * its search key (`searchKey`: accents and case aside) holds a run of REASON_SEARCH_MIN letters or
 * digits. "!!!", "a b c" or accents alone have no trigram to read the reasons' index by, and were
 * read by a walk of the whole log (a review on PostgreSQL 15, 2 million entries: 5 s). The
 * gateway refuses the others (BAD_USER_INPUT on `reason`); the console's field says so before
 * sending (web/src/console/audit.tsx). No server-side imports: the console's bundle takes it.
 */
export function hasReasonSearchWord(text: string): boolean {
  return SEARCH_WORD.test(searchKey(text));
}
