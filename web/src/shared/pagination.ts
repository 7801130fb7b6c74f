/** The apps' cache policy for Relay connections that screens page with "Show older" / "Show more". */
import type { FieldPolicy, Reference } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';

type KeyArgs = Parameters<typeof relayStylePagination>[0];
type Edge = { node?: Reference | null; cursor?: string };
type Connection = { edges: Edge[]; pageInfo?: { hasNextPage?: boolean; endCursor?: string | null } };

/** The cache's key of an edge's node (`__ref`), or undefined for an edge without a normalized node. */
const refOf = (edge: Edge, isReference: (value: unknown) => value is Reference) => (edge.node && isReference(edge.node) ? edge.node.__ref : undefined);

type Merge = Exclude<FieldPolicy<Connection>['merge'], boolean | undefined>;

/** `policy` with `then` applied to what its merge answers (same arguments, and the merged connection). */
function mergedThen(policy: FieldPolicy<Connection>, then: (merged: Connection, ...args: Parameters<Merge>) => Connection): FieldPolicy<Connection> {
  const merge = policy.merge as Merge;
  return { ...policy, merge: (existing, incoming, options) => then(merge(existing, incoming, options), existing, incoming, options) };
}

/** `relayStylePagination(keyArgs)` with `then` applied to what its merge answers (`mergedThen`). */
const relayMergedThen = (keyArgs: KeyArgs | undefined, then: Parameters<typeof mergedThen>[1]) => mergedThen(relayStylePagination(keyArgs) as FieldPolicy<Connection>, then);

/**
 * Apollo's `relayStylePagination` (each page fetched with `after` appended), except that the first
 * page read again keeps the pages shown after it. Screens read their first page again after every
 * write and live event (`refetchQueries`), and Apollo's policy then replaced the whole list with
 * it: the member's wallet folded back to its first 50 at each change, taking off screen the offer
 * being shown at the till, and the console's Stores form lost the store an operator had chosen
 * from the second page, so "Add listing" wrote to the first store (break32e).
 *
 * The first page's rows take the place of what was shown up to its last row, found by node; the
 * rows shown after that row stay on screen, but the pages' end (`hasNextPage`, `endCursor`) is the
 * first page's, so the next page is read again: by `useNextPagesWhile` for a list read whole, with
 * "Show older" for a list a member pages, and a next page asked before the refresh and answered
 * after it goes on from the row it was asked after, which is still shown. Each page read replaces
 * the rows kept after its `after` (Apollo's merge). Until then they are as last read (the live feed
 * writes a changed offer's fields into the cache itself, web/src/member/shell.tsx). break32g: with
 * the old end kept, nothing after the first page was ever read again: a store or offer created
 * since never showed, and an offer's description another operator changed was edited from the
 * stale text and written back over theirs. When the first page's last row is not among those
 * shown, or the first page says nothing follows, it replaces the list, as Apollo's does.
 */
export function keptPagination(keyArgs?: KeyArgs): FieldPolicy<Connection> {
  return relayMergedThen(keyArgs, (merged, existing, incoming, options) => {
    const args = options.args ?? {};
    if (!existing?.edges.length || args.after || args.before || !incoming?.edges?.length || incoming.pageInfo?.hasNextPage === false) return merged;
    const read = new Set(incoming.edges.map((edge) => refOf(edge, options.isReference)));
    const last = refOf(incoming.edges[incoming.edges.length - 1], options.isReference);
    const at = last === undefined ? -1 : existing.edges.findIndex((edge) => refOf(edge, options.isReference) === last);
    if (at < 0) return merged;
    const after = existing.edges.slice(at + 1).filter((edge) => !read.has(refOf(edge, options.isReference)));
    if (!after.length) return merged;
    // The end of the pages is the first page's: what follows it is read again (the console's
    // whole lists at once, `useNextPagesWhile`; a member's with "Show older"), and each page read
    // takes the place of the rows kept after its `after` (Apollo's merge), so no row is stale for
    // longer than that read, and rows added since are reached (break32g).
    return { ...merged, edges: [...merged.edges, ...after] };
  });
}

/**
 * `keptPagination`, each node listed once: an edge whose node is already in the list is dropped
 * from a page appended after it (hostile40). For a list ordered by what a row's fields say, as
 * the customer search orders its matches by how they match: a customer shown on the first page
 * whose email or name is edited before the next is read can come again further down, and was
 * listed and counted twice. Its first row stays (its fields, read into the cache, are the new
 * ones). Kept, not Apollo's own policy (search-47): Back from a customer opened on the second page
 * of matches read the first page again, which replaced the list, and the operator was back at the
 * first 30 with the customer they had come from gone from the screen.
 */
export function distinctPagination(keyArgs?: KeyArgs): FieldPolicy<Connection> {
  return mergedThen(keptPagination(keyArgs), (merged, _existing, _incoming, options) => {
    const seen = new Set<string>();
    const edges = merged.edges.filter((edge) => {
      const ref = refOf(edge, options.isReference);
      if (ref === undefined) return true;
      if (seen.has(ref)) return false;
      seen.add(ref);
      return true;
    });
    return edges.length === merged.edges.length ? merged : { ...merged, edges };
  });
}
