/**
 * Authorization matrix: every /v1 operation of the OpenAPI document × lender, other lender,
 * collector, other collector, auditor, anonymous → the expected status class. Operations come
 * from the document, so a new route without a row here fails ("add an authorization row").
 */
import crypto from "node:crypto";
import { expect } from "chai";
import { newTokenId, signToken } from "../../src/api/auth/tokens";
import { collectionLogAbi } from "../../src/chain/abis";
import { buildBatchTree, type Action } from "../../src/domain";
import { apiFixture, describeEachDialect, TOKEN_SECRET, type ApiFixture, type Role } from "./fixture";
import { signedAction } from "./helpers/actions";
import { borrowerRefOf, contactOf, insertNotices, noticeRow, storeContact } from "./helpers/notices";
import { concretePath, fetchDocument, operationsOf, type Operation } from "./helpers/openapi";
import { CALLERS, isProblem, send, type Caller, type MatrixCaller } from "./helpers/requests";
import { setStrategy, storeModel } from "../../src/db/strategies";
import { tinyModel } from "../strategy/helpers/tiny-model";

type Expected = "2xx" | 401 | 403 | 404 | 422;
type Row = Record<MatrixCaller, Expected>;

interface Case {
  /** What the case exercises (e.g. "the lender's loan"). */
  label: string;
  params?: Record<string, string | number>;
  query?: string;
  /** A valid body, so that validation passes and authorization decides. */
  body?: (f: ApiFixture, caller: Caller) => unknown;
  /** A raw (non-JSON) body, sent as application/octet-stream. */
  rawBody?: string;
  expect: Row;
}

const ALL: Row = { lender: "2xx", otherLender: "2xx", collector: "2xx", otherCollector: "2xx", auditor: "2xx", anonymous: 401 };
/** Loan 1: the lender's, assigned to the collector. */
const LOAN_1: Row = { lender: "2xx", otherLender: 404, collector: "2xx", otherCollector: 404, auditor: "2xx", anonymous: 401 };
/** Loan 7: the other lender's, assigned to the other collector. */
const LOAN_7: Row = { lender: 404, otherLender: "2xx", collector: 404, otherCollector: "2xx", auditor: "2xx", anonymous: 401 };
/** A loan that does not exist: 404 for everyone with a token. */
const NO_LOAN: Row = { lender: 404, otherLender: 404, collector: 404, otherCollector: 404, auditor: 404, anonymous: 401 };
/** An agency's placements and statements: lenders (their own placements only), auditors, and the agency itself. */
const AGENCY_ROW: Row = { lender: "2xx", otherLender: "2xx", collector: 403, otherCollector: 403, auditor: "2xx", anonymous: 401 };
const LENDERS_AND_AUDITORS: Row = { lender: "2xx", otherLender: "2xx", collector: 403, otherCollector: 403, auditor: "2xx", anonymous: 401 };
/** The fixture's lender (account #1) and other lender (account #5). */
const LENDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const OTHER_LENDER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";
/** A valid notice plan for PUT /v1/notice-plans/{lender}. */
const noticePlanBody = () => ({ version: 1, default: { rules: [{ trigger: "LoanDefaulted", template: "default.notice", channels: ["letter", "email"] }] } });

/** A valid strategy for PUT /v1/strategy (the model is stored in the before hook). */
const MODEL = tinyModel();
const strategyBody = () => ({
  strategy: { version: 1, model: MODEL.version, segments: [{ name: "all", treatment: { noticePlan: "default", nextAction: { action: "call", inDays: 1 }, maxContactsPer7Days: 3 } }] },
});

/** An artifact the collector uploads for loan 1 in the before hook, and nothing on chain cites. */
const UNCITED = "authorization matrix: an artifact nobody cites";
const UNCITED_SHA256 = crypto.createHash("sha256").update(UNCITED).digest("hex");
/** An artifact the collector uploads for loan 1 and cites there; the other collector cites its hash on loan 7 too. */
const CITED = "authorization matrix: an artifact cited on loans 1 and 7";
const CITED_SHA256 = crypto.createHash("sha256").update(CITED).digest("hex");
/** A batch the other collector anchors over recorded actions of loan 1 (which it may not produce evidence on). */
let foreignBatch: { batchId: number; actions: Action[] } | undefined;
const wireAction = (a: Action) => ({ ...a, loanId: String(a.loanId), seq: String(a.seq), occurredAt: String(a.occurredAt) });

/** A valid action for POST /v1/loans/{id}/actions, occurring now in chain time. */
const actionBody = () => ({ channel: "email", kind: 0, outcome: 1, occurredAt: chainNow, evidenceHash: `0x${"ab".repeat(32)}` });
let chainNow = 0;
/**
 * Path values known only after the before hook, by the placeholder a case uses: the transaction
 * the collector had relayed, loans 1 and 7's borrowerRefs, and a dead-lettered webhook notice on each.
 */
const dynamic: Record<string, string> = {};
/** Contact data: the lender and its servicers; a collector assigned to the borrower's loan (masked); never auditors; refusals do not depend on a record existing. */
const CONTACT_1: Row = { lender: "2xx", otherLender: 403, collector: "2xx", otherCollector: 403, auditor: 403, anonymous: 401 };
const CONTACT_WRITE_1: Row = { lender: "2xx", otherLender: 403, collector: 403, otherCollector: 403, auditor: 403, anonymous: 401 };
const contactBody = () => ({ email: "matrix.borrower@example.cn", language: "en", timeZone: "UTC", jurisdiction: "CN", consentEmail: true });
const noticeBody = () => ({ template: "reminder.due", channel: "sms" });

const loanCases = (extraQuery = ""): Case[] => [
  { label: "the lender's loan", params: { loanId: 1 }, query: extraQuery, expect: LOAN_1 },
  { label: "the other lender's loan", params: { loanId: 7 }, query: extraQuery, expect: LOAN_7 },
  { label: "a loan that does not exist", params: { loanId: 999_999 }, query: extraQuery, expect: NO_LOAN },
];

/** The expected answers, by operation ("METHOD /openapi/path"). */
const MATRIX: Record<string, Case[]> = {
  "GET /v1/loans": [
    { label: "the list (scoped, never refused)", expect: ALL },
    { label: "filtered by a lender", query: "?lender=0x70997970C51812dc3A010C7d01b50e0d17dc79C8", expect: ALL },
  ],
  "GET /v1/loans/{loanId}": loanCases(),
  "GET /v1/loans/{loanId}/timeline": loanCases(),
  "GET /v1/loans/{loanId}/contact-window": loanCases(),
  "GET /v1/portfolio": [
    { label: "own portfolio", expect: LENDERS_AND_AUDITORS },
    {
      label: "another lender's portfolio",
      query: "?lender=0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc", // account #5, the other lender
      expect: { lender: 403, otherLender: "2xx", collector: 403, otherCollector: 403, auditor: "2xx", anonymous: 401 },
    },
  ],
  "GET /v1/stream": [{ label: "the event stream (scoped, never refused)", expect: ALL }],
  "GET /v1/queue": [{ label: "the caller's queue (empty without assignments)", expect: ALL }],
  "GET /v1/loans/{loanId}/evidence": loanCases(),
  "GET /v1/loans/{loanId}/evidence/bundle": loanCases(),
  // Unsigned mode: the answer is the transaction to sign, so the matrix sends nothing on chain.
  "POST /v1/loans/{loanId}/actions": [
    {
      label: "the lender's loan (only its assigned collectors may log)",
      params: { loanId: 1 },
      query: "?mode=unsigned",
      body: actionBody,
      expect: { lender: 403, otherLender: 404, collector: "2xx", otherCollector: 404, auditor: 403, anonymous: 401 },
    },
    {
      label: "the other lender's loan",
      params: { loanId: 7 },
      query: "?mode=unsigned",
      body: actionBody,
      expect: { lender: 404, otherLender: 403, collector: 404, otherCollector: "2xx", auditor: 403, anonymous: 401 },
    },
  ],
  "POST /v1/loans/{loanId}/actions/typed-data": [
    {
      label: "the lender's loan (only its assigned collectors)",
      params: { loanId: 1 },
      body: actionBody,
      expect: { lender: 403, otherLender: 404, collector: "2xx", otherCollector: 404, auditor: 403, anonymous: 401 },
    },
    {
      label: "the other lender's loan",
      params: { loanId: 7 },
      body: actionBody,
      expect: { lender: 404, otherLender: 403, collector: 404, otherCollector: "2xx", auditor: 403, anonymous: 401 },
    },
  ],
  // Uploads: the loan's lender (or servicers) and assigned collectors; auditors see the loan but do not produce evidence.
  "POST /v1/evidence": [
    { label: "for the lender's loan", query: "?loanId=1", rawBody: "matrix artifact bytes", expect: { ...LOAN_1, auditor: 403 } },
    { label: "for the other lender's loan", query: "?loanId=7", rawBody: "matrix artifact bytes", expect: { ...LOAN_7, auditor: 403 } },
    { label: "for a loan that does not exist", query: "?loanId=999999", rawBody: "matrix artifact bytes", expect: NO_LOAN },
  ],
  "GET /v1/evidence/{sha256}": [
    {
      label: "an artifact uploaded for loan 1 and cited nowhere (its uploader only)",
      params: { sha256: UNCITED_SHA256 },
      expect: { lender: 404, otherLender: 404, collector: "2xx", otherCollector: 404, auditor: 404, anonymous: 401 },
    },
    {
      label: "an artifact uploaded for and cited on loan 1, its hash cited on loan 7 as well (citing grants nothing)",
      params: { sha256: CITED_SHA256 },
      expect: { ...LOAN_1 },
    },
  ],
  "GET /v1/relays/{txHash}": [
    {
      label: "a relay the collector asked for (only the caller who asked)",
      params: { txHash: "RELAY" },
      expect: { lender: 404, otherLender: 404, collector: "2xx", otherCollector: 404, auditor: 404, anonymous: 401 },
    },
    { label: "a hash the API never relayed", params: { txHash: `0x${"cd".repeat(32)}` }, expect: NO_LOAN },
  ],
  "POST /v1/batches": [
    {
      label: "the anchored batch of loans 1 and 2 (submitter, auditors, callers who see every loan in it)",
      body: (f) => ({ batchId: f.batch.batchId, actions: f.batch.actions.map(wireAction) }),
      expect: { lender: "2xx", otherLender: 403, collector: "2xx", otherCollector: 403, auditor: "2xx", anonymous: 401 },
    },
    {
      label: "recorded actions of loan 1 anchored by the other collector (its submitter is not entitled to loan 1: 422 for all who may upload)",
      body: () => ({ batchId: foreignBatch!.batchId, actions: foreignBatch!.actions.map(wireAction) }),
      expect: { lender: 422, otherLender: 403, collector: 422, otherCollector: 422, auditor: 422, anonymous: 401 },
    },
  ],
  "GET /v1/borrowers/{borrowerRef}/contact": [
    { label: "loan 1's borrower under its lender", params: { borrowerRef: "REF1" }, query: `?lender=${LENDER}`, expect: CONTACT_1 },
    { label: "loan 7's borrower under the other lender", params: { borrowerRef: "REF7" }, query: `?lender=${OTHER_LENDER}`, expect: { lender: 403, otherLender: "2xx", collector: 403, otherCollector: "2xx", auditor: 403, anonymous: 401 } },
    { label: "a borrower without a record (404 only for who may see one)", params: { borrowerRef: `0x${"77".repeat(32)}` }, query: `?lender=${LENDER}`, expect: { ...CONTACT_WRITE_1, lender: 404 } },
  ],
  "PUT /v1/borrowers/{borrowerRef}/contact": [{ label: "loan 1's borrower under its lender", params: { borrowerRef: "REF1" }, query: `?lender=${LENDER}`, body: contactBody, expect: CONTACT_WRITE_1 }],
  "DELETE /v1/borrowers/{borrowerRef}/contact": [{ label: "loan 1's borrower under its lender (erasure)", params: { borrowerRef: "REF1" }, query: `?lender=${LENDER}`, expect: CONTACT_WRITE_1 }],
  "GET /v1/notices": [{ label: "the list (scoped, never refused)", expect: ALL }],
  "GET /v1/loans/{loanId}/notices": loanCases(),
  "POST /v1/loans/{loanId}/notices": [
    { label: "the lender's loan (its lender, servicers and assigned collectors)", params: { loanId: 1 }, body: noticeBody, expect: { ...LOAN_1, auditor: 403 } },
    { label: "the other lender's loan", params: { loanId: 7 }, body: noticeBody, expect: { ...LOAN_7, auditor: 403 } },
    { label: "a loan that does not exist", params: { loanId: 999_999 }, body: noticeBody, expect: NO_LOAN },
  ],
  "GET /v1/portfolio/trends": [
    { label: "own trends", expect: LENDERS_AND_AUDITORS },
    { label: "another lender's trends", query: `?lender=${OTHER_LENDER}`, expect: { lender: 403, otherLender: "2xx", collector: 403, otherCollector: 403, auditor: "2xx", anonymous: 401 } },
  ],
  "GET /v1/portfolio/notices": [
    { label: "own counts", expect: LENDERS_AND_AUDITORS },
    { label: "another lender's counts", query: `?lender=${OTHER_LENDER}`, expect: { lender: 403, otherLender: "2xx", collector: 403, otherCollector: 403, auditor: "2xx", anonymous: 401 } },
  ],
  "POST /v1/notices/{noticeId}/replay": [
    {
      label: "a dead-lettered webhook notice of loan 1 (its lender and servicers; its collector sees it but may not replay)",
      params: { noticeId: "DEAD1" },
      expect: { lender: "2xx", otherLender: 404, collector: 403, otherCollector: 404, auditor: 403, anonymous: 401 },
    },
    { label: "one of loan 7", params: { noticeId: "DEAD7" }, expect: { lender: 404, otherLender: "2xx", collector: 404, otherCollector: 403, auditor: 403, anonymous: 401 } },
    { label: "a notice that does not exist", params: { noticeId: `ntc_${"0".repeat(32)}` }, expect: NO_LOAN },
  ],
  // Notice plans: the lender and its servicers set them; they and auditors read them.
  "GET /v1/notice-plans/{lender}": [
    { label: "the lender's plan", params: { lender: LENDER }, expect: { lender: "2xx", otherLender: 403, collector: 403, otherCollector: 403, auditor: "2xx", anonymous: 401 } },
    { label: "the other lender's plan", params: { lender: OTHER_LENDER }, expect: { lender: 403, otherLender: "2xx", collector: 403, otherCollector: 403, auditor: "2xx", anonymous: 401 } },
  ],
  // Strategies: the lender and its servicers set them; they and auditors read them.
  "GET /v1/chain": [{ label: "the deployment", expect: ALL }],
  "GET /v1/tokens/{address}": [
    { label: "the token both lenders' loans settle in", params: { address: "TOKEN" }, expect: ALL },
    { label: "an address no loan settles in", params: { address: LENDER }, expect: NO_LOAN },
  ],
  "GET /v1/strategy": [
    { label: "the lender's strategy", query: `?lender=${LENDER}`, expect: { lender: "2xx", otherLender: 403, collector: 403, otherCollector: 403, auditor: "2xx", anonymous: 401 } },
    { label: "the other lender's strategy", query: `?lender=${OTHER_LENDER}`, expect: { lender: 403, otherLender: "2xx", collector: 403, otherCollector: 403, auditor: "2xx", anonymous: 401 } },
  ],
  "PUT /v1/strategy": [
    { label: "the lender's strategy", query: `?lender=${LENDER}`, body: strategyBody, expect: { lender: "2xx", otherLender: 403, collector: 403, otherCollector: 403, auditor: 403, anonymous: 401 } },
    { label: "the other lender's strategy", query: `?lender=${OTHER_LENDER}`, body: strategyBody, expect: { lender: 403, otherLender: "2xx", collector: 403, otherCollector: 403, auditor: 403, anonymous: 401 } },
  ],
  // Agencies: the agency itself, the lenders (and servicers) that act for placing lenders, auditors.
  "GET /v1/agencies/{agency}/placements": [
    { label: "an agency (the stranger's address)", params: { agency: "STRANGER" }, expect: AGENCY_ROW },
    { label: "the collector's own address as an agency (an agency sees its own)", params: { agency: "COLLECTOR" }, expect: { ...AGENCY_ROW, collector: "2xx" } },
  ],
  "GET /v1/agencies/{agency}/statement": [
    { label: "an agency (the stranger's address)", params: { agency: "STRANGER" }, query: "?from=2026-01-01&to=2026-12-01", expect: AGENCY_ROW },
    { label: "the collector's own address as an agency", params: { agency: "COLLECTOR" }, query: "?from=1700000000&to=1700086400", expect: { ...AGENCY_ROW, collector: "2xx" } },
  ],
  "PUT /v1/notice-plans/{lender}": [
    { label: "the lender's plan", params: { lender: LENDER }, body: noticePlanBody, expect: { lender: "2xx", otherLender: 403, collector: 403, otherCollector: 403, auditor: 403, anonymous: 401 } },
    { label: "the other lender's plan", params: { lender: OTHER_LENDER }, body: noticePlanBody, expect: { lender: 403, otherLender: "2xx", collector: 403, otherCollector: 403, auditor: 403, anonymous: 401 } },
  ],
};

/**
 * /v1 operations meant to be public: the Sign-In with Ethereum exchange, and the SMS provider's
 * delivery receipts (no token: a signature of the body under SMS_RECEIPT_SECRET instead,
 * test/api/sms-receipts.test.ts).
 */
const PUBLIC = new Set(["POST /v1/auth/nonce", "POST /v1/auth/verify", "POST /v1/notify/sms-receipts"]);

const statusClass = (status: number): Expected | number => (status >= 200 && status < 300 ? "2xx" : status);

describeEachDialect("authorization matrix", (dialect) => {
  let f: ApiFixture;
  let ops: Operation[];

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    ops = operationsOf(await fetchDocument(f.url)).filter((o) => o.path.startsWith("/v1/"));
    chainNow = Number((await f.client.getBlock()).timestamp);
    for (const body of [UNCITED, CITED]) {
      const up = await send(f, "collector", "POST", "/v1/evidence?loanId=1", { body, headers: { "content-type": "application/octet-stream" } });
      expect(up.status).to.be.oneOf([200, 201]);
    }
    const tx = async (role: Role, functionName: "recordAction" | "anchorBatch", args: readonly unknown[]) => {
      const w = f.wallet(role);
      const hash = await w.writeContract({ address: f.deployment.collectionLog.address, abi: collectionLogAbi, functionName, args, account: w.account!, chain: w.chain } as never);
      expect((await f.client.waitForTransactionReceipt({ hash })).status, `${role} ${functionName}`).to.equal("success");
    };
    await tx("collector", "recordAction", [1n, 2, 1, 1, BigInt(chainNow - 10), `0x${CITED_SHA256}`]);
    await tx("otherCollector", "recordAction", [7n, 2, 1, 1, BigInt(chainNow - 10), `0x${CITED_SHA256}`]);
    const actions = f.batch.actions.filter((a) => a.loanId === 1n);
    await tx("otherCollector", "anchorBatch", [buildBatchTree(actions).root, actions.length, "ipfs://matrix"]);
    foreignBatch = { batchId: Number(await f.client.readContract({ address: f.deployment.collectionLog.address, abi: collectionLogAbi, functionName: "batchCount" })), actions };
    await f.reindex();
    const relayed = await send(f, "collector", "POST", "/v1/loans/1/actions", { body: JSON.stringify(await signedAction(f, "collector", 1, actionBody())) });
    expect(relayed.status, JSON.stringify(relayed.body)).to.equal(201);
    dynamic.RELAY = (relayed.body as { txHash: string }).txHash;
    dynamic.TOKEN = f.deployment.testToken!.address;
    dynamic.STRANGER = f.addresses.stranger;
    dynamic.COLLECTOR = f.addresses.collector;
    dynamic.REF1 = await borrowerRefOf(f, 1);
    dynamic.REF7 = await borrowerRefOf(f, 7);
    await storeContact(f, 1, contactOf(dynamic.REF1 as `0x${string}`));
    await storeContact(f, 7, contactOf(dynamic.REF7 as `0x${string}`, "li"));
    const dead = [await noticeRow(f, 1, 1, { channel: "webhook", status: "failed" }), await noticeRow(f, 7, 2, { channel: "webhook", status: "failed" })];
    await insertNotices(f, dead);
    [dynamic.DEAD1, dynamic.DEAD7] = dead.map((n) => n.id);
    await storeModel(f.db, MODEL);
    for (const lender of [LENDER, OTHER_LENDER] as const) await setStrategy(f.db, lender, strategyBody().strategy, "matrix", 0);
  });
  after(() => f?.close());

  it("the fixture's other lender is account #5", () => {
    expect(f.addresses.otherLender).to.equal("0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc");
    expect([f.addresses.lender, f.addresses.otherLender]).to.deep.equal([LENDER, OTHER_LENDER]);
  });

  it("every /v1 operation needs a bearer token, except the sign-in exchange and the signed SMS receipts", () => {
    const open = ops.filter((o) => !o.auth).map((o) => o.key);
    expect(open.sort()).to.deep.equal([...PUBLIC].sort());
  });

  it("every /v1 operation has a row in the matrix", () => {
    const missing = ops.filter((o) => o.auth && !MATRIX[o.key]).map((o) => o.key);
    expect(missing, "add an authorization row for these operations").to.deep.equal([]);
    const stale = Object.keys(MATRIX).filter((k) => !ops.some((o) => o.key === k));
    expect(stale, "rows for operations the document does not have").to.deep.equal([]);
  });

  it("each operation × caller gets the expected status, errors as problem+json", async function () {
    this.timeout(120_000);
    const mismatches: string[] = [];
    let checked = 0;
    for (const op of ops.filter((o) => o.auth)) {
      for (const c of MATRIX[op.key] ?? []) {
        const params = Object.fromEntries(Object.entries(c.params ?? {}).map(([k, v]) => [k, dynamic[v] ?? v]));
        const path = concretePath(op.path, params) + (c.query ?? "");
        for (const caller of CALLERS) {
          const body = c.rawBody ?? (c.body ? JSON.stringify(c.body(f, caller)) : op.hasBody ? "{}" : undefined);
          const headers: Record<string, string> = c.rawBody !== undefined ? { "content-type": "application/octet-stream" } : {};
          const o = await send(f, caller, op.method.toUpperCase(), path, { body, headers });
          checked++;
          const got = statusClass(o.status);
          if (got !== c.expect[caller]) mismatches.push(`${op.key} (${c.label}) as ${caller}: expected ${c.expect[caller]}, got ${o.status} ${JSON.stringify(o.body).slice(0, 200)}`);
          else if (o.status >= 400 && !isProblem(o)) mismatches.push(`${op.key} (${c.label}) as ${caller}: ${o.status} is not problem+json`);
        }
      }
    }
    expect(mismatches, `${mismatches.length} of ${checked} answers differ`).to.deep.equal([]);
  });

  it("a forged, expired or malformed token is 401 on every protected operation", async function () {
    this.timeout(60_000);
    const now = Math.floor(Date.now() / 1000);
    const bad = [
      signToken({ sub: f.addresses.auditor, kind: "service", iat: now, exp: now + 600, jti: newTokenId() }, "not-the-secret"),
      signToken({ sub: f.addresses.auditor, kind: "service", iat: now - 7_200, exp: now - 3_600, jti: newTokenId() }, TOKEN_SECRET),
      `${f.tokens.auditor}x`,
      "not-a-token",
      f.tokens.auditor.split(".")[0],
    ];
    for (const op of ops.filter((o) => o.auth)) {
      const c = MATRIX[op.key]?.[0];
      const path = concretePath(op.path, c?.params ?? Object.fromEntries(op.pathParams.map((p) => [p, 1])));
      for (const token of bad) {
        const o = await send(f, "anonymous", op.method.toUpperCase(), path, { headers: { authorization: `Bearer ${token}` }, body: op.hasBody ? "{}" : undefined });
        expect(o.status, `${op.key} with ${token.slice(0, 20)}…`).to.equal(401);
        expect(isProblem(o)).to.equal(true);
      }
      const basic = await send(f, "anonymous", op.method.toUpperCase(), path, { headers: { authorization: "Basic dXNlcjpwYXNz" } });
      expect(basic.status, `${op.key} with Basic auth`).to.equal(401);
    }
  });
});
