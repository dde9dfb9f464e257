/**
 * Lender commands end to end: a real `hardhat node`, the deploy script into a temporary
 * deployments folder, the CLI as a child process with the key in LENDER_KEY, and the chain read
 * back with viem to check what the commands claim.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { keccak256, stringToBytes, type Hex } from "viem";
import { collectionLogAbi, loanLedgerAbi } from "../../src/chain/abis";
import type { Deployment } from "../../src/chain/deployments";
import { deployTo, startNode, tempDeploymentsDir, type TestNode } from "../support/chain";
import { cli, deploymentIn, devAccount, grantLender, loanCount, publicClient } from "./helpers/operator";
import { readRegistrationFacts } from "../../src/chain/register-plan";
import { tinyModel } from "../strategy/helpers/tiny-model";

const FIXTURES = path.join(__dirname, "fixtures");
const fixture = (name: string) => path.join(FIXTURES, name);

describe("cli lender commands (loans, repayments, collectors, policy)", function () {
  this.timeout(600_000);

  let node: TestNode | undefined;
  let dir = "";
  let deployment: Deployment;
  let conn: string[] = [];
  const lender = devAccount(1);
  const outsider = devAccount(2);
  const collector = devAccount(3);
  const asLender = { LENDER_KEY: lender.key };

  before(async function () {
    node = await startNode();
    dir = tempDeploymentsDir();
    await deployTo(node.url, dir);
    deployment = deploymentIn(dir);
    await grantLender(node.url, deployment, lender.address);
    conn = ["--rpc", node.url, "--network", "localhost", "--deployments", dir];
  });

  after(async function () {
    await node?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("loans register", function () {
    it("validates a bad CSV file, reports every `line N, field X`, exits 2 and registers nothing", async function () {
      const before = await loanCount(node!.url, deployment);
      const r = await cli(["loans", "register", "--file", fixture("bad-loans.csv"), "--jurisdiction", "CN", ...conn], asLender);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stdout).to.equal("");
      const lines = r.stderr.trim().split("\n");
      expect(lines.slice(0, -1).map((l) => l.replace(/: .*$/, ""))).to.deep.equal([
        "line 3, field borrower",
        "line 3, field borrowerRef",
        "line 3, field principal",
        "line 4, field currency",
        "line 4, field utcOffsetMinutes",
        "line 4, field count",
        "line 4, field firstDue",
        "line 5, field firstDue",
      ]);
      expect(lines[0]).to.equal("line 3, field borrower: must be a 0x-prefixed 20-byte hex address");
      expect(lines[7]).to.match(/^line 5, field firstDue: the first due date 2020-01-31T00:00:00.000Z must be after the chain's time /);
      expect(lines.at(-1)).to.match(/^error: 8 problems in .*bad-loans\.csv; nothing was registered$/);
      expect(await loanCount(node!.url, deployment)).to.equal(before);
    });

    it("validates a bad JSON file: the line of each value, every problem, nothing registered", async function () {
      const before = await loanCount(node!.url, deployment);
      const r = await cli(["loans", "register", "--file", fixture("bad-loans.json"), "--jurisdiction", "CN", ...conn], asLender);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr.trim().split("\n")).to.deep.equal([
        "line 6, field token: set exactly one of token (ERC-20 loan) and currency (off-chain loan)",
        "line 12, field schedule[1].dueDate: due date 2031-01-15T00:00:00.000Z is not after the previous one 2031-02-15T00:00:00.000Z",
        "line 20, field principal: is too large for a JSON number: write it as a string",
        "line 23, field colour: is not a loan field",
        "line 30, field principal: Principal parts sum to 200000, expected 300000.",
        `error: 5 problems in ${fixture("bad-loans.json")}; nothing was registered`,
      ]);
      expect(await loanCount(node!.url, deployment)).to.equal(before);
    });

    it("registers a CSV file (generated schedules) in one transaction and prints the new ids", async function () {
      const r = await cli(["loans", "register", "--file", fixture("loans.csv"), ...conn], asLender);
      expect(r.code, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout);
      expect(out).to.include({ complete: true, lender: lender.address, network: "localhost" });
      expect(out.loanIds).to.deep.equal(["1", "2"]);
      expect(out.transactions).to.have.length(1);
      expect(out.transactions[0].lines).to.deep.equal([2, 3]);
      const client = publicClient(node!.url);
      const receipt = await client.getTransactionReceipt({ hash: out.transactions[0].txHash });
      expect(receipt.status).to.equal("success");
      expect(out.transactions[0].blockNumber).to.equal(Number(receipt.blockNumber));
      const terms = await client.readContract({ address: deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "loanTerms", args: [2n] });
      expect(terms).to.include({ lender: lender.address, principal: 600_000n, contractRateBps: 800, utcOffsetMinutes: 480, jurisdiction: "0x474200000000", installmentCount: 4, currency: "0x434e59" });
      expect(await loanCount(node!.url, deployment)).to.equal(2n);
    });

    it("registers a JSON file with an explicit schedule exactly as given", async function () {
      const r = await cli(["loans", "register", "--file", fixture("loans.json"), ...conn], asLender);
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout).loanIds).to.deep.equal(["3"]);
      const schedule = await publicClient(node!.url).readContract({ address: deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "scheduleOf", args: [3n, 1] });
      expect(schedule.map((i) => [i.dueDate, i.principal, i.interest])).to.deep.equal([
        [1926201600n, 100_000n, 2_250n], // 2031-01-15
        [1928880000n, 100_000n, 1_500n], // 2031-02-15
        [1931299200n, 100_000n, 750n], // 2031-03-15
      ]);
    });

    it("checks each row's rate against its jurisdiction's cap as the deploy step loaded it (CN 1500, US-NY 1600 bps)", async function () {
      const row = JSON.parse(fs.readFileSync(fixture("loans.json"), "utf8")).loans[0];
      const file = path.join(dir, "caps.json");
      fs.writeFileSync(file, JSON.stringify([{ ...row, contractRateBps: 1_550, jurisdiction: "CN" }, { ...row, contractRateBps: 1_550, jurisdiction: "US-NY" }], null, 2));
      const r = await cli(["loans", "register", "--file", file, "--dry-run", ...conn], asLender);
      expect(r.code).to.equal(2);
      expect(r.stderr.trim().split("\n")[0]).to.equal("line 7, field contractRateBps: 1550 plus the policy's penalty rate 0 exceeds the legal cap 1500 bps (CN)");
      fs.writeFileSync(file, JSON.stringify([{ ...row, contractRateBps: 1_550, jurisdiction: "US-NY" }], null, 2));
      const ny = await cli(["loans", "register", "--file", file, "--dry-run", ...conn], asLender);
      expect(ny.code, ny.stderr).to.equal(0);
    });

    it("refuses a file that needs more than one transaction unless --allow-multiple-transactions", async function () {
      const before = await loanCount(node!.url, deployment);
      const refused = await cli(["loans", "register", "--file", fixture("loans.csv"), "--gas-cap", "250000", ...conn], asLender);
      expect(refused.code, refused.stderr).to.equal(2);
      expect(refused.stderr.trim().split("\n")).to.have.length(1);
      expect(refused.stderr).to.match(/^error: 2 loans need about \d+ gas, more than one transaction may use \(gas cap 250000\): they would take 2 transactions.*nothing was registered.*--allow-multiple-transactions/);
      expect(await loanCount(node!.url, deployment)).to.equal(before);

      const dry = await cli(["loans", "register", "--file", fixture("loans.csv"), "--gas-cap", "250000", "--allow-multiple-transactions", "--dry-run", ...conn], asLender);
      expect(dry.code, dry.stderr).to.equal(0);
      expect(JSON.parse(dry.stdout).transactions.map((t: { lines: number[] }) => t.lines)).to.deep.equal([[2], [3]]);
      expect(await loanCount(node!.url, deployment)).to.equal(before);

      const split = await cli(["loans", "register", "--file", fixture("loans.csv"), "--gas-cap", "250000", "--allow-multiple-transactions", ...conn], asLender);
      expect(split.code, split.stderr).to.equal(0);
      const out = JSON.parse(split.stdout);
      expect(out.transactions).to.have.length(2);
      expect(out.loanIds).to.deep.equal([String(before + 1n), String(before + 2n)]);
      for (const t of out.transactions) expect(BigInt(t.gasUsed) <= 250_000n).to.equal(true);
    });

    it("takes the key from the environment only, and says which variable is missing or malformed", async function () {
      const none = await cli(["loans", "register", "--file", fixture("loans.csv"), ...conn]);
      expect(none.code).to.equal(2);
      expect(none.stderr.trim()).to.match(/^error: LENDER_KEY is not set/);
      const bad = await cli(["loans", "register", "--file", fixture("loans.csv"), ...conn], { LENDER_KEY: "0xdeadbeef" });
      expect(bad.code).to.equal(2);
      expect(bad.stderr.trim()).to.equal("error: LENDER_KEY must be a 0x-prefixed 32-byte hex private key");
      const other = await cli(["loans", "register", "--file", fixture("loans.csv"), "--key-env", "BANK_OPS_KEY", "--dry-run", ...conn], { BANK_OPS_KEY: lender.key });
      expect(other.code, other.stderr).to.equal(0);
      const flag = await cli(["loans", "register", "--file", fixture("loans.csv"), "--key", lender.key, ...conn], asLender);
      expect(flag.code).to.equal(2);
      expect(flag.stderr).to.contain("unknown option '--key'");
    });

    it("decodes the custom error when the ledger refuses (no LENDER_ROLE): exit 1, nothing registered", async function () {
      const before = await loanCount(node!.url, deployment);
      const r = await cli(["loans", "register", "--file", fixture("loans.csv"), ...conn], { LENDER_KEY: outsider.key });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr.trim()).to.match(new RegExp(`^error: reverted: AccessControlUnauthorizedAccount\\(account: ${outsider.address}, neededRole: 0x[0-9a-f]{64}\\); nothing was registered$`));
      expect(await loanCount(node!.url, deployment)).to.equal(before);
    });

    it("exits 2 on a missing file, an unknown extension, an unknown deployment", async function () {
      const missing = await cli(["loans", "register", "--file", fixture("nope.csv"), ...conn], asLender);
      expect([missing.code, missing.stderr.trim()]).to.deep.equal([2, `error: --file ${fixture("nope.csv")}: no such file`]);
      const ext = await cli(["loans", "register", "--file", fixture("policy.json").replace(/json$/, "txt"), ...conn], asLender);
      expect(ext.code).to.equal(2);
      const net = await cli(["loans", "register", "--file", fixture("loans.csv"), "--rpc", node!.url, "--deployments", dir, "--network", "nowhere"], asLender);
      expect(net.code).to.equal(2);
      expect(net.stderr).to.match(/^error: no deployment for network "nowhere"/);
    });
  });

  describe("repayments record", function () {
    it("records an off-chain repayment and prints the waterfall split from LoanRepaid", async function () {
      const client = publicClient(node!.url);
      const { timestamp } = await client.getBlock({ blockTag: "latest" });
      const r = await cli(["repayments", "record", "--loan", "1", "--amount", "50000", "--paid-at", String(timestamp), "--bank-ref", "ICBC #88412", ...conn], asLender);
      expect(r.code, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout);
      expect(out).to.include({ loanId: "1", amount: "50000", paidAt: Number(timestamp), bankRef: keccak256(stringToBytes("ICBC #88412")), closed: false, recordedBy: lender.address });
      expect(BigInt(out.penalty) + BigInt(out.interest) + BigInt(out.principal)).to.equal(50_000n);
      const logs = await client.getContractEvents({ address: deployment.loanLedger.address, abi: loanLedgerAbi, eventName: "LoanRepaid", args: { loanId: 1n }, fromBlock: 0n });
      expect(logs).to.have.length(1);
      expect(logs[0]!.transactionHash).to.equal(out.txHash);
      expect(logs[0]!.args).to.include({ amount: 50_000n, offChain: true });
    });

    it("accepts a 32-byte --bank-ref as is and an ISO --paid-at", async function () {
      const client = publicClient(node!.url);
      const { timestamp } = await client.getBlock({ blockTag: "latest" });
      const iso = new Date(Number(timestamp) * 1000).toISOString().replace(/\.000Z$/, "Z");
      const ref = `0x${"ab".repeat(32)}` as Hex;
      const r = await cli(["repayments", "record", "--loan", "1", "--amount", "1000", "--paid-at", iso, "--bank-ref", ref, ...conn], asLender);
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout)).to.include({ bankRef: ref, paidAt: Number(timestamp) });
    });

    it("names the custom error of a refused repayment (overpayment, unknown loan): exit 1", async function () {
      const { timestamp } = await publicClient(node!.url).getBlock({ blockTag: "latest" });
      const over = await cli(["repayments", "record", "--loan", "1", "--amount", "999999999999", "--paid-at", String(timestamp), "--bank-ref", "x", ...conn], asLender);
      expect(over.code).to.equal(1);
      expect(over.stderr.trim()).to.match(/^error: reverted: LoanLedgerOverpayment\(loanId: 1, excess: \d+\)$/);
      const unknown = await cli(["repayments", "record", "--loan", "99", "--amount", "5", "--paid-at", String(timestamp), "--bank-ref", "x", ...conn], asLender);
      expect([unknown.code, unknown.stderr.trim()]).to.deep.equal([1, "error: reverted: LoanLedgerUnknownLoan(loanId: 99)"]);
    });

    it("exits 2 with one line on bad flags", async function () {
      const cases: [string[], string][] = [
        [["--amount", "5", "--paid-at", "1", "--bank-ref", "x"], "error: --loan is required"],
        [["--loan", "1", "--amount", "5.5", "--paid-at", "1", "--bank-ref", "x"], "error: --amount must be a positive integer in minor units"],
        [["--loan", "1", "--amount", "0", "--paid-at", "1", "--bank-ref", "x"], "error: --amount must be a positive integer in minor units"],
        [["--loan", "1", "--amount", "5", "--paid-at", "yesterday", "--bank-ref", "x"], "error: --paid-at must be unix seconds or an ISO-8601 UTC time (2027-01-31 or 2027-01-31T10:00:00Z)"],
        [["--loan", "1", "--amount", "5", "--paid-at", "1"], "error: --bank-ref is required"],
      ];
      for (const [args, message] of cases) {
        const r = await cli(["repayments", "record", ...args, ...conn], asLender);
        expect([r.code, r.stderr.trim()], message).to.deep.equal([2, message]);
      }
    });
  });

  describe("collectors assign / unassign", function () {
    const isAssigned = (loanId: bigint) =>
      publicClient(node!.url).readContract({ address: deployment.collectionLog.address, abi: collectionLogAbi, functionName: "isAssigned", args: [loanId, collector.address] });

    it("assigns a list with ranges in one transaction, and unassigns", async function () {
      const r = await cli(["collectors", "assign", "--loans", "1,2-3", "--collector", collector.address.toLowerCase(), ...conn], asLender);
      expect(r.code, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout);
      expect(out).to.include({ collector: collector.address });
      expect(out.assigned).to.deep.equal(["1", "2", "3"]);
      expect(out.transactions).to.have.length(1);
      expect(await Promise.all([1n, 2n, 3n].map(isAssigned))).to.deep.equal([true, true, true]);

      const u = await cli(["collectors", "unassign", "--loans", "3", "--collector", collector.address, ...conn], asLender);
      expect(u.code, u.stderr).to.equal(0);
      expect(JSON.parse(u.stdout).unassigned).to.deep.equal(["3"]);
      expect(await isAssigned(3n)).to.equal(false);
    });

    it("names the custom error when the sender is not the loans' lender: exit 1, nothing changed", async function () {
      const r = await cli(["collectors", "assign", "--loans", "3", "--collector", collector.address, ...conn], { LENDER_KEY: outsider.key });
      expect(r.code).to.equal(1);
      expect(r.stderr.trim()).to.equal(`error: reverted: CollectionLogNotLender(account: ${outsider.address}, loanId: 3)`);
      expect(await isAssigned(3n)).to.equal(false);
    });

    it("exits 2 on a bad --loans list or --collector", async function () {
      for (const [loans, who, message] of [
        ["1,x", collector.address, 'error: --loans must be loan ids and ranges like 1,2,5-9 (got "x")'],
        ["5-3", collector.address, 'error: --loans must be loan ids and ranges like 1,2,5-9 (got "5-3")'],
        ["1", "0x123", "error: --collector must be a 0x-prefixed 20-byte hex address"],
      ]) {
        const r = await cli(["collectors", "assign", "--loans", loans!, "--collector", who!, ...conn], asLender);
        expect([r.code, r.stderr.trim()]).to.deep.equal([2, message]);
      }
    });
  });

  describe("policy set / contact", function () {
    it("publishes the collection policy: PolicySet, and the lender's current policy is the new id", async function () {
      const r = await cli(["policy", "set", "--file", fixture("policy.json"), ...conn], asLender);
      expect(r.code, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout);
      const client = publicClient(node!.url);
      const current = await client.readContract({ address: deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "currentPolicyOf", args: [lender.address] });
      expect(out.policyId).to.equal(current);
      const stored = await client.readContract({ address: deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "policy", args: [current] });
      expect(stored).to.deep.include({ graceDays: 5, penaltyRateBps: 300, lateFee: 2000n, defaultAfterDays: 90 });
      expect(stored.reminderOffsetsDays).to.deep.equal([-3, 1, 7, 15, 30]);
      expect(out.policy).to.deep.include({ lateFee: "2000", graceDays: 5 });
    });

    it("reports every problem of a bad policy file by line and field, sends nothing", async function () {
      const r = await cli(["policy", "set", "--file", fixture("bad-policy.json"), ...conn], asLender);
      expect(r.code).to.equal(2);
      expect(r.stderr.trim().split("\n")).to.deep.equal([
        "line 1, field defaultAfterDays: is required",
        "line 2, field graceDays: must be an integer from 0 to 90",
        "line 4, field lateFee: must be a non-negative integer in minor units",
        "line 8, field reminderOffsetsDays[2]: must be an integer from -365 to 3650",
        "line 9, field extra: is not a policy field",
        `error: 5 problems in ${fixture("bad-policy.json")}; nothing was sent`,
      ]);
    });

    it("strategy publish records the hash of the lender's strategy in force with its policy (CollectionStrategySet)", async function () {
      const db = path.join(dir, "strategy.sqlite");
      const none = await cli(["strategy", "publish", "--db", db, ...conn], asLender);
      expect(none.code).to.equal(2);
      expect(none.stderr).to.contain(`lender ${lender.address} has no strategy in force`);
      const model = tinyModel();
      const modelFile = path.join(dir, `${model.version}.json`);
      fs.writeFileSync(modelFile, JSON.stringify(model));
      const set = await cli(["strategy", "set", "--file", fixture("strategy.json"), "--lender", lender.address, "--model", modelFile, "--db", db], {});
      expect(set.code, set.stderr).to.equal(0);
      const { strategyHash } = JSON.parse(set.stdout) as { strategyHash: string };
      const r = await cli(["strategy", "publish", "--db", db, ...conn], asLender);
      expect(r.code, r.stderr).to.equal(0);
      const client = publicClient(node!.url);
      const policyId = await client.readContract({ address: deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "currentPolicyOf", args: [lender.address] });
      expect(JSON.parse(r.stdout)).to.deep.include({ lender: lender.address, version: 1, strategyHash, policyId });
      expect(await client.readContract({ address: deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "collectionStrategyOf", args: [lender.address] })).to.equal(strategyHash);
    });

    it("sets the contact policy within the caps, and names CollectionLogPolicyOutsideCaps beyond them", async function () {
      const r = await cli(["policy", "contact", "--file", fixture("contact.json"), ...conn], asLender);
      expect(r.code, r.stderr).to.equal(0);
      const stored = await publicClient(node!.url).readContract({ address: deployment.collectionLog.address, abi: collectionLogAbi, functionName: "contactPolicyOf", args: [lender.address] });
      expect(stored).to.deep.equal({ maxConnectedCallsPerDay: 2, maxCallAttemptsPer7Days: 5, contactStartHour: 9, contactEndHour: 20, legalStageDpd: 90, actionWindowDays: 7 });
      expect(JSON.parse(r.stdout).contactPolicy).to.deep.equal(stored);
      const wide = await cli(["policy", "contact", "--file", fixture("contact-outside-caps.json"), ...conn], asLender);
      expect(wide.code).to.equal(1);
      expect(wide.stderr.trim()).to.match(/^error: reverted: CollectionLogPolicyOutsideCaps\(policy: \{maxConnectedCallsPerDay: 5, .*\}, caps: \{maxConnectedCallsPerDay: 3, .*\}\)$/);
      expect(await (publicClient(node!.url).readContract({ address: deployment.collectionLog.address, abi: collectionLogAbi, functionName: "contactPolicyOf", args: [lender.address] }))).to.deep.equal(stored);
    });
  });

  describe("jurisdictions show|set-cap|set-rules", function () {
    const asAdmin = { ADMIN_KEY: devAccount(0).key };
    const json = (stdout: string) => JSON.parse(stdout) as { cap: { effectiveBps: number; ownBps: number }; contactRules: Record<string, number> | null };

    it("shows what the deploy step loaded, and the admin changes a cap and a code's rules", async function () {
      const shown = await cli(["jurisdictions", "show", "--jurisdiction", "US-NY", ...conn]);
      expect(shown.code, shown.stderr).to.equal(0);
      // New York's own cap (16%), and the US rules it takes from its country (Regulation F's 7 in 7 days).
      expect(json(shown.stdout).cap).to.deep.equal({ effectiveBps: 1_600, ownBps: 1_600 });
      expect(json(shown.stdout).contactRules).to.include({ maxCallAttemptsPer7Days: 7, coolDownDaysAfterConversation: 7 });
      const cap = await cli(["jurisdictions", "set-cap", "--jurisdiction", "US-CA", "--bps", "1000", ...conn], asAdmin);
      expect(cap.code, cap.stderr).to.equal(0);
      expect(json(cap.stdout).cap).to.deep.equal({ effectiveBps: 1_000, ownBps: 1_000 });
      const rules = await cli(["jurisdictions", "set-rules", "--jurisdiction", "US-CA", "--hours", "9-20", "--calls-per-7-days", "5", ...conn], asAdmin);
      expect(rules.code, rules.stderr).to.equal(0);
      expect(json(rules.stdout).contactRules).to.deep.equal({ contactStartHour: 9, contactEndHour: 20, maxConnectedCallsPerDay: 0, maxCallAttemptsPer7Days: 5, coolDownDaysAfterConversation: 0 });
      const removed = await cli(["jurisdictions", "set-rules", "--jurisdiction", "US-CA", "--remove", ...conn], asAdmin);
      expect(json(removed.stdout).contactRules, "back to the country's rules").to.include({ maxCallAttemptsPer7Days: 7 });
    });

    it("gives the console's and the CLI's file check each built-in jurisdiction's cap, a subdivision its country's", async function () {
      const facts = await readRegistrationFacts(publicClient(node!.url), deployment.loanLedger.address, lender.address);
      expect([facts.capOf("US-NY"), facts.capOf("CN"), facts.capOf("CN-BJ"), facts.capOf("FR")]).to.deep.equal([1_600, facts.capOf("CN"), facts.capOf("CN"), undefined]);
      expect(facts.capOf("CN")).to.be.a("number");
    });

    it("refuses a non-admin on chain (exit 1) and bad input before sending (exit 2)", async function () {
      const notAdmin = await cli(["jurisdictions", "set-cap", "--jurisdiction", "CN", "--bps", "2400", ...conn], { ADMIN_KEY: lender.key });
      expect(notAdmin.code).to.equal(1);
      expect(notAdmin.stderr).to.match(/AccessControlUnauthorizedAccount/);
      const badCode = await cli(["jurisdictions", "show", "--jurisdiction", "China", ...conn]);
      expect([badCode.code, badCode.stderr.trim()]).to.deep.equal([2, "error: --jurisdiction must be an ISO 3166 code such as CN, GB or US-CA"]);
      const badHours = await cli(["jurisdictions", "set-rules", "--jurisdiction", "CN", "--hours", "22-8", ...conn], asAdmin);
      expect([badHours.code, badHours.stderr.trim()]).to.deep.equal([2, "error: --hours must be START-END with START < END <= 24"]);
    });
  });
});
