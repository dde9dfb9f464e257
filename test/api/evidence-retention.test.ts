import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { expect } from "chai";
import pino from "pino";
import { collectionLogAbi } from "../../src/chain/abis";
import { sweepEvidence } from "../../src/api/services/evidence-retention";
import { removeArtifactUnless } from "../../src/evidence/store";
import { apiFixture, describeEachDialect, type ApiFixture, type Role } from "./fixture";
import { DAY_SECONDS as DAY } from "../../src/domain";

const sha = (b: Buffer) => `0x${crypto.createHash("sha256").update(b).digest("hex")}` as `0x${string}`;

describeEachDialect("evidence retention: never-cited artifacts are removed, cited ones never", (dialect) => {
  let f: ApiFixture;
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "info", base: undefined },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
        done();
      },
    }),
  );
  const dir = () => f.services.options.evidenceDir;
  const file = (h: string) => path.join(dir(), h.slice(2));
  const now = () => Math.floor(Date.now() / 1000);
  const sweep = (at: number) => sweepEvidence({ db: f.db, dir: dir(), logger, now: at, retentionDays: 30 });
  const rows = async (h: string) => (await f.db.selectFrom("evidence_uploads").select("loan_id").where("sha256", "=", h).execute()).length;

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
  });
  after(async () => f?.close());
  beforeEach(() => (lines.length = 0));

  async function upload(role: Role, loanId: number, bytes: Buffer): Promise<`0x${string}`> {
    const res = await f.call(role, `/v1/evidence?loanId=${loanId}`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: bytes });
    expect(res.status).to.be.oneOf([200, 201]);
    return sha(bytes);
  }

  async function cite(loanId: bigint, evidenceHash: `0x${string}`): Promise<void> {
    const w = f.wallet("collector");
    const t = (await f.client.getBlock()).timestamp;
    const hash = await w.writeContract({ address: f.deployment.collectionLog.address, abi: collectionLogAbi, functionName: "recordAction", args: [loanId, 2, 1, 1, t - 10n, evidenceHash], account: w.account!, chain: w.chain });
    expect((await f.client.waitForTransactionReceipt({ hash })).status).to.equal("success");
    await f.reindex();
  }

  it("removes an uncited artifact (file and upload rows) once its newest upload is older than the retention; keeps cited ones; logs digest and size only", async () => {
    const uncitedBytes = crypto.randomBytes(321);
    const uncited = await upload("collector", 1, uncitedBytes);
    const cited = await upload("collector", 2, crypto.randomBytes(100));
    await cite(2n, cited);

    expect((await sweep(now() + 29 * DAY)).removed).to.deep.equal([]);
    expect(fs.existsSync(file(uncited))).to.equal(true);

    const out = await sweep(now() + 31 * DAY);
    expect(out.removed).to.deep.equal([{ sha256: uncited, size: 321 }]);
    expect(fs.existsSync(file(uncited))).to.equal(false);
    expect(await rows(uncited)).to.equal(0);
    expect(fs.existsSync(file(cited))).to.equal(true);
    expect(await rows(cited)).to.equal(1);
    const logged = lines.filter((l) => l.sha256 !== undefined);
    expect(logged).to.have.length(1);
    expect(Object.keys(logged[0]).sort()).to.deep.equal(["level", "msg", "sha256", "size", "time"]);
    expect(logged[0]).to.include({ sha256: uncited, size: 321 });
    // Gone for its uploader too; and a second sweep finds nothing more.
    expect((await f.call("collector", `/v1/evidence/${uncited}`)).status).to.equal(404);
    expect((await sweep(now() + 31 * DAY)).removed).to.deep.equal([]);
    // Far in the future the cited one is still there.
    expect((await sweep(now() + 3_650 * DAY)).removed.map((r) => r.sha256)).not.to.include(cited);
    expect(fs.existsSync(file(cited))).to.equal(true);
  });

  it("counts from the newest upload: uploading the same bytes again keeps the artifact another retention", async () => {
    const h = await upload("lender", 3, crypto.randomBytes(50));
    await f.db.updateTable("evidence_uploads").set({ uploaded_at: now() - 40 * DAY }).where("sha256", "=", h).execute();
    const again = await upload("collector", 3, fs.readFileSync(file(h)));
    expect(again).to.equal(h);
    expect((await sweep(now())).removed.map((r) => r.sha256)).not.to.include(h);
    expect(fs.existsSync(file(h))).to.equal(true);
    expect(await rows(h)).to.equal(2);
    expect((await sweep(now() + 31 * DAY)).removed.map((r) => r.sha256)).to.include(h);
  });

  it("a removal racing an upload of the same bytes keeps the file: the upload's row puts it back, or the upload places its own copy", async () => {
    // The upload lands while the file is renamed aside (between the sweep's row deletion and its unlink).
    const bytes = crypto.randomBytes(77);
    const h = await upload("collector", 4, bytes);
    await f.db.deleteFrom("evidence_uploads").where("sha256", "=", h).execute(); // as the sweep's transaction did
    const removed = await removeArtifactUnless(dir(), h.slice(2), async () => {
      expect(fs.existsSync(file(h))).to.equal(false);
      const res = await f.call("collector", "/v1/evidence?loanId=4", { method: "POST", headers: { "content-type": "application/octet-stream" }, body: bytes });
      expect(res.status).to.equal(201); // it found no file: it placed its own copy
      return (await rows(h)) > 0;
    });
    expect(removed).to.equal(undefined);
    expect(fs.readFileSync(file(h)).equals(bytes)).to.equal(true);
    // The upload's row appears but its copy is not placed yet: the renamed-aside file comes back.
    const removed2 = await removeArtifactUnless(dir(), h.slice(2), async () => true);
    expect(removed2).to.equal(undefined);
    expect(fs.readFileSync(file(h)).equals(bytes)).to.equal(true);
    // Nothing appeared: removed, with its size.
    expect(await removeArtifactUnless(dir(), h.slice(2), async () => false)).to.equal(77);
    expect(fs.existsSync(file(h))).to.equal(false);
    expect(fs.readdirSync(dir()).filter((n) => n.startsWith("."))).to.deep.equal([]);
  });

  it("files without upload rows are judged by age; interrupted uploads' temporary files go after a day; an interrupted removal is settled", async () => {
    const old = (p: string) => fs.utimesSync(p, new Date(Date.now() - 40 * DAY * 1000), new Date(Date.now() - 40 * DAY * 1000));
    // Stored before uploads were recorded: one nobody cites, one an action cites.
    const legacy = crypto.randomBytes(10);
    const legacyCited = crypto.randomBytes(11);
    for (const b of [legacy, legacyCited]) {
      fs.writeFileSync(file(sha(b)), b);
      old(file(sha(b)));
    }
    await cite(5n, sha(legacyCited));
    const staleTmp = path.join(dir(), ".tmp-0123456789abcdef");
    const freshTmp = path.join(dir(), ".tmp-fedcba9876543210");
    fs.writeFileSync(staleTmp, "partial");
    old(staleTmp);
    fs.writeFileSync(freshTmp, "in flight");
    // A removal stopped after renaming aside: one artifact still has rows (back it goes), one has none.
    const kept = await upload("collector", 5, crypto.randomBytes(12));
    fs.renameSync(file(kept), path.join(dir(), `.trash-${kept.slice(2)}-aaaaaaaaaaaa`));
    const orphan = crypto.randomBytes(13);
    fs.writeFileSync(path.join(dir(), `.trash-${sha(orphan).slice(2)}-bbbbbbbbbbbb`), orphan);

    const out = await sweep(now());
    expect(out.removed.map((r) => r.sha256).sort()).to.deep.equal([sha(legacy), sha(orphan)].sort());
    expect(out.temporaryRemoved).to.equal(1);
    expect(fs.existsSync(file(sha(legacy)))).to.equal(false);
    expect(fs.existsSync(file(sha(legacyCited)))).to.equal(true);
    expect(fs.existsSync(staleTmp)).to.equal(false);
    expect(fs.existsSync(freshTmp)).to.equal(true);
    expect(fs.existsSync(file(kept))).to.equal(true);
    expect(fs.readdirSync(dir()).filter((n) => n.startsWith(".trash"))).to.deep.equal([]);
    fs.rmSync(freshTmp);
  });
});
