/**
 * The TypeScript twin of contracts/libraries/Compliance.sol and of CollectionLog's per-loan
 * compliance state: the flags an action gets, and (for the API) whether a contact now would be
 * flagged and when it next would not. Both sides must change together; the property test in
 * test/domain/compliance.test.ts compares them on chain.
 *
 * Flags (ActionRecorded `flags` bitmask):
 *   1  more than maxConnectedCallsPerDay connected calls (ContactMade on Call) on the action's
 *      borrower-local day;
 *   2  more than maxCallAttemptsPer7Days calls (Call, ContactAttempt or ContactMade) in the 7
 *      local days ending on the action's day;
 *   4  a contact outside [contactStartHour, contactEndHour) local time (Letter, LawyerLetter exempt);
 *   8  a contact on a channel the borrower restricted;
 *   16 a LegalNotice, or anything on LawyerLetter, while DPD < legalStageDpd;
 *   32 a contact other than PlanOffer while DPD is 0;
 *   64 a contact while a dispute is open;
 *   128 a call within the jurisdiction's cool-down: a connected call on one of the coolDown local days
 *      before the action's day, as far back as the contract's ring of connected calls reaches (the 8
 *      local days ending on the latest call day).
 * "Contact" is every kind but Dispute and Note. A loan's jurisdiction rules (docs/jurisdictions.md)
 * apply with the lender's policy, the stricter of the two on each point ({@link jurisdictionPolicy}).
 */
import { DAY } from "./constants";
import { Channel, Kind } from "./collection-types";
import { daysLate } from "./delinquency";

/** The flag bits, by name. */
export const ComplianceFlag = {
  TooManyConnectedCalls: 1,
  TooManyCallAttempts: 2,
  OutsideHours: 4,
  RestrictedChannel: 8,
  LegalBeforeStage: 16,
  NothingOverdue: 32,
  DisputeOpen: 64,
  CoolDown: 128,
} as const;
/** The name of one flag. */
export type ComplianceFlagName = keyof typeof ComplianceFlag;

/** ICollectionLog.ContactPolicy. Hours are borrower-local; contact is allowed in [start, end). */
export interface ContactPolicy {
  maxConnectedCallsPerDay: number;
  maxCallAttemptsPer7Days: number;
  contactStartHour: number;
  contactEndHour: number;
  legalStageDpd: number;
  actionWindowDays: number;
}

/** The product defaults (CollectionLog._defaultPolicy): 3 / 7 / 08:00-21:00 / DPD 60 / 7 days. */
export const DEFAULT_CONTACT_POLICY: Readonly<ContactPolicy> = Object.freeze({
  maxConnectedCallsPerDay: 3,
  maxCallAttemptsPer7Days: 7,
  contactStartHour: 8,
  contactEndHour: 21,
  legalStageDpd: 60,
  actionWindowDays: 7,
});

/**
 * ICollectionLog.JurisdictionRules: contact hours [start, end), call limits (0: none of its own) and
 * the days after a conversation on which no call is made (0: none).
 */
export interface JurisdictionRules {
  contactStartHour: number;
  contactEndHour: number;
  maxConnectedCallsPerDay: number;
  maxCallAttemptsPer7Days: number;
  coolDownDaysAfterConversation: number;
}

/**
 * The lender's `policy` tightened by the loan's jurisdiction `rules` (CollectionLog._applyJurisdiction):
 * the later start, the earlier end, the lower of each call limit; and the cool-down. No rules: the policy as is.
 */
export function jurisdictionPolicy(policy: ContactPolicy, rules: JurisdictionRules | null | undefined): { policy: ContactPolicy; coolDownDays: number } {
  if (!rules) return { policy, coolDownDays: 0 };
  const lower = (mine: number, theirs: number) => (theirs !== 0 && theirs < mine ? theirs : mine);
  return {
    policy: {
      ...policy,
      contactStartHour: Math.max(policy.contactStartHour, rules.contactStartHour),
      contactEndHour: Math.min(policy.contactEndHour, rules.contactEndHour),
      maxConnectedCallsPerDay: lower(policy.maxConnectedCallsPerDay, rules.maxConnectedCallsPerDay),
      maxCallAttemptsPer7Days: lower(policy.maxCallAttemptsPer7Days, rules.maxCallAttemptsPer7Days),
    },
    coolDownDays: rules.coolDownDaysAfterConversation,
  };
}

/** Calls on one borrower-local day: all calls (attempts and connected) and connected ones. */
export interface DayCalls {
  calls: number;
  connected: number;
}

/**
 * A loan's compliance state in CollectionLog. `days` maps a borrower-local day number
 * (floor(local seconds / DAY)) to its call counters. The contract keeps them in 8-bit rings
 * (14 days of calls, 8 of connected calls, relative to the latest call day); the rules only ever
 * read days within those rings, so a map pruned to the same 14 days gives the same answers.
 */
export interface ComplianceState {
  /** The borrower's UTC offset in minutes (int16, from the loan's registration). */
  utcOffsetMinutes: number;
  /** Restricted channels: bit `c` set when the borrower asked not to be contacted on channel c. */
  restricted: number;
  disputeOpen: boolean;
  days: ReadonlyMap<bigint, DayCalls>;
}

/** What the rules need to know about one action. */
export interface ActionFacts {
  channel: number;
  kind: number;
  occurredAt: bigint;
  /** The loan's DPD when the action is recorded (chain time of the transaction, not occurredAt). */
  dpd: bigint;
}

/** Something the borrower (or the lender, for a resolution) did between actions. */
export type BorrowerEvent =
  | { type: "restrict"; channel: number }
  | { type: "release"; channel: number }
  | { type: "disputeFiled" }
  | { type: "disputeResolved" };

/** Counters saturate at 255 (8-bit ring entries). */
const COUNTER_MAX = 255;
/** Days of call history the rules can read: the action's day is at most 7 back, its window 7 more. */
const RING_DAYS = 14n;
/** Days of connected calls the contract keeps: the latest call day and the 7 before it. */
const CONNECTED_RING_DAYS = 8n;

/** A fresh loan: nothing restricted, no dispute, no calls. */
export function initialComplianceState(utcOffsetMinutes: number): ComplianceState {
  if (!Number.isInteger(utcOffsetMinutes) || utcOffsetMinutes < -32768 || utcOffsetMinutes > 32767) {
    throw new RangeError(`utcOffsetMinutes must be an int16, got ${utcOffsetMinutes}`);
  }
  return { utcOffsetMinutes, restricted: 0, disputeOpen: false, days: new Map() };
}

/** Every kind except Dispute (the borrower's own act) and Note (internal) is a contact. */
export function isContact(kind: number): boolean {
  return kind !== Kind.Dispute && kind !== Kind.Note;
}

/** Seconds since the epoch in the borrower's local time. */
export function localTime(t: bigint, utcOffsetMinutes: number): bigint {
  const local = t + BigInt(utcOffsetMinutes) * 60n;
  if (local < 0n) throw new RangeError(`local time of ${t} is before the epoch`);
  return local;
}

/** The borrower-local day number of chain time `t`. */
export function localDay(t: bigint, utcOffsetMinutes: number): bigint {
  return localTime(t, utcOffsetMinutes) / DAY;
}

function callsOn(days: ReadonlyMap<bigint, DayCalls>, day: bigint): DayCalls {
  return days.get(day) ?? { calls: 0, connected: 0 };
}

/**
 * The flags of `facts` in `state` under `lenderPolicy` and the loan's jurisdiction `rules`, and the
 * state after recording it (call counters, and a Dispute action opening a dispute). Mirrors
 * Compliance.evaluate and CollectionLog._record.
 */
export function evaluateAction(
  state: ComplianceState,
  facts: ActionFacts,
  lenderPolicy: ContactPolicy,
  rules?: JurisdictionRules | null,
): { flags: number; state: ComplianceState } {
  const { policy, coolDownDays } = jurisdictionPolicy(lenderPolicy, rules);
  let flags = 0;
  let days = state.days;
  const local = localTime(facts.occurredAt, state.utcOffsetMinutes);
  const attempt = facts.kind === Kind.ContactAttempt;
  const connected = facts.kind === Kind.ContactMade;
  if (facts.channel === Channel.Call && (attempt || connected)) {
    const day = local / DAY;
    const next = new Map(days);
    const before = callsOn(next, day);
    const after: DayCalls = {
      calls: Math.min(before.calls + 1, COUNTER_MAX),
      connected: connected ? Math.min(before.connected + 1, COUNTER_MAX) : before.connected,
    };
    next.set(day, after);
    let inSeven = 0;
    for (let d = day - 6n; d <= day; d++) inSeven += callsOn(next, d).calls;
    if (inSeven > policy.maxCallAttemptsPer7Days) flags |= ComplianceFlag.TooManyCallAttempts;
    if (connected && after.connected > policy.maxConnectedCallsPerDay) flags |= ComplianceFlag.TooManyConnectedCalls;
    const latest = [...next.keys()].reduce((a, b) => (a > b ? a : b));
    for (let c = day - 1n; c >= day - BigInt(coolDownDays) && c > latest - CONNECTED_RING_DAYS; c--) {
      if (callsOn(next, c).connected > 0) {
        flags |= ComplianceFlag.CoolDown;
        break;
      }
    }
    // Keep what the contract's rings keep: the 14 days up to the latest call day.
    for (const d of next.keys()) if (d <= latest - RING_DAYS) next.delete(d);
    days = next;
  }
  if (isContact(facts.kind)) {
    const hour = Number((local % DAY) / 3_600n);
    const posted = facts.channel === Channel.Letter || facts.channel === Channel.LawyerLetter;
    if (!posted && (hour < policy.contactStartHour || hour >= policy.contactEndHour)) flags |= ComplianceFlag.OutsideHours;
    if ((state.restricted & (1 << facts.channel)) !== 0) flags |= ComplianceFlag.RestrictedChannel;
    if (state.disputeOpen) flags |= ComplianceFlag.DisputeOpen;
    if (facts.dpd === 0n && facts.kind !== Kind.PlanOffer) flags |= ComplianceFlag.NothingOverdue;
  }
  const legal = facts.kind === Kind.LegalNotice || facts.channel === Channel.LawyerLetter;
  if (legal && facts.dpd < BigInt(policy.legalStageDpd)) flags |= ComplianceFlag.LegalBeforeStage;
  const disputeOpen = state.disputeOpen || facts.kind === Kind.Dispute;
  return { flags, state: { ...state, days, disputeOpen } };
}

/** The state after a borrower restriction or release, a dispute filed or resolved. */
export function applyBorrowerEvent(state: ComplianceState, event: BorrowerEvent): ComplianceState {
  switch (event.type) {
    case "restrict":
      return { ...state, restricted: state.restricted | (1 << event.channel) };
    case "release":
      return { ...state, restricted: state.restricted & ~(1 << event.channel) & 0xff };
    case "disputeFiled":
      return { ...state, disputeOpen: true };
    case "disputeResolved":
      return { ...state, disputeOpen: false };
  }
}

/** The flags of each action of a fresh loan's sequence, in order. */
export function complianceFlags(
  actions: readonly ActionFacts[],
  utcOffsetMinutes: number,
  policy: ContactPolicy = DEFAULT_CONTACT_POLICY,
  rules?: JurisdictionRules | null,
): number[] {
  let state = initialComplianceState(utcOffsetMinutes);
  return actions.map((facts) => {
    const r = evaluateAction(state, facts, policy, rules);
    state = r.state;
    return r.flags;
  });
}

/** The names of the bits set in `flags`, lowest bit first. */
export function flagNames(flags: number): ComplianceFlagName[] {
  return (Object.keys(ComplianceFlag) as ComplianceFlagName[]).filter((name) => (flags & ComplianceFlag[name]) !== 0);
}

/** What a collector is about to do, and what the ledger says about the loan's lateness. */
export interface ContactQuery {
  /**
   * Due date of the loan's oldest unpaid installment (the ledger's cursor); null when nothing is
   * unpaid. DPD at any time t follows from it: daysLate(dueDate, t).
   */
  oldestUnpaidDueDate: bigint | null;
  /** Default Call. */
  channel?: number;
  /** Default ContactMade: a call that connects is the strictest case of a call. */
  kind?: number;
}

/** Whether a contact would be flagged now, and when it next would not. */
export interface ContactWindow {
  /** A contact at `t` would carry no flag. */
  allowedNow: boolean;
  /** The flags a contact at `t` would carry. */
  flags: number;
  /** Their names (empty when allowed). */
  reasons: ComplianceFlagName[];
  /**
   * The earliest time >= t at which the contact would carry no flag, if nothing else happens
   * (no other action, restriction or dispute); `t` when allowed now; null when only the borrower
   * or the lender can lift the block (restricted channel, open dispute, nothing unpaid).
   */
  nextAllowedAt: bigint | null;
}

/**
 * Tells a collector whether the contact in `query` at chain time `t` would be flagged, using the
 * same {@link evaluateAction} the flags come from, and when it next would not. Flags change only
 * at a local day's start hour (hours, and day-based call windows), and at the DPD thresholds
 * (1 day and legalStageDpd days after the oldest unpaid due date); the earliest clean time is
 * one of those points or `t` itself, so only they are checked. Call windows empty within 7 days.
 */
export function contactWindow(
  state: ComplianceState,
  lenderPolicy: ContactPolicy,
  t: bigint,
  query: ContactQuery,
  rules?: JurisdictionRules | null,
): ContactWindow {
  const channel = query.channel ?? Channel.Call;
  const kind = query.kind ?? Kind.ContactMade;
  const due = query.oldestUnpaidDueDate;
  const { policy } = jurisdictionPolicy(lenderPolicy, rules);
  const flagsAt = (at: bigint) =>
    evaluateAction(state, { channel, kind, occurredAt: at, dpd: due === null ? 0n : daysLate(due, at) }, lenderPolicy, rules).flags;

  const flags = flagsAt(t);
  const reasons = flagNames(flags);
  if (flags === 0) return { allowedNow: true, flags, reasons, nextAllowedAt: t };

  const offset = BigInt(state.utcOffsetMinutes) * 60n;
  const startOf = (day: bigint) => day * DAY + BigInt(policy.contactStartHour) * 3_600n - offset;
  const candidates = new Set<bigint>();
  const today = localDay(t, state.utcOffsetMinutes);
  const latestCall = [...state.days.keys()].reduce((a, b) => (a > b ? a : b), today);
  for (let d = today; d <= latestCall + 8n; d++) candidates.add(startOf(d));
  if (due !== null) {
    for (const threshold of [due + DAY, due + BigInt(policy.legalStageDpd) * DAY]) {
      const d = localDay(threshold > t ? threshold : t, state.utcOffsetMinutes);
      candidates.add(threshold);
      candidates.add(startOf(d));
      candidates.add(startOf(d + 1n));
    }
  }
  const sorted = [...candidates].filter((c) => c > t).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const next = sorted.find((c) => flagsAt(c) === 0);
  return { allowedNow: false, flags, reasons, nextAllowedAt: next ?? null };
}
