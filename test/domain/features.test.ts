/**
 * The strategy's features (src/domain/features.ts) on hand-built histories: each feature's value
 * worked by hand, its edge cases, and the rule that a feature at t never depends on anything known
 * after t (a property over simulated loans: the whole history and the history cut at t agree).
 */
import { expect } from "chai";
import fc from "fast-check";
import {
  DAY,
  DEFAULT_POLICY,
  featuresAt,
  FEATURES,
  FEATURE_NAMES,
  InvalidArgumentError,
  Kind,
  newLoan,
  replayHistory,
  scheduleKindOf,
  worstDpdSince,
  type Installment,
  type LoanHistory,
} from "../../src/domain";
import { simulateLoan } from "../../scripts/lib/behaviour";
import { prng } from "../../scripts/lib/prng";

const T0 = 1_767_225_600n; // registration
const TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
/** 12 installments of 100 principal + 10 interest, due every 30 days from T0 + 30 days. */
const SCHEDULE: Installment[] = Array.from({ length: 12 }, (_, k) => ({ dueDate: T0 + BigInt(30 * (k + 1)) * DAY, principal: 100n, interest: 10n }));
const due = (k: number) => SCHEDULE[k]!.dueDate;

function loan(over: Partial<LoanHistory> = {}): LoanHistory {
  return {
    loanId: 7,
    lender: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    terms: { principal: 1_200n, contractRateBps: 1_000, penaltyRateBps: 0, lateFee: 0n, capRoomBps: 2_000, graceDays: 3, registeredAt: T0 },
    policy: DEFAULT_POLICY,
    settlement: TOKEN,
    versions: [{ startedAt: T0, schedule: SCHEDULE }],
    repayments: [],
    actions: [],
    promises: [],
    disputes: [],
    chargedOffAt: null,
    writtenOffAt: null,
    ...over,
  };
}
const pay = (at: bigint, amount: bigint, known = at) => ({ at, known, amount });
const at = (h: LoanHistory, t: bigint) => featuresAt(replayHistory(h).advance(t));

describe("domain/features", function () {
  it("documents every feature once: a name, a unit and a definition", function () {
    expect(new Set(FEATURE_NAMES).size).to.equal(FEATURES.length);
    for (const f of FEATURES) {
      expect(f.unit, f.name).to.not.equal("");
      expect(f.definition.length, f.name).to.be.greaterThan(10);
      expect(f.reason(1), f.name).to.be.a("string").and.not.equal("");
    }
  });

  it("reasons read as a collector would say them, zero included", function () {
    const reason = (name: string, v: number | null) => FEATURES.find((f) => f.name === name)!.reason(v);
    expect(reason("promises_broken_90d", 2)).to.equal("2 broken promises in 90 days");
    expect(reason("promises_broken_90d", 1)).to.equal("1 broken promise in 90 days");
    expect(reason("promises_kept_90d", 0)).to.equal("no promises kept in 90 days");
    expect(reason("right_party_contacts_30d", 0)).to.equal("not reached in 30 days");
    expect(reason("days_since_last_payment", null)).to.equal("no payment received yet");
    expect(reason("overdue_installments", 250)).to.equal("2.5 installments overdue");
    expect(reason("last_payment_margin", 0)).to.equal("last installment paid on its due date");
    expect(reason("last_payment_margin", -3)).to.equal("last installment paid 3 days late");
    expect(reason("best_payment_margin", 0)).to.equal("never paid before a due date");
    expect(reason("usual_payment_margin", 1.5)).to.equal("usually pays only 1.5 days early");
    expect(reason("best_payment_margin", 1)).to.equal("never paid more than 1 day early");
    expect(reason("days_since_last_payment", 1)).to.equal("no payment for 1 day");
  });

  it("a loan never paid, 10 days after its first due date", function () {
    const f = at(loan(), due(0) + 10n * DAY);
    expect(f.dpd).to.equal(10n);
    expect(f.open).to.equal(true);
    expect(f.values).to.deep.include({
      dpd: 10,
      bucket: 1,
      worst_dpd_180d: 10,
      late_installments_180d: 1,
      on_time_share: 0, // 110 due and unpaid, nothing settled
      days_since_last_payment: null,
      last_payment_share: null,
      partial_payments_180d: 0,
      grace_payments_180d: 0,
      payment_timing_drift: null,
      payment_margin: null,
      last_payment_margin: null,
      usual_payment_margin: null,
      close_payments_streak: 0,
      best_payment_margin: null,
      promises_made_90d: 0,
      contact_attempts_30d: 0,
      right_party_share_30d: null,
      last_contact_outcome: "none",
      dispute_open: 0,
      restructurings: 0,
      observation: 0,
      outstanding_principal_share: 100,
      overdue_installments: 100,
      penalty_share: 0,
      loan_age_days: 40,
      schedule_kind: "annuity",
      settlement: TOKEN,
    });
    expect(f.amounts).to.deep.equal({ outstandingPrincipal: 1_200n, amountOverdue: 110n, penaltyAccrued: 0n });
  });

  it("before the first due date nothing was due: no on-time share, DPD 0, bucket M0", function () {
    const f = at(loan(), due(0) - DAY);
    expect(f.values).to.deep.include({ dpd: 0, bucket: 0, on_time_share: null, late_installments_180d: 0, overdue_installments: 0, penalty_share: null });
  });

  it("payment history: on time, in grace, late, partial; drift and the last payment", function () {
    const h = loan({
      repayments: [
        pay(due(0) - 2n * DAY, 110n), // 2 days early
        pay(due(1) - 1n * DAY, 110n), // 1 day early
        pay(due(2) + 2n * DAY, 110n), // 2 days late: within grace (3)
        pay(due(3) + 6n * DAY, 110n), // 6 days late: past grace
        pay(due(4) + 5n * DAY, 50n), // partial: 60 of installment 5 still overdue
      ],
    });
    const t = due(4) + 10n * DAY;
    const f = at(h, t);
    expect(f.values).to.deep.include({
      dpd: 10,
      worst_dpd_180d: 10, // 6 just before the 4th payment, 10 now
      late_installments_180d: 3, // installments 3 and 4 settled late, 5 unpaid and late
      on_time_share: 40, // of the 550 due (5 installments), 220 settled by their due dates
      grace_payments_180d: 1,
      partial_payments_180d: 1,
      days_since_last_payment: 5,
      last_payment_share: 45, // 50 of 110, rounded down
      payment_timing_drift: 6, // mean(+2, +6) − mean(−2, −1) = 4 − (−1.5) = 5.5 days, rounded half up
      payment_margin: -2, // the last 3 settled: 1 day early, 2 and 6 days late: mean −(−1 + 2 + 6)/3 = −2.33 → −2
      last_payment_margin: -6, // the 4th installment, settled 6 days late (the partial one settles nothing)
      usual_payment_margin: 0.5, // the 3 settled before it: 2 and 1 days early, 2 late: mean 1/3, to the half day
      close_payments_streak: 2, // the 4th (6 late) and the 3rd (2 late); the 2nd was a day early
      best_payment_margin: 2,
    });
    expect(f.amounts.amountOverdue).to.equal(60n);
  });

  it("payment margins: the last, the usual, the best, and a streak of last-moment payments", function () {
    const h = loan({
      repayments: [
        pay(due(0) - 5n * DAY, 110n), // 5 days early
        pay(due(1) - 3n * DAY, 110n), // 3 days early
        pay(due(2) - 3_600n, 110n), // an hour before due: less than a day early
        pay(due(3) - 3_600n, 110n),
      ],
    });
    const f = at(h, due(3) + DAY);
    expect(f.values).to.deep.include({
      last_payment_margin: 0,
      usual_payment_margin: 2.5, // (5 + 3 + 0.04) / 3 = 2.68 days, to the half day
      close_payments_streak: 2,
      best_payment_margin: 5,
      payment_margin: 1, // (3 + 0.04 + 0.04) / 3 = 1.03
    });
    // One settled installment: a last and a best margin, no usual one.
    expect(at(h, due(0) + DAY).values).to.deep.include({ last_payment_margin: 5, usual_payment_margin: null, close_payments_streak: 0, best_payment_margin: 5 });
  });

  it("promises made, kept, broken and pending in the last 90 days, from repayments only", function () {
    const t = due(0) + 40n * DAY;
    const h = loan({
      promises: [
        { madeAt: due(0) + 5n * DAY, dueBy: due(0) + 10n * DAY, amount: 50n }, // kept by the payment on day 8
        { madeAt: due(0) + 15n * DAY, dueBy: due(0) + 20n * DAY, amount: 100n }, // broken
        { madeAt: due(0) + 35n * DAY, dueBy: due(0) + 45n * DAY, amount: 100n }, // pending at t
        { madeAt: due(0) - 100n * DAY, dueBy: due(0) - 95n * DAY, amount: 10n }, // older than 90 days: not counted
      ],
      repayments: [pay(due(0) + 8n * DAY, 60n)],
    });
    expect(at(h, t).values).to.deep.include({ promises_made_90d: 3, promises_kept_90d: 1, promises_broken_90d: 1 });
  });

  it("contacts in the last 30 days: attempts, right-party contacts and their share, the last outcome", function () {
    const t = due(0) + 40n * DAY;
    const act = (d: bigint, kind: number) => ({ at: t - d * DAY, known: t - d * DAY, channel: 0, kind, outcome: 0 });
    const h = loan({ actions: [act(45n, Kind.ContactMade), act(20n, Kind.ContactAttempt), act(10n, Kind.ContactAttempt), act(5n, Kind.ContactMade), act(2n, Kind.PromiseToPay), act(1n, Kind.Note)] });
    expect(at(h, t).values).to.deep.include({ contact_attempts_30d: 4, right_party_contacts_30d: 2, right_party_share_30d: 50, last_contact_outcome: "note" });
    expect(at(h, t - 3n * DAY + 1n).values).to.deep.include({ contact_attempts_30d: 3, last_contact_outcome: "reached" });
  });

  it("disputes: open from filing until resolved; the count stays", function () {
    const h = loan({ disputes: [{ at: due(0) + DAY, filed: true }, { at: due(0) + 20n * DAY, filed: false }] });
    expect(at(h, due(0) + 2n * DAY).values).to.deep.include({ dispute_open: 1, disputes_filed: 1 });
    expect(at(h, due(0) + 21n * DAY).values).to.deep.include({ dispute_open: 0, disputes_filed: 1 });
  });

  it("a restructuring: a second version, under observation, DPD from the new schedule", function () {
    const tR = due(1) + 5n * DAY;
    // Outstanding principal 1,200 (nothing paid) over 6 new installments from 30 days later.
    const schedule: Installment[] = Array.from({ length: 6 }, (_, k) => ({ dueDate: tR + BigInt(30 * (k + 1)) * DAY, principal: 200n, interest: 5n }));
    const h = loan({ versions: [{ startedAt: T0, schedule: SCHEDULE }, { startedAt: tR, schedule }] });
    const f = at(h, tR + 10n * DAY);
    expect(f.values).to.deep.include({ restructurings: 1, observation: 1, dpd: 0, worst_dpd_180d: 35 });
    expect(at(h, tR - DAY).values).to.deep.include({ restructurings: 0, observation: 0, dpd: 34 });
  });

  it("a repayment counts from its block time, not its (earlier) paid-at date", function () {
    const h = loan({ repayments: [pay(due(0) - DAY, 110n, due(0) + 5n * DAY)] });
    expect(at(h, due(0) + 4n * DAY).values).to.deep.include({ dpd: 4, days_since_last_payment: null });
    // Known now, settled as of its paid-at date: on time.
    expect(at(h, due(0) + 6n * DAY).values).to.deep.include({ dpd: 0, on_time_share: 100, days_since_last_payment: 1 });
  });

  it("a replay only moves forward", function () {
    const r = replayHistory(loan());
    r.advance(due(0));
    expect(() => r.advance(due(0) - 1n)).to.throw(InvalidArgumentError, "only moves forward");
  });

  it("worstDpdSince: the DPD just before each payment in the window, or now", function () {
    const h = loan({ repayments: [pay(due(0) + 20n * DAY, 110n), pay(due(1) + 9n * DAY, 110n)] });
    const v = replayHistory(h).advance(due(1) + 15n * DAY);
    expect(worstDpdSince(v, due(0))).to.equal(20n);
    expect(worstDpdSince(v, due(0) + 21n * DAY)).to.equal(9n);
  });

  it("scheduleKindOf reads the generator from the installments", function () {
    expect(scheduleKindOf(SCHEDULE)).to.equal("annuity");
    expect(scheduleKindOf(SCHEDULE.map((i, k) => ({ ...i, interest: BigInt(20 - k) })))).to.equal("equal-principal");
    expect(scheduleKindOf(SCHEDULE.map((i, k) => ({ ...i, principal: k === 11 ? 1_200n : 0n })))).to.equal("interest-only");
    expect(scheduleKindOf(SCHEDULE.map((i, k) => ({ ...i, principal: BigInt(50 + k * 10) })))).to.equal("custom");
  });

  it("never looks past the snapshot: a simulated history cut at t gives the same features at t", function () {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.double({ min: -2.5, max: 2.5, noNaN: true }), fc.integer({ min: 31, max: 400 }), (seed, z, day) => {
        const random = prng(seed);
        const state = newLoan(SCHEDULE, loan().terms, DEFAULT_POLICY);
        const life = simulateLoan(state, z, Number(T0) + 420 * 86_400, random);
        const full = loan({
          versions: [{ startedAt: T0, schedule: SCHEDULE }, ...life.restructurings.map((r) => ({ startedAt: BigInt(r.at), schedule: r.schedule }))],
          repayments: life.repayments.map((r) => pay(BigInt(r.at), r.amount)),
          actions: life.actions.map((a) => ({ at: BigInt(a.at), known: BigInt(a.at), channel: a.channel, kind: a.kind, outcome: a.outcome })),
          promises: life.promises.map((p) => ({ madeAt: BigInt(p.madeAt), dueBy: BigInt(p.dueBy), amount: p.amount })),
          disputes: life.disputes.map((d) => ({ at: BigInt(d.at), filed: d.filed })),
          chargedOffAt: life.chargedOffAt === null ? null : BigInt(life.chargedOffAt),
        });
        const t = T0 + BigInt(day) * DAY;
        const cut: LoanHistory = {
          ...full,
          versions: full.versions.filter((v) => v.startedAt <= t),
          repayments: full.repayments.filter((r) => r.known <= t),
          actions: full.actions.filter((a) => a.known <= t),
          promises: full.promises.filter((p) => p.madeAt <= t),
          disputes: full.disputes.filter((d) => d.at <= t),
          chargedOffAt: full.chargedOffAt !== null && full.chargedOffAt <= t ? full.chargedOffAt : null,
        };
        expect(at(full, t)).to.deep.equal(at(cut, t));
      }),
      { numRuns: 60 },
    );
  });
});
