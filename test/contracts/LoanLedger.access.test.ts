import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  DAY,
  LENDER_ROLE,
  TEST_POLICY,
  WATERFALL_INSTALLMENT,
  tokenLoanParams,
  waterfallLoansFixture,
  type InstallmentStruct,
} from "./helpers/fixtures";
import { restructureNonce, signRestructure } from "./helpers/restructure";

const ROLES = ["admin", "lender", "otherLender", "servicer", "borrower", "stranger"] as const;
type Role = (typeof ROLES)[number];
const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;
const BANK_REF = ethers.id("access matrix");

describe("LoanLedger: access matrix", function () {
  /**
   * waterfallLoansFixture (token loan 1 and CNY loan 2 of `lender`, servicer allowed) at D1 - 3d, so a
   * reminder is due; every role holds and has approved the token; a restructuring of loan 1 is proposed.
   */
  async function accessFixture() {
    const f = await waterfallLoansFixture();
    const ledgerAddress = await f.ledger.getAddress();
    for (const s of [f.admin, f.lender, f.otherLender, f.servicer]) {
      await f.token.mint(s.address, 10n ** 12n);
      await f.token.connect(s).approve(ledgerAddress, ethers.MaxUint256);
    }
    const schedule2: InstallmentStruct[] = [
      { dueDate: f.due[0] + 30n * DAY, principal: 1_500_000_000n, interest: 0n },
      { dueDate: f.due[0] + 60n * DAY, principal: 1_500_000_000n, interest: 0n },
    ];
    await f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, schedule2);
    await time.increaseTo(f.due[0] - 3n * DAY);
    const signers: Record<Role, HardhatEthersSigner> = {
      admin: f.admin,
      lender: f.lender,
      otherLender: f.otherLender,
      servicer: f.servicer,
      borrower: f.borrower,
      stranger: f.stranger,
    };
    return { ...f, schedule2, signers };
  }
  type AccessFixture = Awaited<ReturnType<typeof accessFixture>>;

  /** A refusal: the custom error and how its arguments follow from the caller. */
  interface Refusal {
    error: string;
    args(f: AccessFixture, who: HardhatEthersSigner): unknown[];
  }

  interface Row {
    fn: string;
    call(f: AccessFixture, who: HardhatEthersSigner): Promise<ContractTransactionResponse>;
    /** Run by the admin before the call (e.g. pause before unpause). */
    setup?(f: AccessFixture): Promise<unknown>;
    allowed: Role[];
    /** The event an allowed call emits (null: allowed calls emit nothing in particular). */
    emits: string | null;
    /** The refusal of a role not allowed (none when every role is allowed). */
    refused?: Refusal;
    /** Per-role exceptions to `allowed` / `refused`. */
    special?: Partial<Record<Role, Refusal>>;
  }

  const notAdmin: Refusal = { error: "AccessControlUnauthorizedAccount", args: (_f, who) => [who.address, DEFAULT_ADMIN_ROLE] };
  const notLenderRole: Refusal = { error: "AccessControlUnauthorizedAccount", args: (_f, who) => [who.address, LENDER_ROLE] };
  const notLoanLender: Refusal = { error: "LoanLedgerNotLender", args: (f, who) => [who.address, f.tokenLoanId] };
  const anyone: Role[] = [...ROLES];

  const matrix: Row[] = [
    { fn: "setMaxAnnualRate", call: (f, w) => f.ledger.connect(w).setMaxAnnualRate(3_000), allowed: ["admin"], emits: "MaxAnnualRateSet", refused: notAdmin },
    { fn: "pause", call: (f, w) => f.ledger.connect(w).pause(), allowed: ["admin"], emits: "Paused", refused: notAdmin },
    { fn: "unpause", setup: (f) => f.ledger.connect(f.admin).pause(), call: (f, w) => f.ledger.connect(w).unpause(), allowed: ["admin"], emits: "Unpaused", refused: notAdmin },
    { fn: "grantRole", call: (f, w) => f.ledger.connect(w).grantRole(LENDER_ROLE, f.stranger.address), allowed: ["admin"], emits: "RoleGranted", refused: notAdmin },
    { fn: "revokeRole", call: (f, w) => f.ledger.connect(w).revokeRole(LENDER_ROLE, f.otherLender.address), allowed: ["admin"], emits: "RoleRevoked", refused: notAdmin },
    // Renouncing one's own role is open to all (a no-op without the role).
    { fn: "renounceRole", call: (f, w) => f.ledger.connect(w).renounceRole(LENDER_ROLE, w.address), allowed: anyone, emits: null },
    { fn: "setPolicy", call: (f, w) => f.ledger.connect(w).setPolicy(TEST_POLICY), allowed: ["lender", "otherLender"], emits: "PolicySet", refused: notLenderRole },
    { fn: "setServicer", call: (f, w) => f.ledger.connect(w).setServicer(f.stranger.address, true), allowed: ["lender", "otherLender"], emits: "ServicerSet", refused: notLenderRole },
    { fn: "setCollectionStrategy", call: (f, w) => f.ledger.connect(w).setCollectionStrategy(ethers.id("strategy")), allowed: ["lender", "otherLender"], emits: "CollectionStrategySet", refused: notLenderRole },
    {
      fn: "registerLoan",
      call: async (f, w) => f.ledger.connect(w).registerLoan(await tokenLoanParams(f.borrower.address, await f.token.getAddress())),
      allowed: ["lender", "otherLender"],
      emits: "LoanRegistered",
      refused: notLenderRole,
    },
    {
      fn: "registerLoans",
      call: async (f, w) => f.ledger.connect(w).registerLoans([await tokenLoanParams(f.borrower.address, await f.token.getAddress())]),
      allowed: ["lender", "otherLender"],
      emits: "LoanRegistered",
      refused: notLenderRole,
    },
    {
      fn: "recordRepayment",
      call: async (f, w) => f.ledger.connect(w).recordRepayment(f.fiatLoanId, WATERFALL_INSTALLMENT, BigInt(await time.latest()), BANK_REF),
      allowed: ["lender", "servicer"],
      emits: "LoanRepaid",
      refused: { error: "LoanLedgerNotLenderOrServicer", args: (f, w) => [w.address, f.fiatLoanId] },
    },
    {
      fn: "repay",
      call: (f, w) => f.ledger.connect(w).repay(f.tokenLoanId, WATERFALL_INSTALLMENT),
      allowed: anyone,
      emits: "LoanRepaid",
      // The lender paying its own loan moves no tokens: nothing arrives, so nothing is credited.
      special: { lender: { error: "LoanLedgerZeroAmount", args: () => [] } },
    },
    { fn: "chargeOff", call: (f, w) => f.ledger.connect(w).chargeOff(f.tokenLoanId), allowed: ["lender"], emits: "LoanChargedOff", refused: notLoanLender },
    { fn: "writeOff", call: (f, w) => f.ledger.connect(w).writeOff(f.tokenLoanId), allowed: ["lender"], emits: "LoanWrittenOff", refused: notLoanLender },
    {
      fn: "proposeRestructure",
      call: (f, w) => f.ledger.connect(w).proposeRestructure(f.tokenLoanId, f.schedule2),
      allowed: ["lender"],
      emits: "RestructureProposed",
      refused: notLoanLender,
    },
    {
      fn: "restructureWithSignature",
      call: async (f, w) => {
        const deadline = BigInt(await time.latest()) + DAY;
        const nonce = await restructureNonce(f.ledger, f.borrower.address, f.tokenLoanId);
        const signature = await signRestructure(f.borrower, f.ledger, { loanId: f.tokenLoanId, version: 2n, schedule: f.schedule2, nonce, deadline });
        return f.ledger.connect(w).restructureWithSignature(f.tokenLoanId, f.schedule2, deadline, signature);
      },
      allowed: ["lender"],
      emits: "LoanRestructured",
      refused: notLoanLender,
    },
    {
      fn: "acceptRestructure",
      call: (f, w) => f.ledger.connect(w).acceptRestructure(f.tokenLoanId, f.schedule2),
      allowed: ["borrower"],
      emits: "LoanRestructured",
      refused: { error: "LoanLedgerNotBorrower", args: (f, w) => [w.address, f.tokenLoanId] },
    },
    { fn: "poke", call: (f, w) => f.ledger.connect(w).poke([f.tokenLoanId]), allowed: anyone, emits: "ReminderTriggered" },
    {
      fn: "performUpkeep",
      call: (f, w) => f.ledger.connect(w).performUpkeep(ethers.AbiCoder.defaultAbiCoder().encode(["uint256[]"], [[f.tokenLoanId]])),
      allowed: anyone,
      emits: "ReminderTriggered",
    },
  ];

  for (const row of matrix) {
    describe(row.fn, function () {
      for (const role of ROLES) {
        const special = row.special?.[role];
        const allowed = special === undefined && row.allowed.includes(role);
        const refusal = special ?? row.refused;
        if (!allowed && refusal === undefined) throw new Error(`${row.fn}: no refusal given for ${role}`);
        it(`${role}: ${allowed ? "allowed" : `refused with ${refusal!.error}`}`, async function () {
          const f = await loadFixture(accessFixture);
          if (row.setup) await row.setup(f);
          const who = f.signers[role];
          if (allowed) {
            if (row.emits === null) await expect(row.call(f, who)).to.not.be.reverted;
            else await expect(row.call(f, who)).to.emit(f.ledger, row.emits);
          } else {
            await expect(row.call(f, who))
              .to.be.revertedWithCustomError(f.ledger, refusal!.error)
              .withArgs(...refusal!.args(f, who));
          }
        });
      }
    });
  }

  it("renounceRole for another account is refused with AccessControlBadConfirmation", async function () {
    const f = await loadFixture(accessFixture);
    await expect(f.ledger.connect(f.admin).renounceRole(LENDER_ROLE, f.lender.address)).to.be.revertedWithCustomError(f.ledger, "AccessControlBadConfirmation").withArgs();
  });

  it("renounceRole removes the caller's own role", async function () {
    const f = await loadFixture(accessFixture);
    await expect(f.ledger.connect(f.lender).renounceRole(LENDER_ROLE, f.lender.address))
      .to.emit(f.ledger, "RoleRevoked")
      .withArgs(LENDER_ROLE, f.lender.address, f.lender.address);
    expect(await f.ledger.hasRole(LENDER_ROLE, f.lender.address)).to.equal(false);
  });
});
