/**
 * The indexer's tables, as Kysely types. One schema for SQLite and PostgreSQL:
 * - integers that fit 2^53 (block numbers, log indexes, timestamps, loan ids, days) are
 *   `bigint` columns read as JS numbers;
 * - money is `text` holding a decimal string in minor units (exact in both databases);
 * - flags are 0/1 integers (SQLite has no boolean);
 * - addresses are checksummed, hashes 0x-prefixed lowercase hex.
 *
 * Event tables are append-only and carry (block_number, log_index): a reorg deletes the rows
 * above the fork. `loans` and the `current_*` tables are projections, rebuilt for the affected
 * loans from `loan_events` after a rollback (src/indexer/projection.ts).
 */
import type { ColumnType } from "kysely";
import type { AuthNoncesTable, BatchLeavesTable, BorrowerContactsTable, EvidenceUploadsTable, IdempotencyKeysTable, RelaysTable, RevokedSubjectsTable, RevokedTokensTable } from "./api-tables";
import type { Amount, Flag, Int, Json } from "./columns";

import type { NoticePlansTable, NoticeRecordsTable, NoticesTable, NotifyCursorTable } from "./notify-tables";
import type { LoanScoreHistoryTable, LoanScoresTable, StrategiesTable, StrategyModelsTable, StrategyRecordsTable } from "./strategy-tables";
export type { LoanScoreHistoryTable, LoanScoresTable, StrategiesTable, StrategyModelsTable, StrategyRecordsTable } from "./strategy-tables";
export type { NoticeChannel, NoticePlansTable, NoticeRecordsTable, NoticeRecordState, NoticesTable, NoticeStatus, NotifyCursorTable } from "./notify-tables";
export type { AuthNoncesTable, BatchLeavesTable, BorrowerContactsTable, EvidenceUploadsTable, IdempotencyKeysTable, RelaysTable, RevokedSubjectsTable, RevokedTokensTable } from "./api-tables";

export interface EventKey {
  block_number: Int;
  log_index: Int;
}

export interface CursorTable {
  id: Int; // always 1
  chain_id: Int;
  block_number: Int;
  block_hash: string;
  block_timestamp: Int;
}

/** Counters raised by triggers, which the API's in-process caches are keyed by (migration 0017). */
export interface CacheEpochsTable {
  id: Int; // always 1
  /** Changes to what a caller's scope is read from. */
  scopes: ColumnType<string | number, never, never>;
  /** Updates and deletes (rollbacks) of installments and policies. */
  history: ColumnType<string | number, never, never>;
}

/** An index dropped for a long backfill, until it is made again (migration 0021, src/db/deferred-indexes.ts). */
export interface DeferredIndexesTable {
  name: string;
  /** Its CREATE INDEX statement, as the database reported it when it was dropped. */
  definition: string;
}

export interface BlocksTable {
  number: Int;
  hash: string;
  parent_hash: string;
  timestamp: Int;
}

export interface RawLogsTable extends EventKey {
  chain_id: Int;
  block_hash: string;
  tx_hash: string;
  address: string;
  /** The topics one after the other, 32 bytes each (migration 0019; src/db/raw-logs.ts reads them). */
  topics: Uint8Array;
  /** The log's data. */
  data: Uint8Array;
}

export interface LoanEventsTable extends EventKey {
  loan_id: Int;
  tx_hash: string;
  block_timestamp: Int;
  contract: "LoanLedger" | "CollectionLog";
  name: string;
  // The arguments are decoded from raw_logs when served (migration 0003).
}

export interface PoliciesTable extends EventKey {
  policy_id: Int;
  lender: string;
  grace_days: Int;
  penalty_rate_bps: Int;
  late_fee: Amount;
  substandard_after_days: Int;
  doubtful_after_days: Int;
  loss_after_days: Int;
  default_after_days: Int;
  reminder_offsets: Json;
}

export interface ServicersTable extends EventKey {
  lender: string;
  servicer: string;
  allowed: Flag;
}

export interface MaxRatesTable extends EventKey {
  max_annual_rate_bps: Int;
}

export interface LoansTable {
  loan_id: Int;
  lender: string;
  borrower: string;
  borrower_ref: string;
  token: string;
  currency: string;
  principal: Amount;
  contract_rate_bps: Int;
  utc_offset_minutes: Int;
  /** ISO 3166 code the loan was registered under ("CN", "US-CA"); "" if indexed before migration 0014. */
  jurisdiction: string;
  policy_id: Int;
  grace_days: Int;
  penalty_rate_bps: Int;
  cap_room_bps: Int;
  late_fee: Amount;
  registered_at: Int;
  block_number: Int;
  log_index: Int;
  tx_hash: string;
  // projection: the loan state machine (src/domain) as of the cursor block
  version: Int;
  status: Int;
  cursor: Int;
  installment_count: Int;
  paid: Amount;
  penalty_paid: Amount;
  base: Amount;
  base_days: Int;
  last_paid_at: Int;
  classification: Int;
  reminder_stage: Int;
  penalty_assessed: Amount;
  defaulted: Flag;
  observation: Flag;
  on_time_streak: Int;
  restructured_at: Int;
  /** Due date of the oldest unsettled installment (null when repaid): DPD at t: rules-sql.ts dpd(). */
  cursor_due: Int | null;
  /** cursor_due, or 2^53-1 when repaid: the indexed sort key for DPD and next due (never null). */
  due_key: Int;
  /** Amount overdue as of the cursor block, zero-padded to 40 digits so text order is numeric order. */
  amount_overdue: string;
  /** When amount_overdue next changes without an event (an installment turns one day late); null if never. */
  overdue_refresh_at: Int | null;
  /** When amount_overdue last changed with time alone (a rollback below it recomputes the row); null if nothing is overdue. */
  overdue_since: Int | null;
  charged_off_at: Int | null;
  written_off_at: Int | null;
  closed_at: Int | null;
  /** The last payment holiday's period (null if never) and whether it is still flagged (not closed by a poke). */
  holiday_from: Int | null;
  holiday_to: Int | null;
  holiday_flagged: Flag;
  settled_at: Int | null;
  /**
   * The last arrears plan (null created_at if never): its parts as JSON `[[dueDate, amount], ...]`
   * (decimal strings), the next part to judge, what was repaid since its creation, the first
   * installment not overdue at its creation, and whether it is still in force.
   */
  plan_created_at: Int | null;
  plan_parts: string | null;
  plan_next: Int;
  plan_first_regular: Int;
  plan_paid: Amount;
  plan_in_force: Flag;
  trail_head: string | null;
  trail_count: Int;
  restricted_channels: Int;
  dispute_open: Flag;
  updated_block: Int;
}

export interface ScheduleVersionsTable extends EventKey {
  loan_id: Int;
  version: Int;
  principal: Amount;
  started_at: Int;
  schedule_hash: string | null;
  replaced_interest: Amount;
  forgiven_penalty: Amount;
  tx_hash: string;
}

export interface ReliefPoliciesTable extends EventKey {
  lender: string;
  holiday_max_dpd: Int;
}

/** PaymentHolidayGranted: `from_time`/`to_time` are the event's `from` and `to`. */
export interface HolidaysTable extends EventKey {
  loan_id: Int;
  tx_hash: string;
  version: Int;
  from_time: Int;
  to_time: Int;
  installments: Int;
  interest: Int;
  placement: Int;
  deferred_principal: Amount;
  deferred_interest: Amount;
  waived_interest: Amount;
  forgiven_penalty: Amount;
}

/** JurisdictionCapSet: the cap for loans registered from then on under `jurisdiction` (0: none of its own). */
export interface JurisdictionCapsTable extends EventKey {
  jurisdiction: string;
  previous_bps: Int;
  max_annual_rate_bps: Int;
}

/** JurisdictionRulesSet (CollectionLog): the rules set for `jurisdiction`, or their removal (`is_set` 0). */
export interface JurisdictionRulesTable extends EventKey {
  jurisdiction: string;
  is_set: Flag;
  contact_start_hour: Int;
  contact_end_hour: Int;
  max_connected_calls_per_day: Int;
  max_call_attempts_per_7_days: Int;
  cool_down_days: Int;
}

/** PlacementCreated (CollectionLog): `lender` placed `loan_count` loans (rows of placement_loans) with `agency`. */
export interface PlacementsTable extends EventKey {
  tx_hash: string;
  placement_id: Int;
  lender: string;
  agency: string;
  commission_bps: Int;
  start_at: Int;
  end_at: Int;
  loan_count: Int;
}

/** One loan of a PlacementCreated (keyed by the event's block and log index). */
export interface PlacementLoansTable extends EventKey {
  placement_id: Int;
  loan_id: Int;
}

/** PlacementRecalled. */
export interface PlacementRecallsTable extends EventKey {
  placement_id: Int;
  recalled_at: Int;
}

/** AgencyCollectorAssigned / AgencyCollectorUnassigned (`assigned` 0). */
export interface AgencyAssignmentsTable extends EventKey {
  placement_id: Int;
  loan_id: Int;
  collector: string;
  assigned: Flag;
}

/** ArrearsPlanCreated: `parts` as JSON `[[dueDate, amount], ...]` (decimal strings). */
export interface ArrearsPlansTable extends EventKey {
  loan_id: Int;
  tx_hash: string;
  created_at: Int;
  arrears: Amount;
  amount_overdue: Amount;
  penalty_outstanding: Amount;
  parts: string;
}

/** ArrearsPartKept ("kept"), ArrearsPlanBroken ("broken") and ArrearsPlanCompleted ("completed": no part, due date or requirement). */
export interface ArrearsOutcomesTable extends EventKey {
  loan_id: Int;
  tx_hash: string;
  outcome: "kept" | "broken" | "completed";
  part: Int | null;
  due_date: Int | null;
  required: Amount | null;
  paid: Amount;
  block_timestamp: Int;
}

export interface SettlementOffersTable extends EventKey {
  loan_id: Int;
  tx_hash: string;
  amount: Amount;
  deadline: Int;
  principal_owed: Amount;
  interest_owed: Amount;
  penalty_owed: Amount;
  block_timestamp: Int;
}

export interface SettlementsTable extends EventKey {
  loan_id: Int;
  tx_hash: string;
  payer: string;
  amount: Amount;
  penalty_paid: Amount;
  interest_paid: Amount;
  principal_paid: Amount;
  penalty_forgiven: Amount;
  interest_forgiven: Amount;
  principal_forgiven: Amount;
  paid_at: Int;
  bank_ref: string;
  off_chain: Flag;
}

export interface InstallmentsTable {
  loan_id: Int;
  version: Int;
  idx: Int;
  due_date: Int;
  principal: Amount;
  interest: Amount;
  block_number: Int;
}

export interface RepaymentsTable extends EventKey {
  loan_id: Int;
  tx_hash: string;
  payer: string;
  amount: Amount;
  penalty: Amount;
  interest: Amount;
  principal: Amount;
  cursor_after: Int;
  paid_at: Int;
  bank_ref: string;
  off_chain: Flag;
  recovery: Flag;
}

export interface PenaltyAssessmentsTable extends EventKey {
  loan_id: Int;
  installment: Int;
  penalty_outstanding: Amount;
  dpd: Int;
}

export interface RemindersTable extends EventKey {
  loan_id: Int;
  installment: Int;
  stage: Int;
  offset_days: Int;
  due_date: Int;
  dpd: Int;
  block_timestamp: Int;
}

export interface ClassificationChangesTable extends EventKey {
  loan_id: Int;
  from_classification: Int;
  to_classification: Int;
  dpd: Int;
  block_timestamp: Int;
}

export interface DefaultsTable extends EventKey {
  loan_id: Int;
  installment: Int;
  dpd: Int;
}

export interface WriteDownsTable extends EventKey {
  loan_id: Int;
  outstanding_principal: Amount;
  outstanding_interest: Amount;
  penalty_outstanding: Amount;
  dpd: Int;
}

export interface RestructureProposalsTable extends EventKey {
  loan_id: Int;
  version: Int;
  schedule_hash: string;
}

export interface AssignmentsTable extends EventKey {
  loan_id: Int;
  collector: string;
  lender: string;
  assigned: Flag;
}

/**
 * A current assignment, with its loan's queue sort keys copied in by triggers (migration 0016):
 * never written by the application, always equal to the loans and loan_scores rows.
 */
export interface CurrentCollectorsTable {
  loan_id: Int;
  collector: string;
  /** 1 while the loan is worked (active or charged off). */
  queue_open: ColumnType<number, never, never>;
  /** The loan's expected recovery (loan_scores), 40 digits; zeros without a score. */
  expected_key: ColumnType<string, never, never>;
  /** loans.due_key */
  due_key: ColumnType<number, never, never>;
  /** loans.amount_overdue */
  amount_overdue: ColumnType<string, never, never>;
}

export interface ActionsTable extends EventKey {
  loan_id: Int;
  seq: Int;
  collector: string;
  channel: Int;
  kind: Int;
  outcome: Int;
  occurred_at: Int;
  evidence_hash: string;
  flags: Int;
  head: string;
  tx_hash: string;
  block_timestamp: Int;
}

export interface PromisesTable extends EventKey {
  loan_id: Int;
  seq: Int;
  amount: Amount;
  due_by: Int;
  artifact_hash: string;
  made_at: Int;
}

export interface BatchAnchorsTable extends EventKey {
  batch_id: Int;
  merkle_root: string;
  count: Int;
  uri: string;
  submitter: string;
  tx_hash: string;
}

export interface RestrictionsTable extends EventKey {
  loan_id: Int;
  channel: Int;
  restricted: Flag;
}

export interface DisputesTable extends EventKey {
  loan_id: Int;
  event: "filed" | "resolved";
  account: string | null;
  evidence_hash: string;
}

export interface ContactPoliciesTable extends EventKey {
  lender: string;
  max_connected_calls_per_day: Int;
  max_call_attempts_per_7_days: Int;
  contact_start_hour: Int;
  contact_end_hour: Int;
  legal_stage_dpd: Int;
  action_window_days: Int;
}

export interface RoleChangesTable extends EventKey {
  contract: "LoanLedger" | "CollectionLog";
  role: string;
  account: string;
  granted: Flag;
}

export interface PausesTable extends EventKey {
  paused: Flag;
}

export interface Database {
  role_changes: RoleChangesTable;
  pauses: PausesTable;
  cursor: CursorTable;
  cache_epochs: CacheEpochsTable;
  deferred_indexes: DeferredIndexesTable;
  blocks: BlocksTable;
  raw_logs: RawLogsTable;
  loan_events: LoanEventsTable;
  policies: PoliciesTable;
  servicers: ServicersTable;
  max_rates: MaxRatesTable;
  loans: LoansTable;
  schedule_versions: ScheduleVersionsTable;
  installments: InstallmentsTable;
  repayments: RepaymentsTable;
  penalty_assessments: PenaltyAssessmentsTable;
  reminders: RemindersTable;
  classification_changes: ClassificationChangesTable;
  defaults: DefaultsTable;
  charge_offs: WriteDownsTable;
  write_offs: WriteDownsTable;
  restructure_proposals: RestructureProposalsTable;
  assignments: AssignmentsTable;
  current_collectors: CurrentCollectorsTable;
  actions: ActionsTable;
  promises: PromisesTable;
  batch_anchors: BatchAnchorsTable;
  restrictions: RestrictionsTable;
  disputes: DisputesTable;
  contact_policies: ContactPoliciesTable;
  batch_leaves: BatchLeavesTable;
  auth_nonces: AuthNoncesTable;
  revoked_tokens: RevokedTokensTable;
  revoked_subjects: RevokedSubjectsTable;
  idempotency_keys: IdempotencyKeysTable;
  relays: RelaysTable;
  evidence_uploads: EvidenceUploadsTable;
  borrower_contacts: BorrowerContactsTable;
  notices: NoticesTable;
  notice_plans: NoticePlansTable;
  notice_records: NoticeRecordsTable;
  notify_cursor: NotifyCursorTable;
  strategies: StrategiesTable;
  strategy_models: StrategyModelsTable;
  loan_scores: LoanScoresTable;
  loan_score_history: LoanScoreHistoryTable;
  strategy_records: StrategyRecordsTable;
  relief_policies: ReliefPoliciesTable;
  holidays: HolidaysTable;
  settlement_offers: SettlementOffersTable;
  settlements: SettlementsTable;
  arrears_plans: ArrearsPlansTable;
  arrears_outcomes: ArrearsOutcomesTable;
  jurisdiction_caps: JurisdictionCapsTable;
  jurisdiction_rules: JurisdictionRulesTable;
  placements: PlacementsTable;
  placement_loans: PlacementLoansTable;
  placement_recalls: PlacementRecallsTable;
  agency_assignments: AgencyAssignmentsTable;
}

/** Append-only event tables: a rollback deletes their rows above the fork block. */
export const EVENT_TABLES = [
  "raw_logs",
  "loan_events",
  "policies",
  "servicers",
  "max_rates",
  "schedule_versions",
  "repayments",
  "penalty_assessments",
  "reminders",
  "classification_changes",
  "defaults",
  "charge_offs",
  "write_offs",
  "restructure_proposals",
  "assignments",
  "actions",
  "promises",
  "batch_anchors",
  "restrictions",
  "disputes",
  "contact_policies",
  "role_changes",
  "pauses",
  "strategy_records",
  "relief_policies",
  "holidays",
  "settlement_offers",
  "settlements",
  "arrears_plans",
  "arrears_outcomes",
  "jurisdiction_caps",
  "jurisdiction_rules",
  "placements",
  "placement_loans",
  "placement_recalls",
  "agency_assignments",
] as const satisfies readonly (keyof Database)[];

export type Unused = ColumnType<never>;
