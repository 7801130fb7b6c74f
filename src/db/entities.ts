import { Activity, ActivityAward, ActivityRule } from '../activities/activity.entity.js';
import { AuditEntry } from '../audit/audit-entry.entity.js';
import { Customer } from '../customers/customer.entity.js';
import { EventRelayCursor, EventStream, OutboxEvent, OutboxHorizon } from '../events/outbox-event.entity.js';
import { GiftClaim, GiftClaimCount, GiftList, GiftListOption } from '../gifts/gift-list.entity.js';
import { IdempotencyRecord } from '../idempotency/idempotency-record.entity.js';
import { RateLimitBucket } from '../http/rate-limit-bucket.entity.js';
import { Job } from '../jobs/job.entity.js';
import { Offer, OfferVersion } from '../offers/offer.entity.js';
import { Partner } from '../partners/partner.entity.js';
import { PersistedDocument, PersistedOperation } from '../persisted/persisted.entity.js';
import { PointAccount } from '../points/account.entity.js';
import { PointCurrency } from '../points/currency.entity.js';
import { LedgerAllocation } from '../points/ledger-allocation.entity.js';
import { LedgerEntry } from '../points/ledger-entry.entity.js';
import { LedgerReversal } from '../points/ledger-reversal.entity.js';
import { PendingCredit } from '../points/pending-credit.entity.js';
import { QualifyingAdjustment } from '../points/qualifying-adjustment.entity.js';
import { OfferPurchase } from '../purchases/purchase.entity.js';
import { Campaign, CampaignCount, EconomyRule, EconomyRuleVersion } from '../rules/rule.entity.js';
import { SalesTransaction, TransactionAward, TransactionOffer } from '../transactions/transaction.entity.js';
import { Listing, ListingPurchaseCount } from '../stores/listing.entity.js';
import { RewardStore } from '../stores/reward-store.entity.js';
import { Tier } from '../tiers/tier.entity.js';
import { IssuedOffer, IssuedOfferLockEnd } from '../wallet/issued-offer.entity.js';
import { WebhookAttempt, WebhookCursor, WebhookDelivery, WebhookEndpoint } from '../webhooks/webhook.entity.js';

export const ENTITIES = [
  WebhookEndpoint,
  WebhookDelivery,
  WebhookAttempt,
  WebhookCursor,
  Activity,
  ActivityAward,
  ActivityRule,
  AuditEntry,
  Customer,
  OutboxEvent,
  EventStream,
  EventRelayCursor,
  OutboxHorizon,
  GiftClaim,
  GiftClaimCount,
  GiftList,
  GiftListOption,
  IdempotencyRecord,
  Job,
  Offer,
  OfferVersion,
  Partner,
  PersistedDocument,
  PersistedOperation,
  PointAccount,
  PointCurrency,
  LedgerEntry,
  OfferPurchase,
  Listing,
  ListingPurchaseCount,
  RewardStore,
  Tier,
  IssuedOffer,
  IssuedOfferLockEnd,
  PendingCredit,
  QualifyingAdjustment,
  LedgerAllocation,
  LedgerReversal,
  EconomyRule,
  EconomyRuleVersion,
  Campaign,
  CampaignCount,
  SalesTransaction,
  TransactionOffer,
  TransactionAward,
  RateLimitBucket,
];
