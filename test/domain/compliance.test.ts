import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import type { ContractTransactionResponse } from "ethers";
import type { Hex } from "viem";
import { Channel, Kind } from "../../src/domain/collection-types";
import {
  ComplianceFlag as F,
  DEFAULT_CONTACT_POLICY,
  applyBorrowerEvent,
  complianceFlags,
  contactWindow,
  evaluateAction,
  flagNames,
  initialComplianceState,
  localDay,
  type ActionFacts,
  jurisdictionPolicy,
  type ComplianceState,
  type ContactPolicy,
  type JurisdictionRules,
} from "../../src/domain/compliance";
import { encodeJurisdiction } from "../../src/domain/jurisdiction";
import { daysLate } from "../../src/domain/delinquency";
import { promiseCommitment } from "../../src/domain/promises";
import { recomputeTrail } from "../../src/domain/trail";
import {
  DAY,
  LOAN_OFFSETS,
  actionsOf,
  collectionLogFixture,
  latestTimestamp,
  setNextTimestamp,
  trailOf,
} from "./helpers/collection-chain";

const HOUR = 3_600n;
const OFFSET = 480; // UTC+8
/** Chain time of borrower-local `hh:mm` on local day `day` (UTC+8). */
const at = (day: bigint, hh: number, mm = 0) => day * DAY + BigInt(hh) * HOUR + BigInt(mm) * 60n - BigInt(OFFSET) * 60n;
const D = 20_000n; // a local day in 2024
const call = (occurredAt: bigint, connected = true, dpd = 10n): ActionFacts => ({
  channel: Channel.Call,
  kind: connected ? Kind.ContactMade : Kind.ContactAttempt,
  occurredAt,
  dpd,
});

/** Flags of one action on a fresh loan (or in `state`). */
function flagsOf(facts: ActionFacts, state: ComplianceState = initialComplianceState(OFFSET), policy: ContactPolicy = DEFAULT_CONTACT_POLICY) {
  return evaluateAction(state, facts, policy).flags;
}

/** The state after `actions` on a fresh UTC+8 loan. */
function after(actions: ActionFacts[], policy: ContactPolicy = DEFAULT_CONTACT_POLICY): ComplianceState {
  return actions.reduce((s, a) => evaluateAction(s, a, policy).state, initialComplianceState(OFFSET));
}

describe("domain/compliance", function () {
  describe("flags (the rules of Compliance.sol, worked examples)", function () {
    it("1: more than 3 connected calls on one borrower-local day; attempts do not count", function () {
      const day = [10, 11, 12, 13].map((h) => call(at(D, h)));
      expect(complianceFlags(day, OFFSET)).to.deep.equal([0, 0, 0, F.TooManyConnectedCalls]);
      expect(complianceFlags([call(at(D, 9), false), ...day.slice(0, 3)], OFFSET)).to.deep.equal([0, 0, 0, 0]);
      // The local day, not the UTC day: 20:30 and 08:30 next morning local are both 12:30 / 00:30 UTC.
      expect(complianceFlags([...day.slice(0, 3), call(at(D + 1n, 8, 30))], OFFSET)).to.deep.equal([0, 0, 0, 0]);
      expect(localDay(at(D, 23, 59), OFFSET)).to.equal(D);
      expect(localDay(at(D + 1n, 0), OFFSET)).to.equal(D + 1n);
    });

    it("2: more than 7 calls (attempts or connected) in the 7 local days ending on the action's day", function () {
      const week = Array.from({ length: 7 }, (_, i) => call(at(D + BigInt(i), 10), false));
      expect(complianceFlags([...week, call(at(D + 6n, 11), true)], OFFSET)).to.deep.equal([0, 0, 0, 0, 0, 0, 0, F.TooManyCallAttempts]);
      // On day D+7 the window is D+1..D+7: the day-D call has left it.
      expect(complianceFlags([...week, call(at(D + 7n, 11), false)], OFFSET).at(-1)).to.equal(0);
      // A back-dated call counts against its own day's window, not the latest one.
      const s = after(week.slice(1)); // D+1..D+6: six calls
      expect(flagsOf(call(at(D, 12), false), s)).to.equal(0); // window D-6..D: 1 call
      expect(flagsOf(call(at(D + 6n, 12), false), after([...week.slice(1), call(at(D, 12), false)]))).to.equal(F.TooManyCallAttempts);
    });

    it("4: outside [08:00, 21:00) local time; letters are exempt, notes and disputes are not contacts", function () {
      expect(flagsOf(call(at(D, 7, 59)))).to.equal(F.OutsideHours);
      expect(flagsOf(call(at(D, 8, 0)))).to.equal(0);
      expect(flagsOf(call(at(D, 20, 59)))).to.equal(0);
      expect(flagsOf(call(at(D, 21, 0)))).to.equal(F.OutsideHours);
      for (const channel of [Channel.Letter, Channel.LawyerLetter]) {
        expect(flagsOf({ channel, kind: Kind.ContactAttempt, occurredAt: at(D, 3), dpd: 90n })).to.equal(0);
      }
      for (const channel of [Channel.Sms, Channel.Email, Channel.Visit, Channel.AppPush, Channel.Other]) {
        expect(flagsOf({ channel, kind: Kind.ContactAttempt, occurredAt: at(D, 3), dpd: 90n })).to.equal(F.OutsideHours);
      }
      expect(flagsOf({ channel: Channel.Call, kind: Kind.Note, occurredAt: at(D, 3), dpd: 0n })).to.equal(0);
      expect(flagsOf({ channel: Channel.Call, kind: Kind.Dispute, occurredAt: at(D, 3), dpd: 0n })).to.equal(0);
      // A custom policy moves the hours.
      const late = { ...DEFAULT_CONTACT_POLICY, contactStartHour: 10, contactEndHour: 24 };
      expect(flagsOf(call(at(D, 9, 59)), undefined, late)).to.equal(F.OutsideHours);
      expect(flagsOf(call(at(D, 23, 59)), undefined, late)).to.equal(0);
    });

    it("8: a contact on a restricted channel, until released; notes on it are not contacts", function () {
      const s = applyBorrowerEvent(initialComplianceState(OFFSET), { type: "restrict", channel: Channel.Sms });
      const sms = (kind: number): ActionFacts => ({ channel: Channel.Sms, kind, occurredAt: at(D, 10), dpd: 5n });
      expect(flagsOf(sms(Kind.ContactAttempt), s)).to.equal(F.RestrictedChannel);
      expect(flagsOf(sms(Kind.PlanOffer), s)).to.equal(F.RestrictedChannel);
      expect(flagsOf(sms(Kind.Note), s)).to.equal(0);
      expect(flagsOf({ ...sms(Kind.ContactAttempt), channel: Channel.Email }, s)).to.equal(0);
      const released = applyBorrowerEvent(s, { type: "release", channel: Channel.Sms });
      expect(released.restricted).to.equal(0);
      expect(flagsOf(sms(Kind.ContactAttempt), released)).to.equal(0);
    });

    it("16: a LegalNotice, or anything on LawyerLetter, before DPD 60", function () {
      const legal = (channel: number, kind: number, dpd: bigint) => flagsOf({ channel, kind, occurredAt: at(D, 10), dpd });
      expect(legal(Channel.Letter, Kind.LegalNotice, 59n)).to.equal(F.LegalBeforeStage);
      expect(legal(Channel.Letter, Kind.LegalNotice, 60n)).to.equal(0);
      expect(legal(Channel.LawyerLetter, Kind.ContactAttempt, 59n)).to.equal(F.LegalBeforeStage);
      expect(legal(Channel.LawyerLetter, Kind.Note, 10n)).to.equal(F.LegalBeforeStage);
      expect(legal(Channel.Email, Kind.LegalNotice, 0n)).to.equal(F.LegalBeforeStage | F.NothingOverdue);
    });

    it("32: a demand for payment while nothing is overdue; PlanOffer, Dispute and Note are exempt", function () {
      const k = (kind: number) => flagsOf({ channel: Channel.Email, kind, occurredAt: at(D, 10), dpd: 0n });
      expect([Kind.ContactAttempt, Kind.ContactMade, Kind.PromiseToPay].map(k)).to.deep.equal([F.NothingOverdue, F.NothingOverdue, F.NothingOverdue]);
      expect([Kind.PlanOffer, Kind.Dispute, Kind.Note].map(k)).to.deep.equal([0, 0, 0]);
      expect(flagsOf({ channel: Channel.Email, kind: Kind.ContactAttempt, occurredAt: at(D, 10), dpd: 1n })).to.equal(0);
    });

    it("64: a contact while a dispute is open: filed by the borrower or logged as a Dispute action", function () {
      const email = (kind: number): ActionFacts => ({ channel: Channel.Email, kind, occurredAt: at(D, 10), dpd: 30n });
      const r = evaluateAction(initialComplianceState(OFFSET), email(Kind.Dispute), DEFAULT_CONTACT_POLICY);
      expect(r.flags).to.equal(0);
      expect(r.state.disputeOpen).to.equal(true);
      expect(flagsOf(email(Kind.ContactAttempt), r.state)).to.equal(F.DisputeOpen);
      expect(flagsOf(email(Kind.Note), r.state)).to.equal(0);
      expect(flagsOf(email(Kind.Dispute), r.state)).to.equal(0);
      const resolved = applyBorrowerEvent(r.state, { type: "disputeResolved" });
      expect(flagsOf(email(Kind.ContactAttempt), resolved)).to.equal(0);
      const filed = applyBorrowerEvent(resolved, { type: "disputeFiled" });
      expect(flagsOf(email(Kind.ContactMade), filed)).to.equal(F.DisputeOpen);
    });

    it("128: a call within a jurisdiction's cool-down after a conversation on an earlier day (Regulation F's 7 days)", function () {
      const us: JurisdictionRules = { contactStartHour: 8, contactEndHour: 21, maxConnectedCallsPerDay: 0, maxCallAttemptsPer7Days: 7, coolDownDaysAfterConversation: 7 };
      const talked = call(at(D, 10));
      const flags = (later: ActionFacts[]) => complianceFlags([talked, ...later], OFFSET, DEFAULT_CONTACT_POLICY, us);
      // The same day is the daily limit's business; days 1 to 7 after are in the cool-down, day 8 is not.
      expect(flags([call(at(D, 11), false)]).at(-1)).to.equal(0);
      expect(flags([call(at(D + 1n, 9), false)]).at(-1)).to.equal(F.CoolDown);
      expect(flags([call(at(D + 7n, 20), true)]).at(-1)).to.equal(F.CoolDown);
      expect(flags([call(at(D + 8n, 9), false)]).at(-1)).to.equal(0);
      // An unanswered attempt is no conversation; SMS are not calls.
      expect(complianceFlags([call(at(D, 10), false), call(at(D + 1n, 10), false)], OFFSET, DEFAULT_CONTACT_POLICY, us)).to.deep.equal([0, 0]);
      expect(flags([{ channel: Channel.Sms, kind: Kind.ContactAttempt, occurredAt: at(D + 1n, 10), dpd: 10n }]).at(-1)).to.equal(0);
      // Without jurisdiction rules there is no cool-down.
      expect(complianceFlags([talked, call(at(D + 1n, 9))], OFFSET).at(-1)).to.equal(0);
    });

    it("a jurisdiction tightens the lender's policy, never loosens it: later start, earlier end, lower limits", function () {
      const cn: JurisdictionRules = { contactStartHour: 8, contactEndHour: 22, maxConnectedCallsPerDay: 3, maxCallAttemptsPer7Days: 0, coolDownDaysAfterConversation: 0 };
      const lender: ContactPolicy = { ...DEFAULT_CONTACT_POLICY, contactStartHour: 9, contactEndHour: 23, maxConnectedCallsPerDay: 5 };
      expect(jurisdictionPolicy(lender, cn)).to.deep.equal({
        policy: { ...lender, contactStartHour: 9, contactEndHour: 22, maxConnectedCallsPerDay: 3, maxCallAttemptsPer7Days: lender.maxCallAttemptsPer7Days },
        coolDownDays: 0,
      });
      expect(flagsOf(call(at(D, 22, 30)), initialComplianceState(OFFSET), lender)).to.equal(0);
      expect(evaluateAction(initialComplianceState(OFFSET), call(at(D, 22, 30)), lender, cn).flags).to.equal(F.OutsideHours);
      expect(jurisdictionPolicy(lender, null)).to.deep.equal({ policy: lender, coolDownDays: 0 });
    });

    it("counters saturate at 255 a day like the contract's 8-bit rings; flags combine", function () {
      const many = Array.from({ length: 300 }, () => call(at(D, 22)));
      const s = after(many);
      expect(s.days.get(D)).to.deep.equal({ calls: 255, connected: 255 });
      expect(flagsOf(call(at(D, 22)), s)).to.equal(F.TooManyConnectedCalls | F.TooManyCallAttempts | F.OutsideHours);
      expect(flagNames(F.TooManyConnectedCalls | F.OutsideHours | F.DisputeOpen)).to.deep.equal(["TooManyConnectedCalls", "OutsideHours", "DisputeOpen"]);
    });
  });

  describe("contactWindow", function () {
    const due = at(D, 0) - 10n * DAY; // DPD 10 on day D
    const q = { oldestUnpaidDueDate: due };
    const s0 = initialComplianceState(OFFSET);

    it("allows a call inside the hours, and says now", function () {
      const t = at(D, 10);
      expect(contactWindow(s0, DEFAULT_CONTACT_POLICY, t, q)).to.deep.equal({ allowedNow: true, flags: 0, reasons: [], nextAllowedAt: t });
    });

    it("outside the hours: next at 08:00 local, the same morning or the next", function () {
      expect(contactWindow(s0, DEFAULT_CONTACT_POLICY, at(D, 6), q)).to.deep.equal({
        allowedNow: false, flags: F.OutsideHours, reasons: ["OutsideHours"], nextAllowedAt: at(D, 8),
      });
      expect(contactWindow(s0, DEFAULT_CONTACT_POLICY, at(D, 21), q).nextAllowedAt).to.equal(at(D + 1n, 8));
    });

    it("after 3 connected calls today: tomorrow 08:00; after 7 calls two days ago: when they leave the window", function () {
      const three = after([10, 11, 12].map((h) => call(at(D, h))));
      const w = contactWindow(three, DEFAULT_CONTACT_POLICY, at(D, 13), q);
      expect(w).to.deep.include({ allowedNow: false, reasons: ["TooManyConnectedCalls"], nextAllowedAt: at(D + 1n, 8) });
      // A call that does not connect would be fine now.
      expect(contactWindow(three, DEFAULT_CONTACT_POLICY, at(D, 13), { ...q, kind: Kind.ContactAttempt }).allowedNow).to.equal(true);
      const seven = after(Array.from({ length: 7 }, (_, i) => call(at(D - 2n, 9 + i), false)));
      const w7 = contactWindow(seven, DEFAULT_CONTACT_POLICY, at(D, 10), q);
      expect(w7.reasons).to.deep.equal(["TooManyCallAttempts"]);
      expect(w7.nextAllowedAt).to.equal(at(D + 5n, 8)); // window D-1..D+5 no longer holds D-2
    });

    it("blocked until someone acts: restricted channel, open dispute, nothing unpaid (null)", function () {
      const restricted = applyBorrowerEvent(s0, { type: "restrict", channel: Channel.Call });
      const r = contactWindow(restricted, DEFAULT_CONTACT_POLICY, at(D, 10), q);
      expect(r).to.deep.equal({ allowedNow: false, flags: F.RestrictedChannel, reasons: ["RestrictedChannel"], nextAllowedAt: null });
      expect(contactWindow(restricted, DEFAULT_CONTACT_POLICY, at(D, 10), { ...q, channel: Channel.Sms }).allowedNow).to.equal(true);
      const disputed = applyBorrowerEvent(s0, { type: "disputeFiled" });
      expect(contactWindow(disputed, DEFAULT_CONTACT_POLICY, at(D, 22), q)).to.deep.include({ reasons: ["OutsideHours", "DisputeOpen"], nextAllowedAt: null });
      expect(contactWindow(s0, DEFAULT_CONTACT_POLICY, at(D, 10), { oldestUnpaidDueDate: null })).to.deep.include({ reasons: ["NothingOverdue"], nextAllowedAt: null });
      // A plan offer is no demand for payment: allowed with nothing overdue.
      expect(contactWindow(s0, DEFAULT_CONTACT_POLICY, at(D, 10), { oldestUnpaidDueDate: null, kind: Kind.PlanOffer }).allowedNow).to.equal(true);
    });

    it("nothing overdue yet: next when DPD reaches 1, moved into the hours; a legal notice when DPD reaches 60", function () {
      const dueSoon = at(D, 12, 34);
      expect(contactWindow(s0, DEFAULT_CONTACT_POLICY, at(D, 10), { oldestUnpaidDueDate: dueSoon }).nextAllowedAt).to.equal(dueSoon + DAY);
      const dueLate = at(D, 22, 15);
      expect(contactWindow(s0, DEFAULT_CONTACT_POLICY, at(D, 10), { oldestUnpaidDueDate: dueLate }).nextAllowedAt).to.equal(at(D + 2n, 8));
      const letter = { oldestUnpaidDueDate: due, channel: Channel.Letter, kind: Kind.LegalNotice };
      const w = contactWindow(s0, DEFAULT_CONTACT_POLICY, at(D, 10), letter);
      expect(w.reasons).to.deep.equal(["LegalBeforeStage"]);
      expect(w.nextAllowedAt).to.equal(due + 60n * DAY); // letters ignore the hours
      expect(daysLate(due, w.nextAllowedAt!)).to.equal(60n);
    });

    it("property: at nextAllowedAt a contact is clean, and at no earlier time from t", function () {
      const policy = fc.record({
        maxConnectedCallsPerDay: fc.integer({ min: 1, max: 4 }),
        maxCallAttemptsPer7Days: fc.integer({ min: 1, max: 8 }),
        contactStartHour: fc.integer({ min: 0, max: 12 }),
        contactEndHour: fc.integer({ min: 13, max: 24 }),
        legalStageDpd: fc.integer({ min: 0, max: 90 }),
        actionWindowDays: fc.constant(7),
      });
      const T0 = 1_750_000_000n;
      fc.assert(
        fc.property(
          policy,
          fc.constantFrom(...LOAN_OFFSETS),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 7 * 86_400 }), fc.boolean()), { maxLength: 12 }),
          fc.option(fc.integer({ min: -100 * 86_400, max: 10 * 86_400 })),
          fc.constantFrom(Channel.Call, Channel.Letter, Channel.LawyerLetter, Channel.Sms),
          fc.constantFrom(Kind.ContactMade, Kind.ContactAttempt, Kind.LegalNotice, Kind.PlanOffer),
          fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 5, maxLength: 5 }),
          (pol, offset, calls, dueOffset, channel, kind, probes) => {
            const state = calls.reduce(
              (s, [back, connected]) => evaluateAction(s, call(T0 - BigInt(back), connected), pol).state,
              initialComplianceState(offset),
            );
            const dueDate = dueOffset === null ? null : T0 + BigInt(dueOffset);
            const query = { oldestUnpaidDueDate: dueDate, channel, kind };
            const flagsAt = (t: bigint) =>
              evaluateAction(state, { channel, kind, occurredAt: t, dpd: dueDate === null ? 0n : daysLate(dueDate, t) }, pol).flags;
            const w = contactWindow(state, pol, T0, query);
            if (w.flags !== flagsAt(T0) || w.allowedNow !== (w.flags === 0)) return false;
            if (w.nextAllowedAt === null) {
              return probes.every((p) => flagsAt(T0 + BigInt(p) * 90n) !== 0);
            }
            if (flagsAt(w.nextAllowedAt) !== 0) return false;
            const span = w.nextAllowedAt - T0;
            return span === 0n || probes.every((p) => flagsAt(T0 + (BigInt(p) * span) / 1_000_001n) !== 0);
          },
        ),
        { numRuns: 400 },
      );
    });
  });

  describe("against the contract: random sequences with clock jumps (fast-check)", function () {
    this.timeout(300_000);

    /** collectionLogFixture with the admin caps opened wide, so random lender policies fit. */
    async function wideCapsFixture() {
      const f = await collectionLogFixture();
      await f.log.connect(f.admin).setCaps({
        maxConnectedCallsPerDay: 255, maxCallAttemptsPer7Days: 255, contactStartHour: 0, contactEndHour: 24, legalStageDpd: 0, actionWindowDays: 7,
      });
      return f;
    }

    type ActionStep = { channel: number; kind: number; outcome: number; back: number };
    type Step =
      | { jump: number; op: "action"; actions: ActionStep[] }
      | { jump: number; op: "promise"; amount: bigint; dueIn: number }
      | { jump: number; op: "restrict" | "release"; channel: number }
      | { jump: number; op: "fileDispute" | "resolveDispute" };

    const channelArb = fc.oneof({ weight: 3, arbitrary: fc.constant(Channel.Call) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 7 }) });
    const kindArb = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(Kind.ContactAttempt, Kind.ContactMade) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 6 }) },
    );
    const jumpArb = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 600 }) },
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 12 * 3_600 }) },
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 * 86_400 }) },
      // Now and then a jump past the contract's 14-day call ring.
      { weight: 1, arbitrary: fc.integer({ min: 6 * 86_400, max: 20 * 86_400 }) },
    );
    const actionArb = fc.record({
      channel: channelArb,
      kind: kindArb,
      outcome: fc.integer({ min: 0, max: 65_535 }),
      back: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 7 * 86_400 }) }),
    });
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      { weight: 10, arbitrary: fc.record({ jump: jumpArb, op: fc.constant("action" as const), actions: fc.array(actionArb, { minLength: 1, maxLength: 1 }) }) },
      { weight: 2, arbitrary: fc.record({ jump: jumpArb, op: fc.constant("action" as const), actions: fc.array(actionArb, { minLength: 2, maxLength: 3 }) }) },
      { weight: 1, arbitrary: fc.record({ jump: jumpArb, op: fc.constant("promise" as const), amount: fc.bigInt({ min: 1n, max: 10n ** 12n }), dueIn: fc.integer({ min: 1, max: 30 * 86_400 }) }) },
      { weight: 1, arbitrary: fc.record({ jump: jumpArb, op: fc.constantFrom("restrict" as const, "release" as const), channel: channelArb }) },
      { weight: 1, arbitrary: fc.record({ jump: jumpArb, op: fc.constantFrom("fileDispute" as const, "resolveDispute" as const) }) },
    );
    const rulesArb = fc.option(
      fc.record({
        contactStartHour: fc.integer({ min: 0, max: 12 }),
        contactEndHour: fc.integer({ min: 13, max: 24 }),
        maxConnectedCallsPerDay: fc.integer({ min: 0, max: 3 }),
        maxCallAttemptsPer7Days: fc.integer({ min: 0, max: 8 }),
        coolDownDaysAfterConversation: fc.oneof(fc.constant(7), fc.integer({ min: 0, max: 7 })),
      }),
      { freq: 2 },
    );
    const policyArb = fc.option(
      fc.record({
        maxConnectedCallsPerDay: fc.integer({ min: 1, max: 4 }),
        maxCallAttemptsPer7Days: fc.integer({ min: 1, max: 8 }),
        contactStartHour: fc.integer({ min: 0, max: 12 }),
        contactEndHour: fc.integer({ min: 13, max: 24 }),
        legalStageDpd: fc.integer({ min: 0, max: 90 }),
        actionWindowDays: fc.integer({ min: 1, max: 7 }),
      }),
      { freq: 3 },
    );

    it("saturates the 8-bit day counters like the model: 300 connected calls on one local day", async function () {
      const f = await loadFixture(wideCapsFixture);
      const loanId = f.loanIds[0];
      // 12:00 local, 20-odd days past due: every call of the test falls on one local day.
      const t = localDay(f.firstDue + 20n * DAY, LOAN_OFFSETS[0]) * DAY + 12n * HOUR - BigInt(LOAN_OFFSETS[0]) * 60n;
      let state = initialComplianceState(LOAN_OFFSETS[0]);
      const chain: number[] = [];
      const model: number[] = [];
      for (let batch = 0; batch < 3; batch++) {
        const now = t + BigInt(batch);
        await setNextTimestamp(now);
        const inputs = Array.from({ length: 100 }, (_, i) => ({
          loanId, channel: Channel.Call, kind: Kind.ContactMade, outcome: i, occurredAt: now - 60n, evidenceHash: ethers.ZeroHash,
        }));
        chain.push(...(await flagsIn(f.log, await f.log.connect(f.collector).recordActions(inputs))));
        for (const a of inputs) {
          const r = evaluateAction(state, { channel: a.channel, kind: a.kind, occurredAt: a.occurredAt, dpd: daysLate(f.firstDue, now) }, DEFAULT_CONTACT_POLICY);
          state = r.state;
          model.push(r.flags);
        }
      }
      expect(chain).to.deep.equal(model);
      expect(state.days.get(localDay(t, LOAN_OFFSETS[0]))).to.deep.equal({ calls: 255, connected: 255 });
      // The saturated day does not spill into its neighbours: the next local day starts from zero.
      const nextDay = (localDay(t, LOAN_OFFSETS[0]) + 1n) * DAY - BigInt(LOAN_OFFSETS[0]) * 60n + 10n * HOUR;
      await setNextTimestamp(nextDay);
      const [flags] = await flagsIn(f.log, await f.log.connect(f.collector).recordAction(loanId, Channel.Call, Kind.ContactMade, 0, nextDay, ethers.ZeroHash));
      expect(flags).to.equal(evaluateAction(state, { channel: Channel.Call, kind: Kind.ContactMade, occurredAt: nextDay, dpd: daysLate(f.firstDue, nextDay) }, DEFAULT_CONTACT_POLICY).flags);
      expect(flags).to.equal(F.TooManyCallAttempts); // 255 + 1 calls in the 7-day window, but the first connected call of the day
    });

    it("flags from ActionRecorded equal the TS model's (with and without jurisdiction rules), heads equal the recomputation", async function () {
      let coolDowns = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: LOAN_OFFSETS.length - 1 }),
          policyArb,
          rulesArb,
          fc.integer({ min: 0, max: 120 * 86_400 }),
          fc.array(stepArb, { minLength: 1, maxLength: 15 }),
          async (loanIndex, customPolicy, rules, initialJump, steps) => {
            const f = await loadFixture(wideCapsFixture);
            const loanId = f.loanIds[loanIndex];
            const policy = customPolicy ?? DEFAULT_CONTACT_POLICY;
            if (customPolicy) await f.log.connect(f.lender).setContactPolicy(customPolicy);
            // The fixture's loans are registered in CN: rules set for the country apply to them.
            if (rules) await f.log.connect(f.admin).setJurisdictionRules(encodeJurisdiction("CN"), rules);
            let state = initialComplianceState(LOAN_OFFSETS[loanIndex]);
            let t = (await latestTimestamp()) + BigInt(initialJump);
            const c = f.log.connect(f.collector);
            let recorded = 0;
            for (const step of steps) {
              t += BigInt(step.jump);
              await setNextTimestamp(t);
              const dpd = daysLate(f.firstDue, t);
              if (step.op === "action") {
                const inputs = step.actions.map((a) => ({
                  loanId, channel: a.channel, kind: a.kind, outcome: a.outcome, occurredAt: t - BigInt(a.back % (policy.actionWindowDays * 86_400 + 1)), evidenceHash: ethers.id(`e${recorded}`),
                }));
                const single = inputs.length === 1 && inputs[0].channel === Channel.Call && inputs[0].kind === Kind.ContactMade && inputs[0].occurredAt === t;
                const window = single ? contactWindow(state, policy, t, { oldestUnpaidDueDate: f.firstDue }, rules) : undefined;
                const tx = inputs.length === 1
                  ? await c.recordAction(loanId, inputs[0].channel, inputs[0].kind, inputs[0].outcome, inputs[0].occurredAt, inputs[0].evidenceHash)
                  : await c.recordActions(inputs);
                const chainFlags = await flagsIn(f.log, tx);
                const modelFlags = inputs.map((a) => {
                  const r = evaluateAction(state, { channel: a.channel, kind: a.kind, occurredAt: a.occurredAt, dpd }, policy, rules);
                  state = r.state;
                  if (r.flags & F.CoolDown) coolDowns += 1;
                  return r.flags;
                });
                expect(chainFlags, `flags at t=${t} dpd=${dpd}`).to.deep.equal(modelFlags);
                if (window) expect(window.allowedNow, "contactWindow agrees with the chain").to.equal(chainFlags[0] === 0);
                recorded += inputs.length;
              } else if (step.op === "promise") {
                const tx = await c.recordPromise(loanId, step.amount, t + BigInt(step.dueIn), ethers.id(`p${recorded}`));
                const r = evaluateAction(state, { channel: Channel.Other, kind: Kind.PromiseToPay, occurredAt: t, dpd }, policy, rules);
                state = r.state;
                expect(await flagsIn(f.log, tx), `promise flags at t=${t}`).to.deep.equal([r.flags]);
                const mine = (await actionsOf(f.log, loanId)).at(-1)!;
                expect(mine.evidenceHash).to.equal(promiseCommitment(step.amount, t + BigInt(step.dueIn), ethers.id(`p${recorded}`) as Hex));
                recorded += 1;
              } else if (step.op === "restrict" || step.op === "release") {
                await (step.op === "restrict" ? f.log.connect(f.borrower).restrictChannel(loanId, step.channel) : f.log.connect(f.borrower).releaseChannel(loanId, step.channel));
                state = applyBorrowerEvent(state, { type: step.op, channel: step.channel });
                expect(Number(await f.log.restrictedChannels(loanId))).to.equal(state.restricted);
              } else if (step.op === "fileDispute") {
                await f.log.connect(f.borrower).fileDispute(loanId, ethers.id("dispute"));
                state = applyBorrowerEvent(state, { type: "disputeFiled" });
              } else if (state.disputeOpen) {
                await f.log.connect(f.lender).resolveDispute(loanId, ethers.id("validation"));
                state = applyBorrowerEvent(state, { type: "disputeResolved" });
              } else {
                await ethers.provider.send("evm_mine", []); // nothing to resolve: just let the time pass
              }
              expect(await f.log.disputeOpen(loanId)).to.equal(state.disputeOpen);
            }
            const events = await actionsOf(f.log, loanId);
            const trail = recomputeTrail(f.chainId, f.logAddress, loanId, events);
            const onChain = await trailOf(f.log, loanId);
            expect(trail.problems).to.deep.equal([]);
            expect([trail.head, trail.count]).to.deep.equal([onChain.head, onChain.count]);
            expect(onChain.count).to.equal(BigInt(recorded));
          },
        ),
        { numRuns: 30 },
      );
      expect(coolDowns, "some calls fell in a jurisdiction's cool-down").to.be.greaterThan(0);
    });
  });
});

/** The flags of every ActionRecorded event in a transaction, in log order. */
async function flagsIn(log: Awaited<ReturnType<typeof collectionLogFixture>>["log"], tx: ContractTransactionResponse): Promise<number[]> {
  const receipt = (await tx.wait())!;
  return receipt.logs
    .map((l) => log.interface.parseLog(l))
    .filter((p) => p?.name === "ActionRecorded")
    .map((p) => Number(p!.args.flags));
}
