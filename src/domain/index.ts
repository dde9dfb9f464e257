/**
 * Duetrail's pure domain library: schedules, day counts, DPD, buckets,
 * classification, penalty math and the loan state machine that mirrors
 * LoanLedger. Shared by scripts, the indexer and the API.
 */
export * from "./constants";
export * from "./errors";
export * from "./rounding";
export * from "./types";
export * from "./dates";
export * from "./schedule";
export * from "./delinquency";
export * from "./penalty";
export * from "./policy";
export * from "./loan-state";
export * from "./loan";
export * from "./lifecycle";
export * from "./relief";
export * from "./jurisdiction";
export * from "./arrears";
export * from "./arrears-plan";
export * from "./collection-types";
export * from "./trail";
export * from "./merkle";
export * from "./compliance";
export * from "./notice-rules";
export * from "./promises";
export * from "./loan-history";
export * from "./features";
export * from "./logistic";
export * from "./scorecard";
export * from "./canonical-json";
export * from "./agency";
