/**
 * A loan's indexed history as plain data, and a replay of it through the loan state machine
 * (loan.ts) as of any time: the one way the strategy's features and labels see a loan at a
 * snapshot time. The replay only moves forward and only applies what was known by the time asked
 * for (an event is known from its block time), so a figure at `t` can never depend on the future.
 */
import { daysLate } from "./delinquency";
import { InvalidArgumentError } from "./errors";
import { chargeOff, restructure, writeOff } from "./lifecycle";
import { applyRepayment, newLoan } from "./loan";
import { amountOf, dpdAt, overdueAt, type LoanState } from "./loan-state";
import { LoanStatus, type LoanTerms, type Policy, type Schedule } from "./types";

/** Where an event sits in the chain: (block number, log index). Orders events of the same block time. */
export type ChainKey = readonly [block: number, logIndex: number];

/** A repayment: `amount` paid at `at` (its paidAt), known from `known` (its block time). */
export interface HistoryRepayment {
  at: bigint;
  known: bigint;
  amount: bigint;
  key?: ChainKey;
}

/** A schedule version in force from `startedAt` (version 1 from registration). */
export interface HistoryVersion {
  startedAt: bigint;
  schedule: Schedule;
  key?: ChainKey;
}

/** A collection action (ICollectionLog channel and kind numbers) that happened at `at`, known from `known`. */
export interface HistoryAction {
  at: bigint;
  known: bigint;
  channel: number;
  kind: number;
  outcome: number;
}

/** A promise to pay, recorded at `madeAt` (its block time). */
export interface HistoryPromise {
  madeAt: bigint;
  dueBy: bigint;
  amount: bigint;
}

/** A dispute filed or resolved at `at` (block time). */
export interface HistoryDispute {
  at: bigint;
  filed: boolean;
}

/** Everything indexed about one loan that the strategy reads; each list in time order. */
export interface LoanHistory {
  loanId: number;
  lender: string;
  terms: LoanTerms;
  policy: Policy;
  /** The settlement token's address, or the ISO-4217 code of a loan settled off chain. */
  settlement: string;
  versions: HistoryVersion[];
  repayments: HistoryRepayment[];
  actions: HistoryAction[];
  promises: HistoryPromise[];
  disputes: HistoryDispute[];
  chargedOffAt: bigint | null;
  writtenOffAt: bigint | null;
}

/** An installment settled (fully paid) at `at`: how late (daysLate at settlement; 0 = on time). */
export interface Settlement {
  dueDate: bigint;
  at: bigint;
  amount: bigint;
  daysLate: bigint;
  /** Seconds between the due date and the settlement (negative when paid early). */
  offset: bigint;
}

/** What the replay knows at its current time. Lists only grow; each is in time order. */
export interface ReplayView {
  readonly history: LoanHistory;
  /** The time the view is at. */
  readonly t: bigint;
  readonly state: LoanState;
  /** Schedule versions in force so far (1 before any restructuring). */
  readonly versions: number;
  /** DPD just before each state change (a repayment or a restructuring): DPD only grows between changes. */
  readonly dpdMarks: readonly { at: bigint; dpd: bigint }[];
  readonly settlements: readonly Settlement[];
  /** Repayments applied so far, with whether each left part of the then-overdue amount unpaid. */
  readonly payments: readonly { at: bigint; amount: bigint; partial: boolean; installment: bigint }[];
}

type Step = { known: bigint; key: ChainKey; order: number; apply: (s: LoanState) => LoanState };

const NO_KEY: ChainKey = [0, 0];
/** Chain order: block time, then (block, log index); a change without a key (charge-off, write-off) after the keyed ones of its time. */
function chainOrder(a: Step, b: Step): number {
  if (a.known !== b.known) return a.known < b.known ? -1 : 1;
  if (a.key !== NO_KEY && b.key !== NO_KEY) return a.key[0] - b.key[0] || a.key[1] - b.key[1];
  return a.order - b.order;
}

/**
 * A replay of `h`, starting at registration. `advance(t)` applies every change known by `t`
 * (t never goes back) and returns the view at `t`.
 * @throws InvalidArgumentError when asked to go back in time.
 */
export function replayHistory(h: LoanHistory): { advance: (t: bigint) => ReplayView } {
  const first = h.versions[0];
  if (!first) throw new InvalidArgumentError("history.versions", `loan ${h.loanId} has no schedule`);
  const dpdMarks: { at: bigint; dpd: bigint }[] = [];
  const settlements: Settlement[] = [];
  const payments: ReplayView["payments"][number][] = [];
  let versions = 1;
  const steps: Step[] = [];
  h.versions.slice(1).forEach((v, i) =>
    steps.push({
      known: v.startedAt,
      key: v.key ?? NO_KEY,
      order: 0,
      apply: (s) => {
        versions = i + 2;
        dpdMarks.push({ at: v.startedAt, dpd: dpdAt(s, v.startedAt) });
        return s.status === LoanStatus.Active ? restructure(s, v.schedule, v.startedAt).state : s;
      },
    }),
  );
  for (const r of h.repayments) {
    steps.push({
      known: r.known,
      key: r.key ?? NO_KEY,
      order: 1,
      apply: (s) => {
        if (s.status !== LoanStatus.Active && s.status !== LoanStatus.ChargedOff) return s;
        const at = r.at > r.known ? r.known : r.at;
        dpdMarks.push({ at: r.known, dpd: dpdAt(s, r.known) });
        const out = applyRepayment(s, r.amount, at, r.known);
        const cursorBefore = s.cursor;
        for (let j = cursorBefore; j < out.state.cursor; j++) {
          const inst = s.schedule[j]!;
          settlements.push({ dueDate: inst.dueDate, at: out.appliedAt, amount: amountOf(inst), daysLate: daysLate(inst.dueDate, out.appliedAt), offset: out.appliedAt - inst.dueDate });
        }
        const inst = s.schedule[cursorBefore];
        payments.push({ at: r.known, amount: r.amount, partial: overdueAt(out.state, r.known).amountOverdue > 0n, installment: inst ? amountOf(inst) : 0n });
        return out.state;
      },
    });
  }
  if (h.chargedOffAt !== null) steps.push({ known: h.chargedOffAt, key: NO_KEY, order: 2, apply: (s) => (s.status === LoanStatus.Active ? chargeOff(s) : s) });
  if (h.writtenOffAt !== null) steps.push({ known: h.writtenOffAt, key: NO_KEY, order: 3, apply: (s) => (s.status === LoanStatus.Active || s.status === LoanStatus.ChargedOff ? writeOff(s) : s) });
  steps.sort(chainOrder); // stable: without keys, same-time changes keep their kind's order and their listed order


  let state = newLoan(first.schedule, h.terms, h.policy);
  let next = 0;
  let now = h.terms.registeredAt;
  return {
    advance(t: bigint): ReplayView {
      if (t < now) throw new InvalidArgumentError("t", `a replay only moves forward (at ${now}, asked for ${t})`);
      now = t;
      while (next < steps.length && steps[next]!.known <= t) state = steps[next++]!.apply(state);
      return { history: h, t, state, versions, dpdMarks, settlements, payments };
    },
  };
}

/** The highest DPD the loan reached in (from, view.t]: at the view's time or just before a change in the window. */
export function worstDpdSince(view: ReplayView, from: bigint): bigint {
  let worst = view.state.status === LoanStatus.Closed ? 0n : dpdAt(view.state, view.t);
  for (let i = view.dpdMarks.length - 1; i >= 0; i--) {
    const m = view.dpdMarks[i]!;
    if (m.at <= from) break;
    if (m.dpd > worst) worst = m.dpd;
  }
  return worst;
}

/** Sum of the repayments known in (from, to] (to: the view's time). */
export function paidSince(view: ReplayView, from: bigint, to: bigint = view.t): bigint {
  let sum = 0n;
  for (let i = view.payments.length - 1; i >= 0 && view.payments[i]!.at > from; i--) if (view.payments[i]!.at <= to) sum += view.payments[i]!.amount;
  return sum;
}
