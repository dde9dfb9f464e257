import { expect } from "chai";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ScheduleUsageError, parseScheduleOptions } from "../../src/cli/commands/schedule";
import { cliCommand } from "../support/cli";

const root = path.resolve(__dirname, "..", "..");

/** Runs the real CLI entry point, as `npm run cli` does. */
function cli(...args: string[]) {
  const r = spawnSync(...cliCommand(args), {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const good = ["--kind", "annuity", "--principal", "1000000", "--annual-rate-bps", "1200", "--count", "12", "--first-due", "2025-01-31"];

describe("cli schedule", function () {
  this.timeout(120_000);

  it("prints the schedule as JSON: 0-based index, decimal strings, ISO dates, totals", function () {
    const r = cli("schedule", ...good);
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.installments).to.have.length(12);
    expect(out.installments[0]).to.deep.equal({
      index: 0, dueDate: "2025-01-31T00:00:00.000Z", principal: "78849", interest: "10000", total: "88849",
    });
    expect(out.installments[1]).to.deep.include({ index: 1, dueDate: "2025-02-28T00:00:00.000Z", total: "88849" });
    expect(out.installments[11]).to.deep.equal({
      index: 11, dueDate: "2025-12-31T00:00:00.000Z", principal: "87967", interest: "880", total: "88847",
    });
    expect(out.totals).to.deep.equal({ principal: "1000000", interest: "66186", total: "1066186" });
  });

  it("exits 2 with one line naming the flag on bad input", function () {
    const r = cli("schedule", ...good.map((a) => (a === "1000000" ? "10.5" : a)));
    expect(r.code).to.equal(2);
    expect(r.stdout).to.equal("");
    expect(r.stderr.trim().split("\n")).to.deep.equal(["error: --principal must be a positive integer in minor units"]);
    const unknown = cli("schedule", ...good, "--frequency", "weekly");
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr.trim()).to.equal("error: --frequency must be one of monthly, quarterly");
  });

  it("--help exits 0", function () {
    const r = cli("schedule", "--help");
    expect(r.code).to.equal(0);
    expect(r.stdout).to.contain("--annual-rate-bps");
  });

  it("validates every flag (in process)", function () {
    const raw = { kind: "annuity", principal: "100", annualRateBps: "0", count: "3", firstDue: "2025-01-31" };
    expect(parseScheduleOptions(raw)).to.deep.equal({
      kind: "annuity", principal: 100n, annualRateBps: 0, count: 3, firstDue: "2025-01-31", frequency: "monthly",
    });
    const cases: Array<[Record<string, string | undefined>, string]> = [
      [{ kind: "balloon" }, "error: --kind must be one of annuity, equal-principal, interest-only"],
      [{ principal: undefined }, "error: --principal is required"],
      [{ principal: "0" }, "error: --principal must be a positive integer in minor units"],
      [{ principal: "-5" }, "error: --principal must be a positive integer in minor units"],
      [{ principal: (1n << 96n).toString() }, "error: --principal must be below 2^96"],
      [{ annualRateBps: "12.5" }, "error: --annual-rate-bps must be a non-negative integer (basis points)"],
      [{ count: "0" }, "error: --count must be an integer from 1 to 600"],
      [{ count: "601" }, "error: --count must be an integer from 1 to 600"],
      [{ firstDue: "2025-02-30" }, "error: --first-due must be a calendar date YYYY-MM-DD (1970 or later)"],
      [{ frequency: "daily" }, "error: --frequency must be one of monthly, quarterly"],
    ];
    for (const [patch, message] of cases) {
      expect(() => parseScheduleOptions({ ...raw, ...patch }), message).to.throw(ScheduleUsageError, message);
    }
  });
});
