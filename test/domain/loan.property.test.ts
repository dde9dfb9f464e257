import { expect } from "chai";
import fc from "fast-check";
import {
  DAY,
  LoanNotOpenError,
  LoanStatus,
  OverpaymentError,
  YEAR_BPS,
  ZeroAmountError,
  amountOf,
  applyRepayment,
  floorDiv,
  installmentPenaltyAt,
  newLoan,
  penaltyDays,
  penaltyFor,
  poke,
  scheduleTotals,
  statusAt,
  type Installment,
  type LoanState,
  type LoanTerms,
  type Policy,
  type RepaymentBreakdown,
} from "../../src/domain";
import { T0, arbCustomSchedule, arbOps, arbPolicy, arbTerms, type Op } from "./arbitraries";

interface Loan {
  schedule: Installment[];
  terms: LoanTerms;
  policy: Policy;
}

const arbLoan: fc.Arbitrary<Loan> = arbCustomSchedule.chain((schedule) =>
  fc.record({
    schedule: fc.constant(schedule),
    terms: arbTerms(scheduleTotals(schedule).principal),
    policy: arbPolicy,
  }),
);

/** One history replayed: every check runs after every step. */
interface Trace {
  state: LoanState;
  breakdowns: RepaymentBreakdown[];
}

/**
 * Replays `ops` on a fresh loan and checks the invariants after every step. The cursor's
 * penalty is compared with a reference accumulator kept as a list of
 * (penalty day, unpaid amount from then on) segments, independent of the checkpoint fields.
 */
function replay({ schedule, terms, policy }: Loan, ops: Op[]): Trace {
  let state = newLoan(schedule, terms, policy);
  let now = T0;
  const paid = { amount: 0n, penalty: 0n, interest: 0n, principal: 0n };
  const breakdowns: RepaymentBreakdown[] = [];
  const lastStage = new Map<number, number>();
  const totals = scheduleTotals(schedule);
  let segments: Array<{ pd: bigint; unpaid: bigint }> = [{ pd: 0n, unpaid: amountOf(schedule[0]!) }];
  // The cursor's penalty last seen; forgotten after a backdated payment, which (rightly) lowers
  // the penalty from its date on: "never decreases" is a statement about time, not about records.
  let lastPenalty: { cursor: number; value: bigint } | null = null;
  const pdOf = (j: number, t: bigint) => penaltyDays(schedule[j]!.dueDate, t, terms.graceDays);

  const referenceU = (t: bigint): bigint => {
    let u = 0n;
    segments.forEach((seg, i) => {
      const end = i + 1 < segments.length ? segments[i + 1]!.pd : pdOf(state.cursor, t);
      u += seg.unpaid * (end - seg.pd);
    });
    return u;
  };

  const payAt = (op: { share: number }, at: bigint) => {
    if (state.status === LoanStatus.Closed) {
      expect(() => applyRepayment(state, 1n, at, now)).to.throw(LoanNotOpenError);
      return;
    }
    // Applied at max(at, the last payment): an attestation dated before it is applied as of it.
    const applied = at > state.lastPaidAt ? at : state.lastPaidAt;
    const before = statusAt(state, applied);
    const payoff = before.penaltyOutstanding + before.outstandingPrincipal + before.outstandingInterest;
    const amount = (payoff * BigInt(op.share)) / 1_000n + ("extra" in op ? (op.extra as bigint) : 0n);
    if (amount === 0n) {
      expect(() => applyRepayment(state, amount, at, now)).to.throw(ZeroAmountError);
      return;
    }
    if (amount > payoff) {
      expect(() => applyRepayment(state, amount, at, now))
        .to.throw(OverpaymentError)
        .with.property("excess", amount - payoff);
      return;
    }
    const cursorBefore = state.cursor;
    const r = applyRepayment(state, amount, at, now);
    const b = r.breakdown;
    expect(r.appliedAt).to.equal(applied);
    if (at < state.lastPaidAt) {
      expect(r, "dated before the last payment = dated at it").to.deep.equal(applyRepayment(state, amount, state.lastPaidAt, now));
    }
    expect(b.penalty + b.interest + b.principal, "breakdown sums to the amount").to.equal(amount);
    expect(b.cursorAfter - cursorBefore).to.equal(b.installmentsSettled);
    expect(b.closed).to.equal(amount === payoff);
    breakdowns.push(b);
    paid.amount += amount;
    paid.penalty += b.penalty;
    paid.interest += b.interest;
    paid.principal += b.principal;
    state = r.state;
    if (state.cursor < schedule.length) {
      const a = amountOf(schedule[state.cursor]!);
      if (state.cursor !== cursorBefore) segments = [{ pd: 0n, unpaid: a }];
      segments.push({ pd: pdOf(state.cursor, r.appliedAt), unpaid: a - state.paid });
    }
  };

  const check = () => {
    const st = statusAt(state, now);
    for (const v of [st.amountOverdue, st.penaltyOutstanding, st.nextDueAmount, st.outstandingPrincipal, st.outstandingInterest, st.dpd]) {
      expect(v >= 0n, "never negative").to.equal(true);
    }
    expect(st.outstandingPrincipal).to.equal(totals.principal - paid.principal);
    expect(st.outstandingInterest).to.equal(totals.interest - paid.interest);
    expect(paid.amount).to.equal(paid.penalty + paid.interest + paid.principal);
    if (state.status === LoanStatus.Closed) {
      expect(paid.amount).to.equal(totals.total + paid.penalty);
      return;
    }
    expect(st.amountOverdue > 0n ? st.dpd >= 1n : true).to.equal(true);
    // Per installment: the cursor's penalty equals the reference, never exceeds the cap term,
    // never decreases, and is at least what was paid on it.
    const c = state.cursor;
    const u = referenceU(now);
    const pen = installmentPenaltyAt(state, c, now);
    expect(pen).to.equal(penaltyFor(u, pdOf(c, now), terms));
    expect(pen <= floorDiv(u * BigInt(terms.capRoomBps), YEAR_BPS)).to.equal(true);
    expect(pen >= state.penaltyPaid).to.equal(true);
    if (lastPenalty?.cursor === c) expect(pen >= lastPenalty.value, "penalty never decreases").to.equal(true);
    lastPenalty = { cursor: c, value: pen };
    for (let j = c + 1; j < schedule.length; j++) {
      const uj = amountOf(schedule[j]!) * pdOf(j, now);
      expect(installmentPenaltyAt(state, j, now) <= floorDiv(uj * BigInt(terms.capRoomBps), YEAR_BPS)).to.equal(true);
    }
  };

  for (const op of ops) {
    if (op.kind === "advance") now += BigInt(op.seconds);
    else if (op.kind === "pay") payAt(op, now);
    else if (op.kind === "record") {
      // Any time in the version (here: since registration), also before the last payment.
      const back = now - BigInt(op.backSeconds);
      const at = back > terms.registeredAt ? back : terms.registeredAt;
      if (at < now) lastPenalty = null;
      payAt(op, at);
    } else {
      const cursor = state.cursor;
      const r = poke(state, now);
      for (const e of r.events) {
        if (e.type !== "reminder") continue;
        expect(e.installment, "reminders follow the cursor").to.equal(cursor);
        expect(e.stage, "in order, never twice").to.equal((lastStage.get(e.installment) ?? -1) + 1);
        expect(schedule[e.installment]!.dueDate + BigInt(e.offsetDays) * DAY <= now, "never early").to.equal(true);
        expect(e.offsetDays).to.equal(policy.reminderOffsetsDays[e.stage]);
        lastStage.set(e.installment, e.stage);
      }
      const types = r.events.map((e) => e.type);
      const order = ["reminder", "penaltyAssessed", "classificationChanged", "defaulted", "observationEnded"];
      expect(types.map((t) => order.indexOf(t))).to.deep.equal([...types.map((t) => order.indexOf(t))].sort((a, b) => a - b));
      state = r.state;
      expect(poke(state, now).events, "a second poke at the same time emits nothing").to.deep.equal([]);
    }
    check();
  }
  return { state, breakdowns };
}

describe("domain/loan properties", function () {
  it("money is conserved, never negative, penalties capped, reminders once and in order", function () {
    fc.assert(fc.property(arbLoan, arbOps, (loan, ops) => void replay(loan, ops)), { numRuns: 300 });
  });

  it("figures do not depend on how often the loan is poked (checkpointing independence)", function () {
    fc.assert(
      fc.property(arbLoan, arbOps, (loan, ops) => {
        const poked = replay(loan, ops);
        const quiet = replay(loan, ops.filter((op) => op.kind !== "poke"));
        expect(quiet.breakdowns).to.deep.equal(poked.breakdowns);
        const money = (s: LoanState) => [s.cursor, s.paid, s.penaltyPaid, s.base, s.baseDays, s.lastPaidAt, s.status];
        expect(money(quiet.state)).to.deep.equal(money(poked.state));
        let t = poked.state.lastPaidAt;
        for (let k = 0; k < 5; k++, t += 17n * DAY + 3_601n) {
          expect(statusAt(quiet.state, t)).to.deep.equal(statusAt(poked.state, t));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("paying in two parts at the same time equals paying the sum", function () {
    fc.assert(
      fc.property(arbLoan, fc.integer({ min: 0, max: 2_000 * 86_400 }), fc.integer({ min: 1, max: 999 }), fc.integer({ min: 1, max: 1_000 }), (loan, dt, split, share) => {
        const s = newLoan(loan.schedule, loan.terms, loan.policy);
        const t = T0 + BigInt(dt);
        const st = statusAt(s, t);
        const amount = ((st.penaltyOutstanding + st.outstandingPrincipal + st.outstandingInterest) * BigInt(share)) / 1_000n;
        const first = (amount * BigInt(split)) / 1_000n;
        fc.pre(first > 0n && amount - first > 0n);
        const once = applyRepayment(s, amount, t, t);
        const a = applyRepayment(s, first, t, t);
        const b = applyRepayment(a.state, amount - first, t, t);
        const fields = (x: LoanState) => [x.cursor, x.paid, x.penaltyPaid, x.base, x.baseDays, x.status];
        expect(fields(b.state)).to.deep.equal(fields(once.state));
        for (const k of ["penalty", "interest", "principal"] as const) {
          expect(a.breakdown[k] + b.breakdown[k]).to.equal(once.breakdown[k]);
        }
      }),
      { numRuns: 200 },
    );
  });
});
