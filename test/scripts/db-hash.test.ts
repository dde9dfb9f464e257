/**
 * scripts/db-hash.ts: a table's hash depends on its rows, not on their order; it changes with any
 * value; only the run-dependent column it names (the migration timestamp) is left out.
 */
import { expect } from "chai";
import { hashRows } from "../../scripts/db-hash";

describe("db-hash", () => {
  const rows = [
    { loan_id: 1, amount: 10n, hash: "0xaa" },
    { loan_id: 2, amount: 20n, hash: "0xbb" },
  ];

  it("hashes the sorted rows: the order they came in does not matter, their values do", () => {
    const h = hashRows("loans", rows);
    expect(h.rows).to.equal(2);
    expect(hashRows("loans", [...rows].reverse()).hash).to.equal(h.hash);
    expect(hashRows("loans", [rows[0], { ...rows[1], amount: 21n }]).hash).to.not.equal(h.hash);
    expect(hashRows("loans", [rows[0]]).hash).to.not.equal(h.hash);
    // Column order in the row object does not matter either.
    expect(hashRows("loans", [{ hash: "0xaa", amount: 10n, loan_id: 1 }, rows[1]]).hash).to.equal(h.hash);
  });

  it("leaves out the migration table's wall-clock timestamp, and nothing elsewhere", () => {
    const migration = (timestamp: string) => [{ name: "0001_initial", timestamp }];
    expect(hashRows("kysely_migration", migration("2026-01-01")).hash).to.equal(hashRows("kysely_migration", migration("2026-12-31")).hash);
    expect(hashRows("kysely_migration", [{ name: "0002_api", timestamp: "x" }]).hash).to.not.equal(hashRows("kysely_migration", migration("x")).hash);
    expect(hashRows("blocks", [{ number: 1, timestamp: 5 }]).hash).to.not.equal(hashRows("blocks", [{ number: 1, timestamp: 6 }]).hash);
  });
});
