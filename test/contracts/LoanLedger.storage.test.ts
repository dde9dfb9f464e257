import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, deployLedgerFixture, tokenLoanParams, type InstallmentStruct } from "./helpers/fixtures";
import { scheduleTuples } from "./helpers/restructure";

/**
 * The bits of a loan's storage as LoanLedgerStorage and LoanBits document them, read with
 * eth_getStorageAt: a refactor of the packing must leave every slot and bit where it was.
 */

/** Slots of LoanLedgerStorage's mappings (its variables come first: LoanLedger inherits it before OpenZeppelin's). */
const LOANS_SLOT = 2n;
const PREVIOUS_SCHEDULES_SLOT = 6n;
const coder = ethers.AbiCoder.defaultAbiCoder();
const MASK_160 = (1n << 160n) - 1n;

/** Word 0 of a loan: schedule (160) | cursor (16) | count (16) | widthStage (8) | status (8) | flags (8) | lastPaidOffset (40). */
interface Word0 {
  schedule: string;
  cursor: bigint;
  count: bigint;
  widthStage: bigint;
  status: bigint;
  flags: bigint;
  lastPaidOffset: bigint;
}

async function word0(ledger: { getAddress(): Promise<string> }, loanId: bigint): Promise<Word0> {
  const slot = BigInt(ethers.keccak256(coder.encode(["uint256", "uint256"], [loanId, LOANS_SLOT])));
  const w = BigInt(await ethers.provider.getStorage(await ledger.getAddress(), slot));
  return {
    schedule: ethers.getAddress(ethers.toBeHex(w & MASK_160, 20)),
    cursor: (w >> 160n) & 0xffffn,
    count: (w >> 176n) & 0xffffn,
    widthStage: (w >> 192n) & 0xffn,
    status: (w >> 200n) & 0xffn,
    flags: (w >> 208n) & 0xffn,
    lastPaidOffset: w >> 216n,
  };
}

/** _previousSchedules[loanId][version]: blob | count << 160 | width << 176. */
async function previousSchedule(ledger: { getAddress(): Promise<string> }, loanId: bigint, version: number): Promise<bigint> {
  const inner = ethers.keccak256(coder.encode(["uint256", "uint256"], [loanId, PREVIOUS_SCHEDULES_SLOT]));
  const slot = BigInt(ethers.keccak256(coder.encode(["uint16", "bytes32"], [version, inner])));
  return BigInt(await ethers.provider.getStorage(await ledger.getAddress(), slot));
}

/** widthStage: width in bits 0-3, reminder stage in bits 4-7. */
const widthStage = (width: bigint, stage: bigint) => width | (stage << 4n);
/** flags: bit 0 defaulted, bit 1 observation, bits 2-3 on-time streak, bits 4-6 recorded classification. */
const flags = (f: { defaulted?: boolean; observation?: boolean; streak?: bigint; classification?: bigint }) =>
  (f.defaulted ? 1n : 0n) | (f.observation ? 2n : 0n) | ((f.streak ?? 0n) << 2n) | ((f.classification ?? 0n) << 4n);

const SUBSTANDARD = 2n;

describe("LoanLedger: storage layout (LoanLedgerStorage, LoanBits)", function () {
  async function loanFixture() {
    const f = await deployLedgerFixture();
    // 12 installments of 1,000.00 + 60.00 (6 decimals): the largest amount, 0x3b9aca00, needs 4 bytes.
    const params = await tokenLoanParams(f.borrower.address, await f.token.getAddress());
    await f.ledger.connect(f.lender).registerLoan(params);
    return { ...f, schedule: params.schedule as InstallmentStruct[], loanId: 1n };
  }

  it("registration writes word 0: the blob, count 12, width 4 at stage 0, Active, no flags", async function () {
    const { ledger, loanId } = await loadFixture(loanFixture);
    const w = await word0(ledger, loanId);
    expect(w).to.deep.include({ cursor: 0n, count: 12n, widthStage: widthStage(4n, 0n), status: 0n, flags: 0n, lastPaidOffset: 0n });
    // The blob is the SSTORE2 data contract: a STOP byte, the 146-byte header, 12 x (5 + 2 x 4) bytes.
    expect(ethers.dataLength(await ethers.provider.getCode(w.schedule))).to.equal(1 + 146 + 12 * (5 + 2 * 4));
  });

  it("a poke moves the reminder stage in bits 4-7; lateness sets the defaulted bit and the classification in bits 4-6", async function () {
    const { ledger, keeper, schedule, loanId } = await loadFixture(loanFixture);
    const due = BigInt(schedule[0].dueDate);
    await time.increaseTo(due - 3n * DAY);
    await ledger.connect(keeper).poke([loanId]);
    expect((await word0(ledger, loanId)).widthStage).to.equal(widthStage(4n, 1n));

    // 91 days late: all 7 reminder stages have come due, Substandard (> 90), defaulted (> 90).
    await time.increaseTo(due + 91n * DAY);
    await ledger.connect(keeper).poke([loanId]);
    const w = await word0(ledger, loanId);
    expect(w.widthStage).to.equal(widthStage(4n, 7n));
    expect(w.flags).to.equal(flags({ defaulted: true, classification: SUBSTANDARD }));
    const s = await ledger.loanState(loanId);
    expect([s.defaulted, s.observation, s.classification, s.cursor]).to.deep.equal([true, false, SUBSTANDARD, 0n]);
  });

  it("a restructuring keeps the old version in one word and restarts word 0; on-time payments count a streak that saturates at 3", async function () {
    const { ledger, keeper, lender, borrower, schedule, loanId } = await loadFixture(loanFixture);
    const due = BigInt(schedule[0].dueDate);
    await time.increaseTo(due + 91n * DAY);
    await ledger.connect(keeper).poke([loanId]);
    const before = await word0(ledger, loanId);

    // Version 2: the outstanding 12,000.00 on the first of six installments, so the widest
    // amount (12,000,000,100) needs 5 bytes.
    const now = BigInt(await time.latest());
    const v2: InstallmentStruct[] = Array.from({ length: 6 }, (_, i) => ({
      dueDate: now + BigInt(i + 1) * 30n * DAY,
      principal: i === 0 ? 11_999_999_995n : 1n,
      interest: 100n,
    }));
    await ledger.connect(lender).proposeRestructure(loanId, v2);
    await ledger.connect(borrower).acceptRestructure(loanId, v2);
    const restructuredAt = BigInt(await time.latest());

    const previous = await previousSchedule(ledger, loanId, 1);
    expect(previous).to.equal(BigInt(before.schedule) | (12n << 160n) | (4n << 176n));
    expect(await ledger.scheduleOf(loanId, 1)).to.deep.equal(scheduleTuples(schedule));

    let w = await word0(ledger, loanId);
    expect(w.schedule).to.not.equal(before.schedule);
    expect(w).to.deep.include({ cursor: 0n, count: 6n, widthStage: widthStage(5n, 0n), status: 0n, lastPaidOffset: 0n });
    // Observation on, streak 0; the defaulted bit and the recorded classification stay.
    expect(w.flags).to.equal(flags({ defaulted: true, observation: true, classification: SUBSTANDARD }));

    // Four installments paid before they are due: the streak counts 1, 2, 3 and stays at 3; the
    // first payment records Normal (nothing overdue), the defaulted bit stays.
    for (let k = 0; k < 4; k++) {
      await ledger.connect(borrower).repay(loanId, BigInt(v2[k].principal) + BigInt(v2[k].interest));
      w = await word0(ledger, loanId);
      expect(w.cursor).to.equal(BigInt(k + 1));
      expect(w.flags).to.equal(flags({ defaulted: true, observation: true, streak: BigInt(Math.min(k + 1, 3)) }));
    }
    expect(w.widthStage).to.equal(widthStage(5n, 0n));
    expect(w.lastPaidOffset).to.equal(BigInt(await time.latest()) - restructuredAt);
    const s = await ledger.loanState(loanId);
    expect([s.defaulted, s.observation, s.classification, s.cursor]).to.deep.equal([true, true, 0n, 4n]);
  });
});
