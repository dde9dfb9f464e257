import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  DAY,
  MAX_RATE_BPS,
  TEST_POLICY,
  deployLedgerFixture,
  evenSchedule,
  fiatLoanParams,
  tokenLoanParams,
  type InstallmentStruct,
  type LoanParamsStruct,
} from "./helpers/fixtures";
import { scheduleTuples } from "./helpers/restructure";
import { MAX_INSTALLMENTS, decodeJurisdiction, encodeJurisdiction } from "../../src/domain";

/** The Hardhat network refuses a transaction above this much gas (DEVELOPERS.md). */
const TX_GAS_CAP = 16_777_216n;
const TWO_96 = 2n ** 96n;
const TWO_40 = 2n ** 40n;
/** Policy id `lender` got from its setPolicy in deployLedgerFixture (0 is the product default). */
const LENDER_POLICY_ID = 1n;

describe("LoanLedger: registration", function () {
  async function registrationFixture() {
    const f = await deployLedgerFixture();
    const tokenAddress = await f.token.getAddress();
    return { ...f, tokenAddress };
  }

  /** Params with `schedule` replaced and the principal set to its principal parts' sum. */
  function withSchedule(params: LoanParamsStruct, schedule: InstallmentStruct[]): LoanParamsStruct {
    const principal = schedule.reduce((sum, i) => sum + BigInt(i.principal), 0n);
    return { ...params, schedule, principal: principal === 0n ? params.principal : principal };
  }

  describe("a valid loan", function () {
    it("emits LoanRegistered with every field, the penalty terms and the whole schedule", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      // Penalty terms are the lender's policy at registration; cap room = 2,400 - 600 = 1,800 bps.
      const terms = [TEST_POLICY.graceDays, TEST_POLICY.penaltyRateBps, MAX_RATE_BPS - 600, TEST_POLICY.lateFee];
      await expect(ledger.connect(lender).registerLoan(params))
        .to.emit(ledger, "LoanRegistered")
        .withArgs(
          1n,
          lender.address,
          borrower.address,
          params.borrowerRef,
          tokenAddress,
          "0x000000",
          12_000_000_000n,
          600,
          480,
          "0x434e00000000",
          LENDER_POLICY_ID,
          terms,
          scheduleTuples(params.schedule),
        );
    });

    it("returns consecutive ids from 1 and counts the loans", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      expect(await ledger.loanCount()).to.equal(0n);
      expect(await ledger.connect(lender).registerLoan.staticCall(params)).to.equal(1n);
      await ledger.connect(lender).registerLoan(params);
      expect(await ledger.connect(lender).registerLoan.staticCall(params)).to.equal(2n);
      await ledger.connect(lender).registerLoan(params);
      expect(await ledger.loanCount()).to.equal(2n);
    });

    it("stores the terms, parties and schedule it was given", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      const registeredAt = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(registeredAt);
      await ledger.connect(lender).registerLoan(params);

      const t = await ledger.loanTerms(1n);
      expect(t.lender).to.equal(lender.address);
      expect(t.borrower).to.equal(borrower.address);
      expect(t.token).to.equal(tokenAddress);
      expect(t.currency).to.equal("0x000000");
      expect(t.borrowerRef).to.equal(params.borrowerRef);
      expect(t.principal).to.equal(12_000_000_000n);
      expect(t.contractRateBps).to.equal(600n);
      expect(t.utcOffsetMinutes).to.equal(480n);
      expect(t.policyId).to.equal(LENDER_POLICY_ID);
      expect(t.startedAt).to.equal(registeredAt);
      expect(t.version).to.equal(1n);
      expect(t.installmentCount).to.equal(12n);
      expect(t.penalty.graceDays).to.equal(3n);
      expect(t.penalty.penaltyRateBps).to.equal(1_800n);
      expect(t.penalty.capRoomBps).to.equal(1_800n);
      expect(t.penalty.lateFee).to.equal(5_000_000n);

      expect(await ledger.loanParties(1n)).to.deep.equal([lender.address, borrower.address, 480n]);
      expect(await ledger.scheduleOf(1n, 1)).to.deep.equal(scheduleTuples(params.schedule));
    });

    it("starts Active and current: cursor 0, nothing overdue, the first installment next", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      await ledger.connect(lender).registerLoan(params);
      const s = await ledger.loanState(1n);
      expect(s.status).to.equal(0n); // Active
      expect(s.classification).to.equal(0n); // Normal
      expect(s.bucket).to.equal(0n);
      expect(s.dpd).to.equal(0n);
      expect(s.amountOverdue).to.equal(0n);
      expect(s.penaltyOutstanding).to.equal(0n);
      expect(s.nextDueDate).to.equal(params.schedule[0].dueDate);
      // 12,000.00 / 12 = 1,000.00 principal + 60.00 interest.
      expect(s.nextDueAmount).to.equal(1_060_000_000n);
      expect(s.outstandingPrincipal).to.equal(12_000_000_000n);
      expect(s.outstandingInterest).to.equal(12n * 60_000_000n);
      expect(s.cursor).to.equal(0n);
      expect(s.defaulted).to.equal(false);
      expect(s.observation).to.equal(false);
      expect(await ledger.daysPastDue(1n)).to.equal(0n);
    });

    it("registers a fiat loan with its ISO-4217 currency and no token", async function () {
      const { ledger, lender, borrower } = await loadFixture(registrationFixture);
      const params = await fiatLoanParams(borrower.address);
      await expect(ledger.connect(lender).registerLoan(params))
        .to.emit(ledger, "LoanRegistered")
        .withArgs(
          1n,
          lender.address,
          borrower.address,
          params.borrowerRef,
          ethers.ZeroAddress,
          "0x434e59", // "CNY"
          12_000_000_000n,
          600,
          480,
          "0x434e00000000",
          LENDER_POLICY_ID,
          [3, 1_800, 1_800, 5_000_000n],
          scheduleTuples(params.schedule),
        );
      const t = await ledger.loanTerms(1n);
      expect(t.token).to.equal(ethers.ZeroAddress);
      expect(t.currency).to.equal("0x434e59");
    });

    it("round-trips amounts of every width, from 1 byte to 2^96 - 1, and interest-only installments", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const now = BigInt(await time.latest());
      const schedule: InstallmentStruct[] = [
        { dueDate: now + DAY, principal: 0n, interest: 1n }, // interest only, 1-byte amount
        { dueDate: now + 2n * DAY, principal: 255n, interest: 0n },
        { dueDate: now + 3n * DAY, principal: TWO_96 - 1n - 255n, interest: TWO_96 - 1n }, // 12-byte amounts
        { dueDate: TWO_40 - 1n, principal: 0n, interest: 256n }, // the latest due date the blob holds
      ];
      const params = withSchedule(await tokenLoanParams(borrower.address, tokenAddress), schedule);
      expect(params.principal).to.equal(TWO_96 - 1n);
      await ledger.connect(lender).registerLoan(params);
      expect(await ledger.scheduleOf(1n, 1)).to.deep.equal(scheduleTuples(schedule));
      expect((await ledger.loanTerms(1n)).principal).to.equal(TWO_96 - 1n);
    });

    it("accepts the UTC offsets at both ends of [-720, 840]", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      await ledger.connect(lender).registerLoan({ ...params, utcOffsetMinutes: -720 });
      await ledger.connect(lender).registerLoan({ ...params, utcOffsetMinutes: 840 });
      expect((await ledger.loanParties(1n))[2]).to.equal(-720n);
      expect((await ledger.loanParties(2n))[2]).to.equal(840n);
    });

    it("accepts a contract rate that exactly fills the cap with the penalty rate", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      // 600 + 1,800 = 2,400 = cap: allowed; the cap room 2,400 - 600 = 1,800 then equals the penalty rate.
      const params = await tokenLoanParams(borrower.address, tokenAddress, { rateBps: 600 });
      await ledger.connect(lender).registerLoan(params);
      expect((await ledger.loanTerms(1n)).penalty.capRoomBps).to.equal(1_800n);
      await ledger.connect(lender).registerLoan({ ...params, contractRateBps: 0 });
      expect((await ledger.loanTerms(2n)).penalty.capRoomBps).to.equal(2_400n);
    });
  });

  describe("installment count", function () {
    it("refuses an empty schedule", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      await expect(ledger.connect(lender).registerLoan({ ...params, schedule: [] }))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerEmptySchedule")
        .withArgs();
    });

    it("has the installment limit of src/domain: MAX_INSTALLMENTS, the bound the refusal names", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      expect(await ledger.MAX_INSTALLMENTS()).to.equal(BigInt(MAX_INSTALLMENTS));
      const count = MAX_INSTALLMENTS + 1;
      const params = await tokenLoanParams(borrower.address, tokenAddress, { count, principal: BigInt(count) * 1_000_000n, interestEach: 1_000n });
      await expect(ledger.connect(lender).registerLoan(params))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerTooManyInstallments")
        .withArgs(BigInt(count), BigInt(MAX_INSTALLMENTS));
    });

    it("refuses 601 installments", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress, { count: 601, principal: 601_000_000n, interestEach: 1_000n });
      await expect(ledger.connect(lender).registerLoan(params))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerTooManyInstallments")
        .withArgs(601n, 600n);
    });

    it("registers 600 installments within the 16,777,216 gas cap of one transaction", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      // The widest amounts (12 bytes) make the largest blob and event: the worst case.
      const now = BigInt(await time.latest());
      const schedule: InstallmentStruct[] = Array.from({ length: 600 }, (_, i) => ({
        dueDate: now + BigInt(i + 1) * 30n * DAY,
        principal: 10n ** 26n + BigInt(i),
        interest: 10n ** 26n - BigInt(i),
      }));
      const params = withSchedule(await tokenLoanParams(borrower.address, tokenAddress), schedule);
      const estimate = await ledger.connect(lender).registerLoan.estimateGas(params);
      const receipt = await (await ledger.connect(lender).registerLoan(params, { gasLimit: TX_GAS_CAP })).wait();
      const gasUsed = receipt!.gasUsed;
      console.log(`        registerLoan with 600 installments (12-byte amounts): ${gasUsed} gas used, ${estimate} estimated`);
      expect(gasUsed).to.be.lessThan(TX_GAS_CAP);
      expect((await ledger.loanTerms(1n)).installmentCount).to.equal(600n);
      expect(await ledger.scheduleOf(1n, 1)).to.deep.equal(scheduleTuples(schedule));
    });

    it("registers 600 installments of a typical 6-decimal schedule", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress, { count: 600, principal: 600_000_000_000n, interestEach: 5_000_000n });
      const receipt = await (await ledger.connect(lender).registerLoan(params, { gasLimit: TX_GAS_CAP })).wait();
      console.log(`        registerLoan with 600 installments (5-byte amounts): ${receipt!.gasUsed} gas used`);
      expect(receipt!.gasUsed).to.be.lessThan(TX_GAS_CAP);
      expect((await ledger.loanTerms(1n)).installmentCount).to.equal(600n);
    });
  });

  describe("due dates", function () {
    it("refuses a first due date equal to the registration time", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      const t = BigInt(await time.latest()) + 100n;
      const schedule = params.schedule.map((i, k) => (k === 0 ? { ...i, dueDate: t } : i));
      await time.setNextBlockTimestamp(t);
      await expect(ledger.connect(lender).registerLoan({ ...params, schedule }))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerDueDateNotInFuture")
        .withArgs(0n, t, t);
    });

    it("refuses a first due date in the past", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      const t = BigInt(await time.latest()) + 100n;
      const schedule = params.schedule.map((i, k) => (k === 0 ? { ...i, dueDate: t - DAY } : i));
      await time.setNextBlockTimestamp(t);
      await expect(ledger.connect(lender).registerLoan({ ...params, schedule }))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerDueDateNotInFuture")
        .withArgs(0n, t - DAY, t);
    });

    it("accepts a first due date one second after the registration time", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      const t = BigInt(await time.latest()) + 100n;
      const schedule = params.schedule.map((i, k) => (k === 0 ? { ...i, dueDate: t + 1n } : i));
      await time.setNextBlockTimestamp(t);
      await expect(ledger.connect(lender).registerLoan({ ...params, schedule })).to.emit(ledger, "LoanRegistered");
    });

    it("refuses a due date equal to the previous one", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      const d4 = BigInt(params.schedule[4].dueDate);
      const schedule = params.schedule.map((i, k) => (k === 5 ? { ...i, dueDate: d4 } : i));
      await expect(ledger.connect(lender).registerLoan({ ...params, schedule }))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerDueDatesNotIncreasing")
        .withArgs(5n, d4, d4);
    });

    it("refuses a due date before the previous one", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      const d0 = BigInt(params.schedule[0].dueDate);
      const d1 = BigInt(params.schedule[1].dueDate);
      const schedule = params.schedule.map((i, k) => (k === 2 ? { ...i, dueDate: d0 } : i));
      await expect(ledger.connect(lender).registerLoan({ ...params, schedule }))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerDueDatesNotIncreasing")
        .withArgs(2n, d1, d0);
    });

    it("refuses a due date at 2^40 (beyond what the blob stores)", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      const schedule = params.schedule.map((i, k) => (k === 11 ? { ...i, dueDate: TWO_40 } : i));
      await expect(ledger.connect(lender).registerLoan({ ...params, schedule }))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerDueDateTooLate")
        .withArgs(11n, TWO_40);
    });
  });

  describe("amounts", function () {
    it("refuses a principal part of 2^96", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const now = BigInt(await time.latest());
      const schedule = [
        { dueDate: now + DAY, principal: 1n, interest: 1n },
        { dueDate: now + 2n * DAY, principal: TWO_96, interest: 1n },
      ];
      const params = { ...(await tokenLoanParams(borrower.address, tokenAddress)), schedule, principal: TWO_96 + 1n };
      await expect(ledger.connect(lender).registerLoan(params))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerAmountTooLarge")
        .withArgs(1n, TWO_96);
    });

    it("refuses an interest part of 2^96", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const now = BigInt(await time.latest());
      const schedule = [{ dueDate: now + DAY, principal: 1n, interest: TWO_96 }];
      const params = { ...(await tokenLoanParams(borrower.address, tokenAddress)), schedule, principal: 1n };
      await expect(ledger.connect(lender).registerLoan(params))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerAmountTooLarge")
        .withArgs(0n, TWO_96);
    });

    it("refuses principal parts that sum to 2^96 (index = count)", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const now = BigInt(await time.latest());
      const half = TWO_96 / 2n;
      const schedule = [
        { dueDate: now + DAY, principal: half, interest: 0n },
        { dueDate: now + 2n * DAY, principal: half, interest: 0n },
      ];
      const params = { ...(await tokenLoanParams(borrower.address, tokenAddress)), schedule, principal: TWO_96 };
      await expect(ledger.connect(lender).registerLoan(params))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerAmountTooLarge")
        .withArgs(2n, TWO_96);
    });

    it("refuses an installment with neither principal nor interest", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      // Move installment 3's principal onto installment 4 so the sum still matches.
      const schedule = params.schedule.map((i, k) =>
        k === 3 ? { ...i, principal: 0n, interest: 0n } : k === 4 ? { ...i, principal: 2_000_000_000n } : i,
      );
      await expect(ledger.connect(lender).registerLoan({ ...params, schedule }))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerEmptyInstallment")
        .withArgs(3n);
    });

    it("refuses principal parts summing to less than the principal", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      await expect(ledger.connect(lender).registerLoan({ ...params, principal: 12_000_000_001n }))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerPrincipalMismatch")
        .withArgs(12_000_000_001n, 12_000_000_000n);
    });

    it("refuses principal parts summing to more than the principal", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      await expect(ledger.connect(lender).registerLoan({ ...params, principal: 11_999_999_999n }))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerPrincipalMismatch")
        .withArgs(11_999_999_999n, 12_000_000_000n);
    });

    it("refuses a zero principal", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const now = BigInt(await time.latest());
      const params = { ...(await tokenLoanParams(borrower.address, tokenAddress)), principal: 0n, schedule: evenSchedule(0n, 1, now + DAY, 1n) };
      await expect(ledger.connect(lender).registerLoan(params)).to.be.revertedWithCustomError(ledger, "LoanLedgerZeroPrincipal").withArgs();
    });
  });

  describe("the collection context (what CollectionLog reads of a loan)", function () {
    it("is the registered lender, UTC offset and jurisdiction, and the loan's DPD, for each kind of loan", async function () {
      const { ledger, lender, otherLender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      // Offsets at both ends of the range and a negative one (read as int16); a country, a
      // subdivision and a 6-character one; amounts of different widths (the installments' stride).
      const cases = [
        { by: lender, utcOffsetMinutes: -720, jurisdiction: "CN", principal: 12_000n },
        { by: otherLender, utcOffsetMinutes: 840, jurisdiction: "US-CA", principal: 12_000_000_000n },
        { by: lender, utcOffsetMinutes: -300, jurisdiction: "FR-75C", principal: 2n ** 90n },
        { by: otherLender, utcOffsetMinutes: 0, jurisdiction: "GB-SCT", principal: 1_200n },
      ];
      for (const c of cases) {
        const base = c.principal > 2n ** 64n ? await fiatLoanParams(borrower.address, { principal: c.principal }) : await tokenLoanParams(borrower.address, tokenAddress, { principal: c.principal });
        await ledger.connect(c.by).registerLoan({ ...base, utcOffsetMinutes: c.utcOffsetMinutes, jurisdiction: encodeJurisdiction(c.jurisdiction) });
      }
      // The first due dates are seconds apart (each loan registered a block later): 5 days after the latest.
      let lastFirstDue = 0n;
      for (let id = 1n; id <= BigInt(cases.length); id++) {
        const due = BigInt((await ledger.scheduleOf(id, 1))[0].dueDate);
        if (due > lastFirstDue) lastFirstDue = due;
      }
      for (const [at, dpd] of [[0n, 0n], [lastFirstDue + 5n * DAY, 5n]] as const) {
        if (at > 0n) await time.increaseTo(at);
        for (const [i, c] of cases.entries()) {
          const loanId = BigInt(i + 1);
          const [ctxLender, utcOffset, ctxDpd, jurisdiction] = await ledger.collectionContext(loanId);
          expect({ lender: ctxLender, utcOffset, dpd: ctxDpd, jurisdiction: decodeJurisdiction(jurisdiction) }, c.jurisdiction).to.deep.equal({
            lender: c.by.address,
            utcOffset: BigInt(c.utcOffsetMinutes),
            dpd,
            jurisdiction: c.jurisdiction,
          });
          expect(ctxDpd).to.equal((await ledger.loanState(loanId)).dpd);
        }
      }
    });
  });

  describe("rates, parties and settlement", function () {
    it("refuses a contract rate that with the policy's penalty rate exceeds the cap", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      // 601 + 1,800 = 2,401 > 2,400.
      const params = await tokenLoanParams(borrower.address, tokenAddress, { rateBps: 601 });
      await expect(ledger.connect(lender).registerLoan(params))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerRateAboveCap")
        .withArgs(601, 1_800, MAX_RATE_BPS);
    });

    it("refuses the zero borrower", async function () {
      const { ledger, lender, tokenAddress } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(ethers.ZeroAddress, tokenAddress);
      await expect(ledger.connect(lender).registerLoan(params))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerInvalidBorrower")
        .withArgs(ethers.ZeroAddress);
    });

    it("refuses both a token and a currency", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      const params = { ...(await tokenLoanParams(borrower.address, tokenAddress)), currency: "0x555344" };
      await expect(ledger.connect(lender).registerLoan(params))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerInvalidSettlement")
        .withArgs(tokenAddress, "0x555344");
    });

    it("refuses neither a token nor a currency", async function () {
      const { ledger, lender, borrower } = await loadFixture(registrationFixture);
      const params = await tokenLoanParams(borrower.address, ethers.ZeroAddress);
      await expect(ledger.connect(lender).registerLoan(params))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerInvalidSettlement")
        .withArgs(ethers.ZeroAddress, "0x000000");
    });

    for (const offset of [-721, 841]) {
      it(`refuses a UTC offset of ${offset} minutes`, async function () {
        const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
        const params = { ...(await tokenLoanParams(borrower.address, tokenAddress)), utcOffsetMinutes: offset };
        await expect(ledger.connect(lender).registerLoan(params))
          .to.be.revertedWithCustomError(ledger, "LoanLedgerInvalidUtcOffset")
          .withArgs(offset);
      });
    }
  });

  describe("registerLoans (batch)", function () {
    it("registers every loan with consecutive ids and returns the first", async function () {
      const { ledger, lender, borrower, stranger, tokenAddress } = await loadFixture(registrationFixture);
      await ledger.connect(lender).registerLoan(await tokenLoanParams(borrower.address, tokenAddress));
      const batch = [
        await tokenLoanParams(borrower.address, tokenAddress),
        await fiatLoanParams(stranger.address),
        await tokenLoanParams(stranger.address, tokenAddress, { count: 3 }),
      ];
      expect(await ledger.connect(lender).registerLoans.staticCall(batch)).to.equal(2n);
      const tx = ledger.connect(lender).registerLoans(batch);
      await expect(tx)
        .to.emit(ledger, "LoanRegistered")
        .withArgs(2n, lender.address, borrower.address, batch[0].borrowerRef, tokenAddress, "0x000000", 12_000_000_000n, 600, 480, "0x434e00000000", LENDER_POLICY_ID, [3, 1_800, 1_800, 5_000_000n], scheduleTuples(batch[0].schedule));
      await expect(tx)
        .to.emit(ledger, "LoanRegistered")
        .withArgs(3n, lender.address, stranger.address, batch[1].borrowerRef, ethers.ZeroAddress, "0x434e59", 12_000_000_000n, 600, 480, "0x434e00000000", LENDER_POLICY_ID, [3, 1_800, 1_800, 5_000_000n], scheduleTuples(batch[1].schedule));
      await expect(tx)
        .to.emit(ledger, "LoanRegistered")
        .withArgs(4n, lender.address, stranger.address, batch[2].borrowerRef, tokenAddress, "0x000000", 12_000_000_000n, 600, 480, "0x434e00000000", LENDER_POLICY_ID, [3, 1_800, 1_800, 5_000_000n], scheduleTuples(batch[2].schedule));
      expect(await ledger.loanCount()).to.equal(4n);
      expect(await ledger.scheduleOf(4n, 1)).to.deep.equal(scheduleTuples(batch[2].schedule));
    });

    it("is all or nothing: a bad loan in the middle leaves loanCount unchanged", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      await ledger.connect(lender).registerLoan(await tokenLoanParams(borrower.address, tokenAddress));
      const good = await tokenLoanParams(borrower.address, tokenAddress);
      const bad = { ...good, borrower: ethers.ZeroAddress };
      await expect(ledger.connect(lender).registerLoans([good, bad, good]))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerInvalidBorrower")
        .withArgs(ethers.ZeroAddress);
      expect(await ledger.loanCount()).to.equal(1n);
      await expect(ledger.loanTerms(2n)).to.be.revertedWithCustomError(ledger, "LoanLedgerUnknownLoan").withArgs(2n);
    });

    it("refuses an empty batch", async function () {
      const { ledger, lender } = await loadFixture(registrationFixture);
      await expect(ledger.connect(lender).registerLoans([])).to.be.revertedWithCustomError(ledger, "LoanLedgerEmptyBatch").withArgs();
    });
  });

  describe("views of unknown loans and versions", function () {
    it("revert with LoanLedgerUnknownLoan for an id never registered", async function () {
      const { ledger } = await loadFixture(registrationFixture);
      for (const id of [0n, 1n]) {
        await expect(ledger.loanTerms(id)).to.be.revertedWithCustomError(ledger, "LoanLedgerUnknownLoan").withArgs(id);
        await expect(ledger.loanState(id)).to.be.revertedWithCustomError(ledger, "LoanLedgerUnknownLoan").withArgs(id);
        await expect(ledger.loanParties(id)).to.be.revertedWithCustomError(ledger, "LoanLedgerUnknownLoan").withArgs(id);
        await expect(ledger.daysPastDue(id)).to.be.revertedWithCustomError(ledger, "LoanLedgerUnknownLoan").withArgs(id);
        await expect(ledger.scheduleOf(id, 1)).to.be.revertedWithCustomError(ledger, "LoanLedgerUnknownLoan").withArgs(id);
      }
    });

    it("scheduleOf reverts with LoanLedgerUnknownVersion for version 0 and a version not yet made", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(registrationFixture);
      await ledger.connect(lender).registerLoan(await tokenLoanParams(borrower.address, tokenAddress));
      await expect(ledger.scheduleOf(1n, 0)).to.be.revertedWithCustomError(ledger, "LoanLedgerUnknownVersion").withArgs(1n, 0);
      await expect(ledger.scheduleOf(1n, 2)).to.be.revertedWithCustomError(ledger, "LoanLedgerUnknownVersion").withArgs(1n, 2);
    });
  });
});
