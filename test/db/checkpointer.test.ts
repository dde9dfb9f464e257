/**
 * WAL checkpoints on a worker thread (src/db/checkpointer.ts): with the writer's own checkpoints
 * off, the worker is what moves committed pages from the WAL into the database file; stopping it
 * gives the writer its automatic checkpoints back.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { openDatabase, type DatabaseHandle } from "../../src/db/connect";
import { AUTOCHECKPOINT_PAGES, startCheckpointer } from "../../src/db/checkpointer";

describe("WAL checkpoint worker", function () {
  let dir: string;
  let handle: DatabaseHandle;
  let file: string;

  beforeEach(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-ckpt-"));
    file = path.join(dir, "index.db");
    handle = await openDatabase(file);
    await sql`create table blob_t (id integer primary key, body text not null)`.execute(handle.db);
  });

  afterEach(async function () {
    await handle?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const writeMb = async (mb: number) => {
    const body = "x".repeat(1024 * 64);
    await handle.db.transaction().execute(async (trx) => {
      for (let i = 0; i < mb * 16; i++) await sql`insert into blob_t (body) values (${body})`.execute(trx);
    });
  };
  const autocheckpoint = async () => Number((await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(handle.db)).rows[0].wal_autocheckpoint);

  it("moves committed pages into the database file while the writer's own checkpoints are off", async function () {
    const checkpointer = await startCheckpointer(handle.db, file, (err) => {
      throw err;
    });
    try {
      expect(await autocheckpoint()).to.equal(0);
      await writeMb(8);
      const deadline = Date.now() + 5_000;
      while (fs.statSync(file).size < 8 * 2 ** 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(fs.statSync(file).size).to.be.at.least(8 * 2 ** 20);
    } finally {
      await checkpointer.stop();
    }
    expect(await autocheckpoint()).to.equal(AUTOCHECKPOINT_PAGES);
  });

  it("without it (the writer's checkpoints off), the pages stay in the WAL", async function () {
    await sql`pragma wal_autocheckpoint = 0`.execute(handle.db);
    await writeMb(8);
    // A later commit is the marker: with automatic checkpoints on, it would have copied the WAL over.
    await writeMb(1);
    expect(fs.statSync(file).size).to.be.below(2 ** 20);
    expect(fs.statSync(`${file}-wal`).size).to.be.at.least(8 * 2 ** 20);
  });
});
