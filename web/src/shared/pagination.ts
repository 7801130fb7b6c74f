/** The apps' cache policy for Relay connections that screens page with "Show older" / "Show more". */
import type { FieldPolicy, Reference } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';

type KeyArgs = Parameters<typeof relayStylePagination>[0];
type Edge = { node?: Reference | null; cursor?: string };
type Connection = { edges: Edge[]; pageInfo?: { hasNextPage?: boolean; endCursor?: string | null } };

/**
 * Apollo's `relayStylePagination` (each page fetched with `after` appended), except that the first
 * page read again keeps the pages shown after it. Screens read their first page again after every
 * write and live event (`refetchQueries`), and Apollo's policy then replaced the whole list with
 * it: the member's wallet folded back to its first 50 at each change, taking off screen the offer
 * being shown at the till, and the console's Stores form lost the store an operator had chosen
 * from the second page, so "Add listing" wrote to the first store (break32e).
 *
 * The first page's rows take the place of what was shown up to its last row, found by node; the
 * rows shown after that row stay, with the pages' end (`hasNextPage`, `endCursor`) as it was, so a
 * next page asked before or after the refresh goes on from the last row shown. Rows shown after
 * it are as last read: the live feed writes a changed offer's fields into the cache itself
 * (web/src/member/shell.tsx). When the first page's last row is not among those shown, or the
 * first page says nothing follows, the first page replaces the list, as Apollo's does.
 */
export function keptPagination(keyArgs?: KeyArgs): FieldPolicy<Connection> {
  const relay = relayStylePagination(keyArgs) as FieldPolicy<Connection>;
  const merge = relay.merge as Exclude<FieldPolicy<Connection>['merge'], boolean | undefined>;
  return {
    ...relay,
    merge(existing, incoming, options) {
      const merged = merge(existing, incoming, options);
      const args = options.args ?? {};
      if (!existing?.edges.length || args.after || args.before || !incoming?.edges?.length || incoming.pageInfo?.hasNextPage === false) return merged;
      const refOf = (edge: Edge) => (edge.node && options.isReference(edge.node) ? edge.node.__ref : undefined);
      const read = new Set(incoming.edges.map(refOf));
      const last = refOf(incoming.edges[incoming.edges.length - 1]);
      const at = last === undefined ? -1 : existing.edges.findIndex((edge) => refOf(edge) === last);
      if (at < 0) return merged;
      const after = existing.edges.slice(at + 1).filter((edge) => !read.has(refOf(edge)));
      if (!after.length) return merged;
      return { ...merged, edges: [...merged.edges, ...after], pageInfo: { ...merged.pageInfo, hasNextPage: existing.pageInfo?.hasNextPage, endCursor: existing.pageInfo?.endCursor } };
    },
  };
}
