// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ILoanLedgerTypes} from "./interfaces/ILoanLedger.sol";
import {PolicyStore} from "./libraries/PolicyStore.sol";

/// @title LoanLedgerStorage: the ledger's state, one comment per variable.
abstract contract LoanLedgerStorage is ILoanLedgerTypes {
    /// @dev Per-loan mutable state in three words; terms, version and installments are in the
    /// SSTORE2 blob at `schedule` (see ScheduleStore). A loan exists iff `schedule != 0`.
    ///
    /// word 0 | schedule (160) | cursor (16) | count (16) | widthStage (8) | status (8) |
    ///        | flags (8) | lastPaidOffset (40)
    ///   widthStage: bits 0-3 bytes per amount in the blob (1..12), bits 4-7 the next reminder
    ///               stage of the cursor installment (0..15)
    ///   flags: bit 0 defaulted, bit 1 observation, bits 2-3 on-time streak (saturates at 3),
    ///          bits 4-6 recorded classification
    /// word 1 | paid (128) | penaltyPaid (128)
    /// word 2 | penaltyBase (128) | penaltyBaseDays (24) | penaltyAssessed (104)
    ///
    /// Registration writes word 0 only; an on-time repayment that settles whole installments
    /// rewrites word 0 only (words 1 and 2 stay zero until something is partly paid or late).
    struct Loan {
        address schedule; // blob of the current schedule version
        uint16 cursor; // oldest installment not fully settled (count when repaid)
        uint16 count; // installments in the current version
        uint8 widthStage; // see above
        LoanStatus status;
        uint8 flags; // see above
        uint40 lastPaidOffset; // seconds from the version's start to the time the last payment was applied at
        uint128 paid; // principal + interest paid on the cursor installment (interest first; < 2^97)
        uint128 penaltyPaid; // penalties and fees paid on the cursor installment
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
