// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ILoanLedgerTypes} from "./interfaces/ILoanLedger.sol";
import {LoanFlags, ScheduleRef, WidthStage} from "./libraries/LoanBits.sol";
import {PolicyStore} from "./libraries/PolicyStore.sol";
import {Jurisdictions} from "./libraries/Jurisdictions.sol";

/// @title LoanLedgerStorage: the ledger's state, one comment per variable.
abstract contract LoanLedgerStorage is ILoanLedgerTypes {
    /// @dev Per-loan mutable state in three words (five under relief); terms, version and installments are in the
    /// SSTORE2 blob at `schedule` (see ScheduleStore). A loan exists iff `schedule != 0`.
    ///
    /// word 0 | schedule (160) | cursor (16) | count (16) | widthStage (8) | status (8) |
    ///        | flags (8) | lastPaidOffset (40)
    ///   widthStage: bytes per amount in the blob and the next reminder stage ({WidthStage})
    ///   flags: defaulted, observation, on-time streak, recorded classification ({LoanFlags})
    ///   The bits of both bytes are laid out in LoanBits.sol and read and written only through it.
    /// word 1 | paid (128) | penaltyPaid (128)
    /// word 2 | penaltyBase (128) | penaltyBaseDays (24) | penaltyAssessed (104)
    /// word 3 | holidayEnd (40) | planStart (40) | planNext (16) | planFirstRegular (16) | planPaid (128)
    /// word 4 | planParts.length (the parts at keccak256(slot))
    ///   Read only while the RELIEF flag is set: a payment holiday (holidayEnd != 0) or an arrears
    ///   plan (planStart != 0) is in force.
    ///
    /// Registration writes word 0 only; an on-time repayment that settles whole installments
    /// rewrites word 0 only (words 1 and 2 stay zero until something is partly paid or late).
    struct Loan {
        address schedule; // blob of the current schedule version
        uint16 cursor; // oldest installment not fully settled (count when repaid)
        uint16 count; // installments in the current version
        WidthStage widthStage; // see above
        LoanStatus status;
        LoanFlags flags; // see above
        uint40 lastPaidOffset; // seconds from the version's start to the time the last payment was applied at
        uint128 paid; // principal + interest paid on the cursor installment (interest first; < 2^97)
        uint128 penaltyPaid; // penalties and fees paid on the cursor installment
        uint128 penaltyBase; // penalty accumulator checkpoint of the cursor (unpaid x days)
        uint24 penaltyBaseDays; // penalty days at that checkpoint
        uint104 penaltyAssessed; // penalty outstanding at the last PenaltyAssessed event
        uint40 holidayEnd; // end of the payment holiday in force (0 when none)
        uint40 planStart; // creation time of the arrears plan in force (0 when none)
        uint16 planNext; // its first part not yet judged
        uint16 planFirstRegular; // the first installment not overdue at its creation
        uint128 planPaid; // repaid since its creation (every part of every repayment)
        ArrearsCheckpoint[] planParts; // its parts: due date and the running total of the amounts
    }

    /// @dev A part of an arrears plan as stored: its due date and the sum of the amounts of the
    /// parts up to and including it (one word).
    struct ArrearsCheckpoint {
        uint40 dueDate;
        uint216 cumulative;
    }

    /// @dev A settlement the lender offered: amount (< 2^128 by the ledger's amount bounds) and deadline.
    struct SettlementOffer {
        uint128 amount;
        uint64 deadline;
    }

    /// @dev Legal cap on contract rate + penalty rate, for loans registered from now on.
    uint16 internal _maxAnnualRateBps;
    /// @dev Policies published so far; id 0 is the product default.
    uint32 internal _policyCount;
    /// @dev Loans registered so far; ids start at 1.
    uint256 internal _loanCount;
    mapping(uint256 loanId => Loan) internal _loans;
    mapping(uint32 policyId => PolicyStore.Packed) internal _policies;
    /// @dev Policy applied to a lender's new loans (0 = default).
    mapping(address lender => uint32 policyId) internal _currentPolicy;
    mapping(address lender => mapping(address servicer => bool)) internal _servicers;
    /// @dev Superseded schedule versions, for audit: blob, count and width in one word ({ScheduleRef}).
    mapping(uint256 loanId => mapping(uint16 version => ScheduleRef)) internal _previousSchedules;
    /// @dev keccak256(abi.encode(schedule)) of a restructuring the lender proposed.
    mapping(uint256 loanId => bytes32 scheduleHash) internal _pendingRestructure;
    /// @dev SHA-256 of the canonical JSON of the collection strategy a lender last put in force.
    mapping(address lender => bytes32 strategyHash) internal _collectionStrategy;
    /// @dev A lender's relief policy: 1 << 16 | holidayMaxDpd once set (0 = never set: the default applies).
    mapping(address lender => uint24 packed) internal _reliefPolicies;
    mapping(uint256 loanId => SettlementOffer) internal _settlementOffers;
    /// @dev Legal cap on contract rate + penalty rate per jurisdiction (0 = none set: a subdivision
    /// falls back to its country, a country to `_maxAnnualRateBps`).
    mapping(bytes6 jurisdiction => uint16 maxAnnualRateBps) internal _jurisdictionCaps;

    /// @dev The cap that applies under `jurisdiction` (its own, else its country's, else the global
    /// one) and its own cap (0 = none set); the one lookup registration and {jurisdictionCapOf} share.
    function _capOf(bytes6 jurisdiction) internal view returns (uint16 effectiveBps, uint16 ownBps) {
        ownBps = _jurisdictionCaps[jurisdiction];
        effectiveBps = ownBps;
        if (effectiveBps == 0) effectiveBps = _jurisdictionCaps[Jurisdictions.country(jurisdiction)];
        if (effectiveBps == 0) effectiveBps = _maxAnnualRateBps;
    }
}
