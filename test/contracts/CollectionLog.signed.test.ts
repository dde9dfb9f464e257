import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import type { Address, Hex } from "viem";
import { verifyTrail, type RecordedAction } from "../../src/domain";
import { DAY } from "./helpers/fixtures";
import {
  Channel,
  HOUR,
  Kind,
  actionInput,
  actionsRecorded,
  overdueCollectionFixture,
  signAction,
  type ActionInputStruct,
  type CollectionFixture,
} from "./helpers/collection";

/**
 * Issue 13 item 6: a relayed action used to be attributed to the relayer. With recordActionBySig
 * the collector signs the action (EIP-712 RecordAction, per-collector nonce, deadline), anyone
 * submits it, and the trail names the signer, whose assignment is what is checked.
 */
describe("CollectionLog: signed actions (recordActionBySig)", function () {
  /** overdueCollectionFixture at 12:00 in the borrower's UTC+8, with one action already on loan 1. */
  async function signedFixture() {
    const f = await overdueCollectionFixture();
    const latest = BigInt(await time.latest());
    const noon = (latest / DAY + 1n) * DAY + 4n * HOUR;
    await time.increaseTo(noon);
    await f.log.connect(f.collector).recordAction(f.loanId, Channel.Call, Kind.ContactAttempt, 404, noon - HOUR, ethers.id("first"));
    const relayer = f.stranger;
    const wallet = await ethers.deployContract("ERC1271WalletMock", [f.auditor.address]);
    return { ...f, noon, relayer, wallet, walletAddress: await wallet.getAddress() };
  }
  type SignedFixture = CollectionFixture & Awaited<ReturnType<typeof signedFixture>>;

  /** A signature of `action` by `signer` naming `collector` (default: the signer), at its current nonce. */
  async function sign(
    f: SignedFixture,
    action: ActionInputStruct,
    opts: { signer?: typeof f.collector; collector?: string; nonce?: bigint; deadline?: bigint } = {},
  ) {
    const signer = opts.signer ?? f.collector;
    const collector = opts.collector ?? signer.address;
    const deadline = opts.deadline ?? f.noon + DAY;
    const nonce = opts.nonce ?? (await f.log.nonces(collector));
    return { collector, deadline, signature: await signAction(signer, f.log, { action, collector, nonce, deadline }) };
  }

  /** The loan's ActionRecorded events so far, as src/domain's trail reads them. */
  async function recordedActions(f: SignedFixture, loanId: bigint): Promise<RecordedAction[]> {
    const logs = await f.log.queryFilter(f.log.filters.ActionRecorded(loanId));
    return logs.map((l) => ({
      loanId: l.args.loanId,
      seq: l.args.seq,
      collector: l.args.collector as Address,
      channel: Number(l.args.channel),
      kind: Number(l.args.kind),
      outcome: Number(l.args.outcome),
      occurredAt: l.args.occurredAt,
      evidenceHash: l.args.evidenceHash as Hex,
      head: l.args.head as Hex,
    }));
  }

  it("records the action with the signer as collector, submitted by a relayer that is not assigned; the trail recomputes with src/domain", async function () {
    const f = await loadFixture(signedFixture);
    expect(await f.log.isAssigned(f.loanId, f.relayer.address)).to.equal(false);
    const action = actionInput(f.loanId, f.noon - 10n * 60n, { outcome: 201, evidenceHash: ethers.id("call-recording") });
    expect(await f.log.nonces(f.collector.address)).to.equal(0n);
    const { signature, deadline } = await sign(f, action);
    const [seq, flags] = await f.log.connect(f.relayer).recordActionBySig.staticCall(action, f.collector.address, deadline, signature);
    expect([seq, flags]).to.deep.equal([2n, 0n]);
    const tx = await f.log.connect(f.relayer).recordActionBySig(action, f.collector.address, deadline, signature);
    const [event] = await actionsRecorded(f.log, tx);
    expect([event!.args.seq, event!.args.collector, event!.args.outcome, event!.args.evidenceHash]).to.deep.equal([
      2n,
      f.collector.address,
      201n,
      action.evidenceHash,
    ]);
    expect(await f.log.nonces(f.collector.address)).to.equal(1n);
    expect(await f.log.nonces(f.relayer.address)).to.equal(0n);

    const [head, count] = await f.log.trailOf(f.loanId);
    const trail = verifyTrail(f.chainId, f.logAddress as Address, f.loanId, await recordedActions(f, f.loanId), { head: head as Hex, count });
    expect(trail.problems).to.deep.equal([]);
    expect(trail.valid).to.equal(true);
    expect(count).to.equal(2n);
  });

  it("lets the collector submit its own signature, and names the signer on a Dispute it logs", async function () {
    const f = await loadFixture(signedFixture);
    const action = actionInput(f.loanId, f.noon, { kind: Kind.Dispute, evidenceHash: ethers.id("dispute-call") });
    const { signature, deadline } = await sign(f, action);
    await expect(f.log.connect(f.collector).recordActionBySig(action, f.collector.address, deadline, signature))
      .to.emit(f.log, "DisputeFiled")
      .withArgs(f.loanId, f.collector.address, ethers.id("dispute-call"));
  });

  it("refuses a replay of the same signature", async function () {
    const f = await loadFixture(signedFixture);
    const action = actionInput(f.loanId, f.noon);
    const { signature, deadline } = await sign(f, action);
    await f.log.connect(f.relayer).recordActionBySig(action, f.collector.address, deadline, signature);
    for (const submitter of [f.relayer, f.collector]) {
      await expect(f.log.connect(submitter).recordActionBySig(action, f.collector.address, deadline, signature))
        .to.be.revertedWithCustomError(f.log, "CollectionLogInvalidSignature")
        .withArgs(f.collector.address);
    }
    // The next nonce works.
    const next = await sign(f, action);
    await expect(f.log.connect(f.relayer).recordActionBySig(action, f.collector.address, next.deadline, next.signature)).to.emit(f.log, "ActionRecorded");
  });

  it("accepts a deadline equal to the block time and refuses one second later", async function () {
    const f = await loadFixture(signedFixture);
    const action = actionInput(f.loanId, f.noon);
    const deadline = f.noon + 100n;
    const { signature } = await sign(f, action, { deadline });
    await time.setNextBlockTimestamp(deadline + 1n);
    await expect(f.log.connect(f.relayer).recordActionBySig(action, f.collector.address, deadline, signature))
      .to.be.revertedWithCustomError(f.log, "CollectionLogExpiredSignature")
      .withArgs(deadline);
    const later = deadline + 10n;
    const fresh = await sign(f, action, { deadline: later });
    await time.setNextBlockTimestamp(later);
    await expect(f.log.connect(f.relayer).recordActionBySig(action, f.collector.address, later, fresh.signature)).to.emit(f.log, "ActionRecorded");
  });

  it("refuses a valid signature by a collector not assigned to the loan, naming the signer", async function () {
    const f = await loadFixture(signedFixture);
    const action = actionInput(f.loanId, f.noon);
    for (const signer of [f.unassignedCollector, f.otherCollector, f.relayer]) {
      const { signature, deadline } = await sign(f, action, { signer });
      await expect(f.log.connect(f.relayer).recordActionBySig(action, signer.address, deadline, signature))
        .to.be.revertedWithCustomError(f.log, "CollectionLogNotAssigned")
        .withArgs(f.loanId, signer.address);
    }
  });

  it("refuses a signature for other fields, another collector, nonce or deadline", async function () {
    const f = await loadFixture(signedFixture);
    const action = actionInput(f.loanId, f.noon, { evidenceHash: ethers.id("signed") });
    const { signature, deadline } = await sign(f, action);
    const altered: ActionInputStruct[] = [
      { ...action, loanId: f.westLoanId },
      { ...action, channel: Channel.Sms },
      { ...action, kind: Kind.Note },
      { ...action, outcome: 500 },
      { ...action, occurredAt: f.noon - 1n },
      { ...action, evidenceHash: ethers.id("forged") },
    ];
    for (const a of altered) {
      await expect(f.log.connect(f.relayer).recordActionBySig(a, f.collector.address, deadline, signature))
        .to.be.revertedWithCustomError(f.log, "CollectionLogInvalidSignature")
        .withArgs(f.collector.address);
    }
    await expect(f.log.connect(f.relayer).recordActionBySig(action, f.collector.address, deadline + 1n, signature))
      .to.be.revertedWithCustomError(f.log, "CollectionLogInvalidSignature")
      .withArgs(f.collector.address);
    // Signed by the collector but naming another assigned collector, or by a stranger naming the collector.
    await f.log.connect(f.lender).assignCollector([f.loanId], f.unassignedCollector.address);
    const naming = await sign(f, action, { collector: f.unassignedCollector.address });
    await expect(f.log.connect(f.relayer).recordActionBySig(action, f.unassignedCollector.address, naming.deadline, naming.signature))
      .to.be.revertedWithCustomError(f.log, "CollectionLogInvalidSignature")
      .withArgs(f.unassignedCollector.address);
    const forged = await sign(f, action, { signer: f.relayer, collector: f.collector.address });
    await expect(f.log.connect(f.relayer).recordActionBySig(action, f.collector.address, forged.deadline, forged.signature))
      .to.be.revertedWithCustomError(f.log, "CollectionLogInvalidSignature")
      .withArgs(f.collector.address);
    const ahead = await sign(f, action, { nonce: 1n });
    await expect(f.log.connect(f.relayer).recordActionBySig(action, f.collector.address, ahead.deadline, ahead.signature))
      .to.be.revertedWithCustomError(f.log, "CollectionLogInvalidSignature")
      .withArgs(f.collector.address);
    // Nothing was consumed: the original signature still works.
    await expect(f.log.connect(f.relayer).recordActionBySig(action, f.collector.address, deadline, signature)).to.emit(f.log, "ActionRecorded");
  });

  it("accepts an ERC-1271 contract wallet as the collector (its owner signs), and refuses another signer for it", async function () {
    const f = await loadFixture(signedFixture);
    await f.log.connect(f.lender).assignCollector([f.loanId], f.walletAddress);
    const action = actionInput(f.loanId, f.noon, { outcome: 7 });
    const notOwner = await sign(f, action, { signer: f.collector, collector: f.walletAddress });
    await expect(f.log.connect(f.relayer).recordActionBySig(action, f.walletAddress, notOwner.deadline, notOwner.signature))
      .to.be.revertedWithCustomError(f.log, "CollectionLogInvalidSignature")
      .withArgs(f.walletAddress);
    // f.auditor owns the wallet in this fixture.
    const { signature, deadline } = await sign(f, action, { signer: f.auditor, collector: f.walletAddress });
    await expect(f.log.connect(f.relayer).recordActionBySig(action, f.walletAddress, deadline, signature))
      .to.emit(f.log, "ActionRecorded")
      .withArgs(f.loanId, 2n, f.walletAddress, action.channel, action.kind, 7, action.occurredAt, action.evidenceHash, 0, anyValue);
    expect(await f.log.nonces(f.walletAddress)).to.equal(1n);
  });

  it("keeps recordAction, recordActions and recordPromise attributing the sender", async function () {
    const f = await loadFixture(signedFixture);
    await expect(f.log.connect(f.collector).recordActions([actionInput(f.loanId, f.noon)]))
      .to.emit(f.log, "ActionRecorded")
      .withArgs(f.loanId, 2n, f.collector.address, Channel.Call, Kind.ContactMade, 200, f.noon, ethers.ZeroHash, 0, anyValue);
    await expect(f.log.connect(f.relayer).recordAction(f.loanId, Channel.Call, Kind.ContactMade, 200, f.noon, ethers.ZeroHash))
      .to.be.revertedWithCustomError(f.log, "CollectionLogNotAssigned")
      .withArgs(f.loanId, f.relayer.address);
  });
});
