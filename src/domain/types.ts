/**
 * Domain types shared by schedules, the loan state machine, the indexer and the API.
 * Money and timestamps are `bigint` (minor units, unix seconds); rates in bps and
 * day counts from a policy are small integers and stay `number`, like viem decodes
 * the contract's narrow uint fields.
 */
import {
  DEFAULT_DEFAULT_AFTER_DAYS,
  DEFAULT_DOUBTFUL_AFTER_DAYS,
  DEFAULT_GRACE_DAYS,
  DEFAULT_LOSS_AFTER_DAYS,
  DEFAULT_REMINDER_OFFSETS_DAYS,
  DEFAULT_SUBSTANDARD_AFTER_DAYS,
} from "./constants";

/** One scheduled installment; its amount is `principal + interest`. */
export interface Installment {
  /** Unix seconds (00:00:00 UTC for generated schedules). */
  readonly dueDate: bigint;
  /** Principal part in minor units. */
  readonly principal: bigint;
  /** Interest part in minor units. */
  readonly interest: bigint;
}

/** A schedule: installments in due-date order, index 0 first (as on chain). */
export type Schedule = readonly Installment[];

/** Five-category classification with the on-chain enum values. */
export const Classification = {
  Normal: 0,
  SpecialMention: 1,
  Substandard: 2,
  Doubtful: 3,
  Loss: 4,
} as const;
/** On-chain value of a classification (0..4). */
export type Classification = (typeof Classification)[keyof typeof Classification];

/** Collection bucket with the on-chain enum values (M7 is shown "M7+"). */
export const Bucket = { M0: 0, M1: 1, M2: 2, M3: 3, M4: 4, M5: 5, M6: 6, M7: 7 } as const;
/** On-chain value of a bucket (0..7). */
export type Bucket = (typeof Bucket)[keyof typeof Bucket];
/** Display labels indexed by bucket value. */
export const BUCKET_LABELS = ["M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"] as const;
/** Display label of a bucket. */
export type BucketLabel = (typeof BUCKET_LABELS)[number];

/** Loan status with the on-chain enum values. */
export const LoanStatus = { Active: 0, ChargedOff: 1, WrittenOff: 2, Closed: 3, Settled: 4 } as const;
/** On-chain value of a loan status (0..4). */
export type LoanStatus = (typeof LoanStatus)[keyof typeof LoanStatus];

/** Loan terms captured at registration; penalties use these, never the live policy. */
export interface LoanTerms {
  /** Loan principal in minor units (> 0). */
  readonly principal: bigint;
  /** Contractual annual interest rate in bps. */
  readonly contractRateBps: number;
  /** Default-interest (penalty) annual rate in bps, ACT/365. */
  readonly penaltyRateBps: number;
  /** Flat late fee, charged at most once per installment, in minor units. */
  readonly lateFee: bigint;
  /** `maxAnnualRateBps - contractRateBps` at registration: the legal room for penalties. */
  readonly capRoomBps: number;
  /** Days after a due date before default interest starts. */
  readonly graceDays: number;
  /** Registration time (unix seconds). */
  readonly registeredAt: bigint;
}

/** A lender's collection policy. */
export interface Policy {
  readonly graceDays: number;
  readonly penaltyRateBps: number;
  readonly lateFee: bigint;
  /** Reminder offsets in days relative to each due date; strictly increasing, at most 15. */
  readonly reminderOffsetsDays: readonly number[];
  /** Substandard when DPD is strictly above this. */
  readonly substandardAfterDays: number;
  /** Doubtful when DPD is strictly above this. */
  readonly doubtfulAfterDays: number;
  /** Loss when DPD is strictly above this. */
  readonly lossAfterDays: number;
  /** In default the first time DPD is strictly above this. */
  readonly defaultAfterDays: number;
}

/** The policy used when a lender sets none (SPEC "Money and schedule rules"). */
export const DEFAULT_POLICY: Policy = Object.freeze({
  graceDays: DEFAULT_GRACE_DAYS,
  penaltyRateBps: 0,
  lateFee: 0n,
  reminderOffsetsDays: DEFAULT_REMINDER_OFFSETS_DAYS,
  substandardAfterDays: DEFAULT_SUBSTANDARD_AFTER_DAYS,
  doubtfulAfterDays: DEFAULT_DOUBTFUL_AFTER_DAYS,
  lossAfterDays: DEFAULT_LOSS_AFTER_DAYS,
  defaultAfterDays: DEFAULT_DEFAULT_AFTER_DAYS,
});

/** Classification thresholds of a policy. */
export type ClassificationThresholds = Pick<
  Policy,
  "substandardAfterDays" | "doubtfulAfterDays" | "lossAfterDays"
>;

/** Schedule generator kinds. */
export type ScheduleKind = "annuity" | "equal-principal" | "interest-only";

/** Schedule frequencies. */
export type Frequency = "monthly" | "quarterly";
