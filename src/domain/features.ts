/**
 * The collection strategy's features: one catalogue (name, definition, unit, the words a
 * collector reads when a feature lowers a score) and one function computing them from a replay
 * view (loan-history.ts) at its time. Training and scoring both call {@link featuresAt}; nothing
 * here reads anything the view does not know at its time.
 */
import { DAY } from "./constants";
import { BUCKET_LABELS, LoanStatus } from "./types";
import { Kind } from "./collection-types";
import { daysLate } from "./delinquency";
import { amountOf, statusAt, type StatusAtReturnType } from "./loan-state";
import { promiseStatus } from "./promises";
import { worstDpdSince, type ReplayView } from "./loan-history";
import type { Schedule } from "./types";

/** Look-back windows (days). */
export const RECENT_DAYS = 180;
export const PROMISE_DAYS = 90;
export const CONTACT_DAYS = 30;

/** What a feature's value is: a number (null when it has no value, a bin of its own) or a category. */
export type FeatureValue = number | string | null;

export interface FeatureDefinition {
  name: string;
  kind: "numeric" | "category";
  unit: string;
  definition: string;
  /** Words for a collector when this value lowers the score ("2 broken promises in 90 days"). */
  reason: (v: FeatureValue) => string;
}

interface Context {
  view: ReplayView;
  s: StatusAtReturnType;
  t: bigint;
  /** Computed once per snapshot by the features that share it. */
  promises?: Record<"made" | "kept" | "broken", number>;
}

type Computed = FeatureDefinition & { compute: (c: Context) => FeatureValue };

const days = (seconds: bigint) => Number(seconds / DAY);
const pct = (part: bigint, whole: bigint) => (whole === 0n ? null : Number((part * 100n) / whole));
const plural = (n: FeatureValue, one: string, many = `${one}s`) => (n === 0 ? `no ${many}` : `${n} ${n === 1 ? one : many}`);
/** "1 day", "2.5 days" (a count of days that is never zero where it is used). */
const dayCount = (n: number) => `${n} ${n === 1 ? "day" : "days"}`;
const since = (t: bigint, windowDays: number) => t - BigInt(windowDays) * DAY;

/** Actions that tried to reach the borrower: attempts, contacts made, promises taken. */
const TRIED = new Set<number>([Kind.ContactAttempt, Kind.ContactMade, Kind.PromiseToPay]);
/** Actions where the borrower was reached. */
const REACHED = new Set<number>([Kind.ContactMade, Kind.PromiseToPay]);
const KIND_WORDS = ["no answer", "reached", "promise to pay", "dispute", "plan offered", "legal notice", "note"] as const;

/** Actions known by the view's time whose contact happened within the last `windowDays`. */
function recentActions(c: Context, windowDays: number) {
  const from = since(c.t, windowDays);
  return c.view.history.actions.filter((a) => a.known <= c.t && a.at > from && a.at <= c.t);
}

function promiseCounts(c: Context): Record<"made" | "kept" | "broken", number> {
  if (c.promises) return c.promises;
  const from = since(c.t, PROMISE_DAYS);
  const paid = c.view.payments.map((p) => ({ amount: p.amount, at: p.at }));
  const out = { made: 0, kept: 0, broken: 0 };
  for (const p of c.view.history.promises) {
    if (p.madeAt > c.t || p.madeAt <= from) continue;
    out.made += 1;
    const status = promiseStatus(p, paid, c.t);
    if (status === "kept") out.kept += 1;
    if (status === "broken") out.broken += 1;
  }
  return (c.promises = out);
}

/** Unsettled installments of the schedule in force at least a day late at t (due after `from`): how many, and their scheduled amounts. */
function unpaidLate(c: Context, from: bigint): { count: number; scheduled: bigint } {
  const { state } = c.view;
  let count = 0;
  let scheduled = 0n;
  for (let j = state.cursor; j < state.schedule.length; j++) {
    const inst = state.schedule[j]!;
    if (daysLate(inst.dueDate, c.t) < 1n) break;
    if (inst.dueDate <= from) continue;
    count += 1;
    scheduled += amountOf(inst);
  }
  return { count, scheduled };
}

/** Mean settlement offset (days late, negative when early) of `list`. */
const meanOffsetDays = (list: readonly { offset: bigint }[]) => list.reduce((a, x) => a + Number(x.offset), 0) / list.length / Number(DAY);

/** How the schedule was built, read from its shape (the chain stores installments, not the generator). */
export function scheduleKindOf(schedule: Schedule): "annuity" | "equal-principal" | "interest-only" | "custom" {
  const head = schedule.slice(0, -1);
  if (head.length === 0) return "custom";
  if (head.every((i) => i.principal === 0n)) return "interest-only";
  const near = (a: bigint, b: bigint) => (a > b ? a - b : b - a) <= 1n;
  if (head.every((i) => near(amountOf(i), amountOf(head[0]!)))) return "annuity";
  if (head.every((i) => near(i.principal, head[0]!.principal))) return "equal-principal";
  return "custom";
}

const CATALOGUE: Computed[] = [
  {
    name: "dpd",
    kind: "numeric",
    unit: "days",
    definition: "Days past due of the oldest unpaid installment (0 when nothing is overdue).",
    reason: (v) => `${dayCount(Number(v))} past due`,
    compute: (c) => Number(c.s.dpd),
  },
  {
    name: "bucket",
    kind: "numeric",
    unit: "bucket (0 = M0 … 7 = M7+)",
    definition: "Collection bucket of the DPD (M0 current, M1 1–30, …, M7+ over 180).",
    reason: (v) => `in bucket ${BUCKET_LABELS[v as number]}`,
    compute: (c) => c.s.bucket,
  },
  {
    name: "worst_dpd_180d",
    kind: "numeric",
    unit: "days",
    definition: `Highest DPD reached in the last ${RECENT_DAYS} days.`,
    reason: (v) => `reached ${dayCount(Number(v))} past due in the last ${RECENT_DAYS} days`,
    compute: (c) => Number(worstDpdSince(c.view, since(c.t, RECENT_DAYS))),
  },
  {
    name: "late_installments_180d",
    kind: "numeric",
    unit: "installments",
    definition: `Installments due in the last ${RECENT_DAYS} days that were settled at least a day late or are still unpaid and a day late.`,
    reason: (v) => `${plural(v, "installment")} late in ${RECENT_DAYS} days`,
    compute: (c) => {
      const from = since(c.t, RECENT_DAYS);
      return c.view.settlements.filter((x) => x.dueDate > from && x.daysLate >= 1n).length + unpaidLate(c, from).count;
    },
  },
  {
    name: "on_time_share",
    kind: "numeric",
    unit: "% of amount",
    definition: "Share of the amounts due so far (principal + interest, every schedule version) settled by their due date; none when nothing was due yet.",
    reason: (v) => `only ${v}% of scheduled amounts paid on time`,
    compute: (c) => {
      let onTime = 0n;
      let due = 0n;
      for (const x of c.view.settlements) {
        due += x.amount;
        if (x.daysLate === 0n) onTime += x.amount;
      }
      return pct(onTime, due + unpaidLate(c, -1n).scheduled);
    },
  },
  {
    name: "days_since_last_payment",
    kind: "numeric",
    unit: "days",
    definition: "Days since the last repayment was received; none before the first.",
    reason: (v) => (v === null ? "no payment received yet" : `no payment for ${dayCount(Number(v))}`),
    compute: (c) => {
      const last = c.view.payments[c.view.payments.length - 1];
      return last ? days(c.t - last.at) : null;
    },
  },
  {
    name: "last_payment_share",
    kind: "numeric",
    unit: "% of an installment",
    definition: "The last repayment as a share of the installment it was paid towards (the oldest unsettled one then); none before the first.",
    reason: (v) => (v === null ? "no payment received yet" : `last payment was ${v}% of an installment`),
    compute: (c) => {
      const last = c.view.payments[c.view.payments.length - 1];
      return last ? pct(last.amount, last.installment) : null;
    },
  },
  {
    name: "partial_payments_180d",
    kind: "numeric",
    unit: "payments",
    definition: `Repayments in the last ${RECENT_DAYS} days that left part of the amount then overdue unpaid.`,
    reason: (v) => `${plural(v, "partial payment")} in ${RECENT_DAYS} days`,
    compute: (c) => c.view.payments.filter((p) => p.partial && p.at > since(c.t, RECENT_DAYS)).length,
  },
  {
    name: "grace_payments_180d",
    kind: "numeric",
    unit: "installments",
    definition: `Installments due in the last ${RECENT_DAYS} days settled after their due date but within the grace period.`,
    reason: (v) => `${plural(v, "installment")} paid in the grace period, not by the due date`,
    compute: (c) => {
      const from = since(c.t, RECENT_DAYS);
      const grace = BigInt(c.view.history.terms.graceDays);
      return c.view.settlements.filter((x) => x.dueDate > from && x.daysLate >= 1n && x.daysLate <= grace).length;
    },
  },
  {
    name: "payment_timing_drift",
    kind: "numeric",
    unit: "days",
    definition: "Mean days from due date to settlement of the last 2 settled installments minus that of the 2 before (positive: paying later than before); none with fewer than 4.",
    reason: (v) => `paying ${dayCount(Number(v))} later than before`,
    compute: (c) => {
      const s = c.view.settlements;
      if (s.length < 4) return null;
      return Math.round(meanOffsetDays(s.slice(-2)) - meanOffsetDays(s.slice(-4, -2)));
    },
  },
  {
    name: "payment_margin",
    kind: "numeric",
    unit: "days",
    definition: "Mean days by which the last 3 settled installments were paid before their due dates (negative: after); none before the first.",
    reason: (v) => (Number(v) < 0 ? `pays ${dayCount(-Number(v))} after the due date on average` : `pays only ${dayCount(Number(v))} before the due date`),
    compute: (c) => {
      const last = c.view.settlements.slice(-3);
      return last.length === 0 ? null : Math.round(-meanOffsetDays(last));
    },
  },
  {
    name: "last_payment_margin",
    kind: "numeric",
    unit: "days",
    definition: "Days by which the last settled installment was paid before its due date (negative: after); none before the first.",
    reason: (v) => (Number(v) < 0 ? `last installment paid ${dayCount(-Number(v))} late` : Number(v) === 0 ? "last installment paid on its due date" : `last installment paid only ${dayCount(Number(v))} early`),
    compute: (c) => {
      const last = c.view.settlements[c.view.settlements.length - 1];
      return last ? Math.round(-Number(last.offset) / Number(DAY)) : null;
    },
  },
  {
    name: "usual_payment_margin",
    kind: "numeric",
    unit: "days",
    definition: "Mean days by which up to 12 settled installments before the last were paid before their due dates (negative: after); none with fewer than 2 settled.",
    reason: (v) => (Number(v) < 0 ? `usually pays ${dayCount(-Number(v))} late` : Number(v) === 0 ? "usually pays on the due date" : `usually pays only ${dayCount(Number(v))} early`),
    compute: (c) => {
      const s = c.view.settlements;
      return s.length < 2 ? null : Math.round(-meanOffsetDays(s.slice(-13, -1)) * 2) / 2;
    },
  },
  {
    name: "close_payments_streak",
    kind: "numeric",
    unit: "installments",
    definition: "How many of the last settled installments in a row were settled less than a day before their due date, or after it.",
    reason: (v) => `${plural(v, "installment")} in a row paid at the last moment or late`,
    compute: (c) => {
      const s = c.view.settlements;
      let n = 0;
      while (n < s.length && s[s.length - 1 - n]!.offset > -DAY) n++;
      return n;
    },
  },
  {
    name: "best_payment_margin",
    kind: "numeric",
    unit: "days",
    definition: "The most days before its due date that any of the last 12 settled installments was paid (negative: all after); none before the first.",
    reason: (v) => (Number(v) <= 0 ? "never paid before a due date" : `never paid more than ${dayCount(Number(v))} early`),
    compute: (c) => {
      const s = c.view.settlements.slice(-12);
      return s.length === 0 ? null : Math.round(Math.max(...s.map((x) => -Number(x.offset))) / Number(DAY));
    },
  },
  {
    name: "promises_made_90d",
    kind: "numeric",
    unit: "promises",
    definition: `Promises to pay made in the last ${PROMISE_DAYS} days.`,
    reason: (v) => `${plural(v, "promise")} to pay in ${PROMISE_DAYS} days`,
    compute: (c) => promiseCounts(c).made,
  },
  {
    name: "promises_kept_90d",
    kind: "numeric",
    unit: "promises",
    definition: `Of those, promises already kept (paid in full by their date, from repayments).`,
    reason: (v) => `${plural(v, "promise")} kept in ${PROMISE_DAYS} days`,
    compute: (c) => promiseCounts(c).kept,
  },
  {
    name: "promises_broken_90d",
    kind: "numeric",
    unit: "promises",
    definition: `Of those, promises broken (their date passed without the amount paid).`,
    reason: (v) => `${plural(v, "broken promise")} in ${PROMISE_DAYS} days`,
    compute: (c) => promiseCounts(c).broken,
  },
  {
    name: "contact_attempts_30d",
    kind: "numeric",
    unit: "actions",
    definition: `Contact attempts, contacts made and promises taken (any channel, notices included) in the last ${CONTACT_DAYS} days.`,
    reason: (v) => `${plural(v, "contact attempt")} in ${CONTACT_DAYS} days`,
    compute: (c) => recentActions(c, CONTACT_DAYS).filter((a) => TRIED.has(a.kind)).length,
  },
  {
    name: "right_party_contacts_30d",
    kind: "numeric",
    unit: "actions",
    definition: `Contacts where the borrower was reached (contact made or promise taken) in the last ${CONTACT_DAYS} days.`,
    reason: (v) => (v === 0 ? `not reached in ${CONTACT_DAYS} days` : `reached ${plural(v, "time")} in ${CONTACT_DAYS} days`),
    compute: (c) => recentActions(c, CONTACT_DAYS).filter((a) => REACHED.has(a.kind)).length,
  },
  {
    name: "right_party_share_30d",
    kind: "numeric",
    unit: "% of attempts",
    definition: `Right-party contacts as a share of contact attempts in the last ${CONTACT_DAYS} days; none without attempts.`,
    reason: (v) => `reached on ${v}% of attempts`,
    compute: (c) => {
      const recent = recentActions(c, CONTACT_DAYS);
      return pct(BigInt(recent.filter((a) => REACHED.has(a.kind)).length), BigInt(recent.filter((a) => TRIED.has(a.kind)).length));
    },
  },
  {
    name: "last_contact_outcome",
    kind: "category",
    unit: "kind",
    definition: "What the last collection action was: none, no answer, reached, promise to pay, dispute, plan offered, legal notice, note.",
    reason: (v) => `last contact: ${v}`,
    compute: (c) => {
      let last: number | undefined;
      for (const a of c.view.history.actions) if (a.known <= c.t) last = a.kind;
      return last === undefined ? "none" : (KIND_WORDS[last] ?? "note");
    },
  },
  {
    name: "dispute_open",
    kind: "numeric",
    unit: "0/1",
    definition: "1 while a dispute filed by the borrower is unresolved.",
    reason: () => "a dispute is open",
    compute: (c) => {
      let open = 0;
      for (const d of c.view.history.disputes) if (d.at <= c.t) open = d.filed ? 1 : 0;
      return open;
    },
  },
  {
    name: "disputes_filed",
    kind: "numeric",
    unit: "disputes",
    definition: "Disputes filed since registration.",
    reason: (v) => `${plural(v, "dispute")} filed`,
    compute: (c) => c.view.history.disputes.filter((d) => d.filed && d.at <= c.t).length,
  },
  {
    name: "restructurings",
    kind: "numeric",
    unit: "restructurings",
    definition: "Schedule versions after the first (each a restructuring agreed with the borrower).",
    reason: (v) => `restructured ${plural(v, "time")}`,
    compute: (c) => c.view.versions - 1,
  },
  {
    name: "observation",
    kind: "numeric",
    unit: "0/1",
    definition: "1 while the loan is under observation after a restructuring.",
    reason: () => "under observation after a restructuring",
    compute: (c) => (c.view.state.observation ? 1 : 0),
  },
  {
    name: "outstanding_principal_share",
    kind: "numeric",
    unit: "% of principal",
    definition: "Outstanding principal as a share of the principal lent.",
    reason: (v) => `${v}% of the principal still outstanding`,
    compute: (c) => pct(c.s.outstandingPrincipal, c.view.history.terms.principal),
  },
  {
    name: "overdue_installments",
    kind: "numeric",
    unit: "% of an installment",
    definition: "Amount overdue (principal + interest a day or more late) as a share of the installment in force (the oldest unsettled one).",
    reason: (v) => `${(Number(v) / 100).toFixed(1)} installments overdue`,
    compute: (c) => {
      const inst = c.view.state.schedule[c.view.state.cursor];
      return inst ? pct(c.s.amountOverdue, amountOf(inst)) : 0;
    },
  },
  {
    name: "penalty_share",
    kind: "numeric",
    unit: "% of amount overdue",
    definition: "Default interest and fees accrued and unpaid, as a share of the amount overdue; none when nothing is overdue.",
    reason: (v) => `penalties are ${v}% of the amount overdue`,
    compute: (c) => pct(c.s.penaltyOutstanding, c.s.amountOverdue),
  },
  {
    name: "loan_age_days",
    kind: "numeric",
    unit: "days",
    definition: "Days since registration.",
    reason: (v) => `loan is ${dayCount(Number(v))} old`,
    compute: (c) => days(c.t - c.view.history.terms.registeredAt),
  },
  {
    name: "schedule_kind",
    kind: "category",
    unit: "kind",
    definition: "Shape of the first schedule: annuity, equal-principal, interest-only or custom.",
    reason: (v) => `${v} schedule`,
    compute: (c) => scheduleKindOf(c.view.history.versions[0]!.schedule),
  },
  {
    name: "settlement",
    kind: "category",
    unit: "token or currency",
    definition: "The settlement token's address, or the currency of a loan settled off chain.",
    reason: (v) => `settled in ${v}`,
    compute: (c) => c.view.history.settlement,
  },
];

/** The catalogue, without the code: what each feature is. */
export const FEATURES: readonly FeatureDefinition[] = CATALOGUE.map(({ compute: _compute, ...d }) => d);
export const FEATURE_NAMES: readonly string[] = CATALOGUE.map((d) => d.name);

/** Money figures of the snapshot (minor units; not binned: they only compare within one token). */
export interface SnapshotAmounts {
  outstandingPrincipal: bigint;
  amountOverdue: bigint;
  penaltyAccrued: bigint;
}

export interface LoanFeatures {
  loanId: number;
  t: bigint;
  dpd: bigint;
  /** Open (active or charged off) at t. */
  open: boolean;
  values: Record<string, FeatureValue>;
  amounts: SnapshotAmounts;
}

/** Every feature of the loan at the view's time. */
export function featuresAt(view: ReplayView): LoanFeatures {
  const s = statusAt(view.state, view.t);
  const c: Context = { view, s, t: view.t };
  const values: Record<string, FeatureValue> = {};
  for (const f of CATALOGUE) values[f.name] = f.compute(c);
  return {
    loanId: view.history.loanId,
    t: view.t,
    dpd: s.dpd,
    open: s.status === LoanStatus.Active || s.status === LoanStatus.ChargedOff,
    values,
    amounts: { outstandingPrincipal: s.outstandingPrincipal, amountOverdue: s.amountOverdue, penaltyAccrued: s.penaltyOutstanding },
  };
}
