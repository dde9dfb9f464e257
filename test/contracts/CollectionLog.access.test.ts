import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { DAY } from "./helpers/fixtures";
import { encodeJurisdiction } from "../../src/domain";
import { Channel, DEFAULT_CONTACT_POLICY, Kind, actionInput, placementFixture, signAction } from "./helpers/collection";

/** placementFixture (loan 1 placed with `agency`, worked by `agencyCollector`) with a dispute open on loan 1 (so resolveDispute has one to close). */
async function accessFixture() {
  const f = await placementFixture();
  await f.log.connect(f.borrower).fileDispute(f.loanId, ethers.id("complaint"));
  const fresh = (await ethers.getSigners())[11];
  return { ...f, fresh };
}
type F = Awaited<ReturnType<typeof accessFixture>>;

const ACTORS = ["admin", "lender", "otherLender", "assignedCollector", "unassignedCollector", "agency", "agencyCollector", "borrower", "stranger"] as const;
type Actor = (typeof ACTORS)[number];

function signerOf(f: F, actor: Actor): HardhatEthersSigner {
  switch (actor) {
    case "admin":
      return f.admin;
    case "lender":
      return f.lender;
    case "otherLender":
      return f.otherLender;
    case "assignedCollector":
      return f.collector;
    case "unassignedCollector":
      return f.unassignedCollector;
    case "agency":
      return f.agency;
    case "agencyCollector":
      return f.agencyCollector;
    case "borrower":
      return f.borrower;
    case "stranger":
      return f.stranger;
  }
}

/** What a refused call reverts with, for caller `who`. */
type Refusal = (f: F, who: string) => [error: string, args: unknown[]];

interface Row {
  fn: string;
  call: (f: F, who: HardhatEthersSigner, now: bigint) => Promise<ContractTransactionResponse>;
  /** The event an allowed call emits. */
  event: string;
  allowed: Actor[];
  refusal: Refusal;
}

const notLender: Refusal = (f, who) => ["CollectionLogNotLender", [who, f.loanId]];
const notAssigned: Refusal = (f, who) => ["CollectionLogNotAssigned", [f.loanId, who]];
const notBorrower: Refusal = (f, who) => ["CollectionLogNotBorrower", [who, f.loanId]];
const notAgency: Refusal = (f, who) => ["CollectionLogNotAgency", [who, f.placementId]];
/** Who may record on loan 1: its assigned collector, and through the placement its agency and the agency's collector. */
const WORKERS: Actor[] = ["assignedCollector", "agency", "agencyCollector"];

const ROWS: Row[] = [
  {
    fn: "setCaps",
    call: (f, who) => f.log.connect(who).setCaps(DEFAULT_CONTACT_POLICY),
    event: "CapsSet",
    allowed: ["admin"],
    refusal: (_f, who) => ["AccessControlUnauthorizedAccount", [who, ethers.ZeroHash]],
  },
  {
    fn: "setJurisdictionRules",
    call: (f, who) =>
      f.log.connect(who).setJurisdictionRules(encodeJurisdiction("US"), { contactStartHour: 8, contactEndHour: 21, maxConnectedCallsPerDay: 0, maxCallAttemptsPer7Days: 7, coolDownDaysAfterConversation: 7 }),
    event: "JurisdictionRulesSet",
    allowed: ["admin"],
    refusal: (_f, who) => ["AccessControlUnauthorizedAccount", [who, ethers.ZeroHash]],
  },
  {
    fn: "removeJurisdictionRules",
    call: (f, who) => f.log.connect(who).removeJurisdictionRules(encodeJurisdiction("US")),
    event: "JurisdictionRulesSet",
    allowed: ["admin"],
    refusal: (_f, who) => ["AccessControlUnauthorizedAccount", [who, ethers.ZeroHash]],
  },
  {
    fn: "setContactPolicy",
    call: (f, who) => f.log.connect(who).setContactPolicy(DEFAULT_CONTACT_POLICY),
    event: "ContactPolicySet",
    allowed: ["lender", "otherLender"],
    refusal: (_f, who) => ["CollectionLogNotLenderRole", [who]],
  },
  {
    fn: "assignCollector",
    call: (f, who) => f.log.connect(who).assignCollector([f.loanId], f.fresh.address),
    event: "CollectorAssigned",
    allowed: ["lender"],
    refusal: notLender,
  },
  {
    fn: "unassignCollector",
    call: (f, who) => f.log.connect(who).unassignCollector(f.loanId, f.collector.address),
    event: "CollectorUnassigned",
    allowed: ["lender"],
    refusal: notLender,
  },
  {
    fn: "resolveDispute",
    call: (f, who) => f.log.connect(who).resolveDispute(f.loanId, ethers.id("validation")),
    event: "DisputeResolved",
    allowed: ["lender"],
    refusal: notLender,
  },
  {
    fn: "recordAction",
    call: (f, who, now) => f.log.connect(who).recordAction(f.loanId, Channel.Call, Kind.ContactMade, 200, now, ethers.id("rec")),
    event: "ActionRecorded",
    allowed: WORKERS,
    refusal: notAssigned,
  },
  {
    fn: "recordActions",
    call: (f, who, now) => f.log.connect(who).recordActions([actionInput(f.loanId, now)]),
    event: "ActionRecorded",
    allowed: WORKERS,
    refusal: notAssigned,
  },
  {
    // The actor is the signer; a stranger submits (anyone may: CollectionLog.signed.test.ts).
    fn: "recordActionBySig",
    call: async (f, who, now) => {
      const action = actionInput(f.loanId, now);
      const deadline = now + DAY;
      const signature = await signAction(who, f.log, { action, collector: who.address, nonce: await f.log.nonces(who.address), deadline });
      return f.log.connect(f.stranger).recordActionBySig(action, who.address, deadline, signature);
    },
    event: "ActionRecorded",
    allowed: WORKERS,
    refusal: notAssigned,
  },
  {
    fn: "recordPromise",
    call: (f, who, now) => f.log.connect(who).recordPromise(f.loanId, 1_000n, now + 7n * DAY, ethers.id("rec")),
    event: "PromiseRecorded",
    allowed: WORKERS,
    refusal: notAssigned,
  },
  {
    fn: "anchorBatch",
    call: (f, who) => f.log.connect(who).anchorBatch(ethers.id("root"), 10, "ipfs://batch"),
    event: "BatchAnchored",
    allowed: ["lender", "otherLender", "assignedCollector"],
    refusal: (_f, who) => ["CollectionLogNotAnchorer", [who]],
  },
  {
    // Loan 3 is the lender's and not placed; the agency named is nobody in ACTORS, so no caller is it.
    fn: "placeLoans",
    call: (f, who, now) => f.log.connect(who).placeLoans([f.westLoanId], f.fresh.address, 1_000, now + 10n, now + 30n * DAY),
    event: "PlacementCreated",
    allowed: ["lender"],
    refusal: (f, who) => ["CollectionLogNotLender", [who, f.westLoanId]],
  },
  {
    fn: "recallPlacement",
    call: (f, who) => f.log.connect(who).recallPlacement(f.placementId),
    event: "PlacementRecalled",
    allowed: ["lender"],
    refusal: (f, who) => ["CollectionLogNotPlacementLender", [who, f.placementId]],
  },
  {
    fn: "assignAgencyCollector",
    call: (f, who) => f.log.connect(who).assignAgencyCollector(f.placementId, [f.loanId], f.fresh.address),
    event: "AgencyCollectorAssigned",
    allowed: ["agency"],
    refusal: notAgency,
  },
  {
    fn: "unassignAgencyCollector",
    call: (f, who) => f.log.connect(who).unassignAgencyCollector(f.placementId, f.loanId, f.agencyCollector.address),
    event: "AgencyCollectorUnassigned",
    allowed: ["agency", "lender"],
    refusal: notAgency,
  },
  {
    fn: "restrictChannel",
    call: (f, who) => f.log.connect(who).restrictChannel(f.loanId, Channel.Sms),
    event: "ChannelRestricted",
    allowed: ["borrower"],
    refusal: notBorrower,
  },
  {
    fn: "releaseChannel",
    call: (f, who) => f.log.connect(who).releaseChannel(f.loanId, Channel.Sms),
    event: "ChannelReleased",
    allowed: ["borrower"],
    refusal: notBorrower,
  },
  {
    fn: "fileDispute",
    call: (f, who) => f.log.connect(who).fileDispute(f.loanId, ethers.id("complaint-2")),
    event: "DisputeFiled",
    allowed: ["borrower"],
    refusal: notBorrower,
  },
];

describe("CollectionLog: access matrix", function () {
  it("covers every external state-changing function of the ABI", async function () {
    const { log } = await loadFixture(accessFixture);
    const mutating = log.interface.fragments
      .filter((fr) => fr.type === "function")
      .map((fr) => fr as unknown as { name: string; stateMutability: string })
      .filter((fr) => fr.stateMutability !== "view" && fr.stateMutability !== "pure")
      .map((fr) => fr.name)
      // AccessControl's own role management is OpenZeppelin's, tested there.
      .filter((name) => !["grantRole", "revokeRole", "renounceRole"].includes(name))
      .sort();
    expect(mutating).to.deep.equal(ROWS.map((r) => r.fn).sort());
  });

  for (const row of ROWS) {
    describe(row.fn, function () {
      for (const actor of ACTORS) {
        const allowed = row.allowed.includes(actor);
        it(`${allowed ? "allows" : "refuses"} ${actor}`, async function () {
          const f = await loadFixture(accessFixture);
          const who = signerOf(f, actor);
          const now = BigInt(await time.latest());
          if (allowed) {
            await expect(row.call(f, who, now)).to.emit(f.log, row.event);
          } else {
            const [error, args] = row.refusal(f, who.address);
            await expect(row.call(f, who, now))
              .to.be.revertedWithCustomError(f.log, error)
              .withArgs(...args);
          }
        });
      }
    });
  }
});
