/**
 * fast-check generators shared by the domain tests (not a test file itself).
 */
import fc from "fast-check";
import {
  DAY,
  DEFAULT_REMINDER_OFFSETS_DAYS,
  MAX_PART_EXCLUSIVE,
  type GenerateScheduleParameters,
  type Installment,
  type LoanTerms,
  type Policy,
} from "../../src/domain";

/** 2023-11-14T22:13:20Z: a fixed registration time for the loan tests. */
export const T0 = 1_700_000_000n;

/** Parameters accepted by generateSchedule, including tiny principals, rate 0 and 600 periods. */
export const arbGenerateParameters: fc.Arbitrary<GenerateScheduleParameters> = fc.record({
  kind: fc.constantFrom("annuity" as const, "equal-principal" as const, "interest-only" as const),
  principal: fc.oneof(fc.bigInt({ min: 1n, max: 10_000n }), fc.bigInt({ min: 1n, max: 10n ** 15n })),
  annualRateBps: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 100_000 })),
  count: fc.oneof(fc.integer({ min: 1, max: 36 }), fc.integer({ min: 1, max: 600 })),
  firstDue: fc
    .date({ min: new Date("1990-01-01T00:00:00Z"), max: new Date("2100-12-31T00:00:00Z"), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
  frequency: fc.constantFrom("monthly" as const, "quarterly" as const),
});

/** A custom schedule (any valid shape) due after T0: zero parts allowed, but no 0 + 0 installment and a positive principal sum. */
export const arbCustomSchedule: fc.Arbitrary<Installment[]> = fc
  .array(
    fc.record({
      gapDays: fc.integer({ min: 1, max: 45 }),
      gapSeconds: fc.integer({ min: 0, max: 86_399 }),
      principal: fc.oneof(fc.bigInt({ min: 0n, max: 1_000n }), fc.bigInt({ min: 0n, max: 10n ** 9n })),
      interest: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 10n ** 7n })),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .filter((rows) => rows.some((r) => r.principal > 0n))
  .map((rows) => {
    let due = T0;
    return rows.map((r) => {
      due += BigInt(r.gapDays) * DAY + BigInt(r.gapSeconds);
      // The contract refuses 0 + 0 installments.
      const interest = r.principal === 0n && r.interest === 0n ? 1n : r.interest;
      return { dueDate: due, principal: r.principal, interest };
    });
  });

/** Terms with capRoomBps >= penaltyRateBps (as registration guarantees). */
export const arbTerms = (principal: bigint): fc.Arbitrary<LoanTerms> =>
  fc
    .record({
      contractRateBps: fc.integer({ min: 0, max: 2_400 }),
      penaltyRateBps: fc.oneof(fc.constant(1_825), fc.integer({ min: 0, max: 5_000 })),
      extraRoom: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5_000 })),
      lateFee: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 100_000n })),
      graceDays: fc.integer({ min: 0, max: 10 }),
    })
    .map((r) => ({
      principal,
      contractRateBps: r.contractRateBps,
      penaltyRateBps: r.penaltyRateBps,
      lateFee: r.lateFee,
      capRoomBps: r.penaltyRateBps + r.extraRoom,
      graceDays: r.graceDays,
      registeredAt: T0,
    }));

/** Valid policies: random reminder offsets (strictly increasing, at most 16) and thresholds 0 < sub < doubt < loss. */
export const arbPolicy: fc.Arbitrary<Policy> = fc
  .record({
    offsets: fc.oneof(
      { weight: 3, arbitrary: fc.constant([...DEFAULT_REMINDER_OFFSETS_DAYS]) },
      { weight: 3, arbitrary: fc.uniqueArray(fc.integer({ min: -10, max: 120 }), { minLength: 1, maxLength: 16 }) },
      { weight: 1, arbitrary: fc.constant([]) },
    ),
    sub: fc.integer({ min: 1, max: 60 }),
    doubtGap: fc.integer({ min: 1, max: 60 }),
    lossGap: fc.integer({ min: 1, max: 60 }),
    defaultAfterDays: fc.integer({ min: 1, max: 120 }),
  })
  .map((r) => ({
    graceDays: 3,
    penaltyRateBps: 0,
    lateFee: 0n,
    reminderOffsetsDays: [...r.offsets].sort((a, b) => a - b),
    substandardAfterDays: r.sub,
    doubtfulAfterDays: r.sub + r.doubtGap,
    lossAfterDays: r.sub + r.doubtGap + r.lossGap,
    defaultAfterDays: r.defaultAfterDays,
  }));

/** One step of a random loan history. `share` picks a payment as a fraction (per mille) of the payoff. */
export type Op =
  | { kind: "advance"; seconds: number }
  | { kind: "poke" }
  | { kind: "pay"; share: number; extra: bigint }
  | { kind: "record"; share: number; backSeconds: number };

export const arbOps: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("advance" as const),
        // Whole days (boundaries) and arbitrary seconds; fast-check favours small values, so both ranges.
        seconds: fc.oneof(
          fc.integer({ min: 0, max: 40 }).map((d) => d * 86_400),
          fc.integer({ min: 0, max: 40 * 86_400 }),
          fc.integer({ min: 0, max: 3 * 86_400 }),
        ),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("poke" as const) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("pay" as const),
        // 1000 = the full payoff, often enough to close loans and test what follows.
        share: fc.oneof({ weight: 1, arbitrary: fc.constant(1_000) }, { weight: 6, arbitrary: fc.integer({ min: 0, max: 1_000 }) }),
        extra: fc.oneof({ weight: 5, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 1_000n }) }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("record" as const),
        share: fc.oneof({ weight: 1, arbitrary: fc.constant(1_000) }, { weight: 6, arbitrary: fc.integer({ min: 0, max: 1_000 }) }),
        backSeconds: fc.integer({ min: 0, max: 10 * 86_400 }),
      }),
    },
  ),
  { minLength: 4, maxLength: 40 },
);

/** Upper bound of a part, re-exported for tests that probe the limit. */
export const PART_LIMIT = MAX_PART_EXCLUSIVE;
