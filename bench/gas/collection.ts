import { ethers, network } from "hardhat";
import type { Signer } from "ethers";
import type { Address } from "viem";
import type { CollectionLog, LoanLedger } from "../../typechain-types";
import { plainTypes, recordActionTypedData } from "../../src/chain/typed-data";
import { DAY, encodeJurisdiction } from "../../src/domain";

/** The chain clock when this scenario starts, 2030-07-01T00:00:00Z (after the ledger scenario's dates): fixed calldata, reproducible figures. */
const START = BigInt(Date.UTC(2030, 6, 1) / 1000);

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<number> {
  const rc = await (await tx).wait();
  return Number(rc!.gasUsed);
}

/** The collector's EIP-712 signature of a RecordAction at its current nonce (src/chain/typed-data.ts). */
async function signAction(
  log: CollectionLog,
  collector: Signer,
  action: { loanId: bigint; channel: number; kind: number; outcome: number; occurredAt: bigint; evidenceHash: string },
  deadline: bigint,
): Promise<string> {
  const address = (await collector.getAddress()) as Address;
  const td = recordActionTypedData({
    chainId: (await ethers.provider.getNetwork()).chainId,
    collectionLog: (await log.getAddress()) as Address,
    action: { ...action, evidenceHash: action.evidenceHash as `0x${string}` },
    collector: address,
    nonce: await log.nonces(address),
    deadline,
  });
  return collector.signTypedData(td.domain as Record<string, unknown>, plainTypes(td.types), td.message);
}

/** CollectionLog: a collector's calls on overdue loans, a signed action relayed by a non-assigned account, and a batch anchor. */
export async function collectionScenarios(): Promise<Record<string, number>> {
  const [admin, lender, borrower, collector, relayer] = await ethers.getSigners();
  const ledger = (await ethers.deployContract("LoanLedger", [admin.address, 2_400])) as unknown as LoanLedger;
  const log = (await ethers.deployContract("CollectionLog", [await ledger.getAddress(), admin.address])) as unknown as CollectionLog;
  await ledger.grantRole(await ledger.LENDER_ROLE(), lender.address);
  const latest = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  if (START <= latest) throw new Error(`bench:gas: the chain clock (${latest}) is past ${START}; move the scenario's fixed dates on`);
  await network.provider.send("evm_setNextBlockTimestamp", [Number(START)]);
  await network.provider.send("evm_mine", []);
  const firstDue = START + 10n * DAY;
  const loan = (i: number) => ({
    borrower: borrower.address,
    borrowerRef: ethers.id(`bench-${i}`),
    token: ethers.ZeroAddress,
    currency: ethers.hexlify(ethers.toUtf8Bytes("CNY")),
    principal: 1_200_000n,
    contractRateBps: 600,
    utcOffsetMinutes: 480,
    jurisdiction: encodeJurisdiction("CN"),
    schedule: Array.from({ length: 12 }, (_, k) => ({ dueDate: firstDue + BigInt(k) * 30n * DAY, principal: 100_000n, interest: 6_000n })),
  });
  await ledger.connect(lender).registerLoans([loan(1), loan(2)]);
  await log.connect(lender).assignCollector([1n, 2n], collector.address);
  // Loans 3..12, for the placement paths below.
  await ledger.connect(lender).registerLoans(Array.from({ length: 10 }, (_, i) => loan(3 + i)));
  // 20 days past due, 10:00 in the borrower's UTC+8: a connected call, no flags.
  const at = firstDue + 20n * DAY + 2n * 3_600n;
  await network.provider.send("evm_setNextBlockTimestamp", [Number(at)]);
  await network.provider.send("evm_mine", []);
  const c = log.connect(collector);
  const out: Record<string, number> = {};
  out["recordAction/first"] = await gasOf(c.recordAction(1, 0, 1, 200, at, ethers.id("recording-1")));
  out["recordAction/next"] = await gasOf(c.recordAction(1, 0, 1, 200, at, ethers.id("recording-2")));
  // A signed action on loan 1 (which has actions), submitted by a relayer that is not assigned. The
  // collector has signed before (on loan 2), so its nonce slot is not fresh: the steady state, as
  // recordAction/next measures a trail that is not fresh.
  const deadline = at + DAY;
  const warmUp = { loanId: 2n, channel: 0, kind: 1, outcome: 200, occurredAt: at, evidenceHash: ethers.id("recording-w") };
  await log.connect(relayer).recordActionBySig(warmUp, collector.address, deadline, await signAction(log, collector, warmUp, deadline));
  const signed = { loanId: 1n, channel: 0, kind: 1, outcome: 200, occurredAt: at, evidenceHash: ethers.id("recording-3") };
  const signature = await signAction(log, collector, signed, deadline);
  out["recordActionBySig/next"] = await gasOf(log.connect(relayer).recordActionBySig(signed, collector.address, deadline, signature));
  // The same with the loan's jurisdiction (CN) under contact rules, as after the deploy step loads the
  // built-in profiles: one more storage read and the rules applied to the lender's policy.
  await log.connect(admin).setJurisdictionRules(encodeJurisdiction("CN"), { contactStartHour: 8, contactEndHour: 22, maxConnectedCallsPerDay: 3, maxCallAttemptsPer7Days: 0, coolDownDaysAfterConversation: 0 });
  out["recordAction/jurisdictionRules"] = await gasOf(c.recordAction(1, 0, 1, 200, at, ethers.id("recording-4")));
  // Ten more of the lender's loans (3..12) placed with an agency for 90 days, one worked by the agency's collector.
  const [, , , , , agency, agencyCollector] = await ethers.getSigners();
  const placed = Array.from({ length: 10 }, (_, i) => BigInt(3 + i));
  const placedAt = at + 60n;
  out["placement/create"] = await gasOf(log.connect(lender).placeLoans(placed, agency.address, 1_500, placedAt, placedAt + 90n * DAY));
  await network.provider.send("evm_setNextBlockTimestamp", [Number(placedAt)]);
  out["placement/assignCollector"] = await gasOf(log.connect(agency).assignAgencyCollector(1n, [3n], agencyCollector.address));
  await log.connect(agencyCollector).recordAction(3, 0, 1, 200, placedAt, ethers.id("recording-a1"));
  out["placement/recordAction/next"] = await gasOf(log.connect(agencyCollector).recordAction(3, 0, 1, 200, placedAt, ethers.id("recording-a2")));
  out["placement/recall"] = await gasOf(log.connect(lender).recallPlacement(1n));
  out.anchorBatch = await gasOf(c.anchorBatch(ethers.id("root-1"), 1_000, "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"));
  // A collector's batch: the first action on each of 100 more loans, in one recordActions.
  const firstBatchId = (await ledger.loanCount()) + 1n;
  const laterDue = placedAt + 10n * DAY;
  const later = (i: number) => ({ ...loan(i), schedule: loan(i).schedule.map((x, k) => ({ ...x, dueDate: laterDue + BigInt(k) * 30n * DAY })) });
  for (let i = 0; i < 100; i += 25) await ledger.connect(lender).registerLoans(Array.from({ length: 25 }, (_, k) => later(100 + i + k)));
  const batchIds = Array.from({ length: 100 }, (_, i) => firstBatchId + BigInt(i));
  await log.connect(lender).assignCollector(batchIds, collector.address);
  const batchAt = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  const batch = batchIds.map((loanId, i) => ({ loanId, channel: 1, kind: 1, outcome: 200, occurredAt: batchAt, evidenceHash: ethers.id(`batch-${i}`) }));
  out["recordActions/100"] = await gasOf(c.recordActions(batch));
  return out;
}
