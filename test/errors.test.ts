import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { DuetrailError, isRetryable, walkCauses } from "../src/errors";
import { DomainError, InvalidArgumentError, ZeroAmountError } from "../src/domain";
import { ChainError, DeploymentError, RpcError } from "../src/chain/errors";
import { DbError, InvalidSchemaNameError, MigrationError, PolicyNotIndexedError } from "../src/db/errors";
import { AbortedError, withRetry } from "../src/chain/rpc";
import { UndecodableLogError } from "../src/chain/decode";
import {
  BlockGoneError,
  ChainMismatchError,
  CursorMovedError,
  InconsistentEventError,
  IndexerError,
  ProjectionMismatchError,
  ReorgTooDeepError,
  StandbyStoppedError,
} from "../src/indexer/errors";
import { ConfigError } from "../src/config";
import { PiiDecryptError, PiiError, PiiKeyUnknownError } from "../src/pii/errors";
import { ChannelSendError, NoticePlanError, NotifyError, ReceiptError, TemplateError } from "../src/notify/errors";
import { CliError, ChainRefusedError, UsageError, asEvidenceUsageError, evidenceUsageError } from "../src/cli/lib/errors";
import { RegistrationPlanError } from "../src/chain/register-plan";
import { FileFormatError } from "../src/files/errors";
import { EvidenceError, LoanNotRegisteredError, NoCollectionLogError, NodeUnreachableError, WrongChainError } from "../src/evidence/errors";
import { ScheduleUsageError } from "../src/cli/commands/schedule";
import { EvidenceFileError } from "../src/cli/commands/evidence-hash";
import { VerifyUsageError } from "../src/cli/commands/verify";

const COLLECTION_LOG = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

describe("errors: the base of every layer", function () {
  it("keeps the message a caller sees, with shortMessage, details and the standard cause", function () {
    const plain = new DuetrailError("the short line");
    expect(plain.message).to.equal("the short line");
    expect(plain.shortMessage).to.equal("the short line");
    expect(plain.details).to.equal(undefined);
    expect(plain.cause).to.equal(undefined);
    expect(plain).to.be.instanceOf(Error);

    const root = new Error("socket hang up");
    const detailed = new DuetrailError("the short line", { details: "more", cause: root });
    expect(detailed.message).to.equal("the short line\n\nDetails: more");
    expect(detailed.shortMessage).to.equal("the short line");
    expect(detailed.details).to.equal("more");
    expect(detailed.cause).to.equal(root);
  });

  it("is fatal unless marked retryable; isRetryable reads the first Duetrail error along the cause chain", function () {
    expect(new DuetrailError("x").retryable).to.equal(false);
    expect(new DuetrailError("x", { retryable: true }).retryable).to.equal(true);
    const rpc = new RpcError("node down", { cause: new Error("ECONNREFUSED") });
    expect(isRetryable(rpc)).to.equal(true);
    expect(isRetryable(new Error("wrapper", { cause: rpc }))).to.equal(true);
    expect(isRetryable(new DeploymentError("wrapper", { cause: rpc }))).to.equal(false); // the outer error decides
    expect(isRetryable(new Error("unclassified"))).to.equal(false);
    expect(isRetryable("a string")).to.equal(false);
    expect(isRetryable(undefined)).to.equal(false);
  });

  it("walks causes without looping on a cycle", function () {
    const a = new Error("a") as Error & { cause?: unknown };
    const b = new Error("b", { cause: a });
    a.cause = b;
    expect(walkCauses(b, (e) => e === a)).to.equal(a);
    expect(walkCauses(b, () => false)).to.equal(undefined);
    const wrapped = new DbError("outer", { cause: new ConfigError("inner") });
    expect(wrapped.walk((e) => e instanceof ConfigError)).to.be.instanceOf(ConfigError);
  });

  const layers: [string, () => DuetrailError, abstract new (...args: never[]) => DuetrailError, string, boolean][] = [
    ["domain", () => new ZeroAmountError(), DomainError, "ZeroAmountError", false],
    ["domain", () => new InvalidArgumentError("amount", "must be positive"), DomainError, "InvalidArgumentError", false],
    ["chain", () => new DeploymentError("deployments/x/LoanLedger.json: not valid JSON"), ChainError, "DeploymentError", false],
    ["chain", () => new RpcError("the node does not answer"), ChainError, "RpcError", true],
    ["db", () => new InvalidSchemaNameError("Bad-Name"), DbError, "InvalidSchemaNameError", false],
    ["db", () => new MigrationError("0001_initial", new Error("disk full")), DbError, "MigrationError", false],
    ["db", () => new PolicyNotIndexedError(3, 2), DbError, "PolicyNotIndexedError", false],
    ["chain", () => new UndecodableLogError("log 5:0 does not match the compiled ABIs"), ChainError, "UndecodableLogError", false],
    ["chain", () => new AbortedError("stopped while retrying"), ChainError, "AbortedError", false],
    ["chain", () => new RegistrationPlanError("too-big", "this loan alone needs more gas than the cap", { line: 3 }), ChainError, "RegistrationPlanError", false],
    ["files", () => new FileFormatError("extension", "error: loans.txt: expected a .csv or .json file"), DuetrailError, "FileFormatError", false],
    ["indexer", () => new BlockGoneError("block 9 is not on the node's chain"), IndexerError, "BlockGoneError", true],
    ["indexer", () => new ReorgTooDeepError("reorg below the window"), IndexerError, "ReorgTooDeepError", false],
    ["indexer", () => new ChainMismatchError("chain 1, deployment 31337"), IndexerError, "ChainMismatchError", false],
    ["indexer", () => new InconsistentEventError("event for unknown loan 4"), IndexerError, "InconsistentEventError", false],
    ["indexer", () => new ProjectionMismatchError("amount differs"), IndexerError, "ProjectionMismatchError", false],
    ["indexer", () => new CursorMovedError("another writer"), IndexerError, "CursorMovedError", false],
    ["indexer", () => new StandbyStoppedError(), IndexerError, "StandbyStoppedError", false],
    ["config", () => new ConfigError("--port (PORT) must be a number"), ConfigError, "ConfigError", false],
    ["pii", () => new PiiKeyUnknownError("k0", "borrower contact (lender 0xa1, borrowerRef 0x01)", ["k1"]), PiiError, "PiiKeyUnknownError", false],
    ["pii", () => new PiiDecryptError("k1", "borrower contact (lender 0xa1, borrowerRef 0x01)"), PiiError, "PiiDecryptError", false],
    ["notify", () => new ChannelSendError("email", "connect ECONNREFUSED 127.0.0.1:2525", { retryable: true }), NotifyError, "ChannelSendError", true],
    ["notify", () => new ChannelSendError("sms", "provider refused the number (HTTP 400)"), NotifyError, "ChannelSendError", false],
    ["notify", () => new NoticePlanError("plan: steps[0].template: unknown template \"nope\""), NotifyError, "NoticePlanError", false],
    ["notify", () => new TemplateError("template reminder.sms has no zh-CN text"), NotifyError, "TemplateError", false],
    ["notify", () => new ReceiptError("receipt: no signature matches"), NotifyError, "ReceiptError", false],
    ["evidence", () => new NodeUnreachableError(new Error("connect ECONNREFUSED 127.0.0.1:1")), EvidenceError, "NodeUnreachableError", true],
    ["evidence", () => new WrongChainError(1, "localhost", 31337), EvidenceError, "WrongChainError", false],
    ["evidence", () => new NoCollectionLogError(COLLECTION_LOG, "localhost"), EvidenceError, "NoCollectionLogError", false],
    ["evidence", () => new LoanNotRegisteredError(99n, "localhost", 12n), EvidenceError, "LoanNotRegisteredError", false],
    ["cli", () => new UsageError("error: --file is required"), CliError, "UsageError", false],
    ["cli", () => new ChainRefusedError("error: reverted: X"), CliError, "ChainRefusedError", false],
    ["cli", () => new ScheduleUsageError("error: --kind is required"), UsageError, "ScheduleUsageError", false],
    ["cli", () => new EvidenceFileError("error: cannot read f: no such file"), UsageError, "EvidenceFileError", false],
    ["cli", () => new VerifyUsageError("error: --rpc is required"), UsageError, "VerifyUsageError", false],
  ];
  for (const [layer, make, base, name, retryable] of layers) {
    it(`${layer}: ${name} extends its layer's base and DuetrailError, named, ${retryable ? "retryable" : "fatal"}`, function () {
      const err = make();
      expect(err).to.be.instanceOf(base);
      expect(err).to.be.instanceOf(DuetrailError);
      expect(err.name).to.equal(name);
      expect(err.retryable).to.equal(retryable);
      expect(isRetryable(err)).to.equal(retryable);
    });
  }

  it("the layers' messages are the texts callers print, unchanged", function () {
    expect(new InvalidSchemaNameError("Bad-Name").message).to.equal('invalid schema name "Bad-Name"');
    expect(new MigrationError("0004_loans_fillfactor", new Error("disk full")).message).to.equal("database migration failed (0004_loans_fillfactor): disk full");
    expect(new MigrationError(undefined, "boom").message).to.equal("database migration failed: boom");
    expect(new MigrationError(undefined, new Error("disk full")).cause).to.be.instanceOf(Error);
    expect(new UsageError("error: a\nerror: b").message).to.equal("error: a\nerror: b");
    expect(new PolicyNotIndexedError(3, 2).message).to.equal("loan 3: policy 2 not indexed");
    expect(new StandbyStoppedError().message).to.equal("stopped while standing by");
    expect(new UsageError("x").exitCode).to.equal(2);
    expect(new ChainRefusedError("x").exitCode).to.equal(1);
    expect(new UsageError("x").code).to.equal("duetrail.usage");
    expect(new ChainRefusedError("x").code).to.equal("duetrail.chain");
  });
});

describe("errors: the evidence readers' errors, as the API and the CLI say them", function () {
  it("name no CLI flag themselves; the CLI prints the lines it printed before they moved below it (exit 2)", async function () {
    const cases: [EvidenceError, string, string][] = [
      [
        new NodeUnreachableError(new Error("connect ECONNREFUSED 127.0.0.1:1\n    at TCPConnectWrap")),
        "cannot reach the node: connect ECONNREFUSED 127.0.0.1:1",
        "error: cannot reach --rpc: connect ECONNREFUSED 127.0.0.1:1",
      ],
      [
        new WrongChainError(1, "localhost", 31337),
        "the node is chain 1, but deployment localhost is chain 31337",
        "error: --rpc is chain 1, but deployments/localhost is chain 31337",
      ],
      [
        new NoCollectionLogError(COLLECTION_LOG, "sepolia"),
        `no CollectionLog at ${COLLECTION_LOG} on the node (stale deployment sepolia?)`,
        `error: no CollectionLog at ${COLLECTION_LOG} on --rpc (stale deployments/sepolia?)`,
      ],
      [
        new LoanNotRegisteredError(99n, "localhost", 12n),
        "loan 99 is not registered on localhost (as of block 12)",
        "error: loan 99 is not registered on localhost (as of block 12)",
      ],
    ];
    for (const [err, message, cliLine] of cases) {
      expect(err.message, err.name).to.equal(message);
      expect(err.message, err.name).to.not.include("--");
      const usage = evidenceUsageError(err);
      expect(usage, err.name).to.be.instanceOf(UsageError);
      expect([usage.message, usage.exitCode, usage.code, usage.cause], err.name).to.deep.equal([cliLine, 2, "duetrail.usage", err]);
      let thrown: unknown;
      await asEvidenceUsageError(() => Promise.reject(err)).catch((e: unknown) => (thrown = e));
      expect((thrown as UsageError).message, err.name).to.equal(cliLine);
    }
    // Anything else passes through unchanged.
    const other = new RpcError("the node does not answer");
    let passed: unknown;
    await asEvidenceUsageError(() => Promise.reject(other)).catch((e: unknown) => (passed = e));
    expect(passed).to.equal(other);
  });
});

describe("errors: withRetry acts on the marks", function () {
  it("retries what nobody classified and what is marked retryable, and gives up at once on a fatal error", async function () {
    const fast = { baseDelayMs: 1, maxDelayMs: 1 };
    const failing = (errors: unknown[]) => {
      let calls = 0;
      const fn = async () => {
        calls++;
        if (errors.length > 0) throw errors.shift();
        return "done";
      };
      return { fn, calls: () => calls };
    };
    const flaky = failing([new Error("ECONNRESET"), new RpcError("the node does not answer"), new BlockGoneError("block 9 gone")]);
    expect(await withRetry(flaky.fn, fast)).to.equal("done");
    expect(flaky.calls()).to.equal(4);

    const fatal = new ChainMismatchError("chain 1, deployment 31337");
    const refused = failing([fatal, new Error("never reached")]);
    let thrown: unknown;
    await withRetry(refused.fn, fast).catch((e: unknown) => (thrown = e));
    expect(thrown).to.equal(fatal);
    expect(refused.calls()).to.equal(1);

    const wrapped = failing([new Error("decoding failed", { cause: new UndecodableLogError("log 5:0") })]);
    await withRetry(wrapped.fn, fast).catch((e: unknown) => (thrown = e));
    expect(wrapped.calls()).to.equal(1);
  });
});

/** Every `.ts` file under `dir`, as paths relative to the repository root. */
function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith(".ts") ? [p] : [];
  });
}

/** The `line: text` of each bare `throw new Error(` / `throw Error(` in `text`. */
function bareThrows(text: string): string[] {
  return text.split("\n").flatMap((line, i) => (/\bthrow\s+(new\s+)?Error\s*\(/.test(line) ? [`${i + 1}: ${line.trim()}`] : []));
}

describe("errors: src/ throws typed errors", function () {
  const root = path.join(__dirname, "..");
  // Generated from the compiled contracts.
  const EXEMPT = ["src/chain/abis.ts"];

  it("finds a bare throw when there is one", function () {
    expect(bareThrows('const a = 1;\n  if (!a) throw new Error("x");\nthrow Error(`y`);')).to.deep.equal(['2: if (!a) throw new Error("x");', "3: throw Error(`y`);"]);
    expect(bareThrows('throw new ConfigError("x");\nthrow new RangeError("y");')).to.deep.equal([]);
  });

  it("has no bare `throw new Error(` in src/ (a layer's error class says what failed and whether a retry helps)", function () {
    const files = sourceFiles(path.join(root, "src"))
      .map((f) => path.relative(root, f).split(path.sep).join("/"))
      .filter((f) => !EXEMPT.some((e) => (e.endsWith("/") ? f.startsWith(e) : f === e)));
    expect(files.length).to.be.greaterThan(50);
    const found = files.flatMap((f) => bareThrows(fs.readFileSync(path.join(root, f), "utf8")).map((l) => `${f}:${l}`));
    expect(found).to.deep.equal([]);
  });
});
