/**
 * storeArtifact: bytes in memory (a rendered notice) stored under their SHA-256, complete or not at
 * all, once.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { artifactPath, listStore, storeArtifact } from "../../src/evidence/store";

describe("evidence/store: storeArtifact", function () {
  it("stores the bytes under their SHA-256 and returns the hex digest", async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-store-"));
    const bytes = Buffer.from("%PDF-1.7\nthe letter\n%%EOF\n");
    const hex = await storeArtifact(path.join(dir, "evidence"), bytes);
    expect(hex).to.equal(crypto.createHash("sha256").update(bytes).digest("hex"));
    expect(fs.readFileSync(artifactPath(path.join(dir, "evidence"), hex)).equals(bytes)).to.equal(true);
  });

  it("many stores at once (sharing their folder fsyncs) all land whole, and leave no temporary file", async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-store-"));
    const items = Array.from({ length: 60 }, (_, i) => crypto.randomBytes(100 + i));
    const hexes = await Promise.all(items.map((b) => storeArtifact(dir, b)));
    hexes.forEach((hex, i) => expect(fs.readFileSync(artifactPath(dir, hex)).equals(items[i]!)).to.equal(true));
    expect(fs.readdirSync(dir).sort()).to.deep.equal([...hexes].sort());
  });

  it("is idempotent: the same bytes again leave the stored file alone and no temporary file behind", async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-store-"));
    const bytes = crypto.randomBytes(4096);
    const hex = await storeArtifact(dir, bytes);
    const before = fs.statSync(artifactPath(dir, hex));
    expect(await storeArtifact(dir, Uint8Array.from(bytes))).to.equal(hex);
    expect(fs.statSync(artifactPath(dir, hex)).ino).to.equal(before.ino);
    const other = await storeArtifact(dir, Buffer.from("other"));
    const listing = await listStore(dir);
    expect(listing.artifacts.map((a) => a.hex).sort()).to.deep.equal([hex, other].sort());
    expect(listing.temporary).to.deep.equal([]);
  });

  it("replaces a truncated copy under the digest's name (a file moved in by hand, not by the store)", async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-store-"));
    const bytes = crypto.randomBytes(1000);
    const hex = crypto.createHash("sha256").update(bytes).digest("hex");
    fs.writeFileSync(path.join(dir, hex), bytes.subarray(0, 10));
    expect(await storeArtifact(dir, bytes)).to.equal(hex);
    expect(fs.readFileSync(path.join(dir, hex)).equals(bytes)).to.equal(true);
  });
});
