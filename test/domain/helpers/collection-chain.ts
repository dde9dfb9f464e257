import { ethers, network } from "hardhat";
import type { Address, Hex } from "viem";
import type { CollectionLog, LoanLedger } from "../../../typechain-types";
import type { RecordedAction } from "../../../src/domain/trail";
import { LENDER_ROLE } from "../../../src/chain/roles";
import { DAY, encodeJurisdiction } from "../../../src/domain";

export { DAY } from "../../../src/domain";
export { LENDER_ROLE } from "../../../src/chain/roles";
/** UTC offsets of the fixture's loans 1..6 (the ledger accepts -720..840). */
export const LOAN_OFFSETS = [480, 0, -300, 330, 840, -720] as const;

/**
 * LoanLedger(admin, 2400) + CollectionLog(ledger, admin), `lender` with LENDER_ROLE, six CNY loans
 * of `borrower` (ids 1..6, offsets {@link LOAN_OFFSETS}, 12 installments every 30 days from
 * `firstDue` = 30 days out) and `collector` assigned to all of them.
 */
export async function collectionLogFixture() {
  const [admin, lender, borrower, collector, otherCollector, stranger] = await ethers.getSigners();
  const ledger = (await ethers.deployContract("LoanLedger", [admin.address, 2_400])) as unknown as LoanLedger;
  const log = (await ethers.deployContract("CollectionLog", [await ledger.getAddress(), admin.address])) as unknown as CollectionLog;
  await ledger.grantRole(LENDER_ROLE, lender.address);
  const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  const firstDue = now + 30n * DAY;
  const params = LOAN_OFFSETS.map((utcOffsetMinutes, i) => ({
    borrower: borrower.address,
    borrowerRef: ethers.id(`borrower:trail:${i}`),
    token: ethers.ZeroAddress,
    currency: ethers.hexlify(ethers.toUtf8Bytes("CNY")),
    principal: 1_200_000n,
    contractRateBps: 600,
    utcOffsetMinutes,
    jurisdiction: encodeJurisdiction("CN"),
    schedule: Array.from({ length: 12 }, (_, k) => ({ dueDate: firstDue + BigInt(k) * 30n * DAY, principal: 100_000n, interest: 6_000n })),
  }));
  await ledger.connect(lender).registerLoans(params);
  const loanIds = LOAN_OFFSETS.map((_, i) => BigInt(i + 1));
  await log.connect(lender).assignCollector(loanIds, collector.address);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const logAddress = (await log.getAddress()) as Address;
  return { admin, lender, borrower, collector, otherCollector, stranger, ledger, log, logAddress, chainId, firstDue, loanIds };
}

export type CollectionLogFixture = Awaited<ReturnType<typeof collectionLogFixture>>;

/** Sets the next block's timestamp (strictly after the latest). */
export async function setNextTimestamp(t: bigint): Promise<void> {
  await network.provider.send("evm_setNextBlockTimestamp", [Number(t)]);
}

/** Chain time of the latest block. */
export async function latestTimestamp(): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
}

/** A recorded action with its flags, as decoded from the ActionRecorded events. */
export interface FlaggedAction extends RecordedAction {
  flags: number;
}

/** Every ActionRecorded event of `loanId`, in log order. */
export async function actionsOf(log: CollectionLog, loanId: bigint): Promise<FlaggedAction[]> {
  const events = await log.queryFilter(log.filters.ActionRecorded(loanId));
  return events.map((e) => ({
    loanId: e.args.loanId,
    seq: e.args.seq,
    collector: e.args.collector as Address,
    channel: Number(e.args.channel),
    kind: Number(e.args.kind),
    outcome: Number(e.args.outcome),
    occurredAt: e.args.occurredAt,
    evidenceHash: e.args.evidenceHash as Hex,
    flags: Number(e.args.flags),
    head: e.args.head as Hex,
  }));
}

/** The contract's trailOf, typed for the domain functions. */
export async function trailOf(log: CollectionLog, loanId: bigint): Promise<{ head: Hex; count: bigint }> {
  const [head, count] = await log.trailOf(loanId);
  return { head: head as Hex, count };
}
