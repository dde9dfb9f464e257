/**
 * Leaves of anchored Merkle batches: accepted only when they rebuild the root anchored on chain
 * (as indexed), every leaf is an indexed recorded action, and the batch's submitter was entitled to
 * every leaf's loan when it anchored; then stored with their proofs so the evidence view can serve
 * them. A batch vouches for recorded actions, it never adds actions of its own.
 */
import type { Kysely } from "kysely";
import type { Hex } from "viem";
import type { Database, BatchAnchorsTable, BatchLeavesTable } from "../../db/schema";
import { actionFromRow } from "../../db/actions";
import { chunk } from "../../db/chunk";
import { actionHash, batchLeafHash, buildBatchTree, verifyBatchProof, type Action } from "../../domain";
import { BatchMismatchError, ForbiddenError, NotFoundError } from "./errors";
import type { Scope } from "../auth/scope";
import { channelOut, kindOut } from "../schemas/collection";
import { visibleTo } from "./loans";

/** The latest anchor of `batchId` as indexed (a reorg may have replaced it). */
export async function anchorOf(db: Kysely<Database>, batchId: number) {
  return db.selectFrom("batch_anchors").selectAll().where("batch_id", "=", batchId).orderBy("block_number", "desc").orderBy("log_index", "desc").limit(1).executeTakeFirst();
}

/**
 * Checks and stores the leaves of batch `batchId`. Allowed for the batch's submitter, auditors,
 * and callers who may see every loan the leaves name. Returns whether they were stored now.
 */
export async function storeBatchLeaves(db: Kysely<Database>, scope: Scope, batchId: number, actions: Action[]) {
  const anchor = await anchorOf(db, batchId);
  if (!anchor) throw new NotFoundError(`batch ${batchId} is not anchored (or not indexed yet)`);
  if (anchor.submitter !== scope.address && !scope.auditor) {
    const loans = [...new Set(actions.map((a) => Number(a.loanId)))];
    const seen = await visibleTo(db.selectFrom("loans").select("loans.loan_id"), scope).where("loans.loan_id", "in", loans).execute();
    if (seen.length !== loans.length) throw new ForbiddenError("only the batch's submitter, an auditor, or a caller who may see every loan in it may upload its leaves");
  }
  if (actions.length !== anchor.count) {
    throw new BatchMismatchError(`batch ${batchId} was anchored with ${anchor.count} actions, ${actions.length} given`, { anchoredCount: anchor.count, given: actions.length });
  }
  const tree = buildBatchTree(actions);
  if (tree.root !== anchor.merkle_root.toLowerCase()) {
    throw new BatchMismatchError(`the actions rebuild root ${tree.root}, batch ${batchId} anchored ${anchor.merkle_root}`, { anchoredRoot: anchor.merkle_root, computedRoot: tree.root });
  }
  const offending = await firstOffendingLeaf(db, anchor, actions);
  if (offending) {
    throw new BatchMismatchError(`leaf ${offending.index} of batch ${batchId}: ${offending.message}`, { errors: [{ path: `body.actions.${offending.index}`, message: offending.message }] });
  }
  const anchorOut = { block: anchor.block_number, txHash: anchor.tx_hash, submitter: anchor.submitter, uri: anchor.uri };
  const result = { batchId, merkleRoot: anchor.merkle_root, count: anchor.count, anchor: anchorOut };
  const rows: BatchLeavesTable[] = actions.map((a, i) => ({
    batch_id: batchId,
    merkle_root: anchor.merkle_root,
    idx: i,
    loan_id: Number(a.loanId),
    seq: a.seq.toString(),
    collector: a.collector,
    channel: a.channel,
    kind: a.kind,
    outcome: a.outcome,
    occurred_at: a.occurredAt.toString(),
    evidence_hash: a.evidenceHash,
    leaf_hash: batchLeafHash(a),
    proof: JSON.stringify(tree.proof(i)),
  }));
  const stored = await db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom("batch_leaves").select("idx").where("batch_id", "=", batchId).where("merkle_root", "=", anchor.merkle_root).limit(1).executeTakeFirst();
    if (existing) return false;
    // 13 columns a row: 500 rows stay below SQLite's and PostgreSQL's bound-parameter limits.
    for (let i = 0; i < rows.length; i += 500) await trx.insertInto("batch_leaves").values(rows.slice(i, i + 500)).execute();
    return true;
  });
  return { ...result, stored };
}

/** Rows per query of the checks below: 2 bound parameters a pair stay far below both databases' limits. */
const CHUNK = 500;


/**
 * The first leaf (in input order) that is not an indexed recorded action (same loan and sequence,
 * and the same fields: the same action hash), or whose loan the batch's submitter was not entitled
 * to when it anchored the batch: the loan's lender, a servicer of that lender, or a collector
 * assigned to the loan (from the indexed events before the anchor).
 */
async function firstOffendingLeaf(db: Kysely<Database>, anchor: BatchAnchorsTable, actions: Action[]): Promise<{ index: number; message: string } | undefined> {
  const key = (loanId: number | bigint, seq: number | bigint) => `${loanId}:${seq}`;
  const recorded = new Map<string, Hex>();
  const pairs = [...new Map(actions.filter((a) => a.seq <= BigInt(Number.MAX_SAFE_INTEGER)).map((a) => [key(a.loanId, a.seq), a])).values()];
  for (const part of chunk(pairs, CHUNK)) {
    const rows = await db
      .selectFrom("actions")
      .select(["loan_id", "seq", "collector", "channel", "kind", "outcome", "occurred_at", "evidence_hash"])
      .where((eb) => eb(eb.refTuple("loan_id", "seq"), "in", part.map((a) => eb.tuple(Number(a.loanId), Number(a.seq)))))
      .execute();
    for (const r of rows) {
      recorded.set(key(r.loan_id, r.seq), actionHash(actionFromRow(r)));
    }
  }

  const submitter = anchor.submitter;
  const loanIds = [...new Set(actions.map((a) => Number(a.loanId)))];
  const lenderOf = new Map<number, string>();
  const assigned = new Map<number, boolean>();
  for (const part of chunk(loanIds, CHUNK)) {
    for (const r of await db.selectFrom("loans").select(["loan_id", "lender"]).where("loan_id", "in", part).execute()) lenderOf.set(r.loan_id, r.lender);
    const events = await db
      .selectFrom("assignments")
      .select(["loan_id", "assigned"])
      .where("collector", "=", submitter)
      .where("loan_id", "in", part)
      .where((eb) => eb(eb.refTuple("block_number", "log_index"), "<", eb.tuple(anchor.block_number, anchor.log_index)))
      .orderBy("block_number")
      .orderBy("log_index")
      .execute();
    for (const e of events) assigned.set(e.loan_id, e.assigned === 1); // the last one before the anchor wins
  }
  const serviced = new Map<string, boolean>();
  const delegations = await db
    .selectFrom("servicers")
    .select(["lender", "allowed"])
    .where("servicer", "=", submitter)
    .where((eb) => eb(eb.refTuple("block_number", "log_index"), "<", eb.tuple(anchor.block_number, anchor.log_index)))
    .orderBy("block_number")
    .orderBy("log_index")
    .execute();
  for (const d of delegations) serviced.set(d.lender, d.allowed === 1); // the last one before the anchor wins

  for (const [index, a] of actions.entries()) {
    if (recorded.get(key(a.loanId, a.seq)) !== actionHash(a)) {
      return { index, message: `not an indexed recorded action: loan ${a.loanId} has no recorded action ${a.seq} with these fields` };
    }
    const loanId = Number(a.loanId);
    const lender = lenderOf.get(loanId);
    if (!(lender === submitter || (lender !== undefined && serviced.get(lender)) || assigned.get(loanId))) {
      return { index, message: `the batch's submitter ${submitter} was not loan ${a.loanId}'s lender, a servicer of its lender or a collector assigned to it when it anchored the batch` };
    }
  }
  return undefined;
}

/** The loan's stored leaves, grouped by batch, each with its proof (checked again on read). Only batches still anchored with the same root. */
export async function batchMemberships(db: Kysely<Database>, loanId: number, atBlock: number) {
  const leaves = await db
    .selectFrom("batch_leaves")
    .innerJoin("batch_anchors", (j) => j.onRef("batch_anchors.batch_id", "=", "batch_leaves.batch_id").onRef("batch_anchors.merkle_root", "=", "batch_leaves.merkle_root"))
    .selectAll("batch_leaves")
    .select(["batch_anchors.count", "batch_anchors.uri", "batch_anchors.submitter", "batch_anchors.block_number", "batch_anchors.tx_hash"])
    .where("batch_leaves.loan_id", "=", loanId)
    .where("batch_anchors.block_number", "<=", atBlock)
    .orderBy("batch_leaves.batch_id")
    .orderBy("batch_leaves.idx")
    .execute();
  const out = new Map<number, { batchId: number; merkleRoot: string; count: number; uri: string; submitter: string; anchor: { block: number; txHash: string }; leaves: unknown[] }>();
  for (const l of leaves) {
    let b = out.get(l.batch_id);
    if (!b) {
      out.set(l.batch_id, (b = { batchId: l.batch_id, merkleRoot: l.merkle_root, count: l.count, uri: l.uri, submitter: l.submitter, anchor: { block: l.block_number, txHash: l.tx_hash }, leaves: [] }));
    }
    const action = actionFromRow(l);
    const proof = JSON.parse(l.proof) as Hex[];
    b.leaves.push({
      index: l.idx,
      seq: l.seq,
      collector: l.collector,
      channel: channelOut(l.channel),
      kind: kindOut(l.kind),
      outcome: l.outcome,
      occurredAt: l.occurred_at,
      evidenceHash: l.evidence_hash,
      leafHash: l.leaf_hash,
      proof,
      verified: verifyBatchProof(l.merkle_root as Hex, action, proof),
    });
  }
  return [...out.values()];
}
