// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ILoanLedgerTypes} from "./interfaces/ILoanLedger.sol";
import {PolicyStore} from "./libraries/PolicyStore.sol";

/// @title LoanLedgerStorage: the ledger's state, one comment per variable.
abstract contract LoanLedgerStorage is ILoanLedgerTypes {
    /// @dev `flags` bits.
    uint8 internal constant _FLAG_DEFAULTED = 1;
    uint8 internal constant _FLAG_OBSERVATION = 2;

    /// @dev Per-loan mutable state in three words; terms and installments are in the SSTORE2
    /// blob at `schedule` (see ScheduleStore). A loan exists iff `schedule != 0`.
    ///
    /// word 0 | schedule (160) | cursor (16) | count (16) | width (8) | status (8) |
    ///        | classification (8) | reminderStage (8) | flags (8) | onTimeStreak (8) | version (16)
    /// word 1 | paid (96) | penaltyPaid (96) | lastPaidAt (40)
    /// word 2 | penaltyBase (128) | penaltyBaseDays (24) | penaltyAssessed (104)
    struct Loan {
        address schedule; // blob of the current schedule version
        uint16 cursor; // oldest installment not fully settled (count when repaid)
        uint16 count; // installments in the current version
        uint8 width; // bytes per amount in the blob
        LoanStatus status;
        Classification classification; // last recorded (events), not the live view
        uint8 reminderStage; // next reminder stage of the cursor installment
        uint8 flags; // _FLAG_DEFAULTED | _FLAG_OBSERVATION
        uint8 onTimeStreak; // consecutive installments settled on time since restructuring
        uint16 version; // schedule version, 1 = as registered
        uint96 paid; // principal + interest paid on the cursor installment (interest first)
        uint96 penaltyPaid; // penalties and fees paid on the cursor installment
        uint40 lastPaidAt; // time the last payment was applied; set at start so the word is never zero
        uint128 penaltyBase; // penalty accumulator checkpoint of the cursor (unpaid x days)
        uint24 penaltyBaseDays; // penalty days at that checkpoint
        uint104 penaltyAssessed; // penalty outstanding at the last PenaltyAssessed event
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
    /// @dev Superseded schedule versions, for audit: blob (160) | count << 160 | width << 176.
    mapping(uint256 loanId => mapping(uint16 version => uint256 packed)) internal _previousSchedules;
    /// @dev keccak256(abi.encode(schedule)) of a restructuring the lender proposed.
    mapping(uint256 loanId => bytes32 scheduleHash) internal _pendingRestructure;
}
