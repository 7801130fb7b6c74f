/** The audit log's details in words (the console's Audit log, web/src/console/audit.tsx Details). */

/**
 * One value of an entry's details in words: text as it is, "none" for null, a list of plain
 * values joined ("sale.processed, offer.issued"), a change recorded as `{ before, after }` as
 * "before → after", an object as its `name: value` pairs; anything deeper as its JSON.
 */
export function detailText(value: unknown, depth = 0): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.every((v) => v === null || typeof v !== 'object') ? value.map((v) => detailText(v)).join(', ') : JSON.stringify(value);
  const entries = Object.entries(value);
  const keys = entries.map(([k]) => k).sort().join();
  if (keys === 'after,before' && depth === 0) return `${detailText((value as { before: unknown }).before, 1)} → ${detailText((value as { after: unknown }).after, 1)}`;
  if (depth > 0) return JSON.stringify(value);
  return entries.map(([k, v]) => `${k}: ${detailText(v, depth + 1)}`).join(', ');
}
