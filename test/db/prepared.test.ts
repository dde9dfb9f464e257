/**
 * Queries built and compiled once (src/db/prepared.ts): the rows are those of the same query built
 * by Kysely each time, for any values and list lengths; each query keeps its own compiled SQL (two
 * queries of the same shape on one database do not share it); a variant builds its own; and a
 * build that does not carry a value as a parameter is refused when first run. On SQLite a prepared
 * read runs at once outside Kysely's turn-taking, except while a transaction is open, which it waits
 * for.
 */
import { expect } from "chai";
import fc from "fast-check";
import { sql, type Kysely } from "kysely";
import type { Database } from "../../src/db/schema";
import type { DatabaseHandle } from "../../src/db/connect";
import { PreparedQueryError } from "../../src/db/errors";
import { preparedQuery } from "../../src/db/prepared";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../indexer/helpers/harness";

/** Revoked tokens t0 … t19: subject s(i % 4), revoked at 100 + i. */
const ROWS = Array.from({ length: 20 }, (_, i) => ({ jti: `t${i}`, subject: `s${i % 4}`, revoked_at: 100 + i, expires_at: 10_000 }));

const revokedIn = preparedQuery((db, p: { jtis: string[]; since: number }) =>
  db.selectFrom("revoked_tokens").select(["jti", "revoked_at"]).where("jti", "in", p.jtis).where("revoked_at", ">=", p.since).orderBy("jti"),
);

/** The same query, built by Kysely on every call. */
function revokedInBuilt(db: Kysely<Database>, jtis: string[], since: number) {
  return db.selectFrom("revoked_tokens").select(["jti", "revoked_at"]).where("jti", "in", jtis).where("revoked_at", ">=", since).orderBy("jti").execute();
}

describeEachDialect("preparedQuery", (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;

  before(async function () {
    database = createTestDatabase(dialect, "prepared-query");
    handle = await database.open();
    await handle.db.insertInto("revoked_tokens").values(ROWS).execute();
  });
  after(async () => {
    await handle?.close();
    await database?.drop();
  });

  it("answers as the query built each time, for any values and list lengths", async function () {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: 24 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 95, max: 125 }), async (picks, since) => {
        const jtis = picks.map((i) => `t${i}`);
        expect(await revokedIn(handle.db, { jtis, since })).to.deep.equal(await revokedInBuilt(handle.db, jtis, since));
      }),
      { numRuns: 60 },
    );
    // Not vacuous: some answers have rows.
    expect(await revokedIn(handle.db, { jtis: ["t3", "t7", "t30"], since: 0 })).to.deep.equal([
      { jti: "t3", revoked_at: 103 },
      { jti: "t7", revoked_at: 107 },
    ]);
  });

  it("builds each query once per shape, and two queries of one shape keep their own SQL", async function () {
    let builds = 0;
    const bySubject = preparedQuery((db, p: { subject: string; since: number }) => {
      builds++;
      return db.selectFrom("revoked_tokens").select("jti").where("subject", "=", p.subject).where("revoked_at", ">=", p.since).orderBy("jti");
    });
    // Same shape (two scalars) as bySubject, other table and columns.
    const byJti = preparedQuery((db, p: { jti: string; since: number }) => db.selectFrom("revoked_tokens").select(["subject"]).where("jti", "=", p.jti).where("revoked_at", ">=", p.since));
    expect(await byJti(handle.db, { jti: "t5", since: 0 })).to.deep.equal([{ subject: "s1" }]);
    expect(await bySubject(handle.db, { subject: "s1", since: 0 })).to.deep.equal(["t1", "t13", "t17", "t5", "t9"].map((jti) => ({ jti })));
    expect(await bySubject(handle.db, { subject: "s2", since: 111 })).to.deep.equal(["t14", "t18"].map((jti) => ({ jti })));
    expect(await byJti(handle.db, { jti: "t6", since: 0 })).to.deep.equal([{ subject: "s2" }]);
    expect(builds).to.equal(1);
  });

  it("builds a variant of its own", async function () {
    const ordered = preparedQuery((db, p: { subject: string }, variant) =>
      db
        .selectFrom("revoked_tokens")
        .select("revoked_at")
        .where("subject", "=", p.subject)
        .orderBy("revoked_at", variant === "newest" ? "desc" : "asc")
        .limit(2),
    );
    expect(await ordered(handle.db, { subject: "s0" }, "newest")).to.deep.equal([{ revoked_at: 116 }, { revoked_at: 112 }]);
    expect(await ordered(handle.db, { subject: "s0" }, "oldest")).to.deep.equal([{ revoked_at: 100 }, { revoked_at: 104 }]);
    expect(await ordered(handle.db, { subject: "s0" })).to.deep.equal([{ revoked_at: 100 }, { revoked_at: 104 }]);
  });

  it("builds an optional filter in or out by whether its value is undefined, keyed by the value's name", async function () {
    const filtered = preparedQuery((db, p: { jti?: string; subject?: string }) => {
      let q = db.selectFrom("revoked_tokens").select("jti").orderBy("jti");
      if (p.jti !== undefined) q = q.where("jti", "=", p.jti);
      if (p.subject !== undefined) q = q.where("subject", "=", p.subject);
      return q;
    });
    const jtis = (rows: { jti: string }[]) => rows.map((r) => r.jti);
    expect(jtis(await filtered(handle.db, { jti: "t6" }))).to.deep.equal(["t6"]);
    // One value given under the other name: not the template of the first (a shape of list lengths alone would be the same).
    expect(jtis(await filtered(handle.db, { subject: "s3" }))).to.deep.equal(["t11", "t15", "t19", "t3", "t7"]);
    expect(jtis(await filtered(handle.db, { jti: undefined, subject: "s3" }))).to.deep.equal(["t11", "t15", "t19", "t3", "t7"]);
    expect(jtis(await filtered(handle.db, { jti: "t7", subject: "s3" }))).to.deep.equal(["t7"]);
    expect(await filtered(handle.db, {})).to.have.length(ROWS.length);
  });

  it("refuses a build that writes a value into the SQL text or leaves one out, naming it", async function () {
    const inlined = preparedQuery((db, p: { jti: string }) => db.selectFrom("revoked_tokens").select("jti").where("jti", "=", sql.lit(p.jti)));
    await expectRejected(inlined(handle.db, { jti: "t1" }), "written into the SQL text");
    const unused = preparedQuery((db, _p: { jti: string; subject: string }) => db.selectFrom("revoked_tokens").select("jti").where("jti", "=", _p.jti));
    await expectRejected(unused(handle.db, { jti: "t1", subject: "s1" }), 'the value "subject" is not a parameter');
  });

  if (dialect === "sqlite") {
    /** Holds Kysely's one SQLite connection (as a transaction or a plain borrow) until `release`. */
    function hold(kind: "transaction" | "borrow", body: (db: Kysely<Database>) => Promise<void>) {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const run = async (db: Kysely<Database>) => {
        await body(db);
        entered();
        await gate;
      };
      const done = kind === "transaction" ? handle.db.transaction().execute(run) : handle.db.connection().execute(run);
      return { inside, release, done };
    }
    const settledYet = async (p: Promise<unknown>) => {
      let settled = false;
      void p.then(() => (settled = true));
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      return settled;
    };
    /** `revokedIn` for `jtis`, issued while `h` holds the connection: whether it answered before `h` let go, and its rows. */
    async function readWhileHeld(h: ReturnType<typeof hold>, jtis: string[]) {
      await h.inside;
      const read = revokedIn(handle.db, { jtis, since: 0 });
      let early: boolean;
      try {
        early = await settledYet(read);
      } finally {
        h.release();
        await h.done;
      }
      return { early, rows: await read };
    }

    it("reads at once while the connection is lent outside a transaction, without waiting its turn", async function () {
      const { early, rows } = await readWhileHeld(hold("borrow", async () => undefined), ["t1", "t2"]);
      expect(early, "a prepared read waits for a borrow with no transaction open").to.equal(true);
      expect(rows).to.deep.equal([
        { jti: "t1", revoked_at: 101 },
        { jti: "t2", revoked_at: 102 },
      ]);
    });

    it("waits for an open transaction and then reads what it committed, never its uncommitted rows", async function () {
      const h = hold("transaction", async (trx) => {
        await trx.insertInto("revoked_tokens").values({ jti: "t-open", subject: "s9", revoked_at: 500, expires_at: 10_000 }).execute();
      });
      const { early, rows } = await readWhileHeld(h, ["t1", "t-open"]);
      expect(early, "a prepared read ran inside another's open transaction").to.equal(false);
      expect(rows).to.deep.equal([
        { jti: "t-open", revoked_at: 500 },
        { jti: "t1", revoked_at: 101 },
      ]);
      await handle.db.deleteFrom("revoked_tokens").where("jti", "=", "t-open").execute();
    });
  }
});

async function expectRejected(p: Promise<unknown>, message: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).to.be.instanceOf(PreparedQueryError);
  expect((err as Error).message).to.include(message);
}
