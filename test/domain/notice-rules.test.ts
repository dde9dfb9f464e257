import { expect } from "chai";
import fc from "fast-check";
import {
  Channel,
  ComplianceFlag,
  DAY,
  daysLate,
  DEFAULT_CONTACT_POLICY,
  DEFAULT_NOTICE_CAPS,
  evaluateAction,
  initialComplianceState,
  Kind,
  noticeDecision,
  type NoticeRuleInput,
} from "../../src/domain";

const HOUR = 3_600n;
/** 2026-03-02 00:00 UTC, a Monday. */
const MIDNIGHT_UTC = 1_772_409_600n;
/** UTC+8 (Asia/Shanghai). */
const CN = 480;

function input(over: Partial<NoticeRuleInput> = {}): NoticeRuleInput {
  return {
    state: initialComplianceState(CN),
    policy: DEFAULT_CONTACT_POLICY,
    t: MIDNIGHT_UTC + 2n * HOUR, // 10:00 in Shanghai
    oldestUnpaidDueDate: MIDNIGHT_UTC - 10n * DAY,
    channel: Channel.Sms,
    kind: Kind.ContactAttempt,
    consent: true,
    disputeRelated: false,
    caps: DEFAULT_NOTICE_CAPS,
    recentMessages: [],
    ...over,
  };
}

describe("domain: notice rules (noticeDecision)", function () {
  it("sends within the borrower's hours when nothing stands in the way", function () {
    expect(noticeDecision(input())).to.deep.equal({ action: "send" });
  });

  it("outside the borrower's local hours: waits for 08:00 local (not UTC)", function () {
    // 22:00 UTC = 06:00 next day in Shanghai: next allowed 08:00 Shanghai = 00:00 UTC next day.
    const t = MIDNIGHT_UTC + 22n * HOUR;
    expect(noticeDecision(input({ t }))).to.deep.equal({ action: "defer", until: MIDNIGHT_UTC + DAY, reason: "outside-hours" });
    // 13:30 UTC = 21:30 Shanghai: after the end hour, next is tomorrow's 08:00 Shanghai.
    const late = MIDNIGHT_UTC + 13n * HOUR + 1_800n;
    expect(noticeDecision(input({ t: late }))).to.deep.equal({ action: "defer", until: MIDNIGHT_UTC + DAY, reason: "outside-hours" });
    // The same instant is within hours in New York (UTC-5 in March before DST: 08:30).
    expect(noticeDecision(input({ t: late, state: initialComplianceState(-300) })).action).to.equal("send");
  });

  it("letters are posted: hours do not apply (as on chain)", function () {
    const t = MIDNIGHT_UTC + 22n * HOUR;
    expect(noticeDecision(input({ t, channel: Channel.Letter })).action).to.equal("send");
  });

  it("a restricted channel or no consent: fall back to the plan's next channel", function () {
    const restricted = { ...initialComplianceState(CN), restricted: 1 << Channel.Sms };
    expect(noticeDecision(input({ state: restricted }))).to.deep.equal({ action: "fallback", reason: "channel-restricted" });
    expect(noticeDecision(input({ state: restricted, channel: Channel.Email })).action).to.equal("send");
    expect(noticeDecision(input({ consent: false }))).to.deep.equal({ action: "fallback", reason: "no-consent" });
  });

  it("an open dispute suspends every notice except those about the dispute", function () {
    const disputed = { ...initialComplianceState(CN), disputeOpen: true };
    expect(noticeDecision(input({ state: disputed }))).to.deep.equal({ action: "suspend", reason: "dispute-open" });
    expect(noticeDecision(input({ state: disputed, disputeRelated: true })).action).to.equal("send");
  });

  it("a formal notice before the legal stage waits for the DPD threshold, then for hours", function () {
    const due = MIDNIGHT_UTC - 10n * DAY; // DPD 10; legal stage at 60
    const d = noticeDecision(input({ kind: Kind.LegalNotice, oldestUnpaidDueDate: due }));
    expect(d.action).to.equal("defer");
    if (d.action !== "defer") return;
    expect(d.reason).to.equal("legal-stage");
    // The threshold is due + 60 days = 00:00 UTC = 08:00 Shanghai: within hours, so exactly it.
    expect(d.until).to.equal(due + 60n * DAY);
    const lawyer = noticeDecision(input({ channel: Channel.LawyerLetter, kind: Kind.Note, oldestUnpaidDueDate: due }));
    expect(lawyer).to.deep.equal({ action: "defer", until: due + 60n * DAY, reason: "legal-stage" });
    expect(noticeDecision(input({ kind: Kind.LegalNotice, oldestUnpaidDueDate: null }))).to.deep.equal({ action: "suspend", reason: "nothing-overdue" });
  });

  it("frequency caps count SMS and email together per local day and per 7 local days", function () {
    const t = MIDNIGHT_UTC + 2n * HOUR;
    const twoToday = [t - HOUR, t - 30n];
    expect(noticeDecision(input({ recentMessages: twoToday }))).to.deep.equal({ action: "defer", until: MIDNIGHT_UTC + DAY, reason: "frequency-cap" });
    expect(noticeDecision(input({ recentMessages: twoToday, channel: Channel.Letter })).action).to.equal("send");
    // Five over the last days: the oldest (6 local days ago) leaves the window tomorrow.
    const week = [1n, 2n, 3n, 4n, 6n].map((k) => t - k * DAY);
    expect(noticeDecision(input({ recentMessages: week }))).to.deep.equal({ action: "defer", until: MIDNIGHT_UTC + DAY, reason: "frequency-cap" });
    const four = [1n, 2n, 3n, 4n].map((k) => t - k * DAY);
    expect(noticeDecision(input({ recentMessages: four })).action).to.equal("send");
  });

  it("property: a notice sent is never flagged on chain for hours, restriction, dispute or legal stage; a deferral lands on the first allowed hour", function () {
    const policy = fc.record({
      contactStartHour: fc.integer({ min: 0, max: 22 }),
      span: fc.integer({ min: 1, max: 24 }),
      legalStageDpd: fc.integer({ min: 1, max: 120 }),
    });
    fc.assert(
      fc.property(
        policy,
        fc.integer({ min: -720, max: 840 }),
        fc.bigInt({ min: 0n, max: 30n * DAY }),
        fc.constantFrom(Channel.Sms, Channel.Email, Channel.Letter, Channel.LawyerLetter),
        fc.constantFrom(Kind.ContactAttempt, Kind.LegalNotice),
        fc.integer({ min: 0, max: 200 }),
        fc.array(fc.bigInt({ min: 0n, max: 9n * DAY }), { maxLength: 8 }),
        (p, offset, dt, channel, kind, dpdDays, ago) => {
          const pol = { ...DEFAULT_CONTACT_POLICY, contactStartHour: p.contactStartHour, contactEndHour: Math.min(24, p.contactStartHour + p.span), legalStageDpd: p.legalStageDpd };
          const t = MIDNIGHT_UTC + dt;
          const due = t - BigInt(dpdDays) * DAY - 1n;
          const i = input({ policy: pol, state: initialComplianceState(offset), t, channel, kind, oldestUnpaidDueDate: due, recentMessages: ago.map((a) => t - a) });
          const flagsAt = (at: bigint) => evaluateAction(i.state, { channel, kind, occurredAt: at, dpd: daysLate(due, at) }, pol).flags;
          const unwanted = ComplianceFlag.OutsideHours | ComplianceFlag.RestrictedChannel | ComplianceFlag.DisputeOpen | ComplianceFlag.LegalBeforeStage;
          const d = noticeDecision(i);
          if (d.action === "send") expect(flagsAt(t) & unwanted).to.equal(0);
          if (d.action === "defer") {
            expect(d.until > t).to.equal(true);
            expect(noticeDecision({ ...i, t: d.until }).action).to.equal("send");
            expect(flagsAt(d.until) & unwanted).to.equal(0);
            // Nothing earlier on the hour grid (its first 10 days) is allowed.
            const end = d.until < t + 10n * DAY ? d.until : t + 10n * DAY;
            for (let at = t + HOUR - (t % HOUR); at < end; at += HOUR) if (noticeDecision({ ...i, t: at }).action === "send") expect.fail(`allowed at ${at}, before ${d.until}`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
