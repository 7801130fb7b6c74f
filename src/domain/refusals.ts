/**
 * The domain's own refusals: what a service throws when it understood a request and will not act
 * on it. Source of the codes: the contract's error list (`userErrors[].code`). This module knows
 * nothing of GraphQL; `src/graphql/errors.ts` registers `UserErrorCode` as a GraphQL enum and maps
 * a `UserErrorException` to a `userErrors` entry (`payloadOf`).
 */

/** Stable codes of business refusals, returned in `userErrors` (the contract's list). */
export enum UserErrorCode {
  INSUFFICIENT_POINTS = 'INSUFFICIENT_POINTS',
  OUT_OF_STOCK = 'OUT_OF_STOCK',
  LIMIT_REACHED = 'LIMIT_REACHED',
  NOT_ELIGIBLE = 'NOT_ELIGIBLE',
  OFFER_UNAVAILABLE = 'OFFER_UNAVAILABLE',
  OFFER_NOT_REDEEMABLE = 'OFFER_NOT_REDEEMABLE',
  LOCK_HELD = 'LOCK_HELD',
  LOCK_NOT_HELD = 'LOCK_NOT_HELD',
  ALREADY_REVERSED = 'ALREADY_REVERSED',
  NOT_FOUND = 'NOT_FOUND',
  INVALID = 'INVALID',
  CAP_REACHED = 'CAP_REACHED',
  ALREADY_EXISTS = 'ALREADY_EXISTS',
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
  /** The offer's conditions (SKUs, categories, channels, amount) do not match the basket; it stays usable. */
  OFFER_NOT_APPLICABLE = 'OFFER_NOT_APPLICABLE',
  /** A webhook URL names an internal address (private, loopback, link-local, …): the gateway sends only to public ones. */
  DESTINATION_NOT_ALLOWED = 'DESTINATION_NOT_ALLOWED',
  /**
   * An edit made from a version that is no longer current (`expectedVersion` of `updateOffer`,
   * `setEconomyRule`, `setActivityRule`):
   * another edit came first, and writing this one would put back what it changed. Read again, edit again.
   */
  VERSION_CONFLICT = 'VERSION_CONFLICT',
  /**
   * A purchase sent with the price its member was shown (`expectedPriceInPoints`) while the listing
   * now costs another (an operator's updateListing in between: hostile39c): nothing is spent; show
   * the new price and ask again.
   */
  PRICE_CHANGED = 'PRICE_CHANGED',
}

/**
 * Thrown inside a service's transaction to roll it back and answer with a `userErrors` entry:
 * `code`, a message for the user, and `field`, the path to the input field it is about (if any).
 * Resolvers turn it into a payload (see `payloadOf` in `src/graphql/errors.ts`).
 */
export class UserErrorException extends Error {
  constructor(
    readonly code: UserErrorCode,
    message: string,
    readonly field?: string[],
  ) {
    super(message);
  }
}

/**
 * Thrown inside a write when the request's credential no longer stands: a partner's API key
 * revoked while the request ran (after it was authenticated), or a signed-in customer whose row
 * the write's own statement found missing or CLOSED (a purchase settling the check authentication
 * left to it, CustomerCheck). The write rolls back (or wrote nothing), and the GraphQL layer
 * answers UNAUTHENTICATED with `message` (HTTP 401), as authentication does for that credential.
 */
export class CredentialRevoked extends Error {
  constructor(message = 'Unknown or revoked API key.') {
    super(message);
  }
}

/** A refusal to throw: `throw refuse(UserErrorCode.NOT_FOUND, 'No such offer.', ['offerId'])`. */
export const refuse = (code: UserErrorCode, message: string, field?: string[]) => new UserErrorException(code, message, field);
