/**
 * The OpenAPI document is valid OpenAPI 3.1 (swagger-parser), and what the API answers matches
 * it: every observed status is declared for its operation, and every JSON body validates against
 * the declared schema (the zod schemas the routes use, as the document renders them).
 */
import SwaggerParser from "@apidevtools/swagger-parser";
import { expect } from "chai";
import { signedAction } from "./helpers/actions";
import { apiFixture, describeEachDialect, sendAs, type ApiFixture } from "./fixture";
import { collectionLogAbi, loanLedgerAbi } from "../../src/chain/abis";
import { concretePath, fetchDocument, operationsOf, responseValidator, type OpenApiDoc, type Operation } from "./helpers/openapi";
import { CALLERS, send } from "./helpers/requests";
import { borrowerRefOf, contactOf, insertNotices, noticeRow, storeContact } from "./helpers/notices";

const LENDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
import { setStrategy, storeModel } from "../../src/db/strategies";
import { scorePass } from "../../src/strategy/scorer";
import { tinyModel } from "../strategy/helpers/tiny-model";

/** Query strings worth observing per operation (valid filters, pagination, and a few invalid ones). */
const QUERIES: Record<string, string[]> = {
  "GET /v1/loans": ["", "?limit=2", "?bucket=M1&sort=-dpd", "?sort=amountOverdue&limit=3", "?classification=special_mention", "?status=active&minDpd=1", "?limit=0", "?sort=bogus"],
  "GET /v1/loans/{loanId}/timeline": ["", "?limit=3", "?cursor=bad"],
  "GET /v1/portfolio": ["", "?lender=0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "?lender=bad"],
  "GET /v1/queue": ["", "?limit=2", "?limit=abc", "?order=due&limit=2", "?order=bogus"],
  "GET /v1/strategy": ["", `?lender=${LENDER}`, "?lender=bad"],
  "PUT /v1/strategy": [`?lender=${LENDER}`],
  "GET /v1/agencies/{agency}/statement": ["?from=2020-01-01&to=2020-12-31", `?from=0&to=${400 * 86_400}`, "", "?from=2026-02-30&to=2026-03-01"],
  "GET /v1/stream": ["", "?events=nope"],
  "POST /v1/evidence": ["", "?loanId=1", "?loanId=7", "?loanId=999999", "?loanId=x"],
  "GET /v1/borrowers/{borrowerRef}/contact": [`?lender=${LENDER}`, "", "?lender=bad"],
  "PUT /v1/borrowers/{borrowerRef}/contact": [`?lender=${LENDER}`],
  "DELETE /v1/borrowers/{borrowerRef}/contact": [`?lender=${LENDER}`, ""],
  "GET /v1/notices": ["", "?limit=1", "?status=failed&channel=webhook", "?loanId=1&sort=triggerAt", "?status=bogus"],
  "GET /v1/loans/{loanId}/notices": ["", "?limit=1"],
  "GET /v1/portfolio/notices": ["", `?lender=${LENDER}`, "?lender=bad"],
};
const LOAN_IDS = [1, 2, 7, 999_999];

describeEachDialect("OpenAPI document and responses", (dialect) => {
  let f: ApiFixture;
  let doc: OpenApiDoc;
  let ops: Operation[];

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    doc = await fetchDocument(f.url);
    ops = operationsOf(doc);
  });
  after(() => f?.close());

  it("validates as OpenAPI 3.1 with swagger-parser", async () => {
    expect(doc.openapi).to.match(/^3\.1\./);
    await SwaggerParser.validate(structuredClone(doc) as never);
  });

  it("documents every operation with a summary, its success and error responses", () => {
    for (const op of ops) {
      expect(op.op.summary, op.key).to.be.a("string").and.not.equal("");
      expect(Object.keys(op.op.responses).some((s) => s.startsWith("2")), `${op.key}: a success response`).to.equal(true);
      expect(op.op.responses["400"], `${op.key}: 400`).to.not.equal(undefined);
      if (op.auth) expect(op.op.responses["401"], `${op.key}: 401`).to.not.equal(undefined);
      if (op.pathParams.length) expect(op.op.responses["404"], `${op.key}: 404`).to.not.equal(undefined);
    }
    const stream = ops.find((o) => o.key === "GET /v1/stream");
    expect(Object.keys(stream?.op.responses["200"]?.content ?? {})).to.deep.equal(["text/event-stream"]);
  });

  it("every observed answer has a declared status and a body matching the declared schema", async function () {
    this.timeout(180_000);
    const validator = responseValidator(doc);
    // Path parameters by name: loans the callers do and do not see, and a stored (its uploader reads it) and an unknown artifact.
    const upload = await send(f, "collector", "POST", "/v1/evidence?loanId=1", { body: "openapi sweep artifact", headers: { "content-type": "application/octet-stream" } });
    const stored = (upload.body as { sha256: string }).sha256;
    // A relay the collector asked for (its status is the caller's to read).
    const occurredAt = Number((await f.client.getBlock()).timestamp) - 60;
    const relayed = await send(f, "collector", "POST", "/v1/loans/1/actions", {
      body: JSON.stringify(await signedAction(f, "collector", 1, { channel: "call", kind: 0, outcome: 1, occurredAt, evidenceHash: `0x${"ab".repeat(32)}` })),
    });
    const relayHash = (relayed.body as { txHash: string }).txHash;
    // A contact record of loan 1's borrower, and notices (a dead-lettered webhook among them) on loans 1 and 2.
    const ref = await borrowerRefOf(f, 1);
    await storeContact(f, 1, contactOf(ref));
    const notices = [await noticeRow(f, 1, 1, { channel: "webhook", status: "failed" }), await noticeRow(f, 1, 2), await noticeRow(f, 2, 3, { status: "deferred", reason: "quiet hours" })];
    await insertNotices(f, notices);
    // A strategy for the lender, and its loans scored: queue items and loans carry their scores.
    const model = tinyModel();
    await storeModel(f.db, model);
    await setStrategy(f.db, f.addresses.lender, { version: 1, model: model.version, segments: [{ name: "all", treatment: { noticePlan: "default", nextAction: { action: "call", inDays: 1 }, maxContactsPer7Days: 3 } }] }, "sweep", 0);
    expect((await scorePass(f.db)).scored).to.be.greaterThan(0);
    // Lenders: the caller's own (its plan, 200), the other's (403), one with no role, and no address at all (400).
    const lenders = [f.addresses.lender, f.addresses.otherLender, f.addresses.stranger, "0x12"];
    // Loan 2 placed with the agency from now, and a payment on it: statements and placements with content.
    // A block mined now first: the latest block after the shared chain's snapshot is restored can be
    // far behind the next one's time, and a placement may not start before its block.
    await f.client.request({ method: "evm_mine" as never, params: [] as never });
    const start = (await f.client.getBlock()).timestamp + 30n;
    await sendAs(f, "lender", f.deployment.collectionLog.address, collectionLogAbi, "placeLoans", [[2n], f.addresses.agency, 1_500, start, start + 30n * 86_400n]);
    await f.client.request({ method: "evm_increaseTime" as never, params: [31] as never });
    await sendAs(f, "borrower", f.deployment.loanLedger.address, loanLedgerAbi, "repay", [2n, 1_000_000n]);
    await f.reindex();
    QUERIES["GET /v1/agencies/{agency}/statement"]!.push(`?from=${start - 60n}&to=${start + 86_400n}`);
    const pathValues: Record<string, string | number>[] = LOAN_IDS.map((loanId, i) => ({
      loanId,
      lender: lenders[i]!,
      // The agency (its own statement), a lender, a stranger, malformed (400).
      agency: [f.addresses.agency, f.addresses.lender, f.addresses.stranger, "0x12"][i]!,
      sha256: i === 0 ? stored : `0x${String(i).repeat(64)}`,
      txHash: i === 0 ? relayHash : `0x${String(i).repeat(64)}`,
      borrowerRef: i === 0 ? ref : `0x${String(i).repeat(64)}`,
      noticeId: i === 0 ? notices[0]!.id : i === 1 ? notices[1]!.id : `ntc_${String(i).repeat(32)}`,
      // The loans' settlement token (200), a lender's address (no loan settles in it: 404), malformed (400).
      address: i === 0 ? f.deployment.testToken!.address : lenders[i]!,
    }));
    const problems: string[] = [];
    const seen = new Map<string, Set<number>>();
    const observe = async (op: Operation, caller: (typeof CALLERS)[number], path: string, body?: string) => {
      const o = await send(f, caller, op.method.toUpperCase(), path, { body });
      (seen.get(op.key) ?? seen.set(op.key, new Set()).get(op.key)!).add(o.status);
      problems.push(...validator.check(op, o.status, o.contentType, o.body).map((p) => `${p} [${caller} ${path}]`));
      return o;
    };
    for (const op of ops) {
      const paths = op.pathParams.length ? pathValues.map((values) => concretePath(op.path, values)) : [op.path];
      const body = op.hasBody ? "{}" : undefined;
      for (const path of paths) {
        for (const query of QUERIES[op.key] ?? [""]) {
          for (const caller of op.auth ? CALLERS : (["anonymous"] as const)) {
            const o = await observe(op, caller, path + query, body);
            // Follow one page of pagination: the cursor a list hands out is accepted and conforms too.
            const next = (o.body as { nextCursor?: unknown } | undefined)?.nextCursor;
            if (o.status === 200 && typeof next === "string") {
              await observe(op, caller, `${path}${query ? `${query}&` : "?"}cursor=${encodeURIComponent(next)}`, body);
            }
          }
        }
      }
    }
    expect(problems, problems.slice(0, 30).join("\n")).to.deep.equal([]);
    // The sweep saw successes of every read operation, not only errors.
    for (const op of ops.filter((o) => o.method === "get")) expect([...(seen.get(op.key) ?? [])].some((s) => s < 300), `${op.key}: a 2xx observed`).to.equal(true);
  });
});
