/**
 * `make` with its results kept by argument, up to `max` of them: when full, the map is emptied and
 * filled again (no LRU bookkeeping on the hot path). For pure functions of a string or number whose
 * result depends on nothing else, so a kept one may be given to any caller: global ids and cursors
 * (base64url of text that comes back on every page) and item keys (NFKC of a SKU or category,
 * compared for every line and offer). Shape: `(key) => value`; memory at most `max` entries.
 */
export function keptResults<K, V>(make: (key: K) => V, max: number): (key: K) => V {
  const kept = new Map<K, V>();
  return (key) => {
    let value = kept.get(key);
    if (value === undefined) {
      value = make(key);
      if (kept.size >= max) kept.clear();
      kept.set(key, value);
    }
    return value;
  };
}
