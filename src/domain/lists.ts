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
