// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ILoanLedgerTypes} from "../interfaces/ILoanLedger.sol";

/// @title LoanMath: lateness, default interest, buckets and classification.
/// @dev Pure functions; the TypeScript twin is src/domain (docs/ledger-rules.md is the contract
/// between them). Worked examples are in the comments so a reviewer can check the rounding.
library LoanMath {
    uint256 internal constant DAY = 86_400;
    /// @dev Basis points per year on an ACT/365 day count: 10_000 * 365.
    uint256 internal constant YEAR_BPS = 3_650_000;

    /// @dev Whole days from `dueDate` to `t`; 0 on or before the due date.
    /// Example: due 00:00, t = due + 86_399 -> 0; t = due + 86_400 -> 1.
    function daysLate(uint256 dueDate, uint256 t) internal pure returns (uint256) {
        unchecked {
            // Safe: the subtraction only happens when t > dueDate.
            return t > dueDate ? (t - dueDate) / DAY : 0;
        }
    }

    /// @dev Days late beyond the grace period; penalties accrue for these days only.
    function penaltyDays(uint256 dueDate, uint256 t, uint256 graceDays) internal pure returns (uint256) {
        uint256 late = daysLate(dueDate, t);
        unchecked {
            // Safe: the subtraction only happens when late > graceDays.
            return late > graceDays ? late - graceDays : 0;
        }
    }

    /// @dev Round n/d to the nearest integer, exact halves up: floor((2n + d) / 2d).
    /// Example: 5/2 -> 3, 7/4 -> 2, 5/4 -> 1.
    function halfUp(uint256 n, uint256 d) internal pure returns (uint256) {
        return (2 * n + d) / (2 * d);
    }

    /// @dev Penalty of one installment from its accumulator `u` (unpaid amount x penalty days).
    /// Default interest rounds half-up once per installment; the flat fee applies once the grace
    /// period is over; the legal-cap term rounds down, so the result never exceeds the cap.
    /// Example: u = 100_000 x 10 days, 1_800 bps -> halfUp(1_800_000_000, 3_650_000) = 493;
    /// cap room 1_500 bps -> floor(1_500_000_000 / 3_650_000) = 410, so 410.
    function penalty(uint256 u, uint256 pDays, ILoanLedgerTypes.PenaltyTerms memory terms)
        internal
        pure
        returns (uint256)
    {
        if (pDays == 0) return 0;
        uint256 charged = halfUp(u * terms.penaltyRateBps, YEAR_BPS) + terms.lateFee;
        uint256 cap = (u * terms.capRoomBps) / YEAR_BPS;
        return charged < cap ? charged : cap;
    }

    /// @dev Collection bucket: 0 = M0 (current), 1..6 = M1..M6 (30-day bands), 7 = M7+ (over 180).
    function bucketOf(uint256 dpd) internal pure returns (uint8) {
        if (dpd == 0) return 0;
        if (dpd > 180) return 7;
        // 1..30 -> 1, 31..60 -> 2, ..., 151..180 -> 6.
        return uint8((dpd + 29) / 30);
    }

    /// @dev Five-category classification from DPD and the policy's thresholds.
    function classify(uint256 dpd, uint256 substandardAfter, uint256 doubtfulAfter, uint256 lossAfter)
        internal
        pure
        returns (ILoanLedgerTypes.Classification)
    {
        if (dpd == 0) return ILoanLedgerTypes.Classification.Normal;
        if (dpd > lossAfter) return ILoanLedgerTypes.Classification.Loss;
        if (dpd > doubtfulAfter) return ILoanLedgerTypes.Classification.Doubtful;
        if (dpd > substandardAfter) return ILoanLedgerTypes.Classification.Substandard;
        return ILoanLedgerTypes.Classification.SpecialMention;
    }
}
