import { getArgumentValues, isObjectType, Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
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
  if (!isObjectType(storeType)) return undefined;
  const listingsField = storeType.getFields().listings;
  const find = (selectionSet: SelectionSetNode | undefined, onStore: boolean, depth: number): Page | null | undefined => {
    if (!selectionSet || depth > 8) return undefined;
    for (const selection of selectionSet.selections) {
      if (selection.directives?.length) return null;
      if (selection.kind === Kind.FIELD) {
        if (!onStore || selection.name.value !== 'listings') continue;
        try {
          return pageOf(getArgumentValues(listingsField, selection, info.variableValues) as PageArgs, maxPageSize, [INT4_KEY, ID_KEY]);
        } catch {
          return null;
        }
      }
      const condition = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition : info.fragments[selection.name.value]?.typeCondition;
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : info.fragments[selection.name.value];
      if (!fragment) continue;
      const found = find(fragment.selectionSet, condition ? condition.name.value === STORE_TYPE : onStore, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  for (const node of info.fieldNodes) {
    if (node.directives?.length) return undefined;
    const found = find(node.selectionSet, info.returnType.toString() === STORE_TYPE, 0);
    if (found !== undefined) return found ?? undefined;
  }
  return undefined;
}

/**
 * RewardStore `storeId` for `node(id:)`: when the caller is a customer and the selection asks for
 * a page of its listings, the store and that page in one statement (`storeWithListingsPage`), the
 * page kept for `RewardStore.listings` (Loaders.listingPages) and the store for the `store`
 * loader; otherwise the `store` loader alone, as before. Null when the store is unknown or not
 * open to the caller.
 */
export async function storeForNode(ctx: RequestCtx, storeId: number, info: GraphQLResolveInfo | undefined): Promise<StoreRow | undefined> {
  const viewer = ctx.loaders.viewer;
  const page = viewer && info ? listingsPageAsked(info, ctx.config.maxPageSize) : undefined;
  if (!viewer || !page) return ctx.loaders.store.load(storeId);
  const read = await storeWithListingsPage(ctx.em, storeId, viewer, ctx.clock.now(), page);
  if (!read) return undefined;
  ctx.loaders.store.prime(storeId, read.store);
  ctx.loaders.listingPages.set(listingsPageKey(storeId, viewer.customerId, page), read.listings);
  return read.store;
}
