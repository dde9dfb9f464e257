import type { Insertable } from "kysely";
import type { Database } from "../db/schema";
import type { DecodedLog } from "../chain/decode";
import { sameServicing, type LoanProjection } from "../db/loans";
import { applyToProjection, installmentsFrom, registerProjection } from "./projection";
import { decodeJurisdiction, type Policy } from "../domain";
import { InconsistentEventError } from "./errors";
import { storedLog } from "../db/raw-logs";

type EventTable = Exclude<keyof Database, "cursor" | "blocks" | "loans" | "installments" | "current_collectors">;

/** Everything one range of blocks writes, applied in one transaction with the cursor. */
export interface Batch {
  rows: { [T in EventTable]?: Insertable<Database[T]>[] };
  installments: Insertable<Database["installments"]>[];
  /** Projections changed by this batch. */
  loans: Map<number, LoanProjection>;
  /**
   * Loans of `loans` registered in this batch or whose servicing side changed (schedule, payments,
   * status: `sameServicing` is false), written as whole rows; the others changed only their
   * collection columns (COLLECTION_COLUMNS), which is all their update writes.
   */
  rewritten: Set<number>;
  /** Assignment changes in chain order. */
  collectors: { loanId: number; collector: string; assigned: boolean }[];
  events: number;
}

export function emptyBatch(): Batch {
  return { rows: {}, installments: [], loans: new Map(), rewritten: new Set(), collectors: [], events: 0 };
}

/** Where handlers find loan projections and policies not in the batch. */
export interface HandlerContext {
  chainId: number;
  /** The projection as of the batch start (already loaded for every loan the batch touches). */
  loan(loanId: number): LoanProjection | undefined;
  policy(policyId: number): Policy | undefined;
  /** Remembers a policy published in this batch. */
  setPolicy(policyId: number, policy: Policy): void;
}

// Rows are object literals written out in full: a spread (`{ ...key, more }`) that adds properties
// makes V8 build each object slowly, in dictionary mode (measured: hundreds of times slower).
function push<T extends EventTable>(batch: Batch, table: T, row: Insertable<Database[T]>): void {
  const rows = batch.rows as Record<string, unknown[] | undefined>;
  (rows[table] ??= []).push(row);
}

/** The loan an event is about, if any. */
export function loanIdOf(log: DecodedLog): number | undefined {
  const args = (log as { args?: { loanId?: bigint } }).args;
  return args && typeof args.loanId === "bigint" ? Number(args.loanId) : undefined;
}

/**
 * Applies decoded logs (in chain order) to `batch`: one raw row each, the typed rows, the loan
 * timeline, and the loan projections. `timestamps` has the time of every block with a log.
 */
export function applyLogs(batch: Batch, logs: readonly DecodedLog[], timestamps: ReadonlyMap<number, number>, ctx: HandlerContext): void {
  for (const log of logs) {
    const ts = timestamps.get(log.blockNumber);
    if (ts === undefined) throw new InconsistentEventError(`no timestamp for block ${log.blockNumber}`);
    const key = { block_number: log.blockNumber, log_index: log.logIndex };
    const stored = storedLog(log.topics, log.data);
    push(batch, "raw_logs", {
      block_number: key.block_number, log_index: key.log_index,
      chain_id: ctx.chainId,
      block_hash: log.blockHash,
      tx_hash: log.transactionHash,
      address: log.address,
      topics: stored.topics,
      data: stored.data,
    });
    batch.events++;
    const loanId = loanIdOf(log);
    if (loanId !== undefined) {
      push(batch, "loan_events", {
        block_number: key.block_number, log_index: key.log_index,
        loan_id: loanId,
        tx_hash: log.transactionHash,
        block_timestamp: ts,
        contract: log.contract,
        name: log.eventName,
      });
    }
    applyTyped(batch, log, key, ts, ctx);
    if (loanId !== undefined && log.eventName !== "LoanRegistered") {
      const current = batch.loans.get(loanId) ?? ctx.loan(loanId);
      if (current === undefined) throw new InconsistentEventError(`event ${log.eventName} at ${log.blockNumber}:${log.logIndex} for unknown loan ${loanId}`);
      const next = applyToProjection(current, log, ts);
      batch.loans.set(loanId, next);
      if (!sameServicing(current, next)) batch.rewritten.add(loanId);
    }
  }
}

function applyTyped(batch: Batch, log: DecodedLog, key: { block_number: number; log_index: number }, ts: number, ctx: HandlerContext): void {
  if (log.contract === "LoanLedger") {
    switch (log.eventName) {
      case "MaxAnnualRateSet":
        return push(batch, "max_rates", { block_number: key.block_number, log_index: key.log_index, max_annual_rate_bps: log.args.newBps });
      case "PolicySet": {
        const p = log.args.policy;
        const policy: Policy = {
          graceDays: p.graceDays,
          penaltyRateBps: p.penaltyRateBps,
          lateFee: p.lateFee,
          reminderOffsetsDays: [...p.reminderOffsetsDays],
          substandardAfterDays: p.substandardAfterDays,
          doubtfulAfterDays: p.doubtfulAfterDays,
          lossAfterDays: p.lossAfterDays,
          defaultAfterDays: p.defaultAfterDays,
        };
        ctx.setPolicy(log.args.policyId, policy);
        return push(batch, "policies", {
          block_number: key.block_number, log_index: key.log_index,
          policy_id: log.args.policyId,
          lender: log.args.lender,
          grace_days: p.graceDays,
          penalty_rate_bps: p.penaltyRateBps,
          late_fee: p.lateFee.toString(),
          substandard_after_days: p.substandardAfterDays,
          doubtful_after_days: p.doubtfulAfterDays,
          loss_after_days: p.lossAfterDays,
          default_after_days: p.defaultAfterDays,
          reminder_offsets: JSON.stringify(p.reminderOffsetsDays),
        });
      }
      case "CollectionStrategySet":
        return push(batch, "strategy_records", { block_number: key.block_number, log_index: key.log_index, lender: log.args.lender, policy_id: log.args.policyId, strategy_hash: log.args.strategyHash, block_timestamp: ts });
      case "ServicerSet":
        return push(batch, "servicers", { block_number: key.block_number, log_index: key.log_index, lender: log.args.lender, servicer: log.args.servicer, allowed: log.args.allowed ? 1 : 0 });
      case "LoanRegistered": {
        const policy = ctx.policy(log.args.policyId);
        if (!policy) throw new InconsistentEventError(`loan ${log.args.loanId} uses unknown policy ${log.args.policyId}`);
        const p = registerProjection(log, ts, policy);
        batch.loans.set(p.fixed.loanId, p);
        batch.rewritten.add(p.fixed.loanId);
        addVersion(batch, key, p.fixed.loanId, 1, log.args.principal, ts, null, 0n, 0n, log.transactionHash, log.args.schedule);
        return;
      }
      case "LoanRepaid": {
        const a = log.args;
        return push(batch, "repayments", {
          block_number: key.block_number, log_index: key.log_index,
          loan_id: Number(a.loanId),
          tx_hash: log.transactionHash,
          payer: a.payer,
          amount: a.amount.toString(),
          penalty: a.penalty.toString(),
          interest: a.interest.toString(),
          principal: a.principal.toString(),
          cursor_after: a.cursor,
          paid_at: Number(a.paidAt),
          bank_ref: a.bankRef,
          off_chain: a.offChain ? 1 : 0,
          recovery: a.recovery ? 1 : 0,
        });
      }
      case "ReminderTriggered": {
        const a = log.args;
        return push(batch, "reminders", {
          block_number: key.block_number, log_index: key.log_index,
          loan_id: Number(a.loanId),
          installment: a.installment,
          stage: a.stage,
          offset_days: a.offsetDays,
          due_date: Number(a.dueDate),
          dpd: a.dpd,
          block_timestamp: ts,
        });
      }
      case "PenaltyAssessed":
        return push(batch, "penalty_assessments", {
          block_number: key.block_number, log_index: key.log_index,
          loan_id: Number(log.args.loanId),
          installment: log.args.installment,
          penalty_outstanding: log.args.penaltyOutstanding.toString(),
          dpd: log.args.dpd,
        });
      case "ClassificationChanged":
        return push(batch, "classification_changes", {
          block_number: key.block_number, log_index: key.log_index,
          loan_id: Number(log.args.loanId),
          from_classification: log.args.from,
          to_classification: log.args.to,
          dpd: log.args.dpd,
          block_timestamp: ts,
        });
      case "LoanDefaulted":
        return push(batch, "defaults", { block_number: key.block_number, log_index: key.log_index, loan_id: Number(log.args.loanId), installment: log.args.installment, dpd: log.args.dpd });
      case "LoanChargedOff":
      case "LoanWrittenOff": {
        const a = log.args;
        return push(batch, log.eventName === "LoanChargedOff" ? "charge_offs" : "write_offs", {
          block_number: key.block_number, log_index: key.log_index,
          loan_id: Number(a.loanId),
          outstanding_principal: a.outstandingPrincipal.toString(),
          outstanding_interest: a.outstandingInterest.toString(),
          penalty_outstanding: a.penaltyOutstanding.toString(),
          dpd: a.dpd,
        });
      }
      case "RestructureProposed":
        return push(batch, "restructure_proposals", {
          block_number: key.block_number, log_index: key.log_index,
          loan_id: Number(log.args.loanId),
          version: log.args.version,
          schedule_hash: log.args.scheduleHash,
        });
      case "LoanRestructured": {
        const a = log.args;
        addVersion(batch, key, Number(a.loanId), a.version, a.outstandingPrincipal, ts, a.scheduleHash, a.replacedInterest, a.forgivenPenalty, log.transactionHash, a.schedule);
        return;
      }
      case "JurisdictionCapSet":
        return push(batch, "jurisdiction_caps", {
          block_number: key.block_number, log_index: key.log_index,
          jurisdiction: decodeJurisdiction(log.args.jurisdiction),
          previous_bps: log.args.previousBps,
          max_annual_rate_bps: log.args.maxAnnualRateBps,
        });
      case "ReliefPolicySet":
        return push(batch, "relief_policies", {
          block_number: key.block_number, log_index: key.log_index,
          lender: log.args.lender,
          holiday_max_dpd: log.args.holidayMaxDpd,
        });
      case "PaymentHolidayGranted": {
        const a = log.args;
        // A holiday is a schedule version. The interest it replaced: the deferred interest when it was
        // waived or capitalised (it left the interest line), none when it accrues.
        const replaced = a.terms.interest === 0 ? 0n : a.figures.deferredInterest;
        addVersion(batch, key, Number(a.loanId), a.version, a.schedule.reduce((sum, i) => sum + i.principal, 0n), ts, null, replaced, a.figures.forgivenPenalty, log.transactionHash, a.schedule);
        return push(batch, "holidays", {
          block_number: key.block_number, log_index: key.log_index,
          loan_id: Number(a.loanId),
          tx_hash: log.transactionHash,
          version: a.version,
          from_time: Number(a.from),
          to_time: Number(a.to),
          installments: a.terms.installments,
          interest: a.terms.interest,
          placement: a.terms.placement,
          deferred_principal: a.figures.deferredPrincipal.toString(),
          deferred_interest: a.figures.deferredInterest.toString(),
          waived_interest: a.figures.waivedInterest.toString(),
          forgiven_penalty: a.figures.forgivenPenalty.toString(),
        });
      }
      case "ArrearsPlanCreated": {
        const a = log.args;
        return push(batch, "arrears_plans", {
          block_number: key.block_number, log_index: key.log_index,
          loan_id: Number(a.loanId),
          tx_hash: log.transactionHash,
          created_at: Number(a.createdAt),
          arrears: a.arrears.toString(),
          amount_overdue: a.amountOverdue.toString(),
          penalty_outstanding: a.penaltyOutstanding.toString(),
          parts: JSON.stringify(a.parts.map((x) => [x.dueDate.toString(), x.amount.toString()])),
        });
      }
      case "ArrearsPartKept":
      case "ArrearsPlanBroken": {
        const a = log.args;
        return push(batch, "arrears_outcomes", {
          block_number: key.block_number, log_index: key.log_index,
          loan_id: Number(a.loanId),
          tx_hash: log.transactionHash,
          outcome: log.eventName === "ArrearsPartKept" ? "kept" : "broken",
          part: a.part,
          due_date: Number(a.dueDate),
          required: a.required.toString(),
          paid: a.paid.toString(),
          block_timestamp: ts,
        });
      }
      case "ArrearsPlanCompleted":
        return push(batch, "arrears_outcomes", {
          block_number: key.block_number, log_index: key.log_index,
          loan_id: Number(log.args.loanId),
          tx_hash: log.transactionHash,
          outcome: "completed",
          part: null,
          due_date: null,
          required: null,
          paid: log.args.paid.toString(),
          block_timestamp: ts,
        });
      case "SettlementOffered": {
        const a = log.args;
        return push(batch, "settlement_offers", {
          block_number: key.block_number, log_index: key.log_index,
          loan_id: Number(a.loanId),
          tx_hash: log.transactionHash,
          amount: a.amount.toString(),
          deadline: Number(a.deadline),
          principal_owed: a.principalOwed.toString(),
          interest_owed: a.interestOwed.toString(),
          penalty_owed: a.penaltyOwed.toString(),
          block_timestamp: ts,
        });
      }
      case "LoanSettled": {
        const a = log.args;
        const f = a.figures;
        return push(batch, "settlements", {
          block_number: key.block_number, log_index: key.log_index,
          loan_id: Number(a.loanId),
          tx_hash: log.transactionHash,
          payer: a.payer,
          amount: a.amount.toString(),
          penalty_paid: f.penaltyPaid.toString(),
          interest_paid: f.interestPaid.toString(),
          principal_paid: f.principalPaid.toString(),
          penalty_forgiven: f.penaltyForgiven.toString(),
          interest_forgiven: f.interestForgiven.toString(),
          principal_forgiven: f.principalForgiven.toString(),
          paid_at: Number(a.paidAt),
          bank_ref: a.bankRef,
          off_chain: a.offChain ? 1 : 0,
        });
      }
      case "RoleGranted":
      case "RoleRevoked":
        return push(batch, "role_changes", {
          block_number: key.block_number, log_index: key.log_index,
          contract: "LoanLedger",
          role: log.args.role,
          account: log.args.account,
          granted: log.eventName === "RoleGranted" ? 1 : 0,
        });
      case "Paused":
      case "Unpaused":
        return push(batch, "pauses", { block_number: key.block_number, log_index: key.log_index, paused: log.eventName === "Paused" ? 1 : 0 });
      default:
        return; // LoanClosed, ObservationEnded, PaymentHolidayEnded, EIP712DomainChanged, RoleAdminChanged: timeline/projection only
    }
  }
  switch (log.eventName) {
    case "CapsSet":
      return;
    case "JurisdictionRulesSet": {
      const r = log.args.rules;
      return push(batch, "jurisdiction_rules", {
        block_number: key.block_number, log_index: key.log_index,
        jurisdiction: decodeJurisdiction(log.args.jurisdiction),
        is_set: log.args.set ? 1 : 0,
        contact_start_hour: r.contactStartHour,
        contact_end_hour: r.contactEndHour,
        max_connected_calls_per_day: r.maxConnectedCallsPerDay,
        max_call_attempts_per_7_days: r.maxCallAttemptsPer7Days,
        cool_down_days: r.coolDownDaysAfterConversation,
      });
    }
    case "PlacementCreated": {
      const a = log.args;
      const placementId = Number(a.placementId);
      for (const loanId of a.loanIds) {
        push(batch, "placement_loans", { block_number: key.block_number, log_index: key.log_index, placement_id: placementId, loan_id: Number(loanId) });
      }
      return push(batch, "placements", {
        block_number: key.block_number, log_index: key.log_index,
        tx_hash: log.transactionHash,
        placement_id: placementId,
        lender: a.lender,
        agency: a.agency,
        commission_bps: a.commissionBps,
        start_at: Number(a.start),
        end_at: Number(a.end),
        loan_count: a.loanIds.length,
      });
    }
    case "PlacementRecalled":
      return push(batch, "placement_recalls", { block_number: key.block_number, log_index: key.log_index, placement_id: Number(log.args.placementId), recalled_at: Number(log.args.at) });
    case "AgencyCollectorAssigned":
    case "AgencyCollectorUnassigned":
      return push(batch, "agency_assignments", {
        block_number: key.block_number, log_index: key.log_index,
        placement_id: Number(log.args.placementId),
        loan_id: Number(log.args.loanId),
        collector: log.args.collector,
        assigned: log.eventName === "AgencyCollectorAssigned" ? 1 : 0,
      });
    case "ContactPolicySet": {
      const p = log.args.policy;
      return push(batch, "contact_policies", {
        block_number: key.block_number, log_index: key.log_index,
        lender: log.args.lender,
        max_connected_calls_per_day: p.maxConnectedCallsPerDay,
        max_call_attempts_per_7_days: p.maxCallAttemptsPer7Days,
        contact_start_hour: p.contactStartHour,
        contact_end_hour: p.contactEndHour,
        legal_stage_dpd: p.legalStageDpd,
        action_window_days: p.actionWindowDays,
      });
    }
    case "CollectorAssigned":
    case "CollectorUnassigned": {
      const assigned = log.eventName === "CollectorAssigned";
      batch.collectors.push({ loanId: Number(log.args.loanId), collector: log.args.collector, assigned });
      return push(batch, "assignments", {
        block_number: key.block_number, log_index: key.log_index,
        loan_id: Number(log.args.loanId),
        collector: log.args.collector,
        lender: log.args.lender,
        assigned: assigned ? 1 : 0,
      });
    }
    case "ActionRecorded": {
      const a = log.args;
      return push(batch, "actions", {
        block_number: key.block_number, log_index: key.log_index,
        loan_id: Number(a.loanId),
        seq: Number(a.seq),
        collector: a.collector,
        channel: a.channel,
        kind: a.kind,
        outcome: a.outcome,
        occurred_at: Number(a.occurredAt),
        evidence_hash: a.evidenceHash,
        flags: a.flags,
        head: a.head,
        tx_hash: log.transactionHash,
        block_timestamp: ts,
      });
    }
    case "PromiseRecorded": {
      const a = log.args;
      return push(batch, "promises", {
        block_number: key.block_number, log_index: key.log_index,
        loan_id: Number(a.loanId),
        seq: Number(a.seq),
        amount: a.amount.toString(),
        due_by: Number(a.dueBy),
        artifact_hash: a.artifactHash,
        made_at: ts,
      });
    }
    case "ChannelRestricted":
    case "ChannelReleased":
      return push(batch, "restrictions", {
        block_number: key.block_number, log_index: key.log_index,
        loan_id: Number(log.args.loanId),
        channel: log.args.channel,
        restricted: log.eventName === "ChannelRestricted" ? 1 : 0,
      });
    case "DisputeFiled":
      return push(batch, "disputes", { block_number: key.block_number, log_index: key.log_index, loan_id: Number(log.args.loanId), event: "filed", account: log.args.filedBy, evidence_hash: log.args.evidenceHash });
    case "DisputeResolved":
      return push(batch, "disputes", { block_number: key.block_number, log_index: key.log_index, loan_id: Number(log.args.loanId), event: "resolved", account: null, evidence_hash: log.args.validationHash });
    case "BatchAnchored": {
      const a = log.args;
      return push(batch, "batch_anchors", {
        block_number: key.block_number, log_index: key.log_index,
        batch_id: Number(a.batchId),
        merkle_root: a.merkleRoot,
        count: a.count,
        uri: a.uri,
        submitter: a.submitter,
        tx_hash: log.transactionHash,
      });
    }
    case "RoleGranted":
    case "RoleRevoked":
      return push(batch, "role_changes", {
        block_number: key.block_number, log_index: key.log_index,
        contract: "CollectionLog",
        role: log.args.role,
        account: log.args.account,
        granted: log.eventName === "RoleGranted" ? 1 : 0,
      });
    default:
      return;
  }
}

function addVersion(
  batch: Batch,
  key: { block_number: number; log_index: number },
  loanId: number,
  version: number,
  principal: bigint,
  startedAt: number,
  scheduleHash: string | null,
  replacedInterest: bigint,
  forgivenPenalty: bigint,
  txHash: string,
  schedule: readonly { dueDate: bigint; principal: bigint; interest: bigint }[],
): void {
  push(batch, "schedule_versions", {
    block_number: key.block_number, log_index: key.log_index,
    loan_id: loanId,
    version,
    principal: principal.toString(),
    started_at: startedAt,
    schedule_hash: scheduleHash,
    replaced_interest: replacedInterest.toString(),
    forgiven_penalty: forgivenPenalty.toString(),
    tx_hash: txHash,
  });
  installmentsFrom(schedule).forEach((i, idx) =>
    batch.installments.push({
      loan_id: loanId,
      version,
      idx,
      due_date: Number(i.dueDate),
      principal: i.principal.toString(),
      interest: i.interest.toString(),
      block_number: key.block_number,
    }),
  );
}
