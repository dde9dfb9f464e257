/**
 * Property tests: LoanLedger on the in-process Hardhat network against its TypeScript twin
 * (src/domain), side by side, over random loans and random histories (docs/ledger-rules.md).
 *
 * Every run loads a fresh ledger (loadFixture), sets a random legal cap and a random lender
 * policy, registers one loan (a generated annuity / equal-principal / interest-only schedule or
 * a random custom one; settled in a 6- or 18-decimal ERC-20 or off chain) and replays up to 12
 * random steps on both sides: time jumps (exact block times, often onto day, grace and reminder
 * boundaries), pokes, ERC-20 repayments, off-chain repayments backdated with `paidAt` (also to
 * before the last payment: out-of-order attestations, e.g. a bank payment attested after a
 * stranger's on-chain repay, applied at the last payment's time), partial,
 * exact, prepaying and overpaying amounts, charge-off, write-off and restructuring (propose +
 * accept, or the borrower's EIP-712 signature). Every transaction is mined at a timestamp set in
 * advance (evm_setNextBlockTimestamp) and every view is read with the blockTag of that block, so
 * the domain is always evaluated at the exact block time.
 *
 * After every step:
 *  - loanState(id) equals statusAt(domain, t) field for field (plus defaulted / observation);
 *    daysPastDue(id) equals the domain's DPD;
 *  - each LoanRepaid equals applyRepayment's breakdown (amount = penalty + interest + principal);
 *    ClassificationChanged / ObservationEnded / LoanClosed after it equal applyRepayment's events;
 *    refused repayments (overpayment with its excess, zero, paidAt out of range, loan not open)
 *    are refused by both sides with the same figures;
 *  - the events of a poke equal the domain poke's events, in order and values;
 *  - rule checks independent of both implementations: principal and interest paid (sum of the
 *    LoanRepaid breakdowns) equal what the outstanding figures lost; the penalty outstanding is
 *    recomputed from an independent accumulator (unpaid x penalty days, segment by segment) and
 *    the formula of the rules, never above the legal-cap term per installment and never decreasing
 *    with time; reminders never twice, never early, in stage order, following the cursor;
 *    ClassificationChanged chains (from = previous to); LoanDefaulted at most once.
 *
 * The same model runs over focused families: restructured loans through their observation year,
 * penalty assessment on equal installments, installments whose amount p + r reaches 2^96 (each
 * part below 2^96, as the rules allow) and histories running past 2^32 seconds after the start.
 * A last property checks that setPolicy accepts exactly the policies validatePolicy accepts.
 *
 * The seed is fixed (CI is deterministic); FC_SEED=<seed> and FC_PATH=<path> from fast-check's
 * report replay a failure; FC_RUNS, FC_MAX_STEPS and FC_SHRINK_BUDGET change the number of runs,
 * the length of the main histories and the shrinking (e.g. a longer exploratory run locally).
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { LoanLedger, MockERC20 } from "../../typechain-types";
import {
  Classification,
  DAY,
  DueDateTooLateError,
  HolidayDpdTooHighError,
  HolidayInForceError,
  HolidayInPastError,
  InstallmentPartOutOfRangeError,
  InvalidHolidayInstallmentsError,
  InvalidPaymentTimeError,
  InvalidSettlementAmountError,
  LoanDefaultedError,
  LoanNotActiveError,
  LoanNotOpenError,
  LoanStatus,
  MAX_REMINDER_STAGES,
  OverpaymentError,
  YEAR_BPS,
  ZeroAmountError,
  amountOf,
  applyRepayment,
  chargeOff,
  checkpointTime,
  dpdAt,
  versionStart,
  generateSchedule,
  grantHoliday,
  createArrearsPlan,
  arrearsRequired,
  ArrearsPlanInForceError,
  ArrearsMismatchError,
  EmptyArrearsPartError,
  InvalidArrearsPartCountError,
  InvalidArrearsPartDateError,
  MAX_ARREARS_PARTS,
  NoArrearsError,
  holidayInForce,
  installmentPenaltyAt,
  owedAt,
  makeTerms,
  newLoan,
  penaltyDays,
  poke,
  restructure,
  settle,
  statusAt,
  toIsoString,
  validatePolicy,
  writeOff,
  type Frequency,
  type Installment,
  type LoanEvent,
  type LoanState,
  type Policy,
  type RepaymentBreakdown,
  type ScheduleKind,
  encodeJurisdiction,
} from "../../src/domain";
import { deployLedgerFixture } from "./helpers/fixtures";
import { restructureNonce, scheduleHash, scheduleTuples, signRestructure } from "./helpers/restructure";
import { reliefOf, signArrearsPlan, signHoliday } from "./helpers/relief";

// ------------------------------------------------------------------------------------ settings

const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 0x5eed_2026;
const PATH = process.env.FC_PATH;
const RUNS = process.env.FC_RUNS !== undefined ? Number(process.env.FC_RUNS) : 60;
/** Shrink attempts after the first failure (each replays a whole history on the chain). */
const SHRINK_BUDGET = process.env.FC_SHRINK_BUDGET !== undefined ? Number(process.env.FC_SHRINK_BUDGET) : 150;
const MAX_STEPS = process.env.FC_MAX_STEPS !== undefined ? Number(process.env.FC_MAX_STEPS) : 12;

/** Every run starts from this block time (2033-05-18), so runs do not depend on the wall clock. */
const T_BASE = 2_000_000_000n;
const CNY = "0x434e59";
/** Balances of the payers in both tokens: far above any payoff the generators produce. */
const BALANCE = 1n << 120n;
/** A policy has at most this many reminder stages (15: they share one storage word with their count). */
const MAX_STAGES = MAX_REMINDER_STAGES;

type Settlement = "token6" | "token18" | "fiat";
const UNIT: Record<Settlement, bigint> = { token6: 10n ** 6n, token18: 10n ** 18n, fiat: 100n };

// ------------------------------------------------------------------------------------ fixture

async function propertyFixture() {
  const f = await deployLedgerFixture();
  const token18 = (await ethers.deployContract("MockERC20", ["Test 18", "T18", 18])) as unknown as MockERC20;
  const ledgerAddress = await f.ledger.getAddress();
  for (const who of [f.borrower, f.stranger]) {
    await f.token.mint(who.address, BALANCE);
    await token18.mint(who.address, BALANCE);
    await token18.connect(who).approve(ledgerAddress, ethers.MaxUint256);
  }
  const latest = BigInt(await time.latest());
  if (latest >= T_BASE) throw new Error(`the chain clock (${latest}) is past T_BASE; raise T_BASE`);
  await time.increaseTo(T_BASE);
  return { ...f, token18 };
}
type Fixture = Awaited<ReturnType<typeof propertyFixture>>;

// ------------------------------------------------------------------------------------ generators

interface Rates {
  maxAnnualRateBps: number;
  contractRateBps: number;
  penaltyRateBps: number;
}

/** A cap (1..65535 bps), a contract rate within it and a penalty rate within the room left (often all of it). */
const arbRates: fc.Arbitrary<Rates> = fc
  .record({
    cap: fc.oneof(fc.constantFrom(2_400, 4_380), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 65_535 })),
    contractPerMille: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 1_000 })),
    // 1000: the whole room (the cap binds often); 0: late fees only (a constant penalty per installment).
    penaltyPerMille: fc.oneof(fc.constant(1_000), fc.constant(0), fc.integer({ min: 0, max: 1_000 })),
  })
  .map(({ cap, contractPerMille, penaltyPerMille }) => {
    const contractRateBps = Math.floor((cap * contractPerMille) / 1_000);
    return { maxAnnualRateBps: cap, contractRateBps, penaltyRateBps: Math.floor(((cap - contractRateBps) * penaltyPerMille) / 1_000) };
  });

const sortedOffsets = (a: number[]) => [...a].sort((x, y) => x - y);
const arbOffsets = (maxLength: number): fc.Arbitrary<number[]> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant<number[]>([-3, 1, 7, 15, 30, 60, 90]) },
    { weight: 3, arbitrary: fc.uniqueArray(fc.integer({ min: -10, max: 120 }), { maxLength }).map(sortedOffsets) },
    { weight: 1, arbitrary: fc.uniqueArray(fc.integer({ min: -365, max: 3_650 }), { maxLength }).map(sortedOffsets) },
    { weight: 1, arbitrary: fc.constant<number[]>([]) },
  );

/**
 * A valid policy: `penaltyRateBps` comes from the rates, the late fee scales with the token's unit.
 * `maxDefaultDays` bounds defaultAfterDays (uint16 on chain): the step anchors jump to it, and
 * histories running 2^32 seconds past the start (136 years) have their own property.
 */
const arbPolicy = (penaltyRateBps: number, unit: bigint, maxDefaultDays: number): fc.Arbitrary<Policy> =>
  fc
    .record({
      graceDays: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 90 })),
      lateFee: fc.oneof(fc.constant(0n), fc.constantFrom(unit, 5n * unit), fc.bigInt({ min: 0n, max: 50n * unit }), fc.bigInt({ min: 0n, max: 1_000n })),
      sub: fc.oneof(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 200 })),
      doubtGap: fc.integer({ min: 1, max: 200 }),
      lossGap: fc.integer({ min: 1, max: 200 }),
      defaultAfterDays: fc.oneof(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: maxDefaultDays })),
      offsets: arbOffsets(MAX_STAGES),
    })
    .map((r) => ({
      graceDays: r.graceDays,
      penaltyRateBps,
      lateFee: r.lateFee,
      reminderOffsetsDays: r.offsets,
      substandardAfterDays: r.sub,
      doubtfulAfterDays: r.sub + r.doubtGap,
      lossAfterDays: r.sub + r.doubtGap + r.lossGap,
      defaultAfterDays: r.defaultAfterDays,
    }));

/** Parameters of generateSchedule, relative to the registration (or restructuring) time. */
interface GeneratedPlan {
  type: "generated";
  kind: ScheduleKind;
  count: number;
  frequency: Frequency;
  /** First due date: 00:00 UTC this many days after the day of the registration. */
  firstDueInDays: number;
}
interface CustomRow {
  gapDays: number;
  gapSeconds: number;
  principal: bigint;
  interest: bigint;
}
interface CustomPlan {
  type: "custom";
  rows: CustomRow[];
}

const arbKind = fc.constantFrom<ScheduleKind>("annuity", "equal-principal", "interest-only");
const arbFrequency = fc.constantFrom<Frequency>("monthly", "quarterly");

const arbGeneratedPlan: fc.Arbitrary<GeneratedPlan> = fc.record({
  type: fc.constant("generated" as const),
  kind: arbKind,
  count: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 36 })),
  frequency: arbFrequency,
  firstDueInDays: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 60 })),
});

const arbCustomRows = (unit: bigint, maxGapDays: number, maxPart: bigint): fc.Arbitrary<CustomRow[]> =>
  fc.array(
    fc.record({
      gapDays: fc.oneof(fc.integer({ min: 0, max: 45 }), fc.integer({ min: 0, max: maxGapDays })),
      gapSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 86_399 })),
      principal: fc.oneof(fc.bigInt({ min: 0n, max: 1_000n }), fc.bigInt({ min: 0n, max: 10n ** 6n * unit }), fc.bigInt({ min: 0n, max: maxPart })),
      interest: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 10n ** 4n * unit }), fc.bigInt({ min: 0n, max: maxPart })),
    }),
    { minLength: 1, maxLength: 12 },
  );

/** A custom schedule from rows: due dates strictly increasing from `start` (at least 1 s apart). */
function customSchedule(rows: CustomRow[], start: bigint): Installment[] {
  let due = start;
  const out = rows.map((r) => {
    due += BigInt(r.gapDays) * DAY + BigInt(r.gapSeconds);
    if (r.gapDays === 0 && r.gapSeconds === 0) due += 1n;
    // The rules refuse 0 + 0 installments.
    return { dueDate: due, principal: r.principal, interest: r.principal === 0n && r.interest === 0n ? 1n : r.interest };
  });
  // The principal must be positive.
  if (out.every((i) => i.principal === 0n)) out[0] = { ...out[0]!, principal: 1n };
  return out;
}

/** 00:00 UTC "YYYY-MM-DD" `days` days after the day of `t`. */
function isoDayAfter(t: bigint, days: number): string {
  return toIsoString((t / DAY + BigInt(days)) * DAY).slice(0, 10);
}

function tryGenerate(plan: GeneratedPlan, principal: bigint, rateBps: number, start: bigint): Installment[] | null {
  try {
    return generateSchedule({
      kind: plan.kind,
      principal,
      annualRateBps: rateBps,
      count: plan.count,
      firstDue: isoDayAfter(start, plan.firstDueInDays),
      frequency: plan.frequency,
    });
  } catch {
    return null; // e.g. interest-only at rate 0, fewer minor units than installments
  }
}

// ---- steps

/** How a payment amount is chosen from the domain's figures at the payment time. */
type AmountSpec =
  | { how: "share"; perMille: number; extra: bigint } // of the full payoff (> 1000: overpayment)
  | { how: "cursor"; extra: bigint } // exactly what settles the cursor installment (+ extra)
  | { how: "overdue" } // penalty outstanding + amount overdue (0 when nothing is overdue)
  | { how: "payoff"; extra: bigint } // the full payoff (+ extra: an overpayment)
  | { how: "tiny"; value: bigint };

/**
 * A point in time relative to the loan, resolved when the step runs (and bumped to one second
 * after the last block if it is not ahead):
 * - `dueDays`: the cursor's due date + `dueDays` days + `delta` seconds;
 * - `policyDay`: the cursor's due date + (a policy or rules threshold + `dayShift`) days + `delta`
 *   seconds: grace period, classification thresholds, defaultAfterDays, a reminder offset
 *   (`index` into the offsets), a bucket edge (`index` into 30..180): the boundaries where
 *   off-by-one errors live;
 * - `afterYear`: the end of the observation year of the last restructuring + `afterYear` seconds.
 */
type Anchor =
  | { dueDays: number; delta: number }
  | { policyDay: "grace" | "sub" | "doubt" | "loss" | "default" | "reminder" | "bucket"; index: number; dayShift: number; delta: number }
  | { afterYear: number };
/** When a transaction is mined: `dt` seconds after the last block, or at an anchor. */
type When = { dt: number } | Anchor;

interface RestructureStep {
  kind: "restructure";
  when: When;
  plan: GeneratedPlan | (CustomPlan & { interestPerTenThousand: number });
  rateBps: number | null;
  signed: boolean;
}

type Step =
  | { kind: "advance"; seconds: number }
  | { kind: "jump"; to: Anchor } // mine an empty block at the anchor
  | { kind: "poke"; when: When; twice: boolean }
  | { kind: "pay"; when: When; amount: AmountSpec; byStranger: boolean } // repay() (token) or recordRepayment at block time (fiat)
  | { kind: "onTime"; lead: number } // settle the cursor exactly, at its due date minus `lead` seconds (negative: after it) if still ahead
  | { kind: "record"; when: When; back: number; amount: AmountSpec; byServicer: boolean } // backdated recordRepayment (not before the version's start)
  // An attestation dated at or before the last payment (a share of the way from the version's start to it): out of order.
  | { kind: "recordBeforeLast"; when: When; perMille: number; amount: AmountSpec; byServicer: boolean }
  | { kind: "recordEarly"; when: When } // paidAt one second before the earliest allowed (the version's start)
  | { kind: "chargeOff"; when: When }
  | { kind: "writeOff"; when: When }
  | RestructureStep
  // Relief (LoanRelief): a payment holiday the borrower signed; a settlement offered at `when` for a
  // share of what is owed and paid (token) or attested (fiat) a second later, or after its deadline.
  | { kind: "holiday"; when: When; installments: number; interest: 0 | 1 | 2; placement: 0 | 1 }
  | { kind: "settle"; when: When; perMille: number; late: boolean }
  // An arrears plan the borrower signed: the arrears at `when` in `parts` parts `gapDays` apart (the
  // last part `skew` off, to be refused); and the next part's date: a payment of what it requires
  // `lead` seconds before it (one unit short when `short`; none unless `pay`), then a poke just after it.
  | { kind: "arrears"; when: When; parts: number; gapDays: number; skew: number }
  | { kind: "keepPart"; lead: number; short: boolean; pay: boolean };

const arbDueDays = fc.oneof(fc.integer({ min: -5, max: 10 }), fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 400 }));
const arbDelta = fc.constantFrom(-1, 0, 1);
const arbAnchor: fc.Arbitrary<Anchor> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ dueDays: arbDueDays, delta: arbDelta }) },
  {
    weight: 2,
    arbitrary: fc.record({
      policyDay: fc.constantFrom(
        "grace" as const,
        "sub" as const,
        "doubt" as const,
        "loss" as const,
        "default" as const,
        "reminder" as const,
        "bucket" as const,
      ),
      index: fc.nat({ max: 15 }),
      dayShift: fc.constantFrom(-1, 0, 1, 2),
      delta: arbDelta,
    }),
  },
);
const arbWhen: fc.Arbitrary<When> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ dt: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 3_600 }), fc.integer({ min: 1, max: 3 * 86_400 })) }) },
  { weight: 2, arbitrary: arbAnchor },
);
const arbExtra = fc.oneof({ weight: 4, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 1_000n }) });
const arbAmount: fc.Arbitrary<AmountSpec> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      how: fc.constant("share" as const),
      perMille: fc.oneof(fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 0, max: 1_500 })),
      extra: arbExtra,
    }),
  },
  { weight: 3, arbitrary: fc.record({ how: fc.constant("cursor" as const), extra: arbExtra }) },
  { weight: 1, arbitrary: fc.record({ how: fc.constant("overdue" as const) }) },
  { weight: 2, arbitrary: fc.record({ how: fc.constant("payoff" as const), extra: arbExtra }) },
  { weight: 1, arbitrary: fc.record({ how: fc.constant("tiny" as const), value: fc.bigInt({ min: 1n, max: 1_000n }) }) },
);

const arbRestructure: fc.Arbitrary<RestructureStep> = fc.record({
  kind: fc.constant("restructure" as const),
  when: arbWhen,
  plan: fc.oneof(
    arbGeneratedPlan,
    fc.record({
      type: fc.constant("custom" as const),
      // Principal parts are shares (weights) of the outstanding principal; gaps up to 400 days so a
      // restructured loan can pass its observation year with two on-time payments.
      rows: arbCustomRows(1n, 400, 1_000n),
      interestPerTenThousand: fc.integer({ min: 0, max: 500 }),
    }),
  ),
  rateBps: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 5_000 })),
  signed: fc.boolean(),
});

const arbAdvance = fc.record({
  kind: fc.constant("advance" as const),
  seconds: fc.oneof(
    fc.integer({ min: 1, max: 40 }).map((d) => d * 86_400),
    fc.integer({ min: 1, max: 40 * 86_400 }),
    fc.integer({ min: 1, max: 400 * 86_400 }),
  ),
});
const arbJump = fc.record({ kind: fc.constant("jump" as const), to: arbAnchor });
const arbPoke = fc.record({ kind: fc.constant("poke" as const), when: arbWhen, twice: fc.boolean() });
const arbPay = fc.record({ kind: fc.constant("pay" as const), when: arbWhen, amount: arbAmount, byStranger: fc.boolean() });
const arbOnTime = fc.record({
  kind: fc.constant("onTime" as const),
  // 0: at the due date; -86_399 / -86_400: the last second of day 0 late and the first of day 1.
  lead: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 3 * 86_400 }) },
    { weight: 1, arbitrary: fc.constantFrom(-86_399, -86_400) },
  ),
});
const arbRecord = fc.record({
  kind: fc.constant("record" as const),
  when: arbWhen,
  back: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 86_400 }), fc.integer({ min: 0, max: 60 * 86_400 })),
  amount: arbAmount,
  byServicer: fc.boolean(),
});

const arbRecordBeforeLast = fc.record({
  kind: fc.constant("recordBeforeLast" as const),
  when: arbWhen,
  // 1000: dated exactly at the last payment; 0: at the version's start.
  perMille: fc.oneof(fc.constantFrom(0, 999, 1_000), fc.integer({ min: 0, max: 1_000 })),
  amount: arbAmount,
  byServicer: fc.boolean(),
});

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: arbAdvance },
  { weight: 6, arbitrary: arbJump },
  { weight: 8, arbitrary: arbPoke },
  { weight: 8, arbitrary: arbPay },
  { weight: 4, arbitrary: arbOnTime },
  { weight: 4, arbitrary: arbRecord },
  { weight: 4, arbitrary: arbRecordBeforeLast },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("recordEarly" as const), when: arbWhen }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("chargeOff" as const), when: arbWhen }) },
  // Rare: a written-off loan only refuses what follows.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("writeOff" as const), when: arbWhen }) },
  { weight: 4, arbitrary: arbRestructure },
);

const arbHoliday = fc.record({
  kind: fc.constant("holiday" as const),
  when: fc.oneof(arbWhen, fc.record({ dueDays: fc.integer({ min: -40, max: 35 }), delta: arbDelta })),
  installments: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 12 }) }),
  interest: fc.constantFrom(0 as const, 1 as const, 2 as const),
  placement: fc.constantFrom(0 as const, 1 as const),
});
const arbSettle = fc.record({
  kind: fc.constant("settle" as const),
  when: arbWhen,
  // Mostly a discount; sometimes nothing, or at or above what is owed (refused).
  perMille: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 999 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1_000, 1_100) }),
  late: fc.boolean(),
});
const arbArrears = fc.record({
  kind: fc.constant("arrears" as const),
  when: fc.oneof(arbWhen, fc.record({ dueDays: fc.integer({ min: -5, max: 90 }), delta: arbDelta })),
  parts: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 37) }),
  gapDays: fc.integer({ min: 1, max: 40 }),
  skew: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1) }),
});
const arbKeepPart = fc.record({
  kind: fc.constant("keepPart" as const),
  lead: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 * 86_400 })),
  short: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  pay: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});
/** Relief among the ordinary steps: holidays and arrears plans often, settlements now and then (they end the loan). */
const arbReliefStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 10, arbitrary: arbStep },
  { weight: 4, arbitrary: arbHoliday },
  { weight: 4, arbitrary: arbArrears },
  { weight: 5, arbitrary: arbKeepPart },
  { weight: 1, arbitrary: arbSettle },
);

/** Around the end of the observation year (restructuring + 365 days). */
const arbAfterYear: fc.Arbitrary<Anchor> = fc.record({
  afterYear: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.constantFrom(-1, 1) },
    { weight: 2, arbitrary: fc.integer({ min: -3 * 86_400, max: 3 * 86_400 }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 200 * 86_400 }) },
  ),
});

/** After a restructuring: keeping up (on time), time passing and pokes, so observation can end. */
const arbObservationStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 10, arbitrary: arbOnTime },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("poke" as const), when: arbAfterYear, twice: fc.constant(false) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("pay" as const), when: arbAfterYear, amount: arbAmount, byStranger: fc.boolean() }) },
  { weight: 2, arbitrary: arbJump },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("jump" as const), to: arbAfterYear }) },
  { weight: 3, arbitrary: arbPoke },
  { weight: 2, arbitrary: arbPay },
  { weight: 1, arbitrary: arbRecord },
  { weight: 1, arbitrary: arbAdvance },
);

/** Restructurings whose versions run long enough (gaps up to 400 days) for the observation year. */
const arbLongRow = fc.record({
  gapDays: fc.oneof(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 150, max: 400 })),
  gapSeconds: fc.integer({ min: 0, max: 86_399 }),
  principal: fc.bigInt({ min: 0n, max: 1_000n }),
  interest: fc.bigInt({ min: 0n, max: 1_000n }),
});
const arbLongRestructure: fc.Arbitrary<RestructureStep> = fc.record({
  kind: fc.constant("restructure" as const),
  when: arbWhen,
  plan: fc.oneof(
    { weight: 1, arbitrary: arbGeneratedPlan.map((p) => ({ ...p, frequency: "quarterly" as const, count: Math.max(p.count, 4) })) },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constant("custom" as const),
        rows: fc.array(arbLongRow, { minLength: 2, maxLength: 6 }),
        interestPerTenThousand: fc.integer({ min: 0, max: 500 }),
      }),
    },
    {
      // Two installments inside the observation year, the third after it: the year's end is then
      // reached with two on-time installments and nothing overdue.
      weight: 2,
      arbitrary: fc
        .record({
          first: fc.integer({ min: 1, max: 180 }),
          second: fc.integer({ min: 1, max: 180 }),
          rows: fc.array(arbLongRow, { minLength: 1, maxLength: 4 }),
          interestPerTenThousand: fc.integer({ min: 0, max: 500 }),
        })
        .map(({ first, second, rows, interestPerTenThousand }) => {
          const [third, ...rest] = rows;
          const thirdGap = Math.max(third!.gapDays, 366 - first - second);
          return {
            type: "custom" as const,
            rows: [{ ...third!, gapDays: first }, { ...third!, gapDays: second }, { ...third!, gapDays: thirdGap }, ...rest],
            interestPerTenThousand,
          };
        }),
    },
  ),
  rateBps: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 5_000 })),
  signed: fc.boolean(),
});

/**
 * Observation template: a restructuring, then (among other steps) two on-time settlements and a
 * step anchored at the end of the observation year, where the rules' `>=` matters. At most 12 steps.
 */
const arbObservationSteps: fc.Arbitrary<Step[]> = fc
  .tuple(
    fc.array(fc.oneof(arbJump, arbPoke, arbPay, arbAdvance), { maxLength: 1 }),
    arbLongRestructure,
    fc.array(arbObservationStep, { maxLength: 1 }),
    arbOnTime,
    arbOnTime,
    fc.array(arbObservationStep, { maxLength: 1 }),
    fc.oneof(
      fc.record({ kind: fc.constant("poke" as const), when: arbAfterYear, twice: fc.constant(false) }),
      fc.record({ kind: fc.constant("jump" as const), to: arbAfterYear }),
      fc.record({ kind: fc.constant("pay" as const), when: arbAfterYear, amount: arbAmount, byStranger: fc.boolean() }),
    ),
    fc.array(arbObservationStep, { maxLength: 2 }),
  )
  .map(([before, r, a, on1, on2, b, year, after]) => [...before, r, ...a, on1, on2, ...b, year, ...after]);

/**
 * Histories that run past 2^32 seconds (about 136 years) after the start of the schedule version:
 * a few steps, a jump of 120 to 150 years, a repayment, then repayments (backdated ones, ones dated
 * before the last payment and ones dated before the earliest allowed paidAt) and pokes.
 */
const arbFarFutureSteps: fc.Arbitrary<Step[]> = fc
  .tuple(
    fc.array(fc.oneof(arbPoke, arbPay, arbJump), { maxLength: 2 }),
    fc.record({ kind: fc.constant("advance" as const), seconds: fc.integer({ min: 120 * 365 * 86_400, max: 150 * 365 * 86_400 }) }),
    fc.oneof(arbPay, arbRecord),
    fc.array(
      fc.oneof(
        { weight: 2, arbitrary: fc.record({ kind: fc.constant("recordEarly" as const), when: arbWhen }) },
        { weight: 2, arbitrary: arbRecord },
        { weight: 1, arbitrary: arbRecordBeforeLast },
        { weight: 1, arbitrary: arbPay },
        { weight: 1, arbitrary: arbPoke },
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([before, far, pay, after]) => [...before, far, pay, ...after]);

/**
 * Penalty-assessment focus: equal installments at equal gaps, so the same anchor relative to the
 * cursor's due date gives the same penalty on successive installments; pokes and repayments
 * alternate around those anchors (a repayment that pays penalties resets the assessment).
 */
const arbPenaltyRound: fc.Arbitrary<Step[]> = fc
  .tuple(
    fc.oneof(arbJump, arbPoke),
    fc.record({ kind: fc.constant("poke" as const), when: arbAnchor, twice: fc.constant(false) }),
    fc.oneof(arbPay, arbRecord, arbRecordBeforeLast, arbOnTime),
    fc.record({ kind: fc.constant("poke" as const), when: arbAnchor, twice: fc.boolean() }),
  )
  .map((steps): Step[] => [...steps]);
const arbPenaltySteps: fc.Arbitrary<Step[]> = fc.array(arbPenaltyRound, { minLength: 1, maxLength: 3 }).map((rounds) => rounds.flat());

interface Scenario {
  rates: Rates;
  settlement: Settlement;
  policy: Policy;
  /** Seconds after T_BASE + 10 of the registration (any time of day). */
  regJitter: number;
  utcOffsetMinutes: number;
  schedule: Installment[];
  steps: Step[];
}

const regTime = (jitter: number) => T_BASE + 10n + BigInt(jitter);

/**
 * A loan and its history. `huge` draws custom schedules whose parts reach up to 2^96 - 1 (the
 * rules' limit per part), so that an installment's amount p + r can exceed 2^96.
 */
const arbScenario = (opts: {
  huge?: boolean;
  maxSteps: number;
  observation?: boolean;
  farFuture?: boolean;
  penalties?: boolean;
  relief?: boolean;
}): fc.Arbitrary<Scenario> =>
  fc
    .record({
      rates: arbRates,
      settlement: opts.huge ? fc.constantFrom<Settlement>("fiat", "token18") : fc.constantFrom<Settlement>("token6", "token18", "fiat"),
      regJitter: fc.integer({ min: 0, max: 86_399 }),
      utcOffsetMinutes: fc.integer({ min: -720, max: 840 }),
    })
    .chain(({ rates, settlement, regJitter, utcOffsetMinutes }) => {
      const unit = UNIT[settlement];
      const start = regTime(regJitter);
      const maxPart = opts.huge ? (1n << 96n) - 1n : 10n ** 7n * unit;
      const generated = fc
        .record({ plan: arbGeneratedPlan, principal: fc.oneof(fc.bigInt({ min: 1n, max: 10_000n }), fc.bigInt({ min: 1n, max: 10n ** 7n * unit })) })
        .map(({ plan, principal }) => tryGenerate(plan, principal, rates.contractRateBps, start))
        .filter((s): s is Installment[] => s !== null);
      const custom = arbCustomRows(unit, 45, maxPart).map((rows) => customSchedule(rows, start));
      const huge = fc
        .array(
          fc.record({
            gapDays: fc.integer({ min: 1, max: 45 }),
            gapSeconds: fc.constant(0),
            principal: fc.oneof(fc.constant((1n << 96n) - 1n), fc.bigInt({ min: 1n << 94n, max: (1n << 96n) - 1n })),
            interest: fc.oneof(fc.constant((1n << 96n) - 1n), fc.bigInt({ min: 0n, max: (1n << 96n) - 1n })),
          }),
          { minLength: 1, maxLength: 2 },
        )
        .map((rows) => customSchedule(rows, start))
        // The principal parts must sum below 2^96: keep the first installment's principal only.
        .map((s) => s.map((i, k) => (k === 0 ? i : { ...i, principal: 0n, interest: i.interest === 0n ? 1n : i.interest })));
      const equal = fc
        .record({
          count: fc.integer({ min: 2, max: 6 }),
          gapDays: fc.integer({ min: 7, max: 45 }),
          principal: fc.oneof(fc.bigInt({ min: 1n, max: 10n ** 4n * unit }), fc.bigInt({ min: 1n, max: 10n ** 6n * unit })),
          interest: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 10n ** 3n * unit })),
        })
        .map(({ count, gapDays, principal, interest }) =>
          Array.from({ length: count }, (_, k) => ({ dueDate: start + BigInt((k + 1) * gapDays) * DAY, principal, interest })),
        );
      return fc.record({
        rates: fc.constant(rates),
        settlement: fc.constant(settlement),
        policy: arbPolicy(rates.penaltyRateBps, unit, opts.farFuture ? 65_535 : 3_650),
        regJitter: fc.constant(regJitter),
        utcOffsetMinutes: fc.constant(utcOffsetMinutes),
        schedule: opts.huge ? huge : opts.penalties ? equal : fc.oneof(generated, custom),
        steps: opts.observation
          ? arbObservationSteps
          : opts.farFuture
          ? arbFarFutureSteps
          : opts.penalties
          ? arbPenaltySteps
          : opts.relief
          ? fc.array(arbReliefStep, { minLength: 1, maxLength: opts.maxSteps, size: "max" })
          : fc.array(arbStep, { minLength: 1, maxLength: opts.maxSteps, size: "max" }),
      });
    });

// ------------------------------------------------------------------------------------ formatting

const str = (v: unknown): string => (typeof v === "bigint" ? v.toString() : String(v));

/** A domain event in the contract's event syntax (loan id omitted). */
function fmtDomainEvent(e: LoanEvent): string {
  switch (e.type) {
    case "reminder":
      return `ReminderTriggered(${e.installment},${e.stage},${e.offsetDays},${e.dueDate},${e.dpd})`;
    case "penaltyAssessed":
      return `PenaltyAssessed(${e.installment},${e.penaltyOutstanding},${e.dpd})`;
    case "classificationChanged":
      return `ClassificationChanged(${e.from},${e.to},${e.dpd})`;
    case "defaulted":
      return `LoanDefaulted(${e.installment},${e.dpd})`;
    case "observationEnded":
      return "ObservationEnded()";
    case "holidayEnded":
      return `PaymentHolidayEnded(${e.to})`;
    case "arrearsPartKept":
      return `ArrearsPartKept(${e.part},${e.dueDate},${e.required},${e.paid})`;
    case "arrearsPlanBroken":
      return `ArrearsPlanBroken(${e.part},${e.dueDate},${e.required},${e.paid})`;
    case "arrearsPlanCompleted":
      return `ArrearsPlanCompleted(${e.paid})`;
  }
}

/** Parsed ledger events of a mined transaction, in log order. */
interface ChainEvent {
  name: string;
  args: Record<string, unknown>;
}

const EVENT_FIELDS: Record<string, string[]> = {
  ReminderTriggered: ["installment", "stage", "offsetDays", "dueDate", "dpd"],
  PenaltyAssessed: ["installment", "penaltyOutstanding", "dpd"],
  ClassificationChanged: ["from", "to", "dpd"],
  LoanDefaulted: ["installment", "dpd"],
  ObservationEnded: [],
  LoanClosed: ["closedAt"],
  PaymentHolidayEnded: ["to"],
  ArrearsPartKept: ["part", "dueDate", "required", "paid"],
  ArrearsPlanBroken: ["part", "dueDate", "required", "paid"],
  ArrearsPlanCompleted: ["paid"],
};

function fmtChainEvent(e: ChainEvent): string {
  const fields = EVENT_FIELDS[e.name];
  if (fields === undefined) return `${e.name}(?)`;
  return `${e.name}(${fields.map((f) => str(e.args[f])).join(",")})`;
}

// ------------------------------------------------------------------------------------ the model run

/** Counts of what the runs exercised (printed once per property). */
type Stats = Record<string, number>;
const bump = (stats: Stats, key: string, by = 1) => {
  stats[key] = (stats[key] ?? 0) + by;
};

interface ReminderSeen {
  lastStage: Map<string, number>;
  lastInstallment: Map<number, number>;
}

/** `min(halfUp(U * rate, YEAR_BPS) + fee, floor(U * capRoom / YEAR_BPS))` once a penalty day has passed: the rules' text, independent of src/domain. */
function rulePenalty(u: bigint, pd: bigint, rate: number, fee: bigint, capRoom: number): { penalty: bigint; cap: bigint } {
  const cap = (u * BigInt(capRoom)) / YEAR_BPS;
  if (pd < 1n) return { penalty: 0n, cap };
  const charged = (2n * u * BigInt(rate) + YEAR_BPS) / (2n * YEAR_BPS) + fee;
  return { penalty: charged < cap ? charged : cap, cap };
}

class Run {
  state!: LoanState;
  loanId = 0n;
  version = 1;
  now = 0n;
  block = 0;
  /** Principal and interest of the current schedule version, and what LoanRepaid events paid on it. */
  versionPrincipal = 0n;
  versionInterest = 0n;
  paid = { principal: 0n, interest: 0n };
  /** Independent accumulator of the cursor: (penalty day, unpaid amount from then on) segments. */
  segments: Array<{ pd: bigint; unpaid: bigint }> = [];
  lastPenalty: { key: string; value: bigint } | null = null;
  reminders: ReminderSeen = { lastStage: new Map(), lastInstallment: new Map() };
  recordedClassification: number = Classification.Normal;
  defaults = 0;
  trace: string[] = [];

  constructor(readonly f: Fixture, readonly sc: Scenario, readonly stats: Stats) {}

  get ledger(): LoanLedger {
    return this.f.ledger;
  }

  get isToken(): boolean {
    return this.sc.settlement !== "fiat";
  }

  async sync(): Promise<void> {
    const b = await ethers.provider.getBlock("latest");
    if (b === null) throw new Error("no latest block");
    this.now = BigInt(b.timestamp);
    this.block = b.number;
  }

  /** Mines the next transaction at exactly `t`. */
  async at(t: bigint): Promise<void> {
    await time.setNextBlockTimestamp(t);
  }

  async events(tx: ContractTransactionResponse): Promise<ChainEvent[]> {
    const receipt = await tx.wait();
    if (receipt === null) throw new Error("not mined");
    const address = (await this.ledger.getAddress()).toLowerCase();
    const out: ChainEvent[] = [];
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== address) continue;
      const parsed = this.ledger.interface.parseLog(log);
      if (parsed === null) continue;
      const args = parsed.args.toObject() as Record<string, unknown>;
      if ("loanId" in args && this.loanId !== 0n) expect(args.loanId, `${parsed.name}.loanId`).to.equal(this.loanId);
      out.push({ name: parsed.name, args });
    }
    return out;
  }

  log(line: string): void {
    this.trace.push(`t=${this.now} ${line}`);
  }

  // ---------------------------------------------------------------- set-up

  async register(): Promise<void> {
    const { f, sc } = this;
    const t0 = T_BASE;
    await this.at(t0 + 1n);
    await f.ledger.connect(f.admin).setMaxAnnualRate(sc.rates.maxAnnualRateBps);
    await this.at(t0 + 2n);
    await f.ledger.connect(f.lender).setPolicy({ ...sc.policy, reminderOffsetsDays: [...sc.policy.reminderOffsetsDays] });
    const tReg = regTime(sc.regJitter);
    const principal = sc.schedule.reduce((s, i) => s + i.principal, 0n);
    const token = sc.settlement === "token6" ? await f.token.getAddress() : sc.settlement === "token18" ? await f.token18.getAddress() : ethers.ZeroAddress;
    await this.at(tReg);
    const tx = await f.ledger.connect(f.lender).registerLoan({
      borrower: f.borrower.address,
      borrowerRef: ethers.id("borrower:property"),
      token,
      currency: sc.settlement === "fiat" ? CNY : "0x000000",
      principal,
      contractRateBps: sc.rates.contractRateBps,
      utcOffsetMinutes: sc.utcOffsetMinutes,
      jurisdiction: encodeJurisdiction("CN"),
      schedule: sc.schedule,
    });
    const registered = (await this.events(tx)).find((e) => e.name === "LoanRegistered");
    this.loanId = registered!.args.loanId as bigint;
    await this.sync();
    expect(this.now).to.equal(tReg);
    const terms = makeTerms({
      principal,
      contractRateBps: sc.rates.contractRateBps,
      maxAnnualRateBps: sc.rates.maxAnnualRateBps,
      policy: sc.policy,
      registeredAt: tReg,
    });
    this.state = newLoan(sc.schedule, terms, sc.policy);
    this.startVersion();
    this.log(`registered ${sc.settlement} loan ${this.loanId}: ${sc.schedule.length} installments, principal ${principal}`);
    await this.checkTerms();
  }

  startVersion(): void {
    this.versionPrincipal = this.state.schedule.reduce((s, i) => s + i.principal, 0n);
    this.versionInterest = this.state.schedule.reduce((s, i) => s + i.interest, 0n);
    this.paid = { principal: 0n, interest: 0n };
    this.resetSegments();
    this.lastPenalty = null;
  }

  resetSegments(): void {
    const inst = this.state.schedule[this.state.cursor];
    this.segments = inst === undefined ? [] : [{ pd: 0n, unpaid: amountOf(inst) }];
  }

  /** loanTerms and scheduleOf of the current version against the domain. */
  async checkTerms(): Promise<void> {
    const blockTag = this.block;
    const t = await this.ledger.loanTerms(this.loanId, { blockTag });
    const d = this.state.terms;
    expect(
      [t.version, t.installmentCount, t.principal, t.penalty.graceDays, t.penalty.penaltyRateBps, t.penalty.capRoomBps, t.penalty.lateFee].map(str),
      "loanTerms: version, count, principal, penalty terms",
    ).to.deep.equal([this.version, this.state.schedule.length, d.principal, d.graceDays, d.penaltyRateBps, d.capRoomBps, d.lateFee].map(str));
    expect(t.startedAt, "loanTerms.startedAt").to.equal(versionStart(this.state));
    const stored = await this.ledger.scheduleOf(this.loanId, this.version, { blockTag });
    expect(
      stored.map((i) => [i.dueDate, i.principal, i.interest].map(str)),
      "scheduleOf(current version)",
    ).to.deep.equal(this.state.schedule.map((i) => [i.dueDate, i.principal, i.interest].map(str)));
  }

  // ---------------------------------------------------------------- checks after every step

  async check(): Promise<void> {
    const { state, now } = this;
    const blockTag = this.block;
    const s = await this.ledger.loanState(this.loanId, { blockTag });
    const d = statusAt(state, now);
    const chain = {
      status: s.status,
      classification: s.classification,
      bucket: s.bucket,
      dpd: s.dpd,
      amountOverdue: s.amountOverdue,
      penaltyOutstanding: s.penaltyOutstanding,
      nextDueDate: s.nextDueDate,
      nextDueAmount: s.nextDueAmount,
      outstandingPrincipal: s.outstandingPrincipal,
      outstandingInterest: s.outstandingInterest,
      cursor: s.cursor,
      defaulted: s.defaulted,
      observation: s.observation,
    };
    const domain = {
      status: d.status,
      classification: d.classification,
      bucket: d.bucket,
      dpd: d.dpd,
      amountOverdue: d.amountOverdue,
      penaltyOutstanding: d.penaltyOutstanding,
      nextDueDate: d.nextDueDate ?? 0n,
      nextDueAmount: d.nextDueAmount,
      outstandingPrincipal: d.outstandingPrincipal,
      outstandingInterest: d.outstandingInterest,
      cursor: d.cursor,
      defaulted: state.defaulted,
      observation: state.observation,
    };
    const asStrings = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, str(v)]));
    expect(asStrings(chain), `loanState(${this.loanId}) at ${now} vs statusAt`).to.deep.equal(asStrings(domain));
    expect(await this.ledger.daysPastDue(this.loanId, { blockTag }), "daysPastDue").to.equal(state.status === LoanStatus.Closed ? 0n : dpdAt(state, now));
    const [upkeepNeeded] = await this.ledger.checkUpkeep("0x", { blockTag });
    expect(upkeepNeeded, "checkUpkeep says a poke is due iff the domain poke would emit").to.equal(poke(state, now).events.length > 0);
    if (holidayInForce(state, now)) {
      // The rule itself, independent of the twin: a holiday freezes DPD at 0 and leaves nothing to emit.
      expect([s.dpd, s.amountOverdue, s.penaltyOutstanding, upkeepNeeded].map(str), "during a holiday: DPD 0, nothing overdue, nothing to poke").to.deep.equal(
        ["0", "0", "0", "false"],
      );
      bump(this.stats, "checked during a holiday");
    }
    const open = state.status === LoanStatus.Active || state.status === LoanStatus.ChargedOff;
    const plan = open && state.arrearsPlan?.inForce ? state.arrearsPlan : null;
    const [inForce, createdAt, next, planPaid, parts] = await (await reliefOf(this.ledger)).arrearsPlanOf(this.loanId, { blockTag });
    expect([inForce, createdAt, next, planPaid, parts.map((x) => `${x.dueDate}:${x.amount}`)].map(str), "arrearsPlanOf vs the domain's plan").to.deep.equal(
      [plan !== null, plan?.createdAt ?? 0n, plan?.next ?? 0, plan?.paid ?? 0n, (plan?.parts ?? []).map((x) => `${x.dueDate}:${x.amount}`)].map(str),
    );
    if (plan !== null && (plan.parts[plan.next]?.dueDate ?? 0n) > now) {
      // The rule itself: while a plan stands and no part is due, nothing is emitted (DPD may grow).
      expect(upkeepNeeded, "a standing arrears plan with no part due: nothing to poke").to.equal(false);
      bump(this.stats, "checked under an arrears plan");
    }

    for (const [k, v] of Object.entries(domain)) {
      if (typeof v === "bigint") expect(v >= 0n, `domain ${k} never negative`).to.equal(true);
    }
    // Money: what the LoanRepaid breakdowns paid is what the outstanding figures lost.
    expect(this.paid.principal, "principal paid (sum of breakdowns) = version principal - outstanding").to.equal(
      this.versionPrincipal - s.outstandingPrincipal,
    );
    expect(this.paid.interest, "interest paid (sum of breakdowns) = version interest - outstanding").to.equal(this.versionInterest - s.outstandingInterest);

    this.checkPenaltyByRules(s.penaltyOutstanding);
  }

  /** The penalty outstanding recomputed from the rules with an independent accumulator; caps; monotonicity. */
  checkPenaltyByRules(chainPenaltyOutstanding: bigint): void {
    const { state, now } = this;
    const { schedule, terms } = state;
    const c = state.cursor;
    if (c >= schedule.length) {
      expect(chainPenaltyOutstanding).to.equal(0n);
      return;
    }
    const pdOf = (j: number) => penaltyDays(schedule[j]!.dueDate, now, terms.graceDays);
    const pdC = pdOf(c);
    let u = 0n;
    this.segments.forEach((seg, i) => {
      const end = i + 1 < this.segments.length ? this.segments[i + 1]!.pd : pdC;
      u += seg.unpaid * (end - seg.pd);
    });
    const cursor = rulePenalty(u, pdC, terms.penaltyRateBps, terms.lateFee, terms.capRoomBps);
    expect(cursor.penalty <= cursor.cap, "cursor penalty never above the cap term").to.equal(true);
    expect(installmentPenaltyAt(state, c, now), "cursor penalty = the rules on an independent accumulator").to.equal(cursor.penalty);
    expect(cursor.penalty >= state.penaltyPaid, "penalty paid never above the penalty").to.equal(true);
    let expected = cursor.penalty - state.penaltyPaid;
    for (let j = c + 1; j < schedule.length; j++) {
      const pd = pdOf(j);
      if (pd === 0n) break;
      const later = rulePenalty(amountOf(schedule[j]!) * pd, pd, terms.penaltyRateBps, terms.lateFee, terms.capRoomBps);
      expect(installmentPenaltyAt(state, j, now) <= later.cap, `penalty of installment ${j} never above the cap term`).to.equal(true);
      expected += later.penalty;
    }
    expect(chainPenaltyOutstanding, "penalty outstanding = the rules' sum").to.equal(expected);
    const key = `${this.version}:${c}`;
    if (this.lastPenalty !== null && this.lastPenalty.key === key) {
      expect(cursor.penalty >= this.lastPenalty.value, "a penalty never decreases with time").to.equal(true);
    }
    this.lastPenalty = { key, value: cursor.penalty };
  }

  /** Rule checks on reminders, classification chains and defaults across the whole run. */
  checkRunInvariants(events: ChainEvent[], cursorBefore: number, t: bigint): void {
    for (const e of events) {
      if (e.name === "ReminderTriggered") {
        const installment = Number(e.args.installment);
        const stage = Number(e.args.stage);
        const offset = Number(e.args.offsetDays);
        const due = e.args.dueDate as bigint;
        expect(installment, "reminders follow the cursor").to.equal(cursorBefore);
        expect(due, "reminder due date").to.equal(this.state.schedule[installment]?.dueDate);
        expect(offset, "reminder offset").to.equal(this.sc.policy.reminderOffsetsDays[stage]);
        expect(due + BigInt(offset) * DAY <= t, "a reminder is never early").to.equal(true);
        const key = `${this.version}:${installment}`;
        expect(stage, "reminder stages in order, never twice").to.equal((this.reminders.lastStage.get(key) ?? -1) + 1);
        this.reminders.lastStage.set(key, stage);
        const lastInst = this.reminders.lastInstallment.get(this.version) ?? -1;
        expect(installment >= lastInst, "reminders never go back to an earlier installment").to.equal(true);
        this.reminders.lastInstallment.set(this.version, installment);
        bump(this.stats, "ReminderTriggered");
      } else if (e.name === "ClassificationChanged") {
        expect(Number(e.args.from), "ClassificationChanged.from = the last recorded").to.equal(this.recordedClassification);
        expect(Number(e.args.to)).to.not.equal(this.recordedClassification);
        this.recordedClassification = Number(e.args.to);
        bump(this.stats, `ClassificationChanged->${this.recordedClassification}`);
      } else if (e.name === "LoanDefaulted") {
        this.defaults += 1;
        expect(this.defaults, "LoanDefaulted at most once").to.equal(1);
        bump(this.stats, "LoanDefaulted");
      } else if (e.name === "PenaltyAssessed") {
        bump(this.stats, "PenaltyAssessed");
      } else if (e.name === "ObservationEnded") {
        bump(this.stats, "ObservationEnded");
      } else if (e.name === "LoanClosed") {
        bump(this.stats, "LoanClosed");
      } else if (e.name === "PaymentHolidayEnded" || e.name.startsWith("Arrears")) {
        bump(this.stats, e.name);
      }
    }
  }

  // ---------------------------------------------------------------- steps

  cursorDue(): bigint | null {
    return this.state.schedule[this.state.cursor]?.dueDate ?? null;
  }

  async step(step: Step): Promise<void> {
    switch (step.kind) {
      case "advance":
        return this.advanceTo(this.now + BigInt(step.seconds));
      case "jump":
        return this.advanceTo(this.timeOf(step.to));
      case "poke":
        return this.poke(this.timeOf(step.when), step.twice);
      case "pay": {
        const t = this.timeOf(step.when);
        return this.pay(this.amountFor(step.amount, t), t, t, this.payer(step.byStranger));
      }
      case "onTime": {
        const due = this.cursorDue();
        const target = due === null ? this.now + 1n : due - BigInt(step.lead);
        const t = target > this.now ? target : this.now + 1n;
        return this.pay(this.amountFor({ how: "cursor", extra: 0n }, t), t, t, this.payer(false));
      }
      case "record": {
        const t = this.timeOf(step.when);
        const earliest = versionStart(this.state);
        const back = t - BigInt(step.back);
        const paidAt = back > earliest ? back : earliest;
        return this.pay(this.amountFor(step.amount, paidAt), paidAt, t, step.byServicer ? "servicer" : "lender");
      }
      case "recordBeforeLast": {
        const t = this.timeOf(step.when);
        const start = versionStart(this.state);
        const paidAt = start + ((checkpointTime(this.state) - start) * BigInt(step.perMille)) / 1_000n;
        return this.pay(this.amountFor(step.amount, paidAt), paidAt, t, step.byServicer ? "servicer" : "lender");
      }
      case "recordEarly": {
        const t = this.timeOf(step.when);
        // Only on open loans: on a closed one the contract checks paidAt before the status.
        if (this.state.status !== LoanStatus.Active && this.state.status !== LoanStatus.ChargedOff) return this.poke(t, false);
        return this.pay(1n, versionStart(this.state) - 1n, t, "lender");
      }
      case "chargeOff":
        return this.chargeOffOrWriteOff("chargeOff", this.timeOf(step.when));
      case "writeOff":
        return this.chargeOffOrWriteOff("writeOff", this.timeOf(step.when));
      case "restructure":
        return this.restructure(step);
      case "holiday":
        return this.holiday(step);
      case "settle":
        return this.settlement(step);
      case "arrears":
        return this.arrears(step);
      case "keepPart":
        return this.keepPart(step);
    }
  }

  /** The block time of a step (always after the last block). */
  timeOf(when: When): bigint {
    const ahead = (t: bigint) => (t > this.now ? t : this.now + 1n);
    if ("dt" in when) return this.now + BigInt(when.dt);
    if ("afterYear" in when) return ahead(this.state.restructuredAt + 365n * DAY + BigInt(when.afterYear));
    const due = this.cursorDue() ?? this.now;
    if ("dueDays" in when) return ahead(due + BigInt(when.dueDays) * DAY + BigInt(when.delta));
    const p = this.sc.policy;
    const offsets = p.reminderOffsetsDays;
    const days = {
      grace: p.graceDays,
      sub: p.substandardAfterDays,
      doubt: p.doubtfulAfterDays,
      loss: p.lossAfterDays,
      default: p.defaultAfterDays,
      reminder: offsets.length === 0 ? 0 : offsets[when.index % offsets.length]!,
      bucket: 30 * (1 + (when.index % 6)),
    }[when.policyDay];
    return ahead(due + BigInt(days + when.dayShift) * DAY + BigInt(when.delta));
  }

  /** Token loans are paid by the borrower or a stranger (repay); fiat loans recorded by the lender or its servicer. */
  payer(other: boolean): "borrower" | "stranger" | "lender" | "servicer" {
    if (this.isToken) return other ? "stranger" : "borrower";
    return other ? "servicer" : "lender";
  }

  async advanceTo(t: bigint): Promise<void> {
    await time.increaseTo(t);
    await this.sync();
    this.log("advance");
  }

  /**
   * The amount a spec asks for, from the domain's figures at the time a payment dated `paidAt` is
   * applied at: max(paidAt, the last payment's).
   */
  amountFor(spec: AmountSpec, paidAt: bigint): bigint {
    const { state } = this;
    const open = state.status === LoanStatus.Active || state.status === LoanStatus.ChargedOff;
    if (!open || paidAt < versionStart(state)) return 1n + (spec.how === "tiny" ? spec.value : 0n);
    const last = checkpointTime(state);
    const at = paidAt > last ? paidAt : last;
    const st = statusAt(state, at);
    const payoff = st.penaltyOutstanding + st.outstandingPrincipal + st.outstandingInterest;
    switch (spec.how) {
      case "share":
        return (payoff * BigInt(spec.perMille)) / 1_000n + spec.extra;
      case "cursor": {
        const c = state.cursor;
        const inst = state.schedule[c]!;
        return installmentPenaltyAt(state, c, at) - state.penaltyPaid + amountOf(inst) - state.paid + spec.extra;
      }
      case "overdue":
        return st.amountOverdue + st.penaltyOutstanding;
      case "payoff":
        return payoff + spec.extra;
      case "tiny":
        return spec.value;
    }
  }

  /**
   * One repayment: `repay` (token loans, paid at block time) or `recordRepayment` (fiat loans at
   * block time, or any loan backdated) of `amount` at `paidAt`, mined at `t`.
   */
  async pay(amount: bigint, paidAt: bigint, t: bigint, who: "borrower" | "stranger" | "lender" | "servicer"): Promise<void> {
    const { f, ledger, loanId } = this;
    const onChainTransfer = (who === "borrower" || who === "stranger") && this.isToken && paidAt === t;
    const signer = who === "borrower" ? f.borrower : who === "stranger" ? f.stranger : who === "lender" ? f.lender : f.servicer;
    const bankRef = ethers.id(`bank:${t}:${amount}`);
    const send = () =>
      onChainTransfer ? ledger.connect(signer).repay(loanId, amount) : ledger.connect(signer).recordRepayment(loanId, amount, paidAt, bankRef);
    const how = onChainTransfer ? "repay" : `recordRepayment(paidAt=${paidAt})`;

    let result: ReturnType<typeof applyRepayment> | null = null;
    let error: unknown = null;
    try {
      result = applyRepayment(this.state, amount, paidAt, t);
    } catch (e) {
      error = e;
    }
    await this.at(t);
    if (result === null) {
      this.log(`${how} ${amount}: refused (${(error as Error).name})`);
      if (error instanceof OverpaymentError) {
        bump(this.stats, "refused: overpayment");
        await expect(send(), "overpayment refused with the same excess")
          .to.be.revertedWithCustomError(ledger, "LoanLedgerOverpayment")
          .withArgs(loanId, error.excess);
      } else if (error instanceof ZeroAmountError) {
        bump(this.stats, "refused: zero");
        await expect(send()).to.be.revertedWithCustomError(ledger, "LoanLedgerZeroAmount");
      } else if (error instanceof LoanNotOpenError) {
        bump(this.stats, "refused: not open");
        await expect(send()).to.be.revertedWithCustomError(ledger, "LoanLedgerLoanNotOpen").withArgs(loanId, error.status);
      } else if (error instanceof InvalidPaymentTimeError) {
        bump(this.stats, "refused: paidAt");
        await expect(send()).to.be.revertedWithCustomError(ledger, "LoanLedgerPaidAtOutOfRange").withArgs(paidAt, error.earliest, t);
      } else {
        throw error;
      }
      await this.sync();
      return;
    }

    const cursorBefore = this.state.cursor;
    const token = this.sc.settlement === "token6" ? f.token : f.token18;
    const balanceBefore = onChainTransfer ? await token.balanceOf(f.lender.address, { blockTag: this.block }) : 0n;
    const tx = await send();
    const events = await this.events(tx);
    await this.sync();
    expect(this.now).to.equal(t);
    if (onChainTransfer) {
      expect((await token.balanceOf(f.lender.address, { blockTag: this.block })) - balanceBefore, "the lender received the amount").to.equal(amount);
    }
    const b: RepaymentBreakdown = result.breakdown;
    const [repaid, ...rest] = events;
    expect(repaid?.name).to.equal("LoanRepaid");
    const a = repaid!.args;
    expect(
      [a.payer, a.amount, a.penalty, a.interest, a.principal, a.cursor, a.paidAt, a.bankRef, a.offChain, a.recovery].map(str),
      "LoanRepaid(payer, amount, penalty, interest, principal, cursor, paidAt, bankRef, offChain, recovery) vs applyRepayment",
    ).to.deep.equal(
      [
        signer.address,
        amount,
        b.penalty,
        b.interest,
        b.principal,
        b.cursorAfter,
        paidAt,
        onChainTransfer ? ethers.ZeroHash : bankRef,
        !onChainTransfer,
        b.recovery,
      ].map(str),
    );
    expect((a.penalty as bigint) + (a.interest as bigint) + (a.principal as bigint), "amount = penalty + interest + principal").to.equal(a.amount);
    const expected = [...result.events.map(fmtDomainEvent), ...(b.closed ? [`LoanClosed(${t})`] : [])];
    expect(rest.map(fmtChainEvent), "events after LoanRepaid vs applyRepayment's").to.deep.equal(expected);

    this.paid.principal += b.principal;
    this.paid.interest += b.interest;
    if (paidAt < t) this.lastPenalty = null; // a backdated payment lowers the penalty from its date on
    const outOfOrder = paidAt < checkpointTime(this.state);
    expect(result.appliedAt, "applied at max(paidAt, last payment)").to.equal(outOfOrder ? checkpointTime(this.state) : paidAt);
    this.state = result.state;
    const c = this.state.cursor;
    if (c !== cursorBefore) this.resetSegments();
    const inst = this.state.schedule[c];
    if (inst !== undefined) {
      this.segments.push({ pd: penaltyDays(inst.dueDate, result.appliedAt, this.state.terms.graceDays), unpaid: amountOf(inst) - this.state.paid });
    }
    this.checkRunInvariants(rest, cursorBefore, t);
    if (this.state.observation && this.state.onTimeStreak >= 2) bump(this.stats, "observation with 2 on-time installments");
    bump(this.stats, onChainTransfer ? "repay" : outOfOrder ? "recordRepayment before the last payment" : paidAt < t ? "recordRepayment backdated" : "recordRepayment");
    if (outOfOrder && b.penalty + b.interest + b.principal > 1n) bump(this.stats, "out-of-order attestation of more than 1 unit");
    if (b.penalty > 0n) bump(this.stats, "repayment paying penalties");
    if (b.installmentsSettled > 1) bump(this.stats, "repayment settling several installments");
    if (b.recovery) bump(this.stats, "recovery");
    this.log(`${how} ${amount}: penalty ${b.penalty}, interest ${b.interest}, principal ${b.principal}, cursor ${b.cursorAfter}; ${expected.join(" ")}`);
  }

  async poke(t: bigint, twice: boolean): Promise<void> {
    let r = poke(this.state, t);
    const expected = r.events.map(fmtDomainEvent);
    if (twice) {
      const second = poke(r.state, t);
      expected.push(...second.events.map(fmtDomainEvent));
      r = { state: second.state, events: [...r.events, ...second.events] };
    }
    const cursorBefore = this.state.cursor;
    await this.at(t);
    const tx = await this.ledger.connect(this.f.keeper).poke(twice ? [this.loanId, this.loanId] : [this.loanId]);
    const events = await this.events(tx);
    await this.sync();
    expect(this.now).to.equal(t);
    expect(events.map(fmtChainEvent), "poke events vs domain poke").to.deep.equal(expected);
    this.state = r.state;
    this.checkRunInvariants(events, cursorBefore, t);
    bump(this.stats, "poke");
    this.log(`poke${twice ? " x2" : ""}: ${expected.join(" ")}`);
  }

  async chargeOffOrWriteOff(kind: "chargeOff" | "writeOff", t: bigint): Promise<void> {
    const { ledger, loanId, f } = this;
    let next: LoanState | null = null;
    let error: unknown = null;
    try {
      next = kind === "chargeOff" ? chargeOff(this.state) : writeOff(this.state);
    } catch (e) {
      error = e;
    }
    await this.at(t);
    const send = () => (kind === "chargeOff" ? ledger.connect(f.lender).chargeOff(loanId) : ledger.connect(f.lender).writeOff(loanId));
    if (next === null) {
      if (error instanceof LoanNotActiveError) {
        await expect(send()).to.be.revertedWithCustomError(ledger, "LoanLedgerLoanNotActive").withArgs(loanId, error.status);
      } else if (error instanceof LoanNotOpenError) {
        await expect(send()).to.be.revertedWithCustomError(ledger, "LoanLedgerLoanNotOpen").withArgs(loanId, error.status);
      } else {
        throw error;
      }
      await this.sync();
      this.log(`${kind}: refused by both`);
      return;
    }
    const st = statusAt(this.state, t);
    const tx = await send();
    const events = await this.events(tx);
    await this.sync();
    const name = kind === "chargeOff" ? "LoanChargedOff" : "LoanWrittenOff";
    expect(events.map((e) => e.name)).to.deep.equal([name]);
    const a = events[0]!.args;
    expect([a.outstandingPrincipal, a.outstandingInterest, a.penaltyOutstanding, a.dpd].map(str), `${name} figures vs statusAt`).to.deep.equal(
      [st.outstandingPrincipal, st.outstandingInterest, st.penaltyOutstanding, st.dpd].map(str),
    );
    this.state = next;
    bump(this.stats, name);
    this.log(kind);
  }

  restructureSchedule(step: RestructureStep, principal: bigint, start: bigint): Installment[] {
    const plan = step.plan;
    const rate = step.rateBps ?? this.sc.rates.contractRateBps;
    if (plan.type === "generated") {
      const s = principal > 0n ? tryGenerate(plan, principal, rate, start) : null;
      if (s !== null) return s;
      return [{ dueDate: (start / DAY + 30n) * DAY, principal, interest: principal === 0n ? 1n : 0n }];
    }
    // Custom: principal parts are shares of the outstanding principal (weights), the last takes the rest.
    const weights = plan.rows.map((r) => r.principal);
    const total = weights.reduce((s, w) => s + w, 0n);
    let left = principal;
    const rows = plan.rows.map((r, k) => {
      const last = k === plan.rows.length - 1;
      const p = last ? left : total === 0n ? 0n : (principal * weights[k]!) / total;
      left -= p;
      const interest = (p * BigInt(plan.interestPerTenThousand)) / 10_000n + r.interest;
      return { ...r, principal: p, interest };
    });
    const s = customSchedule(rows, start);
    // customSchedule may bump the first principal to 1 when all are 0; undo for a zero principal.
    if (principal === 0n) return s.map((i) => ({ ...i, principal: 0n, interest: i.interest === 0n ? 1n : i.interest }));
    return s;
  }

  async restructure(step: RestructureStep): Promise<void> {
    const { ledger, loanId, f } = this;
    // propose at t1, accept at t2 = t1 + 1 (or one signed transaction at t2); first due after t2.
    const t1 = this.timeOf(step.when);
    const t2 = t1 + 1n;
    const outstanding = this.state.status === LoanStatus.Active ? statusAt(this.state, t2).outstandingPrincipal : 1n;
    const schedule = this.restructureSchedule(step, outstanding, t2);
    let result: ReturnType<typeof restructure> | null = null;
    let error: unknown = null;
    try {
      result = restructure(this.state, schedule, t2);
    } catch (e) {
      error = e;
    }
    if (result === null && error instanceof ArrearsPlanInForceError) {
      const deadline = t2 + DAY;
      const nonce = await restructureNonce(ledger, f.borrower.address, loanId);
      const signature = await signRestructure(f.borrower, ledger, { loanId, version: BigInt(this.version + 1), schedule, nonce, deadline });
      await this.at(t2);
      await expect(ledger.connect(f.lender).restructureWithSignature(loanId, schedule, deadline, signature), "restructuring under an arrears plan")
        .to.be.revertedWithCustomError(ledger, "LoanLedgerArrearsPlanInForce")
        .withArgs(loanId);
      await this.sync();
      bump(this.stats, "refused: restructure under an arrears plan");
      return;
    }
    if (result === null && error instanceof HolidayInForceError) {
      const deadline = t2 + DAY;
      const nonce = await restructureNonce(ledger, f.borrower.address, loanId);
      const signature = await signRestructure(f.borrower, ledger, { loanId, version: BigInt(this.version + 1), schedule, nonce, deadline });
      await this.at(t2);
      await expect(ledger.connect(f.lender).restructureWithSignature(loanId, schedule, deadline, signature), "restructuring during a holiday")
        .to.be.revertedWithCustomError(ledger, "LoanLedgerHolidayInForce")
        .withArgs(loanId, error.to);
      await this.sync();
      bump(this.stats, "refused: restructure during a holiday");
      this.log("restructure: refused by both (holiday)");
      return;
    }
    if (result === null) {
      if (!(error instanceof LoanNotActiveError)) throw error;
      await this.at(t1);
      await expect(ledger.connect(f.lender).proposeRestructure(loanId, schedule), "restructuring a loan that is not Active")
        .to.be.revertedWithCustomError(ledger, "LoanLedgerLoanNotActive")
        .withArgs(loanId, error.status);
      await this.sync();
      this.log("restructure: refused by both");
      return;
    }
    let tx: ContractTransactionResponse;
    if (step.signed) {
      const deadline = t2 + DAY;
      const signature = await signRestructure(f.borrower, ledger, {
        loanId,
        version: BigInt(this.version + 1),
        schedule,
        nonce: await restructureNonce(ledger, f.borrower.address, loanId),
        deadline,
      });
      await this.at(t2);
      tx = await ledger.connect(f.lender).restructureWithSignature(loanId, schedule, deadline, signature);
    } else {
      await this.at(t1);
      const proposed = await this.events(await ledger.connect(f.lender).proposeRestructure(loanId, schedule));
      expect(proposed.map((e) => [e.name, str(e.args.version), e.args.scheduleHash])).to.deep.equal([
        ["RestructureProposed", str(this.version + 1), scheduleHash(schedule)],
      ]);
      await this.at(t2);
      tx = await ledger.connect(f.borrower).acceptRestructure(loanId, schedule);
    }
    const events = await this.events(tx);
    await this.sync();
    expect(this.now).to.equal(t2);
    expect(events.map((e) => e.name)).to.deep.equal(["LoanRestructured"]);
    const a = events[0]!.args;
    expect(
      [a.version, a.outstandingPrincipal, a.replacedInterest, a.forgivenPenalty, a.scheduleHash].map(str),
      "LoanRestructured(version, outstandingPrincipal, replacedInterest, forgivenPenalty, hash) vs restructure",
    ).to.deep.equal([this.version + 1, result.outstandingPrincipal, result.replacedInterest, result.forgivenPenalty, scheduleHash(schedule)].map(str));
    expect((a.schedule as unknown[]).length).to.equal(scheduleTuples(schedule).length);
    this.version += 1;
    this.state = result.state;
    this.startVersion();
    await this.checkTerms();
    const terms = await ledger.loanTerms(loanId, { blockTag: this.block });
    expect(terms.startedAt, "a restructured version starts at the acceptance").to.equal(t2);
    bump(this.stats, "LoanRestructured");
    if (result.forgivenPenalty > 0n) bump(this.stats, "restructure forgiving penalties");
    this.log(
      `restructure${step.signed ? " (signed)" : ""} to v${this.version}: ${schedule.length} installments, principal ${result.outstandingPrincipal}, forgiven ${
        result.forgivenPenalty
      }`,
    );
  }

  /** A payment holiday the borrower signed, granted at the step's time; refusals must match the domain's. */
  async holiday(step: Extract<Step, { kind: "holiday" }>): Promise<void> {
    const { ledger, loanId, f } = this;
    const t = this.timeOf(step.when);
    const terms = { installments: step.installments, interest: step.interest, placement: step.placement };
    let result: ReturnType<typeof grantHoliday> | null = null;
    let error: unknown = null;
    try {
      result = grantHoliday(this.state, terms, t);
    } catch (e) {
      error = e;
    }
    const relief = await reliefOf(ledger);
    const deadline = t + DAY;
    const signature = await signHoliday(f.borrower, ledger, { loanId, version: this.version + 1, ...terms, deadline });
    await this.at(t);
    const send = () => relief.connect(f.lender).grantPaymentHoliday(loanId, terms, deadline, signature);
    if (result === null) {
      const refused = expect(send(), `holiday refused: ${(error as Error).name}`).to.be;
      if (error instanceof LoanNotActiveError) await refused.revertedWithCustomError(ledger, "LoanLedgerLoanNotActive").withArgs(loanId, error.status);
      else if (error instanceof HolidayInForceError) await refused.revertedWithCustomError(ledger, "LoanLedgerHolidayInForce").withArgs(loanId, error.to);
      else if (error instanceof ArrearsPlanInForceError) await refused.revertedWithCustomError(ledger, "LoanLedgerArrearsPlanInForce").withArgs(loanId);
      else if (error instanceof LoanDefaultedError) await refused.revertedWithCustomError(ledger, "LoanLedgerLoanDefaulted").withArgs(loanId);
      else if (error instanceof HolidayDpdTooHighError) {
        await refused.revertedWithCustomError(ledger, "LoanLedgerHolidayDpdTooHigh").withArgs(loanId, error.dpd, error.holidayMaxDpd);
      } else if (error instanceof InvalidHolidayInstallmentsError) {
        await refused.revertedWithCustomError(ledger, "LoanLedgerInvalidHolidayInstallments").withArgs(error.installments, error.available);
      } else if (error instanceof HolidayInPastError) await refused.revertedWithCustomError(ledger, "LoanLedgerHolidayInPast").withArgs(error.to);
      else if (error instanceof InstallmentPartOutOfRangeError) await refused.revertedWithCustomError(ledger, "LoanLedgerAmountTooLarge");
      else if (error instanceof DueDateTooLateError) await refused.revertedWithCustomError(ledger, "LoanLedgerDueDateTooLate");
      else throw error;
      await this.sync();
      bump(this.stats, `refused: holiday (${(error as Error).name})`);
      this.log(`holiday ${fc.stringify(terms)}: refused by both (${(error as Error).name})`);
      return;
    }
    const before = statusAt(this.state, t);
    const cursorBefore = this.state.cursor;
    const events = await this.events(await send());
    await this.sync();
    expect(this.now).to.equal(t);
    expect(events.map((e) => e.name), "holiday events").to.deep.equal(["PaymentHolidayGranted", ...result.events.map(() => "ClassificationChanged")]);
    const a = events[0]!.args;
    const fig = a.figures as unknown as bigint[];
    expect(
      [a.version, a.from, a.to, ...(a.terms as unknown as unknown[]), ...fig].map(str),
      "PaymentHolidayGranted(version, from, to, terms, figures) vs grantHoliday",
    ).to.deep.equal(
      [this.version + 1, t, result.to, terms.installments, terms.interest, terms.placement, ...Object.values(result.figures)].map(str),
    );
    expect((a.schedule as unknown as bigint[][]).map((i) => i.map(str)), "the holiday's schedule").to.deep.equal(
      result.schedule.map((i) => [i.dueDate, i.principal, i.interest].map(str)),
    );
    expect(result.events.map(fmtDomainEvent)).to.deep.equal(events.slice(1).map(fmtChainEvent));
    // Money: the new version owes what was outstanding, less only the waived interest.
    const owedAfter = result.schedule.reduce((sum, i) => sum + amountOf(i), 0n);
    expect(owedAfter, "a holiday conserves principal + interest (less what it waives)").to.equal(
      before.outstandingPrincipal + before.outstandingInterest - result.figures.waivedInterest,
    );
    expect(result.schedule.every((i) => i.dueDate > result!.to), "nothing is due before the holiday ends").to.equal(true);
    this.version += 1;
    this.state = result.state;
    this.startVersion();
    this.checkRunInvariants(events.slice(1), cursorBefore, t);
    await this.checkTerms();
    bump(this.stats, "PaymentHolidayGranted");
    if (result.figures.forgivenPenalty > 0n) bump(this.stats, "holiday forgiving penalties");
    if (before.dpd > 0n) bump(this.stats, "holiday on an overdue loan");
    this.log(`holiday ${fc.stringify(terms)} to v${this.version}: until ${result.to}, ${result.schedule.length} installments`);
  }

  /** An arrears plan the borrower signed, created at the step's time; refusals must match the domain's. */
  async arrears(step: Extract<Step, { kind: "arrears" }>): Promise<void> {
    const { ledger, loanId, f } = this;
    const t = this.timeOf(step.when);
    // The arrears at t (the catch-up poke changes no amount); parts split them evenly, the last takes the residue.
    const st = statusAt(this.state, t);
    const arrears = st.amountOverdue + st.penaltyOutstanding;
    const n = BigInt(step.parts);
    const parts = Array.from({ length: step.parts }, (_, i) => {
      const last = i === step.parts - 1;
      const amount = arrears === 0n ? 1n : arrears / n + (last ? arrears % n + BigInt(step.skew) : 0n);
      return { dueDate: t + BigInt((i + 1) * step.gapDays) * DAY, amount: amount < 0n ? 0n : amount };
    });
    let result: ReturnType<typeof createArrearsPlan> | null = null;
    let error: unknown = null;
    try {
      result = createArrearsPlan(this.state, parts, t);
    } catch (e) {
      error = e;
    }
    const relief = await reliefOf(ledger);
    const deadline = t + DAY;
    const signature = await signArrearsPlan(f.borrower, ledger, { loanId, parts, deadline });
    await this.at(t);
    const send = () => relief.connect(f.lender).createArrearsPlan(loanId, parts, deadline, signature);
    if (result === null) {
      const refused = expect(send(), `arrears plan refused: ${(error as Error).name}`).to.be;
      if (error instanceof LoanNotActiveError) await refused.revertedWithCustomError(ledger, "LoanLedgerLoanNotActive").withArgs(loanId, error.status);
      else if (error instanceof HolidayInForceError) await refused.revertedWithCustomError(ledger, "LoanLedgerHolidayInForce").withArgs(loanId, error.to);
      else if (error instanceof ArrearsPlanInForceError) await refused.revertedWithCustomError(ledger, "LoanLedgerArrearsPlanInForce").withArgs(loanId);
      else if (error instanceof InvalidArrearsPartCountError) {
        await refused.revertedWithCustomError(ledger, "LoanLedgerInvalidArrearsPartCount").withArgs(error.parts, MAX_ARREARS_PARTS);
      } else if (error instanceof NoArrearsError) await refused.revertedWithCustomError(ledger, "LoanLedgerNoArrears").withArgs(loanId);
      else if (error instanceof InvalidArrearsPartDateError) {
        await refused.revertedWithCustomError(ledger, "LoanLedgerInvalidArrearsPartDate").withArgs(error.index, error.dueDate);
      } else if (error instanceof EmptyArrearsPartError) await refused.revertedWithCustomError(ledger, "LoanLedgerEmptyArrearsPart").withArgs(error.index);
      else if (error instanceof ArrearsMismatchError) await refused.revertedWithCustomError(ledger, "LoanLedgerArrearsMismatch").withArgs(error.parts, error.arrears);
      else throw error;
      await this.sync();
      bump(this.stats, `refused: arrears plan (${(error as Error).name})`);
      this.log(`arrears plan of ${step.parts} part(s) for ${arrears}: refused by both (${(error as Error).name})`);
      return;
    }
    const cursorBefore = this.state.cursor;
    const events = await this.events(await send());
    await this.sync();
    expect(this.now).to.equal(t);
    const created = events[events.length - 1]!;
    expect(events.slice(0, -1).map(fmtChainEvent), "the catch-up poke's events vs domain poke").to.deep.equal(result.events.map(fmtDomainEvent));
    expect(created.name).to.equal("ArrearsPlanCreated");
    const a = created.args;
    expect(
      [a.createdAt, a.arrears, a.amountOverdue, a.penaltyOutstanding, ...(a.parts as unknown as bigint[][]).map((x) => x.join(":"))].map(str),
      "ArrearsPlanCreated vs createArrearsPlan",
    ).to.deep.equal([t, result.arrears, result.amountOverdue, result.penaltyOutstanding, ...parts.map((x) => `${x.dueDate}:${x.amount}`)].map(str));
    // Money: a plan changes nothing owed, and its parts add up to the arrears.
    const after = statusAt(result.state, t);
    expect([after.outstandingPrincipal, after.outstandingInterest, after.penaltyOutstanding, after.amountOverdue].map(str), "a plan conserves what is owed").to.deep.equal(
      [st.outstandingPrincipal, st.outstandingInterest, st.penaltyOutstanding, st.amountOverdue].map(str),
    );
    expect(parts.reduce((sum, x) => sum + x.amount, 0n), "the parts add up to the arrears").to.equal(arrears);
    this.state = result.state;
    this.checkRunInvariants(events.slice(0, -1), cursorBefore, t);
    bump(this.stats, "ArrearsPlanCreated");
    this.log(`arrears plan of ${arrears} in ${step.parts} part(s), ${step.gapDays} days apart`);
  }

  /** The next part of the plan in force: a payment of what it requires (or one unit short, or none) before its date, then a poke after it. */
  async keepPart(step: Extract<Step, { kind: "keepPart" }>): Promise<void> {
    const plan = this.state.arrearsPlan;
    const open = this.state.status === LoanStatus.Active || this.state.status === LoanStatus.ChargedOff;
    const part = open && plan?.inForce ? plan.parts[plan.next] : undefined;
    if (plan === undefined || part === undefined) return this.poke(this.now + 1n, false);
    const target = part.dueDate - BigInt(step.lead);
    const t = target > this.now ? target : this.now + 1n;
    const owed = owedAt(this.state, t).total;
    let amount = arrearsRequired(plan, this.state.schedule, plan.next) - plan.paid - (step.short ? 1n : 0n);
    if (amount > owed) amount = owed;
    if (step.pay && amount > 0n) {
      bump(this.stats, step.short ? "part paid short" : "part paid");
      await this.pay(amount, t, t, this.payer(false));
    }
    const after = part.dueDate + 1n;
    return this.poke(after > this.now ? after : this.now + 1n, false);
  }

  /** A settlement offered at the step's time and paid (token) or attested (fiat) a second later, or after its deadline. */
  async settlement(step: Extract<Step, { kind: "settle" }>): Promise<void> {
    const { ledger, loanId, f } = this;
    const relief = await reliefOf(ledger);
    const t1 = this.timeOf(step.when);
    const t2 = t1 + 1n;
    const deadline = step.late ? t1 : t2;
    const open = this.state.status === LoanStatus.Active || this.state.status === LoanStatus.ChargedOff;
    const owed = open ? owedAt(this.state, t1) : null;
    const amount = owed === null ? 1n : (owed.total * BigInt(step.perMille)) / 1_000n;
    await this.at(t1);
    const offer = () => relief.connect(f.lender).offerSettlement(loanId, amount, deadline);
    if (owed === null) {
      await expect(offer()).to.be.revertedWithCustomError(ledger, "LoanLedgerLoanNotOpen").withArgs(loanId, this.state.status);
      await this.sync();
      this.log("settlement offer: refused by both (not open)");
      return;
    }
    if (amount === 0n || amount >= owed.total) {
      await expect(offer()).to.be.revertedWithCustomError(ledger, "LoanLedgerInvalidSettlementAmount").withArgs(amount, owed.total);
      await this.sync();
      bump(this.stats, "refused: settlement amount");
      this.log(`settlement offer ${amount} of ${owed.total}: refused by both`);
      return;
    }
    const offered = await this.events(await offer());
    expect(offered.map((e) => [e.name, ...["amount", "deadline", "principalOwed", "interestOwed", "penaltyOwed"].map((k) => str(e.args[k]))])).to.deep.equal([
      ["SettlementOffered", ...[amount, deadline, owed.principal, owed.interest, owed.penalty].map(str)],
    ]);
    const token = this.isToken;
    const pay = () => (token ? relief.connect(f.borrower).settle(loanId) : relief.connect(f.lender).recordSettlement(loanId, t2, ethers.id(`settle:${t2}`)));
    await this.at(t2);
    if (step.late) {
      await expect(pay()).to.be.revertedWithCustomError(ledger, "LoanLedgerSettlementExpired").withArgs(loanId, deadline);
      await this.sync();
      bump(this.stats, "refused: settlement expired");
      this.log(`settlement of ${amount} after its deadline: refused, nothing changed`);
      return;
    }
    let result: ReturnType<typeof settle>;
    try {
      result = settle(this.state, amount, t2);
    } catch (e) {
      if (!(e instanceof InvalidSettlementAmountError)) throw e;
      throw new Error(`penalties only grow, so an offer below what was owed is below it a second later: ${e.message}`);
    }
    const events = await this.events(await pay());
    await this.sync();
    expect(events.map((e) => e.name)).to.deep.equal(["LoanSettled"]);
    const a = events[0]!.args;
    const fig = Object.values(result.figures);
    expect(
      [a.payer, a.amount, ...(a.figures as unknown as bigint[]), a.paidAt, a.offChain].map(str),
      "LoanSettled(payer, amount, figures, paidAt, offChain) vs settle",
    ).to.deep.equal([token ? f.borrower.address : f.lender.address, amount, ...fig, t2, !token].map(str));
    const now = owedAt(this.state, t2);
    const r = result.figures;
    expect(
      [r.penaltyPaid + r.penaltyForgiven, r.interestPaid + r.interestForgiven, r.principalPaid + r.principalForgiven, r.penaltyPaid + r.interestPaid + r.principalPaid],
      "a settlement conserves money: paid + forgiven = owed, part by part; paid = amount",
    ).to.deep.equal([now.penalty, now.interest, now.principal, amount]);
    // The outstanding figures drop to 0: paid and forgiven both leave the books.
    this.paid.principal += r.principalPaid + r.principalForgiven;
    this.paid.interest += r.interestPaid + r.interestForgiven;
    this.state = result.state;
    bump(this.stats, "LoanSettled");
    this.log(`settlement of ${amount}: forgiven ${r.penaltyForgiven}/${r.interestForgiven}/${r.principalForgiven}`);
  }
}

async function runScenario(sc: Scenario, stats: Stats): Promise<void> {
  const f = await loadFixture(propertyFixture);
  const run = new Run(f, sc, stats);
  try {
    await run.register();
    await run.check();
    for (const [i, step] of sc.steps.entries()) {
      run.trace.push(`-- step ${i}: ${fc.stringify(step)}`);
      await run.step(step);
      await run.check();
    }
  } catch (e) {
    if (e instanceof Error) e.message = `${e.message}\n  trace:\n    ${run.trace.join("\n    ")}`;
    throw e;
  }
  bump(stats, "runs");
  bump(stats, "steps", sc.steps.length);
}

function printStats(title: string, stats: Stats): void {
  const keys = Object.keys(stats).sort();
  console.log(`      [${title}] ${keys.map((k) => `${k}: ${stats[k]}`).join(", ")}`);
}

/**
 * Bounds shrinking: after the first failure, `budget` more candidates are tried; later ones are
 * reported as passing without running, so fast-check stops at the smallest failing history found
 * so far (still a real, replayable counterexample). fast-check's own time-limit interrupt would
 * leave the interrupted history running against the shared in-process chain.
 */
function withShrinkBudget<T>(predicate: (value: T) => Promise<void>, budget = SHRINK_BUDGET): (value: T) => Promise<void> {
  let failed = false;
  let attempts = 0;
  return async (value: T) => {
    if (failed && ++attempts > budget) return;
    try {
      await predicate(value);
    } catch (e) {
      failed = true;
      throw e;
    }
  };
}

const fcParams = (numRuns: number): fc.Parameters<[Scenario]> => ({
  numRuns,
  seed: SEED,
  ...(PATH !== undefined ? { path: PATH } : {}),
});

// ------------------------------------------------------------------------------------ properties

describe("LoanLedger vs src/domain: property tests (docs/ledger-rules.md)", function () {
  this.timeout(240_000);

  it(`random loans and histories: loanState, LoanRepaid and poke events equal the domain after every step (${RUNS} runs, <= ${MAX_STEPS} steps)`, async function () {
    const stats: Stats = {};
    await fc.assert(
      fc.asyncProperty(
        arbScenario({ huge: false, maxSteps: MAX_STEPS }),
        withShrinkBudget((sc) => runScenario(sc, stats)),
      ),
      fcParams(RUNS),
    );
    printStats("coverage", stats);
  });

  it(`relief: holidays, arrears plans and settlements among random histories equal src/domain (relief.ts, arrears*.ts) (${RUNS} runs)`, async function () {
    const stats: Stats = {};
    await fc.assert(
      fc.asyncProperty(
        arbScenario({ maxSteps: MAX_STEPS, relief: true }),
        withShrinkBudget((sc) => runScenario(sc, stats)),
      ),
      fcParams(RUNS),
    );
    printStats("relief coverage", stats);
    expect(stats.PaymentHolidayEnded ?? 0, "some holidays were closed by a poke").to.be.greaterThan(0);
    expect(stats.PaymentHolidayGranted ?? 0, "some holidays were granted").to.be.greaterThan(0);
    expect(stats["checked during a holiday"] ?? 0, "some checks fell inside a holiday").to.be.greaterThan(0);
    expect(stats.LoanSettled ?? 0, "some loans were settled").to.be.greaterThan(0);
    for (const e of ["ArrearsPlanCreated", "ArrearsPartKept", "ArrearsPlanBroken", "ArrearsPlanCompleted", "checked under an arrears plan"]) {
      expect(stats[e] ?? 0, `some runs saw ${e}`).to.be.greaterThan(0);
    }
  });

  it("restructured loans (observation): two on-time installments, a year, nothing overdue", async function () {
    const stats: Stats = {};
    await fc.assert(
      fc.asyncProperty(
        arbScenario({ huge: false, maxSteps: MAX_STEPS, observation: true }),
        withShrinkBudget((sc) => runScenario(sc, stats)),
      ),
      fcParams(RUNS),
    );
    printStats("observation", stats);
  });

  it("penalty assessment: equal installments, pokes and repayments around day, grace and threshold boundaries", async function () {
    const stats: Stats = {};
    await fc.assert(
      fc.asyncProperty(
        arbScenario({ maxSteps: MAX_STEPS, penalties: true }),
        withShrinkBudget((sc) => runScenario(sc, stats)),
      ),
      fcParams(RUNS),
    );
    printStats("penalties", stats);
  });

  /**
   * The rules allow each part of an installment up to 2^96 - 1, so its amount p + r can reach
   * 2^97 - 2 and paid_c can exceed 2^96 (LoanLedger stored `paid` as uint96 before 8756b6b, which
   * truncated such a partial payment modulo 2^96).
   */
  it("installments with p + r >= 2^96 (each part < 2^96): the contract tracks paid_c like the domain", async function () {
    const stats: Stats = {};
    await fc.assert(
      fc.asyncProperty(
        arbScenario({ huge: true, maxSteps: 3 }),
        withShrinkBudget((sc) => runScenario(sc, stats), 4 * SHRINK_BUDGET),
      ),
      fcParams(Math.max(1, Math.floor(RUNS / 2))),
    );
    printStats("huge amounts", stats);
  });

  /**
   * The rules bound paidAt below by the version's start and apply a payment at max(paidAt, the
   * last payment's time) whenever it is made. Failed while LoanLedger stored the last payment as
   * `uint32(t - startedAt)`: from 2^32 seconds (about 136 years) after the start the offset wrapped
   * (then: backdated payments slipped through; now: a payment would be applied back in time).
   */
  it("histories running past 2^32 seconds after the start: paidAt bounds and figures still equal the domain", async function () {
    const stats: Stats = {};
    await fc.assert(
      fc.asyncProperty(
        arbScenario({ maxSteps: 7, farFuture: true }),
        withShrinkBudget((sc) => runScenario(sc, stats), 2 * SHRINK_BUDGET),
      ),
      fcParams(Math.max(1, Math.floor(RUNS / 2))),
    );
    printStats("far future", stats);
  });

  /**
   * setPolicy accepts exactly what validatePolicy accepts (with penaltyRateBps <= cap), and
   * policy(id) reads back what was set; offsets lists of 0..17 entries probe the stage limit.
   */
  it(`setPolicy accepts exactly the policies validatePolicy accepts (at most ${MAX_STAGES} reminder stages)`, async function () {
    const arbAnyPolicy = fc.record({
      graceDays: fc.oneof(fc.integer({ min: 0, max: 90 }), fc.integer({ min: 0, max: 200 })),
      penaltyRateBps: fc.integer({ min: 0, max: 3_000 }),
      lateFee: fc.bigInt({ min: 0n, max: 10n ** 9n }),
      reminderOffsetsDays: fc.oneof(
        arbOffsets(17),
        fc.array(fc.integer({ min: -400, max: 3_700 }), { maxLength: 17 }),
        fc.integer({ min: 14, max: 17 }).map((n) => Array.from({ length: n }, (_, k) => k * 3 - 5)),
      ),
      substandardAfterDays: fc.integer({ min: 0, max: 100 }),
      doubtfulAfterDays: fc.integer({ min: 0, max: 300 }),
      lossAfterDays: fc.integer({ min: 0, max: 400 }),
      defaultAfterDays: fc.integer({ min: 0, max: 100 }),
    });
    await fc.assert(
      fc.asyncProperty(
        arbAnyPolicy,
        withShrinkBudget(async (policy: Policy) => {
          const f = await loadFixture(propertyFixture);
          const cap = Number(await f.ledger.maxAnnualRateBps());
          let domainAccepts = policy.penaltyRateBps <= cap;
          try {
            validatePolicy(policy);
          } catch {
            domainAccepts = false;
          }
          const struct = { ...policy, reminderOffsetsDays: [...policy.reminderOffsetsDays] };
          let chainAccepts = true;
          try {
            await f.ledger.connect(f.lender).setPolicy.staticCall(struct);
          } catch {
            chainAccepts = false;
          }
          expect(chainAccepts, `setPolicy accepts iff validatePolicy does (${policy.reminderOffsetsDays.length} offsets)`).to.equal(domainAccepts);
          if (chainAccepts) {
            await f.ledger.connect(f.lender).setPolicy(struct);
            const id = await f.ledger.currentPolicyOf(f.lender.address);
            const p = await f.ledger.policy(id);
            expect(
              [p.graceDays, p.penaltyRateBps, p.lateFee, p.substandardAfterDays, p.doubtfulAfterDays, p.lossAfterDays, p.defaultAfterDays].map(str),
            ).to.deep.equal(
              [
                policy.graceDays,
                policy.penaltyRateBps,
                policy.lateFee,
                policy.substandardAfterDays,
                policy.doubtfulAfterDays,
                policy.lossAfterDays,
                policy.defaultAfterDays,
              ].map(str),
            );
            expect(p.reminderOffsetsDays.map(Number)).to.deep.equal(policy.reminderOffsetsDays);
          }
        }),
      ),
      { numRuns: 100, seed: SEED },
    );
  });
});
