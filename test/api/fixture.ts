/**
 * Shared fixture of the API tests: a real `hardhat node`, the deploy and workload scripts, a few
 * extra roles and collection events, the indexer run to the tip into a fresh database of the
 * dialect (SQLite file, or a PostgreSQL schema when TEST_POSTGRES_URL is set), and the API
 * listening on a free port. Build it once per test file:
 *
 *   let f: ApiFixture;
 *   before(async function () { this.timeout(300_000); f = await apiFixture(dialect); });
 *   after(() => f?.close());
 *
 * The chain after setup (hardhat's default accounts):
 *   #0 admin, #1 lender, #2 borrower, #3 collector (the workload's signers), #4 auditor (AUDITOR_ROLE),
 *   #5 other lender (LENDER_ROLE, its own loan), #6 other collector (assigned to the other lender's
 *   loan only), #7 relayer (the API's relayer key; assigned to loans 1 and 2), #8 stranger (no role),
 *   #9 agency and #10 agencyCollector (no role and no placement until a test makes one).
 *   Loans 1..6 (lender): the workload's (6 loans, 1 round, 2 actions each; loans 1, 3, 5 paid the
 *   first installment, 2, 4, 6 are overdue), all assigned to the collector. Loan 7: the other lender's,
 *   not yet due. The lender's contact policy is set (9:00-20:00, 2 connected calls a day, 5 attempts a
 *   week). Borrower restricted SMS on loan 3 and disputed loan 4. Promises: loan 2 (broken: 1 unit due
 *   in a day, nothing paid), loan 6 (kept: paid in full). One Merkle batch of three recorded actions
 *   (loans 1 and 2, read back from their ActionRecorded events) is anchored by the collector: `batch`
 *   holds its leaves for POST /v1/batches.
 *   The API holds TEST_PII_KEYRING as its PII_KEY; the contact directory and the notices outbox are empty.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import pino, { type Logger } from "pino";
import { Registry } from "prom-client";
import { createPublicClient, createWalletClient, defineChain, http as httpTransport, keccak256, toHex, type Abi, type Address, type Hex, type PublicClient, type WalletClient } from "viem";
import { mnemonicToAccount, type HDAccount } from "viem/accounts";
import type { Kysely } from "kysely";
import { createRequestListener } from "../../src/api/app";
import { answerClientErrors } from "../../src/api/server";
import type { ApiOptions, ApiServices } from "../../src/api/context";
import { serviceToken } from "../../src/api/auth/tokens";
import { collectionLogAbi, loanLedgerAbi } from "../../src/chain/abis";
import { loadDeployment, type Deployment } from "../../src/chain/deployments";
import type { DatabaseHandle, Dialect } from "../../src/db/connect";
import type { Database } from "../../src/db/schema";
import { buildBatchTree, type Action } from "../../src/domain";
import { deployTo, rpc, runWorkloadOn, startNode, tempDeploymentsDir, type TestNode } from "../support/chain";
import { createTestDatabase, describeEachDialect, startIndexer, tempDir, type TestDatabase } from "../indexer/helpers/harness";
import { DAY, encodeJurisdiction } from "../../src/domain";
import { PiiKey, type PiiKeyring } from "../../src/pii/crypto";

export { describeEachDialect };

const MNEMONIC = "test test test test test test test test test test test junk";
export const ROLE_INDEX = { admin: 0, lender: 1, borrower: 2, collector: 3, auditor: 4, otherLender: 5, otherCollector: 6, relayer: 7, stranger: 8, agency: 9, agencyCollector: 10 } as const;
export type Role = keyof typeof ROLE_INDEX;

export const accountOf = (role: Role): HDAccount => mnemonicToAccount(MNEMONIC, { addressIndex: ROLE_INDEX[role] });
export const TOKEN_SECRET = "api-test-secret-0123456789abcdef";
/** The borrower contact directory's key in API tests (PII_KEY): random per test process. */
/** The SMS receipt signing secret of the fixture's API (SMS_RECEIPT_SECRET). */
export const TEST_SMS_RECEIPT_SECRET = "sms-receipts-test-secret-0123456789abcdef";

export const TEST_PII_KEYRING: PiiKeyring = { current: new PiiKey("api-test", crypto.randomBytes(32)) };

export interface ApiFixture {
  dialect: Dialect;
  /** Base URL of the app (http://127.0.0.1:port). */
  url: string;
  /** Bearer tokens (service tokens) by role. */
  tokens: Record<Role, string>;
  addresses: Record<Role, Address>;
  db: Kysely<Database>;
  /** What `--db` takes for this database (a SQLite path, or a postgres URL with ?schema=). */
  dbUrl: string;
  handle: DatabaseHandle;
  node: TestNode;
  deployment: Deployment;
  deploymentsDir: string;
  services: ApiServices;
  client: PublicClient;
  /** Wallet clients (local accounts) by role, for extra transactions in a test. */
  wallet(role: Role): WalletClient;
  /** The anchored batch: id, root and its actions (leaves) in input order. */
  batch: { batchId: number; root: Hex; actions: Action[] };
  /** Runs the indexer again to the chain's tip (after a test sent transactions). */
  reindex(): Promise<void>;
  /** fetch against the app with `role`'s token (no token when role is undefined). */
  call(role: Role | undefined, pathname: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface ApiFixtureOptions {
  /** Without chain access: services.chain undefined (no trailOf checks, no relaying). */
  noChain?: boolean;
  /** Without the relayer wallet (chain reads only). */
  noRelayer?: boolean;
  /** Largest evidence upload (default 64 KiB). */
  maxEvidenceBytes?: number;
  /** Overrides of the API options (after the fixture's own). */
  options?: Partial<ApiOptions>;
  /** Without PII_KEY (services.pii undefined): the contact routes answer 503. */
  noPii?: boolean;
  /** The app's logger (default: silent, or TEST_API_LOG's level). */
  logger?: Logger;
}

interface SharedChain {
  node: TestNode;
  deploymentsDir: string;
  deployment: Deployment;
  client: PublicClient;
  wallet(role: Role): WalletClient;
  batch: { batchId: number; root: Hex; actions: Action[] };
  snapshot: string;
}

let shared: Promise<SharedChain> | undefined;

/**
 * The chain every API test file starts from, built once per test process (node, deployment,
 * workload, extra setup) and snapshotted; each fixture reverts to the snapshot, so files see the
 * same fresh chain without paying for a node, a deployment and a workload each.
 */
async function sharedChain(): Promise<SharedChain> {
  shared ??= (async () => {
    const node = await startNode();
    process.once("exit", () => {
      try {
        process.kill(-node.process.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    });
    const deploymentsDir = tempDeploymentsDir();
    await deployTo(node.url, deploymentsDir);
    await runWorkloadOn(node.url, deploymentsDir, { loans: 6, rounds: 1, actions: 2 });
    const deployment = loadDeployment("localhost", deploymentsDir);
    // viem/chains is not imported: its types pull in ox sources that do not type-check under this tsconfig.
    const chain = defineChain({ id: deployment.chainId, name: "hardhat", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [node.url] } } });
    const client = createPublicClient({ chain, transport: httpTransport(node.url) }) as PublicClient;
    const wallet = (role: Role) => createWalletClient({ account: accountOf(role), chain, transport: httpTransport(node.url) });
    const batch = await extraSetup(node.url, client, wallet, deployment);
    const snapshot = await rpc<string>(node.url, "evm_snapshot");
    return { node, deploymentsDir, deployment, client, wallet, batch, snapshot };
  })();
  const s = await shared;
  // Back to the state after setup (reverting consumes the snapshot: take the next one).
  if (!(await rpc<boolean>(s.node.url, "evm_revert", [s.snapshot]))) throw new Error("evm_revert failed");
  s.snapshot = await rpc<string>(s.node.url, "evm_snapshot");
  return s;
}

/** Builds the fixture described above for `dialect`. */
export async function apiFixture(dialect: Dialect, opts: ApiFixtureOptions = {}): Promise<ApiFixture> {
  const { node, deploymentsDir, deployment, client, wallet, batch } = await sharedChain();
  let database: TestDatabase | undefined;
  let handle: DatabaseHandle | undefined;
  let server: http.Server | undefined;
  try {
    database = createTestDatabase(dialect, "api");
    handle = await database.open();
    const h = handle;
    const reindex = () => startIndexer({ rpcUrl: node.url, deploymentsDir, handle: h, options: { exitAtTip: true } }).run();
    await reindex();

    const evidenceDir = path.join(tempDir("evidence"), "store");
    const services: ApiServices = {
      db: handle.db,
      dialect,
      logger: opts.logger ?? pino({ level: process.env.TEST_API_LOG ?? "silent" }),
      registry: new Registry(),
      pii: opts.noPii ? undefined : TEST_PII_KEYRING,
      options: {
        tokenSecret: TOKEN_SECRET,
        sessionTtlSec: 3_600,
        corsOrigins: [],
        rateLimitPerMinute: 100_000,
        evidenceDir,
        maxEvidenceBytes: opts.maxEvidenceBytes ?? 64 * 1024,
        evidenceQuotaBytesPerDay: 1024 ** 3,
        // No floor: the tests do not depend on the machine's free space (a test raises it to see 507).
        evidenceMinFreeBytes: 0,
        evidenceRetentionDays: 30,
        maxLagBlocks: 1_000,
        smsReceiptSecret: TEST_SMS_RECEIPT_SECRET,
        ...opts.options,
      },
      chain: opts.noChain
        ? undefined
        : {
            client,
            deployment,
            // The relayer key is configured explicitly (RELAYER_KEY in the server; here account #7).
            relayer: opts.noRelayer ? undefined : wallet("relayer"),
          },
      now: () => Math.floor(Date.now() / 1000),
    };
    // As src/api/server.ts listens: the app behind the response cache's fast path.
    const listener = createRequestListener(services);
    server = await new Promise<http.Server>((resolve, reject) => {
      const s = http.createServer(listener).listen(0, "127.0.0.1", () => resolve(s));
      answerClientErrors(s); // as src/api/server.ts does: parser-level rejects as problem+json
      s.once("error", reject);
    });
    const { port } = server.address() as { port: number };
    const url = `http://127.0.0.1:${port}`;
    // Sign-in is bound to the server's own origin, as the demo configures it (read per request).
    if (!opts.options || !("siweDomain" in opts.options)) services.options.siweDomain = `127.0.0.1:${port}`;
    if (!opts.options || !("siweUri" in opts.options)) services.options.siweUri = url;
    const roles = Object.keys(ROLE_INDEX) as Role[];
    const addresses = Object.fromEntries(roles.map((r) => [r, accountOf(r).address])) as Record<Role, Address>;
    const tokens = Object.fromEntries(roles.map((r) => [r, serviceToken(addresses[r], TOKEN_SECRET, 86_400).token])) as Record<Role, string>;
    const s = server;
    const db = database;
    return {
      dialect,
      url,
      tokens,
      addresses,
      db: handle.db,
      dbUrl: database.url,
      handle,
      node,
      deployment,
      deploymentsDir,
      services,
      client,
      wallet,
      batch,
      reindex,
      call(role, pathname, init = {}) {
        const headers = new Headers(init.headers);
        if (role) headers.set("authorization", `Bearer ${tokens[role]}`);
        return fetch(`${url}${pathname}`, { ...init, headers });
      },
      async close() {
        await new Promise<void>((r) => s.close(() => r()));
        s.closeAllConnections();
        await h.close();
        await db.drop();
        // The shared node and deployment stay for the next file (killed when the process exits).
      },
    };
  } catch (err) {
    server?.close();
    await handle?.close().catch(() => undefined);
    await database?.drop().catch(() => undefined);
    throw err;
  }
}

/** The roles and collection events beyond the workload (see the module comment). */
async function extraSetup(
  url: string,
  client: PublicClient,
  wallet: (role: Role) => WalletClient,
  dep: Deployment,
): Promise<ApiFixture["batch"]> {
  const ledger = dep.loanLedger.address;
  const log = dep.collectionLog.address;
  const send = async (role: Role, address: Address, abi: typeof loanLedgerAbi | typeof collectionLogAbi, functionName: string, args: readonly unknown[]) => {
    const w = wallet(role);
    const hash = await w.writeContract({ address, abi, functionName, args, account: w.account!, chain: w.chain } as never);
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${role} ${functionName} reverted`);
    return receipt;
  };
  const id = (s: string) => keccak256(toHex(s));
  const addr = (r: Role) => accountOf(r).address;
  const now = async () => (await client.getBlock()).timestamp;

  await send("admin", ledger, loanLedgerAbi, "grantRole", [id("AUDITOR_ROLE"), addr("auditor")]);
  await send("admin", ledger, loanLedgerAbi, "grantRole", [id("LENDER_ROLE"), addr("otherLender")]);
  await send("otherLender", ledger, loanLedgerAbi, "setPolicy", [
    {
      graceDays: 3,
      penaltyRateBps: 500,
      lateFee: 0n,
      substandardAfterDays: 90,
      doubtfulAfterDays: 270,
      lossAfterDays: 360,
      defaultAfterDays: 90,
      reminderOffsetsDays: [-3, 1, 7],
    },
  ]);
  const t0 = await now();
  await send("otherLender", ledger, loanLedgerAbi, "registerLoans", [
    [
      {
        borrower: addr("borrower"),
        borrowerRef: id("other-lender-loan"),
        token: dep.testToken!.address,
        currency: "0x000000",
        principal: 500_000_000n,
        contractRateBps: 800,
        utcOffsetMinutes: 0,
        jurisdiction: encodeJurisdiction("CN"),
        schedule: [
          { dueDate: t0 + 30n * DAY, principal: 250_000_000n, interest: 4_000_000n },
          { dueDate: t0 + 60n * DAY, principal: 250_000_000n, interest: 4_000_000n },
        ],
      },
    ],
  ]);
  await send("otherLender", log, collectionLogAbi, "assignCollector", [[7n], addr("otherCollector")]);
  await send("lender", log, collectionLogAbi, "assignCollector", [[1n, 2n], addr("relayer")]);
  await send("lender", log, collectionLogAbi, "setContactPolicy", [
    { maxConnectedCallsPerDay: 2, maxCallAttemptsPer7Days: 5, contactStartHour: 9, contactEndHour: 20, legalStageDpd: 60, actionWindowDays: 7 },
  ]);
  await send("borrower", log, collectionLogAbi, "restrictChannel", [3n, 1]);
  await send("borrower", log, collectionLogAbi, "fileDispute", [4n, id("dispute-letter")]);

  const t1 = await now();
  await send("collector", log, collectionLogAbi, "recordPromise", [2n, 1n, t1 + DAY, id("promise-2")]);
  await send("collector", log, collectionLogAbi, "recordPromise", [6n, 120_000_000n, t1 + 3n * DAY, id("promise-6")]);
  await send("borrower", ledger, loanLedgerAbi, "repay", [6n, 120_000_000n]);

  // Recorded actions anchored as one Merkle batch, as read back from their ActionRecorded events.
  const recorded = await client.getContractEvents({ address: log, abi: collectionLogAbi, eventName: "ActionRecorded", fromBlock: 0n, strict: true });
  const leaf = (loanId: bigint, seq: bigint): Action => {
    const e = recorded.find((r) => r.args.loanId === loanId && r.args.seq === seq);
    if (!e) throw new Error(`no ActionRecorded for loan ${loanId} seq ${seq}`);
    const a = e.args;
    return { loanId: a.loanId, seq: a.seq, collector: a.collector, channel: a.channel, kind: a.kind, outcome: a.outcome, occurredAt: a.occurredAt, evidenceHash: a.evidenceHash };
  };
  const actions: Action[] = [leaf(1n, 1n), leaf(1n, 2n), leaf(2n, 1n)];
  const tree = buildBatchTree(actions);
  await send("collector", log, collectionLogAbi, "anchorBatch", [tree.root, actions.length, "ipfs://api-test-batch"]);
  const batchId = Number(await client.readContract({ address: log, abi: collectionLogAbi, functionName: "batchCount" }));

  // Two days later: loan 2's promise is broken; poke so reminders and penalties are emitted.
  await rpc(url, "evm_increaseTime", [Number(2n * DAY)]);
  await rpc(url, "evm_mine", []);
  await send("admin", ledger, loanLedgerAbi, "poke", [[1n, 2n, 3n, 4n, 5n, 6n, 7n]]);
  return { batchId, root: tree.root, actions };
}

/** Sends `functionName` as `role` and waits for it; throws when it reverts. For the transactions a test adds. */
export async function sendAs(f: Pick<ApiFixture, "wallet" | "client">, role: Role, address: Address, abi: Abi, functionName: string, args: readonly unknown[]) {
  const w = f.wallet(role);
  const hash = await w.writeContract({ address, abi, functionName, args, account: w.account!, chain: w.chain } as never);
  const receipt = await f.client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${role} ${functionName} reverted`);
  return receipt;
}

/**
 * LoanParams of a token loan of the fixture's borrower for a test to register: `installments`
 * monthly (30-day) installments from `firstDue`, each `principalEach` (default 100.000000) plus
 * `interestEach` (default 1.500000), 6% a year, UTC+8 in CN unless told otherwise.
 */
export function testLoan(
  f: Pick<ApiFixture, "deployment">,
  o: { ref: string; firstDue: bigint; installments: number; principalEach?: bigint; interestEach?: bigint; utcOffsetMinutes?: number; jurisdiction?: string },
) {
  const principalEach = o.principalEach ?? 100_000_000n;
  return {
    borrower: accountOf("borrower").address,
    borrowerRef: keccak256(toHex(o.ref)),
    token: f.deployment.testToken!.address,
    currency: "0x000000" as Hex,
    principal: principalEach * BigInt(o.installments),
    contractRateBps: 600,
    utcOffsetMinutes: o.utcOffsetMinutes ?? 480,
    jurisdiction: encodeJurisdiction(o.jurisdiction ?? "CN"),
    schedule: Array.from({ length: o.installments }, (_, i) => ({ dueDate: o.firstDue + BigInt(i) * 30n * DAY, principal: principalEach, interest: o.interestEach ?? 1_500_000n })),
  };
}
