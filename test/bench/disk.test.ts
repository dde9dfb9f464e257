/**
 * bench/api/disk.ts: flushing a benchmark's books to the disk. What a test can see of it: the files
 * that exist are opened and synced with their contents unchanged, missing ones (an absent -wal) are
 * skipped, and anything else that cannot be synced is an error, not a silent skip.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { flushToDisk, sqliteFiles } from "../../bench/api/disk";

describe("bench: books flushed to the disk", () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-disk-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("syncs the files that exist, unchanged, and skips a missing -wal and -shm", () => {
    const file = path.join(dir, "book.db");
    fs.writeFileSync(file, "book");
    const ms = flushToDisk(sqliteFiles(file));
    expect(ms).to.be.a("number").and.at.least(0);
    expect(fs.readFileSync(file, "utf8")).to.equal("book");
    expect(fs.existsSync(`${file}-wal`)).to.equal(false);
  });

  it("refuses a path it cannot sync (a directory) rather than skipping it", () => {
    expect(() => flushToDisk([dir])).to.throw(/EISDIR/);
  });
});
