// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ILoanLedgerTypes} from "../interfaces/ILoanLedger.sol";

/// @title PolicyStore: lenders' collection policies, packed in two storage words.
/// @dev Word 0: graceDays | penaltyRateBps | lateFee | thresholds | defaultAfterDays.
/// Word 1 (reminders): up to 15 offsets, int16 each, stage k in bits [16k, 16k + 16); the number
/// of stages in bits [240, 256). A poke of a loan that is not overdue reads word 1 only.
library PolicyStore {
    uint256 internal constant MAX_STAGES = 15;
    uint16 internal constant MAX_GRACE_DAYS = 90;
    int16 internal constant MIN_OFFSET_DAYS = -365;
    int16 internal constant MAX_OFFSET_DAYS = 3650;

    struct Packed {
        uint16 graceDays;
        uint16 penaltyRateBps;
        uint96 lateFee;
        uint16 substandardAfterDays;
        uint16 doubtfulAfterDays;
        uint16 lossAfterDays;
        uint16 defaultAfterDays;
        uint256 reminders;
    }

    /// @dev The product defaults (SPEC): grace 3 days, no default interest or fee until the lender
    /// sets them, reminders -3/+1/+7/+15/+30/+60/+90, thresholds 90/270/360, default after 90 DPD.
    function defaults() internal pure returns (ILoanLedgerTypes.Policy memory p) {
        p.graceDays = 3;
        p.substandardAfterDays = 90;
        p.doubtfulAfterDays = 270;
        p.lossAfterDays = 360;
        p.defaultAfterDays = 90;
        p.reminderOffsetsDays = new int16[](7);
        p.reminderOffsetsDays[0] = -3;
        p.reminderOffsetsDays[1] = 1;
        p.reminderOffsetsDays[2] = 7;
        p.reminderOffsetsDays[3] = 15;
        p.reminderOffsetsDays[4] = 30;
        p.reminderOffsetsDays[5] = 60;
        p.reminderOffsetsDays[6] = 90;
    }

    /// @dev Packs a policy that {ILoanLedger-setPolicy} has validated.
    function pack(ILoanLedgerTypes.Policy memory p) internal pure returns (Packed memory q) {
        q.graceDays = p.graceDays;
        q.penaltyRateBps = p.penaltyRateBps;
        q.lateFee = p.lateFee;
        q.substandardAfterDays = p.substandardAfterDays;
        q.doubtfulAfterDays = p.doubtfulAfterDays;
        q.lossAfterDays = p.lossAfterDays;
        q.defaultAfterDays = p.defaultAfterDays;
        uint256 n = p.reminderOffsetsDays.length;
        q.reminders = n << 240;
        for (uint256 k; k < n; ++k) {
            q.reminders |= uint256(uint16(p.reminderOffsetsDays[k])) << (16 * k);
        }
    }

    function unpack(Packed memory q) internal pure returns (ILoanLedgerTypes.Policy memory p) {
        p.graceDays = q.graceDays;
        p.penaltyRateBps = q.penaltyRateBps;
        p.lateFee = q.lateFee;
        p.substandardAfterDays = q.substandardAfterDays;
        p.doubtfulAfterDays = q.doubtfulAfterDays;
        p.lossAfterDays = q.lossAfterDays;
        p.defaultAfterDays = q.defaultAfterDays;
        uint256 n = stageCount(q.reminders);
        p.reminderOffsetsDays = new int16[](n);
        for (uint256 k; k < n; ++k) {
            p.reminderOffsetsDays[k] = offsetOf(q.reminders, k);
        }
    }

    /// @dev Reminder offset of stage `k` in a reminders word.
    function offsetOf(uint256 reminders, uint256 k) internal pure returns (int16) {
        return int16(uint16(reminders >> (16 * k)));
    }

    /// @dev Number of stages in a reminders word.
    function stageCount(uint256 reminders) internal pure returns (uint256) {
        return reminders >> 240;
    }
}
