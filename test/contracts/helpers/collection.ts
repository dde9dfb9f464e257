import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse, Signer } from "ethers";
import type { Address, Hex } from "viem";
import { plainTypes, recordActionTypedData, type RecordActionTypedData } from "../../../src/chain/typed-data";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { CollectionLog } from "../../../typechain-types";
import type { ActionRecordedEvent, ICollectionLog } from "../../../typechain-types/contracts/CollectionLog";
import { Channel, Kind } from "../../../src/domain";
import { DAY, deployLedgerFixture, fiatLoanParams } from "./fixtures";

// CollectionLog test helpers: borrower-local time, event decoding and the CollectionLog fixtures
// (CollectionLog.<capability>.test.ts). The vocabulary and the encodings (Channel, Kind, the
// compliance flags, the default contact policy, the trail hashes, batch leaves and promise
// commitments) are src/domain's, so these tests also check that the contract agrees with it;
// test/domain's trail, merkle and promises tests pin those encodings against ethers' ABI coder.
export {
  ACTION_LEAF_ENCODING,
  Channel,
  ComplianceFlag as Flag,
  DEFAULT_CONTACT_POLICY,
  Kind,
  actionHash,
  actionLeaf,
  genesisHead,
  nextHead,
  promiseCommitment,
  type Action,
} from "../../../src/domain";

export type ContactPolicyStruct = ICollectionLog.ContactPolicyStruct;
export type ActionInputStruct = ICollectionLog.ActionInputStruct;

export const MINUTE = 60n;
export const HOUR = 3_600n;

/** A ContactPolicy as the tuple events, errors and views carry (declaration order). */
export function policyTuple(p: ContactPolicyStruct): bigint[] {
  return [p.maxConnectedCallsPerDay, p.maxCallAttemptsPer7Days, p.contactStartHour, p.contactEndHour, p.legalStageDpd, p.actionWindowDays].map((v) =>
    BigInt(v),
  );
}

// ---------------------------------------------------------------------------------------------
// Borrower-local time.

/** Start (as a UTC timestamp) of the borrower-local day containing `t`, for a UTC offset in minutes. */
export function localDayStart(t: bigint, utcOffsetMinutes: number): bigint {
  const off = BigInt(utcOffsetMinutes) * MINUTE;
  return ((t + off) / DAY) * DAY - off;
}

/**
 * Moves the chain to the next instant at which the borrower's clock reads `hour`:00 (at least one
 * second ahead) and returns that instant and the start of that local day. Actions then use
 * `today + k * DAY + h * HOUR` for k <= 0.
 */
export async function increaseToLocalHour(hour: number, utcOffsetMinutes: number): Promise<{ now: bigint; today: bigint }> {
  const latest = BigInt(await time.latest());
  let target = localDayStart(latest, utcOffsetMinutes) + BigInt(hour) * HOUR;
  while (target <= latest) target += DAY;
  await time.increaseTo(target);
  return { now: target, today: localDayStart(target, utcOffsetMinutes) };
}

// ---------------------------------------------------------------------------------------------
// Events.

/** The ActionRecorded events of a transaction, in log order. */
export async function actionsRecorded(log: CollectionLog, tx: ContractTransactionResponse): Promise<{ args: ActionRecordedEvent.OutputObject }[]> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("transaction was not mined");
  const address = (await log.getAddress()).toLowerCase();
  const out: { args: ActionRecordedEvent.OutputObject }[] = [];
  for (const l of receipt.logs) {
    if (l.address.toLowerCase() !== address) continue;
    const parsed = log.interface.parseLog(l);
    if (parsed?.name === "ActionRecorded") out.push({ args: parsed.args as unknown as ActionRecordedEvent.OutputObject });
  }
  return out;
}

/** The flags of the single action a transaction recorded. */
export async function flagsOf(log: CollectionLog, tx: Promise<ContractTransactionResponse>): Promise<number> {
  const events = await actionsRecorded(log, await tx);
  if (events.length !== 1) throw new Error(`expected one ActionRecorded, got ${events.length}`);
  return Number(events[0].args.flags);
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

/** UTC offset of the lender's second loan (UTC-05:00), to test a negative offset. */
export const WEST_OFFSET_MINUTES = -300;
/** UTC offset of the fixture's other loans (UTC+08:00, tokenLoanParams' default). */
export const EAST_OFFSET_MINUTES = 480;

/**
 * deployLedgerFixture plus a CollectionLog (admin = the ledger admin) and three CNY loans of
 * 12,000.00 in 12 installments from 30 days out, all of `borrower`:
 *   loan 1 (`loanId`) of `lender`, UTC+8; loan 2 (`otherLoanId`) of `otherLender`, UTC+8;
 *   loan 3 (`westLoanId`) of `lender`, UTC-5.
 * `collector` is assigned to loans 1 and 3; `unassignedCollector` was assigned to loan 1 and then
 * unassigned, so it is assigned to nothing; `otherCollector` is assigned to loan 2 by `otherLender`.
 */
export async function collectionLogFixture() {
  const f = await deployLedgerFixture();
  const signers = await ethers.getSigners();
  const [collector, unassignedCollector, otherCollector] = [signers[8], signers[9], signers[10]];
  const log = (await ethers.deployContract("CollectionLog", [await f.ledger.getAddress(), f.admin.address])) as unknown as CollectionLog;
  const east = await fiatLoanParams(f.borrower.address);
  await f.ledger.connect(f.lender).registerLoan(east);
  await f.ledger.connect(f.otherLender).registerLoan(east);
  await f.ledger.connect(f.lender).registerLoan({ ...east, utcOffsetMinutes: WEST_OFFSET_MINUTES });
  const [loanId, otherLoanId, westLoanId] = [1n, 2n, 3n];
  await log.connect(f.lender).assignCollector([loanId, westLoanId], collector.address);
  await log.connect(f.lender).assignCollector([loanId], unassignedCollector.address);
  await log.connect(f.lender).unassignCollector(loanId, unassignedCollector.address);
  await log.connect(f.otherLender).assignCollector([otherLoanId], otherCollector.address);
  const firstDue = BigInt(east.schedule[0].dueDate);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const logAddress = (await log.getAddress()) as Address;
  return { ...f, log, logAddress, chainId, collector, unassignedCollector, otherCollector, loanId, otherLoanId, westLoanId, firstDue };
}

export type CollectionFixture = Awaited<ReturnType<typeof collectionLogFixture>>;

/** collectionLogFixture 70 days after the first due date: every loan at DPD 70, past the legal stage. */
export async function overdueCollectionFixture() {
  const f = await collectionLogFixture();
  await time.increaseTo(f.firstDue + 70n * DAY);
  return f;
}

/** An ActionInput with harmless defaults (a connected call, outcome 200, no evidence). */
export function actionInput(loanId: bigint, occurredAt: bigint, over: Partial<Omit<ActionInputStruct, "loanId" | "occurredAt">> = {}): ActionInputStruct {
  return { loanId, channel: Channel.Call, kind: Kind.ContactMade, outcome: 200, occurredAt, evidenceHash: ethers.ZeroHash, ...over };
}

/** Records one action of `collector` (outcome 200, no evidence) and returns its flags. */
export async function recordFlags(
  log: CollectionLog,
  collector: HardhatEthersSigner,
  loanId: bigint,
  occurredAt: bigint,
  channel: number = Channel.Call,
  kind: number = Kind.ContactMade,
): Promise<number> {
  return flagsOf(log, log.connect(collector).recordAction(loanId, channel, kind, 200, occurredAt, ethers.ZeroHash));
}

// ---------------------------------------------------------------------------------------------
// Signed actions (recordActionBySig).

/** What a collector signs: the action, the collector it names, its nonce and a deadline. */
export interface SignedActionMessage {
  action: ActionInputStruct;
  collector: string;
  nonce: bigint;
  deadline: bigint;
}

/** The `RecordAction` typed data of src/chain/typed-data.ts for this CollectionLog and chain. */
export async function recordActionData(log: CollectionLog, m: SignedActionMessage): Promise<RecordActionTypedData> {
  const { chainId } = await ethers.provider.getNetwork();
  const a = m.action;
  return recordActionTypedData({
    chainId,
    collectionLog: (await log.getAddress()) as Address,
    action: {
      loanId: BigInt(a.loanId),
      channel: Number(a.channel),
      kind: Number(a.kind),
      outcome: Number(a.outcome),
      occurredAt: BigInt(a.occurredAt),
      evidenceHash: ethers.hexlify(a.evidenceHash) as Hex,
    },
    collector: m.collector as Address,
    nonce: m.nonce,
    deadline: m.deadline,
  });
}

/** `signer`'s EIP-712 signature of a RecordAction (for an ERC-1271 collector, its owner signs). */
export async function signAction(signer: Signer, log: CollectionLog, m: SignedActionMessage): Promise<string> {
  const td = await recordActionData(log, m);
  return signer.signTypedData(td.domain as Record<string, unknown>, plainTypes(td.types), td.message);
}

/**
 * overdueCollectionFixture plus placement 1: `lender` placed loan 1 (`loanId`) with `agency` at
 * 1,500 bps from `placedAt` for 90 days, and the agency let `agencyCollector` work it. `otherAgency`
 * has no placement. The chain stands at `placedAt` (the placement is active).
 */
export async function placementFixture() {
  const f = await overdueCollectionFixture();
  const signers = await ethers.getSigners();
  const [agency, agencyCollector, otherAgency] = [signers[12], signers[13], signers[14]];
  const placedAt = BigInt(await time.latest()) + 10n;
  const end = placedAt + 90n * DAY;
  await f.log.connect(f.lender).placeLoans([f.loanId], agency.address, 1_500, placedAt, end);
  await time.increaseTo(placedAt);
  await f.log.connect(agency).assignAgencyCollector(1n, [f.loanId], agencyCollector.address);
  return { ...f, agency, agencyCollector, otherAgency, placementId: 1n, placedAt, end };
}
