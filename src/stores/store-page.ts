import { getArgumentValues, isObjectType, Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { ID_KEY, INT4_KEY, pageOf, type Page, type PageArgs } from '../graphql/connection.js';
import type { RequestCtx } from '../graphql/context.js';
import { listingsPageKey } from '../graphql/loaders.js';
import { storeWithListingsPage, type StoreRow } from './store.service.js';

const STORE_TYPE = 'RewardStore';

/**
 * The page of `listings` that the selection of a field returning a RewardStore (`node(id:)`) asks
 * for, read from the operation: the first `listings` field under `... on RewardStore` (inline or
 * a named fragment, nested fragments too), its `first` and `after` from the field's arguments and
 * the operation's variables, checked as the listings resolver checks them (`pageOf`).
 * Undefined when the selection has no such field, when any fragment or field on the way carries a
 * directive (@include/@skip: whether it runs is left to execution), or when the arguments are not
 * a valid page (the resolver then reads the store alone and answers the error as before).
 *
 * Only a guess at what the resolver will ask for: the page read with it is keyed by store,
 * viewer, size and cursor (listingsPageKey), so a wrong guess costs a statement, never a wrong page.
 */
export function listingsPageAsked(info: GraphQLResolveInfo, maxPageSize: number): Page | undefined {
  const storeType = info.schema.getType(STORE_TYPE);
  if (!isObjectType(storeType) || info.fieldNodes.length !== 1) return undefined;
  const field = info.fieldNodes[0];
  // Which field that is depends on the document only: found once per parsed document (Apollo and
  // the compiled path keep the same AST for the same document), its arguments read per request.
  let listings = listingsFields.get(field);
  if (listings === undefined) listingsFields.set(field, (listings = listingsFieldOf(field, info.fragments)));
  if (!listings) return undefined;
  try {
    return pageOf(getArgumentValues(storeType.getFields().listings, listings, info.variableValues) as PageArgs, maxPageSize, 'Listing', [INT4_KEY, ID_KEY]);
  } catch {
    return undefined;
  }
}

const listingsFields = new WeakMap<FieldNode, FieldNode | null>();

/** The first `listings` field on a RewardStore in `field`'s selection; null when there is none or a directive is on the way. */
function listingsFieldOf(field: FieldNode, fragments: GraphQLResolveInfo['fragments']): FieldNode | null {
  const find = (selectionSet: SelectionSetNode | undefined, onStore: boolean, depth: number): FieldNode | null | undefined => {
    if (!selectionSet || depth > 8) return undefined;
    for (const selection of selectionSet.selections) {
      if (selection.directives?.length) return null;
      if (selection.kind === Kind.FIELD) {
        if (onStore && selection.name.value === 'listings') return selection;
        continue;
      }
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments[selection.name.value];
      if (!fragment) continue;
      const found = find(fragment.selectionSet, fragment.typeCondition ? fragment.typeCondition.name.value === STORE_TYPE : onStore, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  if (field.directives?.length) return null;
  return find(field.selectionSet, false, 0) ?? null;
}

/**
 * RewardStore `storeId` for `node(id:)`: when the caller is a customer and the selection asks for
 * a page of its listings, the store and that page in one statement (`storeWithListingsPage`), the
 * page kept for `RewardStore.listings` (Loaders.listingPages) and the store for the `store`
 * loader; otherwise the `store` loader alone, as before. Null when the store is unknown or not
 * open to the caller. The statement also says whether the customer is active, which settles the
 * request's `customerCheck` (CustomerCheck) when authentication left it pending.
 */
export async function storeForNode(ctx: RequestCtx, storeId: number, info: GraphQLResolveInfo | undefined): Promise<StoreRow | undefined> {
  const viewer = ctx.loaders.viewer;
  const page = viewer && info && ctx.caller.kind === 'customer' ? listingsPageAsked(info, ctx.config.maxPageSize) : undefined;
  if (!viewer || !page || ctx.caller.kind !== 'customer') return ctx.loaders.store.load(storeId);
  const read = await storeWithListingsPage(ctx.em, storeId, viewer, ctx.caller.externalId, ctx.clock.now(), page);
  // The statement read the viewer's row: it settles a check authentication left to the request.
  ctx.customerCheck?.observe(read.viewerActive);
  if (!read.store) return undefined;
  ctx.loaders.store.prime(storeId, read.store);
  ctx.loaders.listingPages.set(listingsPageKey(storeId, viewer.customerId, page), read.listings);
  return read.store;
}
