/**
 * The contact rules for an automated notice: whether the dispatcher may send it at chain time `t`,
 * and if not, what to do — wait until a known time, fall back to the plan's next channel, or stay
 * suspended until the borrower or the lender changes something. The same rules CollectionLog flags
 * (src/domain/compliance.ts, Compliance.sol) decide, read in advance so a notice never earns a flag:
 *
 *  - consent: no consent for the channel in the contact directory → next channel;
 *  - restriction: the borrower restricted the channel on chain (flag 8) → next channel;
 *  - dispute: a dispute is open (flag 64) → suspended, except notices about the dispute itself;
 *  - hours: outside [contactStartHour, contactEndHour) borrower-local (flag 4) → wait for the next
 *    start hour; letters are posted, so hours do not apply to them (as on chain);
 *  - legal stage: a formal notice or a lawyer's letter before legalStageDpd (flag 16) → wait until
 *    the loan reaches it; nothing overdue at all → not sendable (next channel would fare the same);
 *  - frequency: SMS and email count together, with every collector's SMS and email contact on
 *    the loan, against the plan's caps per borrower-local day and per 7 local days → wait for the
 *    first day under both caps.
 *
 * The time rules are checked at `t` and at the only instants their answer can change (each local
 * day's start hour, the legal-stage threshold): the earliest of those at which all hold is the
 * next allowed time, as {@link contactWindow} finds it for a collector.
 */
import { Channel, Kind } from "./collection-types";
import { localDay, localTime, type ComplianceState, type ContactPolicy } from "./compliance";
import { DAY } from "./constants";
import { daysLate } from "./delinquency";

/** A plan's frequency caps on automated SMS and email per loan. */
export interface NoticeCaps {
  /** At most this many SMS and email contacts per borrower-local day. */
  perDay: number;
  /** At most this many in any 7 consecutive borrower-local days. */
  per7Days: number;
}

/** Two a day and five a week unless the lender's plan says otherwise (a lender may only lower them further per segment). */
export const DEFAULT_NOTICE_CAPS: Readonly<NoticeCaps> = Object.freeze({ perDay: 2, per7Days: 5 });

/** Channels that count against {@link NoticeCaps}. */
export const CAPPED_CHANNELS: readonly number[] = [Channel.Sms, Channel.Email];

/** What the dispatcher knows when it considers one notice. */
export interface NoticeRuleInput {
  state: ComplianceState;
  policy: ContactPolicy;
  /** Chain time now. */
  t: bigint;
  /** Due date of the oldest unpaid installment; null when nothing is unpaid. */
  oldestUnpaidDueDate: bigint | null;
  /** The ICollectionLog channel the notice goes on (Sms, Email, Letter, LawyerLetter). */
  channel: number;
  /** The ICollectionLog kind it will be recorded as. */
  kind: number;
  /** The borrower consented to this channel. */
  consent: boolean;
  /** The notice is about the dispute itself (goes out while one is open). */
  disputeRelated: boolean;
  caps: NoticeCaps;
  /** Chain times of SMS and email contacts already made on the loan (automated or by collectors). */
  recentMessages: readonly bigint[];
}

/** The rules' answer. `reason` is a stable word the API shows; never personal data. */
export type NoticeDecision =
  | { action: "send" }
  | { action: "defer"; until: bigint; reason: NoticeDeferReason }
  | { action: "fallback"; reason: NoticeFallbackReason }
  | { action: "suspend"; reason: "dispute-open" | "nothing-overdue" | "no-allowed-time" };

export type NoticeDeferReason = "outside-hours" | "frequency-cap" | "legal-stage";
export type NoticeFallbackReason = "no-consent" | "channel-restricted";

const isPosted = (channel: number) => channel === Channel.Letter || channel === Channel.LawyerLetter;
const isLegal = (i: Pick<NoticeRuleInput, "kind" | "channel">) => i.kind === Kind.LegalNotice || i.channel === Channel.LawyerLetter;

/** The first of the time rules that fails at `at`, or null when all hold. */
function timeRuleFailing(i: NoticeRuleInput, at: bigint): NoticeDeferReason | null {
  const offset = i.state.utcOffsetMinutes;
  if (!isPosted(i.channel)) {
    const hour = Number((localTime(at, offset) % DAY) / 3_600n);
    if (hour < i.policy.contactStartHour || hour >= i.policy.contactEndHour) return "outside-hours";
  }
  if (isLegal(i) && i.oldestUnpaidDueDate !== null && daysLate(i.oldestUnpaidDueDate, at) < BigInt(i.policy.legalStageDpd)) return "legal-stage";
  if (CAPPED_CHANNELS.includes(i.channel)) {
    const day = localDay(at, offset);
    let today = 0;
    let week = 0;
    for (const m of i.recentMessages) {
      if (m > at) continue; // not yet made at `at` (cannot happen for past contacts; kept for exactness)
      const d = localDay(m, offset);
      if (d === day) today++;
      if (d > day - 7n && d <= day) week++;
    }
    if (today >= i.caps.perDay || week >= i.caps.per7Days) return "frequency-cap";
  }
  return null;
}

/**
 * Whether the notice in `i` may be sent at `i.t`; when not, whether to wait (and until when), fall
 * back to the next channel, or stay suspended. Pure; see the module comment for the rules.
 */
export function noticeDecision(i: NoticeRuleInput): NoticeDecision {
  if (!i.consent) return { action: "fallback", reason: "no-consent" };
  if ((i.state.restricted & (1 << i.channel)) !== 0) return { action: "fallback", reason: "channel-restricted" };
  if (i.state.disputeOpen && !i.disputeRelated) return { action: "suspend", reason: "dispute-open" };
  if (isLegal(i) && i.oldestUnpaidDueDate === null) return { action: "suspend", reason: "nothing-overdue" };
  const now = timeRuleFailing(i, i.t);
  if (now === null) return { action: "send" };

  const offset = BigInt(i.state.utcOffsetMinutes) * 60n;
  const startOf = (day: bigint) => day * DAY + BigInt(i.policy.contactStartHour) * 3_600n - offset;
  const candidates = new Set<bigint>();
  const today = localDay(i.t, i.state.utcOffsetMinutes);
  // Caps clear within 7 days of the latest message; hours every day.
  for (let d = today; d <= today + 8n; d++) candidates.add(startOf(d));
  if (isLegal(i) && i.oldestUnpaidDueDate !== null) {
    const threshold = i.oldestUnpaidDueDate + BigInt(i.policy.legalStageDpd) * DAY;
    const d = localDay(threshold > i.t ? threshold : i.t, i.state.utcOffsetMinutes);
    for (const c of [threshold, startOf(d), startOf(d + 1n)]) candidates.add(c);
  }
  const next = [...candidates]
    .filter((c) => c > i.t)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .find((c) => timeRuleFailing(i, c) === null);
  // Every rule that can fail here clears within the candidates (hours daily, caps in 7 days, the
  // legal threshold is a candidate); none left means caps of zero (a plan refuses them) or empty hours.
  return next === undefined ? { action: "suspend", reason: "no-allowed-time" } : { action: "defer", until: next, reason: now };
}
