import type { LedgerEntryKind, LedgerSource } from './ledger-entry.entity.js';

/** What a ledger entry is, as its row stores it. */
export interface LedgerEntryFacts {
  kind: LedgerEntryKind | string;
  /** TRANSACTION, CAMPAIGN, PURCHASE, GIFT, ACTIVITY, STAFF, EXPIRY or SEED (LedgerSource). */
  sourceType: LedgerSource | string;
  /** The stored reason: a machine key for sale awards, text otherwise. */
  reason: string | null;
}

const KIND_TEXT: Record<string, string> = {
  EARN: 'Earned',
  SPEND: 'Spent',
  EXPIRE: 'Expired',
  ADJUST: 'Adjusted',
  REVERSAL: 'Returned',
};

/** An activity credit's reason is `<ActivityKind> <reference>` (src/activities/activity.service.ts). */
const ACTIVITY_TEXT: Record<string, string> = {
  SIGN_UP: 'Points for joining',
  REFERRAL: 'Points for referring a friend',
  REVIEW: 'Points for a review',
  SOCIAL_SHARE: 'Points for sharing on social media',
  EVENT_CHECK_IN: 'Points for checking in at an event',
  BIRTHDAY: 'Birthday points',
  SURVEY: 'Points for answering a survey',
};

/**
 * The reason of the REVERSAL the ledger writes after a credit to an account that owes points (a
 * returned sale whose points were spent): it carries the credit's source (creditWithRepayment,
 * src/points/ledger.service.ts), STAFF included, so it is recognised by its reason first.
 */
export const DEBT_REPAYMENT_REASON = 'Repays points owed from a reversed sale';

/** What a sale's reversal writes (src/transactions/transaction.service.ts, reverseTransaction). */
const SALE_REVERSED = 'Sale reversed';

/**
 * The sentence a person reads for a ledger entry (`LedgerEntry.description`), where its `reason`
 * is, for sale awards, a rule key partners may parse and so stays as it is (docs/decisions.md,
 * reasons-12). Made by the API since till-37 so that every client shows the same words (an
 * integrator's app showed `economy:BEANS` raw: newcomer-36); the member app and the console used to
 * make it themselves (web/src/shared/ledger-reason.ts, removed):
 *
 * - `economy:<CURRENCY>` (a sale's economy rule, src/transactions/processor.ts) → "Points for a purchase";
 * - `campaign:<id>:<name>` → "Campaign: <name>" (split at the first two colons only: the name may hold more);
 * - an ACTIVITY credit `<KIND> <reference>` → e.g. "Points for a review" (the reference, a partner's id, left out);
 * - a PURCHASE debit (the offer's name) → "Reward bought: <name>"; a GIFT debit (`<list>: <offer>`) → "Gift chosen: <list>: <offer>";
 * - a sale's reversal `Sale reversed[: <partner's reason>]` → "Points taken back: the sale was returned[ (<reason>)]";
 * - a STAFF adjustment → "Adjusted: <reason as the operator typed it>";
 * - no reason → the kind ("Earned", "Spent", …);
 * - the repayment of points owed (`DEBT_REPAYMENT_REASON`, after any credit, a staff one included) → its reason as stored;
 * - anything else (expiry, the demo seed) → the reason as stored.
 *
 * Keys are read only on the sources that write them, so an operator who types "economy:X" reads it as typed.
 * Pure; never throws.
 */
export function ledgerDescription(e: LedgerEntryFacts): string {
  const reason = e.reason ?? '';
  if (reason === '') return KIND_TEXT[e.kind] ?? e.kind;
  // The system's own repayment, whatever credit it follows: after a staff credit it read
  // "Adjusted: Repays points owed …", an adjustment nobody made (break37e).
  if (e.kind === 'REVERSAL' && reason === DEBT_REPAYMENT_REASON) return reason;
  switch (e.sourceType) {
    case 'TRANSACTION':
    case 'CAMPAIGN': {
      if (/^economy:[^:]+$/.test(reason)) return 'Points for a purchase';
      const campaign = /^campaign:\d+:(.+)$/s.exec(reason);
      if (campaign) return `Campaign: ${campaign[1]}`;
      if (e.kind === 'REVERSAL' && reason === SALE_REVERSED) return 'Points taken back: the sale was returned';
      if (e.kind === 'REVERSAL' && reason.startsWith(`${SALE_REVERSED}: `)) {
        return `Points taken back: the sale was returned (${reason.slice(SALE_REVERSED.length + 2)})`;
      }
      return reason;
    }
    case 'ACTIVITY': {
      const space = reason.indexOf(' ');
      return ACTIVITY_TEXT[space < 0 ? reason : reason.slice(0, space)] ?? reason;
    }
    case 'PURCHASE':
      return e.kind === 'SPEND' ? `Reward bought: ${reason}` : reason;
    case 'GIFT':
      return e.kind === 'SPEND' ? `Gift chosen: ${reason}` : reason;
    case 'STAFF':
      return `Adjusted: ${reason}`;
    default:
      return reason;
  }
}
