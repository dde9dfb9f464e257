/** The template ids the API and plans may name (src/notify/template-ids.ts), and the kind each is recorded as. */
import { expect } from "chai";
import { isKnownTemplate, templateKind, TEMPLATE_IDS } from "../../src/notify/template-ids";

describe("notify/template-ids", function () {
  it("knows the listed ids and nothing else (case and spacing matter)", function () {
    for (const id of TEMPLATE_IDS) expect(isKnownTemplate(id), id).to.equal(true);
    for (const id of ["", "reminder", "Reminder.due", " reminder.due", "reminder.due ", "demand-letter", "custom.request.x", "__proto__", "toString"]) {
      expect(isKnownTemplate(id), JSON.stringify(id)).to.equal(false);
    }
  });

  it("reminders, promise messages, the polite custom request and relief offers and confirmations are reminders; the formal ones are notices", function () {
    expect(TEMPLATE_IDS.filter((t) => templateKind(t) === "reminder")).to.deep.equal([
      "reminder.before-due",
      "reminder.due",
      "reminder.overdue",
      "promise.confirmation",
      "promise.broken",
      "custom.request",
      "holiday.confirmation",
      "settlement.offer",
      "settlement.confirmation",
      "arrears.confirmation",
      "arrears.broken",
    ]);
    expect(templateKind("demand.letter")).to.equal("notice");
    expect(templateKind("default.notice")).to.equal("notice");
  });
});
