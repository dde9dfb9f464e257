/**
 * Reads through the statement cache (src/db/sqlite-statements.ts) come back as the same objects
 * better-sqlite3 builds itself: same keys in the same order, same values, a repeated column name
 * keeping its last value, whatever the column names are.
 */
import { expect } from "chai";
import fc from "fast-check";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { cachingStatements, shapedRows } from "../../src/db/sqlite-statements";

/** better-sqlite3's own rows of `text` and the cache's, on one connection. */
function bothWays(sqlite: BetterSqlite3.Database, text: string, params: unknown[] = []) {
  const own = sqlite.prepare(text).all(...params);
  const cached = cachingStatements(sqlite).prepare(text).all(params);
  return { own, cached };
}

/** An object's own keys and values in order (deep.equal ignores key order). */
const entries = (rows: unknown[]) => rows.map((r) => Object.entries(r as object));

describe("SQLite statements: rows built per statement", () => {
  let sqlite: BetterSqlite3.Database;
  beforeEach(() => {
    sqlite = new BetterSqlite3(":memory:");
    sqlite.exec(`create table t (id integer primary key, name text, amount text, flag integer, data blob, note text);
      insert into t values (1, 'a', '12345678901234567890', 1, x'00ff', null), (2, 'b''s', '0', 0, null, null);`);
  });
  afterEach(() => sqlite.close());

  it("returns the rows better-sqlite3 builds, keys in column order", () => {
    const { own, cached } = bothWays(sqlite, "select * from t order by id");
    expect(cached).to.deep.equal(own);
    expect(entries(cached)).to.deep.equal(entries(own));
    expect((cached[1] as { name: string }).name).to.equal("b's");
    expect(Buffer.isBuffer((cached[0] as { data: Buffer }).data)).to.equal(true);
  });

  it("keeps a repeated column name's last value in its first position, as better-sqlite3 does", () => {
    const { own, cached } = bothWays(sqlite, "select id as x, name, amount as x from t where id = ?", [1]);
    expect(entries(cached)).to.deep.equal(entries(own));
    expect(cached).to.deep.equal([{ x: "12345678901234567890", name: "a" }]);
  });

  it("builds rows for any column name, quotes, backslashes and line breaks included", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: fc.oneof(fc.constantFrom("\"", "\\", "\n", "\u2028", "`", "$", "{", "}", "'"), fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 }), (names) => {
        const text = `select ${names.map((n, i) => `${i} as "${n.replace(/"/g, '""')}"`).join(", ")}`;
        const { own, cached } = bothWays(sqlite, text);
        expect(entries(cached)).to.deep.equal(entries(own));
      }),
      { numRuns: 300 },
    );
  });

  it("leaves a read with a column named __proto__ as better-sqlite3 builds it", () => {
    const stmt = sqlite.prepare("select 1 as __proto__, 2 as a");
    expect(shapedRows(stmt)).to.equal(stmt);
    const { own, cached } = bothWays(sqlite, "select 1 as __proto__, 2 as a");
    expect(cached).to.deep.equal(own);
    expect(Object.getPrototypeOf(cached[0])).to.equal(Object.prototype);
  });

  it("streams shaped rows, and writes and returning clauses run as before", async () => {
    const db = new Kysely<{ t: { id: number; name: string; amount: string; flag: number; data: Buffer | null; note: string | null } }>({
      dialect: new SqliteDialect({ database: cachingStatements(sqlite) }),
    });
    const streamed: unknown[] = [];
    for await (const row of db.selectFrom("t").select(["id", "name"]).orderBy("id").stream()) streamed.push(row);
    expect(streamed).to.deep.equal([
      { id: 1, name: "a" },
      { id: 2, name: "b's" },
    ]);
    const inserted = await db.insertInto("t").values({ id: 3, name: "c", amount: "5", flag: 0, data: null, note: null }).returning(["id", "amount"]).execute();
    expect(inserted).to.deep.equal([{ id: 3, amount: "5" }]);
    const updated = await db.updateTable("t").set({ flag: 1 }).where("flag", "=", 0).executeTakeFirstOrThrow();
    expect(updated.numUpdatedRows).to.equal(2n);
    const { rows } = await sql<{ n: number }>`select count(*) as n from t where flag = ${1}`.execute(db);
    expect(rows).to.deep.equal([{ n: 3 }]);
  });

  it("hands out a statement being streamed only once, so a second read gets its own", async () => {
    const cache = cachingStatements(sqlite);
    const text = "select id from t order by id";
    const first = cache.prepare(text);
    const iterator = first.iterate([]);
    expect(iterator.next().value).to.deep.equal({ id: 1 });
    const second = cache.prepare(text);
    expect(second).to.not.equal(first);
    expect(second.all([])).to.deep.equal([{ id: 1 }, { id: 2 }]);
    expect(iterator.next().value).to.deep.equal({ id: 2 });
    expect(iterator.next().done).to.equal(true);
    expect(cache.prepare(text)).to.equal(first);
  });

  it("reads a select at once, and declines a write (with or without returning) and anything inside a transaction", () => {
    const statements = cachingStatements(sqlite);
    expect(statements.readNow("select id, name from t where id = ?", [2])).to.deep.equal([{ id: 2, name: "b's" }]);
    expect(statements.readNow("SELECT count(*) as n from t limit ?", [5])).to.deep.equal([{ n: 2 }]);
    expect(statements.readNow("insert into t (id, name) values (?, ?) returning id", [3, "c"])).to.equal(undefined);
    expect(statements.readNow("delete from t where id = ? returning id", [1])).to.equal(undefined);
    expect(sqlite.prepare("select count(*) as n from t").get()).to.deep.equal({ n: 2 }); // nothing written
    sqlite.exec("begin");
    expect(statements.readNow("select id from t where id = ?", [1])).to.equal(undefined);
    sqlite.exec("rollback");
  });

  describe("a statement ending in limit ?", () => {
    /** The texts the connection prepares from now on. */
    function preparedTexts(): string[] {
      const texts: string[] = [];
      const prepare = sqlite.prepare.bind(sqlite);
      sqlite.prepare = ((text: string) => {
        texts.push(text);
        return prepare(text);
      }) as typeof sqlite.prepare;
      return texts;
    }
    beforeEach(() => sqlite.exec("insert into t (id, name) values (3, 'c'), (4, 'd'), (5, 'e')"));

    it("runs with its limit written in (SQLite plans a bound limit again at every run), and the same rows", async () => {
      const texts = preparedTexts();
      const db = new Kysely<{ t: { id: number; name: string } }>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) });
      const page = (limit: number) => db.selectFrom("t").select(["id", "name"]).where("id", ">", 1).orderBy("id").limit(limit).execute();
      expect(await page(2)).to.deep.equal([
        { id: 2, name: "b's" },
        { id: 3, name: "c" },
      ]);
      expect(await page(2)).to.have.length(2);
      expect(await page(0)).to.deep.equal([]);
      const streamed: unknown[] = [];
      for await (const row of db.selectFrom("t").select("id").orderBy("id", "desc").limit(1).stream()) streamed.push(row);
      expect(streamed).to.deep.equal([{ id: 5 }]);
      expect(texts).to.deep.equal([
        'select "id", "name" from "t" where "id" > ? order by "id" limit ?',
        'select "id", "name" from "t" where "id" > ? order by "id" limit 2',
        'select "id", "name" from "t" where "id" > ? order by "id" limit 0',
        'select "id" from "t" order by "id" desc limit ?',
        'select "id" from "t" order by "id" desc limit 1',
      ]);
    });

    it("gives what better-sqlite3 gives for any limit bound, or the same error", () => {
      const text = "select id from t where id >= ? order by id limit ?";
      const outcome = (run: () => unknown) => {
        try {
          return { rows: run() };
        } catch (err) {
          return { error: (err as Error).message };
        }
      };
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 6 }), fc.oneof(fc.integer({ min: -2, max: 8 }), fc.bigInt({ min: -2n, max: 8n }), fc.constantFrom(2 ** 53, 1.5, "3", null)), (from, limit) => {
          const own = outcome(() => sqlite.prepare(text).all(from, limit));
          const cached = outcome(() => cachingStatements(sqlite).prepare(text).all([from, limit]));
          expect(cached).to.deep.equal(own);
        }),
        { numRuns: 200 },
      );
    });
  });
});
