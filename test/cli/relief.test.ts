/**
 * `duetrail relief ...` end to end: a real `hardhat node`, the CLI as a child process, keys in the
 * environment, and the chain read back with viem to check what each command printed.
 */
import { expect } from "chai";
import fs from "node:fs";
import { createWalletClient, defineChain, http, keccak256, maxUint256, toHex, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { loanLedgerAbi, loanReliefAbi, mockERC20Abi } from "../../src/chain/abis";
import type { Deployment } from "../../src/chain/deployments";
import { DAY, encodeJurisdiction } from "../../src/domain";
import { deployTo, rpc, startNode, tempDeploymentsDir, type TestNode } from "../support/chain";
import { cli, deploymentIn, devAccount, grantLender, publicClient } from "./helpers/operator";

const MNEMONIC = "test test test test test test test test test test test junk";
// viem/chains is not imported: its types pull in ox sources that do not type-check under this tsconfig.
const hardhat = defineChain({ id: 31337, name: "hardhat", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: ["http://127.0.0.1:8545"] } } });

describe("cli relief commands (holiday-consent, holiday, arrears-consent, arrears-plan, settlement-offer, settle, policy)", function () {
  this.timeout(600_000);

  let node: TestNode | undefined;
  let dir = "";
  let deployment: Deployment;
  let conn: string[] = [];
  const lender = devAccount(1);
  const borrower = devAccount(2);
  const asLender = { LENDER_KEY: lender.key };
  const asBorrower = { BORROWER_KEY: borrower.key };
  let first = 0n;
  let t0 = 0n;

  const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;
  const read = <T>(functionName: string, args: unknown[], abi: typeof loanLedgerAbi | typeof loanReliefAbi = loanReliefAbi) =>
    publicClient(node!.url).readContract({ address: deployment.loanLedger.address, abi, functionName, args } as never) as Promise<T>;

  before(async function () {
    node = await startNode();
    dir = tempDeploymentsDir();
    await deployTo(node.url, dir);
    deployment = deploymentIn(dir);
    await grantLender(node.url, deployment, lender.address);
    conn = ["--rpc", node.url, "--network", "localhost", "--deployments", dir];
    const client = publicClient(node.url);
    const wallet = (i: number) => createWalletClient({ account: mnemonicToAccount(MNEMONIC, { addressIndex: i }), chain: hardhat, transport: http(node!.url) });
    const token = deployment.testToken!.address;
    t0 = (await client.getBlock()).timestamp;
    first = (await read<bigint>("loanCount", [], loanLedgerAbi)) + 1n;
    const loan = (k: number) => ({
      borrower: borrower.address,
      borrowerRef: keccak256(toHex(`cli-relief-${k}`)),
      token,
      currency: "0x000000" as Hex,
      principal: 300_000_000n,
      contractRateBps: 600,
      utcOffsetMinutes: 480,
      jurisdiction: encodeJurisdiction("CN"),
      schedule: [1n, 2n, 3n].map((m) => ({ dueDate: t0 + m * 30n * DAY, principal: 100_000_000n, interest: 1_500_000n })),
    });
    for (const [i, call] of [
      [1, { address: deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "registerLoans", args: [[loan(1), loan(2)]] }],
      [0, { address: token, abi: mockERC20Abi, functionName: "mint", args: [borrower.address, 10n ** 12n] }],
      [2, { address: token, abi: mockERC20Abi, functionName: "approve", args: [deployment.loanLedger.address, maxUint256] }],
    ] as const) {
      const hash = await wallet(i).writeContract(call as never);
      await client.waitForTransactionReceipt({ hash });
    }
  });

  after(async function () {
    await node?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the borrower signs a holiday, the lender grants it, and the chain has it as printed", async function () {
    const terms = ["--loan", String(first), "--installments", "2", "--interest", "capitalised", "--placement", "end", "--deadline", String(t0 + DAY)];
    const consent = await cli(["relief", "holiday-consent", "--key-env", "BORROWER_KEY", ...terms, ...conn], asBorrower);
    expect(consent.code, consent.stderr).to.equal(0);
    const c = json(consent.stdout);
    expect([c.version, c.installments, c.interest, c.placement]).to.deep.equal([2, 2, "capitalised", "end"]);

    const granted = await cli(["relief", "holiday", ...terms, "--signature", String(c.signature), ...conn], asLender);
    expect(granted.code, granted.stderr).to.equal(0);
    const g = json(granted.stdout);
    const [flagged, to] = await read<[boolean, bigint]>("holidayOf", [first]);
    expect([flagged, g.to, g.version, g.deferredPrincipal, g.deferredInterest, g.waivedInterest]).to.deep.equal([true, Number(to), 2, "200000000", "3000000", "0"]);
    // Capitalised: each deferred installment's 1.50 interest became principal; they follow the last, 30 days apart.
    expect(g.schedule).to.deep.equal([
      { dueDate: Number(t0 + 90n * DAY), principal: "100000000", interest: "1500000" },
      { dueDate: Number(t0 + 120n * DAY), principal: "101500000", interest: "0" },
      { dueDate: Number(t0 + 150n * DAY), principal: "101500000", interest: "0" },
    ]);

    // The same consent again: its nonce is used, so the chain refuses and the CLI names the error.
    const replay = await cli(["relief", "holiday", ...terms, "--signature", String(c.signature), ...conn], asLender);
    expect(replay.code).to.equal(1);
    expect(replay.stderr).to.match(/LoanLedgerHolidayInForce|LoanLedgerInvalidSignature/);
  });

  it("refuses to sign for someone else's loan, and bad flags, before sending anything", async function () {
    const terms = ["--loan", String(first + 1n), "--installments", "1", "--interest", "waived", "--placement", "spread", "--deadline", String(t0 + DAY)];
    const wrongKey = await cli(["relief", "holiday-consent", "--key-env", "BORROWER_KEY", ...terms, ...conn], { BORROWER_KEY: lender.key });
    expect(wrongKey.code).to.equal(2);
    expect(wrongKey.stderr).to.contain("not loan");
    const bad = await cli(["relief", "holiday-consent", ...terms.map((a) => (a === "waived" ? "forgiven" : a)), "--key-env", "BORROWER_KEY", ...conn], asBorrower);
    expect(bad.code).to.equal(2);
    expect(bad.stderr.trim()).to.equal("error: --interest must be accrued, capitalised or waived");
  });

  it("offers a settlement and the borrower pays it: the loan is settled with the rest forgiven", async function () {
    const loan = String(first + 1n);
    const tooMuch = await cli(["relief", "settlement-offer", "--loan", loan, "--amount", "304500000", "--deadline", String(t0 + 7n * DAY), ...conn], asLender);
    expect(tooMuch.code).to.equal(1);
    expect(tooMuch.stderr).to.contain("LoanLedgerInvalidSettlementAmount(amount: 304500000, owed: 304500000)");

    const offer = await cli(["relief", "settlement-offer", "--loan", loan, "--amount", "200000000", "--deadline", String(t0 + 7n * DAY), ...conn], asLender);
    expect(offer.code, offer.stderr).to.equal(0);
    expect(json(offer.stdout).owed).to.deep.equal({ principal: "300000000", interest: "4500000", penalty: "0" });

    const paid = await cli(["relief", "settle", "--key-env", "PAYER_KEY", "--loan", loan, ...conn], { PAYER_KEY: borrower.key });
    expect(paid.code, paid.stderr).to.equal(0);
    const p = json(paid.stdout);
    expect([p.amount, p.paid, p.forgiven, p.offChain]).to.deep.equal([
      "200000000",
      { penalty: "0", interest: "4500000", principal: "195500000" },
      { penalty: "0", interest: "0", principal: "104500000" },
      false,
    ]);
    const state = await read<{ status: number }>("loanState", [first + 1n], loanLedgerAbi);
    expect(state.status).to.equal(4); // Settled
  });

  it("the borrower signs an arrears plan split in parts, the lender creates it with the printed parts, and the chain has it", async function () {
    // Loan 3, registered for this test with its first installment due 5 days out: 5 more days behind.
    const client = publicClient(node!.url);
    const lenderWallet = createWalletClient({ account: mnemonicToAccount(MNEMONIC, { addressIndex: 1 }), chain: hardhat, transport: http(node!.url) });
    const now = (await client.getBlock()).timestamp;
    const id = (await read<bigint>("loanCount", [], loanLedgerAbi)) + 1n;
    const schedule = [1n, 2n].map((m) => ({ dueDate: now + 5n * DAY + (m - 1n) * 30n * DAY, principal: 100_000_000n, interest: 1_500_000n }));
    const hash = await lenderWallet.writeContract({
      address: deployment.loanLedger.address,
      abi: loanLedgerAbi,
      functionName: "registerLoan",
      args: [{ borrower: borrower.address, borrowerRef: keccak256(toHex("cli-arrears")), token: deployment.testToken!.address, currency: "0x000000", principal: 200_000_000n, contractRateBps: 600, utcOffsetMinutes: 480, jurisdiction: encodeJurisdiction("CN"), schedule }],
    });
    await client.waitForTransactionReceipt({ hash });
    const early = await cli(["relief", "arrears-consent", "--key-env", "BORROWER_KEY", "--loan", String(id), "--split", "2", "--first", String(now + 40n * DAY), "--deadline", String(now + 30n * DAY), ...conn], asBorrower);
    expect(early.code).to.equal(2);
    expect(early.stderr).to.contain("no arrears to plan");
    await rpc(node!.url, "evm_increaseTime", [Number(10n * DAY)]);
    await rpc(node!.url, "evm_mine", []);

    const deadline = String(now + 30n * DAY);
    const consent = await cli(["relief", "arrears-consent", "--key-env", "BORROWER_KEY", "--loan", String(id), "--split", "3", "--first", String(now + 20n * DAY), "--every", "14", "--deadline", deadline, ...conn], asBorrower);
    expect(consent.code, consent.stderr).to.equal(0);
    const c = json(consent.stdout) as { arrears: string; parts: { dueDate: number; amount: string }[]; partsFlag: string; signature: string };
    expect(c.parts.map((p) => p.dueDate)).to.deep.equal([20n, 34n, 48n].map((d) => Number(now + d * DAY)));
    expect(c.parts.reduce((sum, p) => sum + BigInt(p.amount), 0n), "the parts add up to the arrears").to.equal(BigInt(c.arrears));

    const rest = await cli(["relief", "arrears-plan", "--loan", String(id), "--parts", `${now + 20n * DAY}:rest`, "--deadline", deadline, "--signature", c.signature, ...conn], asLender);
    expect(rest.code).to.equal(2);
    expect(rest.stderr).to.contain("the borrower signed exact amounts");
    const created = await cli(["relief", "arrears-plan", "--loan", String(id), "--parts", c.partsFlag, "--deadline", deadline, "--signature", c.signature, ...conn], asLender);
    expect(created.code, created.stderr).to.equal(0);
    const g = json(created.stdout);
    expect([g.arrears, g.parts]).to.deep.equal([c.arrears, c.parts]);
    const [inForce, , next, paid, parts] = await read<[boolean, bigint, number, bigint, { dueDate: bigint; amount: bigint }[]]>("arrearsPlanOf", [id]);
    expect([inForce, next, paid, parts.map((p) => [Number(p.dueDate), p.amount.toString()])]).to.deep.equal([true, 0, 0n, c.parts.map((p) => [p.dueDate, p.amount])]);
  });

  it("sets the lender's relief policy", async function () {
    const r = await cli(["relief", "policy", "--holiday-max-dpd", "12", ...conn], asLender);
    expect(r.code, r.stderr).to.equal(0);
    expect(await read<number>("reliefPolicyOf", [lender.address])).to.equal(12);
  });
});
