import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { apiFixture, describeEachDialect, type ApiFixture, type Role } from "./fixture";
import { collectionLogAbi } from "../../src/chain/abis";

const sha = (b: Buffer) => `0x${crypto.createHash("sha256").update(b).digest("hex")}`;

describeEachDialect("POST /v1/evidence and GET /v1/evidence/{sha256}", (dialect) => {
  let f: ApiFixture;
  const upload = (role: Role | undefined, body: Buffer | string, contentType = "application/octet-stream") =>
    f.call(role, "/v1/evidence", { method: "POST", headers: { "content-type": contentType }, body });

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect, { maxEvidenceBytes: 4096 });
  });
  after(async () => f?.close());

  it("stores an artifact content-addressed and durably: 201 with its sha256 and size, the file in place", async () => {
    const bytes = crypto.randomBytes(1000);
    const res = await upload("collector", bytes, "audio/ogg");
    expect(res.status).to.equal(201);
    const body = (await res.json()) as { sha256: string; size: number };
    expect(body).to.deep.equal({ sha256: sha(bytes), size: 1000 });
    const file = path.join(f.services.options.evidenceDir, body.sha256.slice(2));
    expect(fs.readFileSync(file).equals(bytes)).to.equal(true);
    expect(fs.readdirSync(f.services.options.evidenceDir).filter((n) => n.startsWith(".tmp"))).to.deep.equal([]);
  });

  it("is idempotent: the same content again is 200 with the same answer", async () => {
    const bytes = Buffer.from("same letter PDF");
    const a = await upload("lender", bytes);
    const b = await upload("auditor", bytes, "application/pdf");
    expect(a.status).to.equal(201);
    expect(b.status).to.equal(200);
    expect(await b.json()).to.deep.equal({ sha256: sha(bytes), size: bytes.length });
  });

  it("accepts any content type, JSON included, as raw bytes", async () => {
    const text = JSON.stringify({ not: "parsed" });
    const res = await upload("collector", text, "application/json");
    expect(res.status).to.equal(201);
    expect(((await res.json()) as { sha256: string }).sha256).to.equal(sha(Buffer.from(text)));
    const none = await f.call("collector", "/v1/evidence", { method: "POST", body: Buffer.from("no type") });
    expect(none.status).to.equal(201);
  });

  it("rejects an empty body (400), an oversized one (413) and no token (401), as problem+json", async () => {
    const empty = await upload("collector", Buffer.alloc(0));
    expect(empty.status).to.equal(400);
    expect(empty.headers.get("content-type")).to.match(/^application\/problem\+json/);
    const big = await upload("collector", crypto.randomBytes(4097));
    expect(big.status).to.equal(413);
    expect(big.headers.get("content-type")).to.match(/^application\/problem\+json/);
    expect((await upload("collector", crypto.randomBytes(4096))).status).to.equal(201);
    expect((await upload(undefined, "x")).status).to.equal(401);
  });

  it("serves an artifact cited on a visible loan; auditors read any; others get 404", async () => {
    const bytes = Buffer.from("call recording of loan 5");
    const { sha256 } = (await (await upload("collector", bytes)).json()) as { sha256: `0x${string}` };
    // Not cited yet: only auditors may read it.
    const get = (role: Role, h: string = sha256) => f.call(role, `/v1/evidence/${h}`);
    const auditor = await get("auditor");
    expect(auditor.status).to.equal(200);
    expect(auditor.headers.get("content-type")).to.equal("application/octet-stream");
    expect(Buffer.from(await auditor.arrayBuffer()).equals(bytes)).to.equal(true);
    expect((await get("collector")).status).to.equal(404);
    expect((await get("lender")).status).to.equal(404);
    // The collector logs an action on loan 5 citing it (its own wallet), then it is readable to those who see loan 5.
    const w = f.wallet("collector");
    const now = (await f.client.getBlock()).timestamp;
    const hash = await w.writeContract({
      address: f.deployment.collectionLog.address,
      abi: collectionLogAbi,
      functionName: "recordAction",
      args: [5n, 2, 1, 1, now - 10n, sha256],
      account: w.account!,
      chain: w.chain,
    });
    await f.client.waitForTransactionReceipt({ hash });
    await f.reindex();
    for (const role of ["collector", "lender", "auditor"] as const) {
      const res = await get(role);
      expect(res.status, role).to.equal(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes), role).to.equal(true);
    }
    for (const role of ["otherCollector", "otherLender", "stranger", "relayer"] as const) expect((await get(role)).status, role).to.equal(404);
    // Without 0x and in upper case: the same artifact.
    expect((await get("lender", sha256.slice(2).toUpperCase())).status).to.equal(200);
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
