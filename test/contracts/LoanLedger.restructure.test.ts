import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { DAY, WATERFALL_INSTALLMENT, waterfallLoansFixture, type InstallmentStruct, type WaterfallFixture } from "./helpers/fixtures";
import { createWalletClient, custom, type Address } from "viem";
import { restructureData, restructureNonce, scheduleHash, scheduleTuples, signRestructure } from "./helpers/restructure";

const A = WATERFALL_INSTALLMENT; // 1,020.00
/** A contract wallet whose isValidSignature always returns the ERC-1271 magic value 0x1626ba7e. */
const ERC1271_ACCEPTING_WALLET_INITCODE = "0x6f631626ba7e60e01b60005260206000f360005260106010f3";
/** A contract wallet whose every call returns 32 zero bytes (isValidSignature = 0x00000000). */
const ERC1271_REJECTING_WALLET_INITCODE = "0x6460206000f36000526005601bf3";

/** Deploys raw creation code and returns the new contract's address. */
async function deployRaw(deployer: Signer, initcode: string): Promise<string> {
  const receipt = await (await deployer.sendTransaction({ data: initcode })).wait();
  return receipt!.contractAddress!;
}
const BANK_REF = ethers.id("restructure test");
const YEAR = 365n * DAY;

/** A version-2 schedule for the 2,000.00 left after installment 0: due `start` + 30d, + 60d, + 400d. */
function newSchedule(start: bigint, principal = 2_000_000_000n): InstallmentStruct[] {
  return [
    { dueDate: start + 30n * DAY, principal: principal / 4n, interest: 5_000_000n },
    { dueDate: start + 60n * DAY, principal: principal / 4n, interest: 5_000_000n },
    { dueDate: start + 400n * DAY, principal: principal - 2n * (principal / 4n), interest: 10_000_000n },
  ];
}

describe("LoanLedger: restructuring", function () {
  /**
   * waterfallLoansFixture with installment 0 of both loans paid on time (at D1 - 2d), so 2,000.00
   * principal and 40.00 interest are outstanding; `now` = D1 - 1d is where the tests start.
   */
  async function restructureFixture() {
    const f = await waterfallLoansFixture();
    const paidAt = f.due[0] - 2n * DAY;
    await time.setNextBlockTimestamp(paidAt);
    await f.ledger.connect(f.borrower).repay(f.tokenLoanId, A);
    await f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, A, paidAt, BANK_REF);
    const now = f.due[0] - DAY;
    await time.increaseTo(now);
    return { ...f, now, schedule2: newSchedule(now) };
  }

  async function sign(f: WaterfallFixture, loanId: bigint, schedule: InstallmentStruct[], opts: { version?: bigint; nonce?: bigint; deadline?: bigint; signer?: typeof f.borrower } = {}) {
    const deadline = opts.deadline ?? BigInt(await time.latest()) + DAY;
    const signature = await signRestructure(opts.signer ?? f.borrower, f.ledger, {
      loanId,
      version: opts.version ?? 2n,
      schedule,
      nonce: opts.nonce ?? (await restructureNonce(f.ledger, f.borrower.address, loanId)),
      deadline,
    });
    return { signature, deadline };
  }

  describe("proposeRestructure + acceptRestructure", function () {
    it("the lender proposes, the borrower accepts: version 2 replaces version 1, which stays readable", async function () {
      const f = await loadFixture(restructureFixture);
      const hash = scheduleHash(f.schedule2);
      await expect(f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, f.schedule2))
        .to.emit(f.ledger, "RestructureProposed")
        .withArgs(f.tokenLoanId, 2, hash, scheduleTuples(f.schedule2));
      expect(await f.ledger.pendingRestructure(f.tokenLoanId)).to.equal(hash);

      const at = f.now + 100n;
      await time.setNextBlockTimestamp(at);
      // Outstanding: 2,000.00 principal; the 40.00 unpaid interest of version 1 is replaced; nothing forgiven.
      await expect(f.ledger.connect(f.borrower).acceptRestructure(f.tokenLoanId, f.schedule2))
        .to.emit(f.ledger, "LoanRestructured")
        .withArgs(f.tokenLoanId, 2, 2_000_000_000n, 40_000_000n, 0n, hash, scheduleTuples(f.schedule2));

      expect(await f.ledger.pendingRestructure(f.tokenLoanId)).to.equal(ethers.ZeroHash);
      const t = await f.ledger.loanTerms(f.tokenLoanId);
      expect(t.version).to.equal(2n);
      expect(t.installmentCount).to.equal(3n);
      expect(t.principal).to.equal(2_000_000_000n);
      expect(t.startedAt).to.equal(at);
      expect(await f.ledger.scheduleOf(f.tokenLoanId, 1)).to.deep.equal(scheduleTuples(f.schedule));
      expect(await f.ledger.scheduleOf(f.tokenLoanId, 2)).to.deep.equal(scheduleTuples(f.schedule2));
      await expect(f.ledger.scheduleOf(f.tokenLoanId, 3)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerUnknownVersion").withArgs(f.tokenLoanId, 3);
      const s = await f.ledger.loanState(f.tokenLoanId);
      expect(s.cursor).to.equal(0n);
      expect(s.observation).to.equal(true);
      expect(s.nextDueDate).to.equal(f.schedule2[0].dueDate);
      expect(s.outstandingPrincipal).to.equal(2_000_000_000n);
      expect(s.outstandingInterest).to.equal(20_000_000n);
    });

    it("forgives the unpaid penalties of a late loan and reports them, and keeps the defaulted flag", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      // No payment; poked at D1 + 91d so it has defaulted. Penalty outstanding then: 91,740,000 (see the poke tests).
      await time.setNextBlockTimestamp(f.due[0] + 91n * DAY);
      await f.ledger.poke([f.tokenLoanId]);
      const start = f.due[0] + 91n * DAY + 10n;
      const schedule = newSchedule(start, 3_000_000_000n);
      await f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, schedule);
      await time.setNextBlockTimestamp(start);
      await expect(f.ledger.connect(f.borrower).acceptRestructure(f.tokenLoanId, schedule))
        .to.emit(f.ledger, "LoanRestructured")
        .withArgs(f.tokenLoanId, 2, 3_000_000_000n, 60_000_000n, 91_740_000n, scheduleHash(schedule), scheduleTuples(schedule));
      const s = await f.ledger.loanState(f.tokenLoanId);
      expect(s.dpd).to.equal(0n);
      expect(s.penaltyOutstanding).to.equal(0n);
      expect(s.amountOverdue).to.equal(0n);
      expect(s.defaulted).to.equal(true);
    });

    it("refuses an acceptance by anyone but the borrower", async function () {
      const f = await loadFixture(restructureFixture);
      await f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, f.schedule2);
      for (const account of [f.lender, f.stranger]) {
        await expect(f.ledger.connect(account).acceptRestructure(f.tokenLoanId, f.schedule2))
          .to.be.revertedWithCustomError(f.ledger, "LoanLedgerNotBorrower")
          .withArgs(account.address, f.tokenLoanId);
      }
    });

    it("refuses an acceptance with nothing proposed, or once the proposal was accepted", async function () {
      const f = await loadFixture(restructureFixture);
      await expect(f.ledger.connect(f.borrower).acceptRestructure(f.tokenLoanId, f.schedule2))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerNoPendingRestructure")
        .withArgs(f.tokenLoanId);
      await f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, f.schedule2);
      await f.ledger.connect(f.borrower).acceptRestructure(f.tokenLoanId, f.schedule2);
      await expect(f.ledger.connect(f.borrower).acceptRestructure(f.tokenLoanId, f.schedule2))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerNoPendingRestructure")
        .withArgs(f.tokenLoanId);
    });

    it("refuses a schedule other than the one proposed", async function () {
      const f = await loadFixture(restructureFixture);
      await f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, f.schedule2);
      const other = f.schedule2.map((i, k) => (k === 0 ? { ...i, interest: 4_000_000n } : i));
      await expect(f.ledger.connect(f.borrower).acceptRestructure(f.tokenLoanId, other))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerScheduleMismatch")
        .withArgs(scheduleHash(f.schedule2), scheduleHash(other));
    });

    it("checks the principal when the proposal is accepted, against what is outstanding then", async function () {
      const f = await loadFixture(restructureFixture);
      // Proposed for 2,000.00, but 100.00 more is paid (20.00 interest + 80.00 principal) before the borrower accepts.
      await f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, f.schedule2);
      await f.ledger.connect(f.borrower).repay(f.tokenLoanId, 100_000_000n);
      await expect(f.ledger.connect(f.borrower).acceptRestructure(f.tokenLoanId, f.schedule2))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerPrincipalMismatch")
        .withArgs(1_920_000_000n, 2_000_000_000n);
    });

    it("refuses to accept once a proposed due date has passed", async function () {
      const f = await loadFixture(restructureFixture);
      await f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, f.schedule2);
      const at = BigInt(f.schedule2[0].dueDate) + 1n;
      await time.setNextBlockTimestamp(at);
      await expect(f.ledger.connect(f.borrower).acceptRestructure(f.tokenLoanId, f.schedule2))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerDueDateNotInFuture")
        .withArgs(0n, f.schedule2[0].dueDate, at);
    });

    it("refuses to propose or accept on a loan that is not Active", async function () {
      const f = await loadFixture(restructureFixture);
      await f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, f.schedule2);
      await f.ledger.connect(f.lender).chargeOff(f.tokenLoanId);
      await expect(f.ledger.connect(f.borrower).acceptRestructure(f.tokenLoanId, f.schedule2))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotActive")
        .withArgs(f.tokenLoanId, 1);
      await expect(f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, f.schedule2))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotActive")
        .withArgs(f.tokenLoanId, 1);
    });

    it("validates the proposed schedule like a registration (except the principal)", async function () {
      const f = await loadFixture(restructureFixture);
      await expect(f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, [])).to.be.revertedWithCustomError(f.ledger, "LoanLedgerEmptySchedule").withArgs();
      const swapped = [f.schedule2[1], f.schedule2[0]];
      await expect(f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, swapped))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerDueDatesNotIncreasing")
        .withArgs(1n, f.schedule2[1].dueDate, f.schedule2[0].dueDate);
      // A principal different from the outstanding one is accepted at proposal time.
      await expect(f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, newSchedule(f.now, 1_000n))).to.emit(f.ledger, "RestructureProposed");
    });

    it("refuses a proposal by anyone but the loan's lender", async function () {
      const f = await loadFixture(restructureFixture);
      for (const account of [f.otherLender, f.servicer, f.borrower]) {
        await expect(f.ledger.connect(account).proposeRestructure(f.tokenLoanId, f.schedule2))
          .to.be.revertedWithCustomError(f.ledger, "LoanLedgerNotLender")
          .withArgs(account.address, f.tokenLoanId);
      }
    });
  });

  describe("restructureWithSignature (EIP-712)", function () {
    it("applies a restructuring the borrower signed and uses the borrower's nonce for that loan", async function () {
      const f = await loadFixture(restructureFixture);
      // NoncesKeyed: the key (the loan id) in the high 192 bits, the count in the low 64.
      const key = f.tokenLoanId << 64n;
      expect(await restructureNonce(f.ledger, f.borrower.address, f.tokenLoanId)).to.equal(key);
      const { signature, deadline } = await sign(f, f.tokenLoanId, f.schedule2);
      await expect(f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, f.schedule2, deadline, signature))
        .to.emit(f.ledger, "LoanRestructured")
        .withArgs(f.tokenLoanId, 2, 2_000_000_000n, 40_000_000n, 0n, scheduleHash(f.schedule2), scheduleTuples(f.schedule2));
      expect(await restructureNonce(f.ledger, f.borrower.address, f.tokenLoanId)).to.equal(key + 1n);
      // The other loan's nonce and the unkeyed one are untouched.
      expect(await restructureNonce(f.ledger, f.borrower.address, f.fiatLoanId)).to.equal(f.fiatLoanId << 64n);
      expect(await f.ledger["nonces(address)"](f.borrower.address)).to.equal(0n);
      expect((await f.ledger.loanTerms(f.tokenLoanId)).version).to.equal(2n);
      expect(await f.ledger.scheduleOf(f.tokenLoanId, 1)).to.deep.equal(scheduleTuples(f.schedule));
    });

    it("clears a pending proposal", async function () {
      const f = await loadFixture(restructureFixture);
      await f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, f.schedule2);
      const { signature, deadline } = await sign(f, f.tokenLoanId, f.schedule2);
      await f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, f.schedule2, deadline, signature);
      expect(await f.ledger.pendingRestructure(f.tokenLoanId)).to.equal(ethers.ZeroHash);
    });

    it("accepts a deadline equal to the block time and refuses one second later", async function () {
      const f = await loadFixture(restructureFixture);
      const deadline = f.now + 1_000n;
      const { signature } = await sign(f, f.tokenLoanId, f.schedule2, { deadline });
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, f.schedule2, deadline, signature))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerExpiredSignature")
        .withArgs(deadline);
      const later = deadline + 10n;
      const fresh = await sign(f, f.tokenLoanId, f.schedule2, { deadline: later });
      await time.setNextBlockTimestamp(later);
      await expect(f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, f.schedule2, later, fresh.signature)).to.emit(f.ledger, "LoanRestructured");
    });

    it("refuses a signature by anyone but the borrower", async function () {
      const f = await loadFixture(restructureFixture);
      for (const signer of [f.stranger, f.lender]) {
        const { signature, deadline } = await sign(f, f.tokenLoanId, f.schedule2, { signer });
        await expect(f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, f.schedule2, deadline, signature))
          .to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidSignature")
          .withArgs(f.borrower.address);
      }
    });

    it("refuses a signature over another schedule, loan or version", async function () {
      const f = await loadFixture(restructureFixture);
      const other = newSchedule(f.now + DAY);
      const cases = [
        await sign(f, f.tokenLoanId, other),
        await sign(f, f.fiatLoanId, f.schedule2),
        await sign(f, f.tokenLoanId, f.schedule2, { version: 3n }),
        await sign(f, f.tokenLoanId, f.schedule2, { nonce: 1n }),
      ];
      for (const { signature, deadline } of cases) {
        await expect(f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, f.schedule2, deadline, signature))
          .to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidSignature")
          .withArgs(f.borrower.address);
      }
    });

    it("refuses a replay of a used signature", async function () {
      const f = await loadFixture(restructureFixture);
      const { signature, deadline } = await sign(f, f.tokenLoanId, f.schedule2);
      await f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, f.schedule2, deadline, signature);
      await expect(f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, f.schedule2, deadline, signature))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidSignature")
        .withArgs(f.borrower.address);
    });

    // Issue 13 item 16: with one nonce per borrower, accepting the offer on one loan invalidated the
    // signed offer on the borrower's other loan.
    it("accepts two offers on two loans of the same borrower, both signed before either is applied", async function () {
      const f = await loadFixture(restructureFixture);
      const forToken = await sign(f, f.tokenLoanId, f.schedule2);
      const forFiat = await sign(f, f.fiatLoanId, f.schedule2);
      await expect(f.ledger.connect(f.lender).restructureWithSignature(f.fiatLoanId, f.schedule2, forFiat.deadline, forFiat.signature)).to.emit(
        f.ledger,
        "LoanRestructured",
      );
      await expect(f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, f.schedule2, forToken.deadline, forToken.signature)).to.emit(
        f.ledger,
        "LoanRestructured",
      );
      expect((await f.ledger.loanTerms(f.tokenLoanId)).version).to.equal(2n);
      expect((await f.ledger.loanTerms(f.fiatLoanId)).version).to.equal(2n);
    });

    it("refuses a signature with another loan's nonce, or the unkeyed nonce", async function () {
      const f = await loadFixture(restructureFixture);
      for (const nonce of [await restructureNonce(f.ledger, f.borrower.address, f.fiatLoanId), 0n]) {
        const { signature, deadline } = await sign(f, f.tokenLoanId, f.schedule2, { nonce });
        await expect(f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, f.schedule2, deadline, signature))
          .to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidSignature")
          .withArgs(f.borrower.address);
      }
    });

    /**
     * What a dapp sends a wallet: viem's signTypedData of the typed data of src/chain/typed-data.ts,
     * through a transport that records the eth_signTypedData_v4 request the node (the wallet) gets.
     * The installments themselves are in that request, and its signature is what the contract accepts.
     */
    it("accepts the wallet-visible typed data built with viem, which shows the installments", async function () {
      const f = await loadFixture(restructureFixture);
      const deadline = f.now + DAY;
      const td = await restructureData(f.ledger, {
        loanId: f.tokenLoanId,
        version: 2n,
        schedule: f.schedule2,
        nonce: await restructureNonce(f.ledger, f.borrower.address, f.tokenLoanId),
        deadline,
      });
      const requests: { method: string; params: unknown[] }[] = [];
      const wallet = createWalletClient({
        account: f.borrower.address as Address,
        transport: custom({
          async request({ method, params }: { method: string; params: unknown[] }) {
            requests.push({ method, params });
            return ethers.provider.send(method, params);
          },
        }),
      });
      const signature = await wallet.signTypedData(td);
      expect(requests.map((r) => r.method)).to.deep.equal(["eth_signTypedData_v4"]);
      const shown = JSON.parse(requests[0]!.params[1] as string) as {
        domain: { name: string; verifyingContract: string };
        primaryType: string;
        message: { loanId: string; version: number; schedule: { dueDate: string; principal: string; interest: string }[] };
      };
      expect([shown.domain.name, shown.domain.verifyingContract, shown.primaryType]).to.deep.equal([
        "Duetrail LoanLedger",
        await f.ledger.getAddress(),
        "Restructure",
      ]);
      expect([shown.message.loanId, shown.message.version]).to.deep.equal([String(f.tokenLoanId), 2]);
      expect(shown.message.schedule.map((i) => [i.dueDate, i.principal, i.interest])).to.deep.equal(
        f.schedule2.map((i) => [String(i.dueDate), String(i.principal), String(i.interest)]),
      );
      await expect(f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, f.schedule2, deadline, signature)).to.emit(f.ledger, "LoanRestructured");
    });

    it("refuses principal parts that do not sum to the outstanding principal", async function () {
      const f = await loadFixture(restructureFixture);
      const schedule = newSchedule(f.now, 2_000_000_001n);
      const { signature, deadline } = await sign(f, f.tokenLoanId, schedule);
      await expect(f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, schedule, deadline, signature))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerPrincipalMismatch")
        .withArgs(2_000_000_000n, 2_000_000_001n);
    });

    it("refuses a submission by anyone but the loan's lender, and a loan that is not Active", async function () {
      const f = await loadFixture(restructureFixture);
      const { signature, deadline } = await sign(f, f.tokenLoanId, f.schedule2);
      for (const account of [f.borrower, f.otherLender, f.servicer]) {
        await expect(f.ledger.connect(account).restructureWithSignature(f.tokenLoanId, f.schedule2, deadline, signature))
          .to.be.revertedWithCustomError(f.ledger, "LoanLedgerNotLender")
          .withArgs(account.address, f.tokenLoanId);
      }
      await f.ledger.connect(f.lender).chargeOff(f.tokenLoanId);
      await expect(f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, f.schedule2, deadline, signature))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotActive")
        .withArgs(f.tokenLoanId, 1);
    });

    it("accepts the approval of a contract borrower through ERC-1271", async function () {
      const f = await loadFixture(restructureFixture);
      const wallet = await deployRaw(f.admin, ERC1271_ACCEPTING_WALLET_INITCODE);
      const rejecting = await deployRaw(f.admin, ERC1271_REJECTING_WALLET_INITCODE);
      for (const borrower of [wallet, rejecting]) {
        await f.ledger.connect(f.lender).registerLoan({ ...f.tokenParams, borrower, schedule: newSchedule(f.now, 3_000_000_000n) });
      }
      const deadline = f.now + DAY;
      // Both loans are untouched: 3,000.00 outstanding. The accepting wallet approves any digest.
      const schedule = newSchedule(f.now + DAY, 3_000_000_000n);
      await expect(f.ledger.connect(f.lender).restructureWithSignature(3n, schedule, deadline, "0x")).to.emit(f.ledger, "LoanRestructured");
      await expect(f.ledger.connect(f.lender).restructureWithSignature(4n, schedule, deadline, "0x"))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidSignature")
        .withArgs(rejecting);
    });

    it("asks for version 3 after a second restructuring, and keeps every version readable", async function () {
      const f = await loadFixture(restructureFixture);
      const first = await sign(f, f.tokenLoanId, f.schedule2);
      await f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, f.schedule2, first.deadline, first.signature);
      const schedule3 = newSchedule(f.now + 5n * DAY);
      const stale = await sign(f, f.tokenLoanId, schedule3, { version: 2n });
      await expect(f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, schedule3, stale.deadline, stale.signature))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidSignature")
        .withArgs(f.borrower.address);
      const second = await sign(f, f.tokenLoanId, schedule3, { version: 3n });
      await expect(f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, schedule3, second.deadline, second.signature))
        .to.emit(f.ledger, "LoanRestructured")
        .withArgs(f.tokenLoanId, 3, 2_000_000_000n, 20_000_000n, 0n, scheduleHash(schedule3), scheduleTuples(schedule3));
      expect(await f.ledger.scheduleOf(f.tokenLoanId, 1)).to.deep.equal(scheduleTuples(f.schedule));
      expect(await f.ledger.scheduleOf(f.tokenLoanId, 2)).to.deep.equal(scheduleTuples(f.schedule2));
      expect(await f.ledger.scheduleOf(f.tokenLoanId, 3)).to.deep.equal(scheduleTuples(schedule3));
    });
  });

  describe("after a restructuring", function () {
    /** restructureFixture with the token loan restructured (signature) to schedule2 at `restructuredAt`. */
    async function restructuredFixture() {
      const f = await restructureFixture();
      const { signature, deadline } = await sign(f, f.tokenLoanId, f.schedule2);
      const restructuredAt = f.now + 1n;
      await time.setNextBlockTimestamp(restructuredAt);
      await f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, f.schedule2, deadline, signature);
      const due2 = f.schedule2.map((i) => BigInt(i.dueDate));
      return { ...f, restructuredAt, due2 };
    }

    /** Each version-2 installment is 500.00 + 5.00, 500.00 + 5.00, 1,000.00 + 10.00. */
    const V2 = [505_000_000n, 505_000_000n, 1_010_000_000n];

    async function payAt(f: Awaited<ReturnType<typeof restructuredFixture>>, amount: bigint, at: bigint) {
      await time.setNextBlockTimestamp(at);
      return f.ledger.connect(f.borrower).repay(f.tokenLoanId, amount);
    }

    it("ends observation after two on-time payments, a year, and nothing overdue (by a poke)", async function () {
      const f = await loadFixture(restructuredFixture);
      await payAt(f, V2[0], f.due2[0]);
      await payAt(f, V2[1], f.due2[1]);
      expect((await f.ledger.loanState(f.tokenLoanId)).observation).to.equal(true);
      // A day short of the year: nothing to end yet.
      await time.setNextBlockTimestamp(f.restructuredAt + YEAR - 1n);
      await expect(f.ledger.poke([f.tokenLoanId])).to.not.emit(f.ledger, "ObservationEnded");
      await time.setNextBlockTimestamp(f.restructuredAt + YEAR);
      await expect(f.ledger.poke([f.tokenLoanId])).to.emit(f.ledger, "ObservationEnded").withArgs(f.tokenLoanId);
      expect((await f.ledger.loanState(f.tokenLoanId)).observation).to.equal(false);
      // Once.
      await expect(f.ledger.poke([f.tokenLoanId])).to.not.emit(f.ledger, "ObservationEnded");
    });

    it("ends observation in the repayment that completes the conditions", async function () {
      const f = await loadFixture(restructuredFixture);
      await payAt(f, V2[0], f.due2[0]);
      await payAt(f, V2[1], f.due2[1]);
      // A year on, a prepayment (installment 2 is due at +400d) records ObservationEnded.
      await expect(payAt(f, 1_000_000n, f.restructuredAt + YEAR)).to.emit(f.ledger, "ObservationEnded").withArgs(f.tokenLoanId);
    });

    it("keeps observation when an installment was settled late", async function () {
      const f = await loadFixture(restructuredFixture);
      // One day late, then on time: no two consecutive on-time installments.
      await payAt(f, V2[0], f.due2[0] + DAY);
      await payAt(f, V2[1], f.due2[1]);
      await time.setNextBlockTimestamp(f.restructuredAt + YEAR);
      await expect(f.ledger.poke([f.tokenLoanId])).to.not.emit(f.ledger, "ObservationEnded");
      expect((await f.ledger.loanState(f.tokenLoanId)).observation).to.equal(true);
    });

    it("refuses an off-chain record dated before the restructuring", async function () {
      const f = await loadFixture(restructureFixture);
      const { signature, deadline } = await sign(f, f.fiatLoanId, f.schedule2);
      const at = f.now + 1n;
      await time.setNextBlockTimestamp(at);
      await f.ledger.connect(f.lender).restructureWithSignature(f.fiatLoanId, f.schedule2, deadline, signature);
      const now = at + 10n;
      await time.setNextBlockTimestamp(now);
      await expect(f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, 1n, at - 1n, BANK_REF))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerPaidAtOutOfRange")
        .withArgs(at - 1n, at, now);
    });
  });
});
