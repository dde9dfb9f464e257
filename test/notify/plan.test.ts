/**
 * Notice plans: validation names the path of every problem (an unknown template, a channel the
 * template has no form for, a webhook rule without a URL, `when` fields on the wrong trigger);
 * noticesFor picks the segment's ruleset, matches `when`, keeps one notice per (trigger, channel),
 * derives the demand letter's DpdReached trigger, and lets requests through only as the rules say;
 * caps resolve segment → plan → defaults; the built-in plan validates and behaves as documented.
 */
import { expect } from "chai";
import fc from "fast-check";
import { DEFAULT_NOTICE_PLAN } from "../../src/notify/default-plan";
import { NoticePlanError } from "../../src/notify/errors";
import { InvalidNoticePlanError, noticePlanHash, parseNoticePlan, type NoticePlan } from "../../src/notify/plan";
import { capsFor, dpdReachedTriggerId, noticesFor, webhookUrlOf, type NoticeTrigger } from "../../src/notify/plan-rules";
import { TEMPLATE_IDS } from "../../src/notify/templates";

const reminder = (offsetDays: number, dpd: number, stage = 0, installment = 0): NoticeTrigger => ({ name: "ReminderTriggered", stage, offsetDays, installment, dpd });

function problemsOf(raw: unknown): string[] {
  try {
    parseNoticePlan(raw);
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidNoticePlanError).and.instanceOf(NoticePlanError);
    return (err as InvalidNoticePlanError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

const plan = (rules: unknown[], extra: Record<string, unknown> = {}) => ({ version: 1, default: { rules }, ...extra });

describe("notify/plan", function () {
  describe("validation", function () {
    it("names an unknown template with its path, and the message says so", function () {
      const raw = plan([
        { trigger: "ReminderTriggered", template: "reminder.due", channels: ["sms"] },
        { trigger: "LoanDefaulted", template: "default.notice", channels: ["letter"] },
        { trigger: "LoanDefaulted", template: "x", channels: ["letter"] },
      ]);
      expect(problemsOf(raw)).to.deep.equal(['default.rules[2].template: unknown template "x"']);
      expect(() => parseNoticePlan(raw)).to.throw(NoticePlanError, /^invalid notice plan: default\.rules\[2\]\.template: unknown template "x"$/);
    });

    it("lists every problem, each with its path", function () {
      const raw = {
        version: 2,
        colour: "blue",
        caps: { perDay: 9, per7Days: 3 },
        default: {
          rules: [
            { trigger: "Sometimes", template: "reminder.due", channels: ["sms"] },
            { trigger: "ReminderTriggered", template: "demand.letter", channels: ["sms", "letter", "letter", "fax"] },
            { trigger: "LoanDefaulted", template: "default.notice", channels: [] },
            { trigger: "PenaltyAssessed", template: "penalty.assessed", channels: ["email"], when: { stage: [1], classification: ["loss"], minDpd: 9, maxDpd: 3 } },
            { trigger: "DpdReached", template: "demand.letter", channels: ["letter"] },
            { trigger: "LoanDefaulted", dpd: 90, template: "default.notice", channels: ["letter"], webhook: true },
          ],
        },
        segments: { "Not A Name": { rules: [] }, hardship: { rules: [{ trigger: "PromiseBroken", template: "promise.broken", channels: ["sms"], webhook: true }], caps: { perDay: -1 } } },
      };
      expect(problemsOf(raw).sort()).to.deep.equal(
        [
          "version: must be 1 (the plan format's version)",
          "colour: is not a field of a notice plan",
          "caps.perDay: must not exceed per7Days",
          'default.rules[0].trigger: unknown trigger "Sometimes" (one of ReminderTriggered, PenaltyAssessed, ClassificationChanged, LoanDefaulted, RestructureProposed, PromiseRecorded, PaymentHolidayGranted, SettlementOffered, LoanSettled, ArrearsPlanCreated, ArrearsPlanBroken, PromiseBroken, Request, DpdReached)',
          'default.rules[1].channels[3]: unknown channel "fax" (one of sms, email, letter; the lender\'s webhook is "webhook": true)',
          "default.rules[2].channels: must name at least one channel (or set webhook)",
          "default.rules[3].when.stage: applies to ReminderTriggered only",
          "default.rules[3].when.classification: applies to ClassificationChanged only",
          "default.rules[3].when.maxDpd: must not be below minDpd",
          "default.rules[4].dpd: is required for DpdReached (the DPD that sends it)",
          "default.rules[5].dpd: applies to DpdReached only (use when.minDpd)",
          "default.rules[5].webhook: needs the plan's webhook.url",
          "segments.hardship.rules[0].webhook: needs the plan's webhook.url",
          "segments.Not A Name: a segment name is 1 to 64 of a-z, 0-9, _ and -, starting with a letter or digit",
          "segments.hardship.caps.perDay: must be an integer from 0 to 50",
        ].sort(),
      );
      // With the channel list fixed, the next layer of checks speaks: duplicates and forms.
      expect(problemsOf(plan([{ trigger: "ReminderTriggered", template: "demand.letter", channels: ["sms", "letter", "letter"] }]))).to.deep.equal([
        'default.rules[0].channels[0]: template "demand.letter" has no sms form (it has letter, email, webhook)',
        'default.rules[0].channels[2]: "letter" is listed twice',
      ]);
    });

    it("refuses a webhook rule without the plan's webhook URL, and a URL that is not http(s) or carries credentials", function () {
      const rules = [{ trigger: "LoanDefaulted", template: "default.notice", channels: ["letter"], webhook: true }];
      expect(problemsOf(plan(rules))).to.deep.equal(["default.rules[0].webhook: needs the plan's webhook.url"]);
      expect(problemsOf(plan(rules, { webhook: { url: "ftp://lender.example/hook" } }))).to.deep.equal(["webhook.url: must be an http or https URL"]);
      expect(problemsOf(plan(rules, { webhook: { url: "https://user:secret@lender.example/hook" } }))).to.deep.equal([
        "webhook.url: must not carry a user name or password (webhooks are signed, see the Standard Webhooks headers)",
      ]);
      expect(problemsOf(plan(rules, { webhook: { url: "https://lender.example/hooks/duetrail?x=1" } }))).to.deep.equal([]);
    });

    it("refuses what is not a plan at all", function () {
      expect(problemsOf(null)).to.deep.equal([": must be a JSON object (a notice plan)"]);
      expect(() => parseNoticePlan([])).to.throw(NoticePlanError, /^invalid notice plan: \(plan\): must be a JSON object \(a notice plan\)$/);
      expect(problemsOf({ version: 1 })).to.deep.equal(["default: is required"]);
      expect(problemsOf(plan([{ trigger: "LoanDefaulted", template: "default.notice" }, 7]))).to.deep.equal(["default.rules[0].channels: is required", "default.rules[1]: must be an object (a rule)"]);
      expect(problemsOf(plan([{ trigger: "LoanDefaulted", template: "default.notice", channels: ["letter"], kind: "memo", when: [] }]))).to.deep.equal([
        "default.rules[0].when: must be an object of conditions",
        'default.rules[0].kind: must be "reminder" or "notice"',
      ]);
    });

    it("hashes the canonical JSON: key order does not matter, content does", function () {
      const a = parseNoticePlan({ version: 1, default: { rules: [{ trigger: "LoanDefaulted", template: "default.notice", channels: ["letter"] }] } });
      const b = parseNoticePlan({ default: { rules: [{ channels: ["letter"], template: "default.notice", trigger: "LoanDefaulted" }] }, version: 1 });
      expect(noticePlanHash(a)).to.equal(noticePlanHash(b)).and.match(/^0x[0-9a-f]{64}$/);
      const c = parseNoticePlan({ version: 1, default: { rules: [{ trigger: "LoanDefaulted", template: "default.notice", channels: ["letter", "email"] }] } });
      expect(noticePlanHash(c)).to.not.equal(noticePlanHash(a));
    });

    it("never throws anything but a NoticePlanError on random input", function () {
      fc.assert(
        fc.property(fc.anything(), (raw) => {
          try {
            parseNoticePlan(raw);
          } catch (err) {
            expect(err).to.be.instanceOf(NoticePlanError);
          }
        }),
        { numRuns: 300 },
      );
    });
  });

  describe("noticesFor", function () {
    const p: NoticePlan = parseNoticePlan({
      version: 1,
      webhook: { url: "https://lender.example/hook" },
      caps: { perDay: 3 },
      default: {
        rules: [
          { trigger: "ReminderTriggered", when: { maxOffsetDays: -1 }, template: "reminder.before-due", channels: ["sms", "email"] },
          { trigger: "ReminderTriggered", when: { minOffsetDays: 1, maxDpd: 29 }, template: "reminder.overdue", channels: ["sms", "email"], webhook: true },
          { trigger: "ReminderTriggered", when: { minOffsetDays: 1 }, template: "reminder.overdue", channels: ["letter", "email"] },
          { trigger: "DpdReached", dpd: 60, template: "demand.letter", channels: ["letter"], webhook: true },
          { trigger: "ClassificationChanged", when: { classification: ["doubtful", "loss"] }, template: "classification.changed", channels: [], webhook: true },
          { trigger: "Request", template: "custom.request", channels: ["sms", "email"] },
          { trigger: "Request", when: { minDpd: 30 }, template: "demand.letter", channels: ["letter"] },
        ],
      },
      segments: {
        hardship: { rules: [{ trigger: "ReminderTriggered", template: "reminder.overdue", channels: ["email"], kind: "notice" }], caps: { per7Days: 3 } },
      },
    });

    it("matches when: stage offset and DPD; gives the rule's channels in order and a webhook copy", function () {
      expect(noticesFor(p, reminder(-3, 0))).to.deep.equal([{ template: "reminder.before-due", channels: ["sms", "email"], kind: "reminder", rule: "default.rules[0]" }]);
      expect(noticesFor(p, reminder(0, 0))).to.deep.equal([]);
      expect(noticesFor(p, reminder(5, 5))).to.deep.equal([
        { template: "reminder.overdue", channels: ["sms", "email"], kind: "reminder", rule: "default.rules[1]" },
        { template: "reminder.overdue", channels: ["webhook"], kind: "reminder", rule: "default.rules[1]" },
        // rule 2 matches too: email is taken for this trigger, letter is not.
        { template: "reminder.overdue", channels: ["letter"], kind: "reminder", rule: "default.rules[2]" },
      ]);
      expect(noticesFor(p, reminder(30, 30))).to.deep.equal([{ template: "reminder.overdue", channels: ["letter", "email"], kind: "reminder", rule: "default.rules[2]" }]);
    });

    it("derives DpdReached from events that carry a DPD and an installment, at or past the lender's DPD", function () {
      const at = (t: NoticeTrigger) => noticesFor(p, t).filter((n) => n.dpdReached);
      expect(at(reminder(59, 59))).to.deep.equal([]);
      const letter = { template: "demand.letter", channels: ["letter"], kind: "notice", rule: "default.rules[3]", dpdReached: { dpd: 60, installment: 4 } };
      expect(at(reminder(60, 60, 3, 4))).to.deep.equal([letter, { ...letter, channels: ["webhook"] }]);
      expect(at({ name: "PenaltyAssessed", installment: 4, dpd: 75 })).to.deep.equal([letter, { ...letter, channels: ["webhook"] }]);
      expect(at({ name: "LoanDefaulted", installment: 4, dpd: 90 })).to.have.length(2);
      // ClassificationChanged names no installment: not a source.
      expect(at({ name: "ClassificationChanged", from: 2, to: 3, dpd: 120 })).to.deep.equal([]);
      expect(dpdReachedTriggerId(7n, 1, 4, 60)).to.equal("dpd-reached:7:v1:4:60");
    });

    it("filters ClassificationChanged by the new classification", function () {
      expect(noticesFor(p, { name: "ClassificationChanged", from: 1, to: 2, dpd: 91 })).to.deep.equal([]);
      expect(noticesFor(p, { name: "ClassificationChanged", from: 2, to: 3, dpd: 181 })).to.deep.equal([{ template: "classification.changed", channels: ["webhook"], kind: "notice", rule: "default.rules[4]" }]);
    });

    it("lets a request through only with a template and channel a Request rule allows (and its DPD)", function () {
      const req = (template: string, channel: "sms" | "email" | "letter" | "webhook", dpd = 0): NoticeTrigger => ({ name: "Request", template, channel, dpd });
      expect(noticesFor(p, req("custom.request", "email"))).to.deep.equal([{ template: "custom.request", channels: ["email"], kind: "reminder", rule: "default.rules[5]" }]);
      expect(noticesFor(p, req("custom.request", "letter"))).to.deep.equal([]);
      expect(noticesFor(p, req("custom.request", "webhook"))).to.deep.equal([]);
      expect(noticesFor(p, req("demand.letter", "letter", 29))).to.deep.equal([]);
      expect(noticesFor(p, req("demand.letter", "letter", 30))).to.deep.equal([{ template: "demand.letter", channels: ["letter"], kind: "notice", rule: "default.rules[6]" }]);
      expect(noticesFor(p, req("reminder.due", "sms"))).to.deep.equal([]);
    });

    it("uses a segment's own ruleset and caps, and the default for a segment the plan does not have", function () {
      expect(noticesFor(p, reminder(5, 5), "hardship")).to.deep.equal([{ template: "reminder.overdue", channels: ["email"], kind: "notice", rule: "segments.hardship.rules[0]" }]);
      expect(noticesFor(p, reminder(5, 5), "unknown")).to.have.length(3);
      expect(noticesFor(p, reminder(5, 5), "__proto__")).to.have.length(3);
      expect(capsFor(p)).to.deep.equal({ perDay: 3, per7Days: 5 });
      expect(capsFor(p, "hardship")).to.deep.equal({ perDay: 3, per7Days: 3 });
      expect(webhookUrlOf(p)).to.equal("https://lender.example/hook");
    });

    it("never plans one channel twice for one trigger (random plans and triggers)", function () {
      const channels = fc.uniqueArray(fc.constantFrom("sms", "email", "letter"), { maxLength: 3 });
      const ruleArb = fc.record({
        trigger: fc.constantFrom("ReminderTriggered", "PenaltyAssessed", "LoanDefaulted", "DpdReached"),
        template: fc.constant("reminder.overdue"),
        channels,
        webhook: fc.boolean(),
        when: fc.record({ minDpd: fc.integer({ min: 0, max: 60 }) }),
      });
      fc.assert(
        fc.property(fc.array(ruleArb, { maxLength: 8 }), fc.integer({ min: 0, max: 120 }), (rules, dpd) => {
          const fixed = rules.map((r) => ({ ...r, ...(r.trigger === "DpdReached" ? { dpd: 30 } : {}), channels: r.channels.length || r.webhook ? r.channels : ["sms"] }));
          const planned = noticesFor(parseNoticePlan(plan(fixed, { webhook: { url: "https://l.example/h" } })), { name: "PenaltyAssessed", installment: 0, dpd });
          const seen = planned.flatMap((n) => n.channels.map((c) => `${n.dpdReached ? "dpd" : "event"}|${c}`));
          expect(new Set(seen).size).to.equal(seen.length);
        }),
        { numRuns: 200 },
      );
    });
  });

  describe("the built-in plan", function () {
    it("validates, names only known templates and has the documented caps", function () {
      expect(parseNoticePlan(JSON.parse(JSON.stringify(DEFAULT_NOTICE_PLAN)))).to.deep.equal(DEFAULT_NOTICE_PLAN);
      for (const r of DEFAULT_NOTICE_PLAN.default.rules) expect(TEMPLATE_IDS).to.include(r.template);
      expect(capsFor(DEFAULT_NOTICE_PLAN)).to.deep.equal({ perDay: 2, per7Days: 5 });
    });

    it("reminds by SMS then email before, on and after the due date; a default notice by letter; the demand letter at 90 DPD", function () {
      const t = (x: NoticeTrigger) => noticesFor(DEFAULT_NOTICE_PLAN, x).map((n) => `${n.template} ${n.channels.join(">")} ${n.kind}${n.dpdReached ? " dpd" : ""}`);
      expect(t(reminder(-3, 0))).to.deep.equal(["reminder.before-due sms>email reminder"]);
      expect(t(reminder(0, 0))).to.deep.equal(["reminder.due sms>email reminder"]);
      expect(t(reminder(7, 7))).to.deep.equal(["reminder.overdue sms>email reminder"]);
      expect(t(reminder(90, 90))).to.deep.equal(["reminder.overdue sms>email reminder", "demand.letter letter notice dpd"]);
      expect(t({ name: "LoanDefaulted", installment: 0, dpd: 60 })).to.deep.equal(["default.notice letter>email notice"]);
      expect(t({ name: "PenaltyAssessed", installment: 0, dpd: 10 })).to.deep.equal([]);
      expect(t({ name: "PromiseBroken", dpd: 10 })).to.deep.equal(["promise.broken sms>email reminder"]);
      expect(t({ name: "Request", template: "custom.request", channel: "letter", dpd: 0 })).to.deep.equal(["custom.request letter reminder"]);
    });
  });
});
