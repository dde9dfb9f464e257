import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { FeeOnTransferERC20, NoReturnERC20, ReentrantERC20 } from "../../typechain-types";
import { DAY, deployLedgerFixture, fiatLoanParams, tokenLoanParams } from "./helpers/fixtures";

/**
 * Creation code of a token whose every call returns 32 zero bytes: balanceOf is 0 and
 * transferFrom returns false without reverting (runtime: PUSH1 0x20 PUSH1 0 RETURN).
 */
const FALSE_RETURNING_TOKEN_INITCODE = "0x6460206000f36000526005601bf3";

/** Every installment of tokenLoanParams: 1,000.00 principal + 60.00 interest. */
const INSTALLMENT = 1_060_000_000n;
const PAYOFF = 12n * INSTALLMENT; // 12,720.00

describe("LoanLedger: settlement tokens", function () {
  /**
   * deployLedgerFixture plus a loan of `lender` in each kind of token, all to `borrower`, who holds
   * and has approved each token: 1 standard, 2 USDT-style, 3 fee-on-transfer (1%), 4 reentrant,
   * 5 a CNY loan (for reentrant calls to recordRepayment), 6 a token that returns false.
   */
  async function tokensFixture() {
    const f = await deployLedgerFixture();
    const ledgerAddress = await f.ledger.getAddress();
    const usdt = (await ethers.deployContract("NoReturnERC20")) as unknown as NoReturnERC20;
    const feeToken = (await ethers.deployContract("FeeOnTransferERC20", [100])) as unknown as FeeOnTransferERC20;
    const reentrant = (await ethers.deployContract("ReentrantERC20")) as unknown as ReentrantERC20;
    const deployTx = await f.admin.sendTransaction({ data: FALSE_RETURNING_TOKEN_INITCODE });
    const falseToken = (await deployTx.wait())!.contractAddress!;
    for (const t of [usdt, feeToken, reentrant]) {
      await t.mint(f.borrower.address, 10n ** 15n);
      await t.connect(f.borrower).approve(ledgerAddress, ethers.MaxUint256);
    }
    const tokens = [await f.token.getAddress(), await usdt.getAddress(), await feeToken.getAddress(), await reentrant.getAddress()];
    for (const t of tokens) await f.ledger.connect(f.lender).registerLoan(await tokenLoanParams(f.borrower.address, t));
    await f.ledger.connect(f.lender).registerLoan(await fiatLoanParams(f.borrower.address));
    await f.ledger.connect(f.lender).registerLoan(await tokenLoanParams(f.borrower.address, falseToken));
    const firstDue = (await f.ledger.loanState(1n)).nextDueDate;
    return { ...f, usdt, feeToken, reentrant, falseToken, firstDue };
  }

  describe("standard ERC-20", function () {
    it("moves the amount from the payer to the lender and credits all of it", async function () {
      const { ledger, token, borrower, lender } = await loadFixture(tokensFixture);
      const tx = ledger.connect(borrower).repay(1n, INSTALLMENT);
      await expect(tx).to.changeTokenBalances(token, [borrower, lender], [-INSTALLMENT, INSTALLMENT]);
      await expect(tx)
        .to.emit(ledger, "LoanRepaid")
        .withArgs(1n, borrower.address, INSTALLMENT, 0n, 60_000_000n, 1_000_000_000n, 1, (v: bigint) => v > 0n, ethers.ZeroHash, false, false);
    });

    it("bubbles the token's own error when the allowance is short", async function () {
      const { ledger, token, stranger } = await loadFixture(tokensFixture);
      await token.connect(stranger).approve(await ledger.getAddress(), 5n);
      await expect(ledger.connect(stranger).repay(1n, 6n))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(await ledger.getAddress(), 5n, 6n);
    });
  });

  describe("USDT-style token without return values", function () {
    it("is paid like any other token", async function () {
      const { ledger, usdt, borrower, lender } = await loadFixture(tokensFixture);
      // One installment and one unit more: that unit prepays installment 1's interest.
      const tx = ledger.connect(borrower).repay(2n, INSTALLMENT + 1n);
      await expect(tx).to.changeTokenBalances(usdt, [borrower, lender], [-(INSTALLMENT + 1n), INSTALLMENT + 1n]);
      await expect(tx)
        .to.emit(ledger, "LoanRepaid")
        .withArgs(2n, borrower.address, INSTALLMENT + 1n, 0n, 60_000_000n + 1n, 1_000_000_000n, 1, (v: bigint) => v > 0n, ethers.ZeroHash, false, false);
      expect((await ledger.loanState(2n)).nextDueAmount).to.equal(INSTALLMENT - 1n);
    });

    it("closes the loan on the payoff", async function () {
      const { ledger, borrower } = await loadFixture(tokensFixture);
      await expect(ledger.connect(borrower).repay(2n, PAYOFF)).to.emit(ledger, "LoanClosed");
      expect((await ledger.loanState(2n)).status).to.equal(3n);
    });

    it("bubbles the token's revert when the allowance is short", async function () {
      const { ledger, usdt, borrower } = await loadFixture(tokensFixture);
      await usdt.connect(borrower).approve(await ledger.getAddress(), 0n);
      await expect(ledger.connect(borrower).repay(2n, 1n)).to.be.revertedWith("allowance");
    });
  });

  describe("fee-on-transfer token (1% burnt)", function () {
    it("credits what the lender actually received", async function () {
      const { ledger, feeToken, borrower, lender } = await loadFixture(tokensFixture);
      // 1,000.00 sent, 10.00 burnt: 990.00 arrives = 60.00 interest + 930.00 principal.
      const tx = ledger.connect(borrower).repay(3n, 1_000_000_000n);
      await expect(tx).to.changeTokenBalances(feeToken, [borrower, lender], [-1_000_000_000n, 990_000_000n]);
      await expect(tx)
        .to.emit(ledger, "LoanRepaid")
        .withArgs(3n, borrower.address, 990_000_000n, 0n, 60_000_000n, 930_000_000n, 0, (v: bigint) => v > 0n, ethers.ZeroHash, false, false);
      expect((await ledger.loanState(3n)).nextDueAmount).to.equal(INSTALLMENT - 990_000_000n);
    });

    it("closes the loan when what arrives is exactly the payoff", async function () {
      const { ledger, borrower } = await loadFixture(tokensFixture);
      // 12,848,484,848 sent: fee floor(12,848,484,848 x 100 / 10,000) = 128,484,848, so 12,720,000,000 arrives.
      await expect(ledger.connect(borrower).repay(3n, 12_848_484_848n)).to.emit(ledger, "LoanClosed");
    });

    it("refuses what arrives beyond the payoff, with the excess received", async function () {
      const { ledger, borrower } = await loadFixture(tokensFixture);
      // 12,848,484,849 sent: the fee is still 128,484,848, so 12,720,000,001 arrives: 1 too many.
      await expect(ledger.connect(borrower).repay(3n, 12_848_484_849n))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerOverpayment")
        .withArgs(3n, 1n);
    });
  });

  describe("reentrant token", function () {
    it("is paid normally when it does not call back", async function () {
      const { ledger, reentrant, borrower, lender } = await loadFixture(tokensFixture);
      await expect(ledger.connect(borrower).repay(4n, INSTALLMENT)).to.changeTokenBalances(reentrant, [borrower, lender], [-INSTALLMENT, INSTALLMENT]);
    });

    const callbacks: [string, (f: Awaited<ReturnType<typeof tokensFixture>>) => Promise<string>][] = [
      ["repay", async (f) => f.ledger.interface.encodeFunctionData("repay", [4n, 1n])],
      ["recordRepayment", async (f) => f.ledger.interface.encodeFunctionData("recordRepayment", [5n, 1n, BigInt(await time.latest()), ethers.ZeroHash])],
      ["poke", async (f) => f.ledger.interface.encodeFunctionData("poke", [[4n]])],
      ["performUpkeep", async (f) => f.ledger.interface.encodeFunctionData("performUpkeep", [ethers.AbiCoder.defaultAbiCoder().encode(["uint256[]"], [[4n]])])],
      ["chargeOff", async (f) => f.ledger.interface.encodeFunctionData("chargeOff", [4n])],
      ["writeOff", async (f) => f.ledger.interface.encodeFunctionData("writeOff", [4n])],
      ["acceptRestructure", async (f) => f.ledger.interface.encodeFunctionData("acceptRestructure", [4n, []])],
      ["restructureWithSignature", async (f) => f.ledger.interface.encodeFunctionData("restructureWithSignature", [4n, [], 0n, "0x"])],
    ];
    for (const [name, encode] of callbacks) {
      it(`refuses a callback into ${name} with ReentrancyGuardReentrantCall`, async function () {
        const f = await loadFixture(tokensFixture);
        // Overdue, so a poke or upkeep would have something to do if the guard let it through.
        await time.increaseTo(f.firstDue + 10n * DAY);
        await f.reentrant.arm(await f.ledger.getAddress(), await encode(f));
        await expect(f.ledger.connect(f.borrower).repay(4n, INSTALLMENT)).to.be.revertedWithCustomError(f.ledger, "ReentrancyGuardReentrantCall").withArgs();
      });
    }
  });

  describe("token that returns false", function () {
    it("is refused with SafeERC20FailedOperation", async function () {
      const { ledger, borrower, falseToken } = await loadFixture(tokensFixture);
      await expect(ledger.connect(borrower).repay(6n, INSTALLMENT))
        .to.be.revertedWithCustomError(ledger, "SafeERC20FailedOperation")
        .withArgs(falseToken);
    });
  });
});
