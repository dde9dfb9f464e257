import type { Address, Hex } from "viem";
import type { Action } from "../domain";

/** The action columns an `actions` row and a `batch_leaves` row share (uint64 fields as numbers or decimal strings). */
export interface ActionColumns {
  loan_id: number;
  seq: number | string;
  collector: string;
  channel: number;
  kind: number;
  outcome: number;
  occurred_at: number | string;
  evidence_hash: string;
}

/** The domain's Action of an indexed action or a stored batch leaf. */
export function actionFromRow(r: ActionColumns): Action {
  return {
    loanId: BigInt(r.loan_id),
    seq: BigInt(r.seq),
    collector: r.collector as Address,
    channel: r.channel,
    kind: r.kind,
    outcome: r.outcome,
    occurredAt: BigInt(r.occurred_at),
    evidenceHash: r.evidence_hash as Hex,
  };
}
