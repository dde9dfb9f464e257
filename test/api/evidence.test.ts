import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { expect } from "chai";
import { apiFixture, describeEachDialect, type ApiFixture, type Role } from "./fixture";
import { collectionLogAbi } from "../../src/chain/abis";
import { waitUntil } from "../indexer/helpers/harness";

const sha = (b: Buffer) => `0x${crypto.createHash("sha256").update(b).digest("hex")}` as `0x${string}`;

interface RawAnswer {
  status: number;
  contentType: string | undefined;
  body: string;
}

describeEachDialect("POST /v1/evidence and GET /v1/evidence/{sha256}", (dialect) => {
  let f: ApiFixture;
  const upload = (role: Role | undefined, loanId: number | undefined, body: Buffer | string, contentType = "application/octet-stream") =>
    f.call(role, `/v1/evidence${loanId === undefined ? "" : `?loanId=${loanId}`}`, { method: "POST", headers: { "content-type": contentType }, body });
  const get = (role: Role, h: string) => f.call(role, `/v1/evidence/${h}`);
  const temporaryFiles = () => fs.readdirSync(f.services.options.evidenceDir).filter((n) => n.startsWith(".tmp"));
  const options = () => f.services.options;

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect, { maxEvidenceBytes: 4096 });
  });
  after(async () => f?.close());

  /** `role` logs an action on `loanId` citing `evidenceHash` from its own wallet; the indexer then catches up. */
  async function cite(role: Role, loanId: bigint, evidenceHash: `0x${string}`): Promise<void> {
    const w = f.wallet(role);
    const now = (await f.client.getBlock()).timestamp;
    const hash = await w.writeContract({
      address: f.deployment.collectionLog.address,
      abi: collectionLogAbi,
      functionName: "recordAction",
      args: [loanId, 2, 1, 1, now - 10n, evidenceHash],
      account: w.account!,
      chain: w.chain,
    });
    expect((await f.client.waitForTransactionReceipt({ hash })).status).to.equal("success");
    await f.reindex();
  }

  /**
   * A chunked upload (no Content-Length) over a raw connection: `write` is called with a function
   * that sends a chunk (waiting for the socket to drain) and returns once the body is complete; the
   * answer is read in full. `abort` destroys the request instead of ending it.
   */
  function streamUpload(role: Role, loanId: number, write: (send: (chunk: Buffer) => Promise<void>) => Promise<"end" | "abort">): Promise<RawAnswer | "aborted"> {
    const u = new URL(f.url);
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: u.hostname, port: u.port, method: "POST", path: `/v1/evidence?loanId=${loanId}`, headers: { authorization: `Bearer ${f.tokens[role]}`, "content-type": "application/octet-stream" } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"], body: Buffer.concat(chunks).toString("utf8") }));
        },
      );
      let aborted = false;
      req.on("error", (err) => (aborted ? resolve("aborted") : reject(err)));
      const send = (chunk: Buffer) => new Promise<void>((ok) => (req.write(chunk) ? ok() : req.once("drain", ok)));
      write(send).then((how) => {
        if (how === "abort") {
          aborted = true;
          req.destroy();
          resolve("aborted");
        } else req.end();
      }, reject);
    });
  }

  it("stores an artifact for a loan, content-addressed and durably: 201 with its sha256 and size, the file in place, the upload recorded", async () => {
    const bytes = crypto.randomBytes(1000);
    const res = await upload("collector", 1, bytes, "audio/ogg");
    expect(res.status).to.equal(201);
    const body = (await res.json()) as { sha256: string; size: number };
    expect(body).to.deep.equal({ sha256: sha(bytes), size: 1000 });
    const file = path.join(options().evidenceDir, body.sha256.slice(2));
    expect(fs.readFileSync(file).equals(bytes)).to.equal(true);
    expect(temporaryFiles()).to.deep.equal([]);
    const rows = await f.db.selectFrom("evidence_uploads").select(["loan_id", "uploader", "size"]).where("sha256", "=", sha(bytes)).execute();
    expect(rows).to.deep.equal([{ loan_id: 1, uploader: f.addresses.collector, size: 1000 }]);
  });

  it("is idempotent: the same content again is 200 with the same answer, recorded for each loan it was uploaded for", async () => {
    const bytes = Buffer.from("same letter PDF");
    const a = await upload("lender", 1, bytes);
    const b = await upload("collector", 2, bytes, "application/pdf");
    expect(a.status).to.equal(201);
    expect(b.status).to.equal(200);
    expect(await b.json()).to.deep.equal({ sha256: sha(bytes), size: bytes.length });
    const rows = await f.db.selectFrom("evidence_uploads").select(["loan_id", "uploader"]).where("sha256", "=", sha(bytes)).orderBy("loan_id").execute();
    expect(rows).to.deep.equal([
      { loan_id: 1, uploader: f.addresses.lender },
      { loan_id: 2, uploader: f.addresses.collector },
    ]);
  });

  it("accepts any content type, JSON included, as raw bytes", async () => {
    const text = JSON.stringify({ not: "parsed" });
    const res = await upload("collector", 1, text, "application/json");
    expect(res.status).to.equal(201);
    expect(((await res.json()) as { sha256: string }).sha256).to.equal(sha(Buffer.from(text)));
    const none = await f.call("collector", "/v1/evidence?loanId=1", { method: "POST", body: Buffer.from("no type") });
    expect(none.status).to.equal(201);
  });

  it("rejects an empty body (400), an oversized one by Content-Length or while streaming (413), no token (401), as problem+json, leaving no file", async () => {
    const empty = await upload("collector", 1, Buffer.alloc(0));
    expect(empty.status).to.equal(400);
    expect(empty.headers.get("content-type")).to.match(/^application\/problem\+json/);
    const tooBig = crypto.randomBytes(4097);
    const big = await upload("collector", 1, tooBig);
    expect(big.status).to.equal(413);
    expect(big.headers.get("content-type")).to.match(/^application\/problem\+json/);
    // Without a Content-Length the limit is found while streaming: the rest of the body is discarded.
    const chunked = await streamUpload("collector", 1, async (send) => {
      for (let i = 0; i < 8; i++) await send(crypto.randomBytes(1024));
      return "end";
    });
    expect(chunked).to.include({ status: 413 });
    expect((chunked as RawAnswer).contentType).to.match(/^application\/problem\+json/);
    expect(temporaryFiles()).to.deep.equal([]);
    expect(fs.existsSync(path.join(options().evidenceDir, sha(tooBig).slice(2)))).to.equal(false);
    expect((await upload("collector", 1, crypto.randomBytes(4096))).status).to.equal(201);
    expect((await upload(undefined, 1, "x")).status).to.equal(401);
  });

  it("streams the body to disk while hashing: a body far larger than any buffer, sent in chunks, is on disk before it has all arrived; digest checked", async function () {
    this.timeout(60_000);
    const saved = options().maxEvidenceBytes;
    options().maxEvidenceBytes = 32 * 1024 * 1024;
    try {
      // 16 MiB of deterministic pseudo-random chunks of 64 KiB, hashed on the client as they go.
      const hash = crypto.createHash("sha256");
      const chunk = (i: number) => crypto.createHash("sha512").update(`chunk ${i}`).digest().toString("hex").repeat(512).slice(0, 65_536);
      const total = 256;
      const answer = await streamUpload("lender", 1, async (send) => {
        for (let i = 0; i < total; i++) {
          const c = Buffer.from(chunk(i));
          hash.update(c);
          await send(c);
          // Half sent: the server already holds (at least) a quarter on disk, in its temporary file.
          if (i === total / 2) {
            await waitUntil(
              "the upload's temporary file to grow",
              async () => Math.max(0, ...temporaryFiles().map((n) => fs.statSync(path.join(options().evidenceDir, n)).size)),
              (size) => size >= (total / 4) * 65_536,
              20_000,
            );
          }
        }
        return "end";
      });
      const digest = `0x${hash.digest("hex")}`;
      expect(answer).to.include({ status: 201 });
      expect(JSON.parse((answer as RawAnswer).body)).to.deep.equal({ sha256: digest, size: total * 65_536 });
      const stored = fs.readFileSync(path.join(options().evidenceDir, digest.slice(2)));
      expect(sha(stored)).to.equal(digest);
      expect(temporaryFiles()).to.deep.equal([]);
    } finally {
      options().maxEvidenceBytes = saved;
    }
  });

  it("a client that goes away mid-upload leaves no file behind, and the server carries on", async () => {
    const saved = options().maxEvidenceBytes;
    options().maxEvidenceBytes = 1024 * 1024;
    try {
      const out = await streamUpload("collector", 1, async (send) => {
        await send(crypto.randomBytes(64 * 1024));
        await waitUntil("the upload's temporary file", async () => temporaryFiles().length, (n) => n > 0, 10_000);
        return "abort";
      });
      expect(out).to.equal("aborted");
      await waitUntil("the temporary file to be removed", async () => temporaryFiles().length, (n) => n === 0, 10_000);
      expect((await upload("collector", 1, "after the abort")).status).to.be.oneOf([200, 201]);
    } finally {
      options().maxEvidenceBytes = saved;
    }
  });

  it("needs the loan: 400 naming query.loanId without it or when malformed, 404 for a loan that does not exist", async () => {
    for (const q of ["", "?loanId=0", "?loanId=abc", "?loanId=1&loanId=2", "?loanId=99999999999999999"]) {
      const res = await f.call("collector", `/v1/evidence${q}`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: "x" });
      expect(res.status, q).to.equal(400);
      expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path), q).to.include("query.loanId");
    }
    expect((await upload("auditor", 999_999, "x")).status).to.equal(404);
  });

  it("attack: a collector who cites another lender's artifact hash on its own loan cannot read it (404)", async () => {
    // Lender A's collector uploads H for loan 5 and cites it there.
    const bytes = Buffer.from("lender A's call recording, loan 5");
    const up = await upload("collector", 5, bytes);
    expect(up.status).to.equal(201);
    const h = sha(bytes);
    await cite("collector", 5n, h);
    // Collector C of lender B read H from the event and cites it on B's loan 7.
    await cite("otherCollector", 7n, h);
    expect((await get("otherCollector", h)).status).to.equal(404);
    expect((await get("otherLender", h)).status).to.equal(404);
    for (const role of ["collector", "lender", "auditor"] as const) expect((await get(role, h)).status, role).to.equal(200);
  });

  it("attack: uploads need an evidence-producing role on the loan: none -> 404, auditor -> 403, producer -> 201", async () => {
    const body = () => crypto.randomBytes(64);
    for (const role of ["stranger", "borrower", "otherCollector", "otherLender"] as const) expect((await upload(role, 1, body())).status, role).to.equal(404);
    const auditor = await upload("auditor", 1, body());
    expect(auditor.status).to.equal(403);
    expect(auditor.headers.get("content-type")).to.match(/^application\/problem\+json/);
    for (const role of ["lender", "collector", "relayer"] as const) expect((await upload(role, 1, body())).status, role).to.equal(201);
    expect((await upload("otherCollector", 7, body())).status).to.equal(201);
    expect((await upload("otherLender", 7, body())).status).to.equal(201);
  });

  it("attack: evidence responses are private and not stored by caches", async () => {
    const bytes = Buffer.from("cache-control check");
    expect((await upload("collector", 1, bytes)).status).to.be.oneOf([200, 201]);
    await cite("collector", 1n, sha(bytes));
    const res = await get("collector", sha(bytes));
    expect(res.status).to.equal(200);
    expect(res.headers.get("cache-control")).to.equal("private, no-store");
  });

  it("reads follow the upload and the citation: the uploader always; others once it is cited on a loan it was uploaded for that they may see", async () => {
    const bytes = Buffer.from("call recording of loan 6");
    const h = sha(bytes);
    expect((await upload("collector", 1, bytes)).status).to.equal(201);
    // Uploaded for loan 1, cited nowhere: its uploader only.
    expect((await get("collector", h)).status).to.equal(200);
    for (const role of ["lender", "auditor", "relayer", "otherLender"] as const) expect((await get(role, h)).status, role).to.equal(404);
    // Cited on loan 6, but uploaded for loan 1: still its uploader only.
    await cite("collector", 6n, h);
    for (const role of ["lender", "auditor"] as const) expect((await get(role, h)).status, role).to.equal(404);
    // Uploaded for loan 6 as well: those who see loan 6 read it (the relayer sees loans 1 and 2 only).
    expect((await upload("lender", 6, bytes)).status).to.equal(200);
    for (const role of ["collector", "lender", "auditor"] as const) {
      const res = await get(role, h);
      expect(res.status, role).to.equal(200);
      expect(res.headers.get("content-type")).to.equal("application/octet-stream");
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes), role).to.equal(true);
    }
    for (const role of ["otherCollector", "otherLender", "stranger", "relayer"] as const) expect((await get(role, h)).status, role).to.equal(404);
    // Without 0x and in upper case: the same artifact.
    expect((await get("lender", h.slice(2).toUpperCase())).status).to.equal(200);
  });

  it("a daily byte quota per caller: 429 naming the quota (from Content-Length, or while streaming), others unaffected, freed after 24 hours", async () => {
    const used = async (role: Role) =>
      (await f.db.selectFrom("evidence_uploads").select("size").where("uploader", "=", f.addresses[role]).execute()).reduce((s, r) => s + Number(r.size), 0);
    const saved = options().evidenceQuotaBytesPerDay;
    options().evidenceQuotaBytesPerDay = (await used("relayer")) + 1_000;
    try {
      expect((await upload("relayer", 2, crypto.randomBytes(600))).status).to.equal(201);
      const over = await upload("relayer", 2, crypto.randomBytes(600));
      expect(over.status).to.equal(429);
      expect(over.headers.get("content-type")).to.match(/^application\/problem\+json/);
      expect(await over.json()).to.include({ quota: "EVIDENCE_QUOTA_BYTES_PER_DAY", quotaBytes: options().evidenceQuotaBytesPerDay });
      const streamed = await streamUpload("relayer", 2, async (send) => {
        for (let i = 0; i < 6; i++) await send(crypto.randomBytes(100));
        return "end";
      });
      expect(streamed).to.include({ status: 429 });
      expect(temporaryFiles()).to.deep.equal([]);
      // Per caller: the other lender has uploaded nothing here.
      expect((await upload("otherLender", 7, crypto.randomBytes(600))).status).to.equal(201);
      // A day later (the rows' time moved back 24 h): room again.
      await f.db
        .updateTable("evidence_uploads")
        .set((eb) => ({ uploaded_at: eb("uploaded_at", "-", 86_401) }))
        .where("uploader", "=", f.addresses.relayer)
        .execute();
      expect((await upload("relayer", 2, crypto.randomBytes(600))).status).to.equal(201);
    } finally {
      options().evidenceQuotaBytesPerDay = saved;
    }
  });

  it("507 problem+json while the evidence store's free disk space is below the floor", async () => {
    const saved = options().evidenceMinFreeBytes;
    options().evidenceMinFreeBytes = Number.MAX_SAFE_INTEGER;
    const bytes = Buffer.from("no room for this");
    try {
      const res = await upload("collector", 1, bytes);
      expect(res.status).to.equal(507);
      expect(res.headers.get("content-type")).to.match(/^application\/problem\+json/);
      expect(await res.json()).to.include({ status: 507, title: "Insufficient Storage" });
    } finally {
      options().evidenceMinFreeBytes = saved;
    }
    expect(fs.existsSync(path.join(options().evidenceDir, sha(bytes).slice(2)))).to.equal(false);
    expect((await upload("collector", 1, bytes)).status).to.equal(201);
  });

  it("404 for an unknown digest, 400 for a malformed one", async () => {
    expect((await f.call("auditor", `/v1/evidence/0x${"ab".repeat(32)}`)).status).to.equal(404);
    const bad = await f.call("auditor", "/v1/evidence/0x1234");
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { errors: { path: string }[] }).errors[0].path).to.equal("params.sha256");
    expect((await f.call("auditor", `/v1/evidence/..%2F..%2Fetc%2Fpasswd`)).status).to.equal(400);
    expect((await f.call(undefined, `/v1/evidence/0x${"ab".repeat(32)}`)).status).to.equal(401);
  });
});
