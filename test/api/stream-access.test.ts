/**
 * GET /v1/stream follows the chain while it is open: a collector unassigned from a loan, a servicer
 * its lender revokes and an account whose role is revoked stop receiving the events they no
 * longer may see, from the first poll that reads the change; a caller given access while its
 * stream is open starts receiving. A stream ends with `event: end` when its token expires, or when
 * the revocation hook (ApiServices.isRevoked) says so.
 *
 * To show an event did NOT arrive, each test waits for a later event that must arrive (a marker)
 * and then checks the earlier one is absent: events come in chain order.
 */
import http from "node:http";
import { expect } from "chai";
import { Registry } from "prom-client";
import type { Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createApp } from "../../src/api/app";
import { resolveScope } from "../../src/api/auth/scope";
import { revokeToken, serviceToken } from "../../src/api/auth/tokens";
import type { ApiServices } from "../../src/api/context";
import { collectorsOf, nextEvents, selects, visibleTo, type StreamSelection } from "../../src/api/services/stream";
import { apiFixture, describeEachDialect, TOKEN_SECRET, type ApiFixture, type Role } from "./fixture";
import { connectSse, type SseClient } from "./helpers/sse";
import { sendTx } from "./helpers/tx";
import { AUDITOR_ROLE } from "../../src/chain/roles";


describeEachDialect("GET /v1/stream: access follows the chain", (dialect) => {
  let f: ApiFixture;
  const open: SseClient[] = [];
  const servers: http.Server[] = [];

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
  });
  afterEach(async () => {
    open.splice(0).forEach((c) => c.close());
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(() => r(undefined)));
    }
  });
  after(() => f?.close());

  const tokenOf = (address: Address, ttlSec = 3_600) => serviceToken(address, TOKEN_SECRET, ttlSec).token;
  const freshAddress = () => privateKeyToAccount(generatePrivateKey()).address;

  async function stream(token: string, base = f.url, query = ""): Promise<SseClient> {
    const c = await connectSse(`${base}/v1/stream${query}`, { authorization: `Bearer ${token}` });
    open.push(c);
    expect(c.status, JSON.stringify(c.problem)).to.equal(200);
    await c.waitFor("ready", (x) => x.messages.some((m) => m.event === "ready"));
    return c;
  }

  const repay = (loanId: bigint) => sendTx(f, "borrower", "ledger", "repay", [loanId, 1_000_000n]);

  /** The id of the latest LoanRepaid of `loanId` in the index. */
  async function lastRepayment(loanId: number): Promise<string> {
    const r = await f.db
      .selectFrom("loan_events")
      .select(["block_number", "log_index"])
      .where("loan_id", "=", loanId)
      .where("name", "=", "LoanRepaid")
      .orderBy("block_number", "desc")
      .orderBy("log_index", "desc")
      .executeTakeFirstOrThrow();
    return `${r.block_number}-${r.log_index}`;
  }

  const ids = (c: SseClient) => c.events().map((m) => m.id);
  const arrived = (c: SseClient, id: string) => c.waitFor(`event ${id}`, (x) => ids(x).includes(id));

  it("the shared poll's in-memory rule (visibleTo, selects) picks exactly the rows of the per-stream SQL filter", async () => {
    const start = { block: -1, logIndex: 0 };
    const end = { block: Number.MAX_SAFE_INTEGER, logIndex: 0 };
    const rows = await nextEvents(f.db, undefined, start, end, 100_000);
    const collectors = await collectorsOf(f.db, rows.map((r) => r.loan_id));
    const selections: StreamSelection[] = [{}, { events: ["status"] }, { loanId: 2, events: ["repayment", "action"] }, { loanId: 7 }];
    const roles: Role[] = ["auditor", "lender", "otherLender", "collector", "otherCollector", "relayer", "stranger"];
    for (const role of roles) {
      const scope = await resolveScope(f.db, f.addresses[role]);
      for (const selection of selections) {
        const sql = (await nextEvents(f.db, { scope, ...selection }, start, end, 100_000)).map((r) => `${r.block_number}-${r.log_index}`);
        const memory = rows.filter((r) => selects(selection, r) && visibleTo(scope, r.lender, collectors.get(r.loan_id))).map((r) => `${r.block_number}-${r.log_index}`);
        expect(memory, `${role} ${JSON.stringify(selection)}`).to.deep.equal(sql);
      }
    }
    expect(rows.length).to.be.greaterThan(10);
  });

  it("a collector unassigned from a loan stops receiving that loan's events; its other loans' events still arrive", async function () {
    this.timeout(120_000);
    const c = await stream(f.tokens.collector);
    await repay(2n);
    await f.reindex();
    await arrived(c, await lastRepayment(2)); // receiving loan 2's events while assigned

    await sendTx(f, "lender", "log", "unassignCollector", [2n, f.addresses.collector]);
    await f.reindex();
    await repay(2n);
    await repay(1n);
    await f.reindex();
    const hidden = await lastRepayment(2);
    await arrived(c, await lastRepayment(1)); // the marker, after the hidden event in chain order
    expect(ids(c), "loan 2's repayment after the unassignment").to.not.include(hidden);

    await sendTx(f, "lender", "log", "assignCollector", [[2n], f.addresses.collector]); // as the fixture had it
    await f.reindex();
  });

  it("a servicer its lender revokes (ServicerSet false) and an auditor whose role is revoked (RoleRevoked) stop receiving at once", async function () {
    this.timeout(120_000);
    const servicer = freshAddress();
    const auditor = freshAddress();
    await sendTx(f, "lender", "ledger", "setServicer", [servicer, true]);
    await sendTx(f, "admin", "ledger", "grantRole", [AUDITOR_ROLE, auditor]);
    // Both also collect the other lender's loan 7: its events are the marker that must still arrive.
    await sendTx(f, "otherLender", "log", "assignCollector", [[7n], servicer]);
    await sendTx(f, "otherLender", "log", "assignCollector", [[7n], auditor]);
    await f.reindex();

    const s = await stream(tokenOf(servicer));
    const a = await stream(tokenOf(auditor));
    await repay(2n);
    await f.reindex();
    const seen = await lastRepayment(2);
    await arrived(s, seen); // the lender's loan, through the servicer delegation
    await arrived(a, seen); // every loan, as auditor

    await sendTx(f, "lender", "ledger", "setServicer", [servicer, false]);
    await sendTx(f, "admin", "ledger", "revokeRole", [AUDITOR_ROLE, auditor]);
    await f.reindex();
    await repay(2n);
    await repay(7n);
    await f.reindex();
    const hidden = await lastRepayment(2);
    const marker = await lastRepayment(7);
    await arrived(s, marker);
    await arrived(a, marker);
    expect({ servicer: ids(s).includes(hidden), auditor: ids(a).includes(hidden) }, "loan 2's repayment after the revocations").to.deep.equal({ servicer: false, auditor: false });
  });

  it("a caller given access while its stream is open (ServicerSet true) starts receiving", async function () {
    this.timeout(120_000);
    const servicer = freshAddress();
    const c = await stream(tokenOf(servicer));
    await sendTx(f, "lender", "ledger", "setServicer", [servicer, true]);
    await f.reindex();
    await repay(2n);
    await f.reindex();
    await arrived(c, await lastRepayment(2));
    await sendTx(f, "lender", "ledger", "setServicer", [servicer, false]);
    await f.reindex();
  });

  it("ends the stream at token expiry with `event: end` { reason: token_expired }", async function () {
    this.timeout(30_000);
    const c = await stream(tokenOf(f.addresses.auditor, 2));
    await c.waitFor("the end event", (x) => x.messages.some((m) => m.event === "end"), 15_000);
    await c.ended;
    const last = c.messages[c.messages.length - 1];
    expect(last.event).to.equal("end");
    expect(last.data).to.deep.equal({ reason: "token_expired" });
  });

  it("ends the stream when the revocation hook (ApiServices.isRevoked) revokes its token", async function () {
    this.timeout(30_000);
    const revoked = new Set<string>();
    const services: ApiServices = {
      ...f.services,
      registry: new Registry(),
      isRevoked: (claims) => revoked.has(claims.sub),
      options: { ...f.services.options, streamPollMs: 20, streamAuthCheckMs: 50 },
    };
    const server = await new Promise<http.Server>((resolve) => {
      const s = createApp(services).listen(0, "127.0.0.1", () => resolve(s));
    });
    servers.push(server);
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const kept = await stream(f.tokens.auditor, base);
    const ended = await stream(f.tokens.lender, base);
    revoked.add(f.addresses.lender);
    await ended.waitFor("the end event", (x) => x.messages.some((m) => m.event === "end"));
    await ended.ended;
    expect(ended.messages[ended.messages.length - 1].data).to.deep.equal({ reason: "token_revoked" });
    expect(kept.messages.some((m) => m.event === "end"), "another caller's stream stays open").to.equal(false);
  });

  it("ends the stream of a token revoked in the database (token revoke), with the app's own revocation check", async function () {
    this.timeout(30_000);
    const services: ApiServices = { ...f.services, registry: new Registry(), options: { ...f.services.options, streamPollMs: 20, streamAuthCheckMs: 50 } };
    const server = await new Promise<http.Server>((resolve) => {
      const s = createApp(services).listen(0, "127.0.0.1", () => resolve(s));
    });
    servers.push(server);
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const issued = serviceToken(f.addresses.auditor, TOKEN_SECRET, 3_600);
    const kept = await stream(f.tokens.auditor, base);
    const ended = await stream(issued.token, base);
    await revokeToken(f.db, { jti: issued.id, subject: f.addresses.auditor, expiresAt: issued.expiresAt }, Math.floor(Date.now() / 1000));
    await ended.waitFor("the end event", (x) => x.messages.some((m) => m.event === "end"));
    await ended.ended;
    expect(ended.messages[ended.messages.length - 1].data).to.deep.equal({ reason: "token_revoked" });
    expect(kept.messages.some((m) => m.event === "end"), "the same caller's other token stays open").to.equal(false);
  });
});
