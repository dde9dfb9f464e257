// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ILoanLedger} from "../interfaces/ILoanLedger.sol";
import {ILoanLedgerTypes} from "../interfaces/ILoanLedgerTypes.sol";
import {LoanLedgerStorage} from "../LoanLedgerStorage.sol";
import {LoanBits, LoanFlags} from "./LoanBits.sol";
import {LoanMath} from "./LoanMath.sol";
import {PolicyStore} from "./PolicyStore.sol";
import {ScheduleStore} from "./ScheduleStore.sol";

/// @title LoanLogic: the state machine of one loan (docs/ledger-rules.md).
/// @dev Operates on a loan's storage words; LoanLedger only checks permissions and calls in.
library LoanLogic {
    /// @dev The most installments a schedule version may have (LoanLedger.MAX_INSTALLMENTS is this).
    uint256 internal constant MAX_INSTALLMENTS = 600;
    uint256 private constant _MAX_AMOUNT = 1 << 96;
    uint256 private constant _MAX_DUE_DATE = 1 << 40;
    uint256 private constant _OBSERVATION_PERIOD = 365 days;
    /// @dev Consecutive on-time installments that (with the period) end an observation
    /// (src/domain's OBSERVATION_ON_TIME_INSTALLMENTS).
    uint256 private constant _OBSERVATION_ON_TIME = 2;

    /// @dev Figures that depend on time, as of `t`.
    struct Figures {
        uint256 dpd;
        uint256 amountOverdue;
        uint256 penaltyOutstanding;
        uint256 nextDueDate;
        uint256 nextDueAmount;
    }

    /// @dev What one repayment paid.
    struct Breakdown {
        uint256 penalty;
        uint256 interest;
        uint256 principal;
    }

    /// @dev What a poke at `t` would emit.
    struct Plan {
        bool due;
        uint256 cursor;
        uint256 dueDate;
        uint256 dpd;
        uint256 stageTo;
        uint256 penaltyOutstanding;
        bool assess;
        ILoanLedgerTypes.Classification classification;
        bool reclassify;
        bool defaultNow;
        bool endObservation;
        bool endHoliday;
        uint256 partsKept;
        bool endPlan;
    }

    // ------------------------------------------------------------------ schedule

    /// @dev Checks a schedule and returns the byte width its amounts need in the blob.
    /// `principal` = type(uint256).max skips the principal-sum check (a proposal, checked on acceptance).
    function validateSchedule(ILoanLedgerTypes.Installment[] calldata s, uint256 principal, uint256 now_)
        internal
        pure
        returns (uint256 width)
    {
        uint256 n = s.length;
        if (n == 0) revert ILoanLedger.LoanLedgerEmptySchedule();
        if (n > MAX_INSTALLMENTS) revert ILoanLedger.LoanLedgerTooManyInstallments(n, MAX_INSTALLMENTS);
        uint256 previous = now_;
        uint256 sum;
        uint256 bits;
        for (uint256 i; i < n; ++i) {
            uint64 due = s[i].dueDate;
            uint256 p = s[i].principal;
            uint256 r = s[i].interest;
            if (due <= previous) {
                if (i == 0) revert ILoanLedger.LoanLedgerDueDateNotInFuture(0, due, now_);
                revert ILoanLedger.LoanLedgerDueDatesNotIncreasing(i, uint64(previous), due);
            }
            if (due >= _MAX_DUE_DATE) revert ILoanLedger.LoanLedgerDueDateTooLate(i, due);
            if (p >= _MAX_AMOUNT) revert ILoanLedger.LoanLedgerAmountTooLarge(i, p);
            if (r >= _MAX_AMOUNT) revert ILoanLedger.LoanLedgerAmountTooLarge(i, r);
            if (p == 0 && r == 0) revert ILoanLedger.LoanLedgerEmptyInstallment(i);
            unchecked {
                // Safe: at most MAX_INSTALLMENTS (600) parts below 2^96 each.
                sum += p;
            }
            bits |= p | r;
            previous = due;
        }
        if (sum >= _MAX_AMOUNT) revert ILoanLedger.LoanLedgerAmountTooLarge(n, sum);
        if (principal != type(uint256).max && sum != principal) {
            revert ILoanLedger.LoanLedgerPrincipalMismatch(principal, sum);
        }
        // Bytes needed by the largest amount (OR has the same bit length as the maximum).
        width = bits == 0 ? 1 : Math.log256(bits) + 1;
    }

    /// @dev Sets up a new loan: one storage word (see LoanLedgerStorage).
    function initialize(LoanLedgerStorage.Loan storage l, address blob, uint256 count, uint256 width) internal {
        l.schedule = blob;
        l.count = uint16(count);
        l.widthStage = LoanBits.newWidthStage(width);
    }

    /// @dev Bytes per amount in the current blob.
    function widthOf(LoanLedgerStorage.Loan storage l) internal view returns (uint256) {
        return l.widthStage.width();
    }

    /// @dev Next reminder stage of the cursor installment.
    function stageOf(LoanLedgerStorage.Loan storage l) internal view returns (uint256) {
        return l.widthStage.stage();
    }

    function _setStage(LoanLedgerStorage.Loan storage l, uint256 stage) private {
        l.widthStage = l.widthStage.setStage(stage);
    }

    /// @dev The classification last recorded by an event.
    function recordedClassification(LoanLedgerStorage.Loan storage l)
        internal
        view
        returns (ILoanLedgerTypes.Classification)
    {
        return l.flags.classification();
    }

    function _setClassification(LoanLedgerStorage.Loan storage l, ILoanLedgerTypes.Classification c) private {
        l.flags = l.flags.setClassification(c);
    }

    // ------------------------------------------------------------------ figures

    /// @dev DPD at `t`: whole days since the cursor installment's due date.
    function dpdAt(LoanLedgerStorage.Loan storage l, uint256 t) internal view returns (uint256) {
        uint256 c = l.cursor;
        if (c >= l.count || l.status == ILoanLedgerTypes.LoanStatus.Closed) return 0;
        (uint256 due,,) = ScheduleStore.readInstallment(l.schedule, widthOf(l), c);
        return LoanMath.daysLate(due, t);
    }

    /// @dev DPD, amount overdue, penalty outstanding and the next installment, as of `t`.
    function figures(LoanLedgerStorage.Loan storage l, ScheduleStore.Header memory h, uint256 t)
        internal
        view
        returns (Figures memory f)
    {
        uint256 c = l.cursor;
        if (c >= l.count) return f;
        (uint256 due, uint256 p, uint256 r) = ScheduleStore.readInstallment(l.schedule, widthOf(l), c);
        uint256 unpaid = p + r - l.paid;
        f.nextDueDate = due;
        f.nextDueAmount = unpaid;
        f.dpd = LoanMath.daysLate(due, t);
        if (f.dpd == 0) return f;
        f.amountOverdue = unpaid;
        uint256 pd = LoanMath.penaltyDays(due, t, h.penalty.graceDays);
        if (pd != 0) {
            uint256 u = l.penaltyBase + unpaid * (pd - l.penaltyBaseDays);
            f.penaltyOutstanding = LoanMath.penalty(u, pd, h.penalty) - l.penaltyPaid;
        }
        _addLaterOverdue(l, h.penalty, t, f);
    }

    /// @dev Adds the untouched overdue installments after the cursor to `f`.
    function _addLaterOverdue(
        LoanLedgerStorage.Loan storage l,
        ILoanLedgerTypes.PenaltyTerms memory terms,
        uint256 t,
        Figures memory f
    ) private view {
        address blob = l.schedule;
        uint256 width = widthOf(l);
        uint256 n = l.count;
        for (uint256 j = uint256(l.cursor) + 1; j < n; ++j) {
            (uint256 due, uint256 p, uint256 r) = ScheduleStore.readInstallment(blob, width, j);
            if (LoanMath.daysLate(due, t) == 0) break;
            f.amountOverdue += p + r;
            uint256 pd = LoanMath.penaltyDays(due, t, terms.graceDays);
            if (pd != 0) f.penaltyOutstanding += LoanMath.penalty((p + r) * pd, pd, terms);
        }
    }

    /// @dev Principal and interest not yet paid, over the whole current version.
    function outstanding(LoanLedgerStorage.Loan storage l) internal view returns (uint256 principal, uint256 interest) {
        uint256 c = l.cursor;
        uint256 n = l.count;
        if (c >= n) return (0, 0);
        address blob = l.schedule;
        uint256 width = widthOf(l);
        for (uint256 j = c; j < n; ++j) {
            (, uint256 p, uint256 r) = ScheduleStore.readInstallment(blob, width, j);
            principal += p;
            interest += r;
        }
        (, , uint256 cursorInterest) = ScheduleStore.readInstallment(blob, width, c);
        uint256 paid = l.paid;
        // Within an installment interest is paid before principal.
        uint256 interestPaid = paid < cursorInterest ? paid : cursorInterest;
        interest -= interestPaid;
        principal -= paid - interestPaid;
    }

    /// @dev The full view of the loan as of `t`.
    function state(
        LoanLedgerStorage.Loan storage l,
        ScheduleStore.Header memory h,
        mapping(uint32 => PolicyStore.Packed) storage policies,
        uint256 t
    ) internal view returns (ILoanLedgerTypes.LoanState memory s) {
        s.status = l.status;
        s.cursor = l.cursor;
        s.defaulted = l.flags.defaulted();
        s.observation = l.flags.observation();
        if (s.status == ILoanLedgerTypes.LoanStatus.Closed) return s;
        Figures memory f = figures(l, h, t);
        s.dpd = uint32(f.dpd);
        s.bucket = LoanMath.bucketOf(f.dpd);
        s.classification = s.status == ILoanLedgerTypes.LoanStatus.WrittenOff
            ? ILoanLedgerTypes.Classification.Loss
            : _classify(f.dpd, policies[h.policyId]);
        s.amountOverdue = f.amountOverdue;
        s.penaltyOutstanding = f.penaltyOutstanding;
        s.nextDueDate = uint64(f.nextDueDate);
        s.nextDueAmount = f.nextDueAmount;
        (s.outstandingPrincipal, s.outstandingInterest) = outstanding(l);
    }

    // ------------------------------------------------------------------ repayment

    /// @dev The cursor installment's working state during a repayment, and what storage held.
    struct Cursor {
        uint256 index;
        uint256 paid;
        uint256 penaltyPaid;
        uint256 base;
        uint256 baseDays;
        uint256 streak;
        uint256 storedPaid;
        uint256 storedPenaltyPaid;
        uint256 storedBase;
        uint256 storedBaseDays;
    }

    /// @dev Applies `amount` paid at `paidAt` by the waterfall: per installment, oldest first,
    /// penalties and fees, then interest, then principal, at t = max(paidAt, last payment time):
    /// the penalty checkpoint never goes back, so an attestation dated before a later on-chain
    /// payment is applied as of that payment (docs/ledger-rules.md). Reverts on anything beyond the
    /// payoff. Writes only the words that changed.
    function applyRepayment(
        LoanLedgerStorage.Loan storage l,
        uint256 loanId,
        ScheduleStore.Header memory h,
        uint256 amount,
        uint256 paidAt
    ) internal returns (Breakdown memory b) {
        uint256 t = uint256(h.startedAt) + l.lastPaidOffset;
        if (paidAt > t) t = paidAt;
        Cursor memory cur;
        cur.index = l.cursor;
        cur.paid = cur.storedPaid = l.paid;
        cur.penaltyPaid = cur.storedPenaltyPaid = l.penaltyPaid;
        LoanFlags flags = l.flags;
        cur.streak = flags.streak();
        {
            // The checkpoint can only be non-zero once the cursor is past its grace period.
            (uint256 due,,) = ScheduleStore.readInstallment(l.schedule, widthOf(l), cur.index);
            if (LoanMath.penaltyDays(due, t, h.penalty.graceDays) != 0) {
                cur.base = cur.storedBase = l.penaltyBase;
                cur.baseDays = cur.storedBaseDays = l.penaltyBaseDays;
            }
        }
        uint256 startCursor = cur.index;
        uint256 n = l.count;
        uint256 rest = amount;
        while (rest != 0 && cur.index < n) {
            rest = _payCursor(l, cur, h.penalty, t, rest, b);
        }
        if (rest != 0) revert ILoanLedger.LoanLedgerOverpayment(loanId, rest);
        if (cur.index != startCursor) {
            l.cursor = uint16(cur.index);
            _setStage(l, 0);
        }
        if (flags.observation()) {
            l.flags = flags.setStreak(cur.streak);
        }
        // Under an arrears plan every repayment counts towards its parts.
        if (flags.relief() && l.planStart != 0) l.planPaid += uint128(amount);
        // Safe: startedAt <= t <= block time < 2^40 (paidAt is checked against the version's start).
        l.lastPaidOffset = uint40(t - h.startedAt);
        if (cur.paid != cur.storedPaid || cur.penaltyPaid != cur.storedPenaltyPaid) {
            l.paid = uint128(cur.paid);
            l.penaltyPaid = uint128(cur.penaltyPaid);
        }
        if (cur.base != cur.storedBase || cur.baseDays != cur.storedBaseDays) {
            l.penaltyBase = uint128(cur.base);
            l.penaltyBaseDays = uint24(cur.baseDays);
        }
        // A payment of penalties resets the assessment, so the next accrual is announced again.
        if (b.penalty != 0) l.penaltyAssessed = 0;
    }

    /// @dev Pays what it can of the cursor installment; moves the cursor when it is settled.
    function _payCursor(
        LoanLedgerStorage.Loan storage l,
        Cursor memory cur,
        ILoanLedgerTypes.PenaltyTerms memory terms,
        uint256 t,
        uint256 rest,
        Breakdown memory b
    ) private view returns (uint256) {
        uint256 owed;
        uint256 r;
        uint256 pd;
        bool onTime;
        {
            (uint256 due, uint256 p, uint256 interest) = ScheduleStore.readInstallment(l.schedule, widthOf(l), cur.index);
            owed = p + interest;
            r = interest;
            pd = LoanMath.penaltyDays(due, t, terms.graceDays);
            onTime = LoanMath.daysLate(due, t) == 0;
        }
        if (pd > cur.baseDays) {
            // Checkpoint the accumulator before this payment changes the unpaid amount.
            cur.base += (owed - cur.paid) * (pd - cur.baseDays);
            cur.baseDays = pd;
        }
        {
            uint256 x = Math.min(rest, LoanMath.penalty(cur.base, pd, terms) - cur.penaltyPaid);
            cur.penaltyPaid += x;
            b.penalty += x;
            rest -= x;
        }
        {
            uint256 x = Math.min(rest, owed - cur.paid);
            // Within the installment, interest before principal.
            uint256 toInterest = cur.paid < r ? Math.min(x, r - cur.paid) : 0;
            b.interest += toInterest;
            b.principal += x - toInterest;
            cur.paid += x;
            rest -= x;
        }
        if (cur.paid < owed) return rest;
        cur.streak = onTime ? Math.min(cur.streak + 1, LoanBits.MAX_STREAK) : 0;
        ++cur.index;
        cur.paid = 0;
        cur.penaltyPaid = 0;
        // (0, 0) is the same checkpoint as (owed * penaltyDays, penaltyDays) for an untouched installment.
        cur.base = 0;
        cur.baseDays = 0;
        return rest;
    }

    /// @dev After a repayment: closes a repaid loan, records the classification now, ends observation.
    function afterRepayment(
        LoanLedgerStorage.Loan storage l,
        uint256 loanId,
        ScheduleStore.Header memory h,
        mapping(uint32 => PolicyStore.Packed) storage policies
    ) internal {
        uint256 c = l.cursor;
        uint256 dpd;
        ILoanLedgerTypes.Classification cls = ILoanLedgerTypes.Classification.Normal;
        if (c < l.count) {
            (uint256 due,,) = ScheduleStore.readInstallment(l.schedule, widthOf(l), c);
            dpd = LoanMath.daysLate(due, block.timestamp);
            if (dpd != 0) cls = _classify(dpd, policies[h.policyId]);
        }
        ILoanLedgerTypes.Classification from = recordedClassification(l);
        if (cls != from) {
            _setClassification(l, cls);
            emit ILoanLedger.ClassificationChanged(loanId, from, cls, uint32(dpd));
        }
        if (c >= l.count) {
            l.status = ILoanLedgerTypes.LoanStatus.Closed;
            emit ILoanLedger.LoanClosed(loanId, uint64(block.timestamp));
        } else if (_observationEnds(l, h, dpd, block.timestamp)) {
            l.flags = l.flags.clearObservation();
            emit ILoanLedger.ObservationEnded(loanId);
        }
    }

    // ------------------------------------------------------------------ poke

    /// @dev What a poke at `t` would emit (a view, shared by poke and checkUpkeep).
    function plan(
        LoanLedgerStorage.Loan storage l,
        ScheduleStore.Header memory h,
        PolicyStore.Packed storage pol,
        uint256 t
    ) internal view returns (Plan memory p) {
        uint256 c = l.cursor;
        if (c >= l.count) return p;
        if (l.flags.relief()) {
            uint256 holidayEnd = l.holidayEnd;
            if (holidayEnd != 0) {
                // Nothing is emitted during a payment holiday; the first poke after it closes it.
                if (t < holidayEnd) return p;
                p.endHoliday = true;
            } else {
                // An arrears plan: its parts due by t are judged; while it stands nothing else is emitted.
                (p.partsKept, p.endPlan) = judgeArrearsPlan(l, t);
                if (!p.endPlan) {
                    p.due = p.partsKept != 0;
                    return p;
                }
            }
        }
        (uint256 due,,) = ScheduleStore.readInstallment(l.schedule, widthOf(l), c);
        p.cursor = c;
        p.dueDate = due;
        p.dpd = LoanMath.daysLate(due, t);
        uint256 k = stageOf(l);
        uint256 reminders = pol.reminders;
        uint256 stages = PolicyStore.stageCount(reminders);
        while (k < stages && int256(due) + int256(PolicyStore.offsetOf(reminders, k)) * int256(LoanMath.DAY) <= int256(t)) {
            ++k;
        }
        p.stageTo = k;
        if (LoanMath.penaltyDays(due, t, h.penalty.graceDays) != 0) {
            p.penaltyOutstanding = figures(l, h, t).penaltyOutstanding;
            p.assess = p.penaltyOutstanding != 0 && _saturate104(p.penaltyOutstanding) != l.penaltyAssessed;
        }
        p.classification = _classify(p.dpd, pol);
        p.reclassify = p.classification != recordedClassification(l);
        p.defaultNow = p.dpd != 0 && !l.flags.defaulted() && p.dpd > pol.defaultAfterDays;
        p.endObservation = _observationEnds(l, h, p.dpd, t);
        p.due = k > stageOf(l) || p.assess || p.reclassify || p.defaultNow || p.endObservation || p.endHoliday || p.endPlan;
    }

    /// @dev Emits what is due now, in the order of docs/ledger-rules.md, for a loan without relief in
    /// force (the RELIEF flag clear); one with it is poked by ReliefLogic.pokeUnderRelief.
    function poke(
        LoanLedgerStorage.Loan storage l,
        uint256 loanId,
        ScheduleStore.Header memory h,
        PolicyStore.Packed storage pol
    ) internal {
        Plan memory p = plan(l, h, pol, block.timestamp);
        if (p.due) pokeCourse(l, loanId, pol, p);
    }

    /// @dev Emits the normal course of plan `p` (reminders, assessment, classification, default, end of
    /// observation); the relief part of `p`, if any, is ReliefLogic.pokeUnderRelief's.
    function pokeCourse(LoanLedgerStorage.Loan storage l, uint256 loanId, PolicyStore.Packed storage pol, Plan memory p)
        internal
    {
        uint256 reminders = pol.reminders;
        for (uint256 k = stageOf(l); k < p.stageTo; ++k) {
            emit ILoanLedger.ReminderTriggered(
                loanId, uint16(p.cursor), uint8(k), PolicyStore.offsetOf(reminders, k), uint64(p.dueDate), uint32(p.dpd)
            );
        }
        _setStage(l, p.stageTo);
        if (p.assess) {
            l.penaltyAssessed = _saturate104(p.penaltyOutstanding);
            emit ILoanLedger.PenaltyAssessed(loanId, uint16(p.cursor), p.penaltyOutstanding, uint32(p.dpd));
        }
        if (p.reclassify) {
            emit ILoanLedger.ClassificationChanged(loanId, recordedClassification(l), p.classification, uint32(p.dpd));
            _setClassification(l, p.classification);
        }
        if (p.defaultNow) {
            l.flags = l.flags.setDefaulted();
            emit ILoanLedger.LoanDefaulted(loanId, uint16(p.cursor), uint32(p.dpd));
        }
        if (p.endObservation) {
            l.flags = l.flags.clearObservation();
            emit ILoanLedger.ObservationEnded(loanId);
        }
    }

    // ------------------------------------------------------------------ arrears plan

    /// @dev Judges the plan's parts due by `t`, in order: how many are kept, and whether the plan ends
    /// (a part missed, or the last one kept).
    function judgeArrearsPlan(LoanLedgerStorage.Loan storage l, uint256 t) internal view returns (uint256 kept, bool ends) {
        uint256 n = l.planParts.length;
        uint256 first = l.planNext;
        uint256 paid = l.planPaid;
        for (uint256 i = first; i < n; ++i) {
            LoanLedgerStorage.ArrearsCheckpoint memory part = l.planParts[i];
            if (part.dueDate > t) return (i - first, false);
            if (paid < arrearsRequired(l, part)) return (i - first, true);
        }
        return (n - first, true);
    }

    /// @dev What must have been repaid since the plan's creation by `part`'s due date: the parts up to
    /// it, plus the installments (from the first not overdue at the creation) due by then.
    function arrearsRequired(LoanLedgerStorage.Loan storage l, LoanLedgerStorage.ArrearsCheckpoint memory part)
        internal
        view
        returns (uint256 required)
    {
        required = part.cumulative;
        address blob = l.schedule;
        uint256 width = widthOf(l);
        uint256 n = l.count;
        for (uint256 j = l.planFirstRegular; j < n; ++j) {
            (uint256 due, uint256 p, uint256 r) = ScheduleStore.readInstallment(blob, width, j);
            if (due > part.dueDate) break;
            required += p + r;
        }
    }

    // ------------------------------------------------------------------ restructuring

    /// @dev Replaces the schedule with a new version covering the outstanding principal.
    function restructure(
        LoanLedgerStorage.Loan storage l,
        uint256 loanId,
        ScheduleStore.Header memory h,
        ILoanLedgerTypes.Installment[] calldata schedule,
        bytes32 scheduleHash
    ) internal {
        (uint256 principal, uint256 interest) = outstanding(l);
        uint256 forgiven = figures(l, h, block.timestamp).penaltyOutstanding;
        uint256 width = validateSchedule(schedule, principal, block.timestamp);
        h.principal = uint96(principal);
        h.startedAt = uint40(block.timestamp);
        uint16 version = ++h.version;
        startVersion(l, ScheduleStore.write(h, schedule, width), schedule.length, width);
        // Observation on, streak 0; the defaulted flag and the recorded classification stay.
        l.flags = l.flags.restartObservation();
        emit ILoanLedger.LoanRestructured(loanId, version, principal, interest, forgiven, scheduleHash, schedule);
    }

    // ------------------------------------------------------------------ helpers

    /// @dev The loan on a new schedule version (`blob`, whose header the caller wrote with a new
    /// start): at its first installment, reminders from stage 0, nothing paid on it.
    function startVersion(LoanLedgerStorage.Loan storage l, address blob, uint256 count, uint256 width) internal {
        l.schedule = blob;
        l.cursor = 0;
        l.count = uint16(count);
        l.widthStage = LoanBits.newWidthStage(width);
        l.lastPaidOffset = 0;
        clearCursorState(l);
    }

    /// @dev Words 1 and 2 to zero: nothing paid on the cursor installment, a fresh penalty
    /// checkpoint, no assessment (a new schedule version, or a loan that ended).
    function clearCursorState(LoanLedgerStorage.Loan storage l) internal {
        l.paid = 0;
        l.penaltyPaid = 0;
        l.penaltyBase = 0;
        l.penaltyBaseDays = 0;
        l.penaltyAssessed = 0;
    }

    function _classify(uint256 dpd, PolicyStore.Packed storage pol)
        private
        view
        returns (ILoanLedgerTypes.Classification)
    {
        if (dpd == 0) return ILoanLedgerTypes.Classification.Normal;
        return LoanMath.classify(dpd, pol.substandardAfterDays, pol.doubtfulAfterDays, pol.lossAfterDays);
    }

    /// @dev Observation ends after two consecutive on-time installments, a year since the
    /// restructuring, and with nothing overdue.
    function _observationEnds(LoanLedgerStorage.Loan storage l, ScheduleStore.Header memory h, uint256 dpd, uint256 t)
        private
        view
        returns (bool)
    {
        LoanFlags flags = l.flags;
        return flags.observation() && flags.streak() >= _OBSERVATION_ON_TIME && dpd == 0
            && t >= uint256(h.startedAt) + _OBSERVATION_PERIOD;
    }

    function _saturate104(uint256 x) private pure returns (uint104) {
        return x > type(uint104).max ? type(uint104).max : uint104(x);
    }
}
