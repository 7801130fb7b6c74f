/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
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

export type AwardKind =
  | 'OFFER'
  | 'POINTS';

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

export type CreateCurrencyInput = {
  code: string;
  expiryDays?: number | null | undefined;
  /** The ISO 4217 code, in capitals, of the money a point is worth (and of the sales that earn it), e.g. EUR. */
  moneyCurrency: string;
  name: string;
  /** Money value of one point, in moneyCurrency, above 0: at most 8 digits and 6 decimals, sent as a string ("0.01" for a point worth a euro cent). It is what the program owes per point (the liability): a point worth 0 is refused. */
  pointValue: string;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
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

export type SubmitTransactionInput = {
  /** e.g. STORE, ONLINE, APP; up to 100 characters, as an offer or campaign may name; when given, not blank. */
  channel?: string | null | undefined;
  /** ISO 4217 money currency, in capitals (e.g. EUR). */
  currency: string;
  customerExternalId: string;
  /** The partner's id of the sale, unique per partner: its idempotency key. Not blank. */
  externalId: string;
  lines: Array<TransactionLineInput>;
  /** When given, not blank. */
  locationId?: string | null | undefined;
  /** When given, not blank. */
  lockId?: string | null | undefined;
  /** When the sale happened, written with the till's own UTC offset (2026-12-01T08:30:00+09:00): campaigns' daysOfWeek are that day. At most SALE_MAX_AGE_DAYS (30) old and a day ahead of the gateway, else INVALID. */
  occurredAt: string;
  /** Offers to apply: locked ones are redeemed with lockId, issued ones at once. No blank code. Each offer's expiry is judged at the sale's moment (occurredAt, or when the sale arrived if that is earlier), its lock when the sale arrives. */
  offerCodes?: Array<string> | null | undefined;
};

export type TransactionLineInput = {
  /** Null or absent: none; when given, not blank. */
  category?: string | null | undefined;
  quantity: number;
  /** Not blank (white space or invisible characters only). */
  sku: string;
  /** One unit's price in the sale's currency, sent as a string: a whole number of its minor unit, so at most its ISO 4217 decimals (2 for EUR: "3.20"; 3 for KWD, BHD, OMR…: "1.250" is 1250 fils; none for JPY, KRW…: "1000"). Zeros past them are taken ("1000.00" JPY is ¥1000); any other digit past them ("10.5" JPY) is BAD_USER_INPUT on this field, never rounded (a retry of a sale taken before money-12, when cents were prices of every money, is answered with that sale). */
  unitPrice: string;
};

export type TransactionStatus =
  | 'FAILED'
  | 'PROCESSED'
  | 'RECEIVED'
  | 'REVERSED';

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

export type UpsertCustomerInput = {
  attributes?: unknown;
  birthDate?: string | null | undefined;
  email?: string | null | undefined;
  /** The version of the customer this write was made from (its `version` as read), 0 to create only (refused when a customer already has this externalId). When the customer is at another version, nothing is written and the answer is VERSION_CONFLICT naming the current one, so a write from a stale read (segments or attributes read, changed and sent back) cannot put back what another write changed. Null or absent: the write applies to whatever is current (the last write wins). */
  expectedVersion?: number | null | undefined;
  externalId: string;
  /** Null clears it; otherwise not blank. */
  name?: string | null | undefined;
  /** Why; kept in the audit log with who made the change (at most 500 characters, not blank when given). */
  reason?: string | null | undefined;
  /** Replaces the tags; a tag sent twice is kept once; a blank tag, or one with invisible characters or white space other than single inner spaces, is refused (tags are compared exactly). */
  segments?: Array<string> | null | undefined;
  status?: CustomerStatus | null | undefined;
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

export type RemoveListingMutationVariables = Exact<{
  listingId: string | number;
}>;


export type RemoveListingMutation = { removeListing: { listing: { id: string } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ClaimGiftMutationVariables = Exact<{
  giftListId: string | number;
  optionId: string | number;
  idempotencyKey: string;
}>;


export type ClaimGiftMutation = { claimGift: { issuedOffer: { id: string, code: string, status: IssuedOfferStatus } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type CreateCampaignMutationVariables = Exact<{
  input: CreateCampaignInput;
}>;


export type CreateCampaignMutation = { createCampaign: { campaign: { id: string, name: string, startsAt: string, endsAt: string } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type UpsertCustomerMutationVariables = Exact<{
  input: UpsertCustomerInput;
}>;


export type UpsertCustomerMutation = { upsertCustomer: { customer: { id: string, externalId: string, status: CustomerStatus, segments: Array<string>, tier: { code: string } | null } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type CreateRewardStoreMutationVariables = Exact<{
  input: CreateRewardStoreInput;
}>;


export type CreateRewardStoreMutation = { createRewardStore: { rewardStore: { id: string, code: string, name: string } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type WalletQueryVariables = Exact<{
  status?: Array<IssuedOfferStatus> | IssuedOfferStatus | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type WalletQuery = { me: { id: string, wallet: { edges: Array<{ cursor: string, node: { id: string, code: string, status: IssuedOfferStatus, source: IssuedOfferSource, expiresAt: string | null, offer: { id: string, name: string, version: number } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } | null };

export type CreateOfferMutationVariables = Exact<{
  input: CreateOfferInput;
}>;


export type CreateOfferMutation = { createOffer: { offer: { id: string, version: number, name: string } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type RedeemOfferMutationVariables = Exact<{
  code: string;
  lockId?: string | null | undefined;
  transactionExternalId?: string | null | undefined;
}>;


export type RedeemOfferMutation = { redeemOffer: { issuedOffer: { id: string, code: string, status: IssuedOfferStatus, redeemedAt: string | null } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type CreateGiftListMutationVariables = Exact<{
  input: CreateGiftListInput;
}>;


export type CreateGiftListMutation = { createGiftList: { giftList: { id: string, name: string, threshold: number } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type AdjustPointsMutationVariables = Exact<{
  input: AdjustPointsInput;
}>;


export type AdjustPointsMutation = { adjustPoints: { entry: { id: string, amount: number, kind: LedgerEntryKind, reason: string | null, balanceAfter: number } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type TierChangedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type TierChangedSubscription = { tierChanged: { from: { code: string } | null, to: { code: string } | null } };

export type GiftListsQueryVariables = Exact<{ [key: string]: never; }>;


export type GiftListsQuery = { me: { id: string, giftLists: Array<{ id: string, name: string, threshold: number, unlocked: boolean | null, claimableCount: number | null, pointsToNext: number | null, options: Array<{ id: string, name: string }> }> } | null };

export type ProfileQueryVariables = Exact<{ [key: string]: never; }>;


export type ProfileQuery = { me: { id: string, externalId: string, name: string | null, email: string | null, birthDate: string | null, status: CustomerStatus, segments: Array<string>, tier: { code: string, name: string, rank: number } | null, balances: Array<{ available: number, pending: number, lifetimeEarned: number, currency: { code: string, name: string }, expiringSoon: Array<{ amount: number, expiresAt: string }> }>, nextTier: { code: string, name: string, pointsNeeded: number } | null } | null };

export type SetEconomyRuleMutationVariables = Exact<{
  input: SetEconomyRuleInput;
}>;


export type SetEconomyRuleMutation = { setEconomyRule: { rule: { id: string, pointsPerUnit: string, currency: { code: string } } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type TransactionStatusQueryVariables = Exact<{
  externalId: string;
}>;


export type TransactionStatusQuery = { transaction: { id: string, externalId: string, status: TransactionStatus, failureReason: string | null, total: string, discount: string, pointsAwarded: number, awards: Array<{ kind: AwardKind, points: number, rule: string, offer: { id: string, name: string } | null }>, offersApplied: Array<{ code: string }> } | null };

export type AuditLogQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type AuditLogQuery = { auditLog: { edges: Array<{ node: { id: string, actor: string, action: string, target: string, reason: string | null, at: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type CreateTierMutationVariables = Exact<{
  input: CreateTierInput;
}>;


export type CreateTierMutation = { createTier: { tier: { id: string, code: string, name: string, rank: number, threshold: number, windowDays: number | null, multiplier: number } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type EligibleRewardStoresQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type EligibleRewardStoresQuery = { me: { id: string, eligibleRewardStores: { edges: Array<{ cursor: string, node: { id: string, code: string, name: string, currency: { code: string } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } | null };

export type SubmitTransactionMutationVariables = Exact<{
  input: SubmitTransactionInput;
}>;


export type SubmitTransactionMutation = { submitTransaction: { transaction: { id: string, externalId: string, status: TransactionStatus } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type CreateCurrencyMutationVariables = Exact<{
  input: CreateCurrencyInput;
}>;


export type CreateCurrencyMutation = { createCurrency: { currency: { code: string, name: string, expiryDays: number | null, pointValue: string } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type UpdateOfferMutationVariables = Exact<{
  input: UpdateOfferInput;
}>;


export type UpdateOfferMutation = { updateOffer: { offer: { id: string, version: number, name: string } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ReverseTransactionMutationVariables = Exact<{
  externalId: string;
  reason?: string | null | undefined;
}>;


export type ReverseTransactionMutation = { reverseTransaction: { transaction: { id: string, externalId: string, status: TransactionStatus } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type RegisterPersistedOperationsMutationVariables = Exact<{
  input: RegisterPersistedOperationsInput;
}>;


export type RegisterPersistedOperationsMutation = { registerPersistedOperations: { count: number | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type BalanceChangedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type BalanceChangedSubscription = { balanceChanged: { available: number, pending: number, lifetimeEarned: number, currency: { code: string }, change: { amount: number, kind: LedgerEntryKind, reason: string | null } | null } };

export type SetActivityRuleMutationVariables = Exact<{
  input: SetActivityRuleInput;
}>;


export type SetActivityRuleMutation = { setActivityRule: { rule: { id: string, kind: ActivityKind, points: number, capPerPeriod: number | null, periodDays: number | null } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type ReleaseOfferMutationVariables = Exact<{
  code: string;
  lockId: string;
}>;


export type ReleaseOfferMutation = { releaseOffer: { issuedOffer: { id: string, code: string, status: IssuedOfferStatus } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type AddListingMutationVariables = Exact<{
  input: AddListingInput;
}>;


export type AddListingMutation = { addListing: { listing: { id: string, priceInPoints: number, stockRemaining: number | null, perCustomerLimit: number | null } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type PurchaseOfferMutationVariables = Exact<{
  listingId: string | number;
  idempotencyKey: string;
}>;


export type PurchaseOfferMutation = { purchaseOffer: { purchase: { id: string, pointsPaid: number, issuedOffer: { id: string, code: string, status: IssuedOfferStatus, expiresAt: string | null, offer: { id: string, name: string, version: number } } } | null, balance: { available: number, currency: { code: string } } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type RecordActivityMutationVariables = Exact<{
  customerExternalId: string;
  kind: ActivityKind;
  reference: string;
}>;


export type RecordActivityMutation = { recordActivity: { pointsAwarded: number | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type WalletChangedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type WalletChangedSubscription = { walletChanged: { change: string, issuedOffer: { id: string, code: string, status: IssuedOfferStatus } | null } };

export type CustomerByExternalIdQueryVariables = Exact<{
  externalId: string;
}>;


export type CustomerByExternalIdQuery = { customer: { id: string, externalId: string, tier: { code: string } | null, balances: Array<{ available: number, pending: number, currency: { code: string } }> } | null };

export type LockOfferMutationVariables = Exact<{
  code: string;
  lockId: string;
  ttlSeconds?: number | null | undefined;
}>;


export type LockOfferMutation = { lockOffer: { issuedOffer: { id: string, code: string, status: IssuedOfferStatus, lockExpiresAt: string | null } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export type PointHistoryQueryVariables = Exact<{
  currency?: string | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type PointHistoryQuery = { me: { id: string, pointHistory: { edges: Array<{ cursor: string, node: { id: string, amount: number, kind: LedgerEntryKind, reason: string | null, balanceAfter: number, createdAt: string, expiresAt: string | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } | null };

export type ProgramStatsQueryVariables = Exact<{
  currency: string;
  from: string;
  to: string;
}>;


export type ProgramStatsQuery = { programStats: { pointsIssued: number, pointsSpent: number, pointsExpired: number, outstandingPoints: number, outstandingLiability: string, redemptionRate: number, activeMembers: number, tierMix: Array<{ members: number, tier: { code: string } | null }>, topOffers: Array<{ purchases: number, redemptions: number, offer: { id: string, name: string } | null }> } | null };

export type RewardStoreOffersQueryVariables = Exact<{
  storeId: string | number;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type RewardStoreOffersQuery = { node:
    | { id: string, code: string, name: string, listings: { edges: Array<{ cursor: string, node: { id: string, priceInPoints: number, stockRemaining: number | null, perCustomerLimit: number | null, purchasedByMe: number | null, affordable: boolean | null, pointsMissing: number | null, offer: { id: string, version: number, name: string, description: string | null, imageUrl: string | null, terms: string | null, benefit: { kind: OfferBenefitKind, percentOff: number | null, amountOff: string | null, freeSku: string | null, maxDiscount: string | null } } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } }
    | Record<PropertyKey, never>
   | null };

export type CreatePartnerMutationVariables = Exact<{
  input: CreatePartnerInput;
}>;


export type CreatePartnerMutation = { createPartner: { apiKey: string | null, partner: { id: string, name: string, scopes: Array<string> } | null, userErrors: Array<{ code: UserErrorCode, field: Array<string> | null, message: string }> } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const RemoveListingDocument = new TypedDocumentString(`
    mutation RemoveListing($listingId: ID!) {
  removeListing(input: {listingId: $listingId}) {
    listing {
      id
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<RemoveListingMutation, RemoveListingMutationVariables>;
export const ClaimGiftDocument = new TypedDocumentString(`
    mutation ClaimGift($giftListId: ID!, $optionId: ID!, $idempotencyKey: String!) {
  claimGift(
    input: {giftListId: $giftListId, optionId: $optionId, idempotencyKey: $idempotencyKey}
  ) {
    issuedOffer {
      id
      code
      status
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<ClaimGiftMutation, ClaimGiftMutationVariables>;
export const CreateCampaignDocument = new TypedDocumentString(`
    mutation CreateCampaign($input: CreateCampaignInput!) {
  createCampaign(input: $input) {
    campaign {
      id
      name
      startsAt
      endsAt
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<CreateCampaignMutation, CreateCampaignMutationVariables>;
export const UpsertCustomerDocument = new TypedDocumentString(`
    mutation UpsertCustomer($input: UpsertCustomerInput!) {
  upsertCustomer(input: $input) {
    customer {
      id
      externalId
      status
      tier {
        code
      }
      segments
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<UpsertCustomerMutation, UpsertCustomerMutationVariables>;
export const CreateRewardStoreDocument = new TypedDocumentString(`
    mutation CreateRewardStore($input: CreateRewardStoreInput!) {
  createRewardStore(input: $input) {
    rewardStore {
      id
      code
      name
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<CreateRewardStoreMutation, CreateRewardStoreMutationVariables>;
export const WalletDocument = new TypedDocumentString(`
    query Wallet($status: [IssuedOfferStatus!], $first: Int = 20, $after: String) {
  me {
    id
    wallet(status: $status, first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          code
          status
          source
          expiresAt
          offer {
            id
            name
            version
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
}
    `) as unknown as TypedDocumentString<WalletQuery, WalletQueryVariables>;
export const CreateOfferDocument = new TypedDocumentString(`
    mutation CreateOffer($input: CreateOfferInput!) {
  createOffer(input: $input) {
    offer {
      id
      version
      name
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<CreateOfferMutation, CreateOfferMutationVariables>;
export const RedeemOfferDocument = new TypedDocumentString(`
    mutation RedeemOffer($code: String!, $lockId: String, $transactionExternalId: String) {
  redeemOffer(
    input: {code: $code, lockId: $lockId, transactionExternalId: $transactionExternalId}
  ) {
    issuedOffer {
      id
      code
      status
      redeemedAt
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<RedeemOfferMutation, RedeemOfferMutationVariables>;
export const CreateGiftListDocument = new TypedDocumentString(`
    mutation CreateGiftList($input: CreateGiftListInput!) {
  createGiftList(input: $input) {
    giftList {
      id
      name
      threshold
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<CreateGiftListMutation, CreateGiftListMutationVariables>;
export const AdjustPointsDocument = new TypedDocumentString(`
    mutation AdjustPoints($input: AdjustPointsInput!) {
  adjustPoints(input: $input) {
    entry {
      id
      amount
      kind
      reason
      balanceAfter
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<AdjustPointsMutation, AdjustPointsMutationVariables>;
export const TierChangedDocument = new TypedDocumentString(`
    subscription TierChanged {
  tierChanged {
    from {
      code
    }
    to {
      code
    }
  }
}
    `) as unknown as TypedDocumentString<TierChangedSubscription, TierChangedSubscriptionVariables>;
export const GiftListsDocument = new TypedDocumentString(`
    query GiftLists {
  me {
    id
    giftLists {
      id
      name
      threshold
      unlocked
      claimableCount
      pointsToNext
      options {
        id
        name
      }
    }
  }
}
    `) as unknown as TypedDocumentString<GiftListsQuery, GiftListsQueryVariables>;
export const ProfileDocument = new TypedDocumentString(`
    query Profile {
  me {
    id
    externalId
    name
    email
    birthDate
    status
    tier {
      code
      name
      rank
    }
    segments
    balances {
      currency {
        code
        name
      }
      available
      pending
      lifetimeEarned
      expiringSoon {
        amount
        expiresAt
      }
    }
    nextTier {
      code
      name
      pointsNeeded
    }
  }
}
    `) as unknown as TypedDocumentString<ProfileQuery, ProfileQueryVariables>;
export const SetEconomyRuleDocument = new TypedDocumentString(`
    mutation SetEconomyRule($input: SetEconomyRuleInput!) {
  setEconomyRule(input: $input) {
    rule {
      id
      currency {
        code
      }
      pointsPerUnit
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<SetEconomyRuleMutation, SetEconomyRuleMutationVariables>;
export const TransactionStatusDocument = new TypedDocumentString(`
    query TransactionStatus($externalId: String!) {
  transaction(externalId: $externalId) {
    id
    externalId
    status
    failureReason
    total
    discount
    pointsAwarded
    awards {
      kind
      points
      offer {
        id
        name
      }
      rule
    }
    offersApplied {
      code
    }
  }
}
    `) as unknown as TypedDocumentString<TransactionStatusQuery, TransactionStatusQueryVariables>;
export const AuditLogDocument = new TypedDocumentString(`
    query AuditLog($first: Int = 50, $after: String) {
  auditLog(first: $first, after: $after) {
    edges {
      node {
        id
        actor
        action
        target
        reason
        at
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<AuditLogQuery, AuditLogQueryVariables>;
export const CreateTierDocument = new TypedDocumentString(`
    mutation CreateTier($input: CreateTierInput!) {
  createTier(input: $input) {
    tier {
      id
      code
      name
      rank
      threshold
      windowDays
      multiplier
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<CreateTierMutation, CreateTierMutationVariables>;
export const EligibleRewardStoresDocument = new TypedDocumentString(`
    query EligibleRewardStores($first: Int = 20, $after: String) {
  me {
    id
    eligibleRewardStores(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          code
          name
          currency {
            code
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
}
    `) as unknown as TypedDocumentString<EligibleRewardStoresQuery, EligibleRewardStoresQueryVariables>;
export const SubmitTransactionDocument = new TypedDocumentString(`
    mutation SubmitTransaction($input: SubmitTransactionInput!) {
  submitTransaction(input: $input) {
    transaction {
      id
      externalId
      status
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<SubmitTransactionMutation, SubmitTransactionMutationVariables>;
export const CreateCurrencyDocument = new TypedDocumentString(`
    mutation CreateCurrency($input: CreateCurrencyInput!) {
  createCurrency(input: $input) {
    currency {
      code
      name
      expiryDays
      pointValue
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<CreateCurrencyMutation, CreateCurrencyMutationVariables>;
export const UpdateOfferDocument = new TypedDocumentString(`
    mutation UpdateOffer($input: UpdateOfferInput!) {
  updateOffer(input: $input) {
    offer {
      id
      version
      name
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<UpdateOfferMutation, UpdateOfferMutationVariables>;
export const ReverseTransactionDocument = new TypedDocumentString(`
    mutation ReverseTransaction($externalId: String!, $reason: String) {
  reverseTransaction(input: {externalId: $externalId, reason: $reason}) {
    transaction {
      id
      externalId
      status
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<ReverseTransactionMutation, ReverseTransactionMutationVariables>;
export const RegisterPersistedOperationsDocument = new TypedDocumentString(`
    mutation RegisterPersistedOperations($input: RegisterPersistedOperationsInput!) {
  registerPersistedOperations(input: $input) {
    count
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<RegisterPersistedOperationsMutation, RegisterPersistedOperationsMutationVariables>;
export const BalanceChangedDocument = new TypedDocumentString(`
    subscription BalanceChanged {
  balanceChanged {
    currency {
      code
    }
    available
    pending
    lifetimeEarned
    change {
      amount
      kind
      reason
    }
  }
}
    `) as unknown as TypedDocumentString<BalanceChangedSubscription, BalanceChangedSubscriptionVariables>;
export const SetActivityRuleDocument = new TypedDocumentString(`
    mutation SetActivityRule($input: SetActivityRuleInput!) {
  setActivityRule(input: $input) {
    rule {
      id
      kind
      points
      capPerPeriod
      periodDays
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<SetActivityRuleMutation, SetActivityRuleMutationVariables>;
export const ReleaseOfferDocument = new TypedDocumentString(`
    mutation ReleaseOffer($code: String!, $lockId: String!) {
  releaseOffer(input: {code: $code, lockId: $lockId}) {
    issuedOffer {
      id
      code
      status
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<ReleaseOfferMutation, ReleaseOfferMutationVariables>;
export const AddListingDocument = new TypedDocumentString(`
    mutation AddListing($input: AddListingInput!) {
  addListing(input: $input) {
    listing {
      id
      priceInPoints
      stockRemaining
      perCustomerLimit
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<AddListingMutation, AddListingMutationVariables>;
export const PurchaseOfferDocument = new TypedDocumentString(`
    mutation PurchaseOffer($listingId: ID!, $idempotencyKey: String!) {
  purchaseOffer(input: {listingId: $listingId, idempotencyKey: $idempotencyKey}) {
    purchase {
      id
      pointsPaid
      issuedOffer {
        id
        code
        status
        expiresAt
        offer {
          id
          name
          version
        }
      }
    }
    balance {
      currency {
        code
      }
      available
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<PurchaseOfferMutation, PurchaseOfferMutationVariables>;
export const RecordActivityDocument = new TypedDocumentString(`
    mutation RecordActivity($customerExternalId: String!, $kind: ActivityKind!, $reference: String!) {
  recordActivity(
    input: {customerExternalId: $customerExternalId, kind: $kind, reference: $reference}
  ) {
    pointsAwarded
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<RecordActivityMutation, RecordActivityMutationVariables>;
export const WalletChangedDocument = new TypedDocumentString(`
    subscription WalletChanged {
  walletChanged {
    change
    issuedOffer {
      id
      code
      status
    }
  }
}
    `) as unknown as TypedDocumentString<WalletChangedSubscription, WalletChangedSubscriptionVariables>;
export const CustomerByExternalIdDocument = new TypedDocumentString(`
    query CustomerByExternalId($externalId: String!) {
  customer(externalId: $externalId) {
    id
    externalId
    tier {
      code
    }
    balances {
      currency {
        code
      }
      available
      pending
    }
  }
}
    `) as unknown as TypedDocumentString<CustomerByExternalIdQuery, CustomerByExternalIdQueryVariables>;
export const LockOfferDocument = new TypedDocumentString(`
    mutation LockOffer($code: String!, $lockId: String!, $ttlSeconds: Int) {
  lockOffer(input: {code: $code, lockId: $lockId, ttlSeconds: $ttlSeconds}) {
    issuedOffer {
      id
      code
      status
      lockExpiresAt
    }
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<LockOfferMutation, LockOfferMutationVariables>;
export const PointHistoryDocument = new TypedDocumentString(`
    query PointHistory($currency: String, $first: Int = 20, $after: String) {
  me {
    id
    pointHistory(currency: $currency, first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          amount
          kind
          reason
          balanceAfter
          createdAt
          expiresAt
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
}
    `) as unknown as TypedDocumentString<PointHistoryQuery, PointHistoryQueryVariables>;
export const ProgramStatsDocument = new TypedDocumentString(`
    query ProgramStats($currency: String!, $from: DateTime!, $to: DateTime!) {
  programStats(currency: $currency, from: $from, to: $to) {
    pointsIssued
    pointsSpent
    pointsExpired
    outstandingPoints
    outstandingLiability
    redemptionRate
    activeMembers
    tierMix {
      tier {
        code
      }
      members
    }
    topOffers(first: 5) {
      offer {
        id
        name
      }
      purchases
      redemptions
    }
  }
}
    `) as unknown as TypedDocumentString<ProgramStatsQuery, ProgramStatsQueryVariables>;
export const RewardStoreOffersDocument = new TypedDocumentString(`
    query RewardStoreOffers($storeId: ID!, $first: Int = 20, $after: String) {
  node(id: $storeId) {
    ... on RewardStore {
      id
      code
      name
      listings(first: $first, after: $after) {
        edges {
          cursor
          node {
            id
            priceInPoints
            stockRemaining
            perCustomerLimit
            purchasedByMe
            affordable
            pointsMissing
            offer {
              id
              version
              name
              description
              imageUrl
              terms
              benefit {
                kind
                percentOff
                amountOff
                freeSku
                maxDiscount
              }
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<RewardStoreOffersQuery, RewardStoreOffersQueryVariables>;
export const CreatePartnerDocument = new TypedDocumentString(`
    mutation CreatePartner($input: CreatePartnerInput!) {
  createPartner(input: $input) {
    partner {
      id
      name
      scopes
    }
    apiKey
    userErrors {
      code
      field
      message
    }
  }
}
    `) as unknown as TypedDocumentString<CreatePartnerMutation, CreatePartnerMutationVariables>;