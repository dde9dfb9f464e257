import { expect } from "chai";
import { BaseError, ContractFunctionRevertedError, encodeErrorResult, EstimateGasExecutionError, InsufficientFundsError, UnknownNodeError } from "viem";
import { loanLedgerAbi } from "../../src/chain/abis";
import { RegistrationPlanError, planRegistration } from "../../src/chain/register-plan";

/** Rows as the loan file gives them: a line each. */
const rows = (n: number) => Array.from({ length: n }, (_, k) => ({ line: k + 2 }));

/** What viem throws when the node reverts the estimate with LoanLedger's custom error `data`. */
function reverted(data: `0x${string}`) {
  return new ContractFunctionRevertedError({ abi: loanLedgerAbi, functionName: "registerLoans", data });
}

describe("chain: registration planning (shared by the CLI and the console)", function () {
  it("sends everything in one transaction when the estimate fits the cap, and bisects until each part fits", async function () {
    const asked: number[][] = [];
    // 100 gas a row: six rows need 600, above the cap of 250; halves of three (300) still do not fit.
    const estimate = async (chunk: { line: number }[]) => {
      asked.push(chunk.map((r) => r.line));
      return BigInt(chunk.length * 100);
    };
    expect(await planRegistration(rows(2), 250n, estimate)).to.deep.equal([{ rows: rows(2), gas: 200n }]);
    const plan = await planRegistration(rows(6), 250n, estimate);
    expect(plan.map((c) => [c.rows.map((r) => r.line), c.gas])).to.deep.equal([
      [[2, 3], 200n],
      [[4], 100n],
      [[5, 6], 200n],
      [[7], 100n],
    ]);
  });

  it("pins a revert about a loan's terms to its line; a refusal of the whole call is not bisected", async function () {
    const data = encodeErrorResult({ abi: loanLedgerAbi, errorName: "LoanLedgerEmptySchedule" });
    const rowRefusal = async (chunk: { line: number }[]) => {
      if (chunk.some((r) => r.line === 4)) throw reverted(data);
      return 1n;
    };
    const err = await planRegistration(rows(5), 1000n, rowRefusal).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(RegistrationPlanError);
    expect(err).to.include({ reason: "row-refused", line: 4, message: "line 4: the ledger would refuse this loan: LoanLedgerEmptySchedule(); nothing was registered" });

    const paused = encodeErrorResult({ abi: loanLedgerAbi, errorName: "EnforcedPause" });
    let calls = 0;
    const refusal = async () => {
      calls++;
      throw reverted(paused);
    };
    const whole = await planRegistration(rows(5), 1000n, refusal).catch((e: unknown) => e);
    expect(whole).to.include({ reason: "refused", message: "reverted: EnforcedPause(); nothing was registered" });
    expect(calls).to.equal(1);
  });

  it("refuses a single loan above the cap, naming its line and its gas", async function () {
    const err = await planRegistration(rows(1), 50n, async () => 80n).catch((e: unknown) => e);
    expect(err).to.include({ reason: "too-big", line: 2, message: "line 2: this loan alone needs 80 gas, above the gas cap 50; nothing was registered" });
  });

  it("passes on an estimate failure that more gas would not cure (no funds, a node error), though viem's message lists the request's gas", async function () {
    const request = { gas: 16_777_216n };
    const noFunds = new EstimateGasExecutionError(new InsufficientFundsError(), request);
    expect(noFunds.message, "the request's gas is in viem's message").to.match(/gas:\s+16777216/);
    for (const thrown of [noFunds, new EstimateGasExecutionError(new UnknownNodeError({ cause: new BaseError("connection reset") }), request)]) {
      const err = await planRegistration(rows(3), 50n, async () => {
        throw thrown;
      }).catch((e: unknown) => e);
      expect(err, thrown.shortMessage).to.equal(thrown);
    }
    // The node saying the gas is too much still splits the rows.
    const tooMuch = new EstimateGasExecutionError(new BaseError("gas required exceeds allowance (50)"), request);
    const plan = await planRegistration(rows(2), 50n, async (chunk) => {
      if (chunk.length > 1) throw tooMuch;
      return 40n;
    });
    expect(plan.map((c) => c.rows.length)).to.deep.equal([1, 1]);
  });
});
