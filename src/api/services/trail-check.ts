/**
 * A loan's trail, recomputed from the indexed ActionRecorded events with src/domain and compared
 * with CollectionLog.trailOf at the same block, so a dropped or altered action shows.
 */
import type { Kysely } from "kysely";
import { BaseError, type Address, type Hex } from "viem";
import { collectionLogAbi } from "../../chain/abis";
import type { ActionsTable, Database } from "../../db/schema";
import { actionFromRow } from "../../db/actions";
import { recomputeTrail, verifyTrail, type RecordedAction, type TrailProblem } from "../../domain";
import type { ApiServices } from "../context";
import type { AsOf } from "./loans";

export interface TrailVerificationResult {
  count: number;
  onChainCount: number | null;
  onChainHead: string | null;
  recomputedHead: string | null;
  valid: boolean;
  checkedAtBlock: number;
  reason: string | null;
  problems: { kind: string; seq: number; message: string }[];
}

const problemsOut = (ps: TrailProblem[]) => ps.map((p) => ({ kind: p.kind, seq: Number(p.seq), message: p.message }));

/** The CollectionLog address without a deployment: the emitter of the loan's first indexed action (raw_logs share the event key). */
async function collectionLogAddress(db: Kysely<Database>, services: ApiServices, first: ActionsTable | undefined): Promise<Address | undefined> {
  if (services.chain) return services.chain.deployment.collectionLog.address;
  if (!first) return undefined;
  const raw = await db.selectFrom("raw_logs").select("address").where("block_number", "=", first.block_number).where("log_index", "=", first.log_index).executeTakeFirst();
  return raw?.address as Address | undefined;
}

export async function verifyLoanTrail(db: Kysely<Database>, services: ApiServices, loanId: number, actions: ActionsTable[], at: AsOf): Promise<TrailVerificationResult> {
  const recorded: RecordedAction[] = actions.map((a) => ({ ...actionFromRow(a), head: a.head as Hex }));
  const cursor = await db.selectFrom("cursor").select("chain_id").where("id", "=", 1).executeTakeFirst();
  const chainId = services.chain?.deployment.chainId ?? cursor?.chain_id;
  const address = await collectionLogAddress(db, services, actions[0]);
  const base = { count: actions.length, checkedAtBlock: at.block };
  if (chainId === undefined || address === undefined) {
    return { ...base, onChainCount: null, onChainHead: null, recomputedHead: null, valid: false, reason: "no chain configuration: the trail cannot be recomputed or checked", problems: [] };
  }
  const recomputed = recomputeTrail(chainId, address, BigInt(loanId), recorded);
  if (!services.chain) {
    return {
      ...base,
      onChainCount: null,
      onChainHead: null,
      recomputedHead: recomputed.head,
      valid: false,
      reason: "no chain access: recomputed from the indexed events but not checked against CollectionLog.trailOf",
      problems: problemsOut(recomputed.problems),
    };
  }
  let onChain: readonly [Hex, bigint];
  try {
    onChain = await services.chain.client.readContract({ address, abi: collectionLogAbi, functionName: "trailOf", args: [BigInt(loanId)], blockNumber: BigInt(at.block) });
  } catch (err) {
    const why = (err instanceof BaseError ? err.shortMessage : (err as Error).message).split("\n")[0];
    return { ...base, onChainCount: null, onChainHead: null, recomputedHead: recomputed.head, valid: false, reason: `CollectionLog.trailOf could not be read at block ${at.block}: ${why}`, problems: problemsOut(recomputed.problems) };
  }
  const v = verifyTrail(chainId, address, BigInt(loanId), recorded, { head: onChain[0], count: onChain[1] });
  return {
    ...base,
    onChainCount: Number(onChain[1]),
    onChainHead: onChain[0].toLowerCase(),
    recomputedHead: v.head,
    valid: v.valid,
    reason: v.valid ? null : v.problems.map((p) => p.message).join("; "),
    problems: problemsOut(v.problems),
  };
}
