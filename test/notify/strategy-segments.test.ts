/**
 * Notices follow the loan's strategy segment: the planner takes the notice plan's ruleset that the
 * segment's treatment names (the default rules for a loan without a score), and the dispatcher's
 * frequency caps are that ruleset's, lowered to the treatment's contact intensity.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { openDatabase, type DatabaseHandle } from "../../src/db/connect";
import { setPlan } from "../../src/db/notice-plans";
import { setStrategy, storeModel, treatmentsOf } from "../../src/db/strategies";
import { readPassFacts, capsOf } from "../../src/notify/pass-facts";
import { capsFor, planFor } from "../../src/notify/plans-in-force";
import type { NoticesTable } from "../../src/db/schema";
import { scorePass } from "../../src/strategy/scorer";
import { BOOK_LENDER, generateBook } from "../../scripts/lib/strategy-book";
import { tinyModel } from "../strategy/helpers/tiny-model";

describe("notify: plans and caps by strategy segment", function () {
  this.timeout(120_000);
  let dir: string;
  let handle: DatabaseHandle;
  let delinquent: number;
  let current: number;
  const plan = {
    version: 1,
    caps: { perDay: 2, per7Days: 5 },
    default: { rules: [{ trigger: "PromiseBroken", template: "promise.broken", channels: ["sms"] }] },
    segments: { hardship: { rules: [{ trigger: "PromiseBroken", template: "promise.broken", channels: ["email", "letter"] }], caps: { perDay: 1, per7Days: 3 } } },
  };

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "notify-segments-"));
    const book = await generateBook(path.join(dir, "book.sqlite"), { loans: 120, months: 14, seed: 21 });
    handle = await openDatabase(book.file);
    await setPlan(handle.db, BOOK_LENDER, plan, "test", 0);
    const model = tinyModel();
    await storeModel(handle.db, model);
    await setStrategy(
      handle.db,
      BOOK_LENDER,
      {
        version: 1,
        model: model.version,
        segments: [
          { name: "behind", when: { score: "behavioural" }, treatment: { noticePlan: "hardship", nextAction: { action: "call", inDays: 0 }, maxContactsPer7Days: 2 } },
          { name: "current", treatment: { noticePlan: "default", nextAction: { action: "none", inDays: 7 }, maxContactsPer7Days: 4 } },
        ],
      },
      "test",
      0,
    );
    await scorePass(handle.db);
    const rows = await handle.db.selectFrom("loan_scores").select(["loan_id", "kind"]).execute();
    delinquent = Number(rows.find((r) => r.kind === "behavioural")!.loan_id);
    current = Number(rows.find((r) => r.kind === "earlyWarning")!.loan_id);
  });
  after(async function () {
    await handle?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const trigger = (loanId: number) => ({ name: "PromiseBroken", loanId: BigInt(loanId), lender: BOOK_LENDER, borrowerRef: "0x", args: {}, at: 0n, dpd: 5 });

  it("the planner takes the ruleset the loan's segment names; the default for a segment that says default, and for a loan without a score", async function () {
    expect((await planFor(handle.db, trigger(delinquent))).map((p) => p.channels)).to.deep.equal([["email", "letter"]]);
    expect((await planFor(handle.db, trigger(current))).map((p) => p.channels)).to.deep.equal([["sms"]]);
    await handle.db.deleteFrom("loan_scores").where("loan_id", "=", delinquent).execute();
    expect((await planFor(handle.db, trigger(delinquent))).map((p) => p.channels)).to.deep.equal([["sms"]]);
    await scorePass(handle.db);
  });

  it("caps: the segment's ruleset's, the 7-day cap lowered to the treatment's intensity (and a day's cap never above it)", async function () {
    const treatments = await treatmentsOf(handle.db, [delinquent, current]);
    expect(await capsFor(handle.db, BOOK_LENDER)).to.deep.equal({ perDay: 2, per7Days: 5 });
    expect(await capsFor(handle.db, BOOK_LENDER, treatments.get(delinquent))).to.deep.equal({ perDay: 1, per7Days: 2 });
    expect(await capsFor(handle.db, BOOK_LENDER, treatments.get(current))).to.deep.equal({ perDay: 2, per7Days: 4 });
  });

  it("a dispatcher pass's facts carry each loan's caps", async function () {
    const notice = (loanId: number) => ({ loan_id: loanId, channel: "sms" }) as NoticesTable;
    const facts = await readPassFacts({ db: handle.db, capsFor, webhookUrlFor: async () => undefined }, [notice(delinquent), notice(current)], 0n);
    expect(capsOf(facts, facts.loans.get(delinquent)!)).to.deep.equal({ perDay: 1, per7Days: 2 });
    expect(capsOf(facts, facts.loans.get(current)!)).to.deep.equal({ perDay: 2, per7Days: 4 });
  });
});
