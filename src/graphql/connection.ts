import { keptResults } from '../domain/kept-results.js';
import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import type { Page } from '../domain/page.js';
import { badInput } from './errors.js';
import { base64url } from './ids.js';

@ObjectType({ description: 'Where a page of a connection starts and ends (Relay).' })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field()
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface ConnectionShape<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
}

/** Declares `<Name>Connection` and `<Name>Edge` for a node type. */
export function ConnectionType<T extends object>(nodeType: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class EdgeType {
    @Field({ description: 'Opaque; pass as `after` to read the page after this edge.' })
    cursor!: string;

    @Field(() => nodeType)
    node!: T;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionClass {
    @Field(() => [EdgeType])
    edges!: EdgeType[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;
  }
  return ConnectionClass;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: 'How many items, at most the maximum page size (default 20).' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The cursor of the last item of the previous page (an edge\'s `cursor` or `pageInfo.endCursor`, as given); null or absent: the first page.' })
  after?: string | null;
}

export const DEFAULT_PAGE_SIZE = 20;

/** A validated page request (`src/domain/page.ts`), re-exported for the resolvers. */
export type { Page };

/**
 * The kind of row a list pages through, in the order it pages them: every cursor names it, so a
 * cursor is a place in one kind of list only. Lists that page the same rows in the same order
 * share a kind (`rewardStores` and `eligibleRewardStores`; one store's listings and another's,
 * whose cursor names a place in the order, test/stores/shaped-pages-hostile.test.ts).
 */
export type CursorKind = 'RewardStore' | 'Listing' | 'Offer' | 'UnpayableOffer' | 'AuditEntry' | 'IssuedOffer' | 'LedgerEntry' | 'WebhookEndpoint' | 'WebhookDelivery' | 'CustomerSearch';

/** Cursors kept by their JSON text, at most this many (the map is emptied when full). */
const CURSORS_KEPT = 4_096;
const cursorOfJson = keptResults((json: string) => base64url(json), CURSORS_KEPT);

/**
 * A cursor: base64url of the JSON array `[kind, ...key]` (`["LedgerEntry",6]`), opaque to clients.
 * The same rows come back on every page (a store's 20 listings), so each cursor's text is kept by
 * its JSON, up to CURSORS_KEPT (~0.5 MB at most): encoding 20 of them again was ~100k instructions
 * of a page's ~4.3 M under callgrind (bench/README.md, page-23), as global ids were before they
 * were kept (`toGlobalId`). The text depends on nothing but the kind and the key (no caller, no
 * time), so a kept one can be given to any caller.
 */
export function encodeCursor(kind: CursorKind, key: number[]): string {
  return cursorOfJson(JSON.stringify([kind, ...key]));
}

/** The values one part of a cursor's key may take: those of the column it is compared with. */
export interface CursorKeyRange {
  min: number;
  max: number;
}

/** A row id (`bigserial`): positive, and exact in a JS number. */
export const ID_KEY: CursorKeyRange = { min: 1, max: Number.MAX_SAFE_INTEGER };
/** A 32-bit `int` column (e.g. a listing's sort order). */
export const INT4_KEY: CursorKeyRange = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/**
 * Reads a cursor back into its key, each part an integer within its column's range, so a forged
 * cursor is BAD_USER_INPUT here rather than an out-of-range error from PostgreSQL. Only a cursor
 * this list could have issued is taken: it must name the list's kind (a wallet's cursor `[1]` read
 * as a point history's used to page it from entry 1, silently answering an empty or partial
 * history: trial-fixes-4), and the key must encode back to exactly the text sent, since
 * Node's base64url decoder skips characters outside its alphabet (`WzE1XQ!!`, ` WzE1XQ` and
 * `WzE1XQ==` would all read as `WzE1XQ`), and "" is no cursor at all (Relay: cursors are opaque
 * strings the server gave out; ours are never empty).
 */
function decodeCursor(cursor: string, kind: CursorKind, keys: readonly CursorKeyRange[]): number[] {
  try {
    if (cursor.length > 200) throw new Error('too long');
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(parts) || parts[0] !== kind) throw new Error('not this kind of list');
    const key: unknown[] = parts.slice(1);
    if (
      key.length === keys.length &&
      key.every((k, i) => Number.isSafeInteger(k) && (k as number) >= keys[i].min && (k as number) <= keys[i].max) &&
      encodeCursor(kind, key as number[]) === cursor
    ) {
      return key as number[];
    }
  } catch {
    // fall through to the error below
  }
  throw badInput('after is not a cursor of this list', 'after');
}

/**
 * A validated page request of a list of `kind`. `keys` says what each part of the list's sort key
 * may be (default: one row id); `first` is 0 to `maxPageSize`; `after` is null/absent (from the
 * start) or a cursor of this kind of list. Anything else, "" and another kind of list's cursor
 * included, is BAD_USER_INPUT ("after is not a cursor of this list").
 */
export function pageOf(args: PageArgs, maxPageSize: number, kind: CursorKind, keys: readonly CursorKeyRange[] = [ID_KEY]): Page {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > maxPageSize) {
    throw badInput(`first must be between 0 and ${maxPageSize}`, 'first');
  }
  return { kind, limit: first, after: args.after == null ? null : decodeCursor(args.after, kind, keys) };
}

/**
 * A validated page request of a list that belongs to one owner (a customer's wallet or point
 * history, `ownerId` the customer's row id): its cursors are `[kind, id, ownerId]`
 * (`connectionOf(rows, page, (row) => [row.id, ownerId])`), and a cursor of another owner's list is
 * BAD_USER_INPUT ("after is not a cursor of this list") as another kind's is. Before break32 a
 * cursor was `[kind, id]`, so another customer's history cursor given as `after` read as a place in
 * this one: staff paging customer B with customer A's cursor got an empty or partial page and
 * `hasNextPage: false`, no error. A cursor of that older form (given out before the change) is
 * still taken as it was: the page's `after` is then `[id]`; otherwise `[id, ownerId]`; services
 * read the id at `after[0]` either way.
 */
export function ownedPageOf(args: PageArgs, maxPageSize: number, kind: CursorKind, ownerId: number): Page {
  let page: Page;
  try {
    page = pageOf(args, maxPageSize, kind, [ID_KEY, ID_KEY]);
  } catch (error) {
    if (args.after == null) throw error;
    return pageOf(args, maxPageSize, kind);
  }
  if (page.after !== null && page.after[1] !== ownerId) throw badInput('after is not a cursor of this list', 'after');
  return page;
}

/** Builds a connection from up to `limit + 1` rows (the extra row only says there is a next page). */
export function connectionOf<T>(rows: T[], page: Page, keyOf: (row: T) => number[]): ConnectionShape<T> {
  const hasNextPage = rows.length > page.limit;
  const nodes = hasNextPage ? rows.slice(0, page.limit) : rows;
  const kind = page.kind as CursorKind;
  const edges = nodes.map((node) => ({ cursor: encodeCursor(kind, keyOf(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: page.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
