/**
 * A validated page request, as services read it: `limit` rows (0 to the list's maximum page size)
 * after the row whose sort key is `after` (null: from the start). Keys are integers (row ids, sort
 * orders). Built from `first`/`after` by `pageOf` in `src/graphql/connection.ts`.
 */
export interface Page {
  /** The kind of row the list pages through (`CursorKind`), which its cursors name. */
  kind: string;
  limit: number;
  after: number[] | null;
}
