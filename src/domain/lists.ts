/**
 * The first item of `list` whose key an earlier item already had, as both positions (0-based), or
 * null when every key is different. `keyOf` says when two items are the same thing (default: the
 * item itself, compared as a `Map` key, so strings and numbers by value).
 */
export function firstDuplicate<T>(list: readonly T[], keyOf: (item: T) => unknown = (item) => item): { first: number; again: number } | null {
  const seen = new Map<unknown, number>();
  for (let i = 0; i < list.length; i++) {
    const key = keyOf(list[i]);
    const first = seen.get(key);
    if (first !== undefined) return { first, again: i };
    seen.set(key, i);
  }
  return null;
}

/**
 * A list that means a set (a store's or campaign's tiers and segments, SKUs, categories, channels,
 * days of the week, a partner's scopes, an endpoint's event types) in one order: sorted by UTF-16
 * code unit, a new array. For fingerprints and comparisons, so `[GOLD, SILVER]` and
 * `[SILVER, GOLD]` are one request and no edit (noticed-40). Duplicates are kept (the inputs refuse
 * them before this is reached).
 */
export function setOrder<T extends string | number>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Whether two lists that mean sets hold the same members, in any order (see setOrder). */
export function sameSet<T extends string | number>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  const x = setOrder(a);
  const y = setOrder(b);
  return x.every((item, i) => item === y[i]);
}
