/**
 * `notices plan set | show` end to end: the CLI as a child process against a temporary SQLite
 * file. A bad plan exits 2 with every problem as `line N, field X` and writes nothing; a good one
 * becomes version 1, the same file again makes no new version, a change makes version 2; show
 * prints the plan in force, a stored version, or the built-in plan for a lender without one.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { DEFAULT_NOTICE_PLAN } from "../../src/notify/default-plan";
import { noticePlanHash, parseNoticePlan } from "../../src/notify/plan";
import { cli, type CliResult } from "./helpers/operator";

const fixture = (name: string) => path.join(__dirname, "fixtures", name);
const LENDER = "0x00000000000000000000000000000000000000A1";
const OTHER = "0x00000000000000000000000000000000000000b2";

describe("cli notices plan", function () {
  this.timeout(120_000);
  let dir = "";
  let db = "";
  const run = (args: string[]): Promise<CliResult> => cli(["notices", "plan", ...args, "--db", db], { DATABASE_URL: undefined });
  const json = (r: CliResult) => {
    expect(r.code, r.stderr).to.equal(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-notice-plans-"));
    db = path.join(dir, "plans.db");
  });
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a bad plan: exit 2, every problem as line N, field X, nothing written", async function () {
    const r = await run(["set", "--file", fixture("bad-notice-plan.json"), "--lender", LENDER]);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim().split("\n")).to.deep.equal([
      "line 6, field default.rules[1].webhook: needs the plan's webhook.url",
      'line 7, field default.rules[2].template: unknown template "lawyer.letter"',
      'line 8, field default.rules[3].channels[0]: template "demand.letter" has no sms form (it has letter, email, webhook)',
      "line 9, field default.rules[4].colour: is not a notice plan field",
      "error: 4 problems in " + fixture("bad-notice-plan.json") + "; nothing was sent",
    ]);
    expect(r.stdout).to.equal("");
    const shown = json(await run(["show", "--lender", LENDER]));
    expect(shown).to.include({ version: 0, builtIn: true });
  });

  it("sets a plan as version 1, the same again makes no version, a change makes version 2", async function () {
    const planHash = noticePlanHash(parseNoticePlan(JSON.parse(fs.readFileSync(fixture("notice-plan.json"), "utf8"))));
    expect(json(await run(["set", "--file", fixture("notice-plan.json"), "--lender", LENDER.toLowerCase()]))).to.deep.equal({
      lender: LENDER,
      file: fixture("notice-plan.json"),
      version: 1,
      planHash,
      created: true,
    });
    expect(json(await run(["set", "--file", fixture("notice-plan.json"), "--lender", LENDER]))).to.include({ version: 1, created: false });
    const changed = path.join(dir, "changed.json");
    const doc = JSON.parse(fs.readFileSync(fixture("notice-plan.json"), "utf8"));
    doc.caps.perDay = 1;
    fs.writeFileSync(changed, JSON.stringify(doc));
    expect(json(await run(["set", "--file", changed, "--lender", LENDER]))).to.include({ version: 2, created: true });
  });

  it("shows the plan in force, a stored version, and the built-in plan for a lender without one", async function () {
    const now = json(await run(["show", "--lender", LENDER]));
    expect(now).to.include({ version: 2, createdBy: "cli", builtIn: false });
    expect((now.plan as { caps: unknown }).caps).to.deep.equal({ perDay: 1, per7Days: 5 });
    const first = json(await run(["show", "--lender", LENDER, "--version", "1"]));
    expect((first.plan as { caps: unknown }).caps).to.deep.equal({ perDay: 2, per7Days: 5 });
    const builtIn = json(await run(["show", "--lender", OTHER]));
    expect(builtIn).to.deep.include({ version: 0, builtIn: true, planHash: noticePlanHash(DEFAULT_NOTICE_PLAN), lender: "0x00000000000000000000000000000000000000b2" });
    expect(builtIn.plan).to.deep.equal(JSON.parse(JSON.stringify(DEFAULT_NOTICE_PLAN)));
  });

  it("usage errors exit 2 with a clear message", async function () {
    const cases: [string[], RegExp][] = [
      [["show", "--lender", LENDER, "--version", "7"], /^error: lender 0x0+A1 has no notice plan version 7 \(the newest is 2\)$/],
      [["show", "--lender", OTHER, "--version", "1"], /^error: lender 0x0+b2 has no notice plan version 1 \(the newest is 0, the built-in plan\)$/],
      [["show", "--lender", LENDER, "--version", "-1"], /^error: --version must be a plan version/],
      [["show"], /^error: --lender is required$/],
      [["show", "--lender", "0x123"], /^error: --lender must be a 0x-prefixed 20-byte hex address$/],
      [["set", "--lender", LENDER], /^error: --file is required$/],
      [["set", "--file", path.join(dir, "missing.json"), "--lender", LENDER], /^error: --file .*missing\.json: no such file$/],
    ];
    for (const [args, pattern] of cases) {
      const r = await run(args);
      expect(r.code, args.join(" ")).to.equal(2);
      expect(r.stderr.trim(), args.join(" ")).to.match(pattern);
    }
  });
});
