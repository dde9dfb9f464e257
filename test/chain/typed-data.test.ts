/**
 * src/chain/typed-data.ts against the contracts: the typehash constants equal what viem's
 * hashStruct derives from the module's type definitions, and the EIP-712 domains (ERC-5267
 * eip712Domain()) equal the module's names and versions. Signatures over these typed data are
 * accepted by the contracts in test/contracts (LoanLedger.restructure, CollectionLog.signed).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { concat, encodeAbiParameters, hashStruct, keccak256, type Address, type Hex } from "viem";
import {
  COLLECTION_LOG_EIP712,
  LOAN_LEDGER_EIP712,
  arrearsPlanTypedData,
  arrearsPlanTypes,
  paymentHolidayTypedData,
  paymentHolidayTypes,
  recordActionTypedData,
  recordActionTypes,
  restructureTypedData,
  restructureTypes,
} from "../../src/chain/typed-data";
import { collectionLogFixture } from "../contracts/helpers/collection";
import { reliefOf } from "../contracts/helpers/relief";

describe("chain/typed-data", function () {
  const schedule = [
    { dueDate: 1_900_000_000n, principal: 1_000_000n, interest: 20_000n },
    { dueDate: 1_902_592_000n, principal: 2n ** 96n - 1n, interest: 0n },
  ];

  it("INSTALLMENT_TYPEHASH and RESTRUCTURE_TYPEHASH are the typehashes of the module's Restructure types", async function () {
    const { ledger } = await loadFixture(collectionLogFixture);
    const installmentTypehash = (await ledger.INSTALLMENT_TYPEHASH()) as Hex;
    const restructureTypehash = (await ledger.RESTRUCTURE_TYPEHASH()) as Hex;
    const td = restructureTypedData({
      chainId: 31337,
      loanLedger: (await ledger.getAddress()) as Address,
      loanId: 7n,
      version: 3,
      schedule,
      nonce: (7n << 64n) + 2n,
      deadline: 1_900_000_100n,
    });
    // hashStruct = keccak256(typehash ‖ encoded fields): with the contract's typehash in front, the
    // contract's encoding must give viem's hash.
    const installmentHashes = td.message.schedule.map((i) => {
      const viemHash = hashStruct({ types: restructureTypes, primaryType: "Installment", data: i });
      const contractHash = keccak256(
        encodeAbiParameters([{ type: "bytes32" }, { type: "uint64" }, { type: "uint256" }, { type: "uint256" }], [installmentTypehash, i.dueDate, i.principal, i.interest]),
      );
      expect(contractHash, "Installment hashStruct").to.equal(viemHash);
      return viemHash;
    });
    const m = td.message;
    const contractHash = keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "uint256" }, { type: "uint16" }, { type: "bytes32" }, { type: "uint256" }, { type: "uint256" }],
        [restructureTypehash, m.loanId, m.version, keccak256(concat(installmentHashes)), m.nonce, m.deadline],
      ),
    );
    expect(contractHash, "Restructure hashStruct").to.equal(hashStruct({ types: restructureTypes, primaryType: "Restructure", data: m }));
  });

  it("PAYMENT_HOLIDAY_TYPEHASH (LoanRelief, at the ledger's address) is the typehash of the module's PaymentHoliday type", async function () {
    const { ledger } = await loadFixture(collectionLogFixture);
    const typehash = (await (await reliefOf(ledger)).PAYMENT_HOLIDAY_TYPEHASH()) as Hex;
    const td = paymentHolidayTypedData({
      chainId: 31337,
      loanLedger: (await ledger.getAddress()) as Address,
      loanId: 7n,
      version: 3,
      installments: 2,
      interest: 2,
      placement: 1,
      to: 1_900_000_000n,
      nonce: (7n << 64n) | 1n,
      deadline: 1_900_000_600n,
    });
    const m = td.message;
    const fields = paymentHolidayTypes.PaymentHoliday.map((f) => ({ type: f.type }));
    const contractHash = keccak256(
      encodeAbiParameters([{ type: "bytes32" }, ...fields], [typehash, m.loanId, m.version, m.installments, m.interest, m.placement, m.to, m.nonce, m.deadline]),
    );
    expect(contractHash).to.equal(hashStruct({ types: paymentHolidayTypes, primaryType: "PaymentHoliday", data: m }));
  });

  it("ARREARS_PLAN_TYPEHASH and ARREARS_PART_TYPEHASH (LoanRelief) are the typehashes of the module's ArrearsPlan types", async function () {
    const { ledger } = await loadFixture(collectionLogFixture);
    const relief = await reliefOf(ledger);
    const [planTypehash, partTypehash] = (await Promise.all([relief.ARREARS_PLAN_TYPEHASH(), relief.ARREARS_PART_TYPEHASH()])) as [Hex, Hex];
    const td = arrearsPlanTypedData({
      chainId: 31337,
      loanLedger: (await ledger.getAddress()) as Address,
      loanId: 9n,
      parts: [
        { dueDate: 1_900_000_000n, amount: 150_000n },
        { dueDate: 1_902_592_000n, amount: 2n ** 100n },
      ],
      nonce: (9n << 64n) | 4n,
      deadline: 1_900_000_600n,
    });
    const m = td.message;
    const partHashes = m.parts.map((x) => {
      const contractHash = keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "uint64" }, { type: "uint256" }], [partTypehash, x.dueDate, x.amount]));
      expect(contractHash, "ArrearsPart hashStruct").to.equal(hashStruct({ types: arrearsPlanTypes, primaryType: "ArrearsPart", data: x }));
      return contractHash;
    });
    const contractHash = keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "uint256" }, { type: "bytes32" }, { type: "uint256" }, { type: "uint256" }],
        [planTypehash, m.loanId, keccak256(concat(partHashes)), m.nonce, m.deadline],
      ),
    );
    expect(contractHash, "ArrearsPlan hashStruct").to.equal(hashStruct({ types: arrearsPlanTypes, primaryType: "ArrearsPlan", data: m }));
  });

  it("RECORD_ACTION_TYPEHASH is the typehash of the module's RecordAction type", async function () {
    const { log, collector } = await loadFixture(collectionLogFixture);
    const typehash = (await log.RECORD_ACTION_TYPEHASH()) as Hex;
    const td = recordActionTypedData({
      chainId: 31337,
      collectionLog: (await log.getAddress()) as Address,
      action: { loanId: 1n, channel: 4, kind: 5, outcome: 65_535, occurredAt: 1_900_000_000n, evidenceHash: ethers.id("letter") as Hex },
      collector: collector.address as Address,
      nonce: 3n,
      deadline: 1_900_000_600n,
    });
    const m = td.message;
    const fields = recordActionTypes.RecordAction.map((f) => ({ type: f.type }));
    const contractHash = keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, ...fields],
        [typehash, m.loanId, m.channel, m.kind, m.outcome, m.occurredAt, m.evidenceHash, m.collector, m.nonce, m.deadline],
      ),
    );
    expect(contractHash).to.equal(hashStruct({ types: recordActionTypes, primaryType: "RecordAction", data: m }));
  });

  it("the EIP-712 domains (ERC-5267) are the module's", async function () {
    const { ledger, log, chainId } = await loadFixture(collectionLogFixture);
    for (const [contract, expected] of [
      [ledger, LOAN_LEDGER_EIP712],
      [log, COLLECTION_LOG_EIP712],
    ] as const) {
      const d = await contract.eip712Domain();
      expect([d.name, d.version, d.chainId, d.verifyingContract]).to.deep.equal([expected.name, expected.version, chainId, await contract.getAddress()]);
    }
  });
});
