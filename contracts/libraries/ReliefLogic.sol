// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ILoanLedger, ILoanLedgerTypes} from "../interfaces/ILoanLedger.sol";
import {ILoanReliefEvents} from "../interfaces/ILoanRelief.sol";
import {LoanLedgerStorage} from "../LoanLedgerStorage.sol";
import {LoanFlags} from "./LoanBits.sol";
import {LoanLogic} from "./LoanLogic.sol";
import {LoanMath} from "./LoanMath.sol";
import {PolicyStore} from "./PolicyStore.sol";
import {ScheduleStore} from "./ScheduleStore.sol";

/// @title ReliefLogic: what a payment holiday, an arrears plan and a settlement do to a loan (docs/ledger-rules.md, "Relief").
/// @dev src/domain/relief.ts is the TypeScript twin; test/contracts/LoanLedger.property.test.ts
/// (its relief property) checks the two against each other.
library ReliefLogic {
    using LoanLogic for LoanLedgerStorage.Loan;

    uint256 private constant _MAX_AMOUNT = 1 << 96;
    uint256 private constant _MAX_DUE_DATE = 1 << 40;
    /// @dev The period for End placement when the schedule has a single installment.
    uint256 private constant _DEFAULT_PERIOD = 30 days;
    /// @dev The most parts an arrears plan may have (LoanRelief.MAX_ARREARS_PARTS).
    uint256 internal constant MAX_ARREARS_PARTS = 36;

    /// @dev The end of a holiday deferring `terms.installments` from the cursor: the last deferred
    /// installment's due date. Reverts unless 1 <= installments <= unpaid installments (Spread: fewer).
    function holidayEnd(LoanLedgerStorage.Loan storage l, ILoanReliefEvents.HolidayTerms calldata terms) internal view returns (uint256 to) {
        uint256 c = l.cursor;
        uint256 k = terms.installments;
        uint256 available = uint256(l.count) - c;
        if (k == 0 || k > available || (terms.placement == ILoanReliefEvents.HolidayPlacement.Spread && k == available)) {
            revert ILoanReliefEvents.LoanLedgerInvalidHolidayInstallments(terms.installments, available);
        }
        (to,,) = ScheduleStore.readInstallment(l.schedule, l.widthOf(), c + k - 1);
    }

    /// @dev Writes the holiday's schedule version and flags the holiday (see ILoanRelief.grantPaymentHoliday),
    /// `to` being {holidayEnd}'s. The deferred installments are the `k` oldest unpaid ones: the cursor's
    /// unpaid rest (interest paid first, as the waterfall does) and the k - 1 after it.
    function grantHoliday(
        LoanLedgerStorage.Loan storage l,
        uint256 loanId,
        ScheduleStore.Header memory h,
        ILoanReliefEvents.HolidayTerms calldata terms,
        uint256 to
    ) internal {
        uint256 c = l.cursor;
        uint256 k = terms.installments;
        bool spread = terms.placement == ILoanReliefEvents.HolidayPlacement.Spread;
        if (to <= block.timestamp) revert ILoanReliefEvents.LoanLedgerHolidayInPast(uint64(to));
        ILoanReliefEvents.HolidayFigures memory f;
        f.forgivenPenalty = l.figures(h, block.timestamp).penaltyOutstanding;
        ILoanLedgerTypes.Installment[] memory deferred = _deferred(l, k, terms.interest, f);
        ILoanLedgerTypes.Installment[] memory schedule =
            spread ? _spread(l, c + k, deferred) : _atEnd(l, c + k, to, deferred);
        if (schedule.length == 0) revert ILoanReliefEvents.LoanLedgerInvalidHolidayInstallments(terms.installments, uint256(l.count) - c);
        (uint256 width, uint256 principal) = _check(schedule);
        h.principal = uint96(principal);
        h.startedAt = uint40(block.timestamp);
        uint16 version = ++h.version;
        l.startVersion(ScheduleStore.writeMemory(h, schedule, width), schedule.length, width);
        l.holidayEnd = uint40(to);
        LoanFlags flags = l.flags.setRelief();
        emit ILoanReliefEvents.PaymentHolidayGranted(loanId, version, uint64(block.timestamp), uint64(to), terms, f, schedule);
        // Nothing is overdue now: record Normal at once, so no poke during the holiday has to.
        ILoanLedgerTypes.Classification from = flags.classification();
        if (from != ILoanLedgerTypes.Classification.Normal) {
            flags = flags.setClassification(ILoanLedgerTypes.Classification.Normal);
            emit ILoanLedger.ClassificationChanged(loanId, from, ILoanLedgerTypes.Classification.Normal, 0);
        }
        l.flags = flags;
    }

    /// @dev Stores an arrears plan of `parts` (see ILoanRelief.createArrearsPlan); the caller has poked
    /// the loan and checked consent, status and that no relief is in force.
    function createArrearsPlan(
        LoanLedgerStorage.Loan storage l,
        uint256 loanId,
        ScheduleStore.Header memory h,
        ILoanReliefEvents.ArrearsPart[] calldata parts
    ) internal {
        uint256 n = parts.length;
        if (n == 0 || n > MAX_ARREARS_PARTS) revert ILoanReliefEvents.LoanLedgerInvalidArrearsPartCount(n, MAX_ARREARS_PARTS);
        LoanLogic.Figures memory f = l.figures(h, block.timestamp);
        uint256 arrears = f.amountOverdue + f.penaltyOutstanding;
        if (arrears == 0) revert ILoanReliefEvents.LoanLedgerNoArrears(loanId);
        uint256 previous = block.timestamp;
        uint256 sum;
        for (uint256 i; i < n; ++i) {
            uint256 due = parts[i].dueDate;
            uint256 amount = parts[i].amount;
            if (due <= previous || due >= _MAX_DUE_DATE) revert ILoanReliefEvents.LoanLedgerInvalidArrearsPartDate(i, uint64(due));
            if (amount == 0) revert ILoanReliefEvents.LoanLedgerEmptyArrearsPart(i);
            // A part above the arrears fails the sum check below; this bound keeps the sum from overflowing.
            if (amount > arrears) revert ILoanReliefEvents.LoanLedgerArrearsMismatch(amount, arrears);
            sum += amount;
            l.planParts.push(LoanLedgerStorage.ArrearsCheckpoint(uint40(due), uint216(sum)));
            previous = due;
        }
        if (sum != arrears) revert ILoanReliefEvents.LoanLedgerArrearsMismatch(sum, arrears);
        // The installments after the overdue ones are the regular course the plan runs alongside.
        uint256 regular = l.cursor;
        uint256 count = l.count;
        address blob = l.schedule;
        uint256 width = l.widthOf();
        while (regular < count) {
            (uint256 due,,) = ScheduleStore.readInstallment(blob, width, regular);
            if (LoanMath.daysLate(due, block.timestamp) == 0) break;
            ++regular;
        }
        l.planStart = uint40(block.timestamp);
        l.planFirstRegular = uint16(regular);
        l.flags = l.flags.setRelief();
        emit ILoanReliefEvents.ArrearsPlanCreated(loanId, uint64(block.timestamp), arrears, f.amountOverdue, f.penaltyOutstanding, parts);
    }

    /// @dev Pokes a loan with the RELIEF flag set: closes a holiday that is over, or judges the arrears
    /// plan's parts due; then, once no relief is in force, emits the normal course as LoanLogic.poke does.
    function pokeUnderRelief(
        LoanLedgerStorage.Loan storage l,
        uint256 loanId,
        ScheduleStore.Header memory h,
        PolicyStore.Packed storage pol
    ) internal {
        LoanLogic.Plan memory p = l.plan(h, pol, block.timestamp);
        if (!p.due) return;
        if (p.endHoliday) {
            emit ILoanReliefEvents.PaymentHolidayEnded(loanId, uint64(l.holidayEnd));
            l.flags = l.flags.clearRelief();
            l.holidayEnd = 0;
        } else {
            _closeArrearsParts(l, loanId, p.partsKept, p.endPlan);
            if (!p.endPlan) return;
        }
        l.pokeCourse(loanId, pol, p);
    }

    /// @dev Emits ArrearsPartKept for the `kept` parts judged; when the plan `ends`, ArrearsPlanBroken
    /// (a part missed) or ArrearsPlanCompleted, and clears it.
    function _closeArrearsParts(LoanLedgerStorage.Loan storage l, uint256 loanId, uint256 kept, bool ends) private {
        uint256 i = l.planNext;
        uint256 paid = l.planPaid;
        for (uint256 end = i + kept; i < end; ++i) {
            LoanLedgerStorage.ArrearsCheckpoint memory part = l.planParts[i];
            emit ILoanReliefEvents.ArrearsPartKept(loanId, uint16(i), part.dueDate, l.arrearsRequired(part), paid);
        }
        if (!ends) {
            l.planNext = uint16(i);
            return;
        }
        if (i < l.planParts.length) {
            LoanLedgerStorage.ArrearsCheckpoint memory part = l.planParts[i];
            emit ILoanReliefEvents.ArrearsPlanBroken(loanId, uint16(i), part.dueDate, l.arrearsRequired(part), paid);
        } else {
            emit ILoanReliefEvents.ArrearsPlanCompleted(loanId, paid);
        }
        _clearArrearsPlan(l);
    }

    /// @dev No arrears plan in force any more (ended, or the loan left Active).
    function _clearArrearsPlan(LoanLedgerStorage.Loan storage l) private {
        l.flags = l.flags.clearRelief();
        l.planStart = 0;
        l.planNext = 0;
        l.planFirstRegular = 0;
        l.planPaid = 0;
        delete l.planParts;
    }

    /// @dev Ends the loan as Settled for `amount`: penalties, then interest, then principal are paid
    /// from it, as far as it goes; the rest of each is forgiven. Figures as of the block time.
    function settle(LoanLedgerStorage.Loan storage l, ScheduleStore.Header memory h, uint256 amount)
        internal
        returns (ILoanReliefEvents.SettlementFigures memory f)
    {
        (uint256 principal, uint256 interest) = l.outstanding();
        uint256 penalty = l.figures(h, block.timestamp).penaltyOutstanding;
        uint256 owed = principal + interest + penalty;
        if (amount >= owed) revert ILoanReliefEvents.LoanLedgerInvalidSettlementAmount(amount, owed);
        f.penaltyPaid = Math.min(amount, penalty);
        f.interestPaid = Math.min(amount - f.penaltyPaid, interest);
        f.principalPaid = amount - f.penaltyPaid - f.interestPaid;
        f.penaltyForgiven = penalty - f.penaltyPaid;
        f.interestForgiven = interest - f.interestPaid;
        // amount < owed, so principalPaid < principal.
        f.principalForgiven = principal - f.principalPaid;
        l.status = ILoanLedgerTypes.LoanStatus.Settled;
        // Nothing is outstanding or overdue any more: the cursor past the end, as for a repaid loan.
        l.cursor = l.count;
        // A holiday or plan in force ends with the loan (word 3 is read only while the flag is set).
        l.flags = l.flags.clearRelief();
        l.clearCursorState();
    }

    /// @dev The `k` deferred installments from the cursor, unpaid parts only, the interest treated
    /// per `interest`; adds up the figures.
    function _deferred(
        LoanLedgerStorage.Loan storage l,
        uint256 k,
        ILoanReliefEvents.HolidayInterest interest,
        ILoanReliefEvents.HolidayFigures memory f
    ) private view returns (ILoanLedgerTypes.Installment[] memory deferred) {
        deferred = new ILoanLedgerTypes.Installment[](k);
        address blob = l.schedule;
        uint256 width = l.widthOf();
        uint256 c = l.cursor;
        for (uint256 i; i < k; ++i) {
            (uint256 due, uint256 p, uint256 r) = ScheduleStore.readInstallment(blob, width, c + i);
            if (i == 0) {
                // Within an installment interest is paid before principal.
                uint256 paid = l.paid;
                uint256 interestPaid = Math.min(paid, r);
                r -= interestPaid;
                p -= paid - interestPaid;
            }
            f.deferredPrincipal += p;
            f.deferredInterest += r;
            if (interest == ILoanReliefEvents.HolidayInterest.Capitalised) {
                p += r;
                r = 0;
            } else if (interest == ILoanReliefEvents.HolidayInterest.Waived) {
                f.waivedInterest += r;
                r = 0;
            }
            deferred[i] = ILoanLedgerTypes.Installment(uint64(due), p, r);
        }
    }

    /// @dev End placement: the installments from `first` unchanged, then each non-empty deferred one,
    /// one period apart after the last (or after `to` when none remain).
    function _atEnd(LoanLedgerStorage.Loan storage l, uint256 first, uint256 to, ILoanLedgerTypes.Installment[] memory deferred)
        private
        view
        returns (ILoanLedgerTypes.Installment[] memory schedule)
    {
        uint256 n = l.count;
        address blob = l.schedule;
        uint256 width = l.widthOf();
        uint256 kept;
        for (uint256 i; i < deferred.length; ++i) {
            if (deferred[i].principal != 0 || deferred[i].interest != 0) ++kept;
        }
        schedule = new ILoanLedgerTypes.Installment[](n - first + kept);
        uint256 last = to;
        for (uint256 j = first; j < n; ++j) {
            (uint256 due, uint256 p, uint256 r) = ScheduleStore.readInstallment(blob, width, j);
            schedule[j - first] = ILoanLedgerTypes.Installment(uint64(due), p, r);
            last = due;
        }
        uint256 period = _DEFAULT_PERIOD;
        if (n >= 2) {
            (uint256 a,,) = ScheduleStore.readInstallment(blob, width, n - 2);
            (uint256 b,,) = ScheduleStore.readInstallment(blob, width, n - 1);
            period = b - a;
        }
        uint256 at = n - first;
        for (uint256 i; i < deferred.length; ++i) {
            ILoanLedgerTypes.Installment memory d = deferred[i];
            if (d.principal == 0 && d.interest == 0) continue;
            last += period;
            if (last >= _MAX_DUE_DATE) revert ILoanLedger.LoanLedgerDueDateTooLate(at, uint64(last));
            schedule[at++] = ILoanLedgerTypes.Installment(uint64(last), d.principal, d.interest);
        }
    }

    /// @dev Spread placement: the installments from `first`, each with an equal share of the deferred
    /// principal and interest added (floor division); the last takes the residue.
    function _spread(LoanLedgerStorage.Loan storage l, uint256 first, ILoanLedgerTypes.Installment[] memory deferred)
        private
        view
        returns (ILoanLedgerTypes.Installment[] memory schedule)
    {
        uint256 sumP;
        uint256 sumR;
        for (uint256 i; i < deferred.length; ++i) {
            sumP += deferred[i].principal;
            sumR += deferred[i].interest;
        }
        uint256 m = uint256(l.count) - first;
        schedule = new ILoanLedgerTypes.Installment[](m);
        address blob = l.schedule;
        uint256 width = l.widthOf();
        for (uint256 j; j < m; ++j) {
            (uint256 due, uint256 p, uint256 r) = ScheduleStore.readInstallment(blob, width, first + j);
            // Worked example: 1,000 over 3 installments adds 333, 333 and 334.
            bool last = j == m - 1;
            p += sumP / m + (last ? sumP % m : 0);
            r += sumR / m + (last ? sumR % m : 0);
            schedule[j] = ILoanLedgerTypes.Installment(uint64(due), p, r);
        }
    }

    /// @dev Checks the amounts fit the blob; returns the byte width they need and the principal total.
    function _check(ILoanLedgerTypes.Installment[] memory schedule) private pure returns (uint256 width, uint256 principal) {
        uint256 bits;
        for (uint256 i; i < schedule.length; ++i) {
            uint256 p = schedule[i].principal;
            uint256 r = schedule[i].interest;
            if (p >= _MAX_AMOUNT) revert ILoanLedger.LoanLedgerAmountTooLarge(i, p);
            if (r >= _MAX_AMOUNT) revert ILoanLedger.LoanLedgerAmountTooLarge(i, r);
            bits |= p | r;
            principal += p;
        }
        if (principal >= _MAX_AMOUNT) revert ILoanLedger.LoanLedgerAmountTooLarge(schedule.length, principal);
        width = bits == 0 ? 1 : Math.log256(bits) + 1;
    }
}
