/** SQLSTATE of `raise_refusal` (Migration20261130170000). */
const REFUSAL_SQLSTATE = 'RG001';

/**
 * The reason (and detail, '' when none) a statement gave `raise_refusal` when it decided not to
 * write: its error rolled back the statement's transaction. Null for any other error, which the
 * caller rethrows.
 */
export function statementRefusal(error: unknown): { reason: string; detail: string } | null {
  if (typeof error !== 'object' || error === null || (error as { code?: unknown }).code !== REFUSAL_SQLSTATE) return null;
  const { message, detail } = error as { message: string; detail?: string };
  return { reason: message, detail: detail ?? '' };
}
