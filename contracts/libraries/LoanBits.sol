// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ILoanLedgerTypes} from "../interfaces/ILoanLedger.sol";

/// @dev Byte `widthStage` of a loan's word 0 (LoanLedgerStorage.Loan):
///
///   bit  | 7 6 5 4 | 3 2 1 0 |
///        | stage   | width   |
///
///   width: bytes per amount in the current schedule blob (1..12, see ScheduleStore)
///   stage: the next reminder stage of the cursor installment (0..15; a policy has at most 15)
type WidthStage is uint8;

/// @dev Byte `flags` of a loan's word 0 (LoanLedgerStorage.Loan):
///
///   bit  | 7      | 6 5 4          | 3 2    | 1           | 0         |
///        | relief | classification | streak | observation | defaulted |
///
///   defaulted:      the loan went past the policy's defaultAfterDays (set once, never cleared)
///   observation:    a restructured loan is under observation
///   streak:         consecutive installments settled on time under observation (saturates at 3)
///   classification: the ILoanLedgerTypes.Classification last recorded by an event (0..4)
///   relief:         a payment holiday or an arrears plan is in force (word 3 says which: a holiday
///                   has a non-zero holidayEnd, a plan a non-zero planStart); a poke closes either
type LoanFlags is uint8;

/// @dev A superseded schedule version (LoanLedgerStorage._previousSchedules), one word:
///
///   bits | 255..184 | 183..176 | 175..160 | 159..0 |
///        | 0        | width    | count    | blob   |
///
///   blob: the version's SSTORE2 pointer, never zero for a stored version, so a zero word means
///         "no such version"; count: its installments; width: bytes per amount in its blob
type ScheduleRef is uint256;

using LoanBits for WidthStage global;
using LoanBits for LoanFlags global;
using LoanBits for ScheduleRef global;

/// @title LoanBits: named offsets and masks of the packed parts of a loan's storage.
/// @dev Getters and setters are pure; setters return the new value for the caller to store.
/// Nothing outside this library shifts or masks these values.
library LoanBits {
    // ------------------------------------------------------------------ WidthStage

    uint8 internal constant WIDTH_MASK = 0x0f;
    uint8 internal constant STAGE_OFFSET = 4;

    /// @dev Width `width_` (1..12) and reminder stage 0: a new schedule version.
    function newWidthStage(uint256 width_) internal pure returns (WidthStage) {
        return WidthStage.wrap(uint8(width_));
    }

    /// @dev Bytes per amount in the current blob.
    function width(WidthStage ws) internal pure returns (uint256) {
        return WidthStage.unwrap(ws) & WIDTH_MASK;
    }

    /// @dev The next reminder stage of the cursor installment.
    function stage(WidthStage ws) internal pure returns (uint256) {
        return WidthStage.unwrap(ws) >> STAGE_OFFSET;
    }

    /// @dev `ws` with reminder stage `s` (0..15), the width kept.
    function setStage(WidthStage ws, uint256 s) internal pure returns (WidthStage) {
        return WidthStage.wrap((WidthStage.unwrap(ws) & WIDTH_MASK) | uint8(s << STAGE_OFFSET));
    }

    // ------------------------------------------------------------------ LoanFlags

    uint8 internal constant DEFAULTED = 0x01;
    uint8 internal constant OBSERVATION = 0x02;
    uint8 internal constant STREAK_OFFSET = 2;
    uint8 internal constant STREAK_MASK = 0x0c;
    /// @dev The streak has two bits; counting further is never needed (observation ends at 2).
    uint256 internal constant MAX_STREAK = STREAK_MASK >> STREAK_OFFSET;
    uint8 internal constant CLASSIFICATION_OFFSET = 4;
    uint8 internal constant CLASSIFICATION_MASK = 0x70;
    uint8 internal constant RELIEF = 0x80;

    function defaulted(LoanFlags f) internal pure returns (bool) {
        return LoanFlags.unwrap(f) & DEFAULTED != 0;
    }

    /// @dev `f` with the defaulted bit set.
    function setDefaulted(LoanFlags f) internal pure returns (LoanFlags) {
        return LoanFlags.wrap(LoanFlags.unwrap(f) | DEFAULTED);
    }

    function observation(LoanFlags f) internal pure returns (bool) {
        return LoanFlags.unwrap(f) & OBSERVATION != 0;
    }

    /// @dev `f` under a new observation: observation on, streak 0; defaulted and classification kept.
    function restartObservation(LoanFlags f) internal pure returns (LoanFlags) {
        return LoanFlags.wrap((LoanFlags.unwrap(f) & ~STREAK_MASK) | OBSERVATION);
    }

    /// @dev `f` with observation off (the streak is left as it is: it is read only under observation).
    function clearObservation(LoanFlags f) internal pure returns (LoanFlags) {
        return LoanFlags.wrap(LoanFlags.unwrap(f) & ~OBSERVATION);
    }

    function streak(LoanFlags f) internal pure returns (uint256) {
        return (LoanFlags.unwrap(f) & STREAK_MASK) >> STREAK_OFFSET;
    }

    /// @dev `f` with on-time streak `s` (0..MAX_STREAK).
    function setStreak(LoanFlags f, uint256 s) internal pure returns (LoanFlags) {
        return LoanFlags.wrap((LoanFlags.unwrap(f) & ~STREAK_MASK) | uint8(s << STREAK_OFFSET));
    }

    function classification(LoanFlags f) internal pure returns (ILoanLedgerTypes.Classification) {
        return ILoanLedgerTypes.Classification((LoanFlags.unwrap(f) & CLASSIFICATION_MASK) >> CLASSIFICATION_OFFSET);
    }

    function setClassification(LoanFlags f, ILoanLedgerTypes.Classification c) internal pure returns (LoanFlags) {
        return LoanFlags.wrap((LoanFlags.unwrap(f) & ~CLASSIFICATION_MASK) | (uint8(c) << CLASSIFICATION_OFFSET));
    }

    function relief(LoanFlags f) internal pure returns (bool) {
        return LoanFlags.unwrap(f) & RELIEF != 0;
    }

    function setRelief(LoanFlags f) internal pure returns (LoanFlags) {
        return LoanFlags.wrap(LoanFlags.unwrap(f) | RELIEF);
    }

    function clearRelief(LoanFlags f) internal pure returns (LoanFlags) {
        return LoanFlags.wrap(LoanFlags.unwrap(f) & ~RELIEF);
    }

    // ------------------------------------------------------------------ ScheduleRef

    uint8 internal constant COUNT_OFFSET = 160;
    uint8 internal constant REF_WIDTH_OFFSET = 176;

    /// @dev The word for a version stored in `blob_` with `count_` installments of `width_`-byte amounts.
    function toScheduleRef(address blob_, uint256 count_, uint256 width_) internal pure returns (ScheduleRef) {
        return ScheduleRef.wrap(uint256(uint160(blob_)) | (count_ << COUNT_OFFSET) | (width_ << REF_WIDTH_OFFSET));
    }

    /// @dev True for the zero word: no version stored there.
    function isEmpty(ScheduleRef r) internal pure returns (bool) {
        return ScheduleRef.unwrap(r) == 0;
    }

    function blob(ScheduleRef r) internal pure returns (address) {
        return address(uint160(ScheduleRef.unwrap(r)));
    }

    function count(ScheduleRef r) internal pure returns (uint256) {
        return uint16(ScheduleRef.unwrap(r) >> COUNT_OFFSET);
    }

    function width(ScheduleRef r) internal pure returns (uint256) {
        return uint8(ScheduleRef.unwrap(r) >> REF_WIDTH_OFFSET);
    }
}
