/**
 * Borrower behaviour for generated books (the strategy benchmark's book, the demo): each borrower
 * has a hidden repayment propensity z ~ N(0, 1) that drives what the chain can see — paying early
 * or late, partial payments, whether a collector reaches them, promises made and kept — plus
 * hardship episodes (announced by a drift: paying later within grace, partial payments) that make
 * good borrowers fall behind for a while. The strategy never reads z; it has to find it in the
 * history. Every draw comes from the seeded PRNG given, so a book is reproduced from its seed.
 *
 * Parameters (per day unless said otherwise), with the logistic σ:
 *  - hardship onset: monthly probability 0.03 · e^(−0.8 z); a drift of 45–90 days, then a hardship
 *    of 30–150 days;
 *  - an installment outside hardship: paid by its due date with probability σ(2.2 + 1.5 z)
 *    (early by up to 1 + 6 σ(z) days, by at most a day in drift: margins shrink); otherwise, or in
 *    drift with probability 0.6, it slips: paid
 *    within grace (1–3 days late, in full, or 60% of it in drift), or missed. In hardship it is
 *    missed with probability 0.85;
 *  - while delinquent, once a week: a payment by the borrower's own accord with probability
 *    σ(−2.0 + 1.3 z − 1.5 h − dpd / 120), in full (amount overdue and penalties) with probability
 *    σ(0.3 + z), else 30–80% of an installment; h = 1 in hardship;
 *  - collection while delinquent and no dispute is open: 1–3 call attempts a week (more as DPD
 *    grows); the borrower answers with probability σ(−0.2 + 0.9 z − h); reached, promises with
 *    probability 0.55 to pay the amount overdue (at most two installments' worth) in 3–10 days,
 *    and keeps it with probability σ(0.2 + 1.4 z − 1.5 h); a broken promise brings a part payment
 *    with probability 0.3;
 *  - disputes: filed with probability 0.002 a delinquent week, resolved after 14–42 days;
 *  - restructuring: a borrower in hardship with z > −0.3 at 60–150 DPD, probability 0.08 a week:
 *    the outstanding principal over 12 new monthly installments;
 *  - charge-off at 180 DPD (recoveries go on).
 */
import {
  applyRepayment,
  chargeOff,
  DAY,
  LoanStatus,
  restructure,
  statusAt,
  type Installment,
  type LoanState,
  type RepaymentBreakdown,
} from "../../src/domain";

const sigma = (x: number) => 1 / (1 + Math.exp(-x));
const DAY_S = Number(DAY);

/** A normal draw (Box–Muller) from a uniform PRNG. */
export function normal(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export interface SimulatedRepayment {
  at: number;
  /** Position among all of the loan's events (its order on chain). */
  order: number;
  amount: bigint;
  breakdown: RepaymentBreakdown;
}

export interface SimulatedAction {
  at: number;
  order: number;
  channel: number;
  kind: number;
  outcome: number;
}

export interface SimulatedLoan {
  /** The hidden propensity (never written to the book). */
  propensity: number;
  repayments: SimulatedRepayment[];
  actions: SimulatedAction[];
  promises: { madeAt: number; dueBy: number; amount: bigint }[];
  disputes: { at: number; filed: boolean; order: number }[];
  /** Versions after the first: when and the new schedule. */
  restructurings: { at: number; order: number; schedule: Installment[]; principal: bigint; replacedInterest: bigint; forgivenPenalty: bigint }[];
  chargedOffAt: number | null;
  closedAt: number | null;
  /** The state at the end of the simulation. */
  state: LoanState;
}

/** Outcome codes of simulated calls (the lender's own taxonomy): 0 no answer, 1 reached. */
export const SIM_OUTCOME = { NoAnswer: 0, Reached: 1, Promise: 2 } as const;

/**
 * Lives one loan from `state` (just registered) until chain time `end`, with borrower propensity
 * `z`. Payments go through the domain's state machine, so every amount is one the chain accepts.
 */
export function simulateLoan(initial: LoanState, z: number, end: number, random: () => number): SimulatedLoan {
  let state = initial;
  const out: SimulatedLoan = { propensity: z, repayments: [], actions: [], promises: [], disputes: [], restructurings: [], chargedOffAt: null, closedAt: null, state };
  const start = Number(initial.terms.registeredAt);
  let driftUntil = -1;
  let hardshipUntil = -1;
  let disputeUntil = -1;
  let decidedFor = -1;
  let order = 0; // the installment whose payment is decided (index in the current version)
  const planned: { at: number; amount: "due" | bigint }[] = [];
  const inHardship = (t: number) => t < hardshipUntil && t >= driftUntil;
  const inDrift = (t: number) => t < driftUntil;

  const pay = (t: number, want: "due" | "all-overdue" | bigint) => {
    if (state.status !== LoanStatus.Active && state.status !== LoanStatus.ChargedOff) return;
    const s = statusAt(state, BigInt(t));
    const total = s.outstandingPrincipal + s.outstandingInterest + s.penaltyOutstanding;
    let amount = want === "due" ? s.penaltyOutstanding + (s.amountOverdue > 0n ? s.amountOverdue : s.nextDueAmount) : want === "all-overdue" ? s.amountOverdue + s.penaltyOutstanding : want;
    if (amount > total) amount = total;
    if (amount <= 0n) return;
    const r = applyRepayment(state, amount, BigInt(t), BigInt(t));
    state = r.state;
    out.repayments.push({ at: t, order: order++, amount, breakdown: r.breakdown });
    if (r.breakdown.closed) out.closedAt = t;
  };

  for (let day = start + DAY_S; day <= end; day += DAY_S) {
    if (state.status === LoanStatus.Closed || state.status === LoanStatus.WrittenOff) break;
    const t = day + Math.floor(random() * 8) * 3_600; // office hours vary
    if (t > end) break;
    // Hardship onset (monthly probability spread over days).
    if (t >= hardshipUntil && random() < (0.03 * Math.exp(-0.8 * z)) / 30) {
      driftUntil = t + (45 + Math.floor(random() * 46)) * DAY_S;
      hardshipUntil = driftUntil + (30 + Math.floor(random() * 121)) * DAY_S;
    }
    if (disputeUntil > 0 && t >= disputeUntil) {
      out.disputes.push({ at: t, filed: false, order: order++ });
      disputeUntil = -1;
    }
    // Planned payments (decided earlier: installments, kept promises).
    for (let i = planned.length - 1; i >= 0; i--) {
      if (planned[i]!.at <= t) {
        const p = planned.splice(i, 1)[0]!;
        pay(t, p.amount);
      }
    }
    // pay() may have closed it (a function call: the compiler's narrowing above does not see it).
    if ((state.status as LoanStatus) === LoanStatus.Closed) break;
    const s = statusAt(state, BigInt(t));
    const dpd = Number(s.dpd);
    const inst = state.schedule[state.cursor];
    // The next installment, decided 10 days before its due date (the loan is performing).
    if (inst && dpd === 0 && state.cursor !== decidedFor && Number(inst.dueDate) - t <= 10 * DAY_S) {
      decidedFor = state.cursor;
      const due = Number(inst.dueDate);
      const h = inHardship(t) || inHardship(due);
      const slip = inDrift(due) ? random() < 0.6 : random() > sigma(2.2 + 1.5 * z);
      if (h) {
        if (random() > 0.85) planned.push({ at: due - Math.floor(random() * 3) * DAY_S, amount: "due" });
      } else if (!slip) planned.push({ at: due - Math.floor(random() * (inDrift(due) ? 1 : 1 + 6 * sigma(z))) * DAY_S - 3_600, amount: "due" });
      else if (random() < 0.65) {
        const late = due + (1 + Math.floor(random() * 3)) * DAY_S + 3_600;
        planned.push({ at: late, amount: inDrift(due) && random() < 0.4 ? (inst.principal + inst.interest) * 60n / 100n : "due" });
      }
    }
    if (dpd < 1) continue;
    const h = inHardship(t) ? 1 : 0;
    const weekday = Math.floor((t - start) / DAY_S) % 7;
    if (dpd >= 180 && state.status === LoanStatus.Active) {
      state = chargeOff(state);
      out.chargedOffAt = t;
      continue; // nothing else that day: a charge-off carries no chain key here, so it never shares a time with a payment
    }
    if (t < disputeUntil) continue;
    // Once a week: the borrower's own payment, a dispute, a restructuring.
    if (weekday === 0) {
      if (random() < sigma(-2.0 + 1.3 * z - 1.5 * h - dpd / 120)) pay(t, random() < sigma(0.3 + z) ? "all-overdue" : ((inst!.principal + inst!.interest) * BigInt(30 + Math.floor(random() * 51))) / 100n);
      if (random() < 0.002) {
        out.disputes.push({ at: t, filed: true, order: order++ });
        disputeUntil = t + (14 + Math.floor(random() * 29)) * DAY_S;
        continue;
      }
      if (h && z > -0.3 && dpd >= 60 && dpd <= 150 && state.status === LoanStatus.Active && random() < 0.08) {
        const now = statusAt(state, BigInt(t));
        // Twelve installments, each with some principal and interest (the contract refuses an empty one).
        if (now.outstandingPrincipal < 1_800n) continue;
        const n = 12n;
        const part = now.outstandingPrincipal / n;
        const first = BigInt(t) + 30n * DAY;
        const schedule: Installment[] = Array.from({ length: 12 }, (_, k) => ({
          dueDate: first + BigInt(k) * 30n * DAY,
          principal: k === 11 ? now.outstandingPrincipal - part * 11n : part,
          interest: now.outstandingPrincipal / 150n,
        }));
        const r = restructure(state, schedule, BigInt(t));
        state = r.state;
        decidedFor = -1;
        out.restructurings.push({ at: t, order: order++, schedule, principal: r.outstandingPrincipal, replacedInterest: r.replacedInterest, forgivenPenalty: r.forgivenPenalty });
        continue;
      }
    }
    // Collection calls: 1 a week, 2 past 30 DPD, 3 past 60 (on weekdays 1, 3, 5).
    const calls = 1 + (dpd > 30 ? 1 : 0) + (dpd > 60 ? 1 : 0);
    if (weekday === 1 || (weekday === 3 && calls >= 2) || (weekday === 5 && calls >= 3)) {
      if (random() > sigma(-0.2 + 0.9 * z - h)) {
        out.actions.push({ at: t, order: order++, channel: 0, kind: 0, outcome: SIM_OUTCOME.NoAnswer });
        continue;
      }
      if (random() < 0.55 && !planned.length) {
        const cap = (inst!.principal + inst!.interest) * 2n;
        const amount = s.amountOverdue + s.penaltyOutstanding > cap ? cap : s.amountOverdue + s.penaltyOutstanding;
        if (amount <= 0n) continue;
        const dueBy = t + (3 + Math.floor(random() * 8)) * DAY_S;
        out.actions.push({ at: t, order: order++, channel: 0, kind: 2, outcome: SIM_OUTCOME.Promise });
        out.promises.push({ madeAt: t, dueBy, amount });
        if (random() < sigma(0.2 + 1.4 * z - 1.5 * h)) planned.push({ at: t + Math.floor(random() * (dueBy - t)), amount });
        else if (random() < 0.3) planned.push({ at: t + Math.floor(random() * (dueBy - t)), amount: amount * 3n / 10n });
      } else out.actions.push({ at: t, order: order++, channel: 0, kind: 1, outcome: SIM_OUTCOME.Reached });
    }
  }
  out.state = state;
  return out;
}

/**
 * The demo seed's borrowers (scripts/lib/seed.ts): the same hidden propensity z ~ N(0, 1), on the
 * coarser clock of the seed, which advances the chain a few times a month. Parameters:
 *  - hardship: onset in a month with probability 0.04 · e^(−0.8 z) (at most once); one month of
 *    drift, then 2–3 months of hardship;
 *  - an installment, when nothing is overdue: paid a day before its due date with probability
 *    σ(1.8 + 1.5 z) (0.3 in drift); otherwise paid two days late with probability 0.5, a partial
 *    60% of it in 3 of 10 of those (4 of 10 in drift), or missed. In hardship it is missed with
 *    probability 0.85;
 *  - while overdue, at the month's collection round: the collector reaches the borrower with
 *    probability σ(−0.2 + 0.9 z − h); reached, the borrower pays all that is overdue with
 *    probability σ(1.0 + 1.4 z − 0.5 b − 1.5 h), otherwise σ(−0.8 + 1.3 z − 0.5 b − 1.5 h), where b is
 *    the months already behind and h = 1 in hardship.
 */
export interface DemoBorrower {
  z: number;
  /** Month indexes: drift in [driftFrom, hardshipFrom), hardship in [hardshipFrom, hardshipUntil). */
  driftFrom: number;
  hardshipFrom: number;
  hardshipUntil: number;
}

export type DemoInstallment = "early" | "grace" | "partial" | "missed";

export function demoBorrower(random: () => number, months: number): DemoBorrower {
  const z = normal(random);
  const b: DemoBorrower = { z, driftFrom: -1, hardshipFrom: -1, hardshipUntil: -1 };
  for (let m = 0; m < months; m++) {
    if (random() < 0.04 * Math.exp(-0.8 * z)) {
      b.driftFrom = m;
      b.hardshipFrom = m + 1;
      b.hardshipUntil = m + 3 + Math.floor(random() * 2);
      break;
    }
  }
  return b;
}

const demoDrift = (b: DemoBorrower, m: number) => m >= b.driftFrom && m < b.hardshipFrom;
const demoHardship = (b: DemoBorrower, m: number) => m >= b.hardshipFrom && m < b.hardshipUntil;

/** How month `m`'s installment is paid by a borrower with nothing overdue. */
export function demoInstallment(b: DemoBorrower, m: number, random: () => number): DemoInstallment {
  if (demoHardship(b, m)) return random() < 0.85 ? "missed" : "early";
  const drift = demoDrift(b, m);
  if (random() < (drift ? 0.3 : sigma(1.8 + 1.5 * b.z))) return "early";
  if (random() < 0.5) return random() < (drift ? 0.4 : 0.3) ? "partial" : "grace";
  return "missed";
}

/** Month `m`'s collection round for a borrower `behind` months in arrears: reached, and pays all that is overdue. */
export function demoCollection(b: DemoBorrower, m: number, behind: number, random: () => number): { reached: boolean; pays: boolean } {
  const h = demoHardship(b, m) ? 1 : 0;
  const reached = random() < sigma(-0.2 + 0.9 * b.z - h);
  const pays = random() < sigma((reached ? 1.0 + 1.4 * b.z : -0.8 + 1.3 * b.z) - 0.5 * behind - 1.5 * h);
  return { reached, pays };
}
