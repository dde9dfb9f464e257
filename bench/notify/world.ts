/**
 * The benchmark's book: loans synthesized with the indexer's row shapes (bench/api/synthesize.ts),
 * copied into PostgreSQL when that is the database under test, a sealed contact record per
 * borrower (src/db/contacts.ts, consent on every channel), and pending notices written as the
 * planner writes them once their trigger is final.
 */
import BetterSqlite3 from "better-sqlite3";
import { sql, type Kysely } from "kysely";
import { getAddress, type Address, type Hex } from "viem";
import { chunk } from "../../src/db/chunk";
import { openDatabase, type DatabaseHandle } from "../../src/db/connect";
import { upsertContacts } from "../../src/db/contacts";
import type { NoticeChannel, NoticesTable } from "../../src/db/notify-tables";
import type { Database } from "../../src/db/schema";
import { noticeRow } from "../../src/notify/planner";
import type { PiiKeyring } from "../../src/pii/crypto";
import { LENDER, synthesize } from "../api/synthesize";
import { dropSchema } from "../pg-schema";

/** The tables the dispatcher reads, copied from the synthesized SQLite file into PostgreSQL. */
const COPIED = ["cursor", "policies", "loans", "installments", "actions"] as const;

export interface World {
  handle: DatabaseHandle;
  url: string;
  /** Chain time of the book (every notice is due by it). */
  t: number;
  loans: number;
  close(): Promise<void>;
}

/** Builds a book of `loans` loans in `file` (SQLite) and, with `pgUrl`, in its schema there. */
export async function buildWorld(file: string, loans: number, keyring: PiiKeyring, pgUrl?: string, log: (s: string) => void = console.error): Promise<World> {
  const t0 = Date.now();
  const book = await synthesize(file, loans);
  log(`  synthesized ${loans} loans in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  let url = file;
  if (pgUrl) {
    const u = new URL(pgUrl);
    u.searchParams.set("schema", "bench_notify");
    url = u.toString();
    await dropSchema(pgUrl, "bench_notify");
    const t1 = Date.now();
    const pg = await openDatabase(url); // runs the migrations
    const source = new BetterSqlite3(file, { readonly: true });
    try {
      for (const table of COPIED) await copyTable(source, pg.db, table);
    } finally {
      source.close();
    }
    // A book in its steady state: vacuumed and analysed (otherwise autovacuum works through the fresh copy during the runs).
    await sql`vacuum analyze`.execute(pg.db);
    await pg.close();
    log(`  copied into PostgreSQL in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  }
  const handle = await openDatabase(url);
  const t2 = Date.now();
  const refs = (await handle.db.selectFrom("loans").select("borrower_ref").orderBy("loan_id").execute()).map((r) => r.borrower_ref as Hex);
  for (const part of chunk(refs, 5_000)) {
    await upsertContacts(
      handle.db,
      keyring,
      LENDER as Address,
      part.map((ref) => ({
        borrowerRef: ref,
        email: `b${ref.slice(2, 10)}@example.com`,
        phone: "+8613900000000",
        postalAddress: "1 Bench Road\nShanghai",
        language: "en",
        timeZone: "Asia/Shanghai",
        jurisdiction: "CN",
        consent: { sms: true, email: true, letter: true, webhook: true },
      })),
      Math.floor(Date.now() / 1000),
    );
  }
  log(`  sealed ${refs.length} contact records in ${((Date.now() - t2) / 1000).toFixed(1)} s`);
  await settleTables(handle);
  return { handle, url, t: book.asOf.timestamp, loans, close: () => handle.close() };
}

async function copyTable(source: BetterSqlite3.Database, db: Kysely<Database>, table: (typeof COPIED)[number]): Promise<void> {
  const rows = source.prepare(`select * from ${table}`).all() as Record<string, unknown>[];
  const perInsert = Math.max(1, Math.floor(20_000 / Math.max(1, Object.keys(rows[0] ?? { x: 1 }).length)));
  await db.transaction().execute(async (trx) => {
    for (const part of chunk(rows, perInsert)) await trx.insertInto(table).values(part as never).execute();
  });
}

/** A pending notice on `channel` for `loan` (a requested reminder due at `t`), as the planner writes it. */
export function pendingNotice(loan: { loan_id: number; borrower_ref: string }, channel: NoticeChannel, t: number, createdMs: number, tag: string): NoticesTable {
  return noticeRow(
    { triggerId: `req:bench-${tag}-${loan.loan_id}`, trigger: "Request", loanId: loan.loan_id, lender: getAddress(LENDER), borrowerRef: loan.borrower_ref, block: null, logIndex: null, tx: null, at: t },
    { template: "reminder.overdue", channels: [channel], kind: "reminder", planVersion: null },
    createdMs,
  );
}

/** PostgreSQL: vacuums and analyses what was just written, as autovacuum would have in a steady state (SQLite: nothing to do). */
export async function settleTables(handle: DatabaseHandle): Promise<void> {
  if (handle.dialect === "postgres") await sql`vacuum analyze`.execute(handle.db);
}

/** Writes `rows` in statements of 500. */
export async function insertNotices(db: Kysely<Database>, rows: NoticesTable[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const part of chunk(rows, 500)) await trx.insertInto("notices").values(part).execute();
  });
}
