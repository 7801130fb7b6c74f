
      export type PossibleTypesResultData = {
  "possibleTypes": {
    "Node": [
      "ActivityRule",
      "AuditEntry",
      "Campaign",
      "Customer",
      "EconomyRule",
      "GiftList",
      "IssuedOffer",
      "LedgerEntry",
      "Listing",
      "Offer",
      "OfferPurchase",
      "Partner",
      "RewardStore",
      "SalesTransaction",
      "Tier",
      "WebhookDelivery",
      "WebhookEndpoint"
    ]
  }
};
      const result: PossibleTypesResultData = {
  "possibleTypes": {
    "Node": [
      "ActivityRule",
      "AuditEntry",
      "Campaign",
      "Customer",
      "EconomyRule",
      "GiftList",
      "IssuedOffer",
      "LedgerEntry",
      "Listing",
      "Offer",
      "OfferPurchase",
      "Partner",
      "RewardStore",
      "SalesTransaction",
      "Tier",
      "WebhookDelivery",
      "WebhookEndpoint"
    ]
  }
};
      export default result;
    