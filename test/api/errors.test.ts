/**
 * The HTTP side of errors: every service error class maps to its status and title in the one table
 * of src/api/errors.ts, retryable marks are right, and problem+json written by the app (the rate
 * limiter's 429 included) goes through the error middleware with the exact bytes clients know.
 */
import http from "node:http";
import net from "node:net";
import { expect } from "chai";
import express from "express";
import pino from "pino";
import { Registry } from "prom-client";
import { ZodError, z } from "zod";
import { createApp } from "../../src/api/app";
import { PROBLEM_STATUS, problemHandler, problemOf } from "../../src/api/errors";
import { answerClientErrors } from "../../src/api/server";
import * as serviceErrors from "../../src/api/services/errors";
import { ServiceError } from "../../src/api/services/errors";
import { openDatabase, type DatabaseHandle } from "../../src/db/connect";
import { InvalidArgumentError } from "../../src/domain";
import { isRetryable } from "../../src/errors";

const TX = `0x${"ab".repeat(32)}` as const;

/** Each service error class: an instance, and what the HTTP layer must answer for it. */
const EXPECTED: Record<string, { make: () => ServiceError; status: number; title: string; retryable: boolean; extra?: Record<string, unknown>; retryAfter?: number }> = {
  InvalidRequestError: { make: () => new serviceErrors.InvalidRequestError("invalid query", [{ path: "query.limit", message: "too big" }]), status: 400, title: "Bad Request", retryable: false, extra: { errors: [{ path: "query.limit", message: "too big" }] } },
  UnauthenticatedError: { make: () => new serviceErrors.UnauthenticatedError(), status: 401, title: "Unauthorized", retryable: false },
  ForbiddenError: { make: () => new serviceErrors.ForbiddenError("no"), status: 403, title: "Forbidden", retryable: false },
  NotFoundError: { make: () => new serviceErrors.NotFoundError("loan 7 not found"), status: 404, title: "Not Found", retryable: false },
  ConflictError: { make: () => new serviceErrors.ConflictError("used key"), status: 409, title: "Conflict", retryable: false },
  TooLargeError: { make: () => new serviceErrors.TooLargeError("too big"), status: 413, title: "Payload Too Large", retryable: false },
  BatchMismatchError: { make: () => new serviceErrors.BatchMismatchError("2 actions, 3 given", { anchoredCount: 2, given: 3 }), status: 422, title: "Unprocessable Content", retryable: false, extra: { anchoredCount: 2, given: 3 } },
  ActionRefusedError: { make: () => new serviceErrors.ActionRefusedError("CollectionLogStaleAction", [5n, "x"]), status: 422, title: "Unprocessable Content", retryable: false, extra: { revert: { error: "CollectionLogStaleAction", args: ["5", "x"] } } },
  RelayRevertedError: { make: () => new serviceErrors.RelayRevertedError(TX, 12), status: 422, title: "Unprocessable Content", retryable: false, extra: { txHash: TX, blockNumber: 12 } },
  QuotaExceededError: { make: () => new serviceErrors.QuotaExceededError("slow down", 2.5), status: 429, title: "Too Many Requests", retryable: true, retryAfter: 2.5 },
  EvidenceQuotaError: { make: () => new serviceErrors.EvidenceQuotaError(100, 90), status: 429, title: "Too Many Requests", retryable: true, extra: { quota: "EVIDENCE_QUOTA_BYTES_PER_DAY", quotaBytes: 100, usedBytes: 90 } },
  StreamLimitError: { make: () => new serviceErrors.StreamLimitError("STREAM_MAX_TOTAL", 3), status: 429, title: "Too Many Requests", retryable: true, extra: { cap: "STREAM_MAX_TOTAL", limit: 3 } },
  UnavailableError: { make: () => new serviceErrors.UnavailableError("the indexer has not indexed any block yet"), status: 503, title: "Service Unavailable", retryable: true },
  ContactKeyUnavailableError: {
    make: () => new serviceErrors.ContactKeyUnavailableError("PII_KEY is not set"),
    status: 503,
    title: "Service Unavailable",
    retryable: true,
    extra: { setting: "PII_KEY" },
  },
  InsufficientStorageError: { make: () => new serviceErrors.InsufficientStorageError("disk low"), status: 507, title: "Insufficient Storage", retryable: true },
};

const isServiceErrorClass = (v: unknown): v is new (...args: never[]) => ServiceError => typeof v === "function" && v.prototype instanceof ServiceError;

describe("api/errors: service errors → problem+json", function () {
  it("the test knows every service error class (a new class needs a status here and in PROBLEM_STATUS)", function () {
    const classes = Object.entries(serviceErrors).filter(([, v]) => isServiceErrorClass(v)).map(([k]) => k);
    expect(classes.sort()).to.deep.equal(Object.keys(EXPECTED).sort());
  });

  for (const [name, e] of Object.entries(EXPECTED)) {
    it(`${name} → ${e.status} ${e.title}, ${e.retryable ? "retryable" : "fatal"}`, function () {
      const err = e.make();
      expect(err.name).to.equal(name);
      expect(err).to.not.have.property("status");
      expect(err.retryable).to.equal(e.retryable);
      expect(isRetryable(err)).to.equal(e.retryable);
      const p = problemOf(err)!;
      expect(p).to.deep.equal({ status: e.status, title: e.title, detail: err.message, extra: e.extra ?? {}, ...(e.retryAfter !== undefined ? { retryAfterSec: e.retryAfter } : {}) });
    });
  }

  it("every entry of PROBLEM_STATUS is a service error class checked above", function () {
    const names = [...PROBLEM_STATUS.keys()].map((c) => c.name);
    for (const n of names) expect(EXPECTED, n).to.have.property(n);
    for (const [cls, entry] of PROBLEM_STATUS) expect(entry).to.deep.equal({ status: EXPECTED[cls.name]!.status, title: EXPECTED[cls.name]!.title });
  });

  it("anything else is unexpected (a 500, logged): a domain error, a plain Error, the bare base class", function () {
    expect(problemOf(new InvalidArgumentError("amount", "negative"))).to.equal(undefined);
    expect(problemOf(new Error("boom"))).to.equal(undefined);
    expect(problemOf(new ServiceError("unclassified"))).to.equal(undefined);
    expect(problemOf("a string")).to.equal(undefined);
  });

  it("zod and body-parser errors are client errors", function () {
    const zod = z.object({ a: z.number() }).safeParse({ a: "x" }).error as ZodError;
    expect(problemOf(zod)).to.deep.include({ status: 400, title: "Bad Request", detail: "invalid request" });
    expect(problemOf(Object.assign(new Error("big"), { type: "entity.too.large", status: 413 }))).to.deep.equal({ status: 413, title: "Payload Too Large", detail: "request body too large", extra: {} });
    expect(problemOf(Object.assign(new Error("bad"), { type: "entity.parse.failed", status: 400 }))).to.deep.equal({ status: 400, title: "Bad Request", detail: "request body is not valid JSON", extra: {} });
    expect(problemOf(Object.assign(new Error("unsupported charset"), { status: 415 }))).to.deep.equal({ status: 415, title: "Bad Request", detail: "unsupported charset", extra: {} });
  });

  describe("over HTTP", function () {
    let handle: DatabaseHandle;
    let server: http.Server;
    let url: string;
    let logged: unknown[];
    before(async function () {
      handle = await openDatabase(":memory:");
      const app = createApp({
        db: handle.db,
        dialect: handle.dialect,
        logger: pino({ level: "silent" }),
        registry: new Registry(),
        options: { tokenSecret: "x".repeat(32), sessionTtlSec: 3_600, corsOrigins: [], rateLimitPerMinute: 1, evidenceDir: "unused", maxEvidenceBytes: 1, evidenceQuotaBytesPerDay: 1, evidenceMinFreeBytes: 0, evidenceRetentionDays: 30, maxLagBlocks: 10 },
        now: () => Math.floor(Date.now() / 1000),
      });
      server = await new Promise<http.Server>((resolve) => {
        const s = app.listen(0, "127.0.0.1", () => resolve(s));
      });
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    after(async () => {
      await new Promise((r) => server?.close(r));
      await handle?.close();
    });

    it("the rate limiter's 429 is the middleware's problem+json, byte for byte, with Retry-After", async function () {
      expect((await fetch(`${url}/v1/loans`)).status).to.equal(401);
      const res = await fetch(`${url}/v1/loans?x=1`);
      expect(res.status).to.equal(429);
      expect(res.headers.get("content-type")).to.equal("application/problem+json; charset=utf-8");
      expect(res.headers.get("retry-after")).to.match(/^\d+$/);
      expect(res.headers.get("ratelimit-policy")).to.equal("1;w=60");
      expect(await res.text()).to.equal('{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"more than 1 requests a minute","instance":"/v1/loans?x=1"}');
    });

    it("a request Node's parser rejects (no Express request exists) is answered as problem+json on the socket", async function () {
      const raw = http.createServer((_req, res) => res.end());
      answerClientErrors(raw);
      await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
      try {
        const reply = await new Promise<string>((resolve, reject) => {
          const socket = net.connect((raw.address() as { port: number }).port, "127.0.0.1", () => socket.write("G@T / HTTP/1.1\r\nHost: x\r\n\r\n"));
          let got = "";
          socket.on("data", (d) => (got += d.toString("latin1")));
          socket.on("end", () => resolve(got));
          socket.on("error", reject);
        });
        const body = '{"type":"about:blank","title":"Bad Request","status":400,"detail":"the request is not valid HTTP"}';
        expect(reply).to.equal(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json; charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
      } finally {
        await new Promise((r) => raw.close(r));
      }
    });

    it("a service error with retryAfterSec sets Retry-After (rounded up, at least 1); the body carries the extra members", async function () {
      logged = [];
      const app = express();
      app.get("/q", (_req, _res, next) => next(new serviceErrors.QuotaExceededError("slow down", 0.2)));
      app.get("/e", (_req, _res, next) => next(new serviceErrors.EvidenceQuotaError(100, 90)));
      app.get("/d", (_req, _res, next) => next(new InvalidArgumentError("amount", "negative")));
      app.use(problemHandler((err) => logged.push(err)));
      const s = await new Promise<http.Server>((resolve) => {
        const x = app.listen(0, "127.0.0.1", () => resolve(x));
      });
      try {
        const base = `http://127.0.0.1:${(s.address() as { port: number }).port}`;
        const q = await fetch(`${base}/q`);
        expect([q.status, q.headers.get("retry-after")]).to.deep.equal([429, "1"]);
        expect(await q.text()).to.equal('{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"slow down","instance":"/q"}');
        const e = await fetch(`${base}/e`);
        expect([e.status, e.headers.get("retry-after")]).to.deep.equal([429, null]);
        expect(await e.text()).to.equal(
          '{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"this upload would exceed the evidence quota of 100 bytes per caller per 24 hours (90 used)","instance":"/e","quota":"EVIDENCE_QUOTA_BYTES_PER_DAY","quotaBytes":100,"usedBytes":90}',
        );
        const d = await fetch(`${base}/d`);
        expect(d.status).to.equal(500);
        expect(await d.json()).to.include({ title: "Internal Server Error", detail: "the server failed to handle the request; it has been logged" });
        expect(logged).to.have.length(1);
        expect(logged[0]).to.be.instanceOf(InvalidArgumentError);
      } finally {
        await new Promise((r) => s.close(r));
      }
    });
  });
});
