import { ethers, network } from "hardhat";
import type { CollectionLog, LoanLedger } from "../../typechain-types";

const DAY = 86_400n;

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<number> {
  const rc = await (await tx).wait();
  return Number(rc!.gasUsed);
}

/** CollectionLog: a collector's calls on overdue loans, and a batch anchor. */
export async function collectionScenarios(): Promise<Record<string, number>> {
  const [admin, lender, borrower, collector] = await ethers.getSigners();
  const ledger = (await ethers.deployContract("LoanLedger", [admin.address, 2_400])) as unknown as LoanLedger;
  const log = (await ethers.deployContract("CollectionLog", [await ledger.getAddress(), admin.address])) as unknown as CollectionLog;
  await ledger.grantRole(await ledger.LENDER_ROLE(), lender.address);
  const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  const firstDue = now + 10n * DAY;
  const loan = (i: number) => ({
    borrower: borrower.address,
    borrowerRef: ethers.id(`bench-${i}`),
    token: ethers.ZeroAddress,
    currency: ethers.hexlify(ethers.toUtf8Bytes("CNY")),
    principal: 1_200_000n,
    contractRateBps: 600,
    utcOffsetMinutes: 480,
    schedule: Array.from({ length: 12 }, (_, k) => ({ dueDate: firstDue + BigInt(k) * 30n * DAY, principal: 100_000n, interest: 6_000n })),
  });
  await ledger.connect(lender).registerLoans([loan(1), loan(2)]);
  await log.connect(lender).assignCollector([1n, 2n], collector.address);
  // 20 days past due, 10:00 in the borrower's UTC+8: a connected call, no flags.
  const at = firstDue + 20n * DAY + 2n * 3_600n;
  await network.provider.send("evm_setNextBlockTimestamp", [Number(at)]);
  await network.provider.send("evm_mine", []);
  const c = log.connect(collector);
  const out: Record<string, number> = {};
  out["recordAction/first"] = await gasOf(c.recordAction(1, 0, 1, 200, at, ethers.id("recording-1")));
  out["recordAction/next"] = await gasOf(c.recordAction(1, 0, 1, 200, at, ethers.id("recording-2")));
  out.anchorBatch = await gasOf(c.anchorBatch(ethers.id("root-1"), 1_000, "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"));
  return out;
}
