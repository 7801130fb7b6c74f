/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** Things a customer does, besides buying, that earn points. */
export type ActivityKind =
  | 'BIRTHDAY'
  | 'EVENT_CHECK_IN'
  | 'REFERRAL'
  | 'REVIEW'
  | 'SIGN_UP'
  | 'SOCIAL_SHARE'
  | 'SURVEY';

export type AddListingInput = {
  /** Optional: send one (1 to 200 characters, yours alone) to make a resend after a lost answer safe: the same key with the same input answers the same listing and creates nothing; with other input it is IDEMPOTENCY_KEY_REUSED. Absent: each call creates. */
  idempotencyKey?: string | null | undefined;
  offerId: string | number;
  perCustomerLimit?: number | null | undefined;
  priceInPoints: number;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
  sortOrder?: number | null | undefined;
  /** Null: unlimited. */
  stock?: number | null | undefined;
  storeId: string | number;
  visibleFrom?: string | null | undefined;
  visibleUntil?: string | null | undefined;
};

export type AdjustPointsInput = {
  /** Signed: positive credits, negative debits. */
  amount: number;
  currency: string;
  customerExternalId: string;
  idempotencyKey: string;
  /** Whether the adjustment counts towards lifetime points and tiers. Unset: a positive adjustment counts, a negative one does not. */
  qualifying?: boolean | null | undefined;
  reason: string;
};

export type CampaignConditionsInput = {
  /** Each category once (compared case, spacing and invisible characters aside). */
  categories?: Array<string> | null | undefined;
  /** Each channel once (compared case, spacing and invisible characters aside). */
  channels?: Array<string> | null | undefined;
  /** ISO days: 1 = Monday … 7 = Sunday, each once. The day at the till that sold: the date of the sale's occurredAt at the UTC offset it was written with (2026-12-02T08:00:00+09:00 is a Wednesday, though it is Tuesday 23:00 UTC; written with Z, the UTC day). */
  daysOfWeek?: Array<number> | null | undefined;
  /** true: only a customer's first sale earns from it (no earlier processed sale). A returned first sale makes the next one the first, unless the customer kept this campaign's offer from it (redeemed before the return): then it has awarded that customer once already. */
  firstPurchase?: boolean | null | undefined;
  /** In the money of the campaign's point currency (its moneyCurrency), at most 12 digits and 4 decimals, sent as a string: met when what the customer paid (after discounts) reaches it, rounded up to the money's ISO 4217 unit ("1000.50" of JPY needs ¥1001; "2.625" of KWD is 2625 fils). "0" is met by every sale, as null. */
  minSpend?: string | null | undefined;
  /** Customer segments, each once (as the customer carries them: compared exactly, so no invisible characters and no white space but single inner spaces). */
  segments?: Array<string> | null | undefined;
  /** Each SKU once (compared case, spacing and invisible characters aside). */
  skus?: Array<string> | null | undefined;
  /** Codes of tiers the ladder has (capitals, digits, _), each once; a code no tier has is NOT_FOUND. Matched exactly: a higher tier is not included (list each tier meant). */
  tiers?: Array<string> | null | undefined;
};

export type CampaignLimitsInput = {
  budgetPoints?: number | null | undefined;
  /** How many of one customer's sales may earn from it. A returned sale gives its share back, unless the customer kept the campaign's offer from it (redeemed before the return). */
  perCustomer?: number | null | undefined;
};

export type CampaignOutcomeInput = {
  bonusPoints?: number | null | undefined;
  /** Multiplies the sale's economy rule points, the customer's tier multiplier already in them (2: double points: a GOLD ×1.5 member's 64 economy points become 96, and the campaign adds 96 more). */
  multiplier?: number | null | undefined;
  offerId?: string | number | null | undefined;
};

export type CategoryMultiplierInput = {
  category: string;
  /** Multiplies the economy rule's points of the category's lines: 0 to 100; 0: the category earns nothing. */
  multiplier: number;
};

export type CreateCampaignInput = {
  conditions?: CampaignConditionsInput | null | undefined;
  currency: string;
  /** The end of the window, not in it: a sale made at this instant or later does not earn. */
  endsAt: string;
  /** Optional: send one (1 to 200 characters, yours alone) to make a resend after a lost answer safe: the same key with the same input answers the same campaign and creates nothing; with other input it is IDEMPOTENCY_KEY_REUSED. Absent: each call creates. */
  idempotencyKey?: string | null | undefined;
  limits?: CampaignLimitsInput | null | undefined;
  name: string;
  outcome?: CampaignOutcomeInput | null | undefined;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
  /** The first instant of the window: a sale made at it earns (a sale's moment is its occurredAt, or when it reached the gateway if that is earlier). */
  startsAt: string;
};

export type CreateGiftListInput = {
  currency: string;
  /** Optional: send one (1 to 200 characters, yours alone) to make a resend after a lost answer safe: the same key with the same input answers the same gift list and creates nothing; with other input it is IDEMPOTENCY_KEY_REUSED. Absent: each call creates. */
  idempotencyKey?: string | null | undefined;
  /** Claims each customer may make; null: no limit. */
  maxClaims?: number | null | undefined;
  name: string;
  /** The offers to pick from, in the order they are shown. */
  offerIds: Array<string | number>;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
  threshold: number;
};

export type CreateOfferInput = {
  benefit: OfferBenefitInput;
  /** Each channel once (case, spacing and invisible characters aside); empty or null: every channel. */
  channels?: Array<string> | null | undefined;
  /** Null: none (on an update, clears it). When given, not blank (white space or invisible characters only). */
  description?: string | null | undefined;
  /** Optional: send one (1 to 200 characters, yours alone) to make a resend after a lost answer safe: the same key with the same input answers the same offer and creates nothing; with other input it is IDEMPOTENCY_KEY_REUSED. Absent: each call creates. */
  idempotencyKey?: string | null | undefined;
  imageUrl?: string | null | undefined;
  name: string;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
  /** Null: none (on an update, clears it). When given, not blank (white space or invisible characters only). */
  terms?: string | null | undefined;
  validDays?: number | null | undefined;
  validUntil?: string | null | undefined;
};

export type CreatePartnerInput = {
  /** Optional: send one (1 to 200 characters, yours alone) to make a resend after a lost answer safe: the same key with the same input answers the same partner (without its API key: see apiKeyWithheld) and creates nothing; with other input it is IDEMPOTENCY_KEY_REUSED. Absent: each call creates. */
  idempotencyKey?: string | null | undefined;
  name: string;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
  scopes: Array<string>;
};

export type CreateRewardStoreInput = {
  code: string;
  currency: string;
  eligibility?: StoreEligibilityInput | null | undefined;
  endsAt?: string | null | undefined;
  name: string;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
  startsAt?: string | null | undefined;
};

export type CreateTierInput = {
  code: string;
  currency: string;
  /** true: nothing is written; the answer says how many customers the tier would move now (customersMoved, moves), tier null. Refusals are the same as for the real request. It reads at one moment and locks nothing, so sales and tier placements go on meanwhile. A request already made (its code taken with the same input) answers as its repeat: the first answer. */
  dryRun?: boolean | null | undefined;
  multiplier?: number | null | undefined;
  name: string;
  rank: number;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
  threshold: number;
  windowDays?: number | null | undefined;
};

export type CustomerStatus =
  | 'ACTIVE'
  | 'CLOSED'
  | 'SUSPENDED';

export type EnableWebhookEndpointInput = {
  /** A removed endpoint (an endpoint not removed is answered as it is). */
  endpointId: string | number;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
};

export type EndCampaignInput = {
  campaignId: string | number;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
};

export type IssuedOfferSource =
  | 'CAMPAIGN'
  | 'GIFT'
  | 'PURCHASE'
  | 'STAFF';

export type IssuedOfferStatus =
  | 'EXPIRED'
  | 'ISSUED'
  | 'LOCKED'
  | 'REDEEMED'
  | 'VOIDED';

export type LedgerEntryKind =
  | 'ADJUST'
  | 'EARN'
  | 'EXPIRE'
  | 'REVERSAL'
  | 'SPEND';

export type LedgerSource =
  | 'ACTIVITY'
  | 'CAMPAIGN'
  | 'EXPIRY'
  | 'GIFT'
  | 'PURCHASE'
  | 'SEED'
  | 'STAFF'
  | 'TRANSACTION';

export type OfferBenefitInput = {
  /** AMOUNT_OFF: money taken off the sale, above 0 ("2.00" EUR, "0.125" KWD, "200" JPY). An offer names no money: the amount is in the money of the program it is put in (the moneyCurrency of the store's, gift list's or campaign's point currency), and a sale in another money cannot use it (OFFER_NOT_APPLICABLE). At most 12 digits and 4 decimals, sent as a string; an amount finer than that money's ISO 4217 decimals ("2.50" where the money is JPY) is refused INVALID where the offer is listed, put in a gift list or campaign, or updated while one offers it. */
  amountOff?: string | null | undefined;
  /** Each category once (compared as the till compares them: case, spacing and invisible characters aside). */
  categories?: Array<string> | null | undefined;
  freeSku?: string | null | undefined;
  kind: OfferBenefitKind;
  /** The most the offer takes off a sale, whatever its kind, above 0. An offer names no money: the amount is in the money of the program it is put in (the moneyCurrency of the store's, gift list's or campaign's point currency), and a sale in another money cannot use it (OFFER_NOT_APPLICABLE). At most 12 digits and 4 decimals, sent as a string; an amount finer than that money's ISO 4217 decimals ("2.50" where the money is JPY) is refused INVALID where the offer is listed, put in a gift list or campaign, or updated while one offers it. */
  maxDiscount?: string | null | undefined;
  percentOff?: number | null | undefined;
  /** Each SKU once (compared as the till compares them: case, spacing and invisible characters aside). */
  skus?: Array<string> | null | undefined;
};

export type OfferBenefitKind =
  | 'AMOUNT_OFF'
  | 'FREE_ITEM'
  | 'PERCENT_OFF';

export type RegisterPersistedOperationsInput = {
  /** A partner id, or a first-party client name such as `mobile`, `web` or `console` (what its apollographql-client-name header says). */
  client: string;
  /** An Apollo persisted query manifest: { format: "apollo-persisted-query-manifest", version: 1, operations: [{ id, name, type, body }] }, id the SHA-256 of body. */
  manifest: unknown;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
};

export type RegisterWebhookEndpointInput = {
  /** Null or absent: none; when given, not blank. */
  description?: string | null | undefined;
  eventTypes: Array<WebhookEventType>;
  /** Optional: send one (1 to 200 characters, yours alone) to make a resend after a lost answer safe: the same key with the same input answers the same endpoint (without its secret: see secretWithheld) and creates nothing; with other input it is IDEMPOTENCY_KEY_REUSED. Absent: each call creates. */
  idempotencyKey?: string | null | undefined;
  /** Operators: register it for this partner (default: the program). Ignored for an API key (always its own). */
  partnerId?: string | number | null | undefined;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
  /** https:// (http:// only to localhost where WEBHOOK_ALLOW_HTTP_LOCALHOST is on); no credentials in it. */
  url: string;
};

export type RemoveListingInput = {
  listingId: string | number;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
};

export type RemoveWebhookEndpointInput = {
  endpointId: string | number;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
};

export type ReplayFailedWebhookDeliveriesInput = {
  /** The endpoint whose FAILED deliveries are sent again (not a removed one). */
  endpointId: string | number;
  /** Yours alone: the same key and endpoint again answer the first count and replay nothing more; with another endpoint it is IDEMPOTENCY_KEY_REUSED. */
  idempotencyKey: string;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
};

export type ReplayWebhookDeliveryInput = {
  deliveryId: string | number;
  /** Optional, yours alone: the same key and delivery again answer the delivery as it is now and send nothing more (a resend after a lost answer does not send, again, a delivery the first replay sent); with another delivery it is IDEMPOTENCY_KEY_REUSED. Absent: each call replays. */
  idempotencyKey?: string | null | undefined;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
};

export type RetryWebhookDeliveriesNowInput = {
  /** The endpoint whose deliveries being retried are sent now (not a removed one, nor a revoked partner's). */
  endpointId: string | number;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
};

export type RevokePartnerInput = {
  partnerId: string | number;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
};

/** How fractional points earned are rounded. */
export type Rounding =
  | 'CEIL'
  | 'FLOOR'
  | 'ROUND';

export type SetActivityRuleInput = {
  /** false switches the rule off. */
  active?: boolean | null | undefined;
  /** At most this many awards per period; null: no cap. */
  capPerPeriod?: number | null | undefined;
  currency: string;
  /** The version of the rule this set was made from (its `version` as read), 0 when made while the currency had no rule of this kind. When the rule is at another version, nothing is written and the answer is VERSION_CONFLICT naming the current one, so a set from a stale read (an operator switching back on a rule another switched off) cannot put back what another set changed. Null or absent: the set replaces whatever rule is current (the last set wins). */
  expectedVersion?: number | null | undefined;
  kind: ActivityKind;
  /** The cap counts the last N days; null: for life. Needs capPerPeriod. */
  periodDays?: number | null | undefined;
  points: number;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
};

export type SetEconomyRuleInput = {
  /** One multiplier per category (compared case, spacing and invisible characters aside). */
  categoryMultipliers?: Array<CategoryMultiplierInput> | null | undefined;
  currency: string;
  /** Each SKU once (compared case, spacing and invisible characters aside). */
  excludedSkus?: Array<string> | null | undefined;
  /** The version of the rule this set was made from (its `version` as read), 0 when made while the currency had no rule. When the rule is at another version, nothing is written and the answer is VERSION_CONFLICT naming the current one, so a set from a stale read cannot put back what another set changed. Null or absent: the set replaces whatever rule is current (the last set wins). */
  expectedVersion?: number | null | undefined;
  /** Days a sale's points wait before they can be spent, counted from when the sale happened (default 0). */
  pendingDays?: number | null | undefined;
  /** Points per whole unit of money paid, after discounts (per euro, not per cent; per dinar of 1000 fils; per yen): at most 8 digits and 6 decimals, sent as a string (0.00001 is one point per 100,000, as programs in VND or IDR count). Earning is exact at any scale; rounding says how it becomes whole points. "0" turns earning from sales off for the currency (a rule cannot be removed): sales then earn only campaigns' bonus points, and a campaign multiplier adds nothing to 0. */
  pointsPerUnit: string;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
  rounding?: Rounding | null | undefined;
};

export type StoreEligibilityInput = {
  minBalance?: number | null | undefined;
  minLifetimePoints?: number | null | undefined;
  /** Customer segments, each once (as the customer carries them: compared exactly, so no invisible characters and no white space but single inner spaces). */
  segments?: Array<string> | null | undefined;
  /** Codes of tiers the ladder has (capitals, digits, _), each once; a code no tier has is NOT_FOUND. Matched exactly: a higher tier is not included (list each tier meant). */
  tiers?: Array<string> | null | undefined;
};

/** A reward store (its eligibility's tiers) or a campaign (its conditions' tiers). */
export type TierListHolder =
  | 'CAMPAIGN'
  | 'STORE';

/** What holds an offer no till can apply: a store listing, a gift list option or a campaign award (remedy: edit the offer to an amount of the money, or remove the listing), or a customer's live wallet item (remedy: issueReplacementOffer with unusable: true). */
export type UnpayableOfferHolder =
  | 'CAMPAIGN'
  | 'GIFT_LIST'
  | 'ISSUED_OFFER'
  | 'LISTING';

/** An edit of a listing: each field left out (or null, where null does not say otherwise) keeps what is stored. Its offer and store cannot change. */
export type UpdateListingInput = {
  /** The version this edit was made from (the `version` read with the listing). When the listing has moved on since, nothing is written and the answer is VERSION_CONFLICT naming the current version. Null or absent: the edit applies to whatever version is current (the last edit wins). */
  expectedVersion?: number | null | undefined;
  /** Optional: send one (1 to 200 characters, yours alone) to make a resend after a lost answer safe: the same key with the same input answers the same listing and creates nothing; with other input it is IDEMPOTENCY_KEY_REUSED. Absent: each call creates. */
  idempotencyKey?: string | null | undefined;
  listingId: string | number;
  /** Absent: unchanged; null: no limit. Counts what each customer bought of this listing already. */
  perCustomerLimit?: number | null | undefined;
  /** The price from now on, in points. Purchases made before keep what they paid. */
  priceInPoints?: number | null | undefined;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
  sortOrder?: number | null | undefined;
  /** The stock in all, those sold included: the stock left moves by as much (20 of 50 left, 80 in all leaves 50). INVALID below what was sold. A listing with unlimited stock stays unlimited and one with a stock keeps one (null is refused there): list the offer again to change that. */
  stock?: number | null | undefined;
  /** Absent: unchanged; null: shown from the start. */
  visibleFrom?: string | null | undefined;
  /** Absent: unchanged; null: no end. */
  visibleUntil?: string | null | undefined;
};

export type UpdateOfferInput = {
  benefit?: OfferBenefitInput | null | undefined;
  /** Each channel once (case, spacing and invisible characters aside); empty or null: every channel. */
  channels?: Array<string> | null | undefined;
  /** Null: none (on an update, clears it). When given, not blank (white space or invisible characters only). */
  description?: string | null | undefined;
  /** The version this edit was made from (the `version` read with the texts it changes). When the offer has moved on since, nothing is written and the answer is VERSION_CONFLICT naming the current version, so an edit from a stale read cannot put back what another edit changed. Null or absent: the edit applies to whatever version is current (the last edit wins). */
  expectedVersion?: number | null | undefined;
  /** Optional: send one (1 to 200 characters, yours alone) to make a resend after a lost answer safe: the same key with the same input answers the same version and creates nothing; with other input it is IDEMPOTENCY_KEY_REUSED. Absent: each call creates. */
  idempotencyKey?: string | null | undefined;
  imageUrl?: string | null | undefined;
  name?: string | null | undefined;
  offerId: string | number;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
  /** Null: none (on an update, clears it). When given, not blank (white space or invisible characters only). */
  terms?: string | null | undefined;
  validDays?: number | null | undefined;
  validUntil?: string | null | undefined;
};

/** An edit of a store: each field left out keeps what is stored. Its code and currency cannot change (its listings are priced in the currency). */
export type UpdateRewardStoreInput = {
  /** true: everything is checked, nothing is written; the answer shows the store as it is and what the edit would change (accessLost, accessGained). */
  dryRun?: boolean | null | undefined;
  /** Who may shop in it from now on, replacing every rule: a rule left out (or null) is no longer set, so `{}` opens it to everyone. Null or absent: unchanged. Offers already bought stay in their wallets; a customer who no longer qualifies cannot buy here or see the store. */
  eligibility?: StoreEligibilityInput | null | undefined;
  /** Absent: unchanged; null: no end. */
  endsAt?: string | null | undefined;
  /** The version this edit was made from (the `version` read with the store). When the store has moved on since, nothing is written and the answer is VERSION_CONFLICT naming the current version, so an edit from a stale read cannot put back what another edit changed. Null or absent: the edit applies to whatever version is current (the last edit wins). */
  expectedVersion?: number | null | undefined;
  /** Optional: send one (1 to 200 characters, yours alone) to make a resend after a lost answer safe: the same key with the same input answers the same store and creates nothing; with other input it is IDEMPOTENCY_KEY_REUSED. Absent: each call creates. */
  idempotencyKey?: string | null | undefined;
  /** Null or absent: unchanged. */
  name?: string | null | undefined;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
  /** Absent: unchanged; null: open from the start. */
  startsAt?: string | null | undefined;
  storeId: string | number;
};

/** Why a mutation refused to act. */
export type UserErrorCode =
  | 'ALREADY_EXISTS'
  | 'ALREADY_REVERSED'
  | 'CAP_REACHED'
  | 'DESTINATION_NOT_ALLOWED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'INSUFFICIENT_POINTS'
  | 'INVALID'
  | 'LIMIT_REACHED'
  | 'LOCK_HELD'
  | 'LOCK_NOT_HELD'
  | 'NOT_ELIGIBLE'
  | 'NOT_FOUND'
  | 'OFFER_NOT_APPLICABLE'
  | 'OFFER_NOT_REDEEMABLE'
  | 'OFFER_UNAVAILABLE'
  | 'OUT_OF_STOCK'
  | 'PRICE_CHANGED'
  | 'VERSION_CONFLICT';

/** PENDING until a 2xx (DELIVERED) or the last attempt (FAILED). */
export type WebhookDeliveryStatus =
  | 'DELIVERED'
  | 'FAILED'
  | 'PENDING';

/** What an endpoint is sent; the message `type` is given per value. */
export type WebhookEventType =
  /** `balance.changed`: a point balance changed (a partner: with customers:read). */
  | 'BALANCE_CHANGED'
  /** `offer.issued`: an offer landed in a wallet (the program's endpoints only). */
  | 'OFFER_ISSUED'
  /** `offer.redeemed`: an offer was redeemed (the program's endpoints only). */
  | 'OFFER_REDEEMED'
  /** `sale.processed`: a sale was processed (a partner: its own sales only, with transactions:read). */
  | 'SALE_PROCESSED'
  /** `sale.reversed`: a sale was returned (reverseTransaction), with the points taken back (a partner: its own sales only, with transactions:read). */
  | 'SALE_REVERSED'
  /** `tier.changed`: a customer moved tier (a partner: with customers:read). */
  | 'TIER_CHANGED';

export type ConsoleCustomerQueryVariables = Exact<{
  externalId: string;
}>;


export type ConsoleCustomerQuery = { __typename: 'Query', customer: { __typename: 'Customer', id: string, externalId: string, name: string | null, email: string | null, status: CustomerStatus, segments: Array<string>, createdAt: string, statusChange: { __typename: 'AuditEntry', id: string, actor: string, reason: string | null, at: string } | null, tier: { __typename: 'Tier', id: string, code: string, name: string, currency: { __typename: 'PointCurrency', code: string } } | null, nextTier: { __typename: 'NextTier', code: string, name: string, pointsNeeded: number, currency: { __typename: 'PointCurrency', code: string } } | null, balances: Array<{ __typename: 'PointBalance', available: number, pending: number, lifetimeEarned: number, currency: { __typename: 'PointCurrency', code: string }, expiringSoon: Array<{ __typename: 'ExpiringPoints', amount: number, expiresAt: string }> }> } | null };

export type ConsoleCustomerSearchQueryVariables = Exact<{
  search: string;
  after?: string | null | undefined;
}>;


export type ConsoleCustomerSearchQuery = { __typename: 'Query', customers: { __typename: 'CustomerConnection', edges: Array<{ __typename: 'CustomerEdge', cursor: string, node: { __typename: 'Customer', id: string, externalId: string, name: string | null, email: string | null, status: CustomerStatus, tier: { __typename: 'Tier', id: string, name: string } | null } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type ConsoleCustomerHistoryQueryVariables = Exact<{
  externalId: string;
  after?: string | null | undefined;
}>;


export type ConsoleCustomerHistoryQuery = { __typename: 'Query', customer: { __typename: 'Customer', id: string, pointHistory: { __typename: 'LedgerEntryConnection', edges: Array<{ __typename: 'LedgerEntryEdge', cursor: string, node: { __typename: 'LedgerEntry', id: string, amount: number, kind: LedgerEntryKind, source: LedgerSource, reason: string | null, description: string, balanceAfter: number, createdAt: string, currency: { __typename: 'PointCurrency', code: string } } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } } | null };

export type ConsoleCustomerWalletQueryVariables = Exact<{
  externalId: string;
  after?: string | null | undefined;
}>;


export type ConsoleCustomerWalletQuery = { __typename: 'Query', customer: { __typename: 'Customer', id: string, wallet: { __typename: 'IssuedOfferConnection', edges: Array<{ __typename: 'IssuedOfferEdge', cursor: string, node: { __typename: 'IssuedOffer', id: string, code: string, status: IssuedOfferStatus, source: IssuedOfferSource, expiresAt: string | null, redeemedAt: string | null, createdAt: string, offer: { __typename: 'Offer', id: string, name: string, version: number } } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } } | null };

export type ConsoleAdjustPointsMutationVariables = Exact<{
  input: AdjustPointsInput;
}>;


export type ConsoleAdjustPointsMutation = { __typename: 'Mutation', adjustPoints: { __typename: 'AdjustPointsPayload', entry: { __typename: 'LedgerEntry', id: string, amount: number, balanceAfter: number, reason: string | null, createdAt: string } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleCurrenciesQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleCurrenciesQuery = { __typename: 'Query', currencies: Array<{ __typename: 'PointCurrency', code: string, name: string, expiryDays: number | null, pointValue: string, moneyCurrency: string }>, tiers: Array<{ __typename: 'Tier', id: string, code: string, name: string, rank: number, threshold: number, windowDays: number | null, multiplier: number, currency: { __typename: 'PointCurrency', code: string } }> };

export type ConsoleStoresQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type ConsoleStoresQuery = { __typename: 'Query', rewardStores: { __typename: 'RewardStoreConnection', edges: Array<{ __typename: 'RewardStoreEdge', node: { __typename: 'RewardStore', id: string, code: string, name: string, version: number, startsAt: string | null, endsAt: string | null, currency: { __typename: 'PointCurrency', code: string }, eligibility: { __typename: 'StoreEligibility', tiers: Array<string>, segments: Array<string>, minBalance: number | null, minLifetimePoints: number | null }, listings: { __typename: 'ListingConnection', edges: Array<{ __typename: 'ListingEdge', cursor: string, node: { __typename: 'Listing', id: string, priceInPoints: number, stockRemaining: number | null, stockTotal: number | null, perCustomerLimit: number | null, sortOrder: number, version: number, offer: { __typename: 'Offer', id: string, offerId: string, name: string, version: number } } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type ConsoleStoreListingsQueryVariables = Exact<{
  id: string | number;
  after?: string | null | undefined;
}>;


export type ConsoleStoreListingsQuery = { __typename: 'Query', node:
    | { __typename: 'ActivityRule', id: string }
    | { __typename: 'AuditEntry', id: string }
    | { __typename: 'Campaign', id: string }
    | { __typename: 'Customer', id: string }
    | { __typename: 'EconomyRule', id: string }
    | { __typename: 'GiftList', id: string }
    | { __typename: 'IssuedOffer', id: string }
    | { __typename: 'LedgerEntry', id: string }
    | { __typename: 'Listing', id: string }
    | { __typename: 'Offer', id: string }
    | { __typename: 'OfferPurchase', id: string }
    | { __typename: 'Partner', id: string }
    | { __typename: 'RewardStore', id: string, listings: { __typename: 'ListingConnection', edges: Array<{ __typename: 'ListingEdge', cursor: string, node: { __typename: 'Listing', id: string, priceInPoints: number, stockRemaining: number | null, stockTotal: number | null, perCustomerLimit: number | null, sortOrder: number, version: number, offer: { __typename: 'Offer', id: string, offerId: string, name: string, version: number } } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } }
    | { __typename: 'SalesTransaction', id: string }
    | { __typename: 'Tier', id: string }
    | { __typename: 'WebhookDelivery', id: string }
    | { __typename: 'WebhookEndpoint', id: string }
   | null };

export type ConsoleCreateStoreMutationVariables = Exact<{
  input: CreateRewardStoreInput;
}>;


export type ConsoleCreateStoreMutation = { __typename: 'Mutation', createRewardStore: { __typename: 'CreateRewardStorePayload', rewardStore: { __typename: 'RewardStore', id: string, code: string, name: string } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleUpdateStoreMutationVariables = Exact<{
  input: UpdateRewardStoreInput;
}>;


export type ConsoleUpdateStoreMutation = { __typename: 'Mutation', updateRewardStore: { __typename: 'UpdateRewardStorePayload', accessLost: number | null, accessGained: number | null, changed: boolean | null, rewardStore: { __typename: 'RewardStore', id: string, name: string, version: number, eligibility: { __typename: 'StoreEligibility', tiers: Array<string>, segments: Array<string>, minBalance: number | null, minLifetimePoints: number | null } } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleAddListingMutationVariables = Exact<{
  input: AddListingInput;
}>;


export type ConsoleAddListingMutation = { __typename: 'Mutation', addListing: { __typename: 'ListingPayload', listing: { __typename: 'Listing', id: string, priceInPoints: number, stockRemaining: number | null } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleUpdateListingMutationVariables = Exact<{
  input: UpdateListingInput;
}>;


export type ConsoleUpdateListingMutation = { __typename: 'Mutation', updateListing: { __typename: 'ListingPayload', listing: { __typename: 'Listing', id: string, priceInPoints: number, stockRemaining: number | null, stockTotal: number | null, perCustomerLimit: number | null, sortOrder: number, version: number } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleRemoveListingMutationVariables = Exact<{
  input: RemoveListingInput;
}>;


export type ConsoleRemoveListingMutation = { __typename: 'Mutation', removeListing: { __typename: 'ListingPayload', listing: { __typename: 'Listing', id: string } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleOffersQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type ConsoleOffersQuery = { __typename: 'Query', offers: { __typename: 'OfferConnection', edges: Array<{ __typename: 'OfferEdge', node: { __typename: 'Offer', id: string, offerId: string, version: number, name: string, description: string | null, terms: string | null, validDays: number | null, channels: Array<string>, benefit: { __typename: 'OfferBenefit', kind: OfferBenefitKind, percentOff: number | null, amountOff: string | null, freeSku: string | null, maxDiscount: string | null } } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type ConsoleCreateOfferMutationVariables = Exact<{
  input: CreateOfferInput;
}>;


export type ConsoleCreateOfferMutation = { __typename: 'Mutation', createOffer: { __typename: 'OfferPayload', offer: { __typename: 'Offer', id: string, offerId: string, version: number, name: string } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleUpdateOfferMutationVariables = Exact<{
  input: UpdateOfferInput;
}>;


export type ConsoleUpdateOfferMutation = { __typename: 'Mutation', updateOffer: { __typename: 'OfferPayload', offer: { __typename: 'Offer', id: string, offerId: string, version: number, name: string, description: string | null } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleRulesQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleRulesQuery = { __typename: 'Query', economyRules: Array<{ __typename: 'EconomyRule', id: string, version: number, pointsPerUnit: string, rounding: Rounding, pendingDays: number, excludedSkus: Array<string>, categoryMultipliers: Array<{ __typename: 'CategoryMultiplier', category: string, multiplier: number }>, currency: { __typename: 'PointCurrency', code: string } }>, campaigns: Array<{ __typename: 'Campaign', id: string, name: string, startsAt: string, endsAt: string, endedAt: string | null, bonusPoints: number | null, multiplier: number | null, perCustomer: number | null, budgetPoints: number | null, pointsAwarded: number, conditions: { __typename: 'CampaignConditions', minSpend: string | null, skus: Array<string>, categories: Array<string>, channels: Array<string>, tiers: Array<string>, segments: Array<string>, firstPurchase: boolean, daysOfWeek: Array<number> }, currency: { __typename: 'PointCurrency', code: string, moneyCurrency: string }, offer: { __typename: 'Offer', id: string, name: string } | null }>, activityRules: Array<{ __typename: 'ActivityRule', id: string, version: number, kind: ActivityKind, points: number, capPerPeriod: number | null, periodDays: number | null, active: boolean, updatedAt: string, currency: { __typename: 'PointCurrency', code: string } }>, giftLists: Array<{ __typename: 'GiftList', id: string, name: string, threshold: number, maxClaims: number | null, currency: { __typename: 'PointCurrency', code: string }, options: Array<{ __typename: 'Offer', id: string, name: string }> }> };

export type ConsoleSetEconomyRuleMutationVariables = Exact<{
  input: SetEconomyRuleInput;
}>;


export type ConsoleSetEconomyRuleMutation = { __typename: 'Mutation', setEconomyRule: { __typename: 'SetEconomyRulePayload', rule: { __typename: 'EconomyRule', id: string, version: number, pointsPerUnit: string, rounding: Rounding, pendingDays: number, excludedSkus: Array<string>, categoryMultipliers: Array<{ __typename: 'CategoryMultiplier', category: string, multiplier: number }>, currency: { __typename: 'PointCurrency', code: string } } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleCreateCampaignMutationVariables = Exact<{
  input: CreateCampaignInput;
}>;


export type ConsoleCreateCampaignMutation = { __typename: 'Mutation', createCampaign: { __typename: 'CreateCampaignPayload', campaign: { __typename: 'Campaign', id: string, name: string, bonusPoints: number | null, multiplier: number | null, conditions: { __typename: 'CampaignConditions', minSpend: string | null, skus: Array<string>, categories: Array<string>, channels: Array<string>, tiers: Array<string>, segments: Array<string>, firstPurchase: boolean, daysOfWeek: Array<number> }, currency: { __typename: 'PointCurrency', code: string, moneyCurrency: string }, offer: { __typename: 'Offer', id: string, name: string } | null } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleSetActivityRuleMutationVariables = Exact<{
  input: SetActivityRuleInput;
}>;


export type ConsoleSetActivityRuleMutation = { __typename: 'Mutation', setActivityRule: { __typename: 'SetActivityRulePayload', rule: { __typename: 'ActivityRule', id: string, version: number, kind: ActivityKind, points: number, capPerPeriod: number | null, periodDays: number | null, active: boolean, updatedAt: string, currency: { __typename: 'PointCurrency', code: string } } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleCreateGiftListMutationVariables = Exact<{
  input: CreateGiftListInput;
}>;


export type ConsoleCreateGiftListMutation = { __typename: 'Mutation', createGiftList: { __typename: 'CreateGiftListPayload', giftList: { __typename: 'GiftList', id: string, name: string } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleCreateTierMutationVariables = Exact<{
  input: CreateTierInput;
}>;


export type ConsoleCreateTierMutation = { __typename: 'Mutation', createTier: { __typename: 'CreateTierPayload', customersMoved: number | null, dryRun: boolean | null, tier: { __typename: 'Tier', id: string, code: string, name: string } | null, moves: Array<{ __typename: 'TierMoveCount', from: string | null, to: string | null, customers: number }> | null, accessLost: Array<{ __typename: 'TierAccessLoss', kind: TierListHolder, id: string, name: string, tiers: Array<string>, customers: number }> | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsolePartnersQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsolePartnersQuery = { __typename: 'Query', partners: Array<{ __typename: 'Partner', id: string, name: string, scopes: Array<string>, keyPrefix: string, revokedAt: string | null, createdAt: string }> };

export type ConsoleCreatePartnerMutationVariables = Exact<{
  input: CreatePartnerInput;
}>;


export type ConsoleCreatePartnerMutation = { __typename: 'Mutation', createPartner: { __typename: 'CreatePartnerPayload', apiKey: string | null, apiKeyWithheld: boolean | null, partner: { __typename: 'Partner', id: string, name: string, scopes: Array<string>, keyPrefix: string } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleRevokePartnerMutationVariables = Exact<{
  input: RevokePartnerInput;
}>;


export type ConsoleRevokePartnerMutation = { __typename: 'Mutation', revokePartner: { __typename: 'RevokePartnerPayload', partner: { __typename: 'Partner', id: string, revokedAt: string | null } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleRegisterManifestMutationVariables = Exact<{
  input: RegisterPersistedOperationsInput;
}>;


export type ConsoleRegisterManifestMutation = { __typename: 'Mutation', registerPersistedOperations: { __typename: 'RegisterPersistedOperationsPayload', count: number | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleUnpayableOffersQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type ConsoleUnpayableOffersQuery = { __typename: 'Query', unpayableOffers: { __typename: 'UnpayableOfferConnection', edges: Array<{ __typename: 'UnpayableOfferEdge', node: { __typename: 'UnpayableOffer', holder: UnpayableOfferHolder, holderId: string, currency: string | null, moneyCurrency: string | null, field: string | null, amount: string | null, message: string, offer: { __typename: 'Offer', id: string, offerId: string, name: string, version: number } } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type ConsoleAuditLogQueryVariables = Exact<{
  after?: string | null | undefined;
  about?: string | number | null | undefined;
  actor?: string | null | undefined;
  action?: string | null | undefined;
  reason?: string | null | undefined;
  from?: string | null | undefined;
  to?: string | null | undefined;
}>;


export type ConsoleAuditLogQuery = { __typename: 'Query', auditLog: { __typename: 'AuditEntryConnection', edges: Array<{ __typename: 'AuditEntryEdge', node: { __typename: 'AuditEntry', id: string, actor: string, action: string, target: string, reason: string | null, details: unknown, at: string, about:
          | { __typename: 'ActivityRule', kind: ActivityKind, id: string, currency: { __typename: 'PointCurrency', code: string } }
          | { __typename: 'AuditEntry', id: string }
          | { __typename: 'Campaign', name: string, id: string }
          | { __typename: 'Customer', externalId: string, id: string, customerName: string | null }
          | { __typename: 'EconomyRule', id: string, currency: { __typename: 'PointCurrency', code: string } }
          | { __typename: 'GiftList', name: string, id: string }
          | { __typename: 'IssuedOffer', code: string, id: string }
          | { __typename: 'LedgerEntry', id: string }
          | { __typename: 'Listing', id: string, offer: { __typename: 'Offer', name: string }, store: { __typename: 'RewardStore', name: string } | null }
          | { __typename: 'Offer', name: string, offerId: string, id: string }
          | { __typename: 'OfferPurchase', id: string }
          | { __typename: 'Partner', name: string, id: string }
          | { __typename: 'RewardStore', code: string, name: string, id: string }
          | { __typename: 'SalesTransaction', id: string }
          | { __typename: 'Tier', code: string, name: string, id: string }
          | { __typename: 'WebhookDelivery', eventType: WebhookEventType, id: string }
          | { __typename: 'WebhookEndpoint', url: string, id: string }
         | null } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type ConsoleAuditSubjectQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleAuditSubjectQuery = { __typename: 'Query', node:
    | { __typename: 'ActivityRule', kind: ActivityKind, id: string, currency: { __typename: 'PointCurrency', code: string } }
    | { __typename: 'AuditEntry', id: string }
    | { __typename: 'Campaign', name: string, id: string }
    | { __typename: 'Customer', externalId: string, id: string, customerName: string | null }
    | { __typename: 'EconomyRule', id: string, currency: { __typename: 'PointCurrency', code: string } }
    | { __typename: 'GiftList', name: string, id: string }
    | { __typename: 'IssuedOffer', code: string, id: string }
    | { __typename: 'LedgerEntry', id: string }
    | { __typename: 'Listing', id: string, offer: { __typename: 'Offer', name: string }, store: { __typename: 'RewardStore', name: string } | null }
    | { __typename: 'Offer', name: string, offerId: string, id: string }
    | { __typename: 'OfferPurchase', id: string }
    | { __typename: 'Partner', name: string, id: string }
    | { __typename: 'RewardStore', code: string, name: string, id: string }
    | { __typename: 'SalesTransaction', id: string }
    | { __typename: 'Tier', code: string, name: string, id: string }
    | { __typename: 'WebhookDelivery', eventType: WebhookEventType, id: string }
    | { __typename: 'WebhookEndpoint', url: string, id: string }
   | null };

type AuditObject_ActivityRule_Fragment = { __typename: 'ActivityRule', kind: ActivityKind, id: string, currency: { __typename: 'PointCurrency', code: string } };

type AuditObject_AuditEntry_Fragment = { __typename: 'AuditEntry', id: string };

type AuditObject_Campaign_Fragment = { __typename: 'Campaign', name: string, id: string };

type AuditObject_Customer_Fragment = { __typename: 'Customer', externalId: string, id: string, customerName: string | null };

type AuditObject_EconomyRule_Fragment = { __typename: 'EconomyRule', id: string, currency: { __typename: 'PointCurrency', code: string } };

type AuditObject_GiftList_Fragment = { __typename: 'GiftList', name: string, id: string };

type AuditObject_IssuedOffer_Fragment = { __typename: 'IssuedOffer', code: string, id: string };

type AuditObject_LedgerEntry_Fragment = { __typename: 'LedgerEntry', id: string };

type AuditObject_Listing_Fragment = { __typename: 'Listing', id: string, offer: { __typename: 'Offer', name: string }, store: { __typename: 'RewardStore', name: string } | null };

type AuditObject_Offer_Fragment = { __typename: 'Offer', name: string, offerId: string, id: string };

type AuditObject_OfferPurchase_Fragment = { __typename: 'OfferPurchase', id: string };

type AuditObject_Partner_Fragment = { __typename: 'Partner', name: string, id: string };

type AuditObject_RewardStore_Fragment = { __typename: 'RewardStore', code: string, name: string, id: string };

type AuditObject_SalesTransaction_Fragment = { __typename: 'SalesTransaction', id: string };

type AuditObject_Tier_Fragment = { __typename: 'Tier', code: string, name: string, id: string };

type AuditObject_WebhookDelivery_Fragment = { __typename: 'WebhookDelivery', eventType: WebhookEventType, id: string };

type AuditObject_WebhookEndpoint_Fragment = { __typename: 'WebhookEndpoint', url: string, id: string };

export type AuditObjectFragment =
  | AuditObject_ActivityRule_Fragment
  | AuditObject_AuditEntry_Fragment
  | AuditObject_Campaign_Fragment
  | AuditObject_Customer_Fragment
  | AuditObject_EconomyRule_Fragment
  | AuditObject_GiftList_Fragment
  | AuditObject_IssuedOffer_Fragment
  | AuditObject_LedgerEntry_Fragment
  | AuditObject_Listing_Fragment
  | AuditObject_Offer_Fragment
  | AuditObject_OfferPurchase_Fragment
  | AuditObject_Partner_Fragment
  | AuditObject_RewardStore_Fragment
  | AuditObject_SalesTransaction_Fragment
  | AuditObject_Tier_Fragment
  | AuditObject_WebhookDelivery_Fragment
  | AuditObject_WebhookEndpoint_Fragment
;

export type ConsoleProgramStatsQueryVariables = Exact<{
  currency: string;
  from: string;
  to: string;
}>;


export type ConsoleProgramStatsQuery = { __typename: 'Query', programStats: { __typename: 'ProgramStats', currency: string, from: string, to: string, pointsIssued: number, pointsSpent: number, pointsExpired: number, outstandingPoints: number, outstandingLiability: string, pendingPoints: number, pendingLiability: string, closedPoints: number, redemptionRate: number, activeMembers: number, tierMix: Array<{ __typename: 'TierMembers', members: number, tier: { __typename: 'Tier', id: string, code: string, name: string } | null }>, topOffers: Array<{ __typename: 'OfferStats', purchases: number, redemptions: number, offer: { __typename: 'Offer', id: string, name: string } | null }> } | null };

export type ConsoleWebhookEndpointsQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type ConsoleWebhookEndpointsQuery = { __typename: 'Query', webhookEndpoints: { __typename: 'WebhookEndpointConnection', edges: Array<{ __typename: 'WebhookEndpointEdge', node: { __typename: 'WebhookEndpoint', id: string, url: string, eventTypes: Array<WebhookEventType>, description: string | null, createdAt: string, disabledAt: string | null, failingSince: string | null, retrying: { __typename: 'WebhookRetrying', count: number, firstFailedAt: string, lastError: string, lastStatusCode: number | null, lastFailedAt: string, nextAttemptAt: string } | null, partner: { __typename: 'Partner', id: string, name: string } | null } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type ConsoleFailedWebhookDeliveriesQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type ConsoleFailedWebhookDeliveriesQuery = { __typename: 'Query', webhookDeliveries: { __typename: 'WebhookDeliveryConnection', edges: Array<{ __typename: 'WebhookDeliveryEdge', node: { __typename: 'WebhookDelivery', id: string, messageId: string, eventType: WebhookEventType, status: WebhookDeliveryStatus, attempts: number, lastError: string | null, createdAt: string, finishedAt: string | null, endpoint: { __typename: 'WebhookEndpoint', id: string, url: string, disabledAt: string | null }, attemptLog: Array<{ __typename: 'WebhookAttempt', attemptedAt: string, statusCode: number | null, error: string | null, durationMs: number, manual: boolean }> } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type ConsoleReplayFailedWebhookDeliveriesMutationVariables = Exact<{
  input: ReplayFailedWebhookDeliveriesInput;
}>;


export type ConsoleReplayFailedWebhookDeliveriesMutation = { __typename: 'Mutation', replayFailedWebhookDeliveries: { __typename: 'ReplayFailedWebhookDeliveriesPayload', replayed: number | null, skipped: Array<{ __typename: 'SkippedWebhookDeliveries', eventType: WebhookEventType, count: number, code: UserErrorCode, message: string }> | null, endpoint: { __typename: 'WebhookEndpoint', id: string, url: string, failingSince: string | null } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleReplayWebhookDeliveryMutationVariables = Exact<{
  input: ReplayWebhookDeliveryInput;
}>;


export type ConsoleReplayWebhookDeliveryMutation = { __typename: 'Mutation', replayWebhookDelivery: { __typename: 'ReplayWebhookDeliveryPayload', delivery: { __typename: 'WebhookDelivery', id: string, status: WebhookDeliveryStatus, attempts: number } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleRetryWebhookDeliveriesNowMutationVariables = Exact<{
  input: RetryWebhookDeliveriesNowInput;
}>;


export type ConsoleRetryWebhookDeliveriesNowMutation = { __typename: 'Mutation', retryWebhookDeliveriesNow: { __typename: 'RetryWebhookDeliveriesNowPayload', broughtForward: number | null, dueAt: string | null, endpoint: { __typename: 'WebhookEndpoint', id: string, retrying: { __typename: 'WebhookRetrying', count: number, firstFailedAt: string, lastError: string, lastStatusCode: number | null, lastFailedAt: string, nextAttemptAt: string } | null } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleRegisterWebhookEndpointMutationVariables = Exact<{
  input: RegisterWebhookEndpointInput;
}>;


export type ConsoleRegisterWebhookEndpointMutation = { __typename: 'Mutation', registerWebhookEndpoint: { __typename: 'RegisterWebhookEndpointPayload', secret: string | null, secretWithheld: boolean | null, endpoint: { __typename: 'WebhookEndpoint', id: string, url: string, eventTypes: Array<WebhookEventType>, partner: { __typename: 'Partner', id: string, name: string } | null } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleRemoveWebhookEndpointMutationVariables = Exact<{
  input: RemoveWebhookEndpointInput;
}>;


export type ConsoleRemoveWebhookEndpointMutation = { __typename: 'Mutation', removeWebhookEndpoint: { __typename: 'RemoveWebhookEndpointPayload', endpoint: { __typename: 'WebhookEndpoint', id: string, disabledAt: string | null, failingSince: string | null } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleEnableWebhookEndpointMutationVariables = Exact<{
  input: EnableWebhookEndpointInput;
}>;


export type ConsoleEnableWebhookEndpointMutation = { __typename: 'Mutation', enableWebhookEndpoint: { __typename: 'EnableWebhookEndpointPayload', endpoint: { __typename: 'WebhookEndpoint', id: string, disabledAt: string | null, failingSince: string | null } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ConsoleEndCampaignMutationVariables = Exact<{
  input: EndCampaignInput;
}>;


export type ConsoleEndCampaignMutation = { __typename: 'Mutation', endCampaign: { __typename: 'EndCampaignPayload', campaign: { __typename: 'Campaign', id: string, name: string, startsAt: string, endsAt: string } | null, userErrors: Array<{ __typename: 'UserError', code: UserErrorCode, field: Array<string> | null, message: string }> } };

export const AuditObjectFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AuditObject"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Node"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Customer"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"externalId"}},{"kind":"Field","alias":{"kind":"Name","value":"customerName"},"name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RewardStore"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Offer"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"offerId"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Listing"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"offer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"store"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Campaign"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Partner"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Tier"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"GiftList"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"WebhookEndpoint"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"url"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"EconomyRule"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ActivityRule"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"IssuedOffer"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"WebhookDelivery"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"eventType"}}]}}]}}]} as unknown as DocumentNode<AuditObjectFragment, unknown>;
export const ConsoleCustomerDocument = {"__meta__":{"hash":"sha256:4f73de2daac6269b8a0672a6ac541715891a7706283b6231b2e0cb075abdee51"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleCustomer"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"externalId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"customer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"externalId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"externalId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"externalId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"statusChange"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"at"}}]}},{"kind":"Field","name":{"kind":"Name","value":"segments"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"tier"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"nextTier"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"pointsNeeded"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"balances"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"available"}},{"kind":"Field","name":{"kind":"Name","value":"pending"}},{"kind":"Field","name":{"kind":"Name","value":"lifetimeEarned"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}},{"kind":"Field","name":{"kind":"Name","value":"expiringSoon"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleCustomerQuery, ConsoleCustomerQueryVariables>;
export const ConsoleCustomerSearchDocument = {"__meta__":{"hash":"sha256:d68d32f3cd0714de7d618492e4cbc12af55394fca386a62fc2bbf24d671a1244"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleCustomerSearch"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"search"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"customers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"search"},"value":{"kind":"Variable","name":{"kind":"Name","value":"search"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"30"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"externalId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"tier"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleCustomerSearchQuery, ConsoleCustomerSearchQueryVariables>;
export const ConsoleCustomerHistoryDocument = {"__meta__":{"hash":"sha256:2b009980294cef28348793a4eea0db599a4c508de2d11dc3bb76f05b310e62c4"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleCustomerHistory"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"externalId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"customer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"externalId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"externalId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pointHistory"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"30"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"balanceAfter"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleCustomerHistoryQuery, ConsoleCustomerHistoryQueryVariables>;
export const ConsoleCustomerWalletDocument = {"__meta__":{"hash":"sha256:ec2b94dcd4c1d272662812ac924e85e52b8ae8f213b4530112c9281a3daa3ce5"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleCustomerWallet"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"externalId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"customer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"externalId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"externalId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"wallet"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"30"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"redeemedAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"offer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"version"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleCustomerWalletQuery, ConsoleCustomerWalletQueryVariables>;
export const ConsoleAdjustPointsDocument = {"__meta__":{"hash":"sha256:6a2f2b1d49459a91c4fa5e3bda567a47abd6dff8c735e751afc567ba261cdea7"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleAdjustPoints"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AdjustPointsInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"adjustPoints"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"entry"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"balanceAfter"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleAdjustPointsMutation, ConsoleAdjustPointsMutationVariables>;
export const ConsoleCurrenciesDocument = {"__meta__":{"hash":"sha256:1c206e66d01e72e84d6dad92cec69ce97437389bafd942237a9ef36f15e871ef"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleCurrencies"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"currencies"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"expiryDays"}},{"kind":"Field","name":{"kind":"Name","value":"pointValue"}},{"kind":"Field","name":{"kind":"Name","value":"moneyCurrency"}}]}},{"kind":"Field","name":{"kind":"Name","value":"tiers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"rank"}},{"kind":"Field","name":{"kind":"Name","value":"threshold"}},{"kind":"Field","name":{"kind":"Name","value":"windowDays"}},{"kind":"Field","name":{"kind":"Name","value":"multiplier"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleCurrenciesQuery, ConsoleCurrenciesQueryVariables>;
export const ConsoleStoresDocument = {"__meta__":{"hash":"sha256:8c5ef148bf4d6e1b56ed6de64f19522dc88740606c1dabe9c7c0252825470c47"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleStores"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"rewardStores"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"startsAt"}},{"kind":"Field","name":{"kind":"Name","value":"endsAt"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}},{"kind":"Field","name":{"kind":"Name","value":"eligibility"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"tiers"}},{"kind":"Field","name":{"kind":"Name","value":"segments"}},{"kind":"Field","name":{"kind":"Name","value":"minBalance"}},{"kind":"Field","name":{"kind":"Name","value":"minLifetimePoints"}}]}},{"kind":"Field","name":{"kind":"Name","value":"listings"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"priceInPoints"}},{"kind":"Field","name":{"kind":"Name","value":"stockRemaining"}},{"kind":"Field","name":{"kind":"Name","value":"stockTotal"}},{"kind":"Field","name":{"kind":"Name","value":"perCustomerLimit"}},{"kind":"Field","name":{"kind":"Name","value":"sortOrder"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"offer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"offerId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"version"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleStoresQuery, ConsoleStoresQueryVariables>;
export const ConsoleStoreListingsDocument = {"__meta__":{"hash":"sha256:67b21e17b9002220f365ed9edb52bbf64aa75d892195de151ce63535594dcd3e"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleStoreListings"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RewardStore"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"listings"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"priceInPoints"}},{"kind":"Field","name":{"kind":"Name","value":"stockRemaining"}},{"kind":"Field","name":{"kind":"Name","value":"stockTotal"}},{"kind":"Field","name":{"kind":"Name","value":"perCustomerLimit"}},{"kind":"Field","name":{"kind":"Name","value":"sortOrder"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"offer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"offerId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"version"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleStoreListingsQuery, ConsoleStoreListingsQueryVariables>;
export const ConsoleCreateStoreDocument = {"__meta__":{"hash":"sha256:41d3f649ea258b8cd642cdba216682b4f7ebd5e09735adaec2dc9462c7701ae1"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleCreateStore"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateRewardStoreInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"createRewardStore"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"rewardStore"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleCreateStoreMutation, ConsoleCreateStoreMutationVariables>;
export const ConsoleUpdateStoreDocument = {"__meta__":{"hash":"sha256:43736fef59c07c7d669f52eb07f7b0beac8f8192401593ccfd3d4217e9159957"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleUpdateStore"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateRewardStoreInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"updateRewardStore"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"rewardStore"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"eligibility"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"tiers"}},{"kind":"Field","name":{"kind":"Name","value":"segments"}},{"kind":"Field","name":{"kind":"Name","value":"minBalance"}},{"kind":"Field","name":{"kind":"Name","value":"minLifetimePoints"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"accessLost"}},{"kind":"Field","name":{"kind":"Name","value":"accessGained"}},{"kind":"Field","name":{"kind":"Name","value":"changed"}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleUpdateStoreMutation, ConsoleUpdateStoreMutationVariables>;
export const ConsoleAddListingDocument = {"__meta__":{"hash":"sha256:fb988c500c15de86060c98039f5fe0222035d24c1e4fd829d177583f7296b9e1"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleAddListing"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AddListingInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"addListing"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"listing"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"priceInPoints"}},{"kind":"Field","name":{"kind":"Name","value":"stockRemaining"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleAddListingMutation, ConsoleAddListingMutationVariables>;
export const ConsoleUpdateListingDocument = {"__meta__":{"hash":"sha256:c623b0aebf2388ef4dc9354a64e226418955780103ceb23722987c5b23e3167b"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleUpdateListing"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateListingInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"updateListing"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"listing"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"priceInPoints"}},{"kind":"Field","name":{"kind":"Name","value":"stockRemaining"}},{"kind":"Field","name":{"kind":"Name","value":"stockTotal"}},{"kind":"Field","name":{"kind":"Name","value":"perCustomerLimit"}},{"kind":"Field","name":{"kind":"Name","value":"sortOrder"}},{"kind":"Field","name":{"kind":"Name","value":"version"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleUpdateListingMutation, ConsoleUpdateListingMutationVariables>;
export const ConsoleRemoveListingDocument = {"__meta__":{"hash":"sha256:c47c819d67f3c84d6f9162662a268a12c1893629e6355c5e9fffad1b94783693"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleRemoveListing"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RemoveListingInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"removeListing"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"listing"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleRemoveListingMutation, ConsoleRemoveListingMutationVariables>;
export const ConsoleOffersDocument = {"__meta__":{"hash":"sha256:0a3e61873f2987ae1f5dffaadede7f22b845c7f1dd6542082b77cb71e19d389a"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleOffers"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"offers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"offerId"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"terms"}},{"kind":"Field","name":{"kind":"Name","value":"validDays"}},{"kind":"Field","name":{"kind":"Name","value":"channels"}},{"kind":"Field","name":{"kind":"Name","value":"benefit"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"percentOff"}},{"kind":"Field","name":{"kind":"Name","value":"amountOff"}},{"kind":"Field","name":{"kind":"Name","value":"freeSku"}},{"kind":"Field","name":{"kind":"Name","value":"maxDiscount"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleOffersQuery, ConsoleOffersQueryVariables>;
export const ConsoleCreateOfferDocument = {"__meta__":{"hash":"sha256:f26f0018d4eed98406a4a49629356b033e89c9b7f5b503f7ee17a86a40616c30"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleCreateOffer"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateOfferInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"createOffer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"offer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"offerId"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleCreateOfferMutation, ConsoleCreateOfferMutationVariables>;
export const ConsoleUpdateOfferDocument = {"__meta__":{"hash":"sha256:59917e2b74cb203b1795253c8553c34540fb58023f8d9990cc27c3f678e7c3bd"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleUpdateOffer"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateOfferInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"updateOffer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"offer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"offerId"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleUpdateOfferMutation, ConsoleUpdateOfferMutationVariables>;
export const ConsoleRulesDocument = {"__meta__":{"hash":"sha256:4be0f87739d15de95a888282b1d7cb07df6cb05347c77fff4f0c27b950aaf8f8"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleRules"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"economyRules"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"pointsPerUnit"}},{"kind":"Field","name":{"kind":"Name","value":"rounding"}},{"kind":"Field","name":{"kind":"Name","value":"pendingDays"}},{"kind":"Field","name":{"kind":"Name","value":"excludedSkus"}},{"kind":"Field","name":{"kind":"Name","value":"categoryMultipliers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"category"}},{"kind":"Field","name":{"kind":"Name","value":"multiplier"}}]}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"campaigns"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"startsAt"}},{"kind":"Field","name":{"kind":"Name","value":"endsAt"}},{"kind":"Field","name":{"kind":"Name","value":"endedAt"}},{"kind":"Field","name":{"kind":"Name","value":"bonusPoints"}},{"kind":"Field","name":{"kind":"Name","value":"multiplier"}},{"kind":"Field","name":{"kind":"Name","value":"perCustomer"}},{"kind":"Field","name":{"kind":"Name","value":"budgetPoints"}},{"kind":"Field","name":{"kind":"Name","value":"pointsAwarded"}},{"kind":"Field","name":{"kind":"Name","value":"conditions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"minSpend"}},{"kind":"Field","name":{"kind":"Name","value":"skus"}},{"kind":"Field","name":{"kind":"Name","value":"categories"}},{"kind":"Field","name":{"kind":"Name","value":"channels"}},{"kind":"Field","name":{"kind":"Name","value":"tiers"}},{"kind":"Field","name":{"kind":"Name","value":"segments"}},{"kind":"Field","name":{"kind":"Name","value":"firstPurchase"}},{"kind":"Field","name":{"kind":"Name","value":"daysOfWeek"}}]}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"moneyCurrency"}}]}},{"kind":"Field","name":{"kind":"Name","value":"offer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"activityRules"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"points"}},{"kind":"Field","name":{"kind":"Name","value":"capPerPeriod"}},{"kind":"Field","name":{"kind":"Name","value":"periodDays"}},{"kind":"Field","name":{"kind":"Name","value":"active"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"giftLists"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"threshold"}},{"kind":"Field","name":{"kind":"Name","value":"maxClaims"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}},{"kind":"Field","name":{"kind":"Name","value":"options"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleRulesQuery, ConsoleRulesQueryVariables>;
export const ConsoleSetEconomyRuleDocument = {"__meta__":{"hash":"sha256:823d35ea4d57f9a9e763cccdb4c83d89be226b298f47da0d5ca734952df51d96"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleSetEconomyRule"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SetEconomyRuleInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"setEconomyRule"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"rule"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"pointsPerUnit"}},{"kind":"Field","name":{"kind":"Name","value":"rounding"}},{"kind":"Field","name":{"kind":"Name","value":"pendingDays"}},{"kind":"Field","name":{"kind":"Name","value":"excludedSkus"}},{"kind":"Field","name":{"kind":"Name","value":"categoryMultipliers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"category"}},{"kind":"Field","name":{"kind":"Name","value":"multiplier"}}]}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleSetEconomyRuleMutation, ConsoleSetEconomyRuleMutationVariables>;
export const ConsoleCreateCampaignDocument = {"__meta__":{"hash":"sha256:2c4e0618eeafbf8c0479769792ca26a2926b36527fb21592dd6f758c83bbf4ae"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleCreateCampaign"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateCampaignInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"createCampaign"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"campaign"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"bonusPoints"}},{"kind":"Field","name":{"kind":"Name","value":"multiplier"}},{"kind":"Field","name":{"kind":"Name","value":"conditions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"minSpend"}},{"kind":"Field","name":{"kind":"Name","value":"skus"}},{"kind":"Field","name":{"kind":"Name","value":"categories"}},{"kind":"Field","name":{"kind":"Name","value":"channels"}},{"kind":"Field","name":{"kind":"Name","value":"tiers"}},{"kind":"Field","name":{"kind":"Name","value":"segments"}},{"kind":"Field","name":{"kind":"Name","value":"firstPurchase"}},{"kind":"Field","name":{"kind":"Name","value":"daysOfWeek"}}]}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"moneyCurrency"}}]}},{"kind":"Field","name":{"kind":"Name","value":"offer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleCreateCampaignMutation, ConsoleCreateCampaignMutationVariables>;
export const ConsoleSetActivityRuleDocument = {"__meta__":{"hash":"sha256:a6297e1f320129012c38869aa7ad781d06055f4f0da6ec426a9a95cd143663c5"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleSetActivityRule"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SetActivityRuleInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"setActivityRule"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"rule"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"points"}},{"kind":"Field","name":{"kind":"Name","value":"capPerPeriod"}},{"kind":"Field","name":{"kind":"Name","value":"periodDays"}},{"kind":"Field","name":{"kind":"Name","value":"active"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleSetActivityRuleMutation, ConsoleSetActivityRuleMutationVariables>;
export const ConsoleCreateGiftListDocument = {"__meta__":{"hash":"sha256:34ab2973631e675c055ec5f55a6a2ee4698e7e68b5e67b5f4762590eaba5bd84"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleCreateGiftList"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateGiftListInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"createGiftList"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"giftList"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleCreateGiftListMutation, ConsoleCreateGiftListMutationVariables>;
export const ConsoleCreateTierDocument = {"__meta__":{"hash":"sha256:169aef1518485cb8ad99e719421c75555806508627e6529354750c51483a6cdc"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleCreateTier"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateTierInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"createTier"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"tier"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"customersMoved"}},{"kind":"Field","name":{"kind":"Name","value":"moves"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"customers"}}]}},{"kind":"Field","name":{"kind":"Name","value":"accessLost"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"tiers"}},{"kind":"Field","name":{"kind":"Name","value":"customers"}}]}},{"kind":"Field","name":{"kind":"Name","value":"dryRun"}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleCreateTierMutation, ConsoleCreateTierMutationVariables>;
export const ConsolePartnersDocument = {"__meta__":{"hash":"sha256:0747e28ced020ca5c9fee3d2389ca435f6e0ab4b0ce41a812145e1fe436ca2cf"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsolePartners"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"partners"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"scopes"}},{"kind":"Field","name":{"kind":"Name","value":"keyPrefix"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]} as unknown as DocumentNode<ConsolePartnersQuery, ConsolePartnersQueryVariables>;
export const ConsoleCreatePartnerDocument = {"__meta__":{"hash":"sha256:ce118ec2a53cb20e26eb55933ffb0ed0f3d18c5331705e4e91249cdbe34026ce"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleCreatePartner"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreatePartnerInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"createPartner"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"partner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"scopes"}},{"kind":"Field","name":{"kind":"Name","value":"keyPrefix"}}]}},{"kind":"Field","name":{"kind":"Name","value":"apiKey"}},{"kind":"Field","name":{"kind":"Name","value":"apiKeyWithheld"}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleCreatePartnerMutation, ConsoleCreatePartnerMutationVariables>;
export const ConsoleRevokePartnerDocument = {"__meta__":{"hash":"sha256:b360fb0da4629eee2c2724e40e3a938a1d460105cc19ad9ab59e5e10560abf74"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleRevokePartner"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RevokePartnerInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"revokePartner"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"partner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleRevokePartnerMutation, ConsoleRevokePartnerMutationVariables>;
export const ConsoleRegisterManifestDocument = {"__meta__":{"hash":"sha256:8a1d877491286abb12cd68d7106f1d0d49e2e39f9611cbecf83861ba0c88a6da"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleRegisterManifest"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RegisterPersistedOperationsInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"registerPersistedOperations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleRegisterManifestMutation, ConsoleRegisterManifestMutationVariables>;
export const ConsoleUnpayableOffersDocument = {"__meta__":{"hash":"sha256:09427ac1ca69dfa104ee24b8d6511c0ccd7e47e9b73f19b196925a8af301319d"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleUnpayableOffers"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"unpayableOffers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"30"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"holder"}},{"kind":"Field","name":{"kind":"Name","value":"holderId"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"moneyCurrency"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"offer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"offerId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"version"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleUnpayableOffersQuery, ConsoleUnpayableOffersQueryVariables>;
export const ConsoleAuditLogDocument = {"__meta__":{"hash":"sha256:a6c822aff4984c9269897b8f914e6afc605d515a479d6b67e78745ac4b5bc325"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleAuditLog"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"about"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"actor"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"action"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"reason"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"auditLog"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"30"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"about"},"value":{"kind":"Variable","name":{"kind":"Name","value":"about"}}},{"kind":"Argument","name":{"kind":"Name","value":"actor"},"value":{"kind":"Variable","name":{"kind":"Name","value":"actor"}}},{"kind":"Argument","name":{"kind":"Name","value":"action"},"value":{"kind":"Variable","name":{"kind":"Name","value":"action"}}},{"kind":"Argument","name":{"kind":"Name","value":"reason"},"value":{"kind":"Variable","name":{"kind":"Name","value":"reason"}}},{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"target"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"details"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"about"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"AuditObject"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AuditObject"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Node"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Customer"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"externalId"}},{"kind":"Field","alias":{"kind":"Name","value":"customerName"},"name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RewardStore"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Offer"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"offerId"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Listing"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"offer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"store"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Campaign"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Partner"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Tier"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"GiftList"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"WebhookEndpoint"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"url"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"EconomyRule"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ActivityRule"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"IssuedOffer"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"WebhookDelivery"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"eventType"}}]}}]}}]} as unknown as DocumentNode<ConsoleAuditLogQuery, ConsoleAuditLogQueryVariables>;
export const ConsoleAuditSubjectDocument = {"__meta__":{"hash":"sha256:3ea9bd436fbf2c7cdbd34e355bc09eaeed0ccdfa6aaa429fd0fb36aa9b450065"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleAuditSubject"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"AuditObject"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AuditObject"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Node"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Customer"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"externalId"}},{"kind":"Field","alias":{"kind":"Name","value":"customerName"},"name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RewardStore"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Offer"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"offerId"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Listing"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"offer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"store"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Campaign"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Partner"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Tier"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"GiftList"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"WebhookEndpoint"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"url"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"EconomyRule"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ActivityRule"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"currency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"IssuedOffer"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"WebhookDelivery"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"eventType"}}]}}]}}]} as unknown as DocumentNode<ConsoleAuditSubjectQuery, ConsoleAuditSubjectQueryVariables>;
export const ConsoleProgramStatsDocument = {"__meta__":{"hash":"sha256:7983b6f3e12431890b43236be17300fc08ac4c4f5b4aad5c1ae7557833ba5307"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleProgramStats"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"currency"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"programStats"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"currency"},"value":{"kind":"Variable","name":{"kind":"Name","value":"currency"}}},{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"pointsIssued"}},{"kind":"Field","name":{"kind":"Name","value":"pointsSpent"}},{"kind":"Field","name":{"kind":"Name","value":"pointsExpired"}},{"kind":"Field","name":{"kind":"Name","value":"outstandingPoints"}},{"kind":"Field","name":{"kind":"Name","value":"outstandingLiability"}},{"kind":"Field","name":{"kind":"Name","value":"pendingPoints"}},{"kind":"Field","name":{"kind":"Name","value":"pendingLiability"}},{"kind":"Field","name":{"kind":"Name","value":"closedPoints"}},{"kind":"Field","name":{"kind":"Name","value":"redemptionRate"}},{"kind":"Field","name":{"kind":"Name","value":"activeMembers"}},{"kind":"Field","name":{"kind":"Name","value":"tierMix"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"members"}},{"kind":"Field","name":{"kind":"Name","value":"tier"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"topOffers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"purchases"}},{"kind":"Field","name":{"kind":"Name","value":"redemptions"}},{"kind":"Field","name":{"kind":"Name","value":"offer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleProgramStatsQuery, ConsoleProgramStatsQueryVariables>;
export const ConsoleWebhookEndpointsDocument = {"__meta__":{"hash":"sha256:486ab40300d62560e983bd30a943b5388ebcfbb93ae9b47a08bfdcef088dea7f"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleWebhookEndpoints"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"webhookEndpoints"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"30"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"eventTypes"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"disabledAt"}},{"kind":"Field","name":{"kind":"Name","value":"failingSince"}},{"kind":"Field","name":{"kind":"Name","value":"retrying"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"firstFailedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}},{"kind":"Field","name":{"kind":"Name","value":"lastStatusCode"}},{"kind":"Field","name":{"kind":"Name","value":"lastFailedAt"}},{"kind":"Field","name":{"kind":"Name","value":"nextAttemptAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"partner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleWebhookEndpointsQuery, ConsoleWebhookEndpointsQueryVariables>;
export const ConsoleFailedWebhookDeliveriesDocument = {"__meta__":{"hash":"sha256:768f97ac43ea3d1e8eb975a8f6f56d7e384487072bff04a670ba60c43ed81b9c"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleFailedWebhookDeliveries"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"webhookDeliveries"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"30"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"EnumValue","value":"FAILED"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"messageId"}},{"kind":"Field","name":{"kind":"Name","value":"eventType"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"attempts"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"endpoint"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"disabledAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"attemptLog"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"attemptedAt"}},{"kind":"Field","name":{"kind":"Name","value":"statusCode"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"durationMs"}},{"kind":"Field","name":{"kind":"Name","value":"manual"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleFailedWebhookDeliveriesQuery, ConsoleFailedWebhookDeliveriesQueryVariables>;
export const ConsoleReplayFailedWebhookDeliveriesDocument = {"__meta__":{"hash":"sha256:12f74a93196797d263f4335f99f17f6848fb3ce47ac93383505a039a1b4d3a9f"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleReplayFailedWebhookDeliveries"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ReplayFailedWebhookDeliveriesInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"replayFailedWebhookDeliveries"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"replayed"}},{"kind":"Field","name":{"kind":"Name","value":"skipped"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"eventType"}},{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"endpoint"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"failingSince"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleReplayFailedWebhookDeliveriesMutation, ConsoleReplayFailedWebhookDeliveriesMutationVariables>;
export const ConsoleReplayWebhookDeliveryDocument = {"__meta__":{"hash":"sha256:e19995064c282528de9299de8cd9ff644ad6e04140b7b73d3623048e784303c9"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleReplayWebhookDelivery"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ReplayWebhookDeliveryInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"replayWebhookDelivery"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"delivery"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"attempts"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleReplayWebhookDeliveryMutation, ConsoleReplayWebhookDeliveryMutationVariables>;
export const ConsoleRetryWebhookDeliveriesNowDocument = {"__meta__":{"hash":"sha256:9e9cceb5129e3a3e07a63590eb82a717548342bb801f28620c6f602874927dc4"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleRetryWebhookDeliveriesNow"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RetryWebhookDeliveriesNowInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"retryWebhookDeliveriesNow"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"broughtForward"}},{"kind":"Field","name":{"kind":"Name","value":"dueAt"}},{"kind":"Field","name":{"kind":"Name","value":"endpoint"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"retrying"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"firstFailedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}},{"kind":"Field","name":{"kind":"Name","value":"lastStatusCode"}},{"kind":"Field","name":{"kind":"Name","value":"lastFailedAt"}},{"kind":"Field","name":{"kind":"Name","value":"nextAttemptAt"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleRetryWebhookDeliveriesNowMutation, ConsoleRetryWebhookDeliveriesNowMutationVariables>;
export const ConsoleRegisterWebhookEndpointDocument = {"__meta__":{"hash":"sha256:e8dc787f510bf900f3945b6adb4a0cbb1d3357f25a09d82e6524fe09e858aac8"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleRegisterWebhookEndpoint"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RegisterWebhookEndpointInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"registerWebhookEndpoint"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"endpoint"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"eventTypes"}},{"kind":"Field","name":{"kind":"Name","value":"partner"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"secret"}},{"kind":"Field","name":{"kind":"Name","value":"secretWithheld"}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleRegisterWebhookEndpointMutation, ConsoleRegisterWebhookEndpointMutationVariables>;
export const ConsoleRemoveWebhookEndpointDocument = {"__meta__":{"hash":"sha256:c248c16186263ecc91fb732e421f94762e65c588694b13b1803121ba37072a7a"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleRemoveWebhookEndpoint"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RemoveWebhookEndpointInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"removeWebhookEndpoint"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"endpoint"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"disabledAt"}},{"kind":"Field","name":{"kind":"Name","value":"failingSince"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleRemoveWebhookEndpointMutation, ConsoleRemoveWebhookEndpointMutationVariables>;
export const ConsoleEnableWebhookEndpointDocument = {"__meta__":{"hash":"sha256:bd022ecc94aac0481dee041fc68f3ae943a8235627dcce1b4a67bb3635d28d76"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleEnableWebhookEndpoint"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"EnableWebhookEndpointInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"enableWebhookEndpoint"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"endpoint"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"disabledAt"}},{"kind":"Field","name":{"kind":"Name","value":"failingSince"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleEnableWebhookEndpointMutation, ConsoleEnableWebhookEndpointMutationVariables>;
export const ConsoleEndCampaignDocument = {"__meta__":{"hash":"sha256:2881b3575c9fa808eaee2d26134c1d3a46530852747f601b9d4f91dd6bc885ad"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleEndCampaign"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"EndCampaignInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"endCampaign"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"campaign"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"startsAt"}},{"kind":"Field","name":{"kind":"Name","value":"endsAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleEndCampaignMutation, ConsoleEndCampaignMutationVariables>;