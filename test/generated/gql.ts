/* eslint-disable */
import * as types from './graphql.js';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation RemoveListing($listingId: ID!) {\n  removeListing(input: {listingId: $listingId}) {\n    listing {\n      id\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.RemoveListingDocument,
    "mutation ClaimGift($giftListId: ID!, $optionId: ID!, $idempotencyKey: String!) {\n  claimGift(\n    input: {giftListId: $giftListId, optionId: $optionId, idempotencyKey: $idempotencyKey}\n  ) {\n    issuedOffer {\n      id\n      code\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.ClaimGiftDocument,
    "mutation CreateCampaign($input: CreateCampaignInput!) {\n  createCampaign(input: $input) {\n    campaign {\n      id\n      name\n      startsAt\n      endsAt\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.CreateCampaignDocument,
    "mutation UpsertCustomer($input: UpsertCustomerInput!) {\n  upsertCustomer(input: $input) {\n    customer {\n      id\n      externalId\n      status\n      tier {\n        code\n      }\n      segments\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.UpsertCustomerDocument,
    "mutation CreateRewardStore($input: CreateRewardStoreInput!) {\n  createRewardStore(input: $input) {\n    rewardStore {\n      id\n      code\n      name\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.CreateRewardStoreDocument,
    "query Wallet($status: [IssuedOfferStatus!], $first: Int = 20, $after: String) {\n  me {\n    id\n    wallet(status: $status, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          code\n          status\n          source\n          expiresAt\n          offer {\n            id\n            name\n            version\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": typeof types.WalletDocument,
    "mutation CreateOffer($input: CreateOfferInput!) {\n  createOffer(input: $input) {\n    offer {\n      id\n      version\n      name\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.CreateOfferDocument,
    "mutation RedeemOffer($code: String!, $lockId: String, $transactionExternalId: String) {\n  redeemOffer(\n    input: {code: $code, lockId: $lockId, transactionExternalId: $transactionExternalId}\n  ) {\n    issuedOffer {\n      id\n      code\n      status\n      redeemedAt\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.RedeemOfferDocument,
    "mutation CreateGiftList($input: CreateGiftListInput!) {\n  createGiftList(input: $input) {\n    giftList {\n      id\n      name\n      threshold\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.CreateGiftListDocument,
    "mutation AdjustPoints($input: AdjustPointsInput!) {\n  adjustPoints(input: $input) {\n    entry {\n      id\n      amount\n      kind\n      reason\n      balanceAfter\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.AdjustPointsDocument,
    "subscription TierChanged {\n  tierChanged {\n    from {\n      code\n    }\n    to {\n      code\n    }\n  }\n}": typeof types.TierChangedDocument,
    "query GiftLists {\n  me {\n    id\n    giftLists {\n      id\n      name\n      threshold\n      unlocked\n      claimableCount\n      pointsToNext\n      options {\n        id\n        name\n      }\n    }\n  }\n}": typeof types.GiftListsDocument,
    "query Profile {\n  me {\n    id\n    externalId\n    name\n    email\n    birthDate\n    status\n    tier {\n      code\n      name\n      rank\n    }\n    segments\n    balances {\n      currency {\n        code\n        name\n      }\n      available\n      pending\n      lifetimeEarned\n      expiringSoon {\n        amount\n        expiresAt\n      }\n    }\n    nextTier {\n      code\n      name\n      pointsNeeded\n    }\n  }\n}": typeof types.ProfileDocument,
    "mutation SetEconomyRule($input: SetEconomyRuleInput!) {\n  setEconomyRule(input: $input) {\n    rule {\n      id\n      currency {\n        code\n      }\n      pointsPerUnit\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.SetEconomyRuleDocument,
    "query TransactionStatus($externalId: String!) {\n  transaction(externalId: $externalId) {\n    id\n    externalId\n    status\n    failureReason\n    total\n    discount\n    pointsAwarded\n    awards {\n      kind\n      points\n      offer {\n        id\n        name\n      }\n      rule\n    }\n    offersApplied {\n      code\n    }\n  }\n}": typeof types.TransactionStatusDocument,
    "query AuditLog($first: Int = 50, $after: String) {\n  auditLog(first: $first, after: $after) {\n    edges {\n      node {\n        id\n        actor\n        action\n        target\n        reason\n        at\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.AuditLogDocument,
    "mutation CreateTier($input: CreateTierInput!) {\n  createTier(input: $input) {\n    tier {\n      id\n      code\n      name\n      rank\n      threshold\n      windowDays\n      multiplier\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.CreateTierDocument,
    "query EligibleRewardStores($first: Int = 20, $after: String) {\n  me {\n    id\n    eligibleRewardStores(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          code\n          name\n          currency {\n            code\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": typeof types.EligibleRewardStoresDocument,
    "mutation SubmitTransaction($input: SubmitTransactionInput!) {\n  submitTransaction(input: $input) {\n    transaction {\n      id\n      externalId\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.SubmitTransactionDocument,
    "mutation CreateCurrency($input: CreateCurrencyInput!) {\n  createCurrency(input: $input) {\n    currency {\n      code\n      name\n      expiryDays\n      pointValue\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.CreateCurrencyDocument,
    "mutation UpdateOffer($input: UpdateOfferInput!) {\n  updateOffer(input: $input) {\n    offer {\n      id\n      version\n      name\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.UpdateOfferDocument,
    "mutation ReverseTransaction($externalId: String!, $reason: String) {\n  reverseTransaction(input: {externalId: $externalId, reason: $reason}) {\n    transaction {\n      id\n      externalId\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.ReverseTransactionDocument,
    "mutation RegisterPersistedOperations($input: RegisterPersistedOperationsInput!) {\n  registerPersistedOperations(input: $input) {\n    count\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.RegisterPersistedOperationsDocument,
    "subscription BalanceChanged {\n  balanceChanged {\n    currency {\n      code\n    }\n    available\n    pending\n    lifetimeEarned\n    change {\n      amount\n      kind\n      reason\n    }\n  }\n}": typeof types.BalanceChangedDocument,
    "mutation SetActivityRule($input: SetActivityRuleInput!) {\n  setActivityRule(input: $input) {\n    rule {\n      id\n      kind\n      points\n      capPerPeriod\n      periodDays\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.SetActivityRuleDocument,
    "mutation ReleaseOffer($code: String!, $lockId: String!) {\n  releaseOffer(input: {code: $code, lockId: $lockId}) {\n    issuedOffer {\n      id\n      code\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.ReleaseOfferDocument,
    "mutation AddListing($input: AddListingInput!) {\n  addListing(input: $input) {\n    listing {\n      id\n      priceInPoints\n      stockRemaining\n      perCustomerLimit\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.AddListingDocument,
    "mutation PurchaseOffer($listingId: ID!, $idempotencyKey: String!) {\n  purchaseOffer(input: {listingId: $listingId, idempotencyKey: $idempotencyKey}) {\n    purchase {\n      id\n      pointsPaid\n      issuedOffer {\n        id\n        code\n        status\n        expiresAt\n        offer {\n          id\n          name\n          version\n        }\n      }\n    }\n    balance {\n      currency {\n        code\n      }\n      available\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.PurchaseOfferDocument,
    "mutation RecordActivity($customerExternalId: String!, $kind: ActivityKind!, $reference: String!) {\n  recordActivity(\n    input: {customerExternalId: $customerExternalId, kind: $kind, reference: $reference}\n  ) {\n    pointsAwarded\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.RecordActivityDocument,
    "subscription WalletChanged {\n  walletChanged {\n    change\n    issuedOffer {\n      id\n      code\n      status\n    }\n  }\n}": typeof types.WalletChangedDocument,
    "query CustomerByExternalId($externalId: String!) {\n  customer(externalId: $externalId) {\n    id\n    externalId\n    tier {\n      code\n    }\n    balances {\n      currency {\n        code\n      }\n      available\n      pending\n    }\n  }\n}": typeof types.CustomerByExternalIdDocument,
    "mutation LockOffer($code: String!, $lockId: String!, $ttlSeconds: Int) {\n  lockOffer(input: {code: $code, lockId: $lockId, ttlSeconds: $ttlSeconds}) {\n    issuedOffer {\n      id\n      code\n      status\n      lockExpiresAt\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.LockOfferDocument,
    "query PointHistory($currency: String, $first: Int = 20, $after: String) {\n  me {\n    id\n    pointHistory(currency: $currency, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          amount\n          kind\n          reason\n          balanceAfter\n          createdAt\n          expiresAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": typeof types.PointHistoryDocument,
    "query ProgramStats($currency: String!, $from: DateTime!, $to: DateTime!) {\n  programStats(currency: $currency, from: $from, to: $to) {\n    pointsIssued\n    pointsSpent\n    pointsExpired\n    outstandingPoints\n    outstandingLiability\n    redemptionRate\n    activeMembers\n    tierMix {\n      tier {\n        code\n      }\n      members\n    }\n    topOffers(first: 5) {\n      offer {\n        id\n        name\n      }\n      purchases\n      redemptions\n    }\n  }\n}": typeof types.ProgramStatsDocument,
    "query RewardStoreOffers($storeId: ID!, $first: Int = 20, $after: String) {\n  node(id: $storeId) {\n    ... on RewardStore {\n      id\n      code\n      name\n      listings(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            id\n            priceInPoints\n            stockRemaining\n            perCustomerLimit\n            purchasedByMe\n            affordable\n            pointsMissing\n            offer {\n              id\n              version\n              name\n              description\n              imageUrl\n              terms\n              benefit {\n                kind\n                percentOff\n                amountOff\n                freeSku\n                maxDiscount\n              }\n            }\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n}": typeof types.RewardStoreOffersDocument,
    "mutation CreatePartner($input: CreatePartnerInput!) {\n  createPartner(input: $input) {\n    partner {\n      id\n      name\n      scopes\n    }\n    apiKey\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.CreatePartnerDocument,
};
const documents: Documents = {
    "mutation RemoveListing($listingId: ID!) {\n  removeListing(input: {listingId: $listingId}) {\n    listing {\n      id\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.RemoveListingDocument,
    "mutation ClaimGift($giftListId: ID!, $optionId: ID!, $idempotencyKey: String!) {\n  claimGift(\n    input: {giftListId: $giftListId, optionId: $optionId, idempotencyKey: $idempotencyKey}\n  ) {\n    issuedOffer {\n      id\n      code\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.ClaimGiftDocument,
    "mutation CreateCampaign($input: CreateCampaignInput!) {\n  createCampaign(input: $input) {\n    campaign {\n      id\n      name\n      startsAt\n      endsAt\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.CreateCampaignDocument,
    "mutation UpsertCustomer($input: UpsertCustomerInput!) {\n  upsertCustomer(input: $input) {\n    customer {\n      id\n      externalId\n      status\n      tier {\n        code\n      }\n      segments\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.UpsertCustomerDocument,
    "mutation CreateRewardStore($input: CreateRewardStoreInput!) {\n  createRewardStore(input: $input) {\n    rewardStore {\n      id\n      code\n      name\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.CreateRewardStoreDocument,
    "query Wallet($status: [IssuedOfferStatus!], $first: Int = 20, $after: String) {\n  me {\n    id\n    wallet(status: $status, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          code\n          status\n          source\n          expiresAt\n          offer {\n            id\n            name\n            version\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": types.WalletDocument,
    "mutation CreateOffer($input: CreateOfferInput!) {\n  createOffer(input: $input) {\n    offer {\n      id\n      version\n      name\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.CreateOfferDocument,
    "mutation RedeemOffer($code: String!, $lockId: String, $transactionExternalId: String) {\n  redeemOffer(\n    input: {code: $code, lockId: $lockId, transactionExternalId: $transactionExternalId}\n  ) {\n    issuedOffer {\n      id\n      code\n      status\n      redeemedAt\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.RedeemOfferDocument,
    "mutation CreateGiftList($input: CreateGiftListInput!) {\n  createGiftList(input: $input) {\n    giftList {\n      id\n      name\n      threshold\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.CreateGiftListDocument,
    "mutation AdjustPoints($input: AdjustPointsInput!) {\n  adjustPoints(input: $input) {\n    entry {\n      id\n      amount\n      kind\n      reason\n      balanceAfter\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.AdjustPointsDocument,
    "subscription TierChanged {\n  tierChanged {\n    from {\n      code\n    }\n    to {\n      code\n    }\n  }\n}": types.TierChangedDocument,
    "query GiftLists {\n  me {\n    id\n    giftLists {\n      id\n      name\n      threshold\n      unlocked\n      claimableCount\n      pointsToNext\n      options {\n        id\n        name\n      }\n    }\n  }\n}": types.GiftListsDocument,
    "query Profile {\n  me {\n    id\n    externalId\n    name\n    email\n    birthDate\n    status\n    tier {\n      code\n      name\n      rank\n    }\n    segments\n    balances {\n      currency {\n        code\n        name\n      }\n      available\n      pending\n      lifetimeEarned\n      expiringSoon {\n        amount\n        expiresAt\n      }\n    }\n    nextTier {\n      code\n      name\n      pointsNeeded\n    }\n  }\n}": types.ProfileDocument,
    "mutation SetEconomyRule($input: SetEconomyRuleInput!) {\n  setEconomyRule(input: $input) {\n    rule {\n      id\n      currency {\n        code\n      }\n      pointsPerUnit\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.SetEconomyRuleDocument,
    "query TransactionStatus($externalId: String!) {\n  transaction(externalId: $externalId) {\n    id\n    externalId\n    status\n    failureReason\n    total\n    discount\n    pointsAwarded\n    awards {\n      kind\n      points\n      offer {\n        id\n        name\n      }\n      rule\n    }\n    offersApplied {\n      code\n    }\n  }\n}": types.TransactionStatusDocument,
    "query AuditLog($first: Int = 50, $after: String) {\n  auditLog(first: $first, after: $after) {\n    edges {\n      node {\n        id\n        actor\n        action\n        target\n        reason\n        at\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.AuditLogDocument,
    "mutation CreateTier($input: CreateTierInput!) {\n  createTier(input: $input) {\n    tier {\n      id\n      code\n      name\n      rank\n      threshold\n      windowDays\n      multiplier\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.CreateTierDocument,
    "query EligibleRewardStores($first: Int = 20, $after: String) {\n  me {\n    id\n    eligibleRewardStores(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          code\n          name\n          currency {\n            code\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": types.EligibleRewardStoresDocument,
    "mutation SubmitTransaction($input: SubmitTransactionInput!) {\n  submitTransaction(input: $input) {\n    transaction {\n      id\n      externalId\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.SubmitTransactionDocument,
    "mutation CreateCurrency($input: CreateCurrencyInput!) {\n  createCurrency(input: $input) {\n    currency {\n      code\n      name\n      expiryDays\n      pointValue\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.CreateCurrencyDocument,
    "mutation UpdateOffer($input: UpdateOfferInput!) {\n  updateOffer(input: $input) {\n    offer {\n      id\n      version\n      name\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.UpdateOfferDocument,
    "mutation ReverseTransaction($externalId: String!, $reason: String) {\n  reverseTransaction(input: {externalId: $externalId, reason: $reason}) {\n    transaction {\n      id\n      externalId\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.ReverseTransactionDocument,
    "mutation RegisterPersistedOperations($input: RegisterPersistedOperationsInput!) {\n  registerPersistedOperations(input: $input) {\n    count\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.RegisterPersistedOperationsDocument,
    "subscription BalanceChanged {\n  balanceChanged {\n    currency {\n      code\n    }\n    available\n    pending\n    lifetimeEarned\n    change {\n      amount\n      kind\n      reason\n    }\n  }\n}": types.BalanceChangedDocument,
    "mutation SetActivityRule($input: SetActivityRuleInput!) {\n  setActivityRule(input: $input) {\n    rule {\n      id\n      kind\n      points\n      capPerPeriod\n      periodDays\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.SetActivityRuleDocument,
    "mutation ReleaseOffer($code: String!, $lockId: String!) {\n  releaseOffer(input: {code: $code, lockId: $lockId}) {\n    issuedOffer {\n      id\n      code\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.ReleaseOfferDocument,
    "mutation AddListing($input: AddListingInput!) {\n  addListing(input: $input) {\n    listing {\n      id\n      priceInPoints\n      stockRemaining\n      perCustomerLimit\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.AddListingDocument,
    "mutation PurchaseOffer($listingId: ID!, $idempotencyKey: String!) {\n  purchaseOffer(input: {listingId: $listingId, idempotencyKey: $idempotencyKey}) {\n    purchase {\n      id\n      pointsPaid\n      issuedOffer {\n        id\n        code\n        status\n        expiresAt\n        offer {\n          id\n          name\n          version\n        }\n      }\n    }\n    balance {\n      currency {\n        code\n      }\n      available\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.PurchaseOfferDocument,
    "mutation RecordActivity($customerExternalId: String!, $kind: ActivityKind!, $reference: String!) {\n  recordActivity(\n    input: {customerExternalId: $customerExternalId, kind: $kind, reference: $reference}\n  ) {\n    pointsAwarded\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.RecordActivityDocument,
    "subscription WalletChanged {\n  walletChanged {\n    change\n    issuedOffer {\n      id\n      code\n      status\n    }\n  }\n}": types.WalletChangedDocument,
    "query CustomerByExternalId($externalId: String!) {\n  customer(externalId: $externalId) {\n    id\n    externalId\n    tier {\n      code\n    }\n    balances {\n      currency {\n        code\n      }\n      available\n      pending\n    }\n  }\n}": types.CustomerByExternalIdDocument,
    "mutation LockOffer($code: String!, $lockId: String!, $ttlSeconds: Int) {\n  lockOffer(input: {code: $code, lockId: $lockId, ttlSeconds: $ttlSeconds}) {\n    issuedOffer {\n      id\n      code\n      status\n      lockExpiresAt\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.LockOfferDocument,
    "query PointHistory($currency: String, $first: Int = 20, $after: String) {\n  me {\n    id\n    pointHistory(currency: $currency, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          amount\n          kind\n          reason\n          balanceAfter\n          createdAt\n          expiresAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": types.PointHistoryDocument,
    "query ProgramStats($currency: String!, $from: DateTime!, $to: DateTime!) {\n  programStats(currency: $currency, from: $from, to: $to) {\n    pointsIssued\n    pointsSpent\n    pointsExpired\n    outstandingPoints\n    outstandingLiability\n    redemptionRate\n    activeMembers\n    tierMix {\n      tier {\n        code\n      }\n      members\n    }\n    topOffers(first: 5) {\n      offer {\n        id\n        name\n      }\n      purchases\n      redemptions\n    }\n  }\n}": types.ProgramStatsDocument,
    "query RewardStoreOffers($storeId: ID!, $first: Int = 20, $after: String) {\n  node(id: $storeId) {\n    ... on RewardStore {\n      id\n      code\n      name\n      listings(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            id\n            priceInPoints\n            stockRemaining\n            perCustomerLimit\n            purchasedByMe\n            affordable\n            pointsMissing\n            offer {\n              id\n              version\n              name\n              description\n              imageUrl\n              terms\n              benefit {\n                kind\n                percentOff\n                amountOff\n                freeSku\n                maxDiscount\n              }\n            }\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n}": types.RewardStoreOffersDocument,
    "mutation CreatePartner($input: CreatePartnerInput!) {\n  createPartner(input: $input) {\n    partner {\n      id\n      name\n      scopes\n    }\n    apiKey\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.CreatePartnerDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RemoveListing($listingId: ID!) {\n  removeListing(input: {listingId: $listingId}) {\n    listing {\n      id\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').RemoveListingDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ClaimGift($giftListId: ID!, $optionId: ID!, $idempotencyKey: String!) {\n  claimGift(\n    input: {giftListId: $giftListId, optionId: $optionId, idempotencyKey: $idempotencyKey}\n  ) {\n    issuedOffer {\n      id\n      code\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').ClaimGiftDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateCampaign($input: CreateCampaignInput!) {\n  createCampaign(input: $input) {\n    campaign {\n      id\n      name\n      startsAt\n      endsAt\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').CreateCampaignDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UpsertCustomer($input: UpsertCustomerInput!) {\n  upsertCustomer(input: $input) {\n    customer {\n      id\n      externalId\n      status\n      tier {\n        code\n      }\n      segments\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').UpsertCustomerDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateRewardStore($input: CreateRewardStoreInput!) {\n  createRewardStore(input: $input) {\n    rewardStore {\n      id\n      code\n      name\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').CreateRewardStoreDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Wallet($status: [IssuedOfferStatus!], $first: Int = 20, $after: String) {\n  me {\n    id\n    wallet(status: $status, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          code\n          status\n          source\n          expiresAt\n          offer {\n            id\n            name\n            version\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"): typeof import('./graphql.js').WalletDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateOffer($input: CreateOfferInput!) {\n  createOffer(input: $input) {\n    offer {\n      id\n      version\n      name\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').CreateOfferDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RedeemOffer($code: String!, $lockId: String, $transactionExternalId: String) {\n  redeemOffer(\n    input: {code: $code, lockId: $lockId, transactionExternalId: $transactionExternalId}\n  ) {\n    issuedOffer {\n      id\n      code\n      status\n      redeemedAt\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').RedeemOfferDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateGiftList($input: CreateGiftListInput!) {\n  createGiftList(input: $input) {\n    giftList {\n      id\n      name\n      threshold\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').CreateGiftListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AdjustPoints($input: AdjustPointsInput!) {\n  adjustPoints(input: $input) {\n    entry {\n      id\n      amount\n      kind\n      reason\n      balanceAfter\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').AdjustPointsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription TierChanged {\n  tierChanged {\n    from {\n      code\n    }\n    to {\n      code\n    }\n  }\n}"): typeof import('./graphql.js').TierChangedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GiftLists {\n  me {\n    id\n    giftLists {\n      id\n      name\n      threshold\n      unlocked\n      claimableCount\n      pointsToNext\n      options {\n        id\n        name\n      }\n    }\n  }\n}"): typeof import('./graphql.js').GiftListsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Profile {\n  me {\n    id\n    externalId\n    name\n    email\n    birthDate\n    status\n    tier {\n      code\n      name\n      rank\n    }\n    segments\n    balances {\n      currency {\n        code\n        name\n      }\n      available\n      pending\n      lifetimeEarned\n      expiringSoon {\n        amount\n        expiresAt\n      }\n    }\n    nextTier {\n      code\n      name\n      pointsNeeded\n    }\n  }\n}"): typeof import('./graphql.js').ProfileDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SetEconomyRule($input: SetEconomyRuleInput!) {\n  setEconomyRule(input: $input) {\n    rule {\n      id\n      currency {\n        code\n      }\n      pointsPerUnit\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').SetEconomyRuleDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query TransactionStatus($externalId: String!) {\n  transaction(externalId: $externalId) {\n    id\n    externalId\n    status\n    failureReason\n    total\n    discount\n    pointsAwarded\n    awards {\n      kind\n      points\n      offer {\n        id\n        name\n      }\n      rule\n    }\n    offersApplied {\n      code\n    }\n  }\n}"): typeof import('./graphql.js').TransactionStatusDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query AuditLog($first: Int = 50, $after: String) {\n  auditLog(first: $first, after: $after) {\n    edges {\n      node {\n        id\n        actor\n        action\n        target\n        reason\n        at\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): typeof import('./graphql.js').AuditLogDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateTier($input: CreateTierInput!) {\n  createTier(input: $input) {\n    tier {\n      id\n      code\n      name\n      rank\n      threshold\n      windowDays\n      multiplier\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').CreateTierDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query EligibleRewardStores($first: Int = 20, $after: String) {\n  me {\n    id\n    eligibleRewardStores(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          code\n          name\n          currency {\n            code\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"): typeof import('./graphql.js').EligibleRewardStoresDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SubmitTransaction($input: SubmitTransactionInput!) {\n  submitTransaction(input: $input) {\n    transaction {\n      id\n      externalId\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').SubmitTransactionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateCurrency($input: CreateCurrencyInput!) {\n  createCurrency(input: $input) {\n    currency {\n      code\n      name\n      expiryDays\n      pointValue\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').CreateCurrencyDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UpdateOffer($input: UpdateOfferInput!) {\n  updateOffer(input: $input) {\n    offer {\n      id\n      version\n      name\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').UpdateOfferDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ReverseTransaction($externalId: String!, $reason: String) {\n  reverseTransaction(input: {externalId: $externalId, reason: $reason}) {\n    transaction {\n      id\n      externalId\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').ReverseTransactionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RegisterPersistedOperations($input: RegisterPersistedOperationsInput!) {\n  registerPersistedOperations(input: $input) {\n    count\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').RegisterPersistedOperationsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription BalanceChanged {\n  balanceChanged {\n    currency {\n      code\n    }\n    available\n    pending\n    lifetimeEarned\n    change {\n      amount\n      kind\n      reason\n    }\n  }\n}"): typeof import('./graphql.js').BalanceChangedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SetActivityRule($input: SetActivityRuleInput!) {\n  setActivityRule(input: $input) {\n    rule {\n      id\n      kind\n      points\n      capPerPeriod\n      periodDays\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').SetActivityRuleDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ReleaseOffer($code: String!, $lockId: String!) {\n  releaseOffer(input: {code: $code, lockId: $lockId}) {\n    issuedOffer {\n      id\n      code\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').ReleaseOfferDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddListing($input: AddListingInput!) {\n  addListing(input: $input) {\n    listing {\n      id\n      priceInPoints\n      stockRemaining\n      perCustomerLimit\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').AddListingDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PurchaseOffer($listingId: ID!, $idempotencyKey: String!) {\n  purchaseOffer(input: {listingId: $listingId, idempotencyKey: $idempotencyKey}) {\n    purchase {\n      id\n      pointsPaid\n      issuedOffer {\n        id\n        code\n        status\n        expiresAt\n        offer {\n          id\n          name\n          version\n        }\n      }\n    }\n    balance {\n      currency {\n        code\n      }\n      available\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').PurchaseOfferDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RecordActivity($customerExternalId: String!, $kind: ActivityKind!, $reference: String!) {\n  recordActivity(\n    input: {customerExternalId: $customerExternalId, kind: $kind, reference: $reference}\n  ) {\n    pointsAwarded\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').RecordActivityDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription WalletChanged {\n  walletChanged {\n    change\n    issuedOffer {\n      id\n      code\n      status\n    }\n  }\n}"): typeof import('./graphql.js').WalletChangedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query CustomerByExternalId($externalId: String!) {\n  customer(externalId: $externalId) {\n    id\n    externalId\n    tier {\n      code\n    }\n    balances {\n      currency {\n        code\n      }\n      available\n      pending\n    }\n  }\n}"): typeof import('./graphql.js').CustomerByExternalIdDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation LockOffer($code: String!, $lockId: String!, $ttlSeconds: Int) {\n  lockOffer(input: {code: $code, lockId: $lockId, ttlSeconds: $ttlSeconds}) {\n    issuedOffer {\n      id\n      code\n      status\n      lockExpiresAt\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').LockOfferDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PointHistory($currency: String, $first: Int = 20, $after: String) {\n  me {\n    id\n    pointHistory(currency: $currency, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          amount\n          kind\n          reason\n          balanceAfter\n          createdAt\n          expiresAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"): typeof import('./graphql.js').PointHistoryDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ProgramStats($currency: String!, $from: DateTime!, $to: DateTime!) {\n  programStats(currency: $currency, from: $from, to: $to) {\n    pointsIssued\n    pointsSpent\n    pointsExpired\n    outstandingPoints\n    outstandingLiability\n    redemptionRate\n    activeMembers\n    tierMix {\n      tier {\n        code\n      }\n      members\n    }\n    topOffers(first: 5) {\n      offer {\n        id\n        name\n      }\n      purchases\n      redemptions\n    }\n  }\n}"): typeof import('./graphql.js').ProgramStatsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query RewardStoreOffers($storeId: ID!, $first: Int = 20, $after: String) {\n  node(id: $storeId) {\n    ... on RewardStore {\n      id\n      code\n      name\n      listings(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            id\n            priceInPoints\n            stockRemaining\n            perCustomerLimit\n            purchasedByMe\n            affordable\n            pointsMissing\n            offer {\n              id\n              version\n              name\n              description\n              imageUrl\n              terms\n              benefit {\n                kind\n                percentOff\n                amountOff\n                freeSku\n                maxDiscount\n              }\n            }\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n}"): typeof import('./graphql.js').RewardStoreOffersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreatePartner($input: CreatePartnerInput!) {\n  createPartner(input: $input) {\n    partner {\n      id\n      name\n      scopes\n    }\n    apiKey\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): typeof import('./graphql.js').CreatePartnerDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
