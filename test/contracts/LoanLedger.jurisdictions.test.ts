/**
 * LoanLedger: each loan's jurisdiction (ISO 3166) and the per-jurisdiction legal cap on contract
 * rate + penalty rate (docs/jurisdictions.md): set by the admin at the ledger's address (its module),
 * a subdivision falling back to its country and a country to the global cap; enforced at
 * registration, and at every penalty through the loan's capRoomBps.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, MAX_RATE_BPS, TEST_POLICY, deployLedgerFixture, tokenLoanParams } from "./helpers/fixtures";
import { reliefOf } from "./helpers/relief";
import { decodeJurisdiction, encodeJurisdiction, isValidJurisdiction } from "../../src/domain";

const j = encodeJurisdiction;

describe("LoanLedger: jurisdictions", function () {
  async function fixture() {
    const f = await deployLedgerFixture();
    return { ...f, tokenAddress: await f.token.getAddress(), module: await reliefOf(f.ledger) };
  }

  it("registers each loan under its jurisdiction: in LoanRegistered, the terms and the code's text", async function () {
    const { ledger, lender, borrower, tokenAddress } = await loadFixture(fixture);
    const params = { ...(await tokenLoanParams(borrower.address, tokenAddress)), jurisdiction: j("US-CA") };
    const tx = ledger.connect(lender).registerLoan(params);
    await expect(tx).to.emit(ledger, "LoanRegistered");
    const receipt = await (await tx).wait();
    const registered = receipt!.logs.map((l) => ledger.interface.parseLog(l)!).find((e) => e.name === "LoanRegistered")!;
    expect(registered.args.jurisdiction).to.equal("0x55532d434100");
    expect(decodeJurisdiction(registered.args.jurisdiction)).to.equal("US-CA");
    expect((await ledger.loanTerms(1n)).jurisdiction).to.equal("0x55532d434100");
  });

  it("refuses a code that is not ISO 3166 as Jurisdictions reads it", async function () {
    const { ledger, lender, borrower, tokenAddress } = await loadFixture(fixture);
    const params = await tokenLoanParams(borrower.address, tokenAddress);
    for (const bad of ["0x000000000000", "0x636e00000000", "0x434e2d000000", "0x434e41000000", "0x434e2d41002d", "0x43000000000000".slice(0, 14)]) {
      await expect(ledger.connect(lender).registerLoan({ ...params, jurisdiction: bad }), bad)
        .to.be.revertedWithCustomError(ledger, "LoanLedgerInvalidJurisdiction")
        .withArgs(bad);
    }
  });

  it("caps contract + penalty rate by the jurisdiction's cap, else its country's, else the global one", async function () {
    const { ledger, module, admin, lender, borrower, tokenAddress } = await loadFixture(fixture);
    // Caps above the test policy's 1,800 bps penalty rate; Scotland and Guangdong have none of their own.
    await expect(module.connect(admin).setJurisdictionCap(j("CN"), 2_200)).to.emit(ledger, "JurisdictionCapSet").withArgs(j("CN"), 0, 2_200);
    await module.connect(admin).setJurisdictionCap(j("GB"), 2_000);
    expect(await module.jurisdictionCapOf(j("CN-GD"))).to.deep.equal([2_200n, 0n]);
    expect(await module.jurisdictionCapOf(j("GB-SCT"))).to.deep.equal([2_000n, 0n]);
    expect(await module.jurisdictionCapOf(j("US"))).to.deep.equal([BigInt(MAX_RATE_BPS), 0n]);
    const base = await tokenLoanParams(borrower.address, tokenAddress);
    const rate = (jurisdiction: string, contractRateBps: number) => ({ ...base, jurisdiction: j(jurisdiction), contractRateBps });
    // The policy's penalty rate counts against the cap with the contract rate.
    const room = (cap: number) => cap - Number(TEST_POLICY.penaltyRateBps);
    await expect(ledger.connect(lender).registerLoan(rate("CN-GD", room(2_200) + 1)))
      .to.be.revertedWithCustomError(ledger, "LoanLedgerRateAboveCap")
      .withArgs(room(2_200) + 1, TEST_POLICY.penaltyRateBps, 2_200);
    await ledger.connect(lender).registerLoan(rate("CN-GD", room(2_200)));
    await expect(ledger.connect(lender).registerLoan(rate("GB-SCT", room(2_000) + 1))).to.be.revertedWithCustomError(ledger, "LoanLedgerRateAboveCap");
    await ledger.connect(lender).registerLoan(rate("US", room(MAX_RATE_BPS)));
    // A subdivision with a cap of its own: it, not the country's.
    await module.connect(admin).setJurisdictionCap(j("CN-GD"), 2_300);
    await ledger.connect(lender).registerLoan(rate("CN-GD", room(2_300)));
    const capRooms = await Promise.all([1n, 2n, 3n].map(async (id) => (await ledger.loanTerms(id)).penalty.capRoomBps));
    expect(capRooms, "each loan keeps the room its jurisdiction's cap left it").to.deep.equal([2_200n - BigInt(room(2_200)), BigInt(MAX_RATE_BPS - room(MAX_RATE_BPS)), 2_300n - BigInt(room(2_300))]);
    // Removing the cap: back to the country's.
    await expect(module.connect(admin).setJurisdictionCap(j("CN-GD"), 0)).to.emit(ledger, "JurisdictionCapSet").withArgs(j("CN-GD"), 2_300, 0);
    expect(await module.jurisdictionCapOf(j("CN-GD"))).to.deep.equal([2_200n, 0n]);
  });

  it("keeps every penalty within the cap the loan was registered under, even after the cap changes", async function () {
    const { ledger, module, admin, lender, borrower, tokenAddress } = await loadFixture(fixture);
    await module.connect(admin).setJurisdictionCap(j("GB"), 2_000);
    const params = { ...(await tokenLoanParams(borrower.address, tokenAddress, { count: 1, principal: 1_000_000_000n, interestEach: 0n })), jurisdiction: j("GB"), contractRateBps: 0 };
    await ledger.connect(lender).registerLoan(params);
    await module.connect(admin).setJurisdictionCap(j("GB"), 60_000);
    // Later the cap is raised; the loan keeps the room its registration left it (2,000 bps, as contract rate 0).
    await time.increase(400n * DAY);
    const s = await ledger.loanState(1n);
    const due = BigInt(params.schedule[0]!.dueDate);
    const penaltyDays = (BigInt(await time.latest()) - due) / DAY - BigInt(TEST_POLICY.graceDays);
    const cap = (1_000_000_000n * penaltyDays * 2_000n) / (365n * 10_000n);
    expect(s.penaltyOutstanding <= cap, `${s.penaltyOutstanding} within the cap ${cap}`).to.equal(true);
    expect((await ledger.loanTerms(1n)).penalty.capRoomBps).to.equal(2_000n);
  });

  it("lets only the admin set a cap, for well-formed codes only", async function () {
    const { ledger, module, admin, lender } = await loadFixture(fixture);
    await expect(module.connect(lender).setJurisdictionCap(j("CN"), 1)).to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount");
    await expect(module.connect(admin).setJurisdictionCap("0x434e2d000000", 1)).to.be.revertedWithCustomError(ledger, "LoanLedgerInvalidJurisdiction").withArgs("0x434e2d000000");
  });

  it("reads codes exactly as src/domain/jurisdiction.ts does (random bytes6 near the grammar)", async function () {
    const mock = await ethers.deployContract("JurisdictionsMock");
    const byte = fc.constantFrom(0, 0x2d, 0x30, 0x39, 0x41, 0x5a, 0x61, 0x40, 0x5b, 0x2f, 0x3a);
    await fc.assert(
      fc.asyncProperty(fc.array(byte, { minLength: 6, maxLength: 6 }), async (bytes) => {
        const hex = `0x${Buffer.from(bytes).toString("hex")}`;
        const text = Buffer.from(bytes).toString("latin1").replace(/\0+$/, "");
        // The text form is valid only if it has no inner NULs and matches the grammar; the bytes6 then equal its encoding.
        const domain = !text.includes("\0") && isValidJurisdiction(text) && encodeJurisdiction(text) === hex;
        expect(await mock.isValid(hex), hex).to.equal(domain);
      }),
      { numRuns: 300, seed: 18 },
    );
    for (const ok of ["CN", "US-CA", "GB-SCT", "CN-GD", "US-1", "FR-75C"]) expect(await mock.isValid(j(ok)), ok).to.equal(true);
  });
});
