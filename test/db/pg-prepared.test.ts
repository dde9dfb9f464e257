/**
 * PostgreSQL reads as named prepared statements (src/db/pg-prepared.ts): which statements are
 * prepared (SELECTs outside transactions, up to the bound), that answers are the same, that a
 * statement whose result columns changed under it is run again unnamed, and `?prepare=off`.
 * The server's own view (pg_prepared_statements, per connection) is the evidence.
 */
import { expect } from "chai";
import pg from "pg";
import { sql } from "kysely";
import { openDatabase } from "../../src/db/connect";
import { InvalidPrepareOptionError } from "../../src/db/errors";
import { prepareReads, takePrepareOption } from "../../src/db/pg-prepared";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../indexer/helpers/harness";

describe("takePrepareOption", function () {
  it("is on by default and with prepare=on, off with prepare=off, and leaves the URL without it", function () {
    for (const [query, on] of [["", true], ["?prepare=on", true], ["?prepare=off", false]] as const) {
      const u = new URL(`postgres://u@h/db${query}`);
      expect(takePrepareOption(u), query).to.equal(on);
      expect(u.searchParams.has("prepare")).to.equal(false);
    }
  });

  it("refuses any other value, naming it", function () {
    expect(() => takePrepareOption(new URL("postgres://u@h/db?prepare=yes"))).to.throw(InvalidPrepareOptionError, '"yes"');
  });
});

describeEachDialect(
  "prepared reads",
  () => {
    let database: TestDatabase;
    let client: pg.Client;

    /** Statement texts the server holds prepared on `client`'s connection. */
    const prepared = async () => {
      const r = await client.query<{ statement: string }>({ text: "select statement from pg_prepared_statements" });
      return r.rows.map((x) => x.statement);
    };

    before(async function () {
      database = createTestDatabase("postgres", "prepared");
      await (await database.open()).close();
    });

    beforeEach(async function () {
      client = new pg.Client({ connectionString: database.url.replace(/[?&]schema=[^&]*/, ""), options: `-c search_path=${database.schema}` });
      await client.connect();
      await client.query("create table if not exists prep_t (id bigint primary key, note text not null)");
      await client.query("delete from prep_t");
      await client.query("insert into prep_t values (1, 'one'), (2, 'two')");
    });

    afterEach(async function () {
      await client?.query("drop table if exists prep_t");
      await client?.end();
    });

    after(async function () {
      await database?.drop();
    });

    it("prepares a SELECT once and answers it as before, each time", async function () {
      prepareReads(client);
      const text = "select note from prep_t where id = $1";
      for (const id of [1, 2, 1]) expect((await client.query(text, [id])).rows).to.deep.equal([{ note: id === 1 ? "one" : "two" }]);
      expect(await prepared()).to.deep.equal([text]);
    });

    it("leaves writes, and reads inside a transaction, unnamed", async function () {
      prepareReads(client);
      await client.query("update prep_t set note = $1 where id = $2", ["uno", 1]);
      await client.query("begin", []);
      expect((await client.query("select note from prep_t where id = $1", [1])).rows).to.deep.equal([{ note: "uno" }]);
      await client.query("commit", []);
      expect(await prepared()).to.deep.equal([]);
      // After the transaction, reads are prepared again.
      await client.query("select note from prep_t where id = $1", [2]);
      expect(await prepared()).to.deep.equal(["select note from prep_t where id = $1"]);
    });

    it("prepares at most `limit` texts a connection and runs the rest unnamed", async function () {
      prepareReads(client, 2);
      for (let i = 0; i < 4; i++) expect((await client.query(`select ${i} as n, note from prep_t where id = $1`, [1])).rows).to.deep.equal([{ n: i, note: "one" }]);
      expect((await prepared()).sort()).to.deep.equal(["select 0 as n, note from prep_t where id = $1", "select 1 as n, note from prep_t where id = $1"]);
    });

    it("runs a statement again unnamed when a new column changed its result type, with the new column", async function () {
      prepareReads(client);
      const text = "select * from prep_t where id = $1";
      expect((await client.query(text, [1])).rows).to.deep.equal([{ id: "1", note: "one" }]);
      // Another process migrates: the prepared `select *` can no longer give its old row type.
      const other = new pg.Client({ connectionString: database.url.replace(/[?&]schema=[^&]*/, ""), options: `-c search_path=${database.schema}` });
      await other.connect();
      try {
        await other.query("alter table prep_t add column extra int not null default 7");
      } finally {
        await other.end();
      }
      for (let i = 0; i < 2; i++) expect((await client.query(text, [1])).rows).to.deep.equal([{ id: "1", note: "one", extra: 7 }]);
    });

    it("is what openDatabase's pool does when asked (the API), not by default, and not with ?prepare=off", async function () {
      for (const [suffix, preparedReads, expected] of [["", true, 1], ["", false, 0], ["", undefined, 0], ["&prepare=off", true, 0]] as const) {
        const handle = await openDatabase(`${database.url}${suffix}`, preparedReads === undefined ? undefined : { preparedReads });
        try {
          // One caller at a time: the pool hands back the same idle connection.
          for (let i = 0; i < 3; i++) await handle.db.selectFrom("cursor").select("block_number").where("id", "=", 1).execute();
          // The pattern is a parameter, so this statement's own text does not match it.
          const r = await sql<{ n: string }>`select count(*) as n from pg_prepared_statements where statement like ${'%from "cursor"%'}`.execute(handle.db);
          expect(Number(r.rows[0]!.n), `${suffix} ${preparedReads}`).to.equal(expected);
        } finally {
          await handle.close();
        }
      }
    });
  },
  ["postgres"],
);
